/** Regulator: approves versions under a filing code, suspends, reinstates and recalls them, suspends members and datasets. */
import { id as hashText, type Signer } from "ethers";
import type { LedgerContracts } from "../deploy";
import { sendWrite, type WriteResult } from "../tx";
import { InputError } from "../../core";
import { RISK_CLASSES, RiskClass, indicationMask } from "../../constants";
import { indicationCatalogue, resolveCodes } from "../catalogue";

export class Regulator {
  constructor(
    private readonly ledger: LedgerContracts,
    private readonly signer: Signer,
  ) {}

  private get models() {
    return this.ledger.models.connect(this.signer);
  }

  /**
   * Approves a version, holding it to `riskClass` (HIGH, MEDIUM or LOW): the regulator's class. Without
   * one the regulator confirms the developer's proposal (the model's registered class); `riskClass` in
   * the result says which class the version is now held to. `indications` names what the version is
   * approved for (names or ids from the on-chain indication catalogue; at least one).
   */
  async approve(versionId: string, filingCode: string, riskClass: string | undefined, indications: readonly string[]): Promise<WriteResult & { riskClass: string; indications: string[] }> {
    const risk = riskClass === undefined ? await this.proposedClass(versionId) : RISK_CLASSES.indexOf(riskClass.toUpperCase() as (typeof RISK_CLASSES)[number]);
    if (risk <= 0) throw new InputError("MODEL_BAD_RISK_CLASS", `risk class must be one of ${RISK_CLASSES.slice(1).join(", ")}, got "${riskClass}"`);
    if (indications.length === 0) throw new InputError("APPROVAL_NO_INDICATIONS", "an approval names the indications it covers (see `medprov indication list`)");
    const catalogue = await indicationCatalogue(this.ledger);
    const ids = resolveCodes(catalogue, indications, "indication");
    const mask = indicationMask(ids);
    const sent = await sendWrite(this.models, () => this.models.approveVersion(versionId, filingCode, risk as (typeof RiskClass)[keyof typeof RiskClass], mask));
    return { ...sent, riskClass: RISK_CLASSES[risk], indications: ids.map((i) => catalogue[i]) };
  }

  /** The developer's proposed class for a version's model (0 when the version is unknown). */
  private async proposedClass(versionId: string): Promise<number> {
    const v = await this.ledger.models.version(versionId);
    return Number((await this.ledger.models.model(v.modelId)).riskClass);
  }

  /** `notice` is the regulator's text; only its hash goes on-chain. */
  suspend(versionId: string, notice: string): Promise<WriteResult> {
    return sendWrite(this.models, () => this.models.suspendVersion(versionId, hashText(notice)));
  }

  reinstate(versionId: string, notice: string): Promise<WriteResult> {
    return sendWrite(this.models, () => this.models.reinstateVersion(versionId, hashText(notice)));
  }

  recall(versionId: string, notice: string): Promise<WriteResult> {
    return sendWrite(this.models, () => this.models.recallVersion(versionId, hashText(notice)));
  }

  suspendMember(orgId: number): Promise<WriteResult> {
    const c = this.ledger.consortium.connect(this.signer);
    return sendWrite(c, () => c.suspendMember(orgId));
  }

  setDatasetSuspended(datasetId: string, suspended: boolean): Promise<WriteResult> {
    const d = this.ledger.datasets.connect(this.signer);
    return sendWrite(d, () => d.setSuspended(datasetId, suspended));
  }
}
