/**
 * Evidence packs (issue 18): every duty fact checked true and false from built workloads (an
 * in-process ledger, traces anchored through the hospital's batcher, incidents reported against
 * them), as of the decision's time; the default weighting on the paper's two cases through the
 * pack's proposal. The sequence-gap fact cannot be false on a chain that refuses gaps, so its
 * false case (and the receipt's) run the pure rule on altered logs.
 */
import { describe, it, expect } from "vitest";
import { ZeroHash } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ORG } from "../helpers/fixture";
import { NO_INSURANCE, h, versionInput } from "../helpers/builders";
import { anchorOne, decision, evidenceWorld, incidentOf, OFF_INDICATION } from "../helpers/evidence-world";
import { buildEvidencePack, FACTS, RULES, type EvidencePack, type FactCode } from "../../src/sdk";
import { recordAnchored } from "../../src/sdk/accountability/evidence/anchored";
import { DEFAULT_POLICIES, DEFAULT_WEIGHTING, RiskClass } from "../../src/constants";
import { INDICATIONS } from "../helpers/builders";

const metOf = (pack: EvidencePack) => Object.fromEntries(pack.facts.map((f) => [f.code, f.met])) as Record<FactCode, boolean>;
const failing = (pack: EvidencePack) => pack.facts.filter((f) => !f.met).map((f) => f.code).sort();

