import { describe, it, expect } from "vitest";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { encodeBytes32String } from "ethers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { expectRevert, eventsOf } from "../helpers/revert";
import { h, modelWithVersion, passingEvaluation, registration, versionInput, INDICATIONS } from "../helpers/builders";
import { DEFAULT_POLICIES, LineageBlock, LineageUse, PolicyMetric, Purpose, RiskClass, Role, VersionStatus, purposeMask } from "../../src/constants";
import { modelIdOf, reportIdOf, versionIdOf } from "../../src/sdk/ids";
import type { IModelRegistry } from "../../typechain-types";

const ZERO = "0x" + "00".repeat(32);
type Action = "approve" | "suspend" | "reinstate" | "recall" | "retire";

function act(l: Ledger, action: Action, versionId: string) {
  switch (action) {
    case "approve": return l.models.connect(l.regulator).approveVersion(versionId, `CODE-${h()}`, RiskClass.HIGH, INDICATIONS);
    case "suspend": return l.models.connect(l.regulator).suspendVersion(versionId, h("notice"));
    case "reinstate": return l.models.connect(l.regulator).reinstateVersion(versionId, h("notice"));
    case "recall": return l.models.connect(l.regulator).recallVersion(versionId, h("notice"));
    case "retire": return l.models.connect(l.developer).retireVersion(versionId, h("notice"));
  }
}

/** Paths that bring a fresh SUBMITTED version into each status. */
const PATHS: Record<string, Action[]> = {
  SUBMITTED: [],
  APPROVED: ["approve"],
  SUSPENDED: ["approve", "suspend"],
  RECALLED: ["approve", "recall"],
  RETIRED: ["retire"],
};
/** Allowed moves; everything else must revert with ModelRegistryInvalidTransition. */
const ALLOWED: Record<string, Partial<Record<Action, string>>> = {
  SUBMITTED: { approve: "APPROVED", retire: "RETIRED" },
  APPROVED: { suspend: "SUSPENDED", recall: "RECALLED", retire: "RETIRED" },
  SUSPENDED: { reinstate: "APPROVED", recall: "RECALLED", retire: "RETIRED" },
  RECALLED: {},
  RETIRED: { recall: "RECALLED" },
};
const TARGET: Record<Action, string> = { approve: "APPROVED", suspend: "SUSPENDED", reinstate: "APPROVED", recall: "RECALLED", retire: "RETIRED" };

