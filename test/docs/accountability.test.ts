/**
 * docs/accountability.md is held to the code it describes: its ```sh accountability blocks run, in
 * order, as spawned CLI processes against a node (the demo's `--as` names mapped to this test's keys),
 * and the chain then holds what the page says; its weighting table is DEFAULT_WEIGHTING; the routes
 * and error codes it names exist.
 */
import { describe, it, expect, vi } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectLedger } from "../../src/sdk";
import { DEFAULT_WEIGHTING } from "../../src/constants";
import { ERROR_CATALOGUE } from "../../src/api";
import { ROUTE_DOCS } from "../../src/api/docs";
import { cliHarness, type Who } from "../helpers/cli";
import { shellBlocks } from "../helpers/doc-blocks";
import { traceInput } from "../helpers/traces";

vi.setConfig({ testTimeout: 300_000 });
const ROOT = join(__dirname, "..", "..");
const doc = readFileSync(join(ROOT, "docs/accountability.md"), "utf8");
const h = cliHarness();

/** The demo's names for `--as` as this test's keys (the outsider is admitted as the appraisal body below). */
const AS: Record<string, Who> = { "hospital-1": "hospital", appraiser: "outsider", auditor: "auditor" };

describe("docs/accountability.md", () => {
  it("its commands take one incident from report to determination, and the chain holds what the page says", async () => {
    const commands = shellBlocks(doc, "docs/accountability.md").filter((b) => b.flags.includes("accountability")).flatMap((b) => b.commands);
    expect(commands.length).toBeGreaterThanOrEqual(6);
    await h.json("governance", ["member", "admit", "--name", "Appraisal Board", "--role", "APPRAISER", "--key", h.wallet("outsider").address, "--execute"]);
    const now = (await h.node.provider.getBlock("latest"))!.timestamp;
    const trace = traceInput(h.c.versionId, { time: now });
    writeFileSync(h.f("doc-traces.jsonl"), JSON.stringify(trace));
    await h.json("hospital", ["trace", "append", h.f("doc-traces.jsonl"), "--vault", h.f("hospital-1-vault"), "--flush"]);
    for (const [name, text] of [["narrative.txt", "what happened, kept by the hospital"], ["follow-up.txt", "biopsy"], ["ruling.txt", "the board's ruling"]]) writeFileSync(h.f(name), text);
    const vars: Record<string, string> = { $TRACE_ID: trace.traceId, $OCCURRED_AT: String(now) };

    const outputs: string[] = [];
    for (const c of commands) {
      const words = c.text.split(/\s+/).map((w) => vars[w] ?? w);
      expect(words[0], `${c.file}:${c.line}`).toBe("medprov");
      expect(words[1], `${c.file}:${c.line}`).toBe("--as");
      const run = await h.cli(AS[words[2]], words.slice(3));
      expect(run.code, `${c.file}:${c.line} ${c.text}\n${run.stderr}`).toBe(c.expectedExit);
      outputs.push(run.stdout);
    }
    const ledger = connectLedger(h.c.deployment, h.node.provider);
    const i = await ledger.incidents.incident(1);
    expect([Number(i.finding), i.determined]).toEqual([2, true]); // INCORRECT, determined
    const d = await ledger.incidents.determination(1);
    expect([d.shares.developer, d.shares.hospital, d.shares.clinician]).toEqual([3000n, 1000n, 6000n]);
    expect(outputs.join("\n")).toContain("developer 3000 / hospital 1000 / clinician 6000 bps");
    // Organisations by name beside their number, as the page shows.
    expect(outputs.join("\n")).toMatch(/determination by Appraisal Board \(organisation \d+\) at /);
    expect(doc).toContain("developer 3000 / hospital 1000 / clinician 6000 bps");
  });

  it("its weighting table is DEFAULT_WEIGHTING, and the routes, commands and error codes it names exist", () => {
    for (const [name, w] of Object.entries(DEFAULT_WEIGHTING)) {
      const f = (n: number) => n.toLocaleString("en-US");
      expect(doc).toMatch(new RegExp(`\\| \`${name}\`:[^|]*\\| ${f(w.developer)} \\| ${f(w.hospital)} \\| ${f(w.clinician)} \\|`));
    }
    expect(doc).toContain("medprov incident evidence 1 --receipt");
    for (const route of ["POST /incidents/{id}/receipt", "GET /incidents", "GET /incidents/catalogue"]) expect(ROUTE_DOCS[route], route).toBeDefined();
    const codes = [...doc.matchAll(/`(?:\d{3} )?([A-Z][A-Z_]+[A-Z])`/g)].map((m) => m[1]).filter((c) => c.startsWith("INCIDENT_"));
    expect(codes.length).toBeGreaterThanOrEqual(4);
    for (const code of codes) expect(Object.keys(ERROR_CATALOGUE), code).toContain(code);
  });
});
