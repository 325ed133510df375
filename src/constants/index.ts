/**
 * medprov's shared vocabulary for TypeScript. Everything here derives from spec.ts,
 * the same file the Solidity constants are generated from.
 */
import * as spec from "./spec";

export * from "./spec";
export * from "./limits";
export * from "./evidence";

type EnumOf<T extends readonly string[]> = { readonly [K in T[number]]: number };

/** name → number map for an enum list (index = Solidity enum value). */
function enumOf<T extends readonly string[]>(names: T): EnumOf<T> {
  return Object.freeze(Object.fromEntries(names.map((n, i) => [n, i]))) as EnumOf<T>;
}

export const Role = enumOf(spec.ROLES);
export const MemberStatus = enumOf(spec.MEMBER_STATUSES);
export const DatasetStatus = enumOf(spec.DATASET_STATUSES);
export const VersionStatus = enumOf(spec.VERSION_STATUSES);
export const RiskClass = enumOf(spec.RISK_CLASSES);
export const Tier = enumOf(spec.TIERS);
export const ClinicianAction = enumOf(spec.CLINICIAN_ACTIONS);
export const PolicyMetric = enumOf(spec.POLICY_METRICS);
export const Purpose = enumOf(spec.DEFAULT_PURPOSES);
export const LineageUse = enumOf(spec.LINEAGE_USES);
export const LineageBlock = enumOf(spec.LINEAGE_BLOCKS);
export const Indication = enumOf(spec.DEFAULT_INDICATIONS);
export const FilingRequirement = enumOf(spec.FILING_REQUIREMENTS);
export const Severity = enumOf(spec.INCIDENT_SEVERITIES);
export const OutputFinding = enumOf(spec.OUTPUT_FINDINGS);
export const LiabilityCase = enumOf(spec.LIABILITY_CASES);
export const IncidentCategory = enumOf(spec.DEFAULT_INCIDENT_CATEGORIES);

export type RoleName = (typeof spec.ROLES)[number];
export type PurposeName = (typeof spec.DEFAULT_PURPOSES)[number];
export type TierName = (typeof spec.TIERS)[number];
export type ClinicianActionName = (typeof spec.CLINICIAN_ACTIONS)[number];
export type VersionStatusName = (typeof spec.VERSION_STATUSES)[number];
export type LineageUseName = (typeof spec.LINEAGE_USES)[number];
export type LineageBlockName = (typeof spec.LINEAGE_BLOCKS)[number];
export type IndicationName = (typeof spec.DEFAULT_INDICATIONS)[number];
export type SeverityName = (typeof spec.INCIDENT_SEVERITIES)[number];
export type OutputFindingName = (typeof spec.OUTPUT_FINDINGS)[number];
export type LiabilityCaseName = (typeof spec.LIABILITY_CASES)[number];
export type LiabilityPartyName = (typeof spec.LIABILITY_PARTIES)[number];

/** Whether a dataset in state `block` (its own) allows `use`: THE rule, as the contracts apply it. */
export function lineageAllows(block: LineageBlockName, use: LineageUseName): boolean {
  return block === "NONE" || spec.LINEAGE_ALLOWS[block].includes(use);
}

/** Name of an enum value, or `UNKNOWN(n)` for a value the spec does not know (a newer contract). */
export function nameOf(names: readonly string[], value: number | bigint): string {
  return names[Number(value)] ?? `UNKNOWN(${value})`;
}

/** The collaboration tier a confidence (bps) demands, per the paper's thresholds. */
export function tierFor(confidenceBps: number): TierName {
  if (!Number.isInteger(confidenceBps) || confidenceBps < 0 || confidenceBps > spec.NUMBERS.BPS) {
    throw new RangeError(`confidence must be an integer 0..${spec.NUMBERS.BPS} bps, got ${confidenceBps}`);
  }
  if (confidenceBps >= spec.NUMBERS.TIER_REVIEW_MIN_BPS) return "REVIEW";
  if (confidenceBps >= spec.NUMBERS.TIER_DIFFERENTIAL_MIN_BPS) return "DIFFERENTIAL";
  return "TAKEOVER";
}

/** Bitmask of purpose ids, as datasets store their allowed purposes. */
export function purposeMask(ids: readonly number[]): bigint {
  return ids.reduce((m, id) => m | (1n << BigInt(id)), 0n);
}

/** Bitmask of indication ids, as an approval carries its approved indications. */
export const indicationMask = purposeMask;

/** Indication ids contained in a bitmask. */
export function indicationsOf(mask: bigint): number[] {
  const ids: number[] = [];
  for (let i = 0; i < spec.NUMBERS.MAX_INDICATIONS; i++) if ((mask >> BigInt(i)) & 1n) ids.push(i);
  return ids;
}

/** Purpose ids contained in a bitmask. */
export function purposesOf(mask: bigint): number[] {
  const ids: number[] = [];
  for (let i = 0; i < spec.NUMBERS.MAX_PURPOSES; i++) if ((mask >> BigInt(i)) & 1n) ids.push(i);
  return ids;
}
