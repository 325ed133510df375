/**
 * The hospital's trace vault: a LevelDB holding queued inputs, sealed records, and each anchored
 * batch's Merkle tree. All state changes are single atomic batches written with `sync: true`
 * (fsync), so a crash — a killed process or a power cut — leaves the vault either before or after
 * a step, never half-way, and an acknowledged append is on disk. One fsync a write, not a trace:
 * appends arrive in chunks and a batch is sealed and stored in one write each. The vault owns this
 * layout and the batch lifecycle, each step one such write: enqueue, seal (with the traces it
 * quarantines), storeAnchored, reseal (unseal after a refusal); the batcher only decides when.
 *
 * Keys (fixed-width numbers so iteration order is numeric):
 *   meta:nextQueue → number        qr:<queue id> → a run of queued traces (acknowledged) with queue ids
 *                                                  <queue id>, <queue id> + 1, …: up to RECORDS_PER_ENTRY
 *                                                  vault slots back to back, each the trace's sealed record
 *                                                  but for its hospital, sequence number and salt (zero;
 *                                                  queue-slot.ts). Layout 5 kept q:<queue id> → TraceInput (JSON)
 *   meta:nextSeq   → string        x:<ticket>    → QuarantinedTrace (ticket: a queue id, see below)
 *   id:<traceId>   → a number (queue id while queued, ticket once quarantined), or the sequence
 *                    number as a string once sealed (appends are idempotent by trace id)
 *   a:<seq>        → a run of up to RECORDS_PER_ENTRY records from sequence <seq>, each with its salt,
 *                    ABI-encoded (the bytes its leaf hashes) back to back; written when sealed, never
 *                    across two batches (layout 3 wrote one record an entry: a run of one). A batch
 *                    with `slot` (layout 5) has each record in a slot of TRACE_SLOT_BYTES (either
 *                    record format, merkle.ts); one without holds format-1 records of TRACE_LEAF_BYTES
 *   s:<firstSeq>   → SealedBatch {firstSeq, count}: a batch sealed but not yet stored as anchored; several
 *                    may wait, in sequence order (the next is sealed while the oldest is being anchored)
 *   b:<firstSeq>   → StoredBatch: an anchored batch (its records are a:<firstSeq..+count>)
 *   n:<firstSeq>   → the batch's Merkle tree, binary (TraceTree.toBuffer); proofs are read from it
 *   meta:format    → VAULT_FORMAT
 * A record's proof is not stored per record: one tree per batch is a 64-byte-per-trace write
 * instead of a kilobyte of hex proof, and a receipt is cut from the tree when asked for.
 * A trace quarantined when it is sealed keeps its queue id as ticket; one taken out of a sealed
 * batch the chain refused gets a fresh queue id (meta:nextQueue), so x: keys never collide and list
 * in the order traces were quarantined. Layout 2 already had x:<queue id> → {input, reason}; the
 * named code, status and chain time are added fields, so older entries still read (without them).
 */
import { Level } from "level";
import { recordFromEncoding, type TraceInput, type TraceRecordJson } from "./record";
import { TRACE_LEAF_BYTES, TRACE_SLOT_BYTES, TraceTree } from "./merkle";
import { encodeQueuedSlot } from "./queue-slot";
import { MedprovError } from "../../core";

