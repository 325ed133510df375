/**
 * Read side of the index: everything the API answers comes from here. Each query is a prefix scan
 * or a single ordered lookup; none reads the chain.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { LIMITS, MemberStatus, Purpose, NUMBERS, purposesOf } from "../constants";
import { InputError, isoOf, type Rows } from "../core";
import { K, LOG_INDEX_MAX, P, asOfRange, checkpoint, lc, pad } from "./keys";
import type { IndexStore, Json } from "./store";

type Row = Record<string, Json>;
// Whole-prefix reads and point reads are memoised until the index next changes (see IndexStore.memo).
// A row's type is its definition in src/core/rows.ts; untyped rows (no API answers them as such) are Row.
const values = <T extends Json = Row>(store: IndexStore, prefix: string) => store.memo(`list:${prefix}`, async () => (await store.list<T>(prefix)).map((e) => e.value));
const get = <T extends Json>(store: IndexStore, key: string) => store.memo(`get:${key}`, () => store.get<T>(key));
const row = <T extends Json = Row>(store: IndexStore, key: string) => get<T>(store, key);
const lastSegment = (key: string) => key.slice(key.lastIndexOf(":") + 1);
/** History rows under `prefix` (keys `<prefix><owner>:<checkpoint>`), each with its owner and checkpoint, in chain order. */
const history = <T extends Row = Row>(store: IndexStore, prefix: string): Promise<(T & { owner: string; checkpoint: string })[]> =>
  store.memo(`history:${prefix}`, async () =>
    (await store.list<T>(prefix))
      .map((e) => ({ ...e.value, owner: e.key.slice(prefix.length, e.key.lastIndexOf(":")), checkpoint: lastSegment(e.key) }))
      .sort((a, b) => a.checkpoint.localeCompare(b.checkpoint)),
  );

/** Care purposes: their uses are clinical decision traces, each checked for consent at its time by /verify. */
const CARE_PURPOSES: number[] = [Purpose.TREATMENT, Purpose.CLINICAL_DECISION_SUPPORT];
const allows = (dataset: Rows.DatasetRow, purpose: number) => ((BigInt(dataset.allowedPurposes ?? 0) >> BigInt(purpose)) & 1n) === 1n;
const byTime = <T extends { time: number; block: number }>(xs: T[]) => xs.sort((a, b) => a.time - b.time || a.block - b.block);

/**
 * A use at `time` against a revocation at `revokedTime`, by chain time (the ledger's clock has
 * one-second steps, and a registration records when training was declared, not done):
 * BEFORE_REVOCATION earlier; AT_REVOCATION_TIME in the same second (chain time cannot order them);
 * CONSENTED_AT_USE later, while another slot or a new grant still gave consent for the purpose;
 * AFTER_REVOCATION later, without consent.
 */
export async function relation(time: number, revokedTime: number, consentedAtUse: () => Promise<boolean>) {
  if (time < revokedTime) return "BEFORE_REVOCATION";
  if (time === revokedTime) return "AT_REVOCATION_TIME";
  return (await consentedAtUse()) ? "CONSENTED_AT_USE" : "AFTER_REVOCATION";
}

/** Versions trained on a dataset (with their developer) and its recorded uses, each by time. */
async function usesOf(store: IndexStore, datasetId: string) {
  const trained = await Promise.all((await store.list<Row>(P.trainedOn(datasetId))).map(async (e) => {
    const versionId = lastSegment(e.key);
    return { versionId, org: (await row<Rows.VersionRow>(store, K.version(versionId)))?.developer ?? 0, block: Number(e.value.block), time: Number(e.value.time) };
  }));
  const recorded = (await values<Rows.DatasetUseRow>(store, P.datasetUses(datasetId))).map((u) => ({ org: u.org, purpose: u.purpose, block: u.block, time: u.time, tx: u.tx }));
  return { trained: byTime(trained), recorded: byTime(recorded) };
}