describe("evidence pack duties", () => {
  it("a compliant decision: every fact met, each with its proof; a wrong suggestion adopted splits 40/0/60 (the default weighting stands)", async () => {
    const w = await loadFixture(evidenceWorld);
    const receipt = await anchorOne(w.l, await decision(w.l, w.versionId));
    const id = await incidentOf(w.l, receipt, "INCORRECT");
    const pack = await buildEvidencePack(w.l, id, receipt);
    expect(failing(pack)).toEqual([]);
    expect(pack.facts.map((f) => f.code)).toEqual(FACTS.map(([c]) => c));
    for (const f of pack.facts) expect(f.proof.receipt, f.code).toBe(true);
    // Every fact that rests on the ledger's logs cites them; the rest rest on the record alone.
    expect(pack.facts.filter((f) => f.proof.events.length === 0).map((f) => f.code)).toEqual(["NO_OPEN_FAIRNESS_ALERT", "TIER_REVIEW_OBEYED", "CLINICIAN_DECIDED", "NO_BLIND_LOW_CONFIDENCE_ADOPTION", "NO_IGNORED_WARNING"]);
    const cited = (code: FactCode) => pack.facts.find((f) => f.code === code)!.proof.events.map((i) => pack.events[i].event);
    expect(cited("VERSION_APPROVED_AT_DECISION")).toEqual(["VersionStatusChanged"]);
    expect(cited("INSURANCE_COVERS_DECISION")).toEqual(["FilingEvidenceFiled"]);
    expect(cited("CONSENT_AT_DECISION")).toEqual(["ConsentGranted"]);
    expect(cited("DEPLOYED_BEFORE_DECISION")).toEqual(["DeploymentRecorded"]);
    expect(cited("RECORD_ANCHORED")).toEqual(["BatchAnchored"]);
    for (const e of pack.events) expect(e.blockTime <= pack.decision.time || ["IncidentReported", "FindingRecorded", "WeightingSet", "BatchAnchored", "DeterminationRecorded"].includes(e.event), e.event).toBe(true);
    expect(Object.values(pack.parties).every((p) => p.allMet)).toBe(true);
    expect(pack.liabilityCase).toBe("ADOPTED_WRONG");
    expect(pack.proposal).toMatchObject({ label: "PROPOSAL", shares: { DEVELOPER: DEFAULT_WEIGHTING.ADOPTED_WRONG.developer, HOSPITAL: 0, CLINICIAN: DEFAULT_WEIGHTING.ADOPTED_WRONG.clinician }, presumedNotAtFault: [] });
    expect(pack.determination).toBeNull();
  });

  it("a correct suggestion overridden splits 60/0/40; the determination, once recorded, is in the pack", async () => {
    const w = await loadFixture(evidenceWorld);
    const receipt = await anchorOne(w.l, await decision(w.l, w.versionId, { action: "REJECTED" }));
    const id = await incidentOf(w.l, receipt, "CORRECT");
    const ruling = h("ruling");
    await (await w.l.incidents.connect(w.appraiser).recordDetermination(id, { developer: 5000, hospital: 0, clinician: 5000 }, ruling)).wait();
    const pack = await buildEvidencePack(w.l, id, receipt);
    expect(failing(pack)).toEqual([]);
    expect(pack.liabilityCase).toBe("REJECTED_CORRECT");
    expect(pack.proposal!.shares).toEqual({ DEVELOPER: DEFAULT_WEIGHTING.REJECTED_CORRECT.developer, HOSPITAL: 0, CLINICIAN: DEFAULT_WEIGHTING.REJECTED_CORRECT.clinician });
    expect(pack.determination).toMatchObject({ rulingHash: ruling, shares: { DEVELOPER: 5000, HOSPITAL: 0, CLINICIAN: 5000 } });
    expect(pack.events[pack.determination!.event].event).toBe("DeterminationRecorded");
  });

  it("the clinical chain fails: low-confidence output adopted despite its warning, off-indication, no consent; the cleared developer is dropped and the clinician bears the case", async () => {
    const w = await loadFixture(evidenceWorld);
    const input = await decision(w.l, w.versionId, { confidenceBps: 7000, action: "ACCEPTED", riskWarning: true, indication: OFF_INDICATION, subject: h("nobody").slice(0, 42) });
    const receipt = await anchorOne(w.l, input);
    const pack = await buildEvidencePack(w.l, await incidentOf(w.l, receipt, "INCORRECT"), receipt);
    expect(failing(pack)).toEqual(["CLINICIAN_DECIDED", "CONSENT_AT_DECISION", "NO_BLIND_LOW_CONFIDENCE_ADOPTION", "NO_IGNORED_WARNING", "TIER_REVIEW_OBEYED", "WITHIN_APPROVED_INDICATIONS"]);
    expect(pack.parties.DEVELOPER.allMet).toBe(true);
    expect(pack.proposal).toMatchObject({ shares: { DEVELOPER: 0, HOSPITAL: 0, CLINICIAN: 10_000 }, presumedNotAtFault: ["DEVELOPER"] });
    expect(pack.facts.find((f) => f.code === "NO_IGNORED_WARNING")!.words).toContain("risk warning");
  });

  it("a diagnosis with moderate confidence modified by the clinician is no blind adoption; the same output ACCEPTED is", async () => {
    const w = await loadFixture(evidenceWorld);
    const modified = await anchorOne(w.l, await decision(w.l, w.versionId, { confidenceBps: 9000, action: "MODIFIED" }));
    expect(metOf(await buildEvidencePack(w.l, await incidentOf(w.l, modified), modified)).NO_BLIND_LOW_CONFIDENCE_ADOPTION).toBe(true);
    await time.increase(5);
    const accepted = await anchorOne(w.l, await decision(w.l, w.versionId, { confidenceBps: 9000, action: "ACCEPTED" }));
    const m = metOf(await buildEvidencePack(w.l, await incidentOf(w.l, accepted), accepted));
    expect([m.NO_BLIND_LOW_CONFIDENCE_ADOPTION, m.TIER_REVIEW_OBEYED, m.CLINICIAN_DECIDED]).toEqual([false, true, true]);
  });

  it("a format-1 record proves neither explainability, the indication nor the warning", async () => {
    const w = await loadFixture(evidenceWorld);
    const { indication: _i, riskWarning: _r, ...v1 } = await decision(w.l, w.versionId);
    const receipt = await anchorOne(w.l, v1);
    expect(receipt.format).toBe("medprov-trace-receipt/2");
    const pack = await buildEvidencePack(w.l, await incidentOf(w.l, receipt), receipt);
    expect(failing(pack)).toEqual(["NO_IGNORED_WARNING", "OUTPUT_EXPLAINED", "WITHIN_APPROVED_INDICATIONS"]);
    expect(pack.liabilityCase).toBe("NONE");
    expect(pack.proposal).toBeNull();
  });

  it("the technology chain as of the decision: a decision before approval and deployment, of a version filed without white paper or insurance", async () => {
    const w = await loadFixture(evidenceWorld);
    const { l } = w;
    const name = "late-model";
    const modelId = await l.models.connect(l.developer).registerModel.staticCall(name, "triage", RiskClass.LOW);
    await (await l.models.connect(l.developer).registerModel(name, "triage", RiskClass.LOW)).wait();
    const input = versionInput([w.datasetId], { filing: { whitePaperHash: ZeroHash, insurance: NO_INSURANCE } });
    const versionId = await l.models.connect(l.developer).registerVersion.staticCall(modelId, input);
    await (await l.models.connect(l.developer).registerVersion(modelId, input)).wait();
    const early = await decision(l, versionId);
    await time.increase(10);
    await (await l.models.connect(l.regulator).approveVersion(versionId, "NMPA-LATE", RiskClass.LOW, INDICATIONS)).wait();
    await (await l.models.connect(l.hospitalA).recordDeployment(versionId)).wait();
    const receipt = await anchorOne(l, early);
    const pack = await buildEvidencePack(l, await incidentOf(l, receipt, "INCORRECT"), receipt);
    expect(failing(pack)).toEqual(["DEPLOYED_BEFORE_DECISION", "INSURANCE_COVERS_DECISION", "POLICY_FIGURES_MET", "VERSION_APPROVED_AT_DECISION", "WHITE_PAPER_ON_FILE", "WITHIN_APPROVED_INDICATIONS"]);
    expect(pack.facts.find((f) => f.code === "VERSION_APPROVED_AT_DECISION")!.words).toContain("SUBMITTED, not APPROVED");
    // Developer and hospital failed, the clinician is cleared: 40:0 renormalises to the developer alone.
    expect(pack.proposal).toMatchObject({ shares: { DEVELOPER: 10_000, HOSPITAL: 0, CLINICIAN: 0 }, presumedNotAtFault: ["CLINICIAN"] });
  });

  it("after approval: a tightened policy, a destroyed training dataset, an open fairness alert and lapsed insurance before the decision", async () => {
    const w = await loadFixture(evidenceWorld);
    const { l } = w;
    await l.govern({ target: l.models, data: l.models.interface.encodeFunctionData("setPolicy", [RiskClass.HIGH, { ...DEFAULT_POLICIES.HIGH, minAuc: 9_500 }]) });
    await (await l.datasets.connect(l.hospitalA).retireDataset(w.datasetId)).wait();
    await (await l.datasets.connect(l.hospitalA).destroyDataset(w.datasetId, h("attestation"))).wait();
    await (await l.models.connect(l.hospitalB).fileReport(w.versionId, { periodStart: 1, periodEnd: 2, cases: 100, auc: 9000, subgroups: [{ subgroup: h("east"), auc: 9500, cases: 50 }, { subgroup: h("west"), auc: 8000, cases: 50 }], reportHash: h("report") })).wait();
    const now = await time.latest();
    await (await l.models.connect(l.developer).fileEvidence(w.versionId, { whitePaperHash: h("paper-2"), insurance: { insurerHash: h("insurer"), policyHash: h("policy"), coverageStart: 1_577_836_800n, coverageEnd: BigInt(now) } })).wait();
    await time.increase(5);
    const receipt = await anchorOne(l, await decision(l, w.versionId));
    const pack = await buildEvidencePack(l, await incidentOf(l, receipt), receipt);
    expect(failing(pack)).toEqual(["INSURANCE_COVERS_DECISION", "NO_OPEN_FAIRNESS_ALERT", "POLICY_FIGURES_MET", "TRAINING_DATA_USABLE"]);
    expect(pack.facts.find((f) => f.code === "POLICY_FIGURES_MET")!.words).toContain("AUC 9000 < 9500");
    expect(pack.facts.find((f) => f.code === "TRAINING_DATA_USABLE")!.words).toContain("DESTROYED");
    expect(pack.facts.find((f) => f.code === "NO_OPEN_FAIRNESS_ALERT")!.words).toContain(`hospital(s) ${ORG.HOSPITAL_B}`);
    // A later report of hospital B within the limit closes its alert.
    await (await l.models.connect(l.hospitalB).fileReport(w.versionId, { periodStart: 3, periodEnd: 4, cases: 100, auc: 9000, subgroups: [], reportHash: h("report") })).wait();
    await time.increase(5);
    const later = await anchorOne(l, await decision(l, w.versionId));
    expect(metOf(await buildEvidencePack(l, await incidentOf(l, later), later)).NO_OPEN_FAIRNESS_ALERT).toBe(true);
  });

  it("a batch that does not continue the hospital's log, and a record that is not the anchored one, are not met (pure rules on altered logs)", async () => {
    const w = await loadFixture(evidenceWorld);
    const first = await anchorOne(w.l, await decision(w.l, w.versionId));
    await time.increase(5);
    const receipt = await anchorOne(w.l, await decision(w.l, w.versionId));
    const pack = await buildEvidencePack(w.l, await incidentOf(w.l, receipt), receipt);
    expect(first.record.seq).toBe("0");
    const gap = pack.facts.find((f) => f.code === "BATCH_WITHOUT_GAP")!;
    const cited = gap.proof.events.map((i) => pack.events[i]);
    const ctx = { record: receipt.record, time: BigInt(receipt.record.time), batchId: receipt.batchId };
    expect(cited.map((e) => e.event)).toEqual(["BatchAnchored", "BatchAnchored"]);
    expect(RULES.BATCH_WITHOUT_GAP(ctx, cited).met).toBe(true);
    const shifted = { ...cited[0], args: { ...cited[0].args, count: "0" } };
    expect(RULES.BATCH_WITHOUT_GAP(ctx, [shifted, cited[1]])).toMatchObject({ met: false, words: expect.stringContaining("gap before sequence 1") });
    expect(RULES.BATCH_WITHOUT_GAP(ctx, [cited[1]]).met).toBe(false);
    const anchored = pack.facts.find((f) => f.code === "RECORD_ANCHORED")!.proof.events.map((i) => pack.events[i]);
    expect(recordAnchored(receipt, anchored).met).toBe(true);
    expect(recordAnchored({ ...receipt, record: { ...receipt.record, action: 3 } }, anchored)).toMatchObject({ met: false, words: expect.stringContaining("LEAF_MISMATCH") });
  });

  it("refuses an unknown incident and a receipt of another trace, by name", async () => {
    const w = await loadFixture(evidenceWorld);
    const a = await anchorOne(w.l, await decision(w.l, w.versionId));
    await time.increase(5);
    const b = await anchorOne(w.l, await decision(w.l, w.versionId));
    const id = await incidentOf(w.l, a);
    await expect(buildEvidencePack(w.l, id + 1, a)).rejects.toMatchObject({ code: "INCIDENT_UNKNOWN" });
    await expect(buildEvidencePack(w.l, id, b)).rejects.toMatchObject({ code: "INCIDENT_RECEIPT_NOT_THE_TRACE" });
    await expect(buildEvidencePack(w.l, id, { ...a, proof: "x" })).rejects.toMatchObject({ code: "RECEIPT_MALFORMED" });
  });
});
