/**
 * The duty rules of an evidence pack (docs/evidence.md, "The facts"): pure functions of the
 * decision's record, its time and the logs a fact cites. The builder runs them on the logs it chose;
 * a verifier runs them again on its own decoding of the same logs and must get the same `met`.
 * A fact whose proof is missing is not met: each party proves its own compliance (过错推定).
 */
import { ClinicianAction, DatasetStatus, Purpose, TIERS, Tier, VersionStatus, nameOf, tierFor, CLINICIAN_ACTIONS, VERSION_STATUSES } from "../../../constants";
import { isoOf } from "../../../core";
import type { TraceRecordJson } from "../../traces/record";
import type { EventProof, FactCode, Json } from "./format";

export interface RuleContext {
  record: TraceRecordJson;
  /** The decision's time: the record's time (Unix seconds). */
  time: bigint;
  /** The incident's batch (the one the record was anchored in). */
  batchId: string;
}
export interface RuleResult {
  met: boolean;
  words: string;
}
type Rule = (ctx: RuleContext, cited: readonly EventProof[]) => RuleResult;
type Args = { [k: string]: Json };

const ZERO = "0x" + "00".repeat(32);
const big = (v: Json | undefined) => BigInt(v as string);
const at = (t: bigint) => `${t} (${isoOf(t)})`;
const only = (cited: readonly EventProof[], event: string) => cited.filter((e) => e.event === event);
const one = (cited: readonly EventProof[], event: string) => only(cited, event)[0];
const notAfter = (ctx: RuleContext, e: EventProof | undefined) => e !== undefined && BigInt(e.blockTime) <= ctx.time;
const isFormat2 = (r: TraceRecordJson) => r.indication !== undefined && r.riskWarning !== undefined;
const demanded = (r: TraceRecordJson) => Tier[tierFor(r.confidenceBps)];
const result = (met: boolean, yes: string, no: string): RuleResult => ({ met, words: met ? yes : no });

const versionApproved: Rule = (ctx, cited) => {
  const e = one(cited, "VersionStatusChanged");
  const status = e ? Number(e.args.status) : VersionStatus.NONE;
  return result(notAfter(ctx, e) && status === VersionStatus.APPROVED,
    `model version ${ctx.record.modelVersion} was APPROVED at the decision's time ${at(ctx.time)} (its last status change before it)`,
    `model version ${ctx.record.modelVersion} was ${nameOf(VERSION_STATUSES, status)}, not APPROVED, at the decision's time ${at(ctx.time)}`);
};

const policyFigures: Rule = (ctx, cited) => {
  const [reg, appr, pol] = [one(cited, "VersionRegistered"), one(cited, "VersionApproved"), one(cited, "PolicySet")];
  if (!reg || !appr || !pol || ![reg, appr, pol].every((e) => notAfter(ctx, e)) || appr.args.riskClass !== pol.args.riskClass) {
    return { met: false, words: "no approval under a policy in force at the decision's time is on the ledger" };
  }
  const ev = (reg.args.input as Args).evaluation as Args;
  const p = pol.args.policy as Args;
  const short = [
    big(ev.auc) < big(p.minAuc) && `AUC ${ev.auc} < ${p.minAuc}`,
    big(ev.subgroupAucGap) > big(p.maxSubgroupAucGap) && `subgroup AUC gap ${ev.subgroupAucGap} > ${p.maxSubgroupAucGap}`,
    big(ev.biasTestCases) < big(p.minBiasTestCases) && `bias-test cases ${ev.biasTestCases} < ${p.minBiasTestCases}`,
    big(ev.grassrootsShare) < big(p.minGrassrootsShare) && `grassroots share ${ev.grassrootsShare} < ${p.minGrassrootsShare}`,
  ].filter(Boolean);
  return result(short.length === 0,
    `the version's figures (AUC ${ev.auc}, subgroup gap ${ev.subgroupAucGap}, ${ev.biasTestCases} bias-test cases, grassroots ${ev.grassrootsShare} bps) meet the policy of its risk class in force at the decision`,
    `the version's figures miss the policy in force at the decision: ${short.join("; ")}`);
};

const trainingData: Rule = (ctx, cited) => {
  const reg = one(cited, "VersionRegistered");
  if (!reg) return { met: false, words: "the version's registration is not cited" };
  const problems: string[] = [];
  for (const id of (reg.args.input as Args).trainingDatasets as string[]) {
    const mine = cited.filter((e) => e.args.datasetId === id && notAfter(ctx, e));
    const registered = one(mine, "DatasetRegistered");
    if (!registered) problems.push(`${id} has no registration`);
    else if (((big((registered.args.registration as Args).allowedPurposes) >> BigInt(Purpose.MODEL_TRAINING)) & 1n) === 0n) problems.push(`${id} does not allow MODEL_TRAINING`);
    if (only(mine, "DatasetStatusChanged").some((e) => Number(e.args.status) === DatasetStatus.DESTROYED)) problems.push(`${id} was DESTROYED`);
    if (only(mine, "DatasetSuspensionChanged").some((e) => e.args.suspended === true)) problems.push(`${id} was SUSPENDED by a regulator`);
  }
  return result(problems.length === 0, "every training dataset allowed MODEL_TRAINING and was neither destroyed nor suspended at the decision's time",
    `training data not usable at the decision's time: ${problems.join("; ")}`);
};