/**
 * Layout version of the keys above; a vault written in another layout is refused, not misread.
 * 6: the queue is kept in runs of encoded slots (qr:) instead of a JSON input a key (q:): an append
 * of 1,000 traces is one queue entry, a seal deletes (or shortens) a run, not each trace's key. Opening
 * a layout-3, 4 or 5 vault for a batcher moves its queue into runs and sets layout 6 in one synced
 * write ({@link migrateQueue}), so an older release, which would see an empty queue, refuses it;
 * read-only opens read every layout from 3 as it is (no read looks at the queue's entries).
 * 5: batches sealed from now on store records in slots (`slot` in s:/b:), so a batch may mix record
 * formats 1 and 2; batches sealed before keep their format-1 records as they are. Opening a layout-3
 * or 4 vault for a batcher sets layout 5 (after layout 3's one step), so an older release, which
 * would misread slots, refuses it; read-only opens read every layout from 3 as it is.
 * 4: sealed batches are a list (s:<firstSeq>), so one is sealed while another is anchored.
 * 3: trees are position-bound (TraceAnchor 3.x). A layout-3 vault differs only in holding at most
 * one sealed batch under `sealed`: opening it for a batcher moves that batch to s:<firstSeq> and
 * sets layout 4 in one synced write (now part of {@link migrateQueue}); read-only opens read it as it is (no
 * read looks at sealed batches). A layout-2 vault belongs to a TraceAnchor 2.x deployment and is
 * refused (anchor its queue with the release that wrote it).
 */
export const VAULT_FORMAT = 6;
const MIGRATABLE_FORMAT = 3;
/** Layouts 4 and 5 differ from 6 only in their queue (and 4 in never holding slots): opening one for a batcher moves the queue. */
const QUEUE_FORMATS: readonly unknown[] = [4, 5];

/**
 * A batch sealed but not yet stored as anchored. Its records (a:<seq>) determine its tree; batches
 * sealed by earlier releases also carry the root they hashed to, and are checked against it.
 */
export interface SealedBatch {
  firstSeq: string;
  count: number;
  root?: string;
  /** Bytes each record takes in the a: runs: TRACE_SLOT_BYTES (layout 5); absent: format-1 records of TRACE_LEAF_BYTES. */
  slot?: number;
}

/** Bytes a record of this batch takes in the vault's a: runs. */
export const strideOf = (b: Pick<SealedBatch, "slot">): number => b.slot ?? TRACE_LEAF_BYTES;

export interface StoredBatch extends SealedBatch {
  /** The anchored root, keccak(abi.encode(count, treeRoot)). */
  root: string;
  batchId: string;
  anchorTx: string;
  blockNumber: number;
}

export interface AnchoredTrace {
  record: TraceRecordJson;
  proof: string[];
  leaf: string;
  batchId: string;
  anchorTx: string;
  blockNumber: number;
}

/**
 * Why a trace was quarantined (named). VERSION_NOT_APPROVED: the version was not APPROVED when sealed or anchored. TRACE_TOO_OLD: older
 * than the chain accepts in a batch (MAX_TRACE_AGE). TIME_BEFORE_LAST_BATCH: stamped before the end
 * of the hospital's last anchored window (windows never run backwards).
 */
export type QuarantineCode = "VERSION_NOT_APPROVED" | "TRACE_TOO_OLD" | "TIME_BEFORE_LAST_BATCH";

export interface QuarantinedTrace {
  input: TraceInput;
  /** For people: what happened and why. */
  reason: string;
  /** Named reason (absent in entries written before it was recorded). */
  code?: QuarantineCode;
  /** The model version's status then, by name (SUSPENDED, RECALLED, …). */
  versionStatus?: string;
  /** Chain time (head block, Unix seconds) when the trace was quarantined, and the same in ISO 8601. */
  time?: number;
  iso?: string;
  /** "seal": found not APPROVED when sealing; "anchor": the chain refused the batch it was sealed in. */
  stage?: "seal" | "anchor";
  /** The sequence number the trace held in the refused batch (stage "anchor"); it was given to the next trace. */
  sealedSeq?: string;
}

/** Where a trace id stands in a vault. */
export type TraceState =
  | { state: "unknown" }
  | { state: "queued" }
  | { state: "quarantined"; quarantine: QuarantinedTrace }
  | { state: "sealed"; seq: string }
  | { state: "anchored"; anchored: AnchoredTrace };

/** A batch being sealed: its first sequence number, its records' trace ids in order, and the records in slots of TRACE_SLOT_BYTES back to back. */
export interface BatchToSeal {
  firstSeq: bigint;
  traceIds: string[];
  encoded: Buffer;
}

