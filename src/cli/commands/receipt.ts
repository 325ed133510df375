import type { Command } from "commander";
import { Auditor } from "../../sdk";
import { readJsonOrLines } from "../parse";
import type { Run } from "../run";

/**
 * What a skipped check means, in words: read bare, a code such as CONSENT_NOT_VALID_AT_TIME beside
 * VALID looked like a failed consent check to new users, where it is a check this command cannot make.
 */
const SKIPPED_WORDS: Record<string, string> = {
  CONSENT_NOT_VALID_AT_TIME: "consent at the time (needs an index: POST /verify checks it)",
};
const skippedWords = (codes: readonly string[]) => codes.map((c) => SKIPPED_WORDS[c] ?? c).join("; ");

export function receiptCommands(program: Command, run: Run) {
  const receipt = program.command("receipt").description("verify trace receipts against the chain (any key, or none)");
  receipt
    .command("verify <files...>")
    .description("verify receipts (JSON files, or JSONL with one receipt a line) by docs/receipt.md's procedure, chain and contracts from the deployment manifest; exit 0: all VALID, 1: any INVALID (or unreadable), 3: chain unreachable")
    .action(run(async (ctx, _o, files: string[]) => {
      const receipts = files.flatMap((f) => readJsonOrLines(f).map((r) => ({ file: f, receipt: r })));
      const auditor = new Auditor(await ctx.ledger(), ctx.deployment, ctx.provider);
      const bar = ctx.progress("verifying", receipts.length);
      const results = [];
      for (const [i, { file, receipt }] of receipts.entries()) {
        results.push({ file, ...(await auditor.verifyReceipt(receipt)) });
        bar.update(i + 1);
      }
      bar.stop();
      const invalid = results.filter((r) => !r.valid);
      ctx.print(
        { valid: invalid.length === 0, results },
        results.map((r) => (r.valid ? `VALID    ${r.file}${r.skipped.length ? ` (not checked here: ${skippedWords(r.skipped)})` : ""}` : `INVALID  ${r.file}\n${r.reasons.map((x) => `  ${x.code}: ${x.message}`).join("\n")}`)),
      );
      if (invalid.length > 0) process.exitCode = 1;
    }));
}
