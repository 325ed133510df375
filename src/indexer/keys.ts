/**
 * Key layout of the index. Fixed-width numbers make lexicographic order numeric, so "the state
 * at or before checkpoint X" is one reverse iterator step. A checkpoint is block (12 digits) +
 * log index (6 digits): the position of an event in the chain.
 */
export const pad = (n: number | bigint | string, width: number) => n.toString().padStart(width, "0");
export const checkpoint = (block: number, logIndex: number) => `${pad(block, 12)}${pad(logIndex, 6)}`;
export const CHECKPOINT_MAX = "9".repeat(18);
export const org = (id: number) => pad(id, 10);
export const lc = (a: string) => a.toLowerCase();

/** Namespaces that hold chain-derived state (and so enter the digest). */
export const STATE_PREFIXES = [
  "org:", "orgh:", "msb:", "mst:", "key:", "keyh:", "purpose:",
  "c:", "ch:", "cb:", "ct:", "dg:",
  "ds:", "dsc:", "dsu:", "dsh:", "dso:",
  "m:", "mv:", "v:", "vh:", "vd:", "vr:", "va:", "vt:", "pol:",
  "b:", "bh:", "bc:", "bv:", "blk:", "auth:",
] as const;

// Not state, so outside the digest: cursor (meta:), undo journal (j:), recent block hashes (h:),
// custodian-supplied cohort manifests (x:).

/** Sync bookkeeping that no query reads: writing only these changes no answer (see IndexStore.write). */
export const BOOKKEEPING_PREFIXES = ["meta:", "j:", "h:"] as const;

/**
 * As-of namespaces: a thing's rows keyed by checkpoint (…b:) and by block time then checkpoint
 * (…t:), so "its state at a block" and "its state at a time" are each one reverse lookup.
 */
const ASOF = {
  memberStatus: (id: number) => ({ block: `msb:${org(id)}:`, time: `mst:${org(id)}:` }),
  consent: (s: string, p: number, g: number) => ({ block: `cb:${lc(s)}:${pad(p, 3)}:${org(g)}:`, time: `ct:${lc(s)}:${pad(p, 3)}:${org(g)}:` }),
};

/** The prefix and the inclusive upper key of an as-of lookup at a block (when given) or else at a time. */
export function asOfRange(prefixes: { block: string; time: string }, at: { block?: number; time: number }): { base: string; upTo: string } {
  return at.block !== undefined
    ? { base: prefixes.block, upTo: `${prefixes.block}${checkpoint(at.block, 999_999)}` }
    : { base: prefixes.time, upTo: `${prefixes.time}${pad(at.time, 12)}${CHECKPOINT_MAX}` };
}

export const K = {
  /** The as-of namespaces' prefixes, for {@link asOfRange}. */
  asOf: ASOF,
  cursor: "meta:cursor",
  layout: "meta:layout",
  org: (id: number) => `org:${org(id)}`,
  orgHistory: (id: number, cp: string) => `orgh:${org(id)}:${cp}`,
  /** A member's status from a checkpoint on (admission: ACTIVE), by block and by time, for as-of questions. */
  memberStatusAtBlock: (id: number, cp: string) => `${ASOF.memberStatus(id).block}${cp}`,
  memberStatusAtTime: (id: number, time: number, cp: string) => `${ASOF.memberStatus(id).time}${pad(time, 12)}${cp}`,
  key: (address: string) => `key:${lc(address)}`,
  keyHistory: (address: string, cp: string) => `keyh:${lc(address)}:${cp}`,
  purpose: (id: number) => `purpose:${pad(id, 3)}`,
  consent: (s: string, p: number, g: number) => `c:${lc(s)}:${pad(p, 3)}:${org(g)}`,
  consentHistory: (s: string, cp: string) => `ch:${lc(s)}:${cp}`,
  consentAtBlock: (s: string, p: number, g: number, cp: string) => `${ASOF.consent(s, p, g).block}${cp}`,
  consentAtTime: (s: string, p: number, g: number, time: number, cp: string) => `${ASOF.consent(s, p, g).time}${pad(time, 12)}${cp}`,
  delegate: (s: string, d: string) => `dg:${lc(s)}:${lc(d)}`,
  dataset: (id: string) => `ds:${lc(id)}`,
  datasetChild: (parent: string, child: string) => `dsc:${lc(parent)}:${lc(child)}`,
  datasetUse: (id: string, cp: string) => `dsu:${lc(id)}:${cp}`,
  datasetHistory: (id: string, cp: string) => `dsh:${lc(id)}:${cp}`,
  datasetByCustodian: (custodian: number, id: string) => `dso:${org(custodian)}:${lc(id)}`,
  model: (id: string) => `m:${lc(id)}`,
  modelVersion: (modelId: string, versionId: string) => `mv:${lc(modelId)}:${lc(versionId)}`,
  version: (id: string) => `v:${lc(id)}`,
  versionHistory: (id: string, cp: string) => `vh:${lc(id)}:${cp}`,
  deployment: (id: string, hospital: number) => `vd:${lc(id)}:${org(hospital)}`,
  report: (id: string, cp: string) => `vr:${lc(id)}:${cp}`,
  alert: (id: string, cp: string) => `va:${lc(id)}:${cp}`,
  trainedOn: (datasetId: string, versionId: string) => `vt:${lc(datasetId)}:${lc(versionId)}`,
  policy: (risk: number) => `pol:${risk}`,
  /** A trace batch's id → the checkpoint of its record (bc:). */
  batch: (id: string) => `b:${lc(id)}`,
  /** A hospital's batches in chain order (the value is 0: the key holds the checkpoint). */
  batchByHospital: (hospital: number, cp: string) => `bh:${org(hospital)}:${cp}`,
  /** The batch record, in chain order. */
  batchByCheckpoint: (cp: string) => `bc:${cp}`,
  /**
   * The batches that reference a version, in chain order, with their hospital, the number of their
   * traces that used the version (`count`, from BatchAnchored.versionCounts) and the batch's size.
   */
  batchByVersion: (versionId: string, cp: string) => `bv:${lc(versionId)}:${cp}`,
  blockTime: (block: number) => `blk:${pad(block, 12)}`,
  authority: (contract: string) => `auth:${lc(contract)}`,
  journal: (block: number) => `j:${pad(block, 12)}`,
  blockHash: (block: number) => `h:${pad(block, 12)}`,
  manifestMember: (subject: string, datasetId: string) => `x:cm:${lc(subject)}:${lc(datasetId)}`,
  manifest: (datasetId: string) => `x:manifest:${lc(datasetId)}`,
};

/** The exclusive upper bound of a prefix scan. */
export const prefixEnd = (prefix: string) => prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
