/** Valid inputs for the registries, with overrides; each test changes only what it is about. */
import { id as keccakText } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { IDatasetRegistry, IModelRegistry, ITraceAnchor } from "../../typechain-types";
import { DEFAULT_POLICIES, Indication, Purpose, RiskClass, indicationMask, purposeMask } from "../../src/constants";
import type { Ledger } from "./fixture";

let counter = 0;
/** A fresh non-zero bytes32 each call. */
export const h = (label = "x") => keccakText(`${label}-${++counter}`);

export function registration(overrides: Partial<IDatasetRegistry.RegistrationStruct> = {}): IDatasetRegistry.RegistrationStruct {
  return {
    contentRoot: h("content"),
    cohortRoot: h("cohort"),
    metadataHash: h("meta"),
    uri: "s3://hospital-a/encrypted/ds.tar.age",
    allowedPurposes: purposeMask([Purpose.RESEARCH, Purpose.MODEL_TRAINING]),
    parents: [],
    demographics: { ageBps: [1000, 4000, 3000, 2000], sexBps: [5000, 4900, 100], regionBps: [4000, 3000, 2000, 1000], grassrootsBps: 2500 },
    ...overrides,
  };
}

export const passingEvaluation = (overrides: Partial<IModelRegistry.EvaluationStruct> = {}): IModelRegistry.EvaluationStruct => ({
  auc: DEFAULT_POLICIES.HIGH.minAuc,
  sensitivity: 8800,
  specificity: 9100,
  subgroupAucGap: DEFAULT_POLICIES.HIGH.maxSubgroupAucGap,
  biasTestCases: DEFAULT_POLICIES.HIGH.minBiasTestCases,
  grassrootsShare: DEFAULT_POLICIES.HIGH.minGrassrootsShare,
  ...overrides,
});

/** Coverage from 2020 to 2100: in force at any block a test reaches. */
export const insurance = (overrides: Partial<IModelRegistry.InsuranceStruct> = {}): IModelRegistry.InsuranceStruct => ({
  insurerHash: h("insurer"), policyHash: h("policy"), coverageStart: 1_577_836_800n, coverageEnd: 4_102_444_800n, ...overrides,
});
export const NO_INSURANCE: IModelRegistry.InsuranceStruct = { insurerHash: "0x" + "00".repeat(32), policyHash: "0x" + "00".repeat(32), coverageStart: 0n, coverageEnd: 0n };

/** Filing evidence that every default policy accepts: a white paper and insurance in force. */
export const filing = (overrides: Partial<IModelRegistry.FilingEvidenceStruct> = {}): IModelRegistry.FilingEvidenceStruct => ({
  whitePaperHash: h("white-paper"), insurance: insurance(), ...overrides,
});

/** The indications a default approval covers: chest radiograph findings and pneumonia diagnosis. */
export const INDICATIONS = indicationMask([Indication.CHEST_RADIOGRAPH_FINDINGS, Indication.PNEUMONIA_DIAGNOSIS]);

export function versionInput(trainingDatasets: string[], overrides: Partial<IModelRegistry.VersionInputStruct> = {}): IModelRegistry.VersionInputStruct {
  return { parent: "0x" + "00".repeat(32), weightsHash: h("weights"), modelCardHash: h("card"), trainingDatasets, evaluation: passingEvaluation(), filing: filing(), ...overrides };
}

/**
 * Registers a dataset (hospital A), a HIGH-risk model and a version; optionally approves it, and
 * (`deploy`) records its deployment by hospitals A and B, as the trace anchor requires.
 */
export async function modelWithVersion(l: Ledger, opts: { approve?: boolean; deploy?: boolean; risk?: number; name?: string } = {}) {
  const reg = registration();
  const datasetId = await l.datasets.connect(l.hospitalA).registerDataset.staticCall(reg);
  await (await l.datasets.connect(l.hospitalA).registerDataset(reg)).wait();
  const name = opts.name ?? `model-${++counter}`;
  const modelId = await l.models.connect(l.developer).registerModel.staticCall(name, "diagnosis", opts.risk ?? RiskClass.HIGH);
  await (await l.models.connect(l.developer).registerModel(name, "diagnosis", opts.risk ?? RiskClass.HIGH)).wait();
  const input = versionInput([datasetId]);
  const versionId = await l.models.connect(l.developer).registerVersion.staticCall(modelId, input);
  await (await l.models.connect(l.developer).registerVersion(modelId, input)).wait();
  if (opts.approve) await (await l.models.connect(l.regulator).approveVersion(versionId, `NMPA-${++counter}`, opts.risk ?? RiskClass.HIGH, INDICATIONS)).wait();
  if (opts.deploy) await deployed(l, versionId);
  return { datasetId, modelId, versionId };
}

/** The counts a batch of `count` records over `versions` declares by default: one each, the rest on the first. */
export function spread(count: number, versions: number): number[] {
  return Array.from({ length: versions }, (_, i) => (i === 0 ? Math.max(0, count - versions + 1) : 1));
}

/** Records the version's deployment by each hospital (default: A and B). */
export async function deployed(l: Ledger, versionId: string, hospitals = [l.hospitalA, l.hospitalB]): Promise<void> {
  for (const who of hospitals) await (await l.models.connect(who).recordDeployment(versionId)).wait();
}

/**
 * A valid batch header by default: a made-up tree root, and a window of the latest block's second
 * (windows may not run backwards, so successive default batches of one hospital stay valid).
 */
export async function batch(firstSeq: bigint | number, versions: string[], overrides: Partial<ITraceAnchor.BatchStruct> = {}): Promise<ITraceAnchor.BatchStruct> {
  const now = BigInt(await time.latest());
  const count = Number(overrides.count ?? 10);
  return { treeRoot: h("root"), firstSeq, count, fromTime: now, toTime: now, versions, versionCounts: spread(count, versions.length), ...overrides };
}
