/**
 * IncidentRegistry (issue 18): a hospital reports an adverse event against one of its own anchored
 * traces (proven against the batch root, never the record), finds whether the model's output was
 * correct, and only an APPRAISER member records the determination; the category catalogue and the
 * liability weighting are governed.
 */
import { describe, it, expect } from "vitest";
import { getBytes, keccak256 } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { expectRevert, eventsOf } from "../helpers/revert";
import { batch, h, modelWithVersion } from "../helpers/builders";
import { TraceTree } from "../../src/sdk/traces/merkle";
import { batchIdOf } from "../../src/sdk/ids";
import {
  DEFAULT_INCIDENT_CATEGORIES, DEFAULT_WEIGHTING, IncidentCategory, LiabilityCase, OutputFinding, Role, Severity,
} from "../../src/constants";
import type { IIncidentRegistry } from "../../typechain-types";
import { anchorTwoTraces } from "../helpers/api-fixture";
import { Appraiser, Hospital, readIncident } from "../../src/sdk";

const ORG_APPRAISER = 8; // admitted after the fixture's seven members

/** A batch of hospital A with `n` records (only their hashes), anchored; its tree for proofs. */
async function anchoredBatch(l: Ledger, versionId: string, n = 5) {
  const recordHashes = Array.from({ length: n }, () => h("record"));
  const tree = TraceTree.of(recordHashes.map((r) => getBytes(keccak256(r))));
  const firstSeq = await l.traces.nextSequence(ORG.HOSPITAL_A);
  const b = await batch(firstSeq, [versionId], { treeRoot: tree.treeRoot, count: n });
  await (await l.traces.connect(l.hospitalA).anchorBatch(b)).wait();
  return { batchId: batchIdOf(ORG.HOSPITAL_A, firstSeq), firstSeq, recordHashes, tree, fromTime: BigInt(b.fromTime) };
}

async function incidentFixture() {
  const l = await ledgerFixture();
  const appraiser = l.spare[0];
  await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("admitMember", ["Medical Appraisal Board", Role.APPRAISER, [appraiser.address]]) });
  const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
  const a = await anchoredBatch(l, versionId);
  return { l, appraiser, versionId, ...a };
}

type F = Awaited<ReturnType<typeof incidentFixture>>;

/** A valid report of the record at `position` (default 2) of the fixture's batch, with its proof. */
async function report(f: F, position = 2, o: Partial<IIncidentRegistry.IncidentReportStruct> = {}): Promise<[IIncidentRegistry.IncidentReportStruct, string[]]> {
  const r: IIncidentRegistry.IncidentReportStruct = {
    batchId: f.batchId, seq: f.firstSeq + BigInt(position), recordHash: f.recordHashes[position], versionId: f.versionId,
    severity: Severity.SEVERE, category: IncidentCategory.MISDIAGNOSIS, occurredAt: BigInt(await time.latest()), narrativeHash: h("narrative"), ...o,
  };
  return [r, f.tree.getProof(position)];
}

const shares = (developer: number, hospital: number, clinician: number) => ({ developer, hospital, clinician });

