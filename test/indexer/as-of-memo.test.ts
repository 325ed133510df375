/**
 * As-of lookups ("valid at the time") read the ledger generations (meta:generations) once per query,
 * not once per slot judged: a consent check that looks up three slots reads it once; a patient's
 * datasets (a slot per allowed purpose, a check per version and use) read it once in all. Counted
 * on the store's reads; the answers are those of the lookups without the memo.
 */
import { describe, it, expect, vi } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG } from "../helpers/fixture";
import { deploymentOf, indexFresh } from "../helpers/indexing";
import { h, versionInput } from "../helpers/builders";
import { Hospital } from "../../src/sdk";
import { Purpose, RiskClass } from "../../src/constants";
import { createQueries } from "../../src/indexer";

async function world() {
  const l = await ledgerFixture();
  const patient = l.patient.address;
  const far = (await time.latest()) + 10 ** 7;
  // Hospital A's own slot revoked; the "any member" slot granted: a check for A looks up three slots.
  await (await l.consents.connect(l.patient).grantConsent(patient, Purpose.RESEARCH, ORG.HOSPITAL_A, far)).wait();
  await (await l.consents.connect(l.patient).revokeConsent(patient, Purpose.RESEARCH, ORG.HOSPITAL_A)).wait();
  for (const p of [Purpose.RESEARCH, Purpose.MODEL_TRAINING]) await (await l.consents.connect(l.patient).grantConsent(patient, p, 0, far)).wait();
  const file = join(mkdtempSync(join(tmpdir(), "medprov-memo-")), "records.jsonl");
  writeFileSync(file, JSON.stringify({ subject: patient, ageBand: "18-44", sex: "MALE", region: "CENTRAL", grassroots: true }));
  const d = await new Hospital(l, l.hospitalA).registerDataset(file, { purposes: [Purpose.RESEARCH, Purpose.MODEL_TRAINING], uri: "s3://x" });
  const modelId = await l.models.modelIdOf(ORG.DEVELOPER, "cxr");
  await (await l.models.connect(l.developer).registerModel("cxr", "diagnosis", RiskClass.HIGH)).wait();
  for (const seed of ["a", "b"]) await (await l.models.connect(l.developer).registerVersion(modelId, versionInput([d.datasetId], { weightsHash: h(seed) }))).wait();
  const { store } = await indexFresh(await deploymentOf(l));
  await createQueries(store).addCohortManifestByRoot(JSON.parse(readFileSync(d.manifestPath, "utf8")));
  return { l, store, patient, now: { time: await time.latest() } };
}

describe("as-of lookups: meta:generations once per query", () => {
  it("a consent check over three slots, and a patient's datasets over many, each read the generations once", async () => {
    const { store, patient, now } = await loadFixture(world);
    const q = createQueries(store);
    const expectedValid = await q.consentValidAt(patient, Purpose.RESEARCH, ORG.HOSPITAL_A, now);
    const expectedDatasets = JSON.stringify(await q.subjectDatasets(patient, now));
    const get = vi.spyOn(store, "get");
    const generationReads = () => get.mock.calls.filter(([key]) => key === "meta:generations").length;
    try {
      expect(await q.consentValidAt(patient, Purpose.RESEARCH, ORG.HOSPITAL_A, now)).toBe(expectedValid);
      expect(expectedValid).toBe(true); // by the "any member" slot, after the member's status
      expect(generationReads()).toBe(1);
      get.mockClear();
      const datasets = await q.subjectDatasets(patient, now);
      expect(JSON.stringify(datasets)).toBe(expectedDatasets);
      expect(datasets.datasets[0].versions.map((v) => v.consented)).toEqual([true, true]);
      expect(generationReads()).toBe(1);
    } finally {
      get.mockRestore();
    }
  });
});
