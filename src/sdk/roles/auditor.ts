/**
 * Auditor: verifies trace receipts against the chain. Each failed check is one named reason.
 * Consent-at-the-time comes from a pluggable checker (the indexer, when it runs).
 */
import type { Provider } from "ethers";
import type { Deployment, LedgerContracts } from "../deploy";
import { InputError } from "../errors";
import { ClinicianAction, Purpose, Tier, VersionStatus, VERSION_STATUSES, tierFor, nameOf } from "../../constants";
import { leafOf, parseReceipt, type TraceReceipt } from "../traces/receipt";
import { processProof } from "../traces/merkle";

export const VERIFY_REASONS = [
  "RECEIPT_MALFORMED",
  "WRONG_CHAIN",
  "WRONG_CONTRACT",
  "LEAF_MISMATCH",
  "BATCH_UNKNOWN",
  "PROOF_INVALID",
  "SEQUENCE_OUTSIDE_BATCH",
  "SEQUENCE_GAP",
  "HOSPITAL_MISMATCH",
  "VERSION_NOT_IN_BATCH",
  "VERSION_NOT_APPROVED_AT_TIME",
  "TIER_MISMATCH",
  "ACCEPTED_AT_TAKEOVER",
  "CONSENT_NOT_VALID_AT_TIME",
] as const;
export type VerifyReasonCode = (typeof VERIFY_REASONS)[number];

export interface VerifyReason {
  code: VerifyReasonCode;
  message: string;
}

export interface VerifyResult {
  valid: boolean;
  reasons: VerifyReason[];
  /** Checks that could not run (for example consent, without an indexer). */
  skipped: string[];
}

/** Answers "was this consent valid at this time?"; undefined when it cannot tell. */
export type ConsentAtTime = (subject: string, purpose: number, grantee: number, time: bigint) => Promise<boolean | undefined>;

export interface BatchFacts {
  hospital: number;
  firstSeq: bigint;
  count: number;
  versions: string[];
  blockNumber: number;
}

