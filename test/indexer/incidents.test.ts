/**
 * The indexer's incident rows (issue 18): IncidentReported, FindingRecorded and DeterminationRecorded
 * become rows equal to what IncidentRegistry.incident() and determination() answer; the category
 * catalogue, the weighting, the indication catalogue and each version's filing evidence are indexed
 * from their events; the queries narrow by hospital, version and reporting time; and an index of the
 * layout before these rows is refused, not misread.
 */
import { describe, it, expect } from "vitest";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG } from "../helpers/fixture";
import { modelWithVersion } from "../helpers/builders";
import { anchorOne, hashOf } from "../helpers/incidents";
import { deploymentOf, indexFresh, tempDb } from "../helpers/indexing";
import { Appraiser, Hospital, governedCalls, indicationCatalogue } from "../../src/sdk";
import { DEFAULT_INCIDENT_CATEGORIES, DEFAULT_WEIGHTING, LiabilityCase, Role } from "../../src/constants";
import { IndexStore, createQueries } from "../../src/indexer";
import { INDEX_LAYOUT } from "../../src/indexer/keys";

/** Two incidents (hospital A, then B), A's found and determined; a category added and a weighting changed by governance. */
async function scenario() {
  const l = await ledgerFixture();
  const appraiser = l.spare[0];
  await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("admitMember", ["Medical Appraisal Board", Role.APPRAISER, [appraiser.address]]) });
  const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
  const a = await anchorOne(l, l.hospitalA, versionId, l.patient.address);
  const b = await anchorOne(l, l.hospitalB, versionId, l.patient2.address);
  const now = await time.latest();
  const first = await new Hospital(l, l.hospitalA).reportIncident(a, { severity: "SEVERE", category: "MISDIAGNOSIS", occurredAt: now, narrativeHash: hashOf("narrative A") });
  await time.increase(100);
  const second = await new Hospital(l, l.hospitalB).reportIncident(b, { severity: "MILD", category: "DELAYED_TREATMENT", occurredAt: now, narrativeHash: hashOf("narrative B") });
  await new Hospital(l, l.hospitalA).recordFinding(first.incidentId, "INCORRECT", hashOf("follow-up A"));
  await new Appraiser(l, appraiser).determine(first.incidentId, { developer: 4000, hospital: 0, clinician: 6000 }, hashOf("ruling A"));
  const calls = governedCalls(l);
  for (const c of [calls.addIncidentCategory("DEVICE_FAILURE"), calls.setWeighting("ADOPTED_WRONG", { developer: 5000, hospital: 1000, clinician: 4000 })]) {
    await l.govern({ target: { getAddress: async () => c.target }, data: c.data });
  }
  return { l, versionId, first: first.incidentId, second: second.incidentId };
}

