/**
 * How each ledger event changes the index. Handlers read only the event and the index itself
 * (never the chain), so a rebuild from logs gives the same state as the incremental run.
 */
import type { Interface } from "ethers";
import { DatasetStatus, MemberStatus, VersionStatus } from "../constants";
import { eventDecoder, type Decoded, type DecodedValue } from "./decode";
import { FACTORIES, MedprovError, type ContractName, type Rows } from "../core";
import { K, checkpoint, lc } from "./keys";
import type { BlockWriter, Json } from "./store";

/** The contracts whose events are indexed, with their ABIs. The AccessManager's are not needed. */
export const INDEXED: Partial<Record<ContractName, Interface>> = Object.fromEntries(
  (["consortium", "consents", "datasets", "models", "traces", "incidents"] as const).map((name) => [name, FACTORIES[name].createInterface()]),
);

/** Topic → event name and compiled decoder, for every indexed event (built once: compiling is not free). */
export function decodersByTopic(): Map<string, { name: string; decode: ReturnType<typeof eventDecoder> }> {
  const byTopic: ReturnType<typeof decodersByTopic> = new Map();
  for (const iface of Object.values(INDEXED)) iface!.forEachEvent((fragment) => byTopic.set(fragment.topicHash, { name: fragment.name, decode: eventDecoder(fragment) }));
  return byTopic;
}

export interface EventMeta {
  /** The emitting contract (always one of the deployment's addresses). */
  address: string;
  block: number;
  logIndex: number;
  time: number;
  tx: string;
}

/** A decoded value as plain JSON: bigints as decimal strings, addresses lower-case, structs as objects. */
export function plain(value: DecodedValue | null | undefined): Json {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return /^0x[0-9a-fA-F]{40}$/.test(value) ? value.toLowerCase() : value;
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  if (value === null || value === undefined) return null;
  return value;
}

const n = (v: unknown) => Number(v);
/** A PerformanceReported.report as stored: its figures as decimal strings (see src/core/rows.ts). */
type ReportFields = Pick<Rows.ReportRow, "periodStart" | "periodEnd" | "cases" | "auc" | "subgroups" | "reportHash">;
// Handlers read fields by name; the ABI (checked against ethers by test) guarantees their types.
// A handler that only adds new keys is synchronous: no promise per event on a backfill's hot path.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (w: BlockWriter, a: any, m: EventMeta, cp: string) => void | Promise<void>;

async function update(w: BlockWriter, key: string, patch: Record<string, Json>): Promise<void> {
  const current = (await w.get<Record<string, Json>>(key)) ?? {};
  await w.put(key, { ...current, ...patch });
}

const consentChange = (granted: boolean): Handler => async (w, a, m, cp) => {
  const [s, p, g] = [lc(a.subject), n(a.purpose), n(a.grantee)];
  const expiresAt = granted ? n(a.expiresAt) : n(((await w.get<Record<string, Json>>(K.consent(s, p, g))) ?? {}).expiresAt ?? 0);
  const state = { granted, expiresAt, signedAt: n(a.signedAt), block: m.block, time: m.time };
  if (granted) await w.put(K.consent(s, p, g), { subject: s, purpose: p, grantee: g, grantedAt: m.time, expiresAt, revokedAt: 0, signedAt: n(a.signedAt), block: m.block } satisfies Rows.ConsentRow);
  else await update(w, K.consent(s, p, g), { revokedAt: m.time, signedAt: n(a.signedAt), block: m.block });
  w.add(K.consentHistory(s, cp), { kind: granted ? "GRANTED" : "REVOKED", subject: s, purpose: p, grantee: g, ...(granted ? { expiresAt } : {}), actor: lc(a.actor), relayer: lc(a.relayer), signedAt: n(a.signedAt), block: m.block, logIndex: m.logIndex, time: m.time, tx: m.tx } satisfies Rows.ConsentEventRow);
  w.add(K.consentAtBlock(s, p, g, cp), state);
  w.add(K.consentAtTime(s, p, g, m.time, cp), state);
};

/**
 * A revocation with no grant in force: validity does not change, so only the history and (for a slot
 * that was granted before) the slot's signing time move. A never-granted slot gets no consent row.
 */
const consentCancelled: Handler = async (w, a, m, cp) => {
  const [s, p, g] = [lc(a.subject), n(a.purpose), n(a.grantee)];
  if (await w.get(K.consent(s, p, g))) await update(w, K.consent(s, p, g), { signedAt: n(a.signedAt), block: m.block });
  w.add(K.consentHistory(s, cp), { kind: "CANCELLED", subject: s, purpose: p, grantee: g, actor: lc(a.actor), relayer: lc(a.relayer), signedAt: n(a.signedAt), block: m.block, logIndex: m.logIndex, time: m.time, tx: m.tx } satisfies Rows.ConsentEventRow);
};

