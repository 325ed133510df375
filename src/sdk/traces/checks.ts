/**
 * The checks of receipt verification (docs/receipt.md, "The verification procedure"), one small
 * pure function per step: each takes the parsed receipt and the facts the chain gave, and returns
 * the named reasons it failed with (none when it passed). The Auditor gathers the facts and runs
 * them in the documented order; the procedure printed in docs/receipt.md does the same with ethers
 * alone, and a test holds both to the same verdict on a corpus of tampered receipts.
 */
import { getAddress } from "ethers";
import { ClinicianAction, TIERS, Tier, VersionStatus, VERSION_STATUSES, nameOf, tierFor } from "../../constants";
import { isoOf } from "../../core";
import type { TraceReceipt } from "./receipt";
import type { TraceRecordJson } from "./record";
import { processProof } from "./merkle";

/** Every reason verification can give, in the order the checks run. */
export const VERIFY_REASONS = [
  "RECEIPT_MALFORMED",
  "WRONG_CHAIN",
  "WRONG_CONTRACT",
  "LEAF_MISMATCH",
  "LEAF_WRONG_FORMAT",
  "BATCH_UNKNOWN",
  "PROOF_INVALID",
  "ANCHOR_TX_MISMATCH",
  "ANCHOR_BLOCK_MISMATCH",
  "HOSPITAL_MISMATCH",
  "SEQUENCE_OUTSIDE_BATCH",
  "VERSION_NOT_IN_BATCH",
  "TIME_OUTSIDE_BATCH",
  "SEQUENCE_GAP",
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

/** What the deployment manifest pins; a receipt's own chainId and traceAnchor are only compared with it. */
export interface Pinned {
  chainId: number;
  traceAnchor: string;
  /** Every generation's TraceAnchor in words, when the manifest lists several (for the message). */
  named?: string;
}

/** The BatchAnchored event of the pinned TraceAnchor for a batch id, with where it was emitted. */
export interface AnchoredBatch {
  root: string;
  hospital: number;
  firstSeq: bigint;
  count: number;
  fromTime: bigint;
  toTime: bigint;
  versions: string[];
  txHash: string;
  blockNumber: number;
}

const reason = (code: VerifyReasonCode, message: string): VerifyReason => ({ code, message });
const when = (t: bigint) => (t <= 8_640_000_000_000n ? `${t} (${isoOf(t)})` : String(t));

/** The receipt names the manifest's chain and TraceAnchor (which are then used; the receipt's never are). */
export function checkPinned(receipt: TraceReceipt, pinned: Pinned): VerifyReason[] {
  const out: VerifyReason[] = [];
  if (receipt.chainId !== pinned.chainId) out.push(reason("WRONG_CHAIN", `receipt is for chain ${receipt.chainId}; the deployment manifest's chain is ${pinned.chainId}`));
  if (getAddress(receipt.traceAnchor) !== getAddress(pinned.traceAnchor)) out.push(reason("WRONG_CONTRACT", `receipt names TraceAnchor ${receipt.traceAnchor}; ${pinned.named ? `the deployment manifest's generations' are ${pinned.named}` : `the deployment manifest's is ${pinned.traceAnchor}`}`));
  return out;
}

/**
 * The record hashes to the receipt's leaf (`leaf`: recomputed from the record in its receipt's
 * record format). When a /3 receipt's leaf is instead the format-1 leaf of the record's first 14
 * fields (`formerLeaf`), a format-1 trace is being presented as format 2 (an indication and warning
 * added to it afterwards): LEAF_WRONG_FORMAT, not LEAF_MISMATCH. The two leaf encodings are
 * domain-separated (448- and 512-byte preimages), so neither leaf is ever the other's.
 */
export function checkLeaf(receipt: TraceReceipt, leaf: string, formerLeaf?: string): VerifyReason[] {
  if (leaf === receipt.leaf) return [];
  if (formerLeaf === receipt.leaf) {
    return [reason("LEAF_WRONG_FORMAT", `the receipt's leaf ${receipt.leaf} is the format-1 leaf of this record without its indication and risk warning: a format-1 trace presented as format 2 (${receipt.format}); its format-2 leaf would be ${leaf}`)];
  }
  return [reason("LEAF_MISMATCH", `the record hashes to leaf ${leaf}, not the receipt's ${receipt.leaf}`)];
}

/**
 * The proof leads from the record's leaf, at its own position (seq − firstSeq) in a tree of the
 * batch's count, to the batch's anchored root keccak(abi.encode(count, treeRoot)).
 */
export function checkProof(leaf: string, receipt: TraceReceipt, batch: AnchoredBatch): VerifyReason[] {
  const position = BigInt(receipt.record.seq) - batch.firstSeq;
  const root = processProof(Buffer.from(leaf.slice(2), "hex"), receipt.proof, position, batch.count);
  if (root === batch.root.toLowerCase()) return [];
  const where = position >= 0n && position < BigInt(batch.count) ? `at position ${position} of its ${batch.count} leaves` : `(its sequence is not among the batch's ${batch.count})`;
  return [reason("PROOF_INVALID", `the proof does not lead from the record ${where} to batch ${receipt.batchId}'s anchored root ${batch.root}`)];
}

/** The receipt's anchorTx and blockNumber are those of the batch's BatchAnchored event. */
export function checkAnchoring(receipt: TraceReceipt, batch: AnchoredBatch): VerifyReason[] {
  const out: VerifyReason[] = [];
  if (receipt.anchorTx !== batch.txHash.toLowerCase()) out.push(reason("ANCHOR_TX_MISMATCH", `batch ${receipt.batchId} was anchored by transaction ${batch.txHash}, not the receipt's ${receipt.anchorTx}`));
  if (receipt.blockNumber !== batch.blockNumber) out.push(reason("ANCHOR_BLOCK_MISMATCH", `batch ${receipt.batchId} was anchored in block ${batch.blockNumber}, not the receipt's ${receipt.blockNumber}`));
  return out;
}

/** The record belongs to the batch the chain recorded: its hospital, sequence range, versions and time window. */
export function checkRecordInBatch(r: TraceRecordJson, batch: AnchoredBatch): VerifyReason[] {
  const out: VerifyReason[] = [];
  const [seq, time, end] = [BigInt(r.seq), BigInt(r.time), batch.firstSeq + BigInt(batch.count)];
  if (r.hospital !== batch.hospital) out.push(reason("HOSPITAL_MISMATCH", `record says hospital ${r.hospital}; the batch was anchored by hospital ${batch.hospital}`));
  if (seq < batch.firstSeq || seq >= end) out.push(reason("SEQUENCE_OUTSIDE_BATCH", `sequence ${seq} is outside the batch's ${batch.firstSeq}..${end - 1n}`));
  if (!batch.versions.some((v) => v.toLowerCase() === r.modelVersion)) out.push(reason("VERSION_NOT_IN_BATCH", `version ${r.modelVersion} is not among the versions the batch declared`));
  if (time < batch.fromTime || time > batch.toTime) {
    out.push(reason("TIME_OUTSIDE_BATCH", `the record's time ${when(time)} is outside the batch's anchored window ${when(batch.fromTime)}..${when(batch.toTime)}`));
  }
  return out;
}

/**
 * The first sequence number of every gap in a hospital's batches ([from, to) ranges), from 0.
 * A gap before a batch means traces were withheld from the log that batch continues.
 */
export function missingSequences(ranges: readonly (readonly [bigint, bigint])[]): bigint[] {
  const missing: bigint[] = [];
  let next = 0n;
  for (const [from, to] of [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (from > next) missing.push(next);
    if (to > next) next = to;
  }
  return missing;
}

/** No gap in the hospital's anchored sequence before this batch (`ranges`: every batch it anchored). */
export function checkNoGapBefore(batch: AnchoredBatch, ranges: readonly (readonly [bigint, bigint])[]): VerifyReason[] {
  const missing = missingSequences(ranges).filter((s) => s < batch.firstSeq);
  return missing.length === 0 ? [] : [reason("SEQUENCE_GAP", `hospital ${batch.hospital}'s log has a gap before this batch, at sequence ${missing.join(", ")}`)];
}

/** A version's status at `time`: the last VersionStatusChanged whose block time is at or before it (NONE before any). */
export function statusAt(history: readonly { time: number; status: number }[], time: bigint): number {
  let status: number = VersionStatus.NONE;
  for (const change of history) if (BigInt(change.time) <= time) status = change.status;
  return status;
}

/** The model version was APPROVED at the record's time (`history`: its status changes, oldest first). */
export function checkVersionAtTime(r: TraceRecordJson, history: readonly { time: number; status: number }[]): VerifyReason[] {
  const status = statusAt(history, BigInt(r.time));
  return status === VersionStatus.APPROVED ? [] : [reason("VERSION_NOT_APPROVED_AT_TIME", `model version ${r.modelVersion} was ${nameOf(VERSION_STATUSES, status)}, not APPROVED, at the trace's time ${when(BigInt(r.time))}`)];
}

/** The tier is the one the confidence demands, and no TAKEOVER-tier output was ACCEPTED. */
export function checkClinicalRules(r: TraceRecordJson): VerifyReason[] {
  const out: VerifyReason[] = [];
  const expected = Tier[tierFor(r.confidenceBps)];
  const confidence = `${r.confidenceBps / 100}% (${r.confidenceBps} bps)`;
  if (r.tier !== expected) out.push(reason("TIER_MISMATCH", `a confidence of ${confidence} demands the ${tierFor(r.confidenceBps)} tier, but the record says ${nameOf(TIERS, r.tier)} (${r.tier})`));
  if (expected === Tier.TAKEOVER && r.action === ClinicianAction.ACCEPTED) {
    out.push(reason("ACCEPTED_AT_TAKEOVER", `the clinician accepted an output in the TAKEOVER tier (confidence ${confidence}), where a human must take over`));
  }
  return out;
}