describe("ModelRegistry", () => {
  describe("registerModel / registerVersion", () => {
    it("derive the same ids as the SDK and emit lineage", async () => {
      const l = await loadFixture(ledgerFixture);
      const { modelId, versionId, datasetId } = await modelWithVersion(l, { name: "chest-xray" });
      expect(modelId).toBe(modelIdOf(ORG.DEVELOPER, "chest-xray"));
      expect(await l.models.modelIdOf(ORG.DEVELOPER, "chest-xray")).toBe(modelId);
      const v = await l.models.version(versionId);
      expect(v.modelId).toBe(modelId);
      expect(v.status).toBe(BigInt(VersionStatus.SUBMITTED));
      const m = await l.models.model(modelId);
      expect([m.developer, m.riskClass]).toEqual([BigInt(ORG.DEVELOPER), BigInt(RiskClass.HIGH)]);
      const [reg] = await l.models.queryFilter(l.models.filters.VersionRegistered(versionId));
      expect(versionIdOf(modelId, reg.args.input.weightsHash)).toBe(versionId);
      expect(reg.args.input.trainingDatasets).toEqual([datasetId]);
      const child = versionInput([datasetId], { parent: versionId });
      const childId = await l.models.connect(l.developer).registerVersion.staticCall(modelId, child);
      const ev = await eventsOf(l.models.connect(l.developer).registerVersion(modelId, child), l.models);
      expect(ev.map((e) => e.name)).toEqual(["VersionRegistered", "VersionStatusChanged", "FilingEvidenceFiled"]);
      expect(ev[0].args[0]).toBe(childId);
      expect(ev[2].args.slice(0, 2)).toEqual([childId, BigInt(ORG.DEVELOPER)]);
    });

    it("refuses duplicates, bad input, another developer's model and datasets not for training", async () => {
      const l = await loadFixture(ledgerFixture);
      const { modelId, datasetId } = await modelWithVersion(l, { name: "m" });
      await expectRevert(l.models.connect(l.developer).registerModel("m", "x", RiskClass.LOW), "ModelRegistryModelExists", [modelId]);
      await expectRevert(l.models.connect(l.developer).registerModel("", "x", RiskClass.LOW), "ModelRegistryInvalidModel");
      await expectRevert(l.models.connect(l.developer).registerModel("n", "", RiskClass.LOW), "ModelRegistryInvalidModel");
      await expectRevert(l.models.connect(l.developer).registerModel("n", "x", RiskClass.NONE), "ModelRegistryInvalidModel");
      const reg = (input: IModelRegistry.VersionInputStruct, who = l.developer, model = modelId) => l.models.connect(who).registerVersion(model, input);
      await expectRevert(reg(versionInput([datasetId]), l.developerB), "ModelRegistryNotDeveloper", [modelId, ORG.DEVELOPER_B, ORG.DEVELOPER]);
      const ghost = h("ghost");
      await expectRevert(reg(versionInput([datasetId]), l.developer, ghost), "ModelRegistryUnknownModel", [ghost]);
      await expectRevert(reg(versionInput([])), "ModelRegistryInvalidVersion");
      await expectRevert(reg(versionInput([datasetId], { weightsHash: ZERO })), "ModelRegistryInvalidVersion");
      await expectRevert(reg(versionInput([datasetId], { modelCardHash: ZERO })), "ModelRegistryInvalidVersion");
      await expectRevert(reg(versionInput([datasetId], { evaluation: passingEvaluation({ auc: 10001 }) })), "ModelRegistryInvalidVersion");
      await expectRevert(reg(versionInput([datasetId], { parent: ghost })), "ModelRegistryUnknownVersion", [ghost]);
      await expectRevert(reg(versionInput([ghost])), "ModelRegistryDatasetNotForTraining", [ghost]);
      const researchOnly = registration({ allowedPurposes: purposeMask([Purpose.RESEARCH]) });
      const rid = await l.datasets.connect(l.hospitalA).registerDataset.staticCall(researchOnly);
      await (await l.datasets.connect(l.hospitalA).registerDataset(researchOnly)).wait();
      await expectRevert(reg(versionInput([rid])), "ModelRegistryDatasetNotForTraining", [rid]);
      await (await l.datasets.connect(l.hospitalA).retireDataset(datasetId)).wait();
      await (await l.datasets.connect(l.hospitalA).destroyDataset(datasetId, h())).wait();
      await expectRevert(reg(versionInput([datasetId])), "ModelRegistryDatasetNotUsable", [datasetId, LineageUse.TRAINING, datasetId, LineageBlock.DESTROYED]);
    });

    it("refuses the same weights twice for one model", async () => {
      const l = await loadFixture(ledgerFixture);
      const { modelId, versionId } = await modelWithVersion(l);
      const [reg] = await l.models.queryFilter(l.models.filters.VersionRegistered(versionId));
      const again = versionInput([...reg.args.input.trainingDatasets], { weightsHash: reg.args.input.weightsHash });
      await expectRevert(l.models.connect(l.developer).registerVersion(modelId, again), "ModelRegistryVersionExists", [versionId]);
    });
  });

  describe("status transitions", () => {
    for (const from of Object.keys(PATHS)) {
      for (const action of ["approve", "suspend", "reinstate", "recall", "retire"] as Action[]) {
        const to = ALLOWED[from][action];
        it(`${from} --${action}--> ${to ?? "refused"}`, async () => {
          const l = await loadFixture(ledgerFixture);
          const { versionId } = await modelWithVersion(l);
          for (const step of PATHS[from]) await (await act(l, step, versionId)).wait();
          if (to) {
            const ev = await eventsOf(act(l, action, versionId), l.models);
            expect(ev[0].name).toBe("VersionStatusChanged");
            expect(ev[0].args.slice(0, 3)).toEqual([versionId, BigInt(VersionStatus[from as "APPROVED"]), BigInt(VersionStatus[to as "APPROVED"])]);
            expect(await l.models.versionStatus(versionId)).toBe(BigInt(VersionStatus[to as "APPROVED"]));
          } else {
            await expectRevert(act(l, action, versionId), "ModelRegistryInvalidTransition", [versionId, VersionStatus[from as "APPROVED"], VersionStatus[TARGET[action] as "APPROVED"]]);
          }
        });
      }
    }

    it("only regulators approve, suspend, reinstate and recall; only the developer retires", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await modelWithVersion(l);
      await expectRevert(l.models.connect(l.developer).approveVersion(versionId, "SELF", RiskClass.HIGH, INDICATIONS), "ConsortiumWrongRole", [ORG.DEVELOPER, Role.MODEL_DEVELOPER, Role.REGULATOR]);
      await expectRevert(l.models.connect(l.auditor).recallVersion(versionId, h()), "ConsortiumWrongRole", [ORG.AUDITOR, Role.AUDITOR, Role.REGULATOR]);
      await expectRevert(l.models.connect(l.developerB).retireVersion(versionId, h()), "ModelRegistryNotDeveloper");
      await expectRevert(l.models.connect(l.regulator).retireVersion(versionId, h()), "ConsortiumWrongRole");
      await expectRevert(l.models.connect(l.regulator).approveVersion(h("ghost"), "X", RiskClass.HIGH, INDICATIONS), "ModelRegistryUnknownVersion");
    });
  });

  describe("approveVersion policy", () => {
    const misses: [keyof IModelRegistry.EvaluationStruct, number, number, number][] = [
      ["auc", DEFAULT_POLICIES.HIGH.minAuc - 1, PolicyMetric.AUC, DEFAULT_POLICIES.HIGH.minAuc],
      ["subgroupAucGap", DEFAULT_POLICIES.HIGH.maxSubgroupAucGap + 1, PolicyMetric.SUBGROUP_AUC_GAP, DEFAULT_POLICIES.HIGH.maxSubgroupAucGap],
      ["biasTestCases", DEFAULT_POLICIES.HIGH.minBiasTestCases - 1, PolicyMetric.BIAS_TEST_CASES, DEFAULT_POLICIES.HIGH.minBiasTestCases],
      ["grassrootsShare", DEFAULT_POLICIES.HIGH.minGrassrootsShare - 1, PolicyMetric.GRASSROOTS_SHARE, DEFAULT_POLICIES.HIGH.minGrassrootsShare],
    ];
    for (const [field, value, metric, required] of misses) {
      it(`refuses a HIGH-risk version whose ${field} is ${value}`, async () => {
        const l = await loadFixture(ledgerFixture);
        const { modelId, datasetId } = await modelWithVersion(l);
        const input = versionInput([datasetId], { evaluation: passingEvaluation({ [field]: value }) });
        const vid = await l.models.connect(l.developer).registerVersion.staticCall(modelId, input);
        await (await l.models.connect(l.developer).registerVersion(modelId, input)).wait();
        await expectRevert(l.models.connect(l.regulator).approveVersion(vid, "NMPA-1", RiskClass.HIGH, INDICATIONS), "ModelRegistryPolicyNotMet", [vid, metric, value, required]);
      });
    }

    it("a LOW-risk version passes with figures a HIGH one would fail", async () => {
      const l = await loadFixture(ledgerFixture);
      const { modelId, datasetId } = await modelWithVersion(l, { risk: RiskClass.LOW });
      const input = versionInput([datasetId], { evaluation: passingEvaluation({ auc: DEFAULT_POLICIES.LOW.minAuc, grassrootsShare: DEFAULT_POLICIES.LOW.minGrassrootsShare }) });
      const vid = await l.models.connect(l.developer).registerVersion.staticCall(modelId, input);
      await (await l.models.connect(l.developer).registerVersion(modelId, input)).wait();
      const ev = await eventsOf(l.models.connect(l.regulator).approveVersion(vid, "NMPA-LOW", RiskClass.LOW, INDICATIONS), l.models);
      expect(ev.map((e) => e.name)).toEqual(["VersionStatusChanged", "VersionApproved"]);
      expect(ev[1].args).toEqual([vid, BigInt(ORG.REGULATOR), "NMPA-LOW", BigInt(RiskClass.LOW), INDICATIONS]);
      expect((await l.models.version(vid)).riskClass).toBe(BigInt(RiskClass.LOW));
    });

    it("filing codes are unique and non-empty", async () => {
      const l = await loadFixture(ledgerFixture);
      const a = await modelWithVersion(l);
      const b = await modelWithVersion(l);
      await expectRevert(l.models.connect(l.regulator).approveVersion(a.versionId, "", RiskClass.HIGH, INDICATIONS), "ModelRegistryInvalidFilingCode", [""]);
      await (await l.models.connect(l.regulator).approveVersion(a.versionId, "NMPA-2026-001", RiskClass.HIGH, INDICATIONS)).wait();
      await expectRevert(l.models.connect(l.regulator).approveVersion(b.versionId, "NMPA-2026-001", RiskClass.HIGH, INDICATIONS), "ModelRegistryInvalidFilingCode", ["NMPA-2026-001"]);
    });

    it("thresholds change only through governance, and apply at once after the delay", async () => {
      const l = await loadFixture(ledgerFixture);
      const { modelId, datasetId } = await modelWithVersion(l);
      const input = versionInput([datasetId], { evaluation: passingEvaluation({ auc: 8800 }) });
      const vid = await l.models.connect(l.developer).registerVersion.staticCall(modelId, input);
      await (await l.models.connect(l.developer).registerVersion(modelId, input)).wait();
      const relaxed = { ...DEFAULT_POLICIES.HIGH, minAuc: 8500 };
      await expectRevert(l.models.connect(l.regulator).setPolicy(RiskClass.HIGH, relaxed), "AccessManagedUnauthorized");
      await expectRevert(l.govern({ target: l.models, data: l.models.interface.encodeFunctionData("setPolicy", [RiskClass.HIGH, { ...relaxed, minAuc: 10001 }]) }), "ModelRegistryInvalidPolicy", [RiskClass.HIGH]);
      await expectRevert(l.govern({ target: l.models, data: l.models.interface.encodeFunctionData("setPolicy", [RiskClass.NONE, relaxed]) }), "ModelRegistryInvalidPolicy", [RiskClass.NONE]);
      await l.govern({ target: l.models, data: l.models.interface.encodeFunctionData("setPolicy", [RiskClass.HIGH, relaxed]) });
      expect((await l.models.policy(RiskClass.HIGH)).minAuc).toBe(8500n);
      await (await l.models.connect(l.regulator).approveVersion(vid, "NMPA-RELAXED", RiskClass.HIGH, INDICATIONS)).wait();
    });
  });

  describe("parent versions (issue 20: another developer's version was accepted as a parent)", () => {
    it("a parent must be a version of the same developer, of any of its models", async () => {
      const l = await loadFixture(ledgerFixture);
      const mine = await modelWithVersion(l);
      const other = await modelWithVersion(l);
      // Developer B's model and a version of it that names developer A's version as its parent.
      const modelB = await l.models.connect(l.developerB).registerModel.staticCall("b-model", "diagnosis", RiskClass.HIGH);
      await (await l.models.connect(l.developerB).registerModel("b-model", "diagnosis", RiskClass.HIGH)).wait();
      await expectRevert(l.models.connect(l.developerB).registerVersion(modelB, versionInput([mine.datasetId], { parent: mine.versionId })), "ModelRegistryParentOfAnotherDeveloper", [mine.versionId, ORG.DEVELOPER_B, ORG.DEVELOPER]);
      // The same developer may derive from its own version of another model (a fork is still its own work).
      await (await l.models.connect(l.developer).registerVersion(other.modelId, versionInput([other.datasetId], { parent: mine.versionId }))).wait();
    });
  });

  describe("policy the regulator owns (issue 20)", () => {
    /** A model the developer proposes as LOW, and a version whose AUC (0.80) only LOW's policy accepts. */
    async function lowProposal(l: Ledger) {
      const { modelId, datasetId } = await modelWithVersion(l, { risk: RiskClass.LOW });
      const input = versionInput([datasetId], { evaluation: passingEvaluation({ auc: DEFAULT_POLICIES.LOW.minAuc }) });
      const vid = await l.models.connect(l.developer).registerVersion.staticCall(modelId, input);
      await (await l.models.connect(l.developer).registerVersion(modelId, input)).wait();
      return { modelId, datasetId, vid, input };
    }

    it("the regulator's class decides the policy; the developer's class is only a proposal", async () => {
      const l = await loadFixture(ledgerFixture);
      const { vid } = await lowProposal(l);
      await expectRevert(l.models.connect(l.regulator).approveVersion(vid, "F-1", RiskClass.HIGH, INDICATIONS), "ModelRegistryPolicyNotMet", [vid, PolicyMetric.AUC, DEFAULT_POLICIES.LOW.minAuc, DEFAULT_POLICIES.HIGH.minAuc]);
      await expectRevert(l.models.connect(l.regulator).approveVersion(vid, "F-1", RiskClass.NONE, INDICATIONS), "ModelRegistryInvalidRiskClass", [RiskClass.NONE]);
      expect((await l.models.version(vid)).riskClass).toBe(BigInt(RiskClass.NONE));
      await (await l.models.connect(l.regulator).approveVersion(vid, "F-1", RiskClass.LOW, INDICATIONS)).wait();
      expect((await l.models.version(vid)).riskClass).toBe(BigInt(RiskClass.LOW));
    });

    it("the declared grassroots share may not exceed the largest share the training datasets registered", async () => {
      const l = await loadFixture(ledgerFixture);
      const { modelId, datasetId } = await modelWithVersion(l); // registered with grassrootsBps 2500
      const zero = registration({ demographics: { ...registration().demographics, grassrootsBps: 0 } });
      const zeroId = await l.datasets.connect(l.hospitalA).registerDataset.staticCall(zero);
      await (await l.datasets.connect(l.hospitalA).registerDataset(zero)).wait();
      const claim = (training: string[], share: number) => l.models.connect(l.developer).registerVersion(modelId, versionInput(training, { evaluation: passingEvaluation({ grassrootsShare: share }) }));
      await expectRevert(claim([zeroId], 2000), "ModelRegistryGrassrootsShareUnsupported", [2000, 0]);
      await expectRevert(claim([zeroId, datasetId], 2501), "ModelRegistryGrassrootsShareUnsupported", [2501, 2500]);
      await (await claim([zeroId, datasetId], 2500)).wait();
      await (await claim([datasetId], 1000)).wait(); // understating only makes approval harder
    });

    it("reinstatement re-checks the policy in force now (tightened meanwhile → refused) and the training data", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId, datasetId } = await modelWithVersion(l, { approve: true });
      await (await l.models.connect(l.regulator).suspendVersion(versionId, h())).wait();
      const tightened = { ...DEFAULT_POLICIES.HIGH, minBiasTestCases: DEFAULT_POLICIES.HIGH.minBiasTestCases + 1 };
      await l.govern({ target: l.models, data: l.models.interface.encodeFunctionData("setPolicy", [RiskClass.HIGH, tightened]) });
      await expectRevert(l.models.connect(l.regulator).reinstateVersion(versionId, h()), "ModelRegistryPolicyNotMet", [versionId, PolicyMetric.BIAS_TEST_CASES, DEFAULT_POLICIES.HIGH.minBiasTestCases, tightened.minBiasTestCases]);
      // Who asks is checked before what the version meets: a developer learns nothing about the policy.
      await expectRevert(l.models.connect(l.developer).reinstateVersion(versionId, h()), "ConsortiumWrongRole", [ORG.DEVELOPER, Role.MODEL_DEVELOPER, Role.REGULATOR]);
      await l.govern({ target: l.models, data: l.models.interface.encodeFunctionData("setPolicy", [RiskClass.HIGH, DEFAULT_POLICIES.HIGH]) });
      await (await l.datasets.connect(l.regulator).setSuspended(datasetId, true)).wait();
      await expectRevert(l.models.connect(l.regulator).reinstateVersion(versionId, h()), "ModelRegistryDatasetNotUsable", [datasetId, LineageUse.APPROVAL, datasetId, LineageBlock.SUSPENDED]);
      await (await l.datasets.connect(l.regulator).setSuspended(datasetId, false)).wait();
      await (await l.models.connect(l.regulator).reinstateVersion(versionId, h())).wait();
      expect(await l.models.versionStatus(versionId)).toBe(BigInt(VersionStatus.APPROVED));
    });

    it("weights that were ever recalled are never registered or approved again, under any model name", async () => {
      const l = await loadFixture(ledgerFixture);
      const recalled = await modelWithVersion(l, { approve: true });
      const [reg] = await l.models.queryFilter(l.models.filters.VersionRegistered(recalled.versionId));
      const weights = reg.args.input.weightsHash;
      // The same weights, registered under two other names before the recall: one SUBMITTED, one later SUSPENDED.
      const waiting = await modelWithVersion(l);
      const twinIn = versionInput([waiting.datasetId], { weightsHash: weights });
      const twin = await l.models.connect(l.developer).registerVersion.staticCall(waiting.modelId, twinIn);
      await (await l.models.connect(l.developer).registerVersion(waiting.modelId, twinIn)).wait();
      const live = await modelWithVersion(l);
      const liveIn = versionInput([live.datasetId], { weightsHash: weights });
      const liveTwin = await l.models.connect(l.developer).registerVersion.staticCall(live.modelId, liveIn);
      await (await l.models.connect(l.developer).registerVersion(live.modelId, liveIn)).wait();
      await (await l.models.connect(l.regulator).approveVersion(liveTwin, "F-TWIN", RiskClass.HIGH, INDICATIONS)).wait();
      await (await l.models.connect(l.regulator).suspendVersion(liveTwin, h())).wait();

      expect(await l.models.weightsRecalled(weights)).toBe(false);
      await (await l.models.connect(l.regulator).recallVersion(recalled.versionId, h())).wait();
      expect(await l.models.weightsRecalled(weights)).toBe(true);
      const renamed = await modelWithVersion(l, { name: "renamed-after-recall" });
      await expectRevert(l.models.connect(l.developer).registerVersion(renamed.modelId, versionInput([renamed.datasetId], { weightsHash: weights })), "ModelRegistryWeightsRecalled", [weights]);
      await expectRevert(l.models.connect(l.regulator).approveVersion(twin, "F-AGAIN", RiskClass.HIGH, INDICATIONS), "ModelRegistryWeightsRecalled", [weights]);
      await expectRevert(l.models.connect(l.regulator).reinstateVersion(liveTwin, h()), "ModelRegistryWeightsRecalled", [weights]);
    });
  });

  describe("deployments and reports", () => {
    async function deployed(l: Ledger) {
      const r = await modelWithVersion(l, { approve: true });
      await (await l.models.connect(l.hospitalA).recordDeployment(r.versionId)).wait();
      return r;
    }
    const report = async (subgroups: [string, number][], o: Partial<IModelRegistry.PerformanceReportStruct> = {}): Promise<IModelRegistry.PerformanceReportStruct> => {
      const now = BigInt(await time.latest());
      return { periodStart: now - 86400n, periodEnd: now, cases: 1000, auc: 9100, subgroups: subgroups.map(([s, auc]) => ({ subgroup: encodeBytes32String(s), auc, cases: 100 })), reportHash: h("report"), ...o };
    };

    it("deploys only APPROVED versions, once per hospital", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await modelWithVersion(l);
      await expectRevert(l.models.connect(l.hospitalA).recordDeployment(versionId), "ModelRegistryNotApproved", [versionId, VersionStatus.SUBMITTED]);
      await (await l.models.connect(l.regulator).approveVersion(versionId, "C-1", RiskClass.HIGH, INDICATIONS)).wait();
      const ev = await eventsOf(l.models.connect(l.hospitalA).recordDeployment(versionId), l.models);
      expect(ev).toEqual([{ name: "DeploymentRecorded", args: [versionId, BigInt(ORG.HOSPITAL_A)] }]);
      await expectRevert(l.models.connect(l.hospitalA).recordDeployment(versionId), "ModelRegistryAlreadyDeployed", [versionId, ORG.HOSPITAL_A]);
      await expectRevert(l.models.connect(l.developer).recordDeployment(versionId), "ConsortiumWrongRole");
    });

    it("a report within policy raises no alert; one beyond it raises a FairnessAlert", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await deployed(l);
      const limit = DEFAULT_POLICIES.HIGH.maxSubgroupAucGap;
      const ok = await report([["sex:FEMALE", 9000], ["sex:MALE", 9000 + limit]]);
      const okEv = await eventsOf(l.models.connect(l.hospitalA).fileReport(versionId, ok), l.models);
      expect(okEv.map((e) => e.name)).toEqual(["PerformanceReported"]);
      const reportId = reportIdOf(versionId, ORG.HOSPITAL_A, ok.periodStart as bigint, ok.periodEnd as bigint);
      expect(okEv[0].args[2]).toBe(reportId);
      const bad = await report([["region:EAST", 9300], ["region:WEST", 9300 - limit - 1], ["region:CENTRAL", 9100]], { periodStart: 1n });
      const badEv = await eventsOf(l.models.connect(l.hospitalA).fileReport(versionId, bad), l.models);
      expect(badEv.map((e) => e.name)).toEqual(["PerformanceReported", "FairnessAlert"]);
      expect(badEv[1].args.slice(3)).toEqual([BigInt(limit + 1), BigInt(limit)]);
    });

    it("an overall AUC below the class's minimum raises a PerformanceAlert, with no, one or many subgroups (issue 20)", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await deployed(l);
      const min = DEFAULT_POLICIES.HIGH.minAuc;
      const cases: [[string, number][], number, string[]][] = [
        [[], 5000, ["PerformanceReported", "PerformanceAlert"]],
        [[["sex:FEMALE", 5000]], 5000, ["PerformanceReported", "PerformanceAlert"]],
        [[["sex:FEMALE", 9000], ["sex:MALE", 9000]], min - 1, ["PerformanceReported", "PerformanceAlert"]],
        [[], min, ["PerformanceReported"]],
      ];
      for (const [i, [groups, auc, names]] of cases.entries()) {
        const r = await report(groups, { auc, periodStart: BigInt(100 + i) });
        const ev = await eventsOf(l.models.connect(l.hospitalA).fileReport(versionId, r), l.models);
        expect(ev.map((e) => e.name)).toEqual(names);
        if (names.length > 1) expect(ev[1].args.slice(3)).toEqual([BigInt(auc), BigInt(min)]);
      }
    });

    it("alerts hold a version to the class the regulator assigned, not the developer's proposal", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await modelWithVersion(l, { risk: RiskClass.LOW });
      await (await l.models.connect(l.regulator).approveVersion(versionId, "F-HIGH", RiskClass.HIGH, INDICATIONS)).wait();
      await (await l.models.connect(l.hospitalA).recordDeployment(versionId)).wait();
      const limit = DEFAULT_POLICIES.HIGH.maxSubgroupAucGap; // LOW's limit would be 1000
      const ev = await eventsOf(l.models.connect(l.hospitalA).fileReport(versionId, await report([["a", 9500], ["b", 9500 - limit - 1]], { auc: DEFAULT_POLICIES.LOW.minAuc })), l.models);
      expect(ev.map((e) => e.name)).toEqual(["PerformanceReported", "FairnessAlert", "PerformanceAlert"]);
      expect(ev[1].args.slice(3)).toEqual([BigInt(limit + 1), BigInt(limit)]);
      expect(ev[2].args.slice(3)).toEqual([BigInt(DEFAULT_POLICIES.LOW.minAuc), BigInt(DEFAULT_POLICIES.HIGH.minAuc)]);
    });

    it("refuses reports from hospitals that did not deploy, duplicates and malformed periods", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await deployed(l);
      const r = await report([["a", 9000]]);
      await expectRevert(l.models.connect(l.hospitalB).fileReport(versionId, r), "ModelRegistryNotDeployed", [versionId, ORG.HOSPITAL_B]);
      await (await l.models.connect(l.hospitalA).fileReport(versionId, r)).wait();
      await expectRevert(l.models.connect(l.hospitalA).fileReport(versionId, r), "ModelRegistryInvalidReport");
      const now = BigInt(await time.latest());
      await expectRevert(l.models.connect(l.hospitalA).fileReport(versionId, await report([], { periodStart: now, periodEnd: now - 5n })), "ModelRegistryInvalidReport");
      await expectRevert(l.models.connect(l.hospitalA).fileReport(versionId, await report([], { periodStart: 5n, periodEnd: now + 1000n })), "ModelRegistryInvalidReport");
      await expectRevert(l.models.connect(l.hospitalA).fileReport(versionId, await report([], { periodStart: 6n, reportHash: ZERO })), "ModelRegistryInvalidReport");
      await expectRevert(l.models.connect(l.hospitalA).fileReport(versionId, await report([["a", 10001], ["b", 9000]], { periodStart: 7n })), "ModelRegistryInvalidReport");
      await expectRevert(l.models.connect(l.hospitalA).fileReport(versionId, await report(Array(33).fill(["a", 9000]), { periodStart: 8n })), "ModelRegistryInvalidReport");
    });
  });
});
