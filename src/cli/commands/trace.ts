import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { TraceBatcher, InputError, receiptFor } from "../../sdk";
import { bytes32Arg, readJsonOrLines } from "../parse";
import type { CliContext } from "../context";
import type { Run } from "../run";

async function openBatcher(ctx: CliContext, vault: string) {
  return TraceBatcher.open({ vaultPath: vault, ledger: await ctx.ledger(), signer: await ctx.signer() });
}

export function traceCommands(program: Command, run: Run) {
  const trace = program.command("trace").description("append clinical decision traces to the hospital's vault and anchor them (hospital key)");
  const vault = (c: Command) => c.requiredOption("--vault <dir>", "the hospital's trace vault (LevelDB directory)");

  vault(trace.command("append <file>").description("validate and queue traces from a JSON file (one record) or JSONL (one a line)"))
    .option("--flush", "anchor right away")
    .action(run(async (ctx, o, file: string) => {
      const inputs = readJsonOrLines(file);
      const batcher = await openBatcher(ctx, o.vault);
      try {
        const { queueIds } = await batcher.append(...inputs);
        const flushed = o.flush ? await batcher.flush() : [];
        ctx.print({ queued: queueIds.length, batches: flushed }, [`queued ${queueIds.length} trace(s)`, ...flushed.map((b) => `anchored ${b.count} trace(s) from sequence ${b.firstSeq} as batch ${b.batchId} (tx ${b.anchorTx})`)]);
      } finally {
        await batcher.close();
      }
    }));

  vault(trace.command("flush").description("anchor every queued trace (and finish any batch a crash interrupted)"))
    .action(run(async (ctx, o) => {
      const batcher = await openBatcher(ctx, o.vault);
      try {
        const flushed = await batcher.flush();
        ctx.print({ batches: flushed }, flushed.length === 0 ? "nothing to anchor" : flushed.map((b) => `anchored ${b.count} trace(s) from sequence ${b.firstSeq} as batch ${b.batchId} (tx ${b.anchorTx})${b.quarantined ? `; ${b.quarantined} quarantined` : ""}`));
      } finally {
        await batcher.close();
      }
    }));

  vault(trace.command("receipt <traceId>").description("write the self-contained receipt of an anchored trace"))
    .option("--out <file>", "write to a file instead of stdout")
    .action(run(async (ctx, o, traceId: string) => {
      const batcher = await openBatcher(ctx, o.vault);
      try {
        const anchored = await batcher.find(bytes32Arg(traceId));
        if (!anchored) throw new InputError("TRACE_NOT_ANCHORED", `trace ${traceId} is not anchored in ${o.vault} (queued traces get receipts after \`medprov trace flush\`)`);
        const receipt = receiptFor(anchored, ctx.deployment);
        if (o.out) {
          writeFileSync(o.out, JSON.stringify(receipt, null, 2));
          ctx.print({ out: o.out }, `receipt written to ${o.out}`);
        } else process.stdout.write(JSON.stringify(receipt, null, 2) + "\n");
      } finally {
        await batcher.close();
      }
    }));
}
