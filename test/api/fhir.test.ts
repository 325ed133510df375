/**
 * The FHIR R4 export (src/api/routes/fhir.ts) over the route files' shared ledger (auditSeed):
 * Consent per subject, Provenance of a model version and of a trace batch, AuditEvent of the
 * ledger's status changes; each answer validated against R4 (test/helpers/fhir-validate.ts).
 */
import { describe, it, expect } from "vitest";
import type { Signer } from "ethers";
import type { FastifyInstance } from "fastify";
import { ORG } from "../helpers/fixture";
import { fhirProblems } from "../helpers/fhir-validate";
import { errorOf } from "../helpers/error-body";
import { auditSeed, sessionFor } from "../helpers/api-fixture";
import { readOnly } from "../helpers/api-build";

/** A FHIR search on `app` (signed in as `signer`, if given) that must answer a valid R4 Bundle. */
const bundler = (app: FastifyInstance) => async (url: string, signer?: Signer) => {
  const r = await app.inject({ url, headers: signer ? { authorization: `Bearer ${await sessionFor(app, signer)}` } : {} });
  expect(r.statusCode, r.body.slice(0, 200)).toBe(200);
  expect(r.headers["content-type"]).toMatch(/^application\/fhir\+json/);
  const b = r.json();
  expect(fhirProblems(b)).toEqual([]);
  return b as { total: number; entry: { resource: Record<string, any> }[] };
};

describe("FHIR R4 export", () => {
  const api = readOnly(auditSeed);
  it("Consent per subject: valid R4, one per slot, scoped like /consents", async () => {
    const { l, app } = await api();
    const bundle = bundler(app);
    const all = await bundle(`/fhir/Consent?patient=${l.patient.address}`, l.auditor);
    expect(all.entry.map((e) => [e.resource.status, e.resource.provision.purpose[0].code]).sort()).toEqual([["active", "CLINICAL_DECISION_SUPPORT"], ["active", "HRESCH"]]);
    const seenByB = await bundle(`/fhir/Consent?patient=${l.patient.address}`, l.hospitalB);
    expect(seenByB.entry.map((e) => e.resource.provision.actor[0].reference.identifier.value)).toEqual([String(ORG.HOSPITAL_B)]);
    const r = await app.inject({ url: `/fhir/Consent?patient=${l.patient.address}`, headers: { authorization: `Bearer ${await sessionFor(app, l.patient2)}` } });
    expect(r.statusCode).toBe(403);
  });

  it("Provenance for a model version and a trace batch: valid R4, naming the ledger's facts", async () => {
    const { l, app, ids, receipts } = await api();
    const bundle = bundler(app);
    const v = (await bundle(`/fhir/Provenance?version=${ids.versionId}`)).entry[0].resource;
    expect(v.target[0].identifier.value).toBe(ids.versionId.toLowerCase());
    expect(v.entity.map((e: any) => e.what.identifier.value)).toContain(ids.datasetId.toLowerCase());
    expect(v.agent.map((a: any) => a.type.coding[0].code)).toEqual(["author", "verifier"]);
    const b = (await bundle(`/fhir/Provenance?batch=${receipts[0].batchId}`, l.auditor)).entry[0].resource;
    expect(b.extension.find((e: any) => e.url.endsWith("trace-count")).valueInteger).toBe(2);
    expect(b.agent[1].who.identifier.value).toBe(ids.versionId.toLowerCase());
    const other = await app.inject({ url: `/fhir/Provenance?batch=${receipts[0].batchId}`, headers: { authorization: `Bearer ${await sessionFor(app, l.hospitalB)}` } });
    expect([other.statusCode, errorOf(other.json())?.code]).toEqual([403, "FORBIDDEN"]);
  });

  it("AuditEvent for membership, key and version status changes, in chain order", async () => {
    const { l, app } = await api();
    const bundle = bundler(app);
    const events = (await bundle("/fhir/AuditEvent", l.regulator)).entry.map((e) => e.resource);
    const kinds = new Set(events.map((e) => e.subtype[0].code));
    for (const k of ["MemberAdmitted", "KeyAdded", "MemberStatusChanged", "VersionStatusChanged:APPROVED"]) expect(kinds).toContain(k);
    const times = events.map((e) => e.recorded);
    expect(times).toEqual([...times].sort());
    const last = Date.parse(times.at(-1)) / 1000;
    expect((await bundle(`/fhir/AuditEvent?since=${last}`, l.regulator)).total).toBe(times.filter((x) => Date.parse(x) / 1000 >= last).length);
    expect((await bundle(`/fhir/AuditEvent?since=${last + 1}`, l.regulator)).total).toBe(0);
  });
});
