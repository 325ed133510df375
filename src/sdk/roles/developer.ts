/** Model developer: registers models and versions (lineage and evaluation figures) from model cards. */
import { ZeroHash, keccak256, toUtf8Bytes, type Signer } from "ethers";
import type { LedgerContracts } from "../deploy";
import { InputError } from "../../core";
import { modelIdOf, versionIdOf } from "../ids";
import { sendWrite, type WriteResult } from "../tx";
import { NUMBERS, RISK_CLASSES, RiskClass, Role } from "../../constants";

/** A model card as a developer writes it (JSON). */
export interface ModelCard {
  model: string; // the model's name (this developer's) or its id
  parent?: string | null;
  weightsHash: string;
  trainingDatasets: string[];
  evaluation: { auc: number; sensitivity: number; specificity: number; subgroupAucGap: number; biasTestCases: number; grassrootsShare: number };
}

const CARD_FIELDS = ["model", "parent", "weightsHash", "trainingDatasets", "evaluation"];
const EVAL_FIELDS = ["auc", "sensitivity", "specificity", "subgroupAucGap", "biasTestCases", "grassrootsShare"] as const;
const isB32 = (v: unknown) => typeof v === "string" && /^0x[0-9a-fA-F]{64}$/.test(v);

/**
 * Filing evidence given at registration (CLI flags `--white-paper`, `--insurer`, `--insurance-policy`,
 * `--coverage-start`, `--coverage-end`): hashes of documents the developer keeps, and the coverage
 * period in chain time (Unix seconds). Omitted parts go on-chain as zero (none on file).
 */
export interface FilingInput {
  whitePaperHash?: string;
  insurance?: { insurerHash: string; policyHash: string; coverageStart: number; coverageEnd: number };
}

const ZERO_INSURANCE = { insurerHash: ZeroHash, policyHash: ZeroHash, coverageStart: 0, coverageEnd: 0 };

/** The on-chain FilingEvidence struct for a filing input; throws InputError for a malformed one. */
export function filingEvidence(f: FilingInput = {}) {
  const i = f.insurance;
  if (f.whitePaperHash !== undefined && !isB32(f.whitePaperHash)) throw new InputError("FILING_BAD_WHITE_PAPER", "the white paper hash must be 32-byte hex");
  if (i && (!isB32(i.insurerHash) || !isB32(i.policyHash) || !Number.isInteger(i.coverageStart) || !Number.isInteger(i.coverageEnd) || i.coverageStart < 0 || i.coverageStart > i.coverageEnd)) {
    throw new InputError("FILING_BAD_INSURANCE", "insurance needs an insurer, a policy document and a coverage start no later than its end");
  }
  return { whitePaperHash: f.whitePaperHash ?? ZeroHash, insurance: i ?? ZERO_INSURANCE };
}