/**
 * What each of a subject's revocations touched, per purpose (DESIGN §4.6): for every revocation
 * of a data-use purpose (not TREATMENT or CLINICAL_DECISION_SUPPORT, whose uses are traces, judged
 * one by one by /verify), the datasets that include the subject (by custodians' verified cohort
 * manifests), and on each the uses under that purpose alone: versions trained on it (for
 * MODEL_TRAINING) and recorded dataset uses, by the organisations the revoked slot covered,
 * each related to the revocation by chain time (see `relation`). Revocations come in chain
 * order, uses by time. `datasetsWithoutManifest` names the datasets allowing the purpose whose
 * cohort manifest this index lacks: for those, whether the subject is in them is unknown.
 */
/** Was (subject, purpose, grantee) consent valid at a block or a time (see consentQueries); `memo` shares one query's reads. */
type ConsentValidAt = (subject: string, purpose: number, grantee: number, at: { block?: number; time: number }, memo?: AsOfMemo) => Promise<boolean>;

async function revocationImpact(store: IndexStore, consentValidAt: ConsentValidAt, subject: string) {
  const memo: AsOfMemo = {};
  const revocations = (await values<Rows.ConsentEventRow>(store, P.consentHistory(subject))).filter((e) => e.kind === "REVOKED" && !CARE_PURPOSES.includes(Number(e.purpose)));
  const mine = (await store.list(P.manifestsOf(subject))).map((e) => lastSegment(e.key));
  const all = await values<Rows.DatasetRow>(store, P.datasets);
  const manifests = new Set((await store.list(P.manifests)).map((e) => lastSegment(e.key)));
  const perDataset = await Promise.all(mine.map(async (d) => ({ datasetId: d, uses: await usesOf(store, d) })));
  const out = [];
  for (const r of revocations) {
    const purpose = Number(r.purpose);
    const grantee = Number(r.grantee);
    const revokedTime = Number(r.time);
    const covered = (orgId: number) => grantee === NUMBERS.ANY_MEMBER || orgId === grantee;
    const judge = async (u: { org: number; time: number }) => relation(u.time, revokedTime, () => consentValidAt(subject, purpose, u.org, { time: u.time }, memo));
    const datasets = await Promise.all(perDataset.map(async ({ datasetId, uses }) => ({
      datasetId,
      versions: await Promise.all(uses.trained.filter((v) => purpose === Purpose.MODEL_TRAINING && covered(v.org)).map(async (v) => ({ versionId: v.versionId, developer: v.org, registeredBlock: v.block, registeredTime: v.time, registered: await judge(v) }))),
      uses: await Promise.all(uses.recorded.filter((u) => u.purpose === purpose && covered(u.org)).map(async (u) => ({ ...u, relation: await judge(u) }))),
    })));
    const withoutManifest = all.filter((d) => allows(d, purpose) && !manifests.has(d.datasetId)).map((d) => d.datasetId);
    out.push({ purpose, grantee, revokedBlock: Number(r.block), revokedTime, revokedAt: isoOf(revokedTime), datasets, datasetsWithoutManifest: withoutManifest });
  }
  return out;
}

/** Which of the subject's slots let `org` use their data for `purpose` at `at`: its own, then "any member" while `org` was ACTIVE; undefined when none did. */
async function slotHeld(store: IndexStore, subject: string, purpose: number, org: number, at: { block?: number; time: number }, memo: AsOfMemo): Promise<number | undefined> {
  if (await consentStateAt(store, subject, purpose, org, at, memo)) return org;
  if (org === NUMBERS.ANY_MEMBER || (await memberStatusAt(store, org, at, memo)) !== MemberStatus.ACTIVE) return undefined;
  return (await consentStateAt(store, subject, purpose, NUMBERS.ANY_MEMBER, at, memo)) ? NUMBERS.ANY_MEMBER : undefined;
}

/**
 * The datasets whose custodians disclosed (by a verified cohort manifest) that they include the
 * subject, whatever the subject revoked: per dataset its custodian and allowed purposes; the
 * subject's consents it relied on (per allowed purpose, the slot that let the custodian hold the
 * data for it when it registered the dataset, and whether that consent holds at `now`); the model
 * versions trained on it, with their status; and its recorded uses. Each version and use says
 * whether the subject's consent for its purpose covered its organisation at its time. Datasets in
 * registration order. `datasetsWithoutManifest` as in revocationImpact, for every purpose.
 */
