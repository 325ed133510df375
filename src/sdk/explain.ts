/**
 * Sentences a person can act on, one per ledger error. Pure: takes the decoded revert and returns
 * text; names of purposes, roles and statuses come from the shared constants.
 */
import { DEFAULT_PURPOSES, MEMBER_STATUSES, POLICY_METRICS, ROLES, VERSION_STATUSES, DATASET_STATUSES, LINEAGE_BLOCKS, LINEAGE_USES, RISK_CLASSES, nameOf } from "../constants";

const purpose = (p: unknown) => nameOf(DEFAULT_PURPOSES, Number(p)).replace(/^UNKNOWN\((\d+)\)$/, "purpose #$1");
const org = (o: unknown) => (Number(o) === 0 ? "any member" : `organisation ${o}`);
const short = (h: unknown) => (typeof h === "string" && h.length > 14 ? `${h.slice(0, 10)}…` : String(h));
/** "dataset X may not be used for TRAINING: its ancestor Y is DESTROYED" (docs/lineage.md). */
const notUsable = ([d, u, by, why]: readonly unknown[]) =>
  `dataset ${short(d)} may not be used for ${nameOf(LINEAGE_USES, Number(u))}: ${String(by).toLowerCase() === String(d).toLowerCase() ? "it" : `its ancestor ${short(by)}`} is ${nameOf(LINEAGE_BLOCKS, Number(why)).replace("_", " ")} (docs/lineage.md)`;
const time = (t: unknown) => new Date(Number(t) * 1000).toISOString();

type Explainer = (a: readonly unknown[]) => string;