/** A member's status from this checkpoint on, by block and by time (for "any member" validity as of then). */
function memberStatusAt(w: BlockWriter, orgId: number, status: number, m: EventMeta, cp: string) {
  w.add(K.memberStatusAtBlock(orgId, cp), { status });
  w.add(K.memberStatusAtTime(orgId, m.time, cp), { status });
}

const sharesOf = (s: { developer: bigint; hospital: bigint; clinician: bigint }): Rows.SharesRow => ({ developer: n(s.developer), hospital: n(s.hospital), clinician: n(s.clinician) });

/** IncidentRegistry: the rows mirror incident() and determination(), so a test can hold them equal. */
const INCIDENT_HANDLERS: Record<string, Handler> = {
  IncidentReported: async (w, a, m) => {
    const [id, hospital, r] = [n(a.incidentId), n(a.hospital), a.report];
    // Ids run on across generations (IncidentRegistry.firstIncidentId): one already held means a successor
    // registry numbered from 1 again, and its incident would silently take the other's row and determination.
    const held = await w.get<Rows.IncidentRow>(K.incident(id));
    if (held) throw new MedprovError("INDEX_GENERATIONS", `incident ${id} is reported by the incident registry at ${m.address} (block ${m.block}) and was already reported in block ${held.block}: two generations share incident ids (a successor not opened by \`medprov deploy --successor\`), which the index cannot tell apart`, false);
    await w.put(K.incident(id), {
      incidentId: id, hospital, severity: n(r.severity), category: n(r.category), finding: 0, determined: false, occurredAt: n(r.occurredAt), reportedAt: m.time, seq: r.seq.toString(),
      batchId: lc(r.batchId), recordHash: lc(r.recordHash), versionId: lc(r.versionId), narrativeHash: lc(r.narrativeHash), block: m.block, time: m.time, tx: m.tx,
    } satisfies Rows.IncidentRow);
    await w.put(K.incidentByHospital(hospital, id), true);
    await w.put(K.incidentByVersion(r.versionId, id), true);
  },
  FindingRecorded: async (w, a, m) => update(w, K.incident(n(a.incidentId)), { finding: n(a.finding), findingRecord: { findingHash: lc(a.findingHash), block: m.block, time: m.time, tx: m.tx } }),
  DeterminationRecorded: async (w, a, m) => {
    const id = n(a.incidentId);
    await update(w, K.incident(id), { determined: true });
    await w.put(K.determination(id), { incidentId: id, appraiser: n(a.appraiser), determinedAt: m.time, shares: sharesOf(a.shares), rulingHash: lc(a.rulingHash), block: m.block, time: m.time, tx: m.tx } satisfies Rows.DeterminationRow);
  },
  CategoryAdded: async (w, a) => w.put(K.incidentCategory(n(a.category)), { id: n(a.category), name: a.name } satisfies Rows.IncidentCategoryRow),
  WeightingSet: async (w, a, m) => w.put(K.weighting(n(a.liabilityCase)), { liabilityCase: n(a.liabilityCase), shares: sharesOf(a.shares), block: m.block, time: m.time, tx: m.tx } satisfies Rows.WeightingRow),
};

