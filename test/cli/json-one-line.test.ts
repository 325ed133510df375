/**
 * A file that is not JSON is refused in one line: JSON.parse's message quotes the start of the text,
 * raw line breaks included, so `medprov receipt verify README.md` printed its refusal over two lines
 * (found by a new-user trial). The break is shown escaped, as \n, so the line stays one line.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCheckedLines, readJson, readJsonOrLines } from "../../src/cli/parse";
import { readDeployment } from "../../src/core/deployment";
import { MedprovError } from "../../src/core/errors";

const dir = mkdtempSync(join(tmpdir(), "medprov-json-one-line-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const markdown = (name: string) => {
  const path = join(dir, name);
  writeFileSync(path, "# medprov\n\nA permissioned provenance ledger\n");
  return path;
};

/** The refusal's message and its listed problems, as the CLI prints them (src/cli/run.ts). */
function refusal(read: () => unknown): { code: string; lines: string[] } {
  try {
    read();
  } catch (e) {
    const err = e as MedprovError;
    const problems = Array.isArray(err.details?.problems) ? (err.details.problems as string[]) : [];
    return { code: err.code, lines: [err.message, ...problems] };
  }
  throw new Error("the file was accepted");
}

describe("a file that is not JSON", () => {
  it.each([
    ["readJson", () => readJson(markdown("a.json"))],
    ["readJsonOrLines", () => readJsonOrLines(markdown("b.json"))],
    ["readCheckedLines", () => readCheckedLines(markdown("c.json"), "trace-record")],
    ["readDeployment", () => readDeployment(markdown("d.json"))],
  ])("%s refuses it by name, each line of the refusal one line, the quoted text escaped", (_name, read) => {
    const { code, lines } = refusal(read);
    expect(code).toMatch(/^(BAD_JSON|DEPLOYMENT_INVALID)$/);
    for (const line of lines) expect(line).not.toMatch(/[\r\n]/);
    expect(lines.join(" ")).toContain("# medprov\\n");
  });
});