describe("IncidentRegistry", () => {
  describe("reportIncident", () => {
    it("records an adverse event against the hospital's own proven trace: only hashes, codes and times", async () => {
      const f = await loadFixture(incidentFixture);
      const [r, proof] = await report(f);
      const ev = await eventsOf(f.l.incidents.connect(f.l.hospitalA).reportIncident(r, proof), f.l.incidents);
      expect(ev.map((e) => e.name)).toEqual(["IncidentReported"]);
      const [id, hospital, versionId, logged] = ev[0].args as [bigint, bigint, string, unknown[]];
      expect([id, hospital, versionId]).toEqual([1n, BigInt(ORG.HOSPITAL_A), f.versionId]);
      expect(logged).toEqual([r.batchId, r.seq, r.recordHash, r.versionId, BigInt(r.severity), BigInt(r.category), r.occurredAt, r.narrativeHash]);
      const stored = await f.l.incidents.incident(1);
      expect([stored.hospital, stored.severity, stored.finding, stored.determined, stored.recordHash, stored.seq]).toEqual([BigInt(ORG.HOSPITAL_A), BigInt(Severity.SEVERE), 0n, false, r.recordHash, r.seq]);
      expect(stored.reportedAt).toBe(BigInt(await time.latest()));
      expect([await f.l.incidents.incidentOf(f.batchId, r.seq), await f.l.incidents.incidentCount()]).toEqual([1n, 1n]);
    });

    it("refuses another hospital's batch, an unknown batch, a proof that does not fit, a version the batch does not hold", async () => {
      const f = await loadFixture(incidentFixture);
      const [r, proof] = await report(f);
      await expectRevert(f.l.incidents.connect(f.l.hospitalB).reportIncident(r, proof), "IncidentRegistryNotYourBatch", [f.batchId, ORG.HOSPITAL_B, ORG.HOSPITAL_A]);
      const ghost = h("batch");
      await expectRevert(f.l.incidents.connect(f.l.hospitalA).reportIncident({ ...r, batchId: ghost }, proof), "IncidentRegistryNotYourBatch", [ghost, ORG.HOSPITAL_A, 0]);
      // The leaf at position 2 with position 3's proof, another record's hash, a shifted sequence: each is refused.
      await expectRevert(f.l.incidents.connect(f.l.hospitalA).reportIncident(r, f.tree.getProof(3)), "IncidentRegistryTraceNotInBatch", [f.batchId, r.seq, r.recordHash]);
      const forged = h("forged");
      await expectRevert(f.l.incidents.connect(f.l.hospitalA).reportIncident({ ...r, recordHash: forged }, proof), "IncidentRegistryTraceNotInBatch", [f.batchId, r.seq, forged]);
      await expectRevert(f.l.incidents.connect(f.l.hospitalA).reportIncident({ ...r, seq: BigInt(r.seq) + 1n }, proof), "IncidentRegistryTraceNotInBatch");
      const other = h("version");
      await expectRevert(f.l.incidents.connect(f.l.hospitalA).reportIncident({ ...r, versionId: other }, proof), "IncidentRegistryVersionNotInBatch", [f.batchId, other]);
    });

    it("refuses a time before the batch window or after the block, severity NONE, an unknown category, a zero narrative hash", async () => {
      const f = await loadFixture(incidentFixture);
      const [r, proof] = await report(f);
      const send = (o: Partial<IIncidentRegistry.IncidentReportStruct>) => f.l.incidents.connect(f.l.hospitalA).reportIncident({ ...r, ...o }, proof);
      await expectRevert(send({ occurredAt: f.fromTime - 1n }), "IncidentRegistryInvalidTime");
      const future = BigInt(await time.latest()) + 3600n;
      await expectRevert(send({ occurredAt: future }), "IncidentRegistryInvalidTime");
      await expectRevert(send({ severity: Severity.NONE }), "IncidentRegistryInvalidSeverity", [Severity.NONE]);
      await expectRevert(send({ category: DEFAULT_INCIDENT_CATEGORIES.length }), "IncidentRegistryUnknownCategory", [DEFAULT_INCIDENT_CATEGORIES.length]);
      await expectRevert(send({ narrativeHash: "0x" + "00".repeat(32) }), "IncidentRegistryNarrativeMissing", [f.batchId, r.seq]);
      // At the window's start is accepted (the decision lies inside the window; harm follows it).
      await (await send({ occurredAt: f.fromTime })).wait();
    });

    it("one incident per trace; only an active hospital key reports", async () => {
      const f = await loadFixture(incidentFixture);
      const [r, proof] = await report(f);
      await (await f.l.incidents.connect(f.l.hospitalA).reportIncident(r, proof)).wait();
      await expectRevert(f.l.incidents.connect(f.l.hospitalA).reportIncident({ ...r, narrativeHash: h("again") }, proof), "IncidentRegistryAlreadyReported", [f.batchId, r.seq, 1]);
      await expectRevert(f.l.incidents.connect(f.l.developer).reportIncident(r, proof), "ConsortiumWrongRole", [ORG.DEVELOPER, Role.MODEL_DEVELOPER, Role.HOSPITAL]);
      await expectRevert(f.l.incidents.connect(f.l.hospitalAOld).reportIncident(r, proof), "ConsortiumKeyRevoked");
      await expectRevert(f.l.incidents.connect(f.l.suspendedHospital).reportIncident(r, proof), "ConsortiumMemberNotActive");
      // A second trace of the same batch is a second incident.
      const [r2, proof2] = await report(f, 4);
      await (await f.l.incidents.connect(f.l.hospitalA).reportIncident(r2, proof2)).wait();
      expect(await f.l.incidents.incidentCount()).toBe(2n);
    });
  });

  describe("recordFinding", () => {
    it("the reporting hospital records once whether the model's output was correct", async () => {
      const f = await loadFixture(incidentFixture);
      await (await f.l.incidents.connect(f.l.hospitalA).reportIncident(...(await report(f)))).wait();
      const follow = h("follow-up");
      await expectRevert(f.l.incidents.connect(f.l.hospitalB).recordFinding(1, OutputFinding.INCORRECT, follow), "IncidentRegistryNotReporter", [1, ORG.HOSPITAL_B, ORG.HOSPITAL_A]);
      await expectRevert(f.l.incidents.connect(f.l.regulator).recordFinding(1, OutputFinding.INCORRECT, follow), "ConsortiumWrongRole");
      await expectRevert(f.l.incidents.connect(f.l.hospitalA).recordFinding(2, OutputFinding.INCORRECT, follow), "IncidentRegistryUnknownIncident", [2]);
      await expectRevert(f.l.incidents.connect(f.l.hospitalA).recordFinding(1, OutputFinding.NONE, follow), "IncidentRegistryInvalidFinding");
      await expectRevert(f.l.incidents.connect(f.l.hospitalA).recordFinding(1, OutputFinding.INCORRECT, "0x" + "00".repeat(32)), "IncidentRegistryInvalidFinding");
      const ev = await eventsOf(f.l.incidents.connect(f.l.hospitalA).recordFinding(1, OutputFinding.INCORRECT, follow), f.l.incidents);
      expect(ev).toEqual([{ name: "FindingRecorded", args: [1n, BigInt(ORG.HOSPITAL_A), BigInt(OutputFinding.INCORRECT), follow] }]);
      expect((await f.l.incidents.incident(1)).finding).toBe(BigInt(OutputFinding.INCORRECT));
      await expectRevert(f.l.incidents.connect(f.l.hospitalA).recordFinding(1, OutputFinding.CORRECT, follow), "IncidentRegistryFindingExists", [1, OutputFinding.INCORRECT]);
    });
  });

  describe("recordDetermination", () => {
    it("only an APPRAISER member determines; every other role, an outsider and a revoked key are refused by name", async () => {
      const f = await loadFixture(incidentFixture);
      await (await f.l.incidents.connect(f.l.hospitalA).reportIncident(...(await report(f)))).wait();
      const ruling = h("ruling");
      const refused: [string, typeof f.l.hospitalA, number][] = [
        ["hospital", f.l.hospitalA, Role.HOSPITAL], ["developer", f.l.developer, Role.MODEL_DEVELOPER],
        ["regulator", f.l.regulator, Role.REGULATOR], ["auditor", f.l.auditor, Role.AUDITOR],
      ];
      for (const [, who, role] of refused) {
        const org = Number((await f.l.consortium.keyInfo(who.address)).orgId);
        await expectRevert(f.l.incidents.connect(who).recordDetermination(1, shares(4000, 0, 6000), ruling), "ConsortiumWrongRole", [org, role, Role.APPRAISER]);
      }
      await expectRevert(f.l.incidents.connect(f.l.outsider).recordDetermination(1, shares(4000, 0, 6000), ruling), "ConsortiumUnknownKey", [f.l.outsider.address]);
      await expectRevert(f.l.incidents.connect(f.l.governance).recordDetermination(1, shares(4000, 0, 6000), ruling), "ConsortiumUnknownKey");
      expect((await f.l.incidents.incident(1)).determined).toBe(false);

      const ev = await eventsOf(f.l.incidents.connect(f.appraiser).recordDetermination(1, shares(3000, 1000, 6000), ruling), f.l.incidents);
      expect(ev).toEqual([{ name: "DeterminationRecorded", args: [1n, BigInt(ORG_APPRAISER), [3000n, 1000n, 6000n], ruling] }]);
      const d = await f.l.incidents.determination(1);
      expect([d.appraiser, d.determinedAt, d.rulingHash]).toEqual([BigInt(ORG_APPRAISER), BigInt(await time.latest()), ruling]);
      expect((await f.l.incidents.incident(1)).determined).toBe(true);
    });

    it("refuses a second determination, an unknown incident, shares not summing to 10,000, a zero ruling; a finding after it", async () => {
      const f = await loadFixture(incidentFixture);
      await (await f.l.incidents.connect(f.l.hospitalA).reportIncident(...(await report(f)))).wait();
      const ruling = h("ruling");
      await expectRevert(f.l.incidents.connect(f.appraiser).recordDetermination(7, shares(4000, 0, 6000), ruling), "IncidentRegistryUnknownIncident", [7]);
      await expectRevert(f.l.incidents.connect(f.appraiser).recordDetermination(1, shares(4000, 0, 5999), ruling), "IncidentRegistryInvalidDetermination", [9999, ruling]);
      await expectRevert(f.l.incidents.connect(f.appraiser).recordDetermination(1, shares(4000, 1, 6000), ruling), "IncidentRegistryInvalidDetermination", [10001, ruling]);
      await expectRevert(f.l.incidents.connect(f.appraiser).recordDetermination(1, shares(4000, 0, 6000), "0x" + "00".repeat(32)), "IncidentRegistryInvalidDetermination");
      await (await f.l.incidents.connect(f.appraiser).recordDetermination(1, shares(10000, 0, 0), ruling)).wait();
      await expectRevert(f.l.incidents.connect(f.appraiser).recordDetermination(1, shares(0, 0, 10000), h("ruling")), "IncidentRegistryAlreadyDetermined", [1]);
      await expectRevert(f.l.incidents.connect(f.l.hospitalA).recordFinding(1, OutputFinding.CORRECT, h("late")), "IncidentRegistryAlreadyDetermined", [1]);
    });

    it("a suspended appraiser cannot determine", async () => {
      const f = await loadFixture(incidentFixture);
      await (await f.l.incidents.connect(f.l.hospitalA).reportIncident(...(await report(f)))).wait();
      await (await f.l.consortium.connect(f.l.regulator).suspendMember(ORG_APPRAISER)).wait();
      await expectRevert(f.l.incidents.connect(f.appraiser).recordDetermination(1, shares(4000, 0, 6000), h("ruling")), "ConsortiumMemberNotActive");
    });
  });

  describe("governed catalogue and weighting", () => {
    it("a fresh deployment holds the paper's weighting for both cases (reversed: developer 60 / clinician 40) and the default categories", async () => {
      const f = await loadFixture(incidentFixture);
      const w = async (c: number) => {
        const s = await f.l.incidents.weighting(c);
        return { developer: s.developer, hospital: s.hospital, clinician: s.clinician };
      };
      expect(await w(LiabilityCase.ADOPTED_WRONG)).toEqual({ developer: 4000n, hospital: 0n, clinician: 6000n });
      expect(await w(LiabilityCase.REJECTED_CORRECT)).toEqual({ developer: 6000n, hospital: 0n, clinician: 4000n });
      for (const [c, s] of Object.entries(DEFAULT_WEIGHTING)) {
        expect(s.developer + s.hospital + s.clinician, c).toBe(10_000);
      }
      const names = (await f.l.incidents.queryFilter(f.l.incidents.filters.CategoryAdded(), 0)).map((e) => e.args.name);
      expect(names).toEqual([...DEFAULT_INCIDENT_CATEGORIES]);
      expect(await f.l.incidents.categoryCount()).toBe(BigInt(DEFAULT_INCIDENT_CATEGORIES.length));
    });

    it("only governance sets the weighting and adds categories; malformed ones are refused by name", async () => {
      const f = await loadFixture(incidentFixture);
      const { l } = f;
      for (const who of [l.regulator, f.appraiser, l.hospitalA]) {
        await expectRevert(l.incidents.connect(who).setWeighting(LiabilityCase.ADOPTED_WRONG, shares(5000, 0, 5000)), "AccessManagedUnauthorized", [who.address]);
        await expectRevert(l.incidents.connect(who).addCategory("DEVICE_FAILURE"), "AccessManagedUnauthorized", [who.address]);
      }
      await l.govern(
        { target: l.incidents, data: l.incidents.interface.encodeFunctionData("setWeighting", [LiabilityCase.REJECTED_CORRECT, shares(2000, 1000, 7000)]) },
        { target: l.incidents, data: l.incidents.interface.encodeFunctionData("addCategory", ["DEVICE_FAILURE"]) },
      );
      const set = await l.incidents.weighting(LiabilityCase.REJECTED_CORRECT);
      expect([set.developer, set.hospital, set.clinician]).toEqual([2000n, 1000n, 7000n]);
      expect(await l.incidents.categoryCount()).toBe(BigInt(DEFAULT_INCIDENT_CATEGORIES.length + 1));
      // The new category is usable at once.
      const [r, proof] = await report(f, 1, { category: DEFAULT_INCIDENT_CATEGORIES.length });
      await (await l.incidents.connect(l.hospitalA).reportIncident(r, proof)).wait();

      const governed = async (data: string, name: string, args?: unknown[]) => {
        const m = l.manager.connect(l.governance);
        await (await m.schedule(await l.incidents.getAddress(), data, 0)).wait();
        await time.increase(3600);
        await expectRevert(m.execute(await l.incidents.getAddress(), data), name, args);
      };
      await governed(l.incidents.interface.encodeFunctionData("setWeighting", [LiabilityCase.ADOPTED_WRONG, shares(4000, 0, 5000)]), "IncidentRegistryInvalidWeighting", [LiabilityCase.ADOPTED_WRONG, 9000]);
      await governed(l.incidents.interface.encodeFunctionData("setWeighting", [LiabilityCase.NONE, shares(4000, 0, 6000)]), "IncidentRegistryInvalidWeighting", [LiabilityCase.NONE, 10000]);
      await governed(l.incidents.interface.encodeFunctionData("addCategory", ["device failure"]), "IncidentRegistryCategoryNameNotCanonical", ["device failure"]);
      await governed(l.incidents.interface.encodeFunctionData("addCategory", ["OTHER"]), "IncidentRegistryCategoryNameTaken", ["OTHER"]);
    });
  });
});

