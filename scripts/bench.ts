/**
 * `npm run bench`: every bench in turn, then the summary. Reports go to bench/out/ (ignored by git);
 * `npm run bench -- --write-docs` writes them to docs/ instead, to update the published figures.
 * `--dry-run` prints what would run and where the reports would go, running nothing.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Command } from "commander";
import { WRITE_DOCS_ENV, reportDirFor } from "../bench/report-dir";

export const BENCH_STEPS = ["bench:gas", "bench:anchor", "bench:api", "bench:index", "bench:web"] as const;

const o = new Command("bench")
  .description("run every bench (gas, anchoring, API, indexing, web app) and gather their reports")
  .option("--write-docs", "write the reports to docs/ (tracked) instead of bench/out/")
  .option("--dry-run", "print the plan and run nothing")
  .parse()
  .opts<{ writeDocs?: boolean; dryRun?: boolean }>();

const env = { ...process.env, [WRITE_DOCS_ENV]: o.writeDocs ? "1" : "0" };
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
console.log(`bench: reports go to ${reportDirFor(env)}`);
for (const step of BENCH_STEPS) {
  console.log(`bench: npm run ${step}`);
  if (o.dryRun) continue;
  const r = spawnSync(npm, ["run", step], { stdio: "inherit", env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const report = [process.execPath, "-r", "tsx/cjs", join(__dirname, "bench-report.ts")];
console.log("bench: gathering benchmarks.md");
if (!o.dryRun) {
  const r = spawnSync(report[0], report.slice(1), { stdio: "inherit", env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