/** The first sequence number of every gap in a hospital's batches ([from, to) ranges), from 0. */
export function missingSequences(ranges: readonly (readonly [bigint, bigint])[]): bigint[] {
  const missing: bigint[] = [];
  let next = 0n;
  for (const [from, to] of [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (from > next) missing.push(next);
    if (to > next) next = to;
  }
  return missing;
}

/**
 * What verification needs to know about the ledger. The default reads the chain (events and views);
 * an indexer can answer the same from its store, much faster (the API does).
 */
export interface LedgerFacts {
  batchRoot(batchId: string): Promise<string>;
  batch(batchId: string): Promise<BatchFacts | undefined>;
  /** [firstSeq, firstSeq + count) of every batch a hospital anchored. */
  hospitalRanges(hospital: number): Promise<(readonly [bigint, bigint])[]>;
  /** A version's status changes with their block times, oldest first. */
  versionHistory(versionId: string): Promise<{ time: number; status: number }[]>;
}

export class Auditor {
  private readonly batches = new Map<string, Promise<BatchFacts | undefined>>();
  private readonly gaps = new Map<number, Promise<bigint[]>>();
  private readonly histories = new Map<string, Promise<{ time: number; status: number }[]>>();
  private readonly blockTimes = new Map<number, Promise<number>>();

  private readonly facts: LedgerFacts;

  constructor(
    private readonly ledger: LedgerContracts,
    private readonly deployment: Deployment,
    private readonly provider: Provider,
    private readonly consentAt?: ConsentAtTime,
    facts?: LedgerFacts,
  ) {
    this.facts = facts ?? this.chainFacts();
  }

  /** Facts read from the chain's views and events. */
  private chainFacts(): LedgerFacts {
    const { traces, models } = this.ledger;
    const from = this.deployment.deploymentBlock;
    return {
      batchRoot: (batchId) => traces.batchRoot(batchId),
      batch: async (batchId) => {
        const [e] = await traces.queryFilter(traces.filters.BatchAnchored(batchId), from);
        return e ? { hospital: Number(e.args.hospital), firstSeq: e.args.firstSeq, count: Number(e.args.count), versions: [...e.args.versions], blockNumber: e.blockNumber } : undefined;
      },
      hospitalRanges: async (hospital) => (await traces.queryFilter(traces.filters.BatchAnchored(undefined, hospital), from)).map((e) => [e.args.firstSeq, e.args.firstSeq + e.args.count] as const),
      versionHistory: async (versionId) => {
        const events = await models.queryFilter(models.filters.VersionStatusChanged(versionId), from);
        return Promise.all(events.map(async (e) => ({ time: await this.blockTime(e.blockNumber), status: Number(e.args.status) })));
      },
    };
  }

  /** Verifies one receipt (an object or its parsed JSON). Never throws for a bad receipt: it says why. */
  async verifyReceipt(raw: unknown): Promise<VerifyResult> {
    const reasons: VerifyReason[] = [];
    const skipped: string[] = [];
    const fail = (code: VerifyReasonCode, message: string) => reasons.push({ code, message });
    let receipt: TraceReceipt;
    let leaf: string;
    try {
      receipt = parseReceipt(raw);
      leaf = leafOf(receipt);
    } catch (e) {
      fail("RECEIPT_MALFORMED", e instanceof InputError ? e.message : String(e));
      return { valid: false, reasons, skipped };
    }
    const r = receipt.record;
    if (receipt.chainId !== this.deployment.chainId) fail("WRONG_CHAIN", `receipt is for chain ${receipt.chainId}; this ledger is chain ${this.deployment.chainId}`);
    if (receipt.traceAnchor.toLowerCase() !== this.deployment.addresses.traces.toLowerCase()) {
      fail("WRONG_CONTRACT", `receipt names TraceAnchor ${receipt.traceAnchor}; this ledger's is ${this.deployment.addresses.traces}`);
    }
    if (leaf !== receipt.leaf.toLowerCase()) fail("LEAF_MISMATCH", `the record hashes to leaf ${leaf}, not the receipt's ${receipt.leaf}`);

    const root = await this.facts.batchRoot(receipt.batchId);
    if (/^0x0{64}$/.test(root)) {
      fail("BATCH_UNKNOWN", `batch ${receipt.batchId} was never anchored on this ledger`);
      return { valid: false, reasons, skipped };
    }
    if (processProof(Buffer.from(leaf.slice(2), "hex"), receipt.proof) !== root.toLowerCase()) {
      fail("PROOF_INVALID", `the proof does not lead from the record to batch ${receipt.batchId}'s anchored root ${root}`);
    }

    const batch = await this.batch(receipt.batchId);
    if (batch) {
      const seq = BigInt(r.seq);
      if (Number(r.hospital) !== batch.hospital) fail("HOSPITAL_MISMATCH", `record says hospital ${r.hospital}; batch was anchored by hospital ${batch.hospital}`);
      if (seq < batch.firstSeq || seq >= batch.firstSeq + BigInt(batch.count)) {
        fail("SEQUENCE_OUTSIDE_BATCH", `sequence ${seq} is outside batch ${batch.firstSeq}..${batch.firstSeq + BigInt(batch.count) - 1n}`);
      }
      const missing = await this.gapsBefore(batch.hospital, batch.firstSeq);
      if (missing.length > 0) fail("SEQUENCE_GAP", `hospital ${batch.hospital}'s log has a gap before this batch, at sequence ${missing.join(", ")}`);
      if (!batch.versions.map((v) => v.toLowerCase()).includes(r.modelVersion.toLowerCase())) {
        fail("VERSION_NOT_IN_BATCH", `version ${r.modelVersion} is not among the versions batch ${receipt.batchId} declared`);
      }
    }

    const status = await this.statusAt(r.modelVersion, Number(r.time));
    if (status !== VersionStatus.APPROVED) {
      fail("VERSION_NOT_APPROVED_AT_TIME", `model version ${r.modelVersion} was ${nameOf(VERSION_STATUSES, status)} at the trace's time ${new Date(Number(r.time) * 1000).toISOString()}`);
    }
    const expectedTier = Tier[tierFor(Number(r.confidenceBps))];
    if (Number(r.tier) !== expectedTier) fail("TIER_MISMATCH", `confidence ${r.confidenceBps} bps demands tier ${tierFor(Number(r.confidenceBps))}, the record says tier ${r.tier}`);
    if (expectedTier === Tier.TAKEOVER && Number(r.action) === ClinicianAction.ACCEPTED) {
      fail("ACCEPTED_AT_TAKEOVER", `the clinician ACCEPTED a TAKEOVER-tier output (confidence ${r.confidenceBps} bps); a human must take over`);
    }
    if (this.consentAt) {
      const ok = await this.consentAt(r.subject, Purpose.CLINICAL_DECISION_SUPPORT, Number(r.hospital), BigInt(r.time));
      if (ok === false) fail("CONSENT_NOT_VALID_AT_TIME", `subject ${r.subject} had no valid CLINICAL_DECISION_SUPPORT consent for hospital ${r.hospital} at the trace's time`);
      if (ok === undefined) skipped.push("CONSENT_NOT_VALID_AT_TIME");
    } else {
      skipped.push("CONSENT_NOT_VALID_AT_TIME");
    }
    return { valid: reasons.length === 0, reasons, skipped };
  }

  private batch(batchId: string): Promise<BatchFacts | undefined> {
    let p = this.batches.get(batchId);
    if (!p) {
      p = this.facts.batch(batchId);
      this.batches.set(batchId, p);
    }
    return p;
  }

  /** Sequence numbers below `before` that no batch of the hospital covers (the first of each gap). */
  private async gapsBefore(hospital: number, before: bigint): Promise<bigint[]> {
    let p = this.gaps.get(hospital);
    if (!p) {
      p = this.facts.hospitalRanges(hospital).then(missingSequences);
      this.gaps.set(hospital, p);
    }
    return (await p).filter((s) => s < before);
  }

  /** A version's status at a unix time, from its VersionStatusChanged history. */
  private async statusAt(versionId: string, time: number): Promise<number> {
    let p = this.histories.get(versionId);
    if (!p) {
      p = this.facts.versionHistory(versionId);
      this.histories.set(versionId, p);
    }
    let status = VersionStatus.NONE;
    for (const change of await p) if (change.time <= time) status = change.status;
    return status;
  }

  private blockTime(n: number): Promise<number> {
    let p = this.blockTimes.get(n);
    if (!p) {
      p = this.provider.getBlock(n).then((b) => b!.timestamp);
      this.blockTimes.set(n, p);
    }
    return p;
  }
}

export interface VersionTraceSummary {
  versionId: string;
  traces: number;
  /** Receipts whose record is exactly what was anchored (leaf, proof, batch). */
  anchored: number;
  consentCovered: number;
  tierCompliant: number;
  overrides: number;
  acceptedAtTakeover: number;
  consentCoverage: number;
  tierCompliance: number;
  overrideRate: number;
}

const INTEGRITY: readonly VerifyReasonCode[] = ["RECEIPT_MALFORMED", "WRONG_CHAIN", "WRONG_CONTRACT", "LEAF_MISMATCH", "BATCH_UNKNOWN", "PROOF_INVALID"];

/**
 * Per model version: consent coverage, tier compliance and override rate of a set of verified
 * receipts. Pure: takes each receipt's record and its verification result. An override is any
 * clinician action other than ACCEPTED; tier compliance means the tier matches the confidence and
 * no TAKEOVER-tier output was ACCEPTED.
 */
export function summarizeTraces(items: readonly { record: { modelVersion: string; action: number }; result: VerifyResult }[]): VersionTraceSummary[] {
  const by = new Map<string, VersionTraceSummary>();
  for (const { record, result } of items) {
    const v = record.modelVersion.toLowerCase();
    const s = by.get(v) ?? { versionId: v, traces: 0, anchored: 0, consentCovered: 0, tierCompliant: 0, overrides: 0, acceptedAtTakeover: 0, consentCoverage: 0, tierCompliance: 0, overrideRate: 0 };
    const codes = new Set(result.reasons.map((r) => r.code));
    s.traces++;
    if (![...codes].some((c) => INTEGRITY.includes(c))) s.anchored++;
    if (!codes.has("CONSENT_NOT_VALID_AT_TIME") && !result.skipped.includes("CONSENT_NOT_VALID_AT_TIME")) s.consentCovered++;
    if (!codes.has("TIER_MISMATCH") && !codes.has("ACCEPTED_AT_TAKEOVER")) s.tierCompliant++;
    if (codes.has("ACCEPTED_AT_TAKEOVER")) s.acceptedAtTakeover++;
    if (Number(record.action) !== ClinicianAction.ACCEPTED) s.overrides++;
    by.set(v, s);
  }
  const ratio = (n: number, d: number) => (d === 0 ? 0 : Math.round((n / d) * 10_000) / 10_000);
  return [...by.values()].map((s) => ({ ...s, consentCoverage: ratio(s.consentCovered, s.traces), tierCompliance: ratio(s.tierCompliant, s.traces), overrideRate: ratio(s.overrides, s.traces) }));
}