async function subjectDatasets(store: IndexStore, consentValidAt: ConsentValidAt, subject: string, now: { block?: number; time: number }) {
  const memo: AsOfMemo = {};
  const ids = (await store.list(P.manifestsOf(subject))).map((e) => lastSegment(e.key));
  const rows = (await Promise.all(ids.map((id) => row<Rows.DatasetRow>(store, K.dataset(id))))).filter((d) => !!d);
  const datasets = await Promise.all(byTime(rows.map((d) => ({ d, time: d.registeredTime, block: d.registeredBlock }))).map(async ({ d }) => {
    const custodian = Number(d.custodian);
    const registered = { block: d.registeredBlock, time: d.registeredTime };
    const consents = await Promise.all(purposesOf(BigInt(d.allowedPurposes ?? 0)).map(async (purpose) => {
      const slot = await slotHeld(store, subject, purpose, custodian, registered, memo);
      return { purpose, grantee: slot ?? custodian, heldAtRegistration: slot !== undefined, heldNow: await consentValidAt(subject, purpose, custodian, now, memo) };
    }));
    const { trained, recorded } = await usesOf(store, d.datasetId);
    const versions = await Promise.all(trained.map(async (t) => {
      const v = await row<Rows.VersionRow>(store, K.version(t.versionId));
      const model = v ? await row<Rows.ModelRow>(store, K.model(v.modelId)) : undefined;
      return { versionId: t.versionId, modelId: v?.modelId ?? "", modelName: model?.name ?? "", developer: t.org, status: v?.status ?? 0, registeredBlock: t.block, registeredTime: t.time, consented: await consentValidAt(subject, Purpose.MODEL_TRAINING, t.org, { time: t.time }, memo) };
    }));
    const uses = await Promise.all(recorded.map(async (u) => ({ ...u, consented: await consentValidAt(subject, u.purpose, u.org, { time: u.time }, memo) })));
    return { datasetId: lc(d.datasetId), uri: d.uri, custodian, status: d.status, allowedPurposes: d.allowedPurposes, registeredBlock: d.registeredBlock, registeredTime: d.registeredTime, consents, versions, uses };
  }));
  const manifests = new Set((await store.list(P.manifests)).map((e) => lastSegment(e.key)));
  const withoutManifest = (await values<Rows.DatasetRow>(store, P.datasets)).filter((d) => !manifests.has(lc(d.datasetId))).map((d) => lc(d.datasetId));
  return { subject: lc(subject), datasets, datasetsWithoutManifest: withoutManifest };
}

/** One page of rows ordered by a stable key: those after `after`, at most `limit`, and the cursor of the next page. */
function pageOf<N extends string, T>(keyed: { key: string; d: T }[], f: { after?: string; limit?: number }, name: N) {
  const limit = Math.min(f.limit ?? LIMITS.PAGE_DEFAULT, LIMITS.PAGE_MAX);
  const sorted = keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).filter((x) => f.after === undefined || x.key > f.after);
  const page = sorted.slice(0, limit);
  return { [name]: page.map((x) => x.d), next: sorted.length > limit ? page[limit - 1].key : null } as { [K in N]: T[] } & { next: string | null };
}

/**
 * The first block of the ledger generation `at` falls in (0 while there is one generation). State
 * lives in one generation's contracts: a consent granted, or a member admitted, in generation N does
 * not act in N+1 until it is granted or admitted there again (docs/consortium.md, "Ledger
 * generations"), so an as-of lookup in N+1 ignores what was recorded before N+1's first block.
 */
async function generationStart(store: IndexStore, at: { block?: number; time: number }, memo: AsOfMemo): Promise<number> {
  memo.starts ??= store.get<{ fromBlock: number }[]>(K.generations).then((gens) => (gens ?? []).map((g) => g.fromBlock));
  const starts = await memo.starts;
  if (starts.length < 2) return 0;
  let block = at.block;
  if (block === undefined) {
    memo.blockAt ??= new Map();
    let found = memo.blockAt.get(at.time);
    if (!found) memo.blockAt.set(at.time, (found = firstBlockAtOrAfter(store, at.time)));
    block = (await found) ?? Number.MAX_SAFE_INTEGER;
  }
  return Math.max(0, ...starts.filter((from) => from <= block));
}

