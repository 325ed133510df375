/**
 * Key layout of the index. Fixed-width numbers make lexicographic order numeric, so "the state
 * at or before checkpoint X" is one reverse iterator step. A checkpoint is block (12 digits) +
 * log index (6 digits): the position of an event in the chain.
 */
/**
 * The version of this key layout. Raise it whenever keys or values change meaning, so that an
 * index built by an older medprov is refused (INDEX_LAYOUT) instead of misread. 2: trace batch
 * records keyed by checkpoint (bc:), with b:, bh: and bv: pointing there. 3: consent rows and
 * history carry the signing time (signedAt) instead of a nonce, CANCELLED history rows, member
 * status as of (msb:, mst:). 4: version rows carry the registration's filing evidence and the
 * approval's indications (issue 18). 5: incidents, their findings and determinations, the incident
 * category and indication catalogues, the liability weighting and filing evidence per version (inc:,
 * inch:, incv:, incd:, icat:, iw:, ind:, vf:).
 */
export const INDEX_LAYOUT = 5;

export const pad = (n: number | bigint | string, width: number) => n.toString().padStart(width, "0");
/** The largest log index a checkpoint holds (6 digits); the range check refuses any larger one. */
export const LOG_INDEX_MAX = 999_999;
export function checkpoint(block: number, logIndex: number): string {
  // A wider log index would break the keys' order (7 digits sort before 6): refuse it, never write it.
  if (!(logIndex >= 0 && logIndex <= LOG_INDEX_MAX)) throw new RangeError(`log index ${logIndex} does not fit a checkpoint (0..${LOG_INDEX_MAX})`);
  return `${pad(block, 12)}${pad(logIndex, 6)}`;
}
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
  "inc:", "inch:", "incv:", "incd:", "icat:", "iw:", "ind:", "vf:",
] as const;

// Not state, so outside the digest: cursor (meta:), undo journal (j:), recent block hashes (h:),
// custodian-supplied cohort manifests (x:).

/** Sync bookkeeping that no query reads: writing only these changes no answer (see IndexStore.write). */
export const BOOKKEEPING_PREFIXES = ["meta:", "j:", "h:"] as const;

/**
 * The prefixes the queries scan: a thing's rows under its owner (`P.consents(subject)`) or a whole
 * namespace (`P.datasets`). {@link K}'s builders are these prefixes plus a row's own part.
 */
export const P = {
  members: "org:",
  memberHistory: (id: number) => `orgh:${org(id)}:`,
  /** Every member's history (keys `orgh:<org>:<checkpoint>`). */
  allMemberHistory: "orgh:",
  keyHistory: (address: string) => `keyh:${lc(address)}:`,
  purposes: "purpose:",
  consents: (s: string) => `c:${lc(s)}:`,
  consentHistory: (s: string) => `ch:${lc(s)}:`,
  delegates: (s: string) => `dg:${lc(s)}:`,
  datasets: "ds:",
  datasetChildren: (id: string) => `dsc:${lc(id)}:`,
  datasetUses: (id: string) => `dsu:${lc(id)}:`,
  datasetHistory: (id: string) => `dsh:${lc(id)}:`,
  datasetsOf: (custodian: number) => `dso:${org(custodian)}:`,
  models: "m:",
  modelVersions: (modelId: string) => `mv:${lc(modelId)}:`,
  versions: "v:",
  versionHistory: (id: string) => `vh:${lc(id)}:`,
  /** Every version's history (keys `vh:<version>:<checkpoint>`). */
  allVersionHistory: "vh:",
  deployments: (id: string) => `vd:${lc(id)}:`,
  reports: (id: string) => `vr:${lc(id)}:`,
  alerts: (id: string) => `va:${lc(id)}:`,
  /** Every version's alerts (keys `va:<version>:<checkpoint>`). */
  allAlerts: "va:",
  trainedOn: (datasetId: string) => `vt:${lc(datasetId)}:`,
  policies: "pol:",
  batches: "bc:",
  batchesOfHospital: (hospital: number) => `bh:${org(hospital)}:`,
  batchesOfVersion: (versionId: string) => `bv:${lc(versionId)}:`,
  blockTimes: "blk:",
  incidents: "inc:",
  incidentsOfHospital: (hospital: number) => `inch:${org(hospital)}:`,
  incidentsOfVersion: (versionId: string) => `incv:${lc(versionId)}:`,
  incidentCategories: "icat:",
  weightings: "iw:",
  indications: "ind:",
  filingEvidence: (versionId: string) => `vf:${lc(versionId)}:`,
  journals: "j:",
  blockHashes: "h:",
  /** The datasets whose cohort manifest includes a subject (keys `x:cm:<subject>:<dataset>`). */
  manifestsOf: (subject: string) => `x:cm:${lc(subject)}:`,
  manifests: "x:manifest:",
};

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
    ? { base: prefixes.block, upTo: `${prefixes.block}${checkpoint(at.block, LOG_INDEX_MAX)}` }
    : { base: prefixes.time, upTo: `${prefixes.time}${pad(at.time, 12)}${CHECKPOINT_MAX}` };
}

