/**
 * The access table (src/api/access.ts) over every route, in-process (Fastify inject) over the
 * route files' shared ledger (auditSeed): every role × every route answers the status its rule
 * gives, and scoping within a rule (another patient, another hospital, a delegate).
 */
import { describe, it, expect } from "vitest";
import type { Signer } from "ethers";
import { ORG } from "../helpers/fixture";
import { errorOf } from "../helpers/error-body";
import { auditSeed, sessionFor } from "../helpers/api-fixture";
import { build } from "../helpers/api-build";
import { Purpose } from "../../src/constants";
import { ACCESS_RULES, allowed, type Access, type CallerKind } from "../../src/api";

type World = Awaited<ReturnType<typeof auditSeed>>;

describe("access matrix: every role × every route", () => {
  const roles: CallerKind[] = ["anonymous", "patient", "HOSPITAL", "MODEL_DEVELOPER", "REGULATOR", "AUDITOR", "APPRAISER"];
  const routes = ({ l, ids, receipts }: World): [string, string, Access, unknown?][] => [
    ["GET", "/healthz", "public"],
    ["GET", "/readyz", "public"],
    ["GET", "/metrics", "public"],
    ["GET", "/openapi.json", "public"],
    ["GET", "/members", "public"],
    ["GET", "/models", "public"],
    ["GET", `/models/${ids.modelId}`, "public"],
    ["GET", `/versions/${ids.versionId}`, "public"],
    ["GET", `/datasets/${ids.datasetId}`, "public"],
    ["GET", `/datasets/${ids.datasetId}/lineage`, "public"],
    ["GET", `/versions/${ids.versionId}/deployments`, "members"],
    ["GET", `/versions/${ids.versionId}/reports`, "members"],
    ["GET", `/versions/${ids.versionId}/alerts`, "members"],
    ["GET", `/datasets/${ids.datasetId}/uses`, "hospital"],
    ["GET", `/consents/${l.patient.address}`, "subject"],
    ["GET", `/consents/${l.patient.address}/history`, "subject"],
    ["GET", `/consents/${l.patient.address}/valid?purpose=1&grantee=1`, "subject"],
    ["GET", "/batches", "hospital"],
    ["POST", "/verify", "verify", { receipts: [receipts[0]] }],
    ["GET", `/reports/recall-impact/${ids.versionId}`, "oversight"],
    ["GET", `/reports/revocation-impact/${l.patient.address}`, "oversight"],
    ["GET", "/reports/fairness-alerts", "oversight"],
    ["POST", "/reports/traces", "oversight", { receipts }],
    ["GET", `/fhir/Consent?patient=${l.patient.address}`, "subject"],
    ["GET", `/fhir/Provenance?version=${ids.versionId}`, "public"],
    ["GET", `/fhir/Provenance?batch=${receipts[0].batchId}`, "hospital"],
    ["GET", "/fhir/AuditEvent", "members"],
    // issue 17: lists, the FHIR endpoint's discovery and reads
    ["GET", "/datasets", "public"],
    ["GET", "/versions", "public"],
    ["GET", "/fhir/metadata", "public"],
    ["GET", "/fhir/Organization", "public"],
    ["GET", `/fhir/Organization/${ORG.HOSPITAL_A}`, "public"],
    ["GET", "/fhir/Device", "public"],
    ["GET", `/fhir/Device/${ids.versionId.slice(2)}`, "public"],
    ["GET", "/fhir/CodeSystem", "public"],
    ["GET", "/fhir/CodeSystem/purpose", "public"],
    ["GET", `/fhir/Consent/consent-${l.patient.address.toLowerCase().slice(2)}-${Purpose.CLINICAL_DECISION_SUPPORT}-${ORG.HOSPITAL_A}`, "subject"],
    ["GET", `/fhir/Provenance/${ids.versionId.slice(2)}`, "public"],
    ["GET", `/fhir/Provenance/${receipts[0].batchId.slice(2)}`, "hospital"],
  ];
  it("answers each cell with the status the access table gives", async (t) => {
    const w = await build(t, auditSeed);
    const { l, app } = w;
    const signers: Record<CallerKind, Signer | undefined> = { anonymous: undefined, patient: l.patient, HOSPITAL: l.hospitalA, MODEL_DEVELOPER: l.developer, REGULATOR: l.regulator, AUDITOR: l.auditor, APPRAISER: l.spare[0] };
    let cells = 0;
    for (const role of roles) {
      const session = signers[role] ? await sessionFor(app, signers[role]!) : undefined;
      for (const [method, url, access, payload] of routes(w)) {
        const r = await app.inject({ method: method as "GET", url, payload: payload as object, headers: session ? { authorization: `Bearer ${session}` } : {} });
        const expected = allowed(access, role) ? 200 : role === "anonymous" ? 401 : 403;
        expect(r.statusCode, `${role} ${method} ${url}: ${r.body.slice(0, 200)}`).toBe(expected);
        if (expected !== 200) expect(errorOf(r.json())?.code).toBe(role === "anonymous" ? "UNAUTHENTICATED" : "FORBIDDEN");
        cells++;
      }
    }
    expect(cells).toBe(roles.length * routes(w).length);
    expect(Object.keys(ACCESS_RULES).sort()).toEqual(["hospital", "members", "oversight", "public", "subject", "verify"]);
  });

  it("scopes within a rule: another patient, another hospital, another hospital's batches", async (t) => {
    const { l, app, ids, reindex } = await build(t, auditSeed);
    const other = await sessionFor(app, l.patient2);
    expect((await app.inject({ url: `/consents/${l.patient.address}`, headers: { authorization: `Bearer ${other}` } })).statusCode).toBe(403);
    const b = await sessionFor(app, l.hospitalB);
    expect((await app.inject({ url: `/datasets/${ids.datasetId}/uses`, headers: { authorization: `Bearer ${b}` } })).statusCode).toBe(403);
    expect((await app.inject({ url: "/batches?hospital=1", headers: { authorization: `Bearer ${b}` } })).statusCode).toBe(403);
    expect((await app.inject({ url: "/batches", headers: { authorization: `Bearer ${b}` } })).json().batches).toEqual([]);
    // Hospital B sees only the consent that names it.
    const seen = (await app.inject({ url: `/consents/${l.patient.address}`, headers: { authorization: `Bearer ${b}` } })).json();
    expect(seen.map((c: { grantee: number }) => c.grantee)).toEqual([ORG.HOSPITAL_B]);
    // A delegate (guardian) sees the subject's consents.
    await (await l.consents.connect(l.patient).appointDelegate(l.guardian.address)).wait();
    await reindex();
    const g = await sessionFor(app, l.guardian);
    expect((await app.inject({ url: `/consents/${l.patient.address}`, headers: { authorization: `Bearer ${g}` } })).json()).toHaveLength(2);
  });
});
