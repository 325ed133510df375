/**
 * Sentences a person can act on, one per ledger error. Pure: takes the decoded revert (and, when
 * the caller knows them, members' names) and returns text; names of purposes, roles and statuses
 * come from the shared constants, written as words ("an auditor", "AUC 0.88").
 */
import { DEFAULT_PURPOSES, FILING_REQUIREMENTS, INCIDENT_SEVERITIES, LIABILITY_CASES, OUTPUT_FINDINGS, MEMBER_STATUSES, NUMBERS, POLICY_METRICS, PolicyMetric, ROLES, VERSION_STATUSES, DATASET_STATUSES, LINEAGE_BLOCKS, LINEAGE_USES, RISK_CLASSES, nameOf } from "../constants";
import { isoOf } from "./chain-time";

/** Names the explainer may use; without them an organisation is "organisation 7". */
export interface ExplainNames {
  orgName?(orgId: number): string | null | undefined;
}

const purpose = (p: unknown) => nameOf(DEFAULT_PURPOSES, Number(p)).replace(/^UNKNOWN\((\d+)\)$/, "purpose #$1");
/** An organisation as a sentence names it: "any member", "organisation 7 (Hospital A)" or, unnamed, "organisation 7". */
const orgWords = (names: ExplainNames) => (o: unknown) => {
  if (Number(o) === NUMBERS.ANY_MEMBER) return "any member";
  const name = names.orgName?.(Number(o));
  return name ? `organisation ${o} (${name})` : `organisation ${o}`;
};
const short = (h: unknown) => (typeof h === "string" && h.length > 14 ? `${h.slice(0, 10)}…` : String(h));
/** "dataset X may not be used for TRAINING: its ancestor Y is DESTROYED" (docs/lineage.md). */
const notUsable = ([d, u, by, why]: readonly unknown[]) =>
  `dataset ${short(d)} may not be used for ${nameOf(LINEAGE_USES, Number(u))}: ${String(by).toLowerCase() === String(d).toLowerCase() ? "it" : `its ancestor ${short(by)}`} is ${nameOf(LINEAGE_BLOCKS, Number(why)).toLowerCase().replace(/_/g, " ")} (docs/lineage.md)`;
/** Chain time in words (isoOf: the number itself past Date's end). */
const time = (t: unknown) => isoOf(typeof t === "bigint" ? t : Number(t));
/** A role as a person says it, with its article: "a hospital", "an auditor", "a model developer". */
export function roleWords(r: unknown): string {
  const words = nameOf(ROLES, Number(r)).toLowerCase().replace(/_/g, " ");
  return `${/^[aeiou]/.test(words) ? "an" : "a"} ${words}`;
}
/** A status as a word in a sentence: "suspended", "recalled". */
/** The named values among `pairs` that are zero, as "zero <name>" (which of a catch-all's conditions failed). */
const zeros = (pairs: [unknown, string][]) => pairs.filter(([v]) => BigInt(String(v)) === 0n).map(([, n]) => `zero ${n}`);
const statusWords = (names: readonly string[], s: unknown) => nameOf(names, Number(s)).toLowerCase();
const fraction = (bps: unknown) => (Number(bps) / NUMBERS.BPS).toFixed(2);
const percent = (bps: unknown) => `${Number(bps) / (NUMBERS.BPS / 100)}%`;

/** A policy metric's shortfall as a sentence: "AUC 0.88 is below the required 0.90". */
export function policyShortfall(metric: unknown, actual: unknown, required: unknown): string {
  switch (Number(metric)) {
    case PolicyMetric.AUC: return `AUC ${fraction(actual)} is below the required ${fraction(required)}`;
    case PolicyMetric.SUBGROUP_AUC_GAP: return `the AUC gap between subgroups, ${fraction(actual)}, is above the allowed ${fraction(required)}`;
    case PolicyMetric.BIAS_TEST_CASES: return `${actual} bias test cases are fewer than the required ${required}`;
    case PolicyMetric.GRASSROOTS_SHARE: return `a grassroots share of ${percent(actual)} is below the required ${percent(required)}`;
    default: return `${nameOf(POLICY_METRICS, Number(metric))} is ${actual}; the policy requires ${required}`;
  }
}

type Explainer = (a: readonly unknown[]) => string;

