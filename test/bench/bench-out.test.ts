/**
 * Running a bench must not rewrite tracked documents (issue 17): reports go to bench/out/ (ignored
 * by git) unless `npm run bench -- --write-docs`. Checked on the pure folder choice, on the plan
 * `npm run bench -- --dry-run` prints (nothing is measured), and on the benches' sources: none
 * writes into docs/ by its own path any more.
 */
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { reportDirFor, WRITE_DOCS_ENV } from "../../bench/report-dir";

const ROOT = join(__dirname, "..", "..");
const dryRun = (...args: string[]) => execFileSync(process.execPath, ["-r", "tsx/cjs", join(ROOT, "scripts/bench.ts"), "--dry-run", ...args], { cwd: ROOT, encoding: "utf8" });

describe("bench reports", () => {
  it("go to bench/out/ unless asked to write docs/", () => {
    expect(reportDirFor({}, "/r")).toBe(join("/r", "bench", "out"));
    expect(reportDirFor({ [WRITE_DOCS_ENV]: "0" }, "/r")).toBe(join("/r", "bench", "out"));
    expect(reportDirFor({ [WRITE_DOCS_ENV]: "1" }, "/r")).toBe(join("/r", "docs"));
  });

  it("npm run bench plans bench/out/, and docs/ with --write-docs (dry run: nothing measured)", () => {
    const plain = dryRun();
    expect(plain).toContain(`reports go to ${join(ROOT, "bench", "out")}`);
    expect(plain).toMatch(/npm run bench:gas[\s\S]*npm run bench:index[\s\S]*gathering benchmarks\.md/);
    expect(dryRun("--write-docs")).toContain(`reports go to ${join(ROOT, "docs")}`);
  });

  it("no bench writes into docs/ by its own path, and bench/out/ is ignored by git", () => {
    for (const f of readdirSync(join(ROOT, "bench")).filter((f) => f.endsWith(".ts") && f !== "report-dir.ts")) {
      expect(readFileSync(join(ROOT, "bench", f), "utf8"), f).not.toMatch(/"docs"/);
    }
    expect(readFileSync(join(ROOT, "scripts/bench-report.ts"), "utf8")).not.toMatch(/"docs"/);
    expect(readFileSync(join(ROOT, ".gitignore"), "utf8").split("\n")).toContain("bench/out/");
  });
});