/** Checks a model card; throws InputError naming the first problem. */
export function parseModelCard(raw: unknown): ModelCard {
  const bad = (code: string, msg: string, field: string): never => {
    throw new InputError(code, msg, { field });
  };
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) bad("CARD_NOT_OBJECT", "a model card must be a JSON object", "(root)");
  const c = raw as Record<string, unknown>;
  for (const k of Object.keys(c)) if (!CARD_FIELDS.includes(k)) bad("CARD_UNKNOWN_FIELD", `model card field "${k}" is not known (allowed: ${CARD_FIELDS.join(", ")})`, k);
  if (typeof c.model !== "string" || c.model === "") bad("CARD_MISSING_FIELD", `field "model" must be the model's name or id`, "model");
  if (c.parent !== undefined && c.parent !== null && !isB32(c.parent)) bad("CARD_BAD_FIELD", `field "parent" must be a version id (32-byte hex) or null`, "parent");
  if (!isB32(c.weightsHash)) bad("CARD_BAD_FIELD", `field "weightsHash" must be a 32-byte hex hash of the weights`, "weightsHash");
  if (!Array.isArray(c.trainingDatasets) || c.trainingDatasets.length === 0 || !c.trainingDatasets.every(isB32)) {
    bad("CARD_BAD_FIELD", `field "trainingDatasets" must list at least one dataset id (32-byte hex)`, "trainingDatasets");
  }
  const e = c.evaluation as Record<string, unknown> | undefined;
  if (!e || typeof e !== "object") bad("CARD_MISSING_FIELD", `field "evaluation" is missing`, "evaluation");
  for (const k of Object.keys(e!)) if (!(EVAL_FIELDS as readonly string[]).includes(k)) bad("CARD_UNKNOWN_FIELD", `evaluation field "${k}" is not known (allowed: ${EVAL_FIELDS.join(", ")})`, `evaluation.${k}`);
  for (const k of EVAL_FIELDS) {
    const v = e![k];
    const max = k === "biasTestCases" ? 2 ** 32 - 1 : NUMBERS.BPS;
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > max) bad("CARD_BAD_FIELD", `evaluation.${k} must be an integer 0..${max}${k === "biasTestCases" ? "" : " (basis points)"}`, `evaluation.${k}`);
  }
  return c as unknown as ModelCard;
}

export class Developer {
  constructor(
    private readonly ledger: LedgerContracts,
    private readonly signer: Signer,
  ) {}

  async orgId(): Promise<number> {
    return Number(await this.ledger.consortium.requireMember(await this.signer.getAddress(), Role.MODEL_DEVELOPER));
  }

  /** Registers a model; an existing model of the same name and developer is returned as is. */
  async registerModel(o: { name: string; intendedUse: string; riskClass: string }): Promise<Partial<WriteResult> & { modelId: string; created: boolean }> {
    const risk = RISK_CLASSES.indexOf(o.riskClass as (typeof RISK_CLASSES)[number]);
    if (risk <= 0) throw new InputError("MODEL_BAD_RISK_CLASS", `risk class must be one of ${RISK_CLASSES.slice(1).join(", ")}, got "${o.riskClass}"`);
    const modelId = modelIdOf(await this.orgId(), o.name);
    if ((await this.ledger.models.model(modelId)).developer !== 0n) return { modelId, created: false };
    const m = this.ledger.models.connect(this.signer);
    const sent = await sendWrite(m, () => m.registerModel(o.name, o.intendedUse, risk as (typeof RiskClass)[keyof typeof RiskClass]));
    return { ...sent, modelId, created: true };
  }

  /**
   * Registers a version from a model card; `cardText` is hashed as the model-card hash. `filing` is
   * the version's white paper and insurance (a risk class's policy may require them at approval).
   */
  async registerVersion(card: ModelCard, cardText: string, filing?: FilingInput): Promise<Partial<WriteResult> & { versionId: string; modelId: string; created: boolean }> {
    const modelId = isB32(card.model) ? card.model : modelIdOf(await this.orgId(), card.model);
    const versionId = versionIdOf(modelId, card.weightsHash);
    if ((await this.ledger.models.version(versionId)).status !== 0n) return { versionId, modelId, created: false };
    const evidence = filingEvidence(filing);
    const m = this.ledger.models.connect(this.signer);
    const sent = await sendWrite(m, () =>
      m.registerVersion(modelId, {
        parent: card.parent ?? ZeroHash,
        weightsHash: card.weightsHash,
        modelCardHash: keccak256(toUtf8Bytes(cardText)),
        trainingDatasets: card.trainingDatasets,
        evaluation: card.evaluation,
        filing: evidence,
      }),
    );
    return { ...sent, versionId, modelId, created: true };
  }

  /** Replaces a version's filing evidence (a revised white paper, renewed insurance); both are required. */
  fileEvidence(versionId: string, filing: Required<FilingInput>): Promise<WriteResult> {
    const evidence = filingEvidence(filing);
    const m = this.ledger.models.connect(this.signer);
    return sendWrite(m, () => m.fileEvidence(versionId, evidence));
  }
}
