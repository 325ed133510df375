/**
 * Wraps a command's action: builds the context from the global options and turns any failure into
 * one line on stderr and a non-zero exit (a stack trace only with --debug).
 */
import type { Command } from "commander";
import { MedprovError, toDomainError } from "../sdk";
import { CliContext, type GlobalOptions } from "./context";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Action = (ctx: CliContext, options: any, ...args: any[]) => Promise<void>;
export type Run = (action: Action) => (...args: unknown[]) => Promise<void>;

/** Exit codes: 1 the ledger or input said no; 3 the chain could not be reached (retryable). */
export function makeRun(program: Command): Run {
  return (action) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const options = command.opts();
      const globals = program.opts<GlobalOptions>();
      const ctx = new CliContext(globals);
      try {
        ctx.selectNetwork((option) => program.getOptionValueSource(option) === "cli");
        await action(ctx, options, ...args.slice(0, -2));
      } catch (raw) {
        const e = toDomainError(raw);
        const code = e instanceof MedprovError ? e.code : "UNEXPECTED";
        // An input with several problems lists each on its own line after the first (src/cli/parse.ts).
        const problems = e instanceof MedprovError && Array.isArray(e.details.problems) ? (e.details.problems as string[]) : [];
        if (globals.json) process.stderr.write(JSON.stringify({ error: { code, message: e.message, ...(problems.length ? { problems } : {}) } }) + "\n");
        else process.stderr.write([`medprov: ${e.message} [${code}]`, ...problems.map((p) => `  ${p}`)].join("\n") + "\n");
        if (globals.debug) process.stderr.write(`${(raw as Error)?.stack ?? String(raw)}\n`);
        process.exitCode = e instanceof MedprovError && e.retryable ? 3 : 1;
      } finally {
        await ctx.close();
      }
    };
}