/** The sentences of each contract's errors, with organisations named by `org`. */
const membershipSentences = (org: (o: unknown) => string): Record<string, Explainer> => ({
  ConsortiumUnknownKey: ([k]) => `key ${k} is not registered to any consortium member; use a member's key or ask governance to add it`,
  ConsortiumKeyRevoked: ([k, o]) => `key ${k} of ${org(o)} was revoked; sign with one of the organisation's active keys`,
  ConsortiumKeyAlreadyUsed: ([k, o]) => `key ${k} already belongs to ${org(o)}; keys are never reassigned`,
  ConsortiumMemberNotActive: ([o, s]) => `${org(o)} is ${statusWords(MEMBER_STATUSES, s)}, so it cannot write to the ledger`,
  ConsortiumWrongRole: ([o, r, e]) => `${org(o)} is ${roleWords(r)}; only ${roleWords(e)} may do this`,
  ConsortiumUnknownMember: ([o]) => `there is no ${org(o)}`,
  ConsortiumInvalidStatusChange: ([o, s, r]) => `${org(o)} is ${statusWords(MEMBER_STATUSES, s)} and cannot become ${statusWords(MEMBER_STATUSES, r)}`,
  ConsortiumInvalidMember: ([r, name, keys]) => `a member needs a role other than NONE, a name and at least one key (given ${roleWords(r)}, a ${name}-byte name and ${keys} key(s))`,
  ConsortiumZeroKey: ([o]) => `the zero address cannot be a key of ${org(o)}`,
});
const consentSentences = (org: (o: unknown) => string): Record<string, Explainer> => ({
  ConsentRegistryUnknownPurpose: ([p]) => `${purpose(p)} is not in the purpose catalogue`,
  ConsentRegistryCatalogueFull: ([m]) => `the purpose catalogue already holds ${m} purposes`,
  ConsentRegistryUnknownGrantee: ([g]) => `${org(g)} is not a consortium member; grant to an admitted organisation or to any member (0)`,
  ConsentRegistryGranteeRemoved: ([g]) => `${org(g)} was removed from the consortium; grant to a current member or to any member (0)`,
  ConsentRegistryInvalidExpiry: ([e, n]) => `the expiry ${time(e)} is not after the chain's time ${time(n)}`,
  ConsentRegistryNotSubjectOrDelegate: ([s, c]) => `${c} is neither subject ${s} nor one of its delegates`,
  ConsentRegistryExpiredSignature: ([d, n]) => `the signed request expired at ${time(d)} (chain time ${time(n)}); ask the patient to sign again`,
  ConsentRegistrySignedInFuture: ([s, n]) => `the request says it was signed at ${time(s)}, after the chain's time ${time(n)}; sign it again dated by the chain's head`,
  ConsentRegistryGrantRevoked: ([, s, r]) => `this grant was signed at ${time(s)}, at or before the patient's revocation signed at ${time(r)}: it is void; ask the patient to sign a new grant`,
  ConsentRegistrySuperseded: ([, s, f]) => `the request signed at ${time(s)} is not newer than the decision in force (signed at ${time(f)}): it was already relayed, or the patient decided again since`,
  ConsentRegistryInvalidSignature: ([s]) => `the signature is not ${s}'s for this request, chain and contract`,
  ConsentRegistryInvalidDelegate: ([d]) => `${d} cannot be a delegate (the subject itself or the zero address)`,
  ConsentRegistryUnknownDelegate: ([s, d]) => `${d} is not a delegate of ${s}`,
  ConsentRegistryPurposeNameNotCanonical: ([n]) => `purpose name "${n}" is not canonical: 1 to ${NUMBERS.MAX_PURPOSE_NAME_LENGTH} characters, words of A-Z and 0-9 joined by single underscores, starting with a letter (e.g. PUBLIC_HEALTH)`,
  ConsentRegistryPurposeNameTaken: ([n]) => `purpose "${n}" is already in the catalogue`,
});
const datasetsSentences = (org: (o: unknown) => string): Record<string, Explainer> => ({
  DatasetRegistryUnknownDataset: ([d]) => `dataset ${short(d)} is not registered`,
  DatasetRegistryAlreadyRegistered: ([d]) => `dataset ${short(d)} is already registered with the same roots and metadata`,
  DatasetRegistryInvalidRegistration: ([c, h, m, p, max]) => `a dataset needs non-zero content root, cohort root and metadata hash and at most ${max} parents (${zeros([[c, "content root"], [h, "cohort root"], [m, "metadata hash"]]).concat(Number(p) > Number(max) ? [`${p} parents`] : []).join(", ")})`,
  DatasetRegistryZeroAttestation: ([d]) => `destroying dataset ${short(d)} needs a non-zero deletion attestation`,
  DatasetRegistryInvalidShares: ([g, b, t]) => `demographic group ${["age", "sex", "region", "grassroots"][Number(g)]} has ${b} bands summing to ${t} bps; it must have the spec's bands summing to 10000`,
  DatasetRegistryInvalidPurposes: ([m, c]) => `allowed purposes mask ${m} is empty or names purposes outside the catalogue (mask ${c})`,
  DatasetRegistryPurposeNotAllowed: ([d, p]) => `dataset ${short(d)} does not allow ${purpose(p)}`,
  DatasetRegistryNotUsable: notUsable,
  DatasetRegistryLineageTooLarge: ([s, m]) => `the dataset's lineage would count ${s} datasets (itself and its ancestors per path); at most ${m} are allowed`,
  DatasetRegistryNotCustodian: ([d, c, o]) => `${org(c)} is not the custodian of dataset ${short(d)} (${org(o)} is)`,
  DatasetRegistryInvalidTransition: ([d, s, r]) => `dataset ${short(d)} is ${statusWords(DATASET_STATUSES, s)} and cannot become ${statusWords(DATASET_STATUSES, r)}`,
  DatasetRegistrySuspensionUnchanged: ([d, s]) => `dataset ${short(d)} is already ${s ? "suspended" : "not suspended"}`,
  DatasetRegistryRoleCannotUse: ([o, r]) => `${org(o)} is ${roleWords(r)}; only hospitals and model developers record dataset uses`,
});
const modelsSentences = (org: (o: unknown) => string): Record<string, Explainer> => ({
  ModelRegistryUnknownModel: ([m]) => `model ${short(m)} is not registered`,
  ModelRegistryUnknownVersion: ([v]) => `model version ${short(v)} is not registered`,
  ModelRegistryModelExists: ([m]) => `model ${short(m)} already exists for this developer`,
  ModelRegistryVersionExists: ([v]) => `version ${short(v)} (same weights) is already registered`,
  ModelRegistryInvalidModel: ([name, use, r]) => `a model needs a name, an intended use and a risk class (given a ${name}-byte name, a ${use}-byte intended use, risk class ${nameOf(RISK_CLASSES, Number(r))})`,
  ModelRegistryInvalidVersion: ([w, c, n, max, top]) => `a version needs weights and model-card hashes, 1–${max} training datasets and figures of at most ${NUMBERS.BPS} bps (${zeros([[w, "weights hash"], [c, "model-card hash"]]).concat([`${n} training dataset(s)`, `largest figure ${top} bps`]).join(", ")})`,
  ModelRegistryNotDeveloper: ([m, c, d]) => `${org(c)} is not the developer of model ${short(m)} (${org(d)} is)`,
  ModelRegistryDatasetNotForTraining: ([d]) => `dataset ${short(d)} is unknown or does not allow MODEL_TRAINING`,
  ModelRegistryDatasetNotUsable: notUsable,
  ModelRegistryLineageTooLarge: ([s, m]) => `the training datasets' lineages count ${s} datasets together; at most ${m} are allowed`,
  ModelRegistryParentOfAnotherDeveloper: ([p, d, o]) => `parent version ${short(p)} belongs to ${org(o)}, not ${org(d)}; a version may only revise its own developer's versions`,
  ModelRegistryGrassrootsShareUnsupported: ([d, h]) => `the declared grassroots share ${d} bps exceeds the largest registered share of the training datasets (${h} bps)`,
  ModelRegistryWeightsRecalled: ([w]) => `weights ${short(w)} belong to a recalled version; they cannot be registered or approved again under any model`,
  ModelRegistryInvalidRiskClass: () => `the regulator must assign a risk class: ${RISK_CLASSES.slice(1).join(", ")}`,
  ModelRegistryInvalidTransition: ([v, s, r]) => `version ${short(v)} is ${statusWords(VERSION_STATUSES, s)} and cannot become ${statusWords(VERSION_STATUSES, r)}`,
  ModelRegistryPolicyNotMet: ([v, m, a, r]) => `version ${short(v)} misses the approval policy of its risk class: ${policyShortfall(m, a, r)}`,
  ModelRegistryInvalidFilingCode: ([c]) => `filing code "${c}" is empty or already used`,
  ModelRegistryInvalidPolicy: () => `a policy needs a risk class and bps figures of at most 10000`,
  ModelRegistryNotApproved: ([v, s]) => `version ${short(v)} is ${statusWords(VERSION_STATUSES, s)}, not approved`,
  ModelRegistryAlreadyDeployed: ([v, h]) => `${org(h)} already recorded a deployment of version ${short(v)}`,
  ModelRegistryNotDeployed: ([v, h]) => `${org(h)} never deployed version ${short(v)}; record the deployment first`,
  ModelRegistryInvalidReport: ([r]) => `report ${short(r)} duplicates one for the same period or is malformed (period, AUC above 10000, zero hash, over 32 subgroups)`,
  ModelRegistryInvalidIndications: ([v, i, c]) => `an approval of version ${short(v)} must name at least one indication of the catalogue (given mask ${i}, catalogue mask ${c}; see medprov indication list)`,
  ModelRegistryIndicationCatalogueFull: ([m]) => `the indication catalogue already holds ${m} indications`,
  ModelRegistryIndicationNameNotCanonical: ([n]) => `indication name "${n}" is not canonical: 1 to ${NUMBERS.MAX_PURPOSE_NAME_LENGTH} characters, words of A-Z and 0-9 joined by single underscores, starting with a letter`,
  ModelRegistryIndicationNameTaken: ([n]) => `indication "${n}" is already in the catalogue`,
  ModelRegistryFilingClosed: ([v, s]) => `version ${short(v)} is ${statusWords(VERSION_STATUSES, s)}; it takes no new filing evidence`,
  ModelRegistryFilingEvidenceMissing: ([v, r]) => `version ${short(v)}'s risk class requires ${nameOf(FILING_REQUIREMENTS, Number(r)) === "WHITE_PAPER" ? "an algorithm safety white paper" : "liability insurance"} on file before approval; the developer files it (medprov model evidence)`,
  ModelRegistryInsuranceNotInForce: ([v, s, e, at]) => `version ${short(v)}'s insurance covers ${time(s)} to ${time(e)}, not the chain's time ${time(at)}; the developer files a policy in force`,
  ModelRegistryInvalidFilingEvidence: () => `filing evidence needs an insurer and a policy document hash with a coverage start no later than its end (or no insurance at registration); a later filing needs both a white paper and insurance`,
});
const incidentsSentences = (org: (o: unknown) => string): Record<string, Explainer> => ({
  IncidentRegistryNotYourBatch: ([b, h, bh]) => Number(bh) === 0 ? `batch ${short(b)} is not anchored` : `batch ${short(b)} is ${org(bh)}'s, not ${org(h)}'s; a hospital reports incidents against its own traces`,
  IncidentRegistryTraceNotInBatch: ([b, s]) => `the proof does not place the record at sequence ${s} under batch ${short(b)}'s anchored root`,
  IncidentRegistryVersionNotInBatch: ([b, v]) => `batch ${short(b)} holds no trace of model version ${short(v)}`,
  IncidentRegistryInvalidTime: ([t, e, l]) => `the harm's time ${time(t)} must lie between the batch window's start ${time(e)} and the chain's time ${time(l)}`,
  IncidentRegistryInvalidSeverity: () => `an incident needs a severity: ${INCIDENT_SEVERITIES.slice(1).join(", ")}`,
  IncidentRegistryUnknownCategory: ([c]) => `incident category #${c} is not in the catalogue`,
  IncidentRegistryNarrativeMissing: () => `an incident needs the hash of its narrative (kept by the hospital)`,
  IncidentRegistryAlreadyReported: ([b, s, i]) => `the trace at sequence ${s} of batch ${short(b)} already has incident ${i}`,
  IncidentRegistryUnknownIncident: ([i]) => `there is no incident ${i}`,
  IncidentRegistryNotReporter: ([i, c, r]) => `incident ${i} was reported by ${org(r)}; ${org(c)} cannot record its finding`,
  IncidentRegistryInvalidFinding: () => `a finding is one of ${OUTPUT_FINDINGS.slice(1).join(", ")} with the hash of the follow-up that settles it`,
  IncidentRegistryFindingExists: ([i, f]) => `incident ${i}'s finding was already recorded (${nameOf(OUTPUT_FINDINGS, Number(f))}); findings are not changed`,
  IncidentRegistryAlreadyDetermined: ([i]) => `incident ${i} was already determined; a determination is final`,
  IncidentRegistryInvalidDetermination: ([sum, r]) => `a determination's shares must sum to ${NUMBERS.BPS} bps (given ${sum})${BigInt(String(r)) === 0n ? " and name its ruling's hash" : ""}`,
  IncidentRegistryInvalidWeighting: ([c, sum]) => `a weighting needs a case (${LIABILITY_CASES.slice(1).join(", ")}; given ${nameOf(LIABILITY_CASES, Number(c))}) and shares summing to ${NUMBERS.BPS} bps (given ${sum})`,
  IncidentRegistryCategoryCatalogueFull: ([m]) => `the incident category catalogue already holds ${m} categories`,
  IncidentRegistryCategoryNameNotCanonical: ([n]) => `category name "${n}" is not canonical: words of A-Z and 0-9 joined by single underscores`,
  IncidentRegistryCategoryNameTaken: ([n]) => `incident category "${n}" is already in the catalogue`,
});
const tracesSentences = (org: (o: unknown) => string): Record<string, Explainer> => ({
  TraceAnchorEmptyBatch: ([root, n]) => `a batch needs a non-zero tree root and at least one trace (given ${BigInt(String(root)) === 0n ? "a zero root" : "a root"} and ${n} trace(s))`,
  TraceAnchorVersionListLength: ([n, max]) => `a batch lists ${n} model version(s); it needs 1 to ${max}`,
  TraceAnchorDuplicateVersion: ([v]) => `the batch lists model version ${short(v)} twice; list each version once with its trace count`,
  TraceAnchorSequenceGap: ([h, e, f]) => `${org(h)}'s next batch must start at sequence ${e}, not ${f}`,
  TraceAnchorVersionCountsMismatch: ([v, c, sum, n]) => `a batch lists ${v} version(s) with ${c} per-version trace count(s) summing to ${sum}; it needs one count per version, adding up to the batch's ${n} traces`,
  TraceAnchorZeroVersionCount: ([v]) => `the batch lists model version ${short(v)} with no trace referencing it`,
  TraceAnchorVersionNotApproved: ([v, s]) => `model version ${short(v)} is ${statusWords(VERSION_STATUSES, s)}; only approved versions can be referenced by new traces`,
});
/** Where a governed call goes instead: the governance Safe, by a proposal its owners sign. */
const THROUGH_THE_SAFE = "governed calls go through the consortium's governance Safe: write the call with --propose <file>, its owners add signatures with `medprov governance sign`, then anyone runs `medprov governance execute` (docs/consortium.md)";
const governanceSentences: Record<string, Explainer> = {
  AccessManagedUnauthorized: ([c]) => `${c} may not call this governance function; ${THROUGH_THE_SAFE}`,
  AccessManagerNotScheduled: () => `this governance call was not scheduled; schedule it and execute it after the delay`,
  AccessManagerNotReady: () => `this governance call is scheduled but its delay has not passed yet`,
  AccessManagerExpired: () => `this governance call's schedule expired; schedule it again`,
  AccessManagerAlreadyScheduled: () => `this governance call is already scheduled`,
  AccessManagerUnauthorizedCall: ([c]) => `${c} may not schedule or execute this call; ${THROUGH_THE_SAFE}`,
};

/** The sentence of each ledger error, with organisations named by `org`. */
const sentences = (org: (o: unknown) => string): Record<string, Explainer> => ({
  ...membershipSentences(org),
  ...consentSentences(org),
  ...datasetsSentences(org),
  ...modelsSentences(org),
  ...incidentsSentences(org),
  ...tracesSentences(org),
  ...governanceSentences,
});

/** A sentence for a named ledger error; with `known`, organisations are named ("organisation 7 (Hospital A)"). */
export function explain(name: string, args: readonly unknown[], known: ExplainNames = {}): string {
  const f = sentences(orgWords(known))[name];
  return f ? f(args) : `the ledger refused the call: ${name}(${args.map(String).join(", ")})`;
}