/** A trace taken out of line (stage "seal": under its queue id; stage "anchor": under a fresh ticket). */
export interface Quarantining {
  ticket: number;
  traceId: string;
  entry: QuarantinedTrace;
}

export type VaultOp = { type: "put"; key: string; value: unknown; valueEncoding?: "buffer" } | { type: "del"; key: string };

/** Layout 5's key of one queued input (JSON); layout 6 keeps none (see {@link queueRunKey}). */
export const queueKey = (id: number) => `q:${id.toString().padStart(16, "0")}`;
/** A run of queued slots whose first queue id is `id`. */
export const queueRunKey = (id: number) => `qr:${id.toString().padStart(16, "0")}`;
export const seqKey = (seq: bigint) => `a:${seq.toString().padStart(20, "0")}`;
export const batchKey = (firstSeq: bigint) => `b:${firstSeq.toString().padStart(20, "0")}`;
export const treeKey = (firstSeq: bigint) => `n:${firstSeq.toString().padStart(20, "0")}`;
export const quarantineKey = (ticket: number) => `x:${ticket.toString().padStart(16, "0")}`;
/** Records in one a: entry: one key a record made a 100,000-trace seal 100,000 puts. */
export const RECORDS_PER_ENTRY = 1024;
export const sealedKey = (firstSeq: bigint) => `s:${firstSeq.toString().padStart(20, "0")}`;

/**
 * The writes that seal a batch: its records in runs of {@link RECORDS_PER_ENTRY} (a seal of
 * 100,000 traces is 98 puts, not 100,000), each trace id's sequence number, and s:<firstSeq>.
 */
function sealOps({ firstSeq, traceIds, encoded }: BatchToSeal): VaultOp[] {
  const ops: VaultOp[] = [];
  const count = traceIds.length;
  for (let i = 0; i < count; i += RECORDS_PER_ENTRY) {
    ops.push({ type: "put", key: seqKey(firstSeq + BigInt(i)), value: encoded.subarray(TRACE_SLOT_BYTES * i, TRACE_SLOT_BYTES * Math.min(count, i + RECORDS_PER_ENTRY)), valueEncoding: "buffer" });
  }
  traceIds.forEach((id, i) => ops.push({ type: "put", key: `id:${id}`, value: (firstSeq + BigInt(i)).toString() }));
  const sealed: SealedBatch = { firstSeq: firstSeq.toString(), count, slot: TRACE_SLOT_BYTES };
  ops.push({ type: "put", key: sealedKey(firstSeq), value: sealed });
  return ops;
}

/**
 * LevelDB's tuning for a vault. Its contents are hashes, salts and ids, which Snappy cannot shrink:
 * compressing them only costs the background flushes CPU. A 64 MB memtable (LevelDB's default is 4 MB,
 * as the indexer's store does) takes a 10,000-trace seal's 5 MB, or a 100,000-trace batch's queue,
 * without a flush to wait for before the next write (the log it replays after a crash grows as much).
 */
const LEVEL_OPTIONS = { compression: false, writeBufferSize: 64 * 2 ** 20 };

/** A queued trace read from a run: its queue id and its slot (a view into the run). */
export interface QueuedSlot {
  queueId: number;
  slot: Buffer;
}

/**
 * The puts that queue `entries` (queue ids ascending): runs of consecutive queue ids, at most
 * {@link RECORDS_PER_ENTRY} a run, each one buffer of slots.
 */
function queueRunOps(entries: { queueId: number; input: TraceInput }[]): VaultOp[] {
  const ops: VaultOp[] = [];
  for (let start = 0; start < entries.length; ) {
    let end = start + 1;
    while (end < entries.length && end - start < RECORDS_PER_ENTRY && entries[end].queueId === entries[end - 1].queueId + 1) end++;
    const run = Buffer.allocUnsafe(TRACE_SLOT_BYTES * (end - start));
    for (let i = start; i < end; i++) encodeQueuedSlot(entries[i].input, run, TRACE_SLOT_BYTES * (i - start));
    ops.push({ type: "put", key: queueRunKey(entries[start].queueId), value: run, valueEncoding: "buffer" });
    start = end;
  }
  return ops;
}