describe("indexer: incidents", () => {
  it("incident rows equal the chain's incident() and determination() reads", async () => {
    const s = await loadFixture(scenario);
    const q = createQueries((await indexFresh(await deploymentOf(s.l))).store);
    for (const id of [s.first, s.second]) {
      const chain = await s.l.incidents.incident(id);
      const indexed = (await q.incident(id))!;
      expect({
        hospital: indexed.hospital, severity: indexed.severity, category: indexed.category, finding: indexed.finding, determined: indexed.determined,
        occurredAt: indexed.occurredAt, reportedAt: indexed.reportedAt, seq: indexed.seq, batchId: indexed.batchId, recordHash: indexed.recordHash,
        versionId: indexed.versionId, narrativeHash: indexed.narrativeHash,
      }).toEqual({
        hospital: Number(chain.hospital), severity: Number(chain.severity), category: Number(chain.category), finding: Number(chain.finding), determined: chain.determined,
        occurredAt: Number(chain.occurredAt), reportedAt: Number(chain.reportedAt), seq: chain.seq.toString(), batchId: chain.batchId.toLowerCase(), recordHash: chain.recordHash.toLowerCase(),
        versionId: chain.versionId.toLowerCase(), narrativeHash: chain.narrativeHash.toLowerCase(),
      });
      const d = await s.l.incidents.determination(id);
      if (d.appraiser === 0n) expect(indexed.determination).toBeNull();
      else {
        expect(indexed.determination).toMatchObject({
          incidentId: id, appraiser: Number(d.appraiser), determinedAt: Number(d.determinedAt), rulingHash: d.rulingHash.toLowerCase(),
          shares: { developer: Number(d.shares.developer), hospital: Number(d.shares.hospital), clinician: Number(d.shares.clinician) },
        });
      }
    }
    expect((await q.incident(s.first))!.findingRecord).toMatchObject({ findingHash: hashOf("follow-up A") });
    expect((await q.incident(s.second))!.findingRecord).toBeUndefined();
    expect(await q.incident(99)).toBeUndefined();
  });

  it("lists incidents by hospital, by version and by reporting time", async () => {
    const s = await loadFixture(scenario);
    const q = createQueries((await indexFresh(await deploymentOf(s.l))).store);
    const ids = (rows: { incidentId: number }[]) => rows.map((r) => r.incidentId);
    expect(ids(await q.incidents())).toEqual([s.first, s.second]);
    expect(ids(await q.incidents({ hospital: ORG.HOSPITAL_A }))).toEqual([s.first]);
    expect(ids(await q.incidents({ hospital: ORG.HOSPITAL_B }))).toEqual([s.second]);
    expect(ids(await q.incidents({ hospital: ORG.DEVELOPER }))).toEqual([]);
    expect(ids(await q.incidents({ versionId: s.versionId.toUpperCase().replace("0X", "0x") }))).toEqual([s.first, s.second]);
    expect(ids(await q.incidents({ versionId: hashOf("no such version") }))).toEqual([]);
    const secondAt = (await q.incident(s.second))!.reportedAt;
    expect(ids(await q.incidents({ from: secondAt }))).toEqual([s.second]);
    expect(ids(await q.incidents({ to: secondAt - 1 }))).toEqual([s.first]);
    expect(ids(await q.incidents({ hospital: ORG.HOSPITAL_A, from: secondAt }))).toEqual([]);
  });

  it("indexes the category and indication catalogues, the weighting and each version's filing evidence as the chain holds them", async () => {
    const s = await loadFixture(scenario);
    const q = createQueries((await indexFresh(await deploymentOf(s.l))).store);
    expect((await q.incidentCategories()).map((c) => c.name)).toEqual([...DEFAULT_INCIDENT_CATEGORIES, "DEVICE_FAILURE"]);
    expect(await s.l.incidents.categoryCount()).toBe(BigInt(DEFAULT_INCIDENT_CATEGORIES.length + 1));
    const weights = await q.weightings();
    expect(weights.map((w) => w.liabilityCase)).toEqual([LiabilityCase.ADOPTED_WRONG, LiabilityCase.REJECTED_CORRECT]);
    for (const w of weights) {
      const chain = await s.l.incidents.weighting(w.liabilityCase);
      expect(w.shares).toEqual({ developer: Number(chain.developer), hospital: Number(chain.hospital), clinician: Number(chain.clinician) });
    }
    expect(weights[0].shares).toEqual({ developer: 5000, hospital: 1000, clinician: 4000 }); // governance's change, not the default
    expect(weights[1].shares).toEqual(DEFAULT_WEIGHTING.REJECTED_CORRECT);
    expect((await q.indications()).map((i) => i.name)).toEqual(await indicationCatalogue(s.l));
    const filed = await q.filingEvidence(s.versionId);
    const events = await s.l.models.queryFilter(s.l.models.filters.FilingEvidenceFiled(s.versionId));
    expect(events.length).toBeGreaterThan(0);
    expect(filed.map((f) => [f.versionId, f.developer, f.whitePaperHash, f.insurance.policyHash, f.insurance.coverageEnd, f.block])).toEqual(
      events.map((e) => [s.versionId.toLowerCase(), Number(e.args.developer), e.args.filing.whitePaperHash.toLowerCase(), e.args.filing.insurance.policyHash.toLowerCase(), e.args.filing.insurance.coverageEnd.toString(), e.blockNumber]),
    );
  });

  it("refuses an index built under the layout before incidents (4), naming the rebuild", async () => {
    expect(INDEX_LAYOUT).toBe(5);
    const path = tempDb();
    const store = await IndexStore.open(path);
    await store.write([{ type: "put", key: "meta:layout", value: 4 }]);
    await store.close();
    await expect(IndexStore.open(path)).rejects.toMatchObject({ code: "INDEX_LAYOUT", message: expect.stringMatching(/--rebuild/) });
  });
});