/**
 * What as-of lookups read once per query, however many slots and times it judges: the generations'
 * first blocks (meta:generations) and, with several generations, the block each time falls at. A
 * query makes one and passes it down; a lookup asked on its own makes its own. Never kept past the
 * query, since the indexer records a new generation when it follows a migration.
 */
export interface AsOfMemo {
  starts?: Promise<number[]>;
  blockAt?: Map<number, Promise<number | undefined>>;
}

/** The latest as-of row at `at` that was recorded in `at`'s own generation (keys end with the checkpoint: block, then log index). */
async function stateAt(store: IndexStore, prefixes: { block: string; time: string }, at: { block?: number; time: number }, memo: AsOfMemo): Promise<Row | undefined> {
  const { base, upTo } = asOfRange(prefixes, at);
  const hit = await store.latestAtOrBefore<Row>(base, upTo);
  if (!hit) return undefined;
  const block = Number(hit.key.slice(-18, -6));
  return block >= (await generationStart(store, at, memo)) ? hit.value : undefined;
}

/** Whether the slot (subject, purpose, grantee) held a consent at a block (when given) or at a time. */
async function consentStateAt(store: IndexStore, subject: string, purpose: number, grantee: number, at: { block?: number; time: number }, memo: AsOfMemo): Promise<boolean> {
  const state = await stateAt(store, K.asOf.consent(subject, purpose, grantee), at, memo);
  return !!state && state.granted === true && Number(state.expiresAt) > at.time;
}

/** A member's status at a block or a time (NONE before its admission, or before its admission in that time's generation). */
async function memberStatusAt(store: IndexStore, orgId: number, at: { block?: number; time: number }, memo: AsOfMemo): Promise<number> {
  const state = await stateAt(store, K.asOf.memberStatus(orgId), at, memo);
  return state ? Number(state.status) : 0;
}

/** The first indexed block whose time is ≥ `time` (block times never decrease): a binary search over blk: keys. */
async function firstBlockAtOrAfter(store: IndexStore, time: number): Promise<number | undefined> {
  const at = async (block: number) => {
    const [hit] = await store.list<number>(P.blockTimes, { gte: K.blockTime(block), limit: 1 });
    return hit ? { block: Number(lastSegment(hit.key)), time: Number(hit.value) } : undefined;
  };
  const [last] = await store.list<number>(P.blockTimes, { reverse: true, limit: 1 });
  if (!last || Number(last.value) < time) return undefined;
  // Smallest x whose first indexed block at or after x has time ≥ `time` (monotone in x).
  let lo = 0;
  let hi = Number(lastSegment(last.key));
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await at(mid))!.time >= time) hi = mid; // at(mid) exists: the last indexed block is ≥ mid
    else lo = mid + 1;
  }
  return (await at(lo))!.block;
}

/** Membership queries. */
function membershipQueries(store: IndexStore) {
  const g = {
    members: () => values<Rows.MemberRow>(store, P.members),
    member: (orgId: number) => row<Rows.MemberRow>(store, K.org(orgId)),
    memberHistory: (orgId: number) => values<Rows.MemberHistoryRow>(store, P.memberHistory(orgId)),
    key: (address: string) => row(store, K.key(address)),
    keyHistory: (address: string) => values(store, P.keyHistory(address)),
    purposes: () => values(store, P.purposes),
    /** Every membership and key change, in chain order, with its organisation and checkpoint. */
    memberChanges: async (): Promise<Rows.MemberChangeRow[]> => (await history<Rows.MemberHistoryRow>(store, P.allMemberHistory)).map(({ owner, ...r }) => ({ ...r, orgId: Number(owner) })),
  };
  return g;
}

