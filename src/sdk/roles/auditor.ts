/**
 * Auditor: verifies trace receipts against the chain with the procedure of docs/receipt.md, built
 * from the pure checks of ../traces/checks.ts. Chain id and TraceAnchor come from the deployment
 * manifest, never from the receipt (which only picks among the manifest's generations'
 * TraceAnchors); each failed check is one named reason. Consent-at-the-time comes from a pluggable
 * checker (the indexer, when it runs). `ledger` is the manifest's current generation, connected.
 */
import type { Provider } from "ethers";
import type { Deployment, LedgerContracts } from "../deploy";
import { FACTORIES, InputError, currentGeneration, generationOfContract, generationsOf, inGeneration, type Generation } from "../../core";
import { ClinicianAction, Purpose } from "../../constants";
import { formerFormatLeafOf, leafOf, parseReceipt, type TraceReceipt } from "../traces/receipt";
import {
  checkAnchoring, checkClinicalRules, checkLeaf, checkNoGapBefore, checkPinned, checkProof, checkRecordInBatch, checkVersionAtTime,
  type AnchoredBatch, type VerifyReason, type VerifyReasonCode,
} from "../traces/checks";

export { VERIFY_REASONS, missingSequences, type VerifyReason, type VerifyReasonCode, type AnchoredBatch } from "../traces/checks";

export interface VerifyResult {
  valid: boolean;
  reasons: VerifyReason[];
  /** Checks that could not run (for example consent, without an indexer). */
  skipped: string[];
}

/** Answers "was this consent valid at this time?"; undefined when it cannot tell. */
export type ConsentAtTime = (subject: string, purpose: number, grantee: number, time: bigint) => Promise<boolean | undefined>;

/** A batch as verification needs it: its BatchAnchored event (see {@link AnchoredBatch}). */
export type BatchFacts = AnchoredBatch;

/**
 * What verification needs to know about the ledger, all of it from the manifest's contracts, in
 * one generation (`g`: the one whose TraceAnchor the receipt names), over that generation's block
 * range only. The default reads the chain (events); an indexer can answer the same from its store,
 * much faster (the API does).
 */
export interface LedgerFacts {
  /** The BatchAnchored event of a batch id in generation g, or undefined when g never anchored it. */
  batch(batchId: string, g: Generation): Promise<BatchFacts | undefined>;
  /** [firstSeq, firstSeq + count) of every batch a hospital anchored in generation g. */
  hospitalRanges(hospital: number, g: Generation): Promise<(readonly [bigint, bigint])[]>;
  /** A version's status changes in generation g with their block times, oldest first. */
  versionHistory(versionId: string, g: Generation): Promise<{ time: number; status: number }[]>;
}

export class Auditor {
  private readonly batches = new Map<string, Promise<BatchFacts | undefined>>();
  private readonly ranges = new Map<string, Promise<(readonly [bigint, bigint])[]>>();
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

  /** Facts read from the chain's events: generation g's TraceAnchor and ModelRegistry, over g's block range. */
  private chainFacts(): LedgerFacts {
    const current = currentGeneration(this.deployment);
    const contracts = (g: Generation) =>
      g.addresses.traces === current.addresses.traces ? this.ledger : { traces: FACTORIES.traces.connect(g.addresses.traces, this.provider), models: FACTORIES.models.connect(g.addresses.models, this.provider) };
    const range = (g: Generation) => [g.fromBlock, g.toBlock ?? "latest"] as const;
    return {
      batch: async (batchId, g) => {
        const { traces } = contracts(g);
        const [e] = await traces.queryFilter(traces.filters.BatchAnchored(batchId), ...range(g));
        if (!e) return undefined;
        const a = e.args;
        return { root: a.root, hospital: Number(a.hospital), firstSeq: a.firstSeq, count: Number(a.count), fromTime: a.fromTime, toTime: a.toTime, versions: [...a.versions], txHash: e.transactionHash, blockNumber: e.blockNumber };
      },
      hospitalRanges: async (hospital, g) => {
        const { traces } = contracts(g);
        return (await traces.queryFilter(traces.filters.BatchAnchored(undefined, hospital), ...range(g))).map((e) => [e.args.firstSeq, e.args.firstSeq + e.args.count] as const);
      },
      versionHistory: async (versionId, g) => {
        const { models } = contracts(g);
        const events = await models.queryFilter(models.filters.VersionStatusChanged(versionId), ...range(g));
        return Promise.all(events.map(async (e) => ({ time: await this.blockTime(e.blockNumber), status: Number(e.args.status) })));
      },
    };
  }

