/**
 * GET /consents/:subject/datasets (issue 14): the datasets whose custodians disclosed, by cohort
 * manifest, that they include the subject — for a patient who revoked nothing, which the
 * revocation-impact report cannot show. Per dataset: its custodian by name, the purposes it allows,
 * the subject's consents it relied on (at registration and now), the versions trained on it with
 * their status, and its recorded uses. A patient in no manifest sees none; another patient, a
 * hospital and a developer are refused by name; oversight reads the same answer.
 */
import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { ledgerFixture, ORG } from "../helpers/fixture";
import { registration, versionInput } from "../helpers/builders";
import { bearerFor } from "../helpers/api-fixture";
import { readOnly } from "../helpers/api-build";
import { Hospital } from "../../src/sdk";
import { NUMBERS, Purpose, RiskClass } from "../../src/constants";

/**
 * The patient's consents (research by hospital A, training by any member; nothing revoked), hospital
 * A's dataset of the patient and an outsider with its cohort manifest, hospital B's dataset with none,
 * and a version trained on hospital A's dataset.
 */
async function datasetsSeed() {
  const l = await ledgerFixture();
  const far = (await time.latest()) + 10 ** 7;
  // The patient consents to research by hospital A and to training by any member, and revokes nothing.
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.RESEARCH, ORG.HOSPITAL_A, far)).wait();
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.MODEL_TRAINING, NUMBERS.ANY_MEMBER, far)).wait();
  // Hospital A's dataset of the patient and an outsider, allowing a third purpose the patient never consented to.
  const dir = mkdtempSync(join(tmpdir(), "medprov-patient-datasets-"));
  const file = join(dir, "records.jsonl");
  writeFileSync(file, [l.patient.address, l.outsider.address].map((s, i) => JSON.stringify({ subject: s, ageBand: "18-44", sex: "FEMALE", region: "CENTRAL", grassroots: i === 0 })).join("\n"));
  const r = await new Hospital(l, l.hospitalA).registerDataset(file, { purposes: [Purpose.RESEARCH, Purpose.MODEL_TRAINING, Purpose.COMMERCIAL_USE], uri: "s3://hospital-a/cohort" });
  const datasetId = r.datasetId.toLowerCase();
  // A dataset of hospital B whose manifest never reaches the index.
  const reg = registration();
  const unlisted = (await l.datasets.connect(l.hospitalB).registerDataset.staticCall(reg)).toLowerCase();
  await (await l.datasets.connect(l.hospitalB).registerDataset(reg)).wait();
  await (await l.models.connect(l.developer).registerModel("cohort-model", "diagnosis", RiskClass.HIGH)).wait();
  const modelId = (await l.models.modelIdOf(ORG.DEVELOPER, "cohort-model")).toLowerCase();
  const input = versionInput([datasetId]);
  await (await l.models.connect(l.developer).registerVersion(modelId, input)).wait();
  const versionId = (await l.models.versionIdOf(modelId, input.weightsHash)).toLowerCase();
  await (await l.datasets.connect(l.hospitalA).recordUse(datasetId, Purpose.RESEARCH)).wait();
  return { l, datasetId, unlisted, versionId, modelId, manifest: JSON.parse(readFileSync(r.manifestPath, "utf8")) };
}

/** The seeded chain behind the describe's one app (these tests only read), whose index holds hospital A's cohort manifest; `get` asks it as `signer`. */
function sharedWorld() {
  const api = readOnly(datasetsSeed, {}, (w) => w.queries.addCohortManifestByRoot(w.manifest));
  return async () => {
    const w = await api();
    const get = async (url: string, signer?: Signer) => w.app.inject({ url, headers: signer ? { authorization: await bearerFor(w.app, signer) } : {} });
    return { ...w, get };
  };
}