/** Consent queries. */
function consentQueries(store: IndexStore) {
  const g = {
    consents: (subject: string) => values<Rows.ConsentRow>(store, P.consents(subject)),
    consentHistory: (subject: string) => values<Rows.ConsentEventRow>(store, P.consentHistory(subject)),
    // Read by every patient request (a delegate may read the subject's consents): memoised like the rest.
    delegates: (subject: string) => store.memo(`delegates:${lc(subject)}`, async () => (await store.list(P.delegates(subject))).map((e) => lastSegment(e.key))),
    /**
     * Was (subject, purpose, grantee) consent valid at a block or a time? One ordered lookup per
     * slot: the grantee's own, then "any member" when the grantee was an ACTIVE member then (as
     * isConsentValid judges it at that block). At a block, `time` must be that block's timestamp
     * (expiry is judged by chain time).
     */
    async consentValidAt(subject: string, purpose: number, grantee: number, at: { block?: number; time: number }, memo: AsOfMemo = {}): Promise<boolean> {
      if (await consentStateAt(store, subject, purpose, grantee, at, memo)) return true;
      if (grantee === NUMBERS.ANY_MEMBER) return false;
      if ((await memberStatusAt(store, grantee, at, memo)) !== MemberStatus.ACTIVE) return false;
      return consentStateAt(store, subject, purpose, NUMBERS.ANY_MEMBER, at, memo);
    },
  };
  return g;
}

/** Datasets queries. */
function datasetQueries(store: IndexStore) {
  const g = {
    dataset: (id: string) => row<Rows.DatasetRow>(store, K.dataset(id)),
    datasetsOf: async (custodian: number) => Promise.all((await store.list(P.datasetsOf(custodian))).map((e) => row<Rows.DatasetRow>(store, K.dataset(lastSegment(e.key))))),
    datasets: () => values<Rows.DatasetRow>(store, P.datasets),
    async lineage(id: string) {
      const d = await row<Rows.DatasetRow>(store, K.dataset(id));
      if (!d) return undefined;
      const children = (await store.list(P.datasetChildren(id))).map((e) => lastSegment(e.key));
      return { datasetId: lc(id), parents: d.parents, children } satisfies Rows.LineageRow;
    },
    /**
     * Datasets in registration order (block, then id), filtered by custodian and status; `after` is
     * the cursor of the last dataset of the previous page, so pages stay stable as datasets arrive.
     */
    async datasetList(f: { custodian?: number; status?: number; after?: string; limit?: number }) {
      const rows = f.custodian !== undefined ? (await g.datasetsOf(f.custodian)).filter((d) => !!d) : await values<Rows.DatasetRow>(store, P.datasets);
      const keyed = rows.filter((d) => f.status === undefined || Number(d.status) === f.status).map((d) => ({ key: `${pad(d.registeredBlock, 12)}-${lc(d.datasetId)}`, d }));
      return pageOf(keyed, f, "datasets");
    },
    datasetUses: (id: string) => values<Rows.DatasetUseRow>(store, P.datasetUses(id)),
    datasetHistory: (id: string) => values(store, P.datasetHistory(id)),
  };
  return g;
}

/** Models queries. */
function modelQueries(store: IndexStore) {
  const g = {
    models: () => values<Rows.ModelRow>(store, P.models),
    model: (id: string) => row<Rows.ModelRow>(store, K.model(id)),
    versionsOf: async (modelId: string) => Promise.all((await store.list(P.modelVersions(modelId))).map((e) => row<Rows.VersionRow>(store, K.version(lastSegment(e.key))))),
    version: (id: string) => row<Rows.VersionRow>(store, K.version(id)),
    /** Versions in registration order (their checkpoint), filtered by model, developer and status; paged like datasetList. */
    async versionList(f: { model?: string; developer?: number; status?: number; after?: string; limit?: number }) {
      const rows = f.model !== undefined ? (await g.versionsOf(f.model)).filter((v) => !!v) : await values<Rows.VersionRow>(store, P.versions);
      const keyed = rows
        .filter((v) => (f.developer === undefined || v.developer === f.developer) && (f.status === undefined || v.status === f.status))
        .map((v) => ({ key: `${v.registeredCheckpoint ?? checkpoint(v.registeredBlock, 0)}-${lc(v.versionId)}`, d: v }));
      return pageOf(keyed, f, "versions");
    },
    versionHistory: (id: string) => values<Rows.StatusChangeRow>(store, P.versionHistory(id)),
    deployments: (id: string) => values<Rows.DeploymentRow>(store, P.deployments(id)),
    reports: (id: string) => values<Rows.ReportRow>(store, P.reports(id)),
    alerts: (id: string) => values<Rows.AlertRow>(store, P.alerts(id)),
    /** Every alert (FAIRNESS: subgroup gap; PERFORMANCE: overall AUC), in chain order, with the version it was raised against. */
    allAlerts: async (): Promise<(Rows.AlertRow & { versionId: string })[]> => (await history<Rows.AlertRow>(store, P.allAlerts)).map(({ owner, checkpoint: _cp, ...r }) => ({ ...r, versionId: owner })),
    policies: () => values(store, P.policies),
    /** Every version status change, in chain order, with its version and checkpoint. */
    versionChanges: async (): Promise<Rows.VersionChangeRow[]> => (await history<Rows.StatusChangeRow>(store, P.allVersionHistory)).map(({ owner, ...r }) => ({ ...r, versionId: owner })),
  };
  return g;
}

