/** Regulator: approves versions under a filing code, suspends, reinstates and recalls them, suspends members and datasets. */
import { id as hashText, type Signer } from "ethers";
import type { LedgerContracts } from "../deploy";
import { sendWrite, type WriteResult } from "../tx";

export class Regulator {
  constructor(
    private readonly ledger: LedgerContracts,
    private readonly signer: Signer,
  ) {}

  private get models() {
    return this.ledger.models.connect(this.signer);
  }

  approve(versionId: string, filingCode: string): Promise<WriteResult> {
    return sendWrite(this.models, () => this.models.approveVersion(versionId, filingCode));
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
