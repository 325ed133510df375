/**
 * Issue 18 on ModelRegistry: an approval carries the version's indications (a governed catalogue,
 * like purposes), and a risk class's policy can require filing evidence — the algorithm safety
 * white paper and liability insurance in force at the approving block — refused on-chain by name,
 * like the AUC and subgroup-gap rules.
 */
import { describe, it, expect } from "vitest";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { expectRevert, eventsOf } from "../helpers/revert";
import { INDICATIONS, NO_INSURANCE, filing, h, insurance, modelWithVersion, passingEvaluation, registration, versionInput } from "../helpers/builders";
import { DEFAULT_INDICATIONS, DEFAULT_POLICIES, FilingRequirement, Indication, RiskClass, indicationMask, indicationsOf } from "../../src/constants";
import { decodeRevert } from "../../src/core";
import type { IModelRegistry } from "../../typechain-types";

const ZERO = "0x" + "00".repeat(32);
const CATALOGUE = (1n << BigInt(DEFAULT_INDICATIONS.length)) - 1n;

/** A version of a fresh model of `risk` with this filing evidence (figures pass every class). */
async function versionWith(l: Ledger, risk: number, f: IModelRegistry.FilingEvidenceStruct) {
  const reg = registration();
  const datasetId = await l.datasets.connect(l.hospitalA).registerDataset.staticCall(reg);
  await (await l.datasets.connect(l.hospitalA).registerDataset(reg)).wait();
  const name = `m-${h()}`;
  const modelId = await l.models.connect(l.developer).registerModel.staticCall(name, "diagnosis", risk);
  await (await l.models.connect(l.developer).registerModel(name, "diagnosis", risk)).wait();
  const input = versionInput([datasetId], { evaluation: passingEvaluation(), filing: f });
  const versionId = await l.models.connect(l.developer).registerVersion.staticCall(modelId, input);
  await (await l.models.connect(l.developer).registerVersion(modelId, input)).wait();
  return versionId;
}

const approve = (l: Ledger, v: string, risk: number, indications = INDICATIONS) => l.models.connect(l.regulator).approveVersion(v, `F-${h()}`, risk, indications);

describe("approved indications", () => {
  it("an approval carries its indications: stored, readable and in the event", async () => {
    const l = await loadFixture(ledgerFixture);
    const { versionId } = await modelWithVersion(l);
    expect(await l.models.approvedIndications(versionId)).toBe(0n);
    const mask = indicationMask([Indication.PULMONARY_NODULE_SCREENING, Indication.PNEUMONIA_DIAGNOSIS]);
    const ev = await eventsOf(approve(l, versionId, RiskClass.HIGH, mask), l.models);
    const approved = ev.find((e) => e.name === "VersionApproved")!;
    expect(approved.args[4]).toBe(mask);
    expect(await l.models.approvedIndications(versionId)).toBe(mask);
    expect(indicationsOf(mask).map((i) => DEFAULT_INDICATIONS[i])).toEqual(["PNEUMONIA_DIAGNOSIS", "PULMONARY_NODULE_SCREENING"]);
  });

  it("refuses an empty set and an indication outside the catalogue, changing nothing", async () => {
    const l = await loadFixture(ledgerFixture);
    const { versionId } = await modelWithVersion(l);
    await expectRevert(approve(l, versionId, RiskClass.HIGH, 0n), "ModelRegistryInvalidIndications", [versionId, 0, CATALOGUE]);
    const outside = INDICATIONS | (1n << BigInt(DEFAULT_INDICATIONS.length));
    await expectRevert(approve(l, versionId, RiskClass.HIGH, outside), "ModelRegistryInvalidIndications", [versionId, outside, CATALOGUE]);
    expect((await l.models.version(versionId)).status).toBe(1n); // still SUBMITTED
  });

  it("only governance appends indications; a new one can be approved at once; names are canonical and unique", async () => {
    const l = await loadFixture(ledgerFixture);
    for (const who of [l.regulator, l.developer]) {
      await expectRevert(l.models.connect(who).addIndication("SEPSIS_EARLY_WARNING"), "AccessManagedUnauthorized", [who.address]);
    }
    await l.govern({ target: l.models, data: l.models.interface.encodeFunctionData("addIndication", ["SEPSIS_EARLY_WARNING"]) });
    const added = await l.models.queryFilter(l.models.filters.IndicationAdded(DEFAULT_INDICATIONS.length), 0);
    expect(added.map((e) => e.args.name)).toEqual(["SEPSIS_EARLY_WARNING"]);
    expect([await l.models.indicationCount(), await l.models.indicationMask()]).toEqual([BigInt(DEFAULT_INDICATIONS.length + 1), (CATALOGUE << 1n) | 1n]);
    const { versionId } = await modelWithVersion(l);
    const sepsis = 1n << BigInt(DEFAULT_INDICATIONS.length);
    await (await approve(l, versionId, RiskClass.HIGH, sepsis)).wait();
    expect(await l.models.approvedIndications(versionId)).toBe(sepsis);

    const m = l.manager.connect(l.governance);
    for (const [name, error] of [["sepsis", "ModelRegistryIndicationNameNotCanonical"], ["HEALTH_ADVICE", "ModelRegistryIndicationNameTaken"]] as const) {
      const data = l.models.interface.encodeFunctionData("addIndication", [name]);
      await (await m.schedule(await l.models.getAddress(), data, 0)).wait();
      await time.increase(3600);
      await expectRevert(m.execute(await l.models.getAddress(), data), error, [name]);
    }
  });
});