const HANDLERS: Record<string, Handler> = {
  // Governance wiring (OpenZeppelin AccessManaged): which AccessManager governs a contract.
  AuthorityUpdated: async (w, a, m) => w.put(K.authority(m.address), { authority: lc(a.authority), block: m.block }),
  // Consortium
  MemberAdmitted: async (w, a, m, cp) => {
    await w.put(K.org(n(a.orgId)), { orgId: n(a.orgId), role: n(a.role), name: a.name, status: MemberStatus.ACTIVE, admittedBlock: m.block, admittedTime: m.time } satisfies Rows.MemberRow);
    memberStatusAt(w, n(a.orgId), MemberStatus.ACTIVE, m, cp);
    w.add(K.orgHistory(n(a.orgId), cp), { kind: "ADMITTED", role: n(a.role), name: a.name, block: m.block, time: m.time, tx: m.tx });
  },
  MemberStatusChanged: async (w, a, m, cp) => {
    await update(w, K.org(n(a.orgId)), { status: n(a.status) });
    memberStatusAt(w, n(a.orgId), n(a.status), m, cp);
    w.add(K.orgHistory(n(a.orgId), cp), { kind: "STATUS", previous: n(a.previous), status: n(a.status), actor: lc(a.actor), block: m.block, time: m.time, tx: m.tx });
  },
  KeyAdded: async (w, a, m, cp) => {
    await w.put(K.key(a.key), { key: lc(a.key), orgId: n(a.orgId), revoked: false, addedBlock: m.block });
    w.add(K.keyHistory(a.key, cp), { kind: "ADDED", orgId: n(a.orgId), block: m.block, time: m.time, tx: m.tx });
    w.add(K.orgHistory(n(a.orgId), cp), { kind: "KEY_ADDED", key: lc(a.key), block: m.block, time: m.time, tx: m.tx });
  },
  KeyRevoked: async (w, a, m, cp) => {
    await update(w, K.key(a.key), { revoked: true, revokedBlock: m.block });
    w.add(K.keyHistory(a.key, cp), { kind: "REVOKED", orgId: n(a.orgId), actor: lc(a.actor), block: m.block, time: m.time, tx: m.tx });
    w.add(K.orgHistory(n(a.orgId), cp), { kind: "KEY_REVOKED", key: lc(a.key), actor: lc(a.actor), block: m.block, time: m.time, tx: m.tx });
  },
  // Consent
  PurposeAdded: async (w, a) => w.put(K.purpose(n(a.purpose)), { id: n(a.purpose), name: a.name }),
  ConsentGranted: consentChange(true),
  ConsentRevoked: consentChange(false),
  ConsentCancelled: consentCancelled,
  DelegateAppointed: async (w, a, m, cp) => {
    await w.put(K.delegate(a.subject, a.delegate), { since: m.block });
    w.add(K.consentHistory(a.subject, cp), { kind: "DELEGATE_APPOINTED", subject: lc(a.subject), delegate: lc(a.delegate), block: m.block, logIndex: m.logIndex, time: m.time, tx: m.tx });
  },
  DelegateRemoved: async (w, a, m, cp) => {
    await w.del(K.delegate(a.subject, a.delegate));
    w.add(K.consentHistory(a.subject, cp), { kind: "DELEGATE_REMOVED", subject: lc(a.subject), delegate: lc(a.delegate), block: m.block, logIndex: m.logIndex, time: m.time, tx: m.tx });
  },
  // Datasets
  DatasetRegistered: async (w, a, m) => {
    const r = plain(a.registration) as Rows.RegistrationRow;
    const id = lc(a.datasetId);
    await w.put(K.dataset(id), { datasetId: id, custodian: n(a.custodian), ...r, status: DatasetStatus.ACTIVE, suspended: false, registeredBlock: m.block, registeredTime: m.time, tx: m.tx } satisfies Rows.DatasetRow);
    await w.put(K.datasetByCustodian(n(a.custodian), id), true);
    for (const parent of r.parents) await w.put(K.datasetChild(parent, id), true);
  },
  DatasetUsed: (w, a, m, cp) => w.add(K.datasetUse(a.datasetId, cp), { org: n(a.org), purpose: n(a.purpose), block: m.block, time: m.time, tx: m.tx } satisfies Rows.DatasetUseRow),
  DatasetStatusChanged: async (w, a, m, cp) => {
    await update(w, K.dataset(a.datasetId), { status: n(a.status), ...(n(a.status) === DatasetStatus.DESTROYED ? { attestation: a.attestation } : {}) });
    w.add(K.datasetHistory(a.datasetId, cp), { kind: "STATUS", previous: n(a.previous), status: n(a.status), attestation: a.attestation, block: m.block, time: m.time, tx: m.tx });
  },
  DatasetSuspensionChanged: async (w, a, m, cp) => {
    await update(w, K.dataset(a.datasetId), { suspended: a.suspended });
    w.add(K.datasetHistory(a.datasetId, cp), { kind: a.suspended ? "SUSPENDED" : "UNSUSPENDED", regulator: n(a.regulator), block: m.block, time: m.time, tx: m.tx });
  },
  // Models
  ModelRegistered: async (w, a, m) => w.put(K.model(a.modelId), { modelId: lc(a.modelId), developer: n(a.developer), riskClass: n(a.riskClass), name: a.name, intendedUse: a.intendedUse, block: m.block, time: m.time } satisfies Rows.ModelRow),
  VersionRegistered: async (w, a, m, cp) => {
    const input = plain(a.input) as Rows.VersionInputRow;
    const id = lc(a.versionId);
    await w.put(K.version(id), { versionId: id, modelId: lc(a.modelId), developer: n(a.developer), ...input, status: VersionStatus.SUBMITTED, registeredBlock: m.block, registeredTime: m.time, registeredCheckpoint: cp, tx: m.tx } satisfies Rows.VersionRow);
    await w.put(K.modelVersion(a.modelId, id), { block: m.block });
    for (const ds of input.trainingDatasets) await w.put(K.trainedOn(ds, id), { block: m.block, time: m.time, checkpoint: cp });
  },
  VersionStatusChanged: async (w, a, m, cp) => {
    await update(w, K.version(a.versionId), { status: n(a.status) });
    w.add(K.versionHistory(a.versionId, cp), { previous: n(a.previous), status: n(a.status), actor: n(a.actor), reason: a.reason, block: m.block, time: m.time, tx: m.tx } satisfies Rows.StatusChangeRow);
  },
  // riskClass: the class the regulator assigned, which may differ from the model's proposed class.
  VersionApproved: async (w, a) => update(w, K.version(a.versionId), { filingCode: a.filingCode, approvedBy: n(a.regulator), riskClass: n(a.riskClass), indications: BigInt(a.indications).toString() }),
  PolicySet: async (w, a, m) => w.put(K.policy(n(a.riskClass)), { riskClass: n(a.riskClass), ...(plain(a.policy) as Record<string, Json>), block: m.block }),
  DeploymentRecorded: async (w, a, m) => w.put(K.deployment(a.versionId, n(a.hospital)), { hospital: n(a.hospital), block: m.block, time: m.time, tx: m.tx } satisfies Rows.DeploymentRow),
  PerformanceReported: (w, a, m, cp) => w.add(K.report(a.versionId, cp), { reportId: lc(a.reportId), hospital: n(a.hospital), ...(plain(a.report) as ReportFields), block: m.block, time: m.time, tx: m.tx } satisfies Rows.ReportRow),
  FairnessAlert: (w, a, m, cp) => w.add(K.alert(a.versionId, cp), { kind: "FAIRNESS", reportId: lc(a.reportId), hospital: n(a.hospital), gap: n(a.gap), limit: n(a.limit), block: m.block, time: m.time, tx: m.tx } satisfies Rows.AlertRow),
  PerformanceAlert: (w, a, m, cp) => w.add(K.alert(a.versionId, cp), { kind: "PERFORMANCE", reportId: lc(a.reportId), hospital: n(a.hospital), auc: n(a.auc), minAuc: n(a.minAuc), block: m.block, time: m.time, tx: m.tx } satisfies Rows.AlertRow),
  IndicationAdded: async (w, a) => w.put(K.indication(n(a.indication)), { id: n(a.indication), name: a.name } satisfies Rows.IndicationRow),
  FilingEvidenceFiled: (w, a, m, cp) => w.add(K.filingEvidence(a.versionId, cp), { versionId: lc(a.versionId), developer: n(a.developer), ...(plain(a.filing) as Rows.FilingRow), block: m.block, time: m.time, tx: m.tx, checkpoint: cp } satisfies Rows.FilingEvidenceRow),
  // Incidents (issue 18)
  ...INCIDENT_HANDLERS,
  // Traces
  BatchAnchored: (w, a, m, cp) => {
    // The record sits at its checkpoint; the id and hospital entries only point there, so an
    // anchoring (the ledger's most frequent event) writes one record and three small entries.
    const [id, hospital, count] = [lc(a.batchId), n(a.hospital), n(a.count)];
    const versions = (a.versions as string[]).map(lc);
    const versionCounts = (a.versionCounts as bigint[]).map(Number);
    w.add(K.batchByCheckpoint(cp), { batchId: id, hospital, root: a.root, firstSeq: a.firstSeq.toString(), count, fromTime: n(a.fromTime), toTime: n(a.toTime), versions, versionCounts, block: m.block, time: m.time, tx: m.tx, checkpoint: cp } satisfies Rows.BatchRow);
    w.add(K.batch(id), cp);
    w.add(K.batchByHospital(hospital, cp), 0);
    // Per version: the traces of this batch that used it (the contract checked the counts add up to `count`).
    const used = new Map<string, number>();
    versions.forEach((v, i) => used.set(v, (used.get(v) ?? 0) + versionCounts[i]));
    for (const [v, traces] of used) w.add(K.batchByVersion(v, cp), { hospital, count: traces, batchCount: count });
  },
};

/**
 * Applies one decoded event; unknown events (a newer contract) are skipped, not guessed at. Returns
 * whether the event was applied, or a promise of that when its handler reads the index.
 */
export function applyEvent(w: BlockWriter, event: { name: string; args: Decoded }, meta: EventMeta): boolean | Promise<boolean> {
  const handler = HANDLERS[event.name];
  if (!handler) return false;
  const done = handler(w, event.args, meta, checkpoint(meta.block, meta.logIndex));
  return done ? done.then(() => true) : true;
}
