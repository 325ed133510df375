/**
 * The incident routes (issue 18) over an indexed in-process ledger: who sees which incident (each
 * role, and the patient concerned only once the reporting hospital filed the trace's receipt; another
 * patient never), the catalogue in words, the named refusals of a filing (unknown incident, another
 * hospital, a receipt of another trace, a second different receipt), and receipts kept across a
 * reopening of the store (a new API process over the same directory).
 */
import { describe, it, expect, type TestContext } from "vitest";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Signer } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { INDICATIONS, deployed, modelWithVersion, versionInput } from "../helpers/builders";
import { bearerFor } from "../helpers/api-fixture";
import { seeded, serve } from "../helpers/api-build";
import { anchorOne, hashOf } from "../helpers/incidents";
import { Appraiser, Hospital } from "../../src/sdk";
import { DEFAULT_INCIDENT_CATEGORIES, RiskClass, Role } from "../../src/constants";
import { IncidentReceipts } from "../../src/api";

/** An approved version of developer B's, deployed by both hospitals (trained on incident 1's version's dataset). */
async function versionOfDeveloperB(l: Ledger, datasetId: string) {
  const modelId = await l.models.connect(l.developerB).registerModel.staticCall("triage-b", "triage", RiskClass.HIGH);
  await (await l.models.connect(l.developerB).registerModel("triage-b", "triage", RiskClass.HIGH)).wait();
  const input = versionInput([datasetId]);
  const versionId = await l.models.connect(l.developerB).registerVersion.staticCall(modelId, input);
  await (await l.models.connect(l.developerB).registerVersion(modelId, input)).wait();
  await (await l.models.connect(l.regulator).approveVersion(versionId, "NMPA-B", RiskClass.HIGH, INDICATIONS)).wait();
  await deployed(l, versionId);
  return { versionId };
}

/**
 * Incident 1: hospital A, the developer's version, about `patient` (determined). Incident 2: hospital A,
 * about a stranger. Incident 3: hospital B, developer B's version, about `patient2`.
 */
async function world() {
  const l = await ledgerFixture();
  const appraiser = l.spare[0];
  await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("admitMember", ["Medical Appraisal Board", Role.APPRAISER, [appraiser.address]]) });
  const v1 = await modelWithVersion(l, { approve: true, deploy: true });
  const v2 = await versionOfDeveloperB(l, v1.datasetId);
  const r1 = await anchorOne(l, l.hospitalA, v1.versionId, l.patient.address);
  const r2 = await anchorOne(l, l.hospitalA, v1.versionId, l.outsider.address);
  const r3 = await anchorOne(l, l.hospitalB, v2.versionId, l.patient2.address);
  const now = await time.latest();
  const facts = (s: string) => ({ severity: "SEVERE", category: "MISDIAGNOSIS", occurredAt: now, narrativeHash: hashOf(s) });
  await new Hospital(l, l.hospitalA).reportIncident(r1, facts("one"));
  await new Hospital(l, l.hospitalA).reportIncident(r2, facts("two"));
  await time.increase(100); // incident 3 is reported in a later second than 1 and 2 (the time filter's test)
  await new Hospital(l, l.hospitalB).reportIncident(r3, facts("three"));
  await new Hospital(l, l.hospitalA).recordFinding(1, "INCORRECT", hashOf("follow-up"));
  await new Appraiser(l, appraiser).determine(1, { developer: 4000, hospital: 0, clinician: 6000 }, hashOf("ruling"));
  return { l, appraiser, receipts: [r1, r2, r3], versions: [v1.versionId, v2.versionId] };
}

type World = Awaited<ReturnType<typeof world>>;

/** An app of test `t`'s own over `w`'s chain keeping filed receipts in `dir` (closed when `t` finishes); `as` asks it as a signer. */
async function api(t: TestContext, w: World, dir = mkdtempSync(join(tmpdir(), "medprov-incident-receipts-"))) {
  const built = await serve(t, w.l, { rateLimit: 1_000_000, incidentReceipts: new IncidentReceipts(dir) });
  const bearers = new Map<Signer, string>();
  const as = async (signer: Signer | undefined, method: "GET" | "POST", url: string, payload?: unknown) => {
    if (signer && !bearers.has(signer)) bearers.set(signer, await bearerFor(built.app, signer));
    return built.app.inject({ method, url, payload: payload as never, headers: signer ? { authorization: bearers.get(signer)! } : {} });
  };
  return { ...built, dir, as };
}

const ids = (body: { incidents: { incidentId: number }[] }) => body.incidents.map((i) => i.incidentId);
const listed = async (a: Awaited<ReturnType<typeof api>>, who: Signer | undefined, query = "") => {
  const r = await a.as(who, "GET", `/incidents${query}`);
  return r.statusCode === 200 ? ids(r.json()) : r.statusCode;
};
const code = (r: { json(): { error?: { code: string } } }) => r.json().error?.code;