/** A block range (a ledger generation's): from `from`, to `to` inclusive (open-ended without one). */
export interface Blocks {
  from: number;
  to?: number;
}
const inBlocks = (r: Blocks, block: number) => block >= r.from && (r.to === undefined || block <= r.to);

/** Trace batches queries. */
function batchQueries(store: IndexStore) {
  const g = {
    batch: async (id: string) => {
      const cp = await get<string>(store, K.batch(id));
      return cp === undefined ? undefined : row<Rows.BatchRow>(store, K.batchByCheckpoint(cp));
    },
    /**
     * Batches, oldest first, filtered by hospital, version or time (a batch matches when its traces'
     * span overlaps [fromTime, toTime]); `after` is the checkpoint of the last batch of the previous
     * page, so pages stay stable while new batches arrive. Each index read here is keyed by
     * checkpoint, so a page starts right after `after`, and a time filter starts at the first block
     * that could hold a match; reading stops once the page is full.
     */
    async batches(f: { hospital?: number; version?: string; fromTime?: number; toTime?: number; after?: string; limit?: number }) {
      const limit = Math.min(f.limit ?? LIMITS.PAGE_DEFAULT, LIMITS.PAGE_MAX);
      const prefix = f.version ? P.batchesOfVersion(f.version) : f.hospital !== undefined ? P.batchesOfHospital(f.hospital) : P.batches;
      let from = f.after ? `${prefix}${f.after}` : prefix;
      if (f.fromTime !== undefined) {
        // The contract refuses toTime > block time + MAX_CLOCK_SKEW: a batch ending at or after
        // fromTime was anchored no earlier than the first block of time fromTime - MAX_CLOCK_SKEW.
        const first = await firstBlockAtOrAfter(store, f.fromTime - NUMBERS.MAX_CLOCK_SKEW);
        if (first === undefined) return { batches: [], next: null };
        const bound = `${prefix}${checkpoint(first, 0)}`;
        if (bound > from) from = bound;
      }
      const out: Rows.BatchRow[] = [];
      for await (const e of store.scan<Json>(prefix, { gte: from })) {
        const cp = lastSegment(e.key);
        if (f.after && cp <= f.after) continue;
        const b = prefix === P.batches ? (e.value as Rows.BatchRow) : await row<Rows.BatchRow>(store, K.batchByCheckpoint(cp));
        if (!b) continue;
        if (f.hospital !== undefined && Number(b.hospital) !== f.hospital) continue;
        if (f.fromTime !== undefined && Number(b.toTime) < f.fromTime) continue;
        if (f.toTime !== undefined && Number(b.fromTime) > f.toTime) continue;
        out.push(b);
        if (out.length >= limit) break;
      }
      return { batches: out, next: out.length >= limit ? String(out[limit - 1].checkpoint) : null };
    },

    /**
     * The batch `id` anchored within blocks `blocks` (a ledger generation's range). Batch ids repeat
     * across generations (a successor's sequences start again at 0) and b: points at the latest, so
     * an earlier generation's batch is found among that generation's records, by checkpoint.
     */
    async batchInBlocks(id: string, blocks: Blocks): Promise<Rows.BatchRow | undefined> {
      const latest = await g.batch(id);
      if (latest && inBlocks(blocks, Number(latest.block))) return latest;
      const last = blocks.to === undefined ? undefined : `${P.batches}${checkpoint(blocks.to, LOG_INDEX_MAX)}`;
      for await (const e of store.scan<Json>(P.batches, { gte: `${P.batches}${checkpoint(blocks.from, 0)}`, ...(last ? { lte: last } : {}) })) {
        if ((e.value as Rows.BatchRow).batchId === lc(id)) return e.value as Rows.BatchRow;
      }
      return undefined;
    },

    /** [firstSeq, firstSeq + count) of each of a hospital's batches (within `blocks`, when given: a generation's), in sequence order. */
    batchRanges: (hospital: number, blocks?: Blocks): Promise<(readonly [bigint, bigint])[]> =>
      // Every verified receipt asks for its hospital's ranges: read them once per state of the index.
      store.memo(`ranges:${hospital}:${blocks?.from ?? ""}:${blocks?.to ?? ""}`, async () => {
        const cps = (await store.list(P.batchesOfHospital(hospital))).map((e) => lastSegment(e.key));
        const batches = await Promise.all(cps.map((cp) => row<Rows.BatchRow>(store, K.batchByCheckpoint(cp))));
        return batches.filter((b) => !!b && (!blocks || inBlocks(blocks, Number(b.block)))).map((b) => [BigInt(b!.firstSeq), BigInt(b!.firstSeq) + BigInt(b!.count)] as const);
      }),
  };
  return g;
}

