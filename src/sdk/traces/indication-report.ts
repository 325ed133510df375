/**
 * Indications and warnings per trace (issue 18), as report figures: per model version, hospital
 * and period (UTC calendar month of the trace's time), how many traces were used outside the
 * version's approved indications, how many outputs carrying a risk warning the clinician adopted
 * anyway, and how many low-confidence outputs were adopted. Pure: the caller hands in the records
 * of verified receipts and each version's approved indications (a uint64 bitmask, bit i = catalogue
 * id i, from the on-chain approval), or "unknown" where that is not known. docs/reports.md defines
 * every figure; test/sdk/indication-report.test.ts holds them to a recount.
 */
import { ClinicianAction, Tier, tierFor } from "../../constants";

/** A version's approved indications: bit i set = indication id i approved; "unknown" when the approval is not known. */
export type ApprovedIndications = bigint | "unknown";

/** Where the report reads a version's approved indications (the on-chain approval, through an index). */
export interface IndicationLookup {
  approvedIndications(versionId: string): Promise<ApprovedIndications>;
}

/** The fields of a (verified) trace record the figures read; `indication`/`riskWarning` only in format 2. */
export interface IndicationTrace {
  modelVersion: string;
  hospital: number;
  time: string | bigint;
  confidenceBps: number;
  action: number;
  indication?: number;
  riskWarning?: boolean;
}

export interface IndicationSummary {
  versionId: string;
  hospital: number;
  /** UTC calendar month of the traces' time, "YYYY-MM" (chain-stated trace time, bounded by the batch window). */
  period: string;
  traces: number;
  /** Format-1 traces: they do not say their indication (nor whether a warning was shown). */
  indicationUnknown: number;
  /** Format-2 traces of a version whose approved indications are not known to the report. */
  approvalUnknown: number;
  /** Format-2 traces whose indication is among the version's approved indications. */
  onIndication: number;
  /** Format-2 traces whose indication is not among the version's approved indications. */
  offIndication: number;
  /** Format-2 traces whose output carried a risk warning. */
  warned: number;
  /** Warned traces the clinician ACCEPTED. */
  adoptedDespiteWarning: number;
  /** Traces whose confidence puts them below the REVIEW tier (DIFFERENTIAL or TAKEOVER). */
  lowConfidence: number;
  /** Low-confidence traces the clinician ACCEPTED. */
  lowConfidenceAdoption: number;
  offIndicationRate: number;
  adoptedDespiteWarningRate: number;
  lowConfidenceAdoptionRate: number;
}

const ratio = (n: number, d: number) => (d === 0 ? 0 : Math.round((n / d) * 10_000) / 10_000);

/** "YYYY-MM" (UTC) of a Unix time; a time past Date's range reads as the year 275760's last month, never throws. */
export function monthOf(time: string | bigint): string {
  const t = Number(time);
  const d = new Date(Math.min(t, 8_640_000_000_000) * 1000);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** The figures of one trace, as 0/1 counts (the summary adds them up). */
function countsOf(r: IndicationTrace, approved: ApprovedIndications): Omit<IndicationSummary, "versionId" | "hospital" | "period" | "offIndicationRate" | "adoptedDespiteWarningRate" | "lowConfidenceAdoptionRate"> {
  const accepted = Number(r.action) === ClinicianAction.ACCEPTED;
  const known = r.indication !== undefined;
  const judged = known && approved !== "unknown";
  const on = judged && ((approved as bigint) >> BigInt(r.indication!)) % 2n === 1n;
  // The tier the confidence demands, not the record's own tier field (a wrong one is TIER_MISMATCH, and must not hide an adoption).
  const low = Tier[tierFor(r.confidenceBps)] !== Tier.REVIEW;
  const warned = known && r.riskWarning === true;
  return {
    traces: 1,
    indicationUnknown: known ? 0 : 1,
    approvalUnknown: known && !judged ? 1 : 0,
    onIndication: on ? 1 : 0,
    offIndication: judged && !on ? 1 : 0,
    warned: warned ? 1 : 0,
    adoptedDespiteWarning: warned && accepted ? 1 : 0,
    lowConfidence: low ? 1 : 0,
    lowConfidenceAdoption: low && accepted ? 1 : 0,
  };
}

/**
 * The figures per (version, hospital, period), sorted by version, hospital, then period.
 * `approved` gives each version's approved indications (a version missing from it is "unknown").
 */
export function indicationSummary(records: readonly IndicationTrace[], approved: ReadonlyMap<string, ApprovedIndications>): IndicationSummary[] {
  const by = new Map<string, IndicationSummary>();
  for (const r of records) {
    const versionId = r.modelVersion.toLowerCase();
    const period = monthOf(r.time);
    const key = `${versionId}|${String(r.hospital).padStart(10, "0")}|${period}`;
    const s = by.get(key) ?? {
      versionId, hospital: r.hospital, period, traces: 0, indicationUnknown: 0, approvalUnknown: 0, onIndication: 0, offIndication: 0, warned: 0,
      adoptedDespiteWarning: 0, lowConfidence: 0, lowConfidenceAdoption: 0, offIndicationRate: 0, adoptedDespiteWarningRate: 0, lowConfidenceAdoptionRate: 0,
    };
    const c = countsOf(r, approved.get(versionId) ?? "unknown");
    for (const k of Object.keys(c) as (keyof typeof c)[]) s[k] += c[k];
    by.set(key, s);
  }
  return [...by.keys()].sort().map((k) => {
    const s = by.get(k)!;
    return {
      ...s,
      offIndicationRate: ratio(s.offIndication, s.onIndication + s.offIndication),
      adoptedDespiteWarningRate: ratio(s.adoptedDespiteWarning, s.warned),
      lowConfidenceAdoptionRate: ratio(s.lowConfidenceAdoption, s.lowConfidence),
    };
  });
}

/** Looks up each distinct version once, then computes {@link indicationSummary}. */
export async function indicationReport(records: readonly IndicationTrace[], lookup: IndicationLookup): Promise<IndicationSummary[]> {
  const versions = [...new Set(records.map((r) => r.modelVersion.toLowerCase()))];
  const approved = new Map(await Promise.all(versions.map(async (v) => [v, await lookup.approvedIndications(v)] as const)));
  return indicationSummary(records, approved);
}