/**
 * The steps from layouts 3, 4 and 5 to 6, in one synced write: layout 3's sealed batch (if any)
 * moves to its place in the list (s:<firstSeq>), and every queued input (q:, JSON) into runs of slots.
 */
async function migrateQueue(db: Level<string, unknown>, format: unknown): Promise<void> {
  const batch = db.batch();
  if (format === MIGRATABLE_FORMAT) {
    const sealed = (await db.get("sealed")) as SealedBatch | undefined;
    if (sealed) batch.put(sealedKey(BigInt(sealed.firstSeq)), sealed).del("sealed");
  }
  const queued: { queueId: number; input: TraceInput }[] = [];
  for await (const [key, input] of db.iterator({ gte: "q:", lt: "q;" })) {
    batch.del(key);
    queued.push({ queueId: Number(key.slice(2)), input: input as TraceInput });
  }
  for (const op of queueRunOps(queued)) if (op.type === "put") batch.put(op.key, op.value, { valueEncoding: "buffer" });
  await batch.put("meta:format", VAULT_FORMAT).write({ sync: true });
}

export class TraceVault {
  /** The last tree read: receipts are usually cut batch by batch. */
  private lastTree: { firstSeq: string; tree: TraceTree } | undefined;

  private constructor(
    private readonly db: Level<string, unknown>,
    /** Opened with {@link TraceVault.openReadOnly}: every write is refused. */
    readonly readOnly = false,
  ) {}

  /** Opens (creating when missing) a vault for a batcher. */
  static async open(path: string): Promise<TraceVault> {
    return TraceVault.openAt(path, false);
  }

  /**
   * Opens an existing vault only to read it (receipts, listings): creates nothing, writes nothing,
   * and talks to no chain. A vault a batcher process holds open is refused with VAULT_LOCKED.
   */
  static async openReadOnly(path: string): Promise<TraceVault> {
    return TraceVault.openAt(path, true);
  }

