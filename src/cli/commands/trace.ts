import type { Command } from "commander";
import { BatchRefusedError, TraceBatcher, TraceVault, InputError, MedprovError, receiptFor, writeFileDurably, type FlushedBatch, type TraceState } from "../../sdk";
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
  // Counted in the vault, not from the batches: a flush whose every trace was quarantined anchors none.
  const quarantinedBefore = await countQuarantined(batcher.storage);
  let flushed: FlushedBatch[];
  try {
    flushed = await batcher.flush();
  } catch (e) {
    if (e instanceof BatchRefusedError && !ctx.options.json) process.stdout.write([...lead, ...e.batches.map(anchoredLine)].join("\n") + "\n");
    throw e;
  }
  const lines = lead.length === 0 && flushed.length === 0 ? ["nothing to anchor"] : [...lead, ...flushed.map(anchoredLine)];
  ctx.print({ ...extra, batches: flushed }, lines);
  const quarantined = (await countQuarantined(batcher.storage)) - quarantinedBefore;
  if (quarantined > 0) process.stderr.write(`medprov: ${quarantined} trace(s) quarantined: their model version is not APPROVED, or their time no longer fits a batch the chain accepts; \`medprov trace quarantined --vault …\` lists each with its reason\n`);
}

async function countQuarantined(vault: TraceVault): Promise<number> {
  let n = 0;
  for await (const _ of vault.quarantined()) n++;
  return n;
}

/** The file's distinct trace ids, as the vault keys them (lowercase hex); append has checked each is one. */
const traceIdsOf = (inputs: unknown[]) => [...new Set(inputs.map((i) => String((i as { traceId?: unknown }).traceId).toLowerCase()))];

/** What an append did not queue, and why: traces the vault already held, by where they stand there, and lines repeating a trace of the same file. */
interface Skipped {
  inVault: number;
  /** The traces the vault already held, by state: anchored, sealed (anchoring), queued, quarantined. */
  inVaultByState: Partial<Record<Exclude<TraceState["state"], "unknown">, number>>;
  repeatedInFile: number;
}

async function skippedTraces(vault: TraceVault, lines: number, ids: string[], known: boolean[]): Promise<Skipped> {
  const inVaultByState: Skipped["inVaultByState"] = {};
  const held = ids.filter((_, i) => known[i]);
  for (const id of held) {
    const { state } = await vault.state(id);
    if (state !== "unknown") inVaultByState[state] = (inVaultByState[state] ?? 0) + 1;
  }
  return { inVault: held.length, inVaultByState, repeatedInFile: lines - ids.length };
}

/** " (all 12 already in the vault: 12 anchored; appending is idempotent)", or "" when every line was queued. */
function skippedWords(queued: number, s: Skipped): string {
  if (s.inVault === 0 && s.repeatedInFile === 0) return "";
  const states = Object.entries(s.inVaultByState).map(([state, n]) => `${n} ${state}`).join(", ");
  const parts = [
    ...(s.inVault > 0 ? [`${queued === 0 && s.repeatedInFile === 0 ? "all " : ""}${s.inVault} already in the vault: ${states}`] : []),
    ...(s.repeatedInFile > 0 ? [`${s.repeatedInFile} repeated in the file`] : []),
  ];
  return ` (${parts.join("; ")}; appending is idempotent)`;
}

export function traceCommands(program: Command, run: Run) {
  const trace = program.command("trace").description("append clinical decision traces to the hospital's vault and anchor them (hospital key)");
  const vault = (c: Command) => c.requiredOption("--vault <dir>", "the hospital's trace vault (LevelDB directory)");

  vault(trace.command("append <file>").description("validate and queue traces from a JSON file (one record) or JSONL (one a line); format: schemas/trace-record.json. Idempotent by trace id: a trace the vault already holds is not queued again, and the output says how many and where they stand"))
    .option("--flush", "anchor right away")
    .action(run(async (ctx, o, file: string) => {
      const inputs = readCheckedLines(file, "trace-record");
      const batcher = await openBatcher(ctx, o.vault);
      try {
        // Which of the file's traces the vault held before this append: appending them again queues nothing, and the line says why.
        const ids = traceIdsOf(inputs);
        const before = await batcher.storage.known(ids);
        const { queueIds } = await batcher.append(...inputs);
        const skipped = await skippedTraces(batcher.storage, inputs.length, ids, before);
        const lead = [`queued ${queueIds.length} trace(s)${skippedWords(queueIds.length, skipped)}`];
        if (o.flush) await flushAndPrint(ctx, batcher, { queued: queueIds.length, skipped }, lead);
        else ctx.print({ queued: queueIds.length, skipped, batches: [] }, lead);
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
