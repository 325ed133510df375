/**
 * GET /incidents/:id/evidence (issue 18), in-process: registered inside buildApp's context as the
 * wiring in src/api/routes/incident-evidence.ts says, with an in-memory receipt store standing in
 * for the hospital-filed receipts (src/api/incident-receipts.ts). The pack and its FHIR Bundle, the
 * role scoping (oversight, the reporting hospital, the version's developer, the patient the receipt
 * names; nobody else), and named errors: unknown incident 404, no receipt filed 409, bad id 400.
 */
import { describe, it, expect, type TestContext } from "vitest";
import hre from "hardhat";
import { indexFresh } from "../helpers/indexing";
import { AUTH, bearerFor } from "../helpers/api-fixture";
import { closeAfter, seeded } from "../helpers/api-build";
import { anchorOne, decision, evidenceWorld, incidentOf, evidenceDeployment } from "../helpers/evidence-world";
import { verifyPack } from "../helpers/evidence-verifier";
import { createQueries } from "../../src/indexer";
import { buildApp, createFastify } from "../../src/api";
import { incidentEvidenceRoutes } from "../../src/api/routes/incident-evidence";
import type { TraceReceipt } from "../../src/sdk";

/** The evidence world with two incidents on hospital A's traces: one with its finding (INCORRECT) and its receipt to file, one without. */
async function evidenceSeed() {
  const w = await evidenceWorld();
  const receipt = await anchorOne(w.l, await decision(w.l, w.versionId));
  const filedId = await incidentOf(w.l, receipt, "INCORRECT");
  const other = await anchorOne(w.l, await decision(w.l, w.versionId));
  const unfiledId = await incidentOf(w.l, other);
  const deployment = await evidenceDeployment(w.l);
  return { ...w, deployment, receipt, filedId, unfiledId };
}

/** The seeded chain behind an app of test `t`'s own with the evidence route, the filed incident's receipt in its store; closed when `t` finishes. */
async function evidenceApi(t: TestContext) {
  const { deployment, receipt, filedId, ...w } = await seeded(evidenceSeed);
  const { store } = await indexFresh(deployment);
  const filed = new Map<number, TraceReceipt>([[filedId, receipt]]);
  const receipts = { get: async (id: number) => filed.get(id) };
  const app = createFastify({});
  closeAfter(t, app, store);
  await app.register(async (child) => {
    await buildApp(child, { queries: createQueries(store), ledger: w.l, deployment, provider: hre.ethers.provider, auth: AUTH, rateLimit: 1_000_000 });
    incidentEvidenceRoutes(child, { receipts, ledger: w.l, deployment });
  });
  await app.ready();
  return { ...w, app, deployment, filedId };
}

describe("GET /incidents/:id/evidence", () => {
  it("answers the pack (verifiable offline) and, with ?format=fhir, its FHIR Bundle", async (t) => {
    const f = await evidenceApi(t);
    const auth = await bearerFor(f.app, f.l.regulator);
    const r = await f.app.inject({ url: `/incidents/${f.filedId}/evidence`, headers: { authorization: auth } });
    expect(r.statusCode, r.body).toBe(200);
    const pack = r.json();
    expect([pack.format, pack.incident.id, pack.liabilityCase, pack.proposal.label]).toEqual(["medprov-evidence-pack/1", f.filedId, "ADOPTED_WRONG", "PROPOSAL"]);
    expect(await verifyPack(pack, { chainId: f.deployment.chainId, addresses: f.deployment.addresses }, hre.ethers.provider)).toEqual({ valid: true, reasons: [] });
    const fhir = await f.app.inject({ url: `/incidents/${f.filedId}/evidence?format=fhir`, headers: { authorization: auth } });
    expect(fhir.statusCode).toBe(200);
    expect([fhir.json().resourceType, fhir.json().type, fhir.json().entry[0].resource.resourceType]).toEqual(["Bundle", "collection", "AdverseEvent"]);
  });

  it("role-scoped: oversight, the reporting hospital, the version's developer and the patient the receipt names read it; another hospital, developer or patient is refused; anonymous must sign in", async (t) => {
    const f = await evidenceApi(t);
    const status = async (signer?: Parameters<typeof bearerFor>[1]) => {
      const headers = signer ? { authorization: await bearerFor(f.app, signer) } : undefined;
      const r = await f.app.inject({ url: `/incidents/${f.filedId}/evidence`, headers });
      return r.statusCode === 200 ? 200 : `${r.statusCode} ${r.json().error.code}`;
    };
    const l = f.l;
    const allowed = [l.regulator, l.auditor, f.appraiser, l.hospitalA, l.developer, l.patient];
    for (const s of allowed) expect(await status(s), await s.getAddress()).toBe(200);
    for (const s of [l.hospitalB, l.developerB, l.patient2]) expect(await status(s), await s.getAddress()).toBe("403 FORBIDDEN");
    expect(await status()).toBe("401 UNAUTHENTICATED");
  });

  it("names what is wrong: an unknown incident 404, no receipt filed yet 409, a malformed id or format 400", async (t) => {
    const f = await evidenceApi(t);
    const headers = { authorization: await bearerFor(f.app, f.l.auditor) };
    const ask = async (url: string) => {
      const r = await f.app.inject({ url, headers });
      return [r.statusCode, r.json().error?.code];
    };
    expect(await ask(`/incidents/99/evidence`)).toEqual([404, "INCIDENT_UNKNOWN"]);
    expect(await ask(`/incidents/${f.unfiledId}/evidence`)).toEqual([409, "EVIDENCE_NO_RECEIPT"]);
    expect(await ask(`/incidents/abc/evidence`)).toEqual([400, "BAD_REQUEST"]);
    expect(await ask(`/incidents/${f.filedId}/evidence?format=xml`)).toEqual([400, "BAD_REQUEST"]);
  });
});