describe("GET /consents/:subject/datasets", () => {
  const world = sharedWorld();
  it("a patient who revoked nothing sees the dataset that includes them: custodian, purposes, the consents it relied on, the version trained on it and its use", async () => {
    const { l, app, get, datasetId, unlisted, versionId, modelId } = await world();
    const impact = await get(`/consents/${l.patient.address}/revocation-impact`, l.patient);
    expect(impact.json(), "nothing revoked: the revocation report is empty").toEqual([]);
    const r = await get(`/consents/${l.patient.address}/datasets`, l.patient);
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body.subject).toBe(l.patient.address.toLowerCase());
    expect(body.datasetsWithoutManifest).toEqual([unlisted]);
    expect(body.datasets).toHaveLength(1);
    const d = body.datasets[0];
    expect(d).toMatchObject({ datasetId, uri: "s3://hospital-a/cohort", custodian: ORG.HOSPITAL_A, custodianName: expect.any(String), statusName: "ACTIVE", allowedPurposesNames: ["RESEARCH", "MODEL_TRAINING", "COMMERCIAL_USE"] });
    const members = (await app.inject({ url: "/members" })).json() as { orgId: number; name: string }[];
    expect(d.custodianName).toBe(members.find((m) => m.orgId === ORG.HOSPITAL_A)!.name);
    // The slot that let hospital A hold the data for each purpose when it registered it, and whether it holds now.
    expect(d.consents.map((c: { purposeName: string; grantee: number; granteeName: string | null; heldAtRegistration: boolean; heldNow: boolean }) => [c.purposeName, c.grantee, c.granteeName, c.heldAtRegistration, c.heldNow])).toEqual([
      ["RESEARCH", ORG.HOSPITAL_A, d.custodianName, true, true],
      ["MODEL_TRAINING", NUMBERS.ANY_MEMBER, "any member", true, true],
      ["COMMERCIAL_USE", ORG.HOSPITAL_A, d.custodianName, false, false],
    ]);
    expect(d.versions).toHaveLength(1);
    expect(d.versions[0]).toMatchObject({ versionId, modelId, modelName: "cohort-model", developer: ORG.DEVELOPER, developerName: members.find((m) => m.orgId === ORG.DEVELOPER)!.name, statusName: "SUBMITTED", consented: true });
    expect(d.versions[0].registeredTimeIso).toBe(new Date(d.versions[0].registeredTime * 1000).toISOString());
    expect(d.uses.map((u: { orgName: string; purposeName: string; consented: boolean }) => [u.orgName, u.purposeName, u.consented])).toEqual([[d.custodianName, "RESEARCH", true]]);
  });

  it("a patient in no custodian's manifest sees no dataset, and which datasets cannot tell", async () => {
    const { l, get, unlisted } = await world();
    const r = await get(`/consents/${l.patient2.address}/datasets`, l.patient2);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ subject: l.patient2.address.toLowerCase(), datasets: [], datasetsWithoutManifest: [unlisted] });
  });

  it("another patient, a hospital and a developer are refused by name; anonymous is asked to sign in; oversight reads the patient's answer", async () => {
    const { l, get } = await world();
    const url = `/consents/${l.patient.address}/datasets`;
    const other = await get(url, l.patient2);
    expect([other.statusCode, other.json().error.code]).toEqual([403, "FORBIDDEN"]);
    expect(other.json().error.message).toMatch(/only their own/);
    const hospital = await get(url, l.hospitalA);
    expect([hospital.statusCode, hospital.json().error.code]).toEqual([403, "FORBIDDEN"]);
    expect(hospital.json().error.message).toMatch(/other custodians' datasets/);
    expect((await get(url, l.developer)).statusCode).toBe(403);
    expect([(await get(url)).statusCode, (await get(url)).json().error.code]).toEqual([401, "UNAUTHENTICATED"]);
    const own = (await get(url, l.patient)).json();
    for (const overseer of [l.auditor, l.regulator]) expect((await get(url, overseer)).json()).toEqual(own);
  });

  it("docs/reports.md names every field of the answer", async () => {
    const { l, get } = await world();
    const body = (await get(`/consents/${l.patient.address}/datasets`, l.patient)).json();
    const doc = readFileSync(join(__dirname, "..", "..", "docs", "reports.md"), "utf8");
    const section = doc.slice(doc.indexOf("## `GET /consents/:subject/datasets`"), doc.indexOf("## `GET /reports/fairness-alerts`"));
    const d = body.datasets[0];
    // Words beside numbers (…Name, …Names, …Iso) are the API's general rule (src/api/words.ts), not this section's.
    const fields = [body, d, d.consents[0], d.versions[0], d.uses[0]].flatMap((o) => Object.keys(o)).filter((k) => !/(Name|Names|Iso)$/.test(k));
    expect([...new Set(fields)].filter((k) => !section.includes(`\`${k}\``) && !["subject", "datasetId", "versionId", "modelId", "modelName", "developer", "registeredBlock", "org", "purpose", "block", "time", "tx"].includes(k))).toEqual([]);
  });
});