describe("filing evidence", () => {
  it("the defaults: HIGH requires a white paper and insurance, MEDIUM a white paper, LOW neither", () => {
    expect(Object.entries(DEFAULT_POLICIES).map(([k, p]) => [k, p.requiresWhitePaper, p.requiresInsurance])).toEqual([
      ["HIGH", true, true], ["MEDIUM", true, false], ["LOW", false, false],
    ]);
  });

  it("HIGH approval is refused without a white paper, without insurance, and with insurance not in force at the block", async () => {
    const l = await loadFixture(ledgerFixture);
    const now = BigInt(await time.latest());
    const noPaper = await versionWith(l, RiskClass.HIGH, filing({ whitePaperHash: ZERO }));
    await expectRevert(approve(l, noPaper, RiskClass.HIGH), "ModelRegistryFilingEvidenceMissing", [noPaper, FilingRequirement.WHITE_PAPER]);
    const uninsured = await versionWith(l, RiskClass.HIGH, filing({ insurance: NO_INSURANCE }));
    await expectRevert(approve(l, uninsured, RiskClass.HIGH), "ModelRegistryFilingEvidenceMissing", [uninsured, FilingRequirement.INSURANCE]);
    const lapsed = await versionWith(l, RiskClass.HIGH, filing({ insurance: insurance({ coverageStart: now - 1000n, coverageEnd: now - 1n }) }));
    // The refusal names the coverage and the block time it missed.
    const refusal = await approve(l, lapsed, RiskClass.HIGH).then(() => undefined, (e: unknown) => decodeRevert(e));
    expect(refusal?.name).toBe("ModelRegistryInsuranceNotInForce");
    expect(refusal!.args.slice(0, 3)).toEqual([lapsed, now - 1000n, now - 1n]);
    expect(refusal!.args[3]).toBeGreaterThanOrEqual(now);
    const later = await versionWith(l, RiskClass.HIGH, filing({ insurance: insurance({ coverageStart: now + 86_400n, coverageEnd: now + 2n * 86_400n }) }));
    await expectRevert(approve(l, later, RiskClass.HIGH), "ModelRegistryInsuranceNotInForce");
    // The same gaps pass where the class does not require them: MEDIUM without insurance, LOW without anything.
    await (await approve(l, uninsured, RiskClass.MEDIUM)).wait();
    const bare = await versionWith(l, RiskClass.LOW, { whitePaperHash: ZERO, insurance: NO_INSURANCE });
    await expectRevert(approve(l, bare, RiskClass.MEDIUM), "ModelRegistryFilingEvidenceMissing", [bare, FilingRequirement.WHITE_PAPER]);
    await (await approve(l, bare, RiskClass.LOW)).wait();
  });

  it("registration refuses a malformed insurance reference; a filing is on file and in an event", async () => {
    const l = await loadFixture(ledgerFixture);
    const { modelId, datasetId } = await modelWithVersion(l);
    const reg = (f: IModelRegistry.FilingEvidenceStruct) => l.models.connect(l.developer).registerVersion(modelId, versionInput([datasetId], { filing: f }));
    await expectRevert(reg(filing({ insurance: insurance({ insurerHash: ZERO }) })), "ModelRegistryInvalidFilingEvidence");
    await expectRevert(reg(filing({ insurance: insurance({ coverageStart: 20n, coverageEnd: 10n }) })), "ModelRegistryInvalidFilingEvidence");
    await expectRevert(reg(filing({ insurance: { ...NO_INSURANCE, coverageEnd: 5n } })), "ModelRegistryInvalidFilingEvidence");
    const f = filing();
    const input = versionInput([datasetId], { filing: f });
    const v = await l.models.connect(l.developer).registerVersion.staticCall(modelId, input);
    const ev = await eventsOf(l.models.connect(l.developer).registerVersion(modelId, input), l.models);
    const filed = ev.find((e) => e.name === "FilingEvidenceFiled")!;
    const i = f.insurance;
    expect(filed.args).toEqual([v, BigInt(ORG.DEVELOPER), [f.whitePaperHash, [i.insurerHash, i.policyHash, i.coverageStart, i.coverageEnd]]]);
    expect((await l.models.filingEvidence(v)).whitePaperHash).toBe(f.whitePaperHash);
  });

  it("the developer files renewed evidence (then approval passes); nobody else, nothing partial, nothing after recall", async () => {
    const l = await loadFixture(ledgerFixture);
    const now = BigInt(await time.latest());
    const v = await versionWith(l, RiskClass.HIGH, filing({ insurance: insurance({ coverageStart: now - 1000n, coverageEnd: now - 1n }) }));
    await expectRevert(approve(l, v, RiskClass.HIGH), "ModelRegistryInsuranceNotInForce");
    const renewed = filing({ insurance: insurance({ coverageStart: now, coverageEnd: now + 365n * 86_400n }) });
    await expectRevert(l.models.connect(l.developerB).fileEvidence(v, renewed), "ModelRegistryNotDeveloper");
    await expectRevert(l.models.connect(l.hospitalA).fileEvidence(v, renewed), "ConsortiumWrongRole");
    await expectRevert(l.models.connect(l.developer).fileEvidence(v, { ...renewed, whitePaperHash: ZERO }), "ModelRegistryInvalidFilingEvidence");
    await expectRevert(l.models.connect(l.developer).fileEvidence(v, { ...renewed, insurance: NO_INSURANCE }), "ModelRegistryInvalidFilingEvidence");
    const ev = await eventsOf(l.models.connect(l.developer).fileEvidence(v, renewed), l.models);
    expect(ev.map((e) => e.name)).toEqual(["FilingEvidenceFiled"]);
    await (await approve(l, v, RiskClass.HIGH)).wait();
    await (await l.models.connect(l.regulator).recallVersion(v, h())).wait();
    await expectRevert(l.models.connect(l.developer).fileEvidence(v, renewed), "ModelRegistryFilingClosed", [v, 4]);
  });

  it("reinstatement re-checks the insurance: lapsed while suspended → refused until renewed", async () => {
    const l = await loadFixture(ledgerFixture);
    const now = BigInt(await time.latest());
    const v = await versionWith(l, RiskClass.HIGH, filing({ insurance: insurance({ coverageStart: now - 10n, coverageEnd: now + 1000n }) }));
    await (await approve(l, v, RiskClass.HIGH)).wait();
    await (await l.models.connect(l.regulator).suspendVersion(v, h())).wait();
    await time.increase(2000);
    await expectRevert(l.models.connect(l.regulator).reinstateVersion(v, h()), "ModelRegistryInsuranceNotInForce");
    await (await l.models.connect(l.developer).fileEvidence(v, filing())).wait();
    await (await l.models.connect(l.regulator).reinstateVersion(v, h())).wait();
  });

  it("governance can lift a class's insurance requirement; approval then passes without it", async () => {
    const l = await loadFixture(ledgerFixture);
    const v = await versionWith(l, RiskClass.HIGH, filing({ insurance: NO_INSURANCE }));
    await expectRevert(approve(l, v, RiskClass.HIGH), "ModelRegistryFilingEvidenceMissing", [v, FilingRequirement.INSURANCE]);
    await l.govern({ target: l.models, data: l.models.interface.encodeFunctionData("setPolicy", [RiskClass.HIGH, { ...DEFAULT_POLICIES.HIGH, requiresInsurance: false }]) });
    expect((await l.models.policy(RiskClass.HIGH)).requiresInsurance).toBe(false);
    await (await approve(l, v, RiskClass.HIGH)).wait();
  });
});
