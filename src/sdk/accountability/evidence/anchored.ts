/**
 * RECORD_ANCHORED: the receipt's record is the one the hospital anchored — it hashes to the receipt's
 * leaf, the position-bound proof leads to the batch's anchored root, and the record agrees with the
 * BatchAnchored log (hospital, sequence range, declared version, time window). The checks are those
 * of receipt verification (../../traces/checks.ts), run on the cited log instead of a fresh query.
 */
import { checkLeaf, checkProof, checkRecordInBatch, type AnchoredBatch } from "../../traces/checks";
import { leafOf, type TraceReceipt } from "../../traces/receipt";
import type { EventProof } from "./format";
import type { RuleResult } from "./rules";

/** The BatchAnchored log of a pack as the receipt checks read it. */
export function anchoredBatchOf(e: EventProof): AnchoredBatch {
  const a = e.args;
  return {
    root: String(a.root), hospital: Number(a.hospital), firstSeq: BigInt(a.firstSeq as string), count: Number(a.count),
    fromTime: BigInt(a.fromTime as string), toTime: BigInt(a.toTime as string), versions: (a.versions as string[]).map((v) => v.toLowerCase()),
    txHash: e.txHash, blockNumber: e.blockNumber,
  };
}

export function recordAnchored(receipt: TraceReceipt, cited: readonly EventProof[]): RuleResult {
  const e = cited.find((x) => x.event === "BatchAnchored" && x.args.batchId === receipt.batchId);
  if (!e) return { met: false, words: `the anchoring of batch ${receipt.batchId} is not cited` };
  let leaf: string;
  try {
    leaf = leafOf(receipt);
  } catch (err) {
    return { met: false, words: (err as Error).message };
  }
  const batch = anchoredBatchOf(e);
  const reasons = [...checkLeaf(receipt, leaf), ...checkProof(leaf, receipt, batch), ...checkRecordInBatch(receipt.record, batch)];
  return reasons.length === 0
    ? { met: true, words: `the record is leaf ${BigInt(receipt.record.seq) - batch.firstSeq} of batch ${receipt.batchId}, anchored in block ${e.blockNumber} (tx ${e.txHash}), inside its window` }
    : { met: false, words: reasons.map((r) => `${r.code}: ${r.message}`).join("; ") };
}
