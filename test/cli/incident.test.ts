/**
 * End to end (issue 18): `medprov incident …`, `medprov indication …` and `medprov model evidence`,
 * spawned as processes against a Hardhat JSON-RPC node; each effect is read back from the chain.
 */
import { describe, it, expect, beforeAll, vi } from "vitest";
import { writeFileSync } from "node:fs";
import { keccak256, toUtf8Bytes } from "ethers";
import { connectLedger, incidentCategories, type LedgerContracts } from "../../src/sdk";
import { DEFAULT_INCIDENT_CATEGORIES, DEFAULT_INDICATIONS, DEFAULT_WEIGHTING, LiabilityCase } from "../../src/constants";
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

  it(T.incidentGovernance, async () => {
    // This consortium's governance has no delay (as in `indication add` above): --execute sends the call at once.
    await json("governance", ["incident", "category", "add", "DEVICE_FAILURE", "--execute"]);
    const categories = await ledger.incidents.categoryCount();
    expect(await incidentCategories(ledger)).toEqual([...DEFAULT_INCIDENT_CATEGORIES, "DEVICE_FAILURE"]);
    expect(categories).toBe(BigInt(DEFAULT_INCIDENT_CATEGORIES.length + 1));

    await json("governance", ["incident", "weighting", "set", "rejected_correct", "--developer", "5000", "--hospital", "1000", "--clinician", "4000", "--execute"]);
    const w = await ledger.incidents.weighting(LiabilityCase.REJECTED_CORRECT);
    expect([w.developer, w.hospital, w.clinician]).toEqual([5000n, 1000n, 4000n]);
    expect(await ledger.incidents.weighting(LiabilityCase.ADOPTED_WRONG)).toEqual([BigInt(DEFAULT_WEIGHTING.ADOPTED_WRONG.developer), 0n, BigInt(DEFAULT_WEIGHTING.ADOPTED_WRONG.clinician)]);

    const count = Number(await ledger.incidents.incidentCount());
    const listed = await json("auditor", ["incident", "list"]);
    expect(listed.map((i: { incidentId: number }) => i.incidentId)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(listed.every((i: { hospital: number }) => typeof i.hospital === "number")).toBe(true);
    expect(await json("auditor", ["incident", "list", "--hospital", "2"])).toEqual(listed.filter((i: { hospital: number }) => i.hospital === 2));
    const text = await cli("auditor", ["incident", "list", "--hospital", "2"]);
    // The hospital by its registered name beside its number.
    const name = (await ledger.consortium.queryFilter(ledger.consortium.filters.MemberAdmitted(2)))[0].args.name;
    expect(text.stdout).toContain(listed.some((i: { hospital: number }) => i.hospital === 2) ? `${name} (organisation 2)` : "no incidents");
  });

  it(T.incidentRefused, async () => {
    const before = await ledger.incidents.incidentCount();
    await Promise.all([
      refused("auditor", ["incident", "determine", "1", "--developer", "4000", "--hospital", "0", "--clinician", "6000", "--ruling", doc("r2.txt", "x")], "ConsortiumWrongRole"),
      refused("auditor", ["incident", "show", "99"], "INCIDENT_UNKNOWN"),
      refused("hospital", ["incident", "finding", "1", "--finding", "MAYBE", "--follow-up", doc("f2.txt", "x")], "INCIDENT_BAD_FINDING"),
      refused("governance", ["indication", "add", "sepsis", "--execute"], "ModelRegistryIndicationNameNotCanonical"),
      refused("governance", ["incident", "weighting", "set", "ADOPTED_WRONG", "--developer", "5000", "--hospital", "0", "--clinician", "4000"], "INCIDENT_BAD_SHARES"),
      refused("governance", ["incident", "weighting", "set", "SOMETIMES", "--developer", "5000", "--hospital", "0", "--clinician", "5000"], "GOVERNANCE_BAD_ARGUMENT"),
      refused("developer", ["model", "evidence", c.versionId, "--white-paper", doc("wp2.txt", "x")], "FILING_INCOMPLETE"),
      refused("regulator", ["model", "approve", c.versionId, "--filing-code", "X-1"], "APPROVAL_NO_INDICATIONS"),
    ]);
    expect(await ledger.incidents.incidentCount()).toBe(before);
  });

  checkOwnedCommands(h, "incident.test.ts");
});