describe("API: incidents", () => {
  it("scopes the list and each incident by role: oversight all, a hospital its own, a developer its versions', a patient only once the receipt about them is filed", async (t) => {
    const w = await seeded(world);
    const a = await api(t, w);
    for (const who of [w.l.regulator, w.l.auditor, w.appraiser]) expect(await listed(a, who)).toEqual([1, 2, 3]);
    expect(await listed(a, w.l.hospitalA)).toEqual([1, 2]);
    expect(await listed(a, w.l.hospitalB)).toEqual([3]);
    expect(await listed(a, w.l.developer)).toEqual([1, 2]);
    expect(await listed(a, w.l.developerB)).toEqual([3]);
    expect(await listed(a, undefined)).toBe(401);
    // Before any receipt is filed no patient sees anything: the chain holds no subject for an incident.
    expect(await listed(a, w.l.patient)).toEqual([]);
    expect(code(await a.as(w.l.patient, "GET", "/incidents/1"))).toBe("FORBIDDEN");

    expect((await a.as(w.l.hospitalA, "POST", "/incidents/1/receipt", w.receipts[0])).json()).toEqual({ incidentId: 1, filed: true, batchId: w.receipts[0].batchId, seq: w.receipts[0].record.seq });
    expect(await listed(a, w.l.patient)).toEqual([1]);
    expect(await listed(a, w.l.patient2)).toEqual([]); // a patient who is not the subject sees nothing
    expect(code(await a.as(w.l.patient2, "GET", "/incidents/1"))).toBe("FORBIDDEN");
    const one = (await a.as(w.l.patient, "GET", "/incidents/1")).json();
    expect(one).toMatchObject({
      incidentId: 1, hospital: ORG.HOSPITAL_A, hospitalName: "Hospital A", severityName: "SEVERE", categoryName: "MISDIAGNOSIS", findingName: "INCORRECT", receiptFiled: true, determined: true,
      determination: { appraiser: 8, appraiserName: "Medical Appraisal Board", shares: { developer: 4000, developerPercent: 40, clinician: 6000, clinicianPercent: 60 } },
    });
    expect(one.reportedAtIso).toBe(new Date(one.reportedAt * 1000).toISOString());
    expect(code(await a.as(w.l.hospitalB, "GET", "/incidents/1"))).toBe("FORBIDDEN");
    expect(code(await a.as(w.l.developerB, "GET", "/incidents/1"))).toBe("FORBIDDEN");
    expect((await a.as(w.l.developer, "GET", "/incidents/1")).statusCode).toBe(200);
    expect((await a.as(w.l.hospitalB, "GET", "/incidents/3")).json()).toMatchObject({ incidentId: 3, determination: null, receiptFiled: false, findingName: "NONE" });
    // The evidence pack is served by the same app from the filed receipt; before filing, a named 409.
    const pack = await a.as(w.l.patient, "GET", "/incidents/1/evidence");
    expect(pack.statusCode).toBe(200);
    expect(pack.json()).toMatchObject({ format: "medprov-evidence-pack/1", incident: { id: 1 }, decision: { subject: w.receipts[0].record.subject } });
    expect(code(await a.as(w.l.patient2, "GET", "/incidents/1/evidence"))).toBe("FORBIDDEN");
    expect(code(await a.as(w.l.hospitalB, "GET", "/incidents/3/evidence"))).toBe("EVIDENCE_NO_RECEIPT");
  });

  it("filters by hospital, version and reporting time; a hospital asking for another's is refused", async (t) => {
    const w = await seeded(world);
    const a = await api(t, w);
    expect(await listed(a, w.l.regulator, `?hospital=${ORG.HOSPITAL_B}`)).toEqual([3]);
    expect(await listed(a, w.l.regulator, `?version=${w.versions[0]}`)).toEqual([1, 2]);
    const third = (await a.as(w.l.regulator, "GET", "/incidents/3")).json();
    expect(await listed(a, w.l.regulator, `?from=${third.reportedAt}`)).toEqual([3]);
    expect(await listed(a, w.l.regulator, `?to=${third.reportedAt - 1}`)).toEqual([1, 2]);
    expect(code(await a.as(w.l.regulator, "GET", "/incidents?from=10&to=5"))).toBe("CONTRADICTORY_PARAMETERS");
    expect(code(await a.as(w.l.hospitalA, "GET", `/incidents?hospital=${ORG.HOSPITAL_B}`))).toBe("FORBIDDEN");
  });

  it("answers the catalogue in words: categories, severities, findings and the weighting in basis points with percentages", async (t) => {
    const w = await seeded(world);
    const a = await api(t, w);
    const c = (await a.as(undefined, "GET", "/incidents/catalogue")).json();
    expect(c.categories.map((x: { name: string }) => x.name)).toEqual([...DEFAULT_INCIDENT_CATEGORIES]);
    expect(c.severities[0]).toEqual({ id: 1, name: "MILD" });
    expect(c.findings.map((x: { name: string }) => x.name)).toEqual(["CORRECT", "INCORRECT", "INDETERMINATE"]);
    expect(c.weighting[0]).toMatchObject({ liabilityCase: 1, liabilityCaseName: "ADOPTED_WRONG", shares: { developer: 4000, developerPercent: 40, hospital: 0, clinician: 6000, clinicianPercent: 60 } });
    expect(c.weighting[1]).toMatchObject({ liabilityCaseName: "REJECTED_CORRECT", shares: { developer: 6000, clinician: 4000 } });
  });

  it("refuses bad filings by name and changes nothing: bad or unknown ids, another hospital, oversight, another trace's receipt, a malformed one, a second different receipt", async (t) => {
    const w = await seeded(world);
    const a = await api(t, w);
    expect((await a.as(w.l.regulator, "GET", "/incidents/abc")).statusCode).toBe(400);
    expect(code(await a.as(w.l.regulator, "GET", "/incidents/0"))).toBe("BAD_REQUEST");
    expect([(await a.as(w.l.regulator, "GET", "/incidents/99")).statusCode, code(await a.as(w.l.regulator, "GET", "/incidents/99"))]).toEqual([404, "INCIDENT_UNKNOWN"]);
    expect(code(await a.as(w.l.hospitalA, "POST", "/incidents/99/receipt", w.receipts[0]))).toBe("INCIDENT_UNKNOWN");
    const notReporter = await a.as(w.l.hospitalB, "POST", "/incidents/1/receipt", w.receipts[0]);
    expect([notReporter.statusCode, code(notReporter)]).toEqual([403, "INCIDENT_NOT_REPORTER"]);
    expect(code(await a.as(w.l.regulator, "POST", "/incidents/1/receipt", w.receipts[0]))).toBe("INCIDENT_NOT_REPORTER");
    expect((await a.as(w.l.patient, "POST", "/incidents/1/receipt", w.receipts[0])).statusCode).toBe(403);
    const otherTrace = await a.as(w.l.hospitalA, "POST", "/incidents/1/receipt", w.receipts[1]);
    expect([otherTrace.statusCode, code(otherTrace)]).toEqual([400, "INCIDENT_RECEIPT_NOT_THE_TRACE"]);
    const tampered = { ...w.receipts[0], record: { ...w.receipts[0].record, subject: w.l.patient2.address.toLowerCase() } };
    expect(code(await a.as(w.l.hospitalA, "POST", "/incidents/1/receipt", tampered))).toBe("INCIDENT_RECEIPT_MISMATCH");
    expect(code(await a.as(w.l.hospitalA, "POST", "/incidents/1/receipt", { format: "nope" }))).toBe("RECEIPT_MALFORMED");
    expect(readdirSync(a.dir)).toEqual([]); // nothing was kept
    expect(await listed(a, w.l.patient2)).toEqual([]);

    expect((await a.as(w.l.hospitalA, "POST", "/incidents/2/receipt", w.receipts[1])).statusCode).toBe(200);
    expect((await a.as(w.l.hospitalA, "POST", "/incidents/2/receipt", w.receipts[1])).statusCode).toBe(200); // the same again: idempotent
    // A different receipt for incident 2 cannot be its trace; the store itself refuses a second one too.
    const store = new IncidentReceipts(a.dir);
    await expect(store.put(2, w.receipts[0])).rejects.toMatchObject({ code: "INCIDENT_RECEIPT_CONFLICT" });
    expect((await store.get(2))?.leaf).toBe(w.receipts[1].leaf);
  });

  it("keeps filed receipts across a restart: a new API over the same directory shows the patient their incident", async (t) => {
    const w = await seeded(world);
    const first = await api(t, w);
    expect((await first.as(w.l.hospitalB, "POST", "/incidents/3/receipt", w.receipts[2])).statusCode).toBe(200);
    await first.app.close();
    const second = await api(t, w, first.dir);
    expect(await listed(second, w.l.patient2)).toEqual([3]);
    expect((await second.as(w.l.patient2, "GET", "/incidents/3")).json()).toMatchObject({ incidentId: 3, receiptFiled: true });
    expect(await new IncidentReceipts(first.dir).get(3)).toEqual(JSON.parse(JSON.stringify(w.receipts[2])));
  });
});