/** Impact reports queries. */
function impactQueries(store: IndexStore, consentValidAt: ConsentValidAt) {
  const g = {
    /**
     * Batches, hospitals and traces that used a version (for a recall). Trace counts are exact: each
     * batch anchors how many of its traces referenced each version (BatchAnchored.versionCounts).
     */
    async recallImpact(versionId: string) {
      const refs = await values(store, P.batchesOfVersion(versionId));
      const hospitals = new Map<number, { batches: number; traces: number }>();
      for (const r of refs) {
        const h = hospitals.get(Number(r.hospital)) ?? { batches: 0, traces: 0 };
        h.batches++;
        h.traces += Number(r.count);
        hospitals.set(Number(r.hospital), h);
      }
      return {
        versionId: lc(versionId),
        status: (await row<Rows.VersionRow>(store, K.version(versionId)))?.status ?? 0,
        batches: refs.length,
        traces: refs.reduce((n, r) => n + Number(r.count), 0),
        hospitals: [...hospitals].map(([hospital, v]) => ({ hospital, ...v })),
      };
    },

    /** Per revocation of a data-use purpose, the uses it touched (see revocationImpact below). */
    revocationImpact: (subject: string) => revocationImpact(store, consentValidAt, subject),

    /** The datasets that include the subject, whatever they revoked (see subjectDatasets above); `now` is the chain's. */
    subjectDatasets: (subject: string, now: { block?: number; time: number }) => subjectDatasets(store, consentValidAt, subject, now),

    /**
     * Takes a custodian's cohort manifest, checks it against the dataset's on-chain cohort root,
     * and records which subjects it includes. Manifests are off-chain facts: kept outside the digest.
     */
    async addCohortManifest(datasetId: string, manifest: { cohortTree: unknown }) {
      const d = await row<Rows.DatasetRow>(store, K.dataset(datasetId));
      if (!d) throw new InputError("MANIFEST_UNKNOWN_DATASET", `dataset ${datasetId} is not indexed (yet)`);
      let tree: StandardMerkleTree<[string]>;
      try {
        tree = StandardMerkleTree.load(manifest.cohortTree as never);
        tree.validate();
      } catch (e) {
        throw new InputError("MANIFEST_INVALID", `the cohort manifest is not a valid Merkle tree dump: ${(e as Error).message}`);
      }
      if (tree.root !== d.cohortRoot.toLowerCase()) throw new InputError("COHORT_MISMATCH", `manifest root ${tree.root} is not dataset ${datasetId}'s cohort root ${d.cohortRoot}`);
      const subjects = [...tree.entries()].map(([, [s]]) => lc(s));
      await store.write([
        { type: "put", key: K.manifest(datasetId), value: { subjects: subjects.length } },
        ...subjects.map((s) => ({ type: "put" as const, key: K.manifestMember(s, datasetId), value: true })),
      ]);
      return { datasetId: lc(datasetId), subjects: subjects.length };
    },

    /**
     * Takes a cohort manifest as `dataset register` writes it, whatever its file is called: the
     * dataset is the one whose on-chain cohort root is the manifest's root.
     */
    async addCohortManifestByRoot(manifest: { cohortTree: unknown }) {
      let root: string;
      try {
        root = StandardMerkleTree.load(manifest.cohortTree as never).root;
      } catch (e) {
        throw new InputError("MANIFEST_INVALID", `the cohort manifest is not a valid Merkle tree dump: ${(e as Error).message}`);
      }
      const d = (await values<Rows.DatasetRow>(store, P.datasets)).find((x) => x.cohortRoot.toLowerCase() === root);
      if (!d) throw new InputError("MANIFEST_UNKNOWN_DATASET", `no indexed dataset has cohort root ${root} (yet)`);
      return g.addCohortManifest(d.datasetId, manifest);
    },
  };
  return g;
}

