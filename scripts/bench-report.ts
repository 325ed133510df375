/**
 * Gathers the bench outputs into benchmarks.md, in the folder the benches wrote to (bench/out/, or
 * docs/ with `npm run bench -- --write-docs`); run by scripts/bench.ts after every bench.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, relative } from "node:path";
import { reportDir } from "../bench/report-dir";

const dir = reportDir();
const parts = ["bench-gas.md", "bench-anchor.md", "bench-api.md", "bench-index.md", "bench-web.md"].filter((f) => existsSync(join(dir, f)));
const body = [
  "# Benchmarks",
  "",
  `Collected ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length}× ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}. Rerun with \`npm run bench\` (reports in bench/out/; \`npm run bench -- --write-docs\` updates docs/).`,
  "",
  ...parts.map((f) => readFileSync(join(dir, f), "utf8").replace(/^# /m, "## ")),
].join("\n");
writeFileSync(join(dir, "benchmarks.md"), body);
console.log(`wrote ${relative(process.cwd(), join(dir, "benchmarks.md"))} from ${parts.join(", ")}`);
