/**
 * A version's evaluation against its risk class's approval policy, checked in the order the ledger
 * checks it (ModelRegistry._checkPolicy), so the first shortfall is the reason the ledger refuses
 * its approval with (ModelRegistryPolicyNotMet). Pure.
 */

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

/** Each policy figure, pass or not; the first failing one is the ledger's refusal. */
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

/** Why the ledger refuses the version's approval under `p`, or undefined when the figures meet it. */
export function refusal(e: Evaluation, p: Policy | undefined): string | undefined {
  if (!p) return undefined;
  const failed = policyChecks(e, p).find((c) => !c.ok);
  return failed ? `${failed.words} for ${p.riskClassName.toLowerCase()}-risk models` : undefined;
}
