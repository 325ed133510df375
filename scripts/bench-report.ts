/** Gathers the bench outputs into docs/benchmarks.md (run by `npm run bench` after every bench). */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";

const docs = join(__dirname, "..", "docs");
const parts = ["bench-gas.md", "bench-anchor.md", "bench-api.md", "bench-index.md"].filter((f) => existsSync(join(docs, f)));
const body = [
  "# Benchmarks",
  "",
  `Collected ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length}× ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}. Rerun with \`npm run bench\`.`,
  "",
  ...parts.map((f) => readFileSync(join(docs, f), "utf8").replace(/^# /m, "## ")),
].join("\n");
writeFileSync(join(docs, "benchmarks.md"), body);
console.log(`wrote docs/benchmarks.md from ${parts.join(", ")}`);
