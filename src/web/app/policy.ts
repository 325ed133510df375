/**
 * A version's evaluation against its risk class's approval policy, checked in the order the ledger
 * checks it (ModelRegistry._checkPolicy): the ledger's refusal (ModelRegistryPolicyNotMet) names the
 * first shortfall only; a regulator is shown every one. Pure.
 */
import { list } from "./dataset-words";

/** GET /policies, one risk class. */
export interface Policy {
  riskClassName: string;
  minAucPercent: number;
  maxSubgroupAucGapPercent: number;
  minBiasTestCases: number;
  minGrassrootsSharePercent: number;
}

export interface Evaluation {
  aucPercent: number;
  subgroupAucGapPercent: number;
  biasTestCases: string | number;
  grassrootsSharePercent: number;
}

export interface Check {
  metric: string;
  actual: number;
  required: number;
  /** "min" or "max": which side of `required` passes. */
  bound: "min" | "max";
  ok: boolean;
  /** "AUC 88% is below the minimum of 90%". */
  words: string;
}

/** Each policy figure, pass or not, in the ledger's order (the first failing one is the ledger's refusal). */
export function policyChecks(e: Evaluation, p: Policy): Check[] {
  const check = (metric: string, actual: number, required: number, bound: "min" | "max", unit: string): Check => {
    const ok = bound === "min" ? actual >= required : actual <= required;
    const said = (v: number) => `${v.toLocaleString("en-GB")}${unit}`;
    return { metric, actual, required, bound, ok, words: ok ? `${metric} ${said(actual)} meets the ${bound === "min" ? "minimum" : "maximum"} of ${said(required)}` : `${metric} ${said(actual)} is ${bound === "min" ? "below the minimum" : "above the maximum"} of ${said(required)}` };
  };
  return [
    check("AUC", e.aucPercent, p.minAucPercent, "min", "%"),
    check("Subgroup AUC gap", e.subgroupAucGapPercent, p.maxSubgroupAucGapPercent, "max", "%"),
    check("Bias test cases", Number(e.biasTestCases), p.minBiasTestCases, "min", ""),
    check("Grassroots share", e.grassrootsSharePercent, p.minGrassrootsSharePercent, "min", "%"),
  ];
}

/** "Grassroots share …" → "grassroots share …" inside a sentence; "AUC …" stays. */
const inSentence = (s: string) => (/^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s);

/** Every criterion the version fails under `p`, in the ledger's order, as one sentence; undefined when the figures meet it. */
export function refusal(e: Evaluation, p: Policy | undefined): string | undefined {
  if (!p) return undefined;
  const failed = policyChecks(e, p).filter((c) => !c.ok).map((c, i) => (i === 0 ? c.words : inSentence(c.words)));
  return failed.length ? `${list(failed)} for ${p.riskClassName.toLowerCase()}-risk models` : undefined;
}