  private static async openAt(path: string, readOnly: boolean): Promise<TraceVault> {
    const db = new Level<string, unknown>(path, { valueEncoding: "json", createIfMissing: !readOnly, ...LEVEL_OPTIONS });
    try {
      await db.open();
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      if (cause?.code === "LEVEL_LOCKED") throw new MedprovError("VAULT_LOCKED", `${path} is in use by another process (a batcher has the vault open); stop it or ask it`, true);
      if (readOnly) throw new MedprovError("VAULT_NOT_FOUND", `${path} is not a trace vault (cannot open it: ${(e as Error).message})`);
      throw e;
    }
    const format = await db.get("meta:format");
    if (format === undefined) {
      const [anyKey] = await db.keys({ limit: 1 }).all();
      if (anyKey !== undefined || readOnly) {
        await db.close();
        if (anyKey === undefined) throw new MedprovError("VAULT_NOT_FOUND", `${path} is not a trace vault (it is empty)`);
        throw new MedprovError("VAULT_FORMAT", `${path} is a trace vault of an earlier layout (no meta:format); anchor its queue with the release that wrote it, or start a new vault`);
      }
      await db.put("meta:format", VAULT_FORMAT, { sync: true });
    } else if ((format === MIGRATABLE_FORMAT || QUEUE_FORMATS.includes(format)) && !readOnly) {
      await migrateQueue(db, format);
    } else if (format !== VAULT_FORMAT && format !== MIGRATABLE_FORMAT && !QUEUE_FORMATS.includes(format)) {
      await db.close();
      throw new MedprovError("VAULT_FORMAT", `${path} is a trace vault of layout ${format}; this release reads layout ${VAULT_FORMAT}`);
    }
    return new TraceVault(db, readOnly);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.db.get(key)) as T | undefined;
  }

  async getMany(keys: string[]): Promise<unknown[]> {
    return keys.length === 0 ? [] : this.db.getMany(keys);
  }

  /** One atomic, synced step: when it resolves the ops are on disk, whatever happens next. The lifecycle steps below are each one. */
  async write(ops: VaultOp[]): Promise<void> {
    if (this.readOnly) throw new MedprovError("VAULT_READ_ONLY", "this vault was opened read-only");
    // A chained batch takes `sync` once for the write: given to batch(ops, options), abstract-level
    // copies the options into every operation, which made a 100,000-trace seal several times slower.
    const batch = this.db.batch();
    for (const op of ops) {
      if (op.type === "del") batch.del(op.key);
      else if (op.valueEncoding) batch.put(op.key, op.value, { valueEncoding: op.valueEncoding });
      else batch.put(op.key, op.value);
    }
    await batch.write({ sync: true });
  }

  /** Batches sealed and not yet stored as anchored, in sequence order. */
  async sealedBatches(): Promise<SealedBatch[]> {
    return (await this.db.values({ gte: "s:", lt: "s;" }).all()) as SealedBatch[];
  }

  /** Queued traces in append order, at most `limit`, with their queue ids: their slots, views into the runs read (queue-slot.ts). */
  async queued(limit: number): Promise<QueuedSlot[]> {
    const out: QueuedSlot[] = [];
    for await (const [key, value] of this.db.iterator({ gte: "qr:", lt: "qr;", valueEncoding: "buffer" })) {
      const run = value as Buffer;
      const first = Number(key.slice(3));
      for (let i = 0; i < run.length / TRACE_SLOT_BYTES && out.length < limit; i++) out.push({ queueId: first + i, slot: run.subarray(TRACE_SLOT_BYTES * i, TRACE_SLOT_BYTES * (i + 1)) });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The next queue id to hand out, and the next sequence number to seal (undefined before the first seal). */
  async counters(): Promise<{ nextQueue: number; nextSeq?: bigint }> {
    const [nextQueue, nextSeq] = (await this.db.getMany(["meta:nextQueue", "meta:nextSeq"])) as [number | undefined, string | undefined];
    return { nextQueue: nextQueue ?? 0, ...(nextSeq !== undefined ? { nextSeq: BigInt(nextSeq) } : {}) };
  }

  /** For each trace id, whether the vault holds it in any state (queued, quarantined, sealed or anchored). */
  async known(traceIds: string[]): Promise<boolean[]> {
    return (await this.getMany(traceIds.map((id) => `id:${id}`))).map((v) => v !== undefined);
  }

  // The batch lifecycle, each step one synced atomic write. The batcher decides when; these decide which keys.

  /** Append: queues validated inputs under their queue ids, ascending (acknowledged once this resolves). */
  async enqueue(entries: { queueId: number; input: TraceInput }[], nextQueue: number): Promise<void> {
    const ops = queueRunOps(entries);
    for (const { queueId, input } of entries) ops.push({ type: "put", key: `id:${input.traceId}`, value: queueId });
    ops.push({ type: "put", key: "meta:nextQueue", value: nextQueue });
    await this.write(ops);
  }

  /**
   * The writes that take every queued trace up to queue id `through` out of the queue: runs wholly
   * taken are deleted, and a run taken in part is put again from `through` + 1.
   */
  private async dequeueOps(through: number): Promise<VaultOp[]> {
    const keys = await this.db.keys({ gte: "qr:", lte: queueRunKey(through) }).all();
    const ops: VaultOp[] = keys.map((key) => ({ type: "del", key }));
    const last = keys.at(-1);
    if (last === undefined) return ops;
    // Runs before the last end before the next begins, so only the last may hold traces after `through`.
    const run = (await this.db.get(last, { valueEncoding: "buffer" })) as Buffer;
    const kept = Number(last.slice(3)) + run.length / TRACE_SLOT_BYTES - (through + 1);
    if (kept > 0) ops.push({ type: "put", key: queueRunKey(through + 1), value: run.subarray(run.length - TRACE_SLOT_BYTES * kept), valueEncoding: "buffer" });
    return ops;
  }

  /**
   * Seal: takes the queued traces up to queue id `through` (the oldest, as {@link queued} gave them)
   * out of the queue; those `quarantined` (each under its queue id) are put aside, the rest stored
   * as `batch` (records, their sequence numbers, s:<firstSeq>).
   */
  async seal(step: { through: number | undefined; quarantined: Quarantining[]; batch?: BatchToSeal; nextSeq: bigint }): Promise<void> {
    const ops: VaultOp[] = step.through === undefined ? [] : await this.dequeueOps(step.through);
    for (const q of step.quarantined) ops.push({ type: "put", key: quarantineKey(q.ticket), value: q.entry });
    // concat, not push(...): a 100,000-trace batch is 100,000 ops, past the call stack's argument limit.
    await this.write(ops.concat(step.batch ? sealOps(step.batch) : [], [{ type: "put", key: "meta:nextSeq", value: step.nextSeq.toString() }]));
  }

  /** Finish: the sealed batch is stored as anchored, with its tree (receipts are cut from it). */
  async storeAnchored(batch: StoredBatch, tree: TraceTree): Promise<void> {
    const firstSeq = BigInt(batch.firstSeq);
    await this.write([
      { type: "put", key: batchKey(firstSeq), value: batch },
      { type: "put", key: treeKey(firstSeq), value: tree.toBuffer(), valueEncoding: "buffer" },
      { type: "del", key: sealedKey(firstSeq) },
    ]);
  }

  /**
   * Unseal: every sealed batch from `from` on is replaced by `batches` (the same traces less those
   * `quarantined`, each of these under a fresh ticket, numbered again from `from`).
   */
  async reseal(step: { from: bigint; quarantined: Quarantining[]; batches: BatchToSeal[]; nextQueue: number; nextSeq: bigint }): Promise<void> {
    const ops: VaultOp[] = [];
    for (const sealed of await this.sealedBatches()) {
      const start = BigInt(sealed.firstSeq);
      if (start < step.from) continue;
      ops.push({ type: "del", key: sealedKey(start) });
      for (const key of await this.db.keys({ gte: seqKey(start), lt: seqKey(start + BigInt(sealed.count)) }).all()) ops.push({ type: "del", key });
    }
    // Deletions first: a re-numbered record or batch may land on a key deleted above.
    for (const q of step.quarantined) ops.push({ type: "put", key: quarantineKey(q.ticket), value: q.entry }, { type: "put", key: `id:${q.traceId}`, value: q.ticket });
    for (const batch of step.batches) for (const op of sealOps(batch)) ops.push(op); // no push(...): batches of 100,000 overflow the stack
    ops.push({ type: "put", key: "meta:nextQueue", value: step.nextQueue }, { type: "put", key: "meta:nextSeq", value: step.nextSeq.toString() });
    await this.write(ops);
  }

  /** Traces queued (in runs; a vault of layout 5 or older opened read-only: one a q: key). */
  async countQueued(): Promise<number> {
    let n = 0;
    for await (const _ of this.db.keys({ gte: "q:", lt: "q;" })) n++;
    for await (const run of this.db.values({ gte: "qr:", lt: "qr;", valueEncoding: "buffer" })) n += (run as Buffer).length / TRACE_SLOT_BYTES;
    return n;
  }

  /**
   * Sealed records [firstSeq, firstSeq + count), ABI-encoded, in sequence order (views into the runs
   * read), `stride` bytes each: the batch's {@link strideOf} (a slot, or a format-1 record).
   */
  async records(firstSeq: bigint, count: number, stride: number): Promise<Buffer[]> {
    const end = firstSeq + BigInt(count);
    // The run holding firstSeq may begin before it; runs never straddle a batch, so it is the last key at or before it.
    const [from = seqKey(firstSeq)] = await this.db.keys({ gte: "a:", lte: seqKey(firstSeq), reverse: true, limit: 1 }).all();
    const out: Buffer[] = [];
    for await (const [key, value] of this.db.iterator({ gte: from, lt: seqKey(end), valueEncoding: "buffer" })) {
      const run = value as Buffer;
      const first = BigInt(key.slice(2));
      for (let i = 0; i < run.length / stride; i++) {
        const seq = first + BigInt(i);
        if (seq >= firstSeq && seq < end) out.push(run.subarray(stride * i, stride * (i + 1)));
      }
    }
    return out;
  }

  async tree(firstSeq: string): Promise<TraceTree> {
    if (this.lastTree?.firstSeq !== firstSeq) {
      const buf = (await this.db.get(treeKey(BigInt(firstSeq)), { valueEncoding: "buffer" })) as Buffer | undefined;
      if (!buf) throw new Error(`vault has no tree for the batch at ${firstSeq}`);
      this.lastTree = { firstSeq, tree: TraceTree.fromBuffer(buf) };
    }
    return this.lastTree.tree;
  }

  /** The anchored batch holding `seq`, if that batch is stored. */
  async batchOf(seq: bigint): Promise<StoredBatch | undefined> {
    const [hit] = (await this.db.values({ lte: batchKey(seq), gte: "b:", reverse: true, limit: 1 }).all()) as StoredBatch[];
    return hit && BigInt(hit.firstSeq) + BigInt(hit.count) > seq ? hit : undefined;
  }

  /** A stored record with its proof, cut from its batch's tree. */
  async anchoredAt(seq: bigint): Promise<AnchoredTrace | undefined> {
    const batch = await this.batchOf(seq);
    const [encoded] = batch ? await this.records(seq, 1, strideOf(batch)) : [];
    if (!batch || !encoded) return undefined;
    return this.withProof(batch, await this.tree(batch.firstSeq), recordFromEncoding(encoded));
  }

  private withProof(batch: StoredBatch, tree: TraceTree, record: TraceRecordJson): AnchoredTrace {
    const i = Number(BigInt(record.seq) - BigInt(batch.firstSeq));
    return { record, proof: tree.getProof(i), leaf: tree.leafHash(i), batchId: batch.batchId, anchorTx: batch.anchorTx, blockNumber: batch.blockNumber };
  }

  /** Anchored traces in sequence order, each with its proof. */
  async *anchored(): AsyncGenerator<AnchoredTrace> {
    for await (const value of this.db.values({ gte: "b:", lt: "b;" })) {
      const batch = value as StoredBatch;
      const tree = await this.tree(batch.firstSeq);
      for (const encoded of await this.records(BigInt(batch.firstSeq), batch.count, strideOf(batch))) yield this.withProof(batch, tree, recordFromEncoding(encoded));
    }
  }

  /** Quarantined traces, in the order they were quarantined. */
  async *quarantined(): AsyncGenerator<QuarantinedTrace> {
    for await (const value of this.db.values({ gte: "x:", lt: "x;" })) yield value as QuarantinedTrace;
  }

  /** Where a trace stands: unknown, queued, quarantined (with why), sealed, or anchored (with its proof). */
  async state(traceId: string): Promise<TraceState> {
    // id: holds a number (queue id, or quarantine ticket) until the trace is sealed, then its sequence number (a string).
    const at = await this.get<number | string>(`id:${traceId.toLowerCase()}`);
    if (at === undefined) return { state: "unknown" };
    if (typeof at === "string") {
      const anchored = await this.anchoredAt(BigInt(at));
      return anchored ? { state: "anchored", anchored } : { state: "sealed", seq: at };
    }
    const quarantine = await this.get<QuarantinedTrace>(quarantineKey(at));
    return quarantine ? { state: "quarantined", quarantine } : { state: "queued" };
  }

  /** The stored anchored trace for a trace id, or undefined. */
  async find(traceId: string): Promise<AnchoredTrace | undefined> {
    const s = await this.state(traceId);
    return s.state === "anchored" ? s.anchored : undefined;
  }
}