export const K = {
  /** The as-of namespaces' prefixes, for {@link asOfRange}. */
  asOf: ASOF,
  cursor: "meta:cursor",
  layout: "meta:layout",
  /** The ledger generations this index follows (src/indexer/generations.ts): bookkeeping, outside the digest. */
  generations: "meta:generations",
  org: (id: number) => `${P.members}${org(id)}`,
  orgHistory: (id: number, cp: string) => `${P.memberHistory(id)}${cp}`,
  /** A member's status from a checkpoint on (admission: ACTIVE), by block and by time, for as-of questions. */
  memberStatusAtBlock: (id: number, cp: string) => `${ASOF.memberStatus(id).block}${cp}`,
  memberStatusAtTime: (id: number, time: number, cp: string) => `${ASOF.memberStatus(id).time}${pad(time, 12)}${cp}`,
  key: (address: string) => `key:${lc(address)}`,
  keyHistory: (address: string, cp: string) => `${P.keyHistory(address)}${cp}`,
  purpose: (id: number) => `${P.purposes}${pad(id, 3)}`,
  consent: (s: string, p: number, g: number) => `${P.consents(s)}${pad(p, 3)}:${org(g)}`,
  consentHistory: (s: string, cp: string) => `${P.consentHistory(s)}${cp}`,
  consentAtBlock: (s: string, p: number, g: number, cp: string) => `${ASOF.consent(s, p, g).block}${cp}`,
  consentAtTime: (s: string, p: number, g: number, time: number, cp: string) => `${ASOF.consent(s, p, g).time}${pad(time, 12)}${cp}`,
  delegate: (s: string, d: string) => `${P.delegates(s)}${lc(d)}`,
  dataset: (id: string) => `${P.datasets}${lc(id)}`,
  datasetChild: (parent: string, child: string) => `${P.datasetChildren(parent)}${lc(child)}`,
  datasetUse: (id: string, cp: string) => `${P.datasetUses(id)}${cp}`,
  datasetHistory: (id: string, cp: string) => `${P.datasetHistory(id)}${cp}`,
  datasetByCustodian: (custodian: number, id: string) => `${P.datasetsOf(custodian)}${lc(id)}`,
  model: (id: string) => `${P.models}${lc(id)}`,
  modelVersion: (modelId: string, versionId: string) => `${P.modelVersions(modelId)}${lc(versionId)}`,
  version: (id: string) => `${P.versions}${lc(id)}`,
  versionHistory: (id: string, cp: string) => `${P.versionHistory(id)}${cp}`,
  deployment: (id: string, hospital: number) => `${P.deployments(id)}${org(hospital)}`,
  report: (id: string, cp: string) => `${P.reports(id)}${cp}`,
  alert: (id: string, cp: string) => `${P.alerts(id)}${cp}`,
  trainedOn: (datasetId: string, versionId: string) => `${P.trainedOn(datasetId)}${lc(versionId)}`,
  policy: (risk: number) => `${P.policies}${risk}`,
  /** A trace batch's id → the checkpoint of its record (bc:). */
  batch: (id: string) => `b:${lc(id)}`,
  /** A hospital's batches in chain order (the value is 0: the key holds the checkpoint). */
  batchByHospital: (hospital: number, cp: string) => `${P.batchesOfHospital(hospital)}${cp}`,
  /** The batch record, in chain order. */
  batchByCheckpoint: (cp: string) => `${P.batches}${cp}`,
  /**
   * The batches that reference a version, in chain order, with their hospital, the number of their
   * traces that used the version (`count`, from BatchAnchored.versionCounts) and the batch's size.
   */
  batchByVersion: (versionId: string, cp: string) => `${P.batchesOfVersion(versionId)}${cp}`,
  /** An incident by id (ids are fixed-width, so the namespace lists in reporting order). */
  incident: (id: number) => `${P.incidents}${org(id)}`,
  /** A hospital's / a version's incidents (the value is true: the key holds the id). */
  incidentByHospital: (hospital: number, id: number) => `${P.incidentsOfHospital(hospital)}${org(id)}`,
  incidentByVersion: (versionId: string, id: number) => `${P.incidentsOfVersion(versionId)}${org(id)}`,
  determination: (id: number) => `incd:${org(id)}`,
  incidentCategory: (id: number) => `${P.incidentCategories}${pad(id, 3)}`,
  weighting: (liabilityCase: number) => `${P.weightings}${pad(liabilityCase, 3)}`,
  indication: (id: number) => `${P.indications}${pad(id, 3)}`,
  /** Filing evidence on file for a version from a checkpoint on. */
  filingEvidence: (versionId: string, cp: string) => `${P.filingEvidence(versionId)}${cp}`,
  blockTime: (block: number) => `${P.blockTimes}${pad(block, 12)}`,
  authority: (contract: string) => `auth:${lc(contract)}`,
  journal: (block: number) => `${P.journals}${pad(block, 12)}`,
  blockHash: (block: number) => `${P.blockHashes}${pad(block, 12)}`,
  manifestMember: (subject: string, datasetId: string) => `${P.manifestsOf(subject)}${lc(datasetId)}`,
  manifest: (datasetId: string) => `${P.manifests}${lc(datasetId)}`,
};

/** The exclusive upper bound of a prefix scan. */
export const prefixEnd = (prefix: string) => prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
