/**
 * Where a bench writes its report. Running a bench measures this machine today; that must not
 * rewrite the tracked docs/ as a side effect. Reports go to bench/out/ (ignored by git) unless the
 * run was asked to update the documents: `npm run bench -- --write-docs`, which scripts/bench.ts
 * passes on to each bench as MEDPROV_BENCH_WRITE_DOCS=1.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
export const WRITE_DOCS_ENV = "MEDPROV_BENCH_WRITE_DOCS";

/** The folder for bench reports: docs/ when asked to update the documents, else bench/out/. Pure. */
export function reportDirFor(env: NodeJS.ProcessEnv, root = ROOT): string {
  return env[WRITE_DOCS_ENV] === "1" ? join(root, "docs") : join(root, "bench", "out");
}

/** The report folder for this process, created if missing. */
export function reportDir(): string {
  const dir = reportDirFor(process.env);
  mkdirSync(dir, { recursive: true });
  return dir;
}
