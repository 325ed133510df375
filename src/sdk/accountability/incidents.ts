/**
 * Incidents (issue 18) as the SDK writes and reads them: a hospital's report built from a trace
 * receipt (the batch, the record's hash and its proof — the record itself never leaves the hospital),
 * its finding, an APPRAISER's determination, and one incident read back with names beside codes.
 */
import { AbiCoder, ZeroHash, keccak256, type ContractRunner, type Signer } from "ethers";
import type { LedgerContracts } from "../deploy";
import { InputError, connectLedger, domain, generationsOf, type Deployment } from "../../core";
import { sendWrite, eventNamed, type WriteResult } from "../tx";
import { isoOf } from "../../core";
import { incidentCategories, resolveCodes } from "../catalogue";
import { INCIDENT_SEVERITIES, LIABILITY_PARTIES, NUMBERS, OUTPUT_FINDINGS, nameOf } from "../../constants";
import type { TraceReceipt } from "../traces/receipt";

/** What a hospital says about the harm; the narrative stays with it, only its hash is anchored. */
export interface IncidentFacts {
  severity: string;
  category: string;
  /** When the harm occurred, chain time (Unix seconds). */
  occurredAt: number;
  narrativeHash: string;
}

const isB32 = (v: unknown): v is string => typeof v === "string" && /^0x[0-9a-fA-F]{64}$/.test(v);

/** keccak256 of the record's leaf encoding as the receipt states it: the hash TraceAnchor.verifyTrace takes. */
export function receiptRecordHash(receipt: Pick<TraceReceipt, "fields" | "leafEncoding" | "record" | "leaf">): string {
  const record = receipt.record as unknown as Record<string, unknown>;
  const recordHash = keccak256(AbiCoder.defaultAbiCoder().encode(receipt.leafEncoding, receipt.fields.map((f) => record[f])));
  if (keccak256(recordHash).toLowerCase() !== String(receipt.leaf).toLowerCase()) {
    throw new InputError("INCIDENT_RECEIPT_MISMATCH", "the receipt's record does not hash to its leaf; use the receipt the hospital's vault issued");
  }
  return recordHash;
}

/** The on-chain report and proof for the trace a receipt proves; pure apart from names resolved by the caller. */
export function incidentReportOf(receipt: TraceReceipt, facts: IncidentFacts, category: number) {
  const severity = INCIDENT_SEVERITIES.indexOf(facts.severity.toUpperCase() as (typeof INCIDENT_SEVERITIES)[number]);
  if (severity <= 0) throw new InputError("INCIDENT_BAD_SEVERITY", `severity must be one of ${INCIDENT_SEVERITIES.slice(1).join(", ")}, got "${facts.severity}"`);
  if (!isB32(facts.narrativeHash) || facts.narrativeHash === ZeroHash) throw new InputError("INCIDENT_BAD_NARRATIVE", "the narrative hash must be a non-zero 32-byte hex");
  if (!Number.isInteger(facts.occurredAt) || facts.occurredAt <= 0) throw new InputError("INCIDENT_BAD_TIME", "the harm's time must be unix seconds");
  const report = {
    batchId: receipt.batchId, seq: BigInt(receipt.record.seq), recordHash: receiptRecordHash(receipt), versionId: receipt.record.modelVersion,
    severity, category, occurredAt: BigInt(facts.occurredAt), narrativeHash: facts.narrativeHash,
  };
  return { report, proof: receipt.proof };
}

/** Reports an incident from a trace receipt; the caller is a key of the hospital that anchored it. */
export async function reportIncident(ledger: LedgerContracts, signer: Signer, receipt: TraceReceipt, facts: IncidentFacts): Promise<WriteResult & { incidentId: number }> {
  const [category] = resolveCodes(await incidentCategories(ledger), [facts.category], "incident category");
  const { report, proof } = incidentReportOf(receipt, facts, category);
  const c = ledger.incidents.connect(signer);
  const sent = await sendWrite(c, () => c.reportIncident(report, proof));
  return { ...sent, incidentId: Number(eventNamed(sent, "IncidentReported").args.incidentId) };
}

/** Records the reporting hospital's finding on the model's output (CORRECT, INCORRECT, INDETERMINATE). */
export async function recordFinding(ledger: LedgerContracts, signer: Signer, incidentId: number, finding: string, findingHash: string): Promise<WriteResult> {
  const f = OUTPUT_FINDINGS.indexOf(finding.toUpperCase() as (typeof OUTPUT_FINDINGS)[number]);
  if (f <= 0) throw new InputError("INCIDENT_BAD_FINDING", `a finding is one of ${OUTPUT_FINDINGS.slice(1).join(", ")}, got "${finding}"`);
  if (!isB32(findingHash) || findingHash === ZeroHash) throw new InputError("INCIDENT_BAD_FINDING", "the follow-up's hash must be a non-zero 32-byte hex");
  const c = ledger.incidents.connect(signer);
  return sendWrite(c, () => c.recordFinding(incidentId, f, findingHash));
}

