/**
 * Hospital (data custodian and clinical site): registers datasets from files, records uses,
 * relays patients' signed consents, records deployments and files post-market reports.
 */
import { writeFileDurably } from "../../core";
import { encodeBytes32String, keccak256, type Signer } from "ethers";
import type { LedgerContracts } from "../deploy";
import { InputError } from "../../core";
import { datasetIdOf } from "../ids";
import { buildDataset, manifestPathFor, type BuiltDataset } from "../datasets/build";
import { sendWrite, eventNamed, type WriteResult } from "../tx";
import { Role, purposeMask } from "../../constants";
import type { SignedGrant, SignedRevoke } from "./patient";
import { OutboxSigner } from "../outbox/signer";
import { recordFinding, reportIncident, type IncidentFacts } from "../accountability/incidents";
import type { TraceReceipt } from "../traces/receipt";

export interface DatasetRegistered extends Partial<WriteResult> {
  datasetId: string;
  built: BuiltDataset;
  manifestPath: string;
  /** False when the same dataset was already registered (an idempotent retry). */
  created: boolean;
}

export interface ReportInput {
  periodStart: number;
  periodEnd: number;
  cases: number;
  auc: number;
  subgroups: { subgroup: string; auc: number; cases: number }[];
  reportHash: string;
}

export class Hospital {
  constructor(
    private readonly ledger: LedgerContracts,
    private readonly signer: Signer,
  ) {}

  /** This key's organisation id (reverts with the named reason when the key may not act as a hospital). */
  async orgId(): Promise<number> {
    return Number(await this.ledger.consortium.requireMember(await this.signer.getAddress(), Role.HOSPITAL));
  }

  /**
   * Hashes a directory of JSON records or a JSONL file, writes the cohort manifest beside it, and
   * registers the dataset. Registering the same data again returns the existing id.
   */
  async registerDataset(
    source: string,
    o: { purposes: number[]; uri: string; parents?: string[]; onRecord?: (n: number) => void },
  ): Promise<DatasetRegistered> {
    if (o.purposes.length === 0) throw new InputError("DATASET_NO_PURPOSES", "name at least one allowed purpose");
    const custodian = await this.orgId();
    const built = await buildDataset(source, o.onRecord);
    const manifestPath = manifestPathFor(source);
    writeFileDurably(manifestPath, JSON.stringify({ contentRoot: built.contentRoot, cohortRoot: built.cohortRoot, subjects: built.subjects, cohortTree: built.cohortTree }, null, 2));
    const datasetId = datasetIdOf(custodian, built.contentRoot, built.cohortRoot, built.metadataHash);
    if ((await this.ledger.datasets.dataset(datasetId)).custodian !== 0n) return { datasetId, built, manifestPath, created: false };
    const d = this.ledger.datasets.connect(this.signer);
    const sent = await sendWrite(d, () =>
      d.registerDataset({
        contentRoot: built.contentRoot,
        cohortRoot: built.cohortRoot,
        metadataHash: built.metadataHash,
        uri: o.uri,
        allowedPurposes: purposeMask(o.purposes),
        parents: o.parents ?? [],
        demographics: built.demographics,
      }),
    );
    return { datasetId: eventNamed(sent, "DatasetRegistered").args.datasetId, built, manifestPath, created: true, ...sent };
  }

  recordUse(datasetId: string, purpose: number): Promise<WriteResult> {
    const d = this.ledger.datasets.connect(this.signer);
    return sendWrite(d, () => d.recordUse(datasetId, purpose));
  }

  /** Relays a patient-signed grant (the hospital pays gas). */
  relayGrant(signed: SignedGrant): Promise<WriteResult> {
    const c = this.ledger.consents.connect(this.relaySigner(signed));
    return sendWrite(c, () => c.grantConsentBySig(signed.request, signed.signature));
  }

  /** Relays a patient-signed revocation. */
  relayRevoke(signed: SignedRevoke): Promise<WriteResult> {
    const c = this.ledger.consents.connect(this.relaySigner(signed));
    return sendWrite(c, () => c.revokeConsentBySig(signed.request, signed.signature));
  }

  /**
   * Through an outbox, a relay is one logical write per patient signature: relaying the same signed
   * request again (a client's retry, a restart) returns the first outcome instead of a second send.
   * A signer already keyed (the demo's seeding names its steps) keeps its key.
   */
  private relaySigner(signed: SignedGrant | SignedRevoke): Signer {
    return this.signer instanceof OutboxSigner && this.signer.key === undefined ? this.signer.withKey(`relay:${keccak256(signed.signature)}`) : this.signer;
  }

  deployVersion(versionId: string): Promise<WriteResult> {
    const m = this.ledger.models.connect(this.signer);
    return sendWrite(m, () => m.recordDeployment(versionId));
  }

  /**
   * Files a post-market report; `alert` carries the FairnessAlert when the subgroup gap broke policy,
   * `performanceAlert` the PerformanceAlert when the overall AUC fell below it.
   */
  async fileReport(versionId: string, r: ReportInput): Promise<WriteResult & { reportId: string; alert?: { gap: number; limit: number }; performanceAlert?: { auc: number; minAuc: number } }> {
    const m = this.ledger.models.connect(this.signer);
    const sent = await sendWrite(m, () => m.fileReport(versionId, { ...r, subgroups: r.subgroups.map((s) => ({ ...s, subgroup: encodeBytes32String(s.subgroup) })) }));
    const alert = sent.events.find((e) => e.name === "FairnessAlert");
    const low = sent.events.find((e) => e.name === "PerformanceAlert");
    return {
      ...sent,
      reportId: eventNamed(sent, "PerformanceReported").args.reportId,
      alert: alert ? { gap: Number(alert.args.gap), limit: Number(alert.args.limit) } : undefined,
      performanceAlert: low ? { auc: Number(low.args.auc), minAuc: Number(low.args.minAuc) } : undefined,
    };
  }

  /** Reports an adverse event against one of this hospital's anchored traces, from its receipt (issue 18). */
  reportIncident(receipt: TraceReceipt, facts: IncidentFacts): Promise<WriteResult & { incidentId: number }> {
    return reportIncident(this.ledger, this.signer, receipt, facts);
  }

  /** Records whether the model's output in an incident this hospital reported was correct. */
  recordFinding(incidentId: number, finding: string, followUpHash: string): Promise<WriteResult> {
    return recordFinding(this.ledger, this.signer, incidentId, finding, followUpHash);
  }
}