const noOpenAlert: Rule = (ctx, cited) => {
  const latest = new Map<string, EventProof>();
  for (const e of only(cited, "PerformanceReported").filter((x) => notAfter(ctx, x))) latest.set(String(e.args.hospital), e);
  const alerted = new Set(only(cited, "FairnessAlert").filter((x) => notAfter(ctx, x)).map((e) => e.args.reportId));
  const open = [...latest.values()].filter((e) => alerted.has(e.args.reportId));
  return result(open.length === 0, `no fairness alert was open at the decision's time (${latest.size} hospital(s) reporting)`,
    `a fairness alert was open at the decision's time: the latest report of hospital(s) ${open.map((e) => e.args.hospital).join(", ")} exceeded the subgroup gap limit`);
};

const explained: Rule = (ctx, cited) => {
  const reg = one(cited, "VersionRegistered");
  const card = reg ? ((reg.args.input as Args).modelCardHash as string) : ZERO;
  return result(card !== ZERO && isFormat2(ctx.record),
    "the version's model card is on file and the output stated its confidence and whether it carried a risk warning",
    !isFormat2(ctx.record) ? "the record (format 1) does not say whether the model's output carried a risk warning" : "no model card is on file for the version");
};

const filing = (cited: readonly EventProof[]) => one(cited, "FilingEvidenceFiled")?.args.filing as Args | undefined;
const whitePaper: Rule = (ctx, cited) => {
  const f = filing(cited);
  return result(notAfter(ctx, one(cited, "FilingEvidenceFiled")) && !!f && f.whitePaperHash !== ZERO,
    `an algorithm safety white paper (hash ${f?.whitePaperHash}) was on file at the decision's time`, "no algorithm safety white paper was on file at the decision's time");
};
const insurance: Rule = (ctx, cited) => {
  const i = filing(cited)?.insurance as Args | undefined;
  const ok = notAfter(ctx, one(cited, "FilingEvidenceFiled")) && !!i && i.policyHash !== ZERO && i.insurerHash !== ZERO && big(i.coverageStart) <= ctx.time && ctx.time <= big(i.coverageEnd);
  return result(ok, `liability insurance (policy ${i?.policyHash}) covered ${i?.coverageStart}..${i?.coverageEnd}, the decision's time included`,
    i && i.policyHash !== ZERO ? `the insurance on file covered ${i.coverageStart}..${i.coverageEnd}, not the decision's time ${at(ctx.time)}` : "no liability insurance was on file at the decision's time");
};

const withinIndication: Rule = (ctx, cited) => {
  const appr = one(cited, "VersionApproved");
  if (!isFormat2(ctx.record)) return { met: false, words: "the record (format 1) does not name the indication it was used for" };
  const mask = appr && notAfter(ctx, appr) ? big(appr.args.indications) : 0n;
  return result(((mask >> BigInt(ctx.record.indication!)) & 1n) === 1n, `indication ${ctx.record.indication} is among the version's approved indications (mask ${mask})`,
    `indication ${ctx.record.indication} is outside the version's approved indications (mask ${mask})`);
};

const tierObeyed: Rule = (ctx) => {
  const r = ctx.record;
  const tierOk = r.tier === demanded(r);
  const takeoverOk = !(demanded(r) === Tier.TAKEOVER && r.action === ClinicianAction.ACCEPTED);
  return result(tierOk && takeoverOk, `the ${nameOf(TIERS, r.tier)} tier the confidence (${r.confidenceBps} bps) demands was applied and its review obeyed`,
    !tierOk ? `the record's tier ${nameOf(TIERS, r.tier)} is not the ${tierFor(r.confidenceBps)} tier its confidence (${r.confidenceBps} bps) demands` : `a TAKEOVER-tier output (confidence ${r.confidenceBps} bps) was ACCEPTED: the mandatory takeover was not enforced`);
};

const deployed: Rule = (ctx, cited) => {
  const e = one(cited, "DeploymentRecorded");
  return result(notAfter(ctx, e) && Number(e!.args.hospital) === ctx.record.hospital,
    `hospital ${ctx.record.hospital} recorded its deployment of the version at ${e ? at(BigInt(e.blockTime)) : ""}, before the decision`,
    e ? `hospital ${ctx.record.hospital} recorded the deployment at ${at(BigInt(e.blockTime))}, after the decision's time ${at(ctx.time)}` : `hospital ${ctx.record.hospital} never recorded a deployment of the version`);
};

