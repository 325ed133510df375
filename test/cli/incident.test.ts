/**
 * End to end (issue 18): `medprov incident …`, `medprov indication …` and `medprov model evidence`,
 * spawned as processes against a Hardhat JSON-RPC node; each effect is read back from the chain.
 */
import { describe, it, expect, beforeAll, vi } from "vitest";
import { writeFileSync } from "node:fs";
import { keccak256, toUtf8Bytes } from "ethers";
import { connectLedger, type LedgerContracts } from "../../src/sdk";
import { DEFAULT_INDICATIONS } from "../../src/constants";
import { checkOwnedCommands, cliHarness } from "../helpers/cli";
import { T } from "../helpers/cli-coverage";
import { traceInput } from "../helpers/traces";
import type { RpcConsortium, RpcNode } from "../helpers/node";

vi.setConfig({ testTimeout: 300_000 });
const h = cliHarness();
const { cli, json, refused, f } = h;

let node: RpcNode;
let c: RpcConsortium;
let ledger: LedgerContracts;
beforeAll(() => {
  ({ node, c } = h);
  ledger = connectLedger(c.deployment, node.provider);
});

const doc = (name: string, text: string) => {
  writeFileSync(f(name), text);
  return f(name);
};

describe("medprov incident / indication", () => {
  it(T.incident, async () => {
    const listed = await json("auditor", ["indication", "list"]);
    expect(listed.map((x: { name: string }) => x.name)).toEqual([...DEFAULT_INDICATIONS]);
    await json("governance", ["indication", "add", "SEPSIS_EARLY_WARNING", "--execute"]);
    expect((await json("auditor", ["indication", "list"]))[DEFAULT_INDICATIONS.length]).toEqual({ id: DEFAULT_INDICATIONS.length, name: "SEPSIS_EARLY_WARNING" });

    // The appraisal body is admitted through governance like any member.
    await json("governance", ["member", "admit", "--name", "Appraisal Board", "--role", "APPRAISER", "--key", h.wallet("outsider").address, "--execute"]);

    const now = (await node.provider.getBlock("latest"))!.timestamp;
    const traces = [traceInput(c.versionId, { time: now }), traceInput(c.versionId, { time: now })];
    writeFileSync(f("incident-traces.jsonl"), traces.map((t) => JSON.stringify(t)).join("\n"));
    await json("hospital", ["trace", "append", f("incident-traces.jsonl"), "--vault", f("incident-vault"), "--flush"]);
    await cli("hospital", ["trace", "receipt", traces[0].traceId, "--vault", f("incident-vault"), "--out", f("incident-receipt.json")]);

    const narrative = doc("narrative.txt", "free text stays with the hospital");
    const reported = await json("hospital", ["incident", "report", f("incident-receipt.json"), "--severity", "SEVERE", "--category", "MISDIAGNOSIS", "--occurred-at", String(now), "--narrative", narrative]);
    expect(reported.incidentId).toBe(1);
    const stored = await ledger.incidents.incident(1);
    expect([stored.narrativeHash, stored.versionId]).toEqual([keccak256(toUtf8Bytes("free text stays with the hospital")), c.versionId]);
    await json("hospital", ["incident", "finding", "1", "--finding", "INCORRECT", "--follow-up", doc("follow-up.txt", "biopsy")]);
    const determined = await cli("outsider", ["incident", "determine", "1", "--developer", "4000", "--hospital", "0", "--clinician", "6000", "--ruling", doc("ruling.txt", "ruling")]);
    expect(determined.stdout, determined.stderr).toContain("determined incident 1: developer 4000 / hospital 0 / clinician 6000 bps");
    const shown = await json("auditor", ["incident", "show", "1"]);
    expect(shown).toMatchObject({ severityName: "SEVERE", categoryName: "MISDIAGNOSIS", findingName: "INCORRECT", determination: { shares: { DEVELOPER: 4000, HOSPITAL: 0, CLINICIAN: 6000 } } });

    const paper = doc("white-paper.pdf", "white paper v2");
    await json("developer", ["model", "evidence", c.versionId, "--white-paper", paper, "--insurer", "Mutual Liability", "--insurance-policy", doc("policy.pdf", "policy"), "--coverage-start", "2025-01-01", "--coverage-end", "2035-01-01"]);
    const filed = await ledger.models.filingEvidence(c.versionId);
    expect([filed.whitePaperHash, filed.insurance.insurerHash, filed.insurance.coverageStart]).toEqual([keccak256(toUtf8Bytes("white paper v2")), keccak256(toUtf8Bytes("Mutual Liability")), BigInt(Date.parse("2025-01-01") / 1000)]);
  });

  it(T.incidentRefused, async () => {
    const before = await ledger.incidents.incidentCount();
    await Promise.all([
      refused("auditor", ["incident", "determine", "1", "--developer", "4000", "--hospital", "0", "--clinician", "6000", "--ruling", doc("r2.txt", "x")], "ConsortiumWrongRole"),
      refused("auditor", ["incident", "show", "99"], "INCIDENT_UNKNOWN"),
      refused("hospital", ["incident", "finding", "1", "--finding", "MAYBE", "--follow-up", doc("f2.txt", "x")], "INCIDENT_BAD_FINDING"),
      refused("governance", ["indication", "add", "sepsis", "--execute"], "ModelRegistryIndicationNameNotCanonical"),
      refused("developer", ["model", "evidence", c.versionId, "--white-paper", doc("wp2.txt", "x")], "FILING_INCOMPLETE"),
      refused("regulator", ["model", "approve", c.versionId, "--filing-code", "X-1"], "APPROVAL_NO_INDICATIONS"),
    ]);
    expect(await ledger.incidents.incidentCount()).toBe(before);
  });

  checkOwnedCommands(h, "incident.test.ts");
});
