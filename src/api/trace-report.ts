/**
 * The trace report over receipts an auditor was given (trace records stay with hospitals). Exact
 * over what it counts: only receipts proven anchored as presented count, each once; the others are
 * listed apart with their reasons. Rates are defined in docs/reports.md.
 */
import { indicationReport, summarizeTraces, type IndicationLookup, type IndicationSummary, type IndicationTrace, type VerifyReasonCode, type VerifyResult, type VersionTraceSummary } from "../sdk";

/**
 * Reasons that are findings about a genuine anchored trace (it counts, and the finding shows in its
 * rates). Any other reason means the receipt is not proven to be what was anchored (malformed, a
 * look-alike contract, a changed record, a proof or batch that does not match): it counts nowhere.
 */
export const FINDINGS: readonly VerifyReasonCode[] = ["VERSION_NOT_APPROVED_AT_TIME", "TIER_MISMATCH", "ACCEPTED_AT_TAKEOVER", "CONSENT_NOT_VALID_AT_TIME", "SEQUENCE_GAP"];

export interface TraceReport {
  /** Receipts in the request. */
  received: number;
  /** Distinct anchored traces counted in `versions`. */
  counted: number;
  /** Receipts that repeat a counted trace (same anchored leaf), each counted once. */
  duplicates: number;
  /** Receipts counted nowhere, with why (their index in the request). */
  excluded: { index: number; reasons: { code: string; message: string }[] }[];
  versions: VersionTraceSummary[];
  /** Off-indication use, adoption despite a risk warning and low-confidence adoption per version, hospital and month (issue 18). */
  indications: IndicationSummary[];
}

/** The report over receipts and their verdicts; `lookup` gives each version's approved indications. */
export async function traceReport(receipts: readonly unknown[], results: readonly VerifyResult[], lookup: IndicationLookup): Promise<TraceReport> {
  const seen = new Set<string>();
  const excluded: TraceReport["excluded"] = [];
  const items: { record: IndicationTrace; result: VerifyResult }[] = [];
  let duplicates = 0;
  receipts.forEach((raw, index) => {
    const result = results[index];
    const proofless = result.reasons.filter((r) => !FINDINGS.includes(r.code));
    if (proofless.length) return void excluded.push({ index, reasons: proofless });
    const r = raw as { leaf: string; batchId: string; record: IndicationTrace };
    // A verified receipt's leaf is its record's hash (salted): the same leaf is the same trace.
    const key = `${r.batchId.toLowerCase()}:${r.leaf.toLowerCase()}`;
    if (seen.has(key)) return void duplicates++;
    seen.add(key);
    items.push({ record: r.record, result });
  });
  const indications = await indicationReport(items.map((x) => x.record), lookup);
  return { received: receipts.length, counted: items.length, duplicates, excluded, versions: summarizeTraces(items), indications };
}