/** Incidents filter: reported by a hospital, against a version, reported in [from, to] (chain time, inclusive). */
export interface IncidentFilter {
  hospital?: number;
  versionId?: string;
  from?: number;
  to?: number;
}

/** Incidents, their findings and determinations, and the catalogues they are read with (issue 18). */
function incidentQueries(store: IndexStore) {
  const ids = async (prefix: string) => (await store.list(prefix)).map((e) => Number(lastSegment(e.key)));
  const byIds = async (list: number[]) => (await Promise.all(list.map((id) => row<Rows.IncidentRow>(store, K.incident(id))))).filter((r): r is Rows.IncidentRow => !!r);
  return {
    /** Incidents in reporting order, narrowed by hospital, version and the reporting time's window. */
    async incidents(f: IncidentFilter = {}): Promise<Rows.IncidentRow[]> {
      let rows: Rows.IncidentRow[];
      if (f.hospital !== undefined) rows = await byIds(await ids(P.incidentsOfHospital(f.hospital)));
      else if (f.versionId !== undefined) rows = await byIds(await ids(P.incidentsOfVersion(f.versionId)));
      else rows = await values<Rows.IncidentRow>(store, P.incidents);
      return rows.filter((r) => (f.versionId === undefined || r.versionId === lc(f.versionId)) && (f.from === undefined || r.reportedAt >= f.from) && (f.to === undefined || r.reportedAt <= f.to));
    },
    /** One incident with its determination (null until an APPRAISER records one); undefined when unknown. */
    async incident(id: number): Promise<(Rows.IncidentRow & { determination: Rows.DeterminationRow | null }) | undefined> {
      const i = await row<Rows.IncidentRow>(store, K.incident(id));
      if (!i) return undefined;
      return { ...i, determination: (await row<Rows.DeterminationRow>(store, K.determination(id))) ?? null };
    },
    incidentCategories: () => values<Rows.IncidentCategoryRow>(store, P.incidentCategories),
    /** The governed default weighting per liability case, by case. */
    weightings: () => values<Rows.WeightingRow>(store, P.weightings),
    indications: () => values<Rows.IndicationRow>(store, P.indications),
    /** A version's filing evidence events in chain order: the last one before a time is what was on file then. */
    filingEvidence: (versionId: string) => values<Rows.FilingEvidenceRow>(store, P.filingEvidence(versionId)),
  };
}

/** Every answer the API reads, grouped by area; none reads the chain. */
export function createQueries(store: IndexStore) {
  const consent = consentQueries(store);
  return {
    digest: () => store.digest(),
    cursor: () => store.cursor(),
    ...membershipQueries(store),
    ...consent,
    ...datasetQueries(store),
    ...modelQueries(store),
    ...batchQueries(store),
    ...impactQueries(store, consent.consentValidAt),
    ...incidentQueries(store),
  };
}

export type Queries = ReturnType<typeof createQueries>;
