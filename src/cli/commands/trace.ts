import type { Command } from "commander";
import { BatchRefusedError, TraceBatcher, TraceVault, InputError, MedprovError, receiptFor, writeFileDurably, type FlushedBatch } from "../../sdk";
import { bytes32Arg, readCheckedLines } from "../parse";
import type { CliContext } from "../context";
import type { Run } from "../run";

/**
 * A batcher whose unawaited flushes (the resume at open, flushes by count) are logged on stderr as
 * one line each and make the command exit 1, never dropped.
 */
async function openBatcher(ctx: CliContext, vault: string) {
  const onError = (e: Error) => {
    process.stderr.write(`medprov: ${e.message} [${(e as MedprovError).code ?? "UNEXPECTED"}]\n`);
    process.exitCode = 1;
  };
  return TraceBatcher.open({ vaultPath: vault, ledger: await ctx.ledger(), signer: await ctx.writer(), onError });
}

const anchoredLine = (b: FlushedBatch) => `anchored ${b.count} trace(s) from sequence ${b.firstSeq} as batch ${b.batchId} (tx ${b.anchorTx})${b.quarantined ? `; ${b.quarantined} quarantined` : ""}`;

/**
 * Flushes and prints what was anchored. A refused batch (BATCH_REFUSED) is rethrown after the
 * batches anchored meanwhile are printed, so the command exits 1 with one line saying why.
 */
async function flushAndPrint(ctx: CliContext, batcher: TraceBatcher, extra: Record<string, unknown>, lead: string[]): Promise<void> {
  let flushed: FlushedBatch[];
  try {
    flushed = await batcher.flush();
  } catch (e) {
    if (e instanceof BatchRefusedError && !ctx.options.json) process.stdout.write([...lead, ...e.batches.map(anchoredLine)].join("\n") + "\n");
    throw e;
  }
  const lines = lead.length === 0 && flushed.length === 0 ? ["nothing to anchor"] : [...lead, ...flushed.map(anchoredLine)];
  ctx.print({ ...extra, batches: flushed }, lines);
  const quarantined = flushed.reduce((n, b) => n + b.quarantined, 0);
  if (quarantined > 0) process.stderr.write(`medprov: ${quarantined} trace(s) quarantined: their model version is not APPROVED, or their time no longer fits a batch the chain accepts; \`medprov trace quarantined --vault …\` lists each with its reason\n`);
}

export function traceCommands(program: Command, run: Run) {
  const trace = program.command("trace").description("append clinical decision traces to the hospital's vault and anchor them (hospital key)");
  const vault = (c: Command) => c.requiredOption("--vault <dir>", "the hospital's trace vault (LevelDB directory)");

  vault(trace.command("append <file>").description("validate and queue traces from a JSON file (one record) or JSONL (one a line); format: schemas/trace-record.json"))
    .option("--flush", "anchor right away")
    .action(run(async (ctx, o, file: string) => {
      const inputs = readCheckedLines(file, "trace-record");
      const batcher = await openBatcher(ctx, o.vault);
      try {
        const { queueIds } = await batcher.append(...inputs);
        const lead = [`queued ${queueIds.length} trace(s)`];
        if (o.flush) await flushAndPrint(ctx, batcher, { queued: queueIds.length }, lead);
        else ctx.print({ queued: queueIds.length, batches: [] }, lead);
      } finally {
        await batcher.close();
      }
    }));

  vault(trace.command("flush").description("anchor every queued trace (and finish any batch a crash interrupted); exits 1 when the chain refused a batch"))
    .action(run(async (ctx, o) => {
      const batcher = await openBatcher(ctx, o.vault);
      try {
        await flushAndPrint(ctx, batcher, {}, []);
      } finally {
        await batcher.close();
      }
    }));

  vault(trace.command("receipt <traceId>").description("write the self-contained receipt of an anchored trace (reads the vault only: no key, no transaction)"))
    .option("--out <file>", "write to a file instead of stdout")
    .action(run(async (ctx, o, traceId: string) => {
      const store = await TraceVault.openReadOnly(o.vault);
      try {
        const state = await store.state(bytes32Arg(traceId));
        if (state.state === "quarantined") throw new InputError("TRACE_QUARANTINED", `trace ${traceId} was quarantined and will not be anchored: ${state.quarantine.reason}`);
        if (state.state !== "anchored") throw new InputError("TRACE_NOT_ANCHORED", `trace ${traceId} is not anchored in ${o.vault} (${state.state}; queued traces get receipts after \`medprov trace flush\`)`);
        const receipt = receiptFor(state.anchored, ctx.deployment);
        if (o.out) {
          writeFileDurably(o.out, JSON.stringify(receipt, null, 2));
          ctx.print({ out: o.out }, `receipt written to ${o.out}`);
        } else process.stdout.write(JSON.stringify(receipt, null, 2) + "\n");
      } finally {
        await store.close();
      }
    }));

  vault(trace.command("quarantined").description("list traces that will not be anchored (their model version was not APPROVED), with the reason and the chain time (reads the vault only)"))
    .action(run(async (ctx, o) => {
      const store = await TraceVault.openReadOnly(o.vault);
      try {
        const list = [];
        for await (const q of store.quarantined()) list.push(q);
        ctx.print(
          { quarantined: list },
          list.length === 0
            ? "no quarantined traces"
            : list.map((q) => `${q.input.traceId}  ${q.code ?? "VERSION_NOT_APPROVED"}${q.versionStatus ? ` (${q.versionStatus})` : ""}  ${q.iso ?? "time not recorded"}  ${q.reason}`),
        );
      } finally {
        await store.close();
      }
    }));
}