describe("SDK: Hospital.reportIncident / recordFinding, Appraiser.determine, readIncident", () => {
  async function sdkFixture() {
    const f = await incidentFixture();
    const receipts = await anchorTwoTraces(f.l, f.versionId);
    return { ...f, receipts };
  }

  it("reports from a trace receipt, finds, determines, and reads back with names beside codes", async () => {
    const f = await loadFixture(sdkFixture);
    const hospital = new Hospital(f.l, f.l.hospitalA);
    const narrative = keccak256(getBytes("0x" + "01".repeat(8)));
    const occurredAt = await time.latest();
    const r = await hospital.reportIncident(f.receipts[0], { severity: "life_threatening", category: "MISSED_DIAGNOSIS", occurredAt, narrativeHash: narrative });
    expect(r.incidentId).toBe(1);
    await hospital.recordFinding(1, "INCORRECT", h("follow-up"));
    await new Appraiser(f.l, f.appraiser).determine(1, { developer: 4000, hospital: 0, clinician: 6000 }, h("ruling"));
    const seen = await readIncident(f.l, 1);
    expect(seen).toMatchObject({
      incidentId: 1, hospital: ORG.HOSPITAL_A, versionId: f.versionId, batchId: f.receipts[0].batchId, seq: f.receipts[0].record.seq.toString(),
      severityName: "LIFE_THREATENING", categoryName: "MISSED_DIAGNOSIS", findingName: "INCORRECT", narrativeHash: narrative,
      determination: { appraiser: ORG_APPRAISER, shares: { DEVELOPER: 4000, HOSPITAL: 0, CLINICIAN: 6000 } },
    });
    expect(seen!.occurredAtIso).toBe(new Date(occurredAt * 1000).toISOString());
    expect(await readIncident(f.l, 2)).toBeUndefined();
  });

  it("refuses bad input by name before the chain, and the chain's refusals arrive by name", async () => {
    const f = await loadFixture(sdkFixture);
    const hospital = new Hospital(f.l, f.l.hospitalA);
    const facts = { severity: "SEVERE", category: "MISDIAGNOSIS", occurredAt: await time.latest(), narrativeHash: h("narrative") };
    await expect(hospital.reportIncident(f.receipts[0], { ...facts, severity: "GRAVE" })).rejects.toMatchObject({ code: "INCIDENT_BAD_SEVERITY" });
    await expect(hospital.reportIncident(f.receipts[0], { ...facts, category: "BAD_LUCK" })).rejects.toMatchObject({ code: "INCIDENT_CATEGORY_UNKNOWN" });
    const tampered = { ...f.receipts[0], record: { ...f.receipts[0].record, confidenceBps: 1 } };
    await expect(hospital.reportIncident(tampered, facts)).rejects.toMatchObject({ code: "INCIDENT_RECEIPT_MISMATCH" });
    await expect(new Hospital(f.l, f.l.hospitalB).reportIncident(f.receipts[0], facts)).rejects.toMatchObject({ code: "IncidentRegistryNotYourBatch" });
    await hospital.reportIncident(f.receipts[1], facts);
    await expect(new Appraiser(f.l, f.l.auditor).determine(1, { developer: 4000, hospital: 0, clinician: 6000 }, h("ruling"))).rejects.toMatchObject({ code: "ConsortiumWrongRole" });
    await expect(new Appraiser(f.l, f.appraiser).determine(1, { developer: 4000, hospital: 0, clinician: 5000 }, h("ruling"))).rejects.toMatchObject({ code: "INCIDENT_BAD_SHARES" });
  });
});