const SENTENCES: Record<string, Explainer> = {
  ConsortiumUnknownKey: ([k]) => `key ${k} is not registered to any consortium member; use a member's key or ask governance to add it`,
  ConsortiumKeyRevoked: ([k, o]) => `key ${k} of ${org(o)} was revoked; sign with one of the organisation's active keys`,
  ConsortiumKeyAlreadyUsed: ([k, o]) => `key ${k} already belongs to ${org(o)}; keys are never reassigned`,
  ConsortiumMemberNotActive: ([o, s]) => `${org(o)} is ${nameOf(MEMBER_STATUSES, Number(s))}, so it cannot write to the ledger`,
  ConsortiumWrongRole: ([o, r, e]) => `${org(o)} is a ${nameOf(ROLES, Number(r))}; only a ${nameOf(ROLES, Number(e))} may do this`,
  ConsortiumUnknownMember: ([o]) => `there is no ${org(o)}`,
  ConsortiumInvalidStatusChange: ([o, s, r]) => `${org(o)} is ${nameOf(MEMBER_STATUSES, Number(s))} and cannot become ${nameOf(MEMBER_STATUSES, Number(r))}`,
  ConsortiumInvalidMember: () => `a member needs a name, a role other than NONE and at least one non-zero key`,
  ConsentRegistryUnknownPurpose: ([p]) => `${purpose(p)} is not in the purpose catalogue`,
  ConsentRegistryCatalogueFull: ([m]) => `the purpose catalogue already holds ${m} purposes`,
  ConsentRegistryUnknownGrantee: ([g]) => `${org(g)} is not a consortium member; grant to an admitted organisation or to any member (0)`,
  ConsentRegistryInvalidExpiry: ([e, n]) => `the expiry ${time(e)} is not after the chain's time ${time(n)}`,
  ConsentRegistryNotSubjectOrDelegate: ([s, c]) => `${c} is neither subject ${s} nor one of its delegates`,
  ConsentRegistryExpiredSignature: ([d, n]) => `the signed request expired at ${time(d)} (chain time ${time(n)}); ask the patient to sign again`,
  ConsentRegistryInvalidNonce: ([, e, p]) => `the signed request quotes nonce ${p} but the consent is at nonce ${e}: it was used, or overtaken by a later grant or revocation`,
  ConsentRegistryInvalidSignature: ([s]) => `the signature is not ${s}'s for this request, chain and contract`,
  ConsentRegistryNotGranted: ([s, p, g]) => `${s} has no live consent for ${purpose(p)} to ${org(g)} to revoke (never granted, or already revoked)`,
  ConsentRegistryInvalidDelegate: ([d]) => `${d} cannot be a delegate (the subject itself or the zero address)`,
  ConsentRegistryUnknownDelegate: ([s, d]) => `${d} is not a delegate of ${s}`,
  ConsentRegistryInvalidPurposeName: ([n]) => `purpose name "${n}" is empty or already in the catalogue`,
  DatasetRegistryUnknownDataset: ([d]) => `dataset ${short(d)} is not registered`,
  DatasetRegistryAlreadyRegistered: ([d]) => `dataset ${short(d)} is already registered with the same roots and metadata`,
  DatasetRegistryInvalidRegistration: () => `a dataset needs non-zero content root, cohort root and metadata hash (and a deletion attestation to be destroyed)`,
  DatasetRegistryInvalidShares: ([g, b, t]) => `demographic group ${["age", "sex", "region", "grassroots"][Number(g)]} has ${b} bands summing to ${t} bps; it must have the spec's bands summing to 10000`,
  DatasetRegistryInvalidPurposes: ([m, c]) => `allowed purposes mask ${m} is empty or names purposes outside the catalogue (mask ${c})`,
  DatasetRegistryPurposeNotAllowed: ([d, p]) => `dataset ${short(d)} does not allow ${purpose(p)}`,
  DatasetRegistryNotUsable: notUsable,
  DatasetRegistryLineageTooLarge: ([s, m]) => `the dataset's lineage would count ${s} datasets (itself and its ancestors per path); at most ${m} are allowed`,
  DatasetRegistryNotCustodian: ([d, c, o]) => `${org(c)} is not the custodian of dataset ${short(d)} (${org(o)} is)`,
  DatasetRegistryInvalidTransition: ([d, s, r]) => `dataset ${short(d)} is ${nameOf(DATASET_STATUSES, Number(s))} and cannot become ${nameOf(DATASET_STATUSES, Number(r))}`,
  DatasetRegistrySuspensionUnchanged: ([d, s]) => `dataset ${short(d)} is already ${s ? "suspended" : "not suspended"}`,
  DatasetRegistryRoleCannotUse: ([o, r]) => `${org(o)} is a ${nameOf(ROLES, Number(r))}; only hospitals and model developers record dataset uses`,
  ModelRegistryUnknownModel: ([m]) => `model ${short(m)} is not registered`,
  ModelRegistryUnknownVersion: ([v]) => `model version ${short(v)} is not registered`,
  ModelRegistryModelExists: ([m]) => `model ${short(m)} already exists for this developer`,
  ModelRegistryVersionExists: ([v]) => `version ${short(v)} (same weights) is already registered`,
  ModelRegistryInvalidModel: () => `a model needs a name, an intended use and a risk class`,
  ModelRegistryInvalidVersion: () => `a version needs weights and model-card hashes, 1–64 training datasets and figures of at most 10000 bps`,
  ModelRegistryNotDeveloper: ([m, c, d]) => `${org(c)} is not the developer of model ${short(m)} (${org(d)} is)`,
  ModelRegistryDatasetNotForTraining: ([d]) => `dataset ${short(d)} is unknown or does not allow MODEL_TRAINING`,
  ModelRegistryDatasetNotUsable: notUsable,
  ModelRegistryLineageTooLarge: ([s, m]) => `the training datasets' lineages count ${s} datasets together; at most ${m} are allowed`,
  ModelRegistryParentOfAnotherDeveloper: ([p, d, o]) => `parent version ${short(p)} belongs to ${org(o)}, not ${org(d)}; a version may only revise its own developer's versions`,
  ModelRegistryGrassrootsShareUnsupported: ([d, h]) => `the declared grassroots share ${d} bps exceeds the largest registered share of the training datasets (${h} bps)`,
  ModelRegistryWeightsRecalled: ([w]) => `weights ${short(w)} belong to a recalled version; they cannot be registered or approved again under any model`,
  ModelRegistryInvalidRiskClass: () => `the regulator must assign a risk class: ${RISK_CLASSES.slice(1).join(", ")}`,
  ModelRegistryInvalidTransition: ([v, s, r]) => `version ${short(v)} is ${nameOf(VERSION_STATUSES, Number(s))} and cannot become ${nameOf(VERSION_STATUSES, Number(r))}`,
  ModelRegistryPolicyNotMet: ([v, m, a, r]) => `version ${short(v)} misses the policy: ${nameOf(POLICY_METRICS, Number(m))} is ${a}, the risk class requires ${Number(m) === 1 ? "at most" : "at least"} ${r}`,
  ModelRegistryInvalidFilingCode: ([c]) => `filing code "${c}" is empty or already used`,
  ModelRegistryInvalidPolicy: () => `a policy needs a risk class and bps figures of at most 10000`,
  ModelRegistryNotApproved: ([v, s]) => `version ${short(v)} is ${nameOf(VERSION_STATUSES, Number(s))}, not APPROVED`,
  ModelRegistryAlreadyDeployed: ([v, h]) => `${org(h)} already recorded a deployment of version ${short(v)}`,
  ModelRegistryNotDeployed: ([v, h]) => `${org(h)} never deployed version ${short(v)}; record the deployment first`,
  ModelRegistryInvalidReport: ([r]) => `report ${short(r)} duplicates one for the same period or is malformed (period, AUC above 10000, zero hash, over 32 subgroups)`,
  TraceAnchorInvalidBatch: () => `a batch needs a root, at least one trace, an ordered time range not in the future and 1–64 model versions`,
  TraceAnchorSequenceGap: ([h, e, f]) => `${org(h)}'s next batch must start at sequence ${e}, not ${f}`,
  TraceAnchorVersionCountsMismatch: ([v, c, sum, n]) => `a batch lists ${v} version(s) with ${c} per-version trace count(s) summing to ${sum}; it needs one count per version, adding up to the batch's ${n} traces`,
  TraceAnchorZeroVersionCount: ([v]) => `the batch lists model version ${short(v)} with no trace referencing it`,
  TraceAnchorVersionNotApproved: ([v, s]) => `model version ${short(v)} is ${nameOf(VERSION_STATUSES, Number(s))}; only APPROVED versions can be referenced by new traces`,
  AccessManagedUnauthorized: ([c]) => `${c} may not call this governance function`,
  AccessManagerNotScheduled: () => `this governance call was not scheduled; schedule it and execute it after the delay`,
  AccessManagerNotReady: () => `this governance call is scheduled but its delay has not passed yet`,
  AccessManagerExpired: () => `this governance call's schedule expired; schedule it again`,
  AccessManagerAlreadyScheduled: () => `this governance call is already scheduled`,
  AccessManagerUnauthorizedCall: ([c]) => `${c} may not schedule or execute this call`,
};

/** A sentence for a named ledger error. */
export function explain(name: string, args: readonly unknown[]): string {
  const f = SENTENCES[name];
  return f ? f(args) : `the ledger refused the call: ${name}(${args.map(String).join(", ")})`;
}