  /**
   * The generation whose TraceAnchor the receipt names, and the pinned-contract reasons: a
   * TraceAnchor of no generation is WRONG_CONTRACT (then the current generation's facts are asked,
   * so the other checks still say what they can).
   */
  private generationOf(receipt: TraceReceipt): { g: Generation; reasons: VerifyReason[] } {
    const found = generationOfContract(this.deployment, "traces", receipt.traceAnchor);
    const all = generationsOf(this.deployment);
    const pinned = found ?? currentGeneration(this.deployment);
    const named = all.length === 1 ? undefined : all.map((g) => `${g.addresses.traces} (generation ${g.generation})`).join(", ");
    return { g: pinned, reasons: checkPinned(receipt, { chainId: this.deployment.chainId, traceAnchor: pinned.addresses.traces, named }) };
  }

  /**
   * Verifies one receipt (an object or its parsed JSON) by the procedure of docs/receipt.md, in its
   * order. Never throws for a bad receipt: it says why.
   */
  async verifyReceipt(raw: unknown): Promise<VerifyResult> {
    const skipped: string[] = [];
    let receipt: TraceReceipt;
    let leaf: string;
    let formerLeaf: string | undefined;
    try {
      receipt = parseReceipt(raw);
      leaf = leafOf(receipt);
      formerLeaf = leaf === receipt.leaf ? undefined : formerFormatLeafOf(receipt);
    } catch (e) {
      return { valid: false, reasons: [{ code: "RECEIPT_MALFORMED", message: e instanceof InputError ? e.message : String(e) }], skipped };
    }
    const r = receipt.record;
    const { g, reasons: pinnedReasons } = this.generationOf(receipt);
    const reasons = [...pinnedReasons, ...checkLeaf(receipt, leaf, formerLeaf)];
    // Batch ids repeat across generations (a successor's sequences start again at 0): keyed by generation too.
    const batch = await this.memo(this.batches, `${g.generation}:${receipt.batchId.toLowerCase()}`, () => this.facts.batch(receipt.batchId, g));
    if (!batch || !inGeneration(g, batch.blockNumber)) {
      const where = generationsOf(this.deployment).length === 1 ? "this ledger's TraceAnchor" : `generation ${g.generation}'s TraceAnchor within its blocks ${g.fromBlock}..${g.toBlock ?? "now"}`;
      reasons.push({ code: "BATCH_UNKNOWN", message: `batch ${receipt.batchId} was never anchored by ${where}` });
      return { valid: false, reasons, skipped };
    }
    reasons.push(...checkProof(leaf, receipt, batch), ...checkAnchoring(receipt, batch), ...checkRecordInBatch(r, batch));
    reasons.push(...checkNoGapBefore(batch, await this.memo(this.ranges, `${g.generation}:${batch.hospital}`, () => this.facts.hospitalRanges(batch.hospital, g))));
    reasons.push(...checkVersionAtTime(r, await this.memo(this.histories, `${g.generation}:${r.modelVersion}`, () => this.facts.versionHistory(r.modelVersion, g))));
    reasons.push(...checkClinicalRules(r));
    const consent = this.consentAt ? await this.consentAt(r.subject, Purpose.CLINICAL_DECISION_SUPPORT, r.hospital, BigInt(r.time)) : undefined;
    if (consent === false) reasons.push({ code: "CONSENT_NOT_VALID_AT_TIME", message: `subject ${r.subject} had no valid CLINICAL_DECISION_SUPPORT consent for hospital ${r.hospital} at the trace's time` });
    if (consent === undefined) skipped.push("CONSENT_NOT_VALID_AT_TIME");
    return { valid: reasons.length === 0, reasons, skipped };
  }

  /** One request per key for the auditor's lifetime (a batch of receipts shares batches, hospitals and versions). */
  private memo<K, T>(cache: Map<K, Promise<T>>, key: K, load: () => Promise<T>): Promise<T> {
    let p = cache.get(key);
    if (!p) {
      p = load();
      cache.set(key, p);
    }
    return p;
  }

  private blockTime(n: number): Promise<number> {
    return this.memo(this.blockTimes, n, async () => (await this.provider.getBlock(n))!.timestamp);
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

const INTEGRITY: readonly VerifyReasonCode[] = ["RECEIPT_MALFORMED", "WRONG_CHAIN", "WRONG_CONTRACT", "LEAF_MISMATCH", "LEAF_WRONG_FORMAT", "BATCH_UNKNOWN", "PROOF_INVALID", "ANCHOR_TX_MISMATCH", "ANCHOR_BLOCK_MISMATCH"];

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