const consent: Rule = (ctx, cited) => {
  const valid = cited.some((e) => e.event === "ConsentGranted" && notAfter(ctx, e) && big(e.args.expiresAt) > ctx.time && String(e.args.subject).toLowerCase() === ctx.record.subject.toLowerCase() &&
    !cited.some((r) => r.event === "ConsentRevoked" && r.args.grantee === e.args.grantee && notAfter(ctx, r) && (r.blockNumber > e.blockNumber || (r.blockNumber === e.blockNumber && r.logIndex > e.logIndex))));
  return result(valid, `subject ${ctx.record.subject} had a CLINICAL_DECISION_SUPPORT consent for hospital ${ctx.record.hospital} in force at the decision's time`,
    `subject ${ctx.record.subject} had no CLINICAL_DECISION_SUPPORT consent for hospital ${ctx.record.hospital} in force at the decision's time`);
};

const noGap: Rule = (ctx, cited) => {
  const [self, prev] = [cited.find((e) => e.event === "BatchAnchored" && e.args.batchId === ctx.batchId), cited.find((e) => e.event === "BatchAnchored" && e.args.batchId !== ctx.batchId)];
  if (!self) return { met: false, words: "the batch's anchoring is not cited" };
  const first = big(self.args.firstSeq);
  const ok = first === 0n || (!!prev && prev.args.hospital === self.args.hospital && big(prev.args.firstSeq) + big(prev.args.count) === first);
  return result(ok, first === 0n ? "the batch is the hospital's first: its log starts at sequence 0" : `the batch continues the hospital's previous batch at sequence ${first}, without a gap`,
    `the hospital's log has a gap before sequence ${first}: no cited batch ends there`);
};

const decided: Rule = (ctx) => {
  const r = ctx.record;
  const ok = r.action !== ClinicianAction.NONE && r.clinicianHash !== ZERO && r.finalDecisionHash !== ZERO && !(demanded(r) === Tier.TAKEOVER && r.action === ClinicianAction.ACCEPTED);
  return result(ok, `the clinician recorded a final decision of their own (${nameOf(CLINICIAN_ACTIONS, r.action)}) as the ${tierFor(r.confidenceBps)} tier requires`,
    `the clinician did not keep the final judgement: ${nameOf(CLINICIAN_ACTIONS, r.action)} where the ${tierFor(r.confidenceBps)} tier (confidence ${r.confidenceBps} bps) requires a human to take over`);
};

const noBlindAdoption: Rule = (ctx) => {
  const r = ctx.record;
  const blind = demanded(r) !== Tier.REVIEW && r.action === ClinicianAction.ACCEPTED;
  return result(!blind, `no low-confidence output was adopted unchanged (confidence ${r.confidenceBps} bps, ${nameOf(CLINICIAN_ACTIONS, r.action)})`,
    `a low-confidence output (${r.confidenceBps} bps, ${tierFor(r.confidenceBps)} tier) was ACCEPTED unchanged`);
};

const noIgnoredWarning: Rule = (ctx) => {
  const r = ctx.record;
  if (!isFormat2(r)) return { met: false, words: "the record (format 1) does not say whether the model's output carried a risk warning" };
  return result(!(r.riskWarning && r.action === ClinicianAction.ACCEPTED), r.riskWarning ? `the output carried a risk warning and the clinician did not adopt it unchanged (${nameOf(CLINICIAN_ACTIONS, r.action)})` : "the output carried no risk warning",
    "the output carried a risk warning and the clinician ACCEPTED it unchanged");
};

/** The rule of every fact but RECORD_ANCHORED, which is the receipt's own check (see ./anchored.ts). */
export const RULES: Record<Exclude<FactCode, "RECORD_ANCHORED">, Rule> = {
  VERSION_APPROVED_AT_DECISION: versionApproved,
  POLICY_FIGURES_MET: policyFigures,
  TRAINING_DATA_USABLE: trainingData,
  NO_OPEN_FAIRNESS_ALERT: noOpenAlert,
  OUTPUT_EXPLAINED: explained,
  WHITE_PAPER_ON_FILE: whitePaper,
  INSURANCE_COVERS_DECISION: insurance,
  WITHIN_APPROVED_INDICATIONS: withinIndication,
  TIER_REVIEW_OBEYED: tierObeyed,
  DEPLOYED_BEFORE_DECISION: deployed,
  CONSENT_AT_DECISION: consent,
  BATCH_WITHOUT_GAP: noGap,
  CLINICIAN_DECIDED: decided,
  NO_BLIND_LOW_CONFIDENCE_ADOPTION: noBlindAdoption,
  NO_IGNORED_WARNING: noIgnoredWarning,
};