/** Shares in basis points by party; checked here (whole, summing to 10,000) before the chain checks it again. */
export function sharesArg(s: { developer: number; hospital: number; clinician: number }) {
  const values = [s.developer, s.hospital, s.clinician];
  if (values.some((v) => !Number.isInteger(v) || v < 0 || v > NUMBERS.BPS) || values.reduce((a, b) => a + b, 0) !== NUMBERS.BPS) {
    throw new InputError("INCIDENT_BAD_SHARES", `shares are whole basis points summing to ${NUMBERS.BPS} (developer ${s.developer}, hospital ${s.hospital}, clinician ${s.clinician})`);
  }
  return { developer: s.developer, hospital: s.hospital, clinician: s.clinician };
}

/** One incident with names beside its codes and ISO times beside its chain times; undefined when unknown. */
export async function readIncident(ledger: Pick<LedgerContracts, "incidents">, incidentId: number, logs: { fromBlock?: number; maxRange?: number; categories?: readonly string[] } = {}) {
  return domain(async () => {
    const i = await ledger.incidents.incident(incidentId);
    if (i.hospital === 0n) return undefined;
    const d = await ledger.incidents.determination(incidentId);
    // A caller reading many incidents passes the category catalogue it read once.
    const categories = logs.categories ?? (await incidentCategories(ledger, logs.fromBlock, logs.maxRange));
    return {
      incidentId, hospital: Number(i.hospital), versionId: i.versionId, batchId: i.batchId, seq: i.seq.toString(), recordHash: i.recordHash,
      severity: Number(i.severity), severityName: nameOf(INCIDENT_SEVERITIES, i.severity),
      category: Number(i.category), categoryName: categories[Number(i.category)] ?? `UNKNOWN(${i.category})`,
      occurredAt: Number(i.occurredAt), occurredAtIso: isoOf(Number(i.occurredAt)), reportedAt: Number(i.reportedAt), reportedAtIso: isoOf(Number(i.reportedAt)),
      narrativeHash: i.narrativeHash, finding: Number(i.finding), findingName: nameOf(OUTPUT_FINDINGS, i.finding),
      determination: d.appraiser === 0n ? null : {
        appraiser: Number(d.appraiser), determinedAt: Number(d.determinedAt), determinedAtIso: isoOf(Number(d.determinedAt)), rulingHash: d.rulingHash,
        shares: Object.fromEntries(LIABILITY_PARTIES.map((p) => [p, Number(d.shares[p.toLowerCase() as "developer"])])),
      },
    };
  });
}

/**
 * The ledger generation whose IncidentRegistry holds `incidentId`, with that generation's contracts
 * (an incident's facts, consents and versions are judged on its own generation's): the current one
 * first, then older ones. A successor's registry numbers on from its predecessor's ids
 * (IncidentRegistry.firstIncidentId), so at most one generation holds an id. Undefined when none does;
 * else the generation, its contracts and the incident as its registry holds it.
 */
export async function incidentGeneration(d: Deployment, runner: ContractRunner, incidentId: number) {
  return domain(async () => {
    for (const generation of [...generationsOf(d)].reverse()) {
      const ledger = connectLedger({ ...d, addresses: generation.addresses }, runner);
      const incident = await ledger.incidents.incident(incidentId);
      if (incident.hospital !== 0n) return { generation, ledger, incident };
    }
    return undefined;
  });
}

/** An APPRAISER member: records the final determination of an incident (weights and its ruling's hash). */
export class Appraiser {
  constructor(
    private readonly ledger: LedgerContracts,
    private readonly signer: Signer,
  ) {}

  async determine(incidentId: number, shares: { developer: number; hospital: number; clinician: number }, rulingHash: string): Promise<WriteResult> {
    const s = sharesArg(shares);
    if (!isB32(rulingHash) || rulingHash === ZeroHash) throw new InputError("INCIDENT_BAD_RULING", "the ruling's hash must be a non-zero 32-byte hex");
    const c = this.ledger.incidents.connect(this.signer);
    return sendWrite(c, () => c.recordDetermination(incidentId, s, rulingHash));
  }
}
