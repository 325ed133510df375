/**
 * End to end (issue 18): `medprov incident evidence`, spawned against a Hardhat JSON-RPC node: the
 * summary people read (met / not met per duty, the proposal in %), the pack written with --out (it
 * verifies offline with the standalone verifier of docs/evidence.md), the FHIR bundle with --fhir;
 * refusals in one line.
 */
import { describe, it, expect, beforeAll, vi } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { checkOwnedCommands, cliHarness } from "../helpers/cli";
import { T } from "../helpers/cli-coverage";
import { traceInput } from "../helpers/traces";
import { verifyPack } from "../helpers/evidence-verifier";
import type { RpcConsortium, RpcNode } from "../helpers/node";

vi.setConfig({ testTimeout: 300_000 });
const h = cliHarness();
const { cli, json, refused, f } = h;

let node: RpcNode;
let c: RpcConsortium;
beforeAll(() => {
  ({ node, c } = h);
});

describe("medprov incident evidence", () => {
  it(T.incidentEvidence, async () => {
    const now = (await node.provider.getBlock("latest"))!.timestamp;
    // The patient gives no consent here: CONSENT_AT_DECISION is not met, so the hospital is not cleared.
    const traces = [traceInput(c.versionId, { time: now, confidenceBps: 7000, action: "ACCEPTED", indication: 0, riskWarning: true }), traceInput(c.versionId, { time: now })];
    writeFileSync(f("evidence-traces.jsonl"), traces.map((t) => JSON.stringify(t)).join("\n"));
    await json("hospital", ["trace", "append", f("evidence-traces.jsonl"), "--vault", f("evidence-vault"), "--flush"]);
    for (const [i, t] of traces.entries()) await cli("hospital", ["trace", "receipt", t.traceId, "--vault", f("evidence-vault"), "--out", f(`evidence-receipt-${i}.json`)]);
    writeFileSync(f("evidence-narrative.txt"), "kept by the hospital");
    const reported = await json("hospital", ["incident", "report", f("evidence-receipt-0.json"), "--severity", "SEVERE", "--category", "MISDIAGNOSIS", "--occurred-at", String(now), "--narrative", f("evidence-narrative.txt")]);
    writeFileSync(f("evidence-follow-up.txt"), "biopsy");
    await json("hospital", ["incident", "finding", String(reported.incidentId), "--finding", "INCORRECT", "--follow-up", f("evidence-follow-up.txt")]);

    const shown = await cli("auditor", ["incident", "evidence", String(reported.incidentId), "--receipt", f("evidence-receipt-0.json"), "--out", f("pack.json")]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain("clinician: duties not proved");
    expect(shown.stdout).toMatch(/NOT met NO_BLIND_LOW_CONFIDENCE_ADOPTION: a low-confidence output \(7000 bps, TAKEOVER tier\) was ACCEPTED unchanged/);
    expect(shown.stdout).toMatch(/PROPOSAL \(ADOPTED_WRONG, not a determination\): developer 0% \/ hospital 0% \/ clinician 100%/);
    expect(shown.stdout).toContain(`evidence pack written to ${f("pack.json")}`);
    const pack = JSON.parse(readFileSync(f("pack.json"), "utf8"));
    const manifest = { chainId: c.deployment.chainId, addresses: c.deployment.addresses };
    expect(await verifyPack(pack, manifest, node.provider)).toEqual({ valid: true, reasons: [] });

    const bundle = await json("auditor", ["incident", "evidence", String(reported.incidentId), "--receipt", f("evidence-receipt-0.json"), "--fhir"]);
    expect(bundle.resourceType).toBe("Bundle");
    expect(bundle.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType).slice(0, 2)).toEqual(["AdverseEvent", "Provenance"]);

    await Promise.all([
      refused("auditor", ["incident", "evidence", "99", "--receipt", f("evidence-receipt-0.json")], "INCIDENT_UNKNOWN"),
      refused("auditor", ["incident", "evidence", String(reported.incidentId), "--receipt", f("evidence-receipt-1.json")], "INCIDENT_RECEIPT_NOT_THE_TRACE"),
      refused("auditor", ["incident", "evidence", String(reported.incidentId), "--receipt", f("evidence-receipt-0.json"), "--out", f("pack.json")], "FILE_EXISTS"),
    ]);
  });

  checkOwnedCommands(h, "incident-evidence.test.ts");
});
