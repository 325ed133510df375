/**
 * The hospital's trace vault: a LevelDB holding queued inputs, sealed records, and each anchored
 * batch's Merkle tree. All state changes are single atomic batches written with `sync: true`
 * (fsync), so a crash — a killed process or a power cut — leaves the vault either before or after
 * a step, never half-way, and an acknowledged append is on disk. One fsync a write, not a trace:
 * appends arrive in chunks and a batch is sealed and stored in one write each.
 *
 * Keys (fixed-width numbers so iteration order is numeric):
 *   meta:nextQueue → number        q:<queue id>  → TraceInput (queued, acknowledged)
 *   meta:nextSeq   → string        x:<ticket>    → QuarantinedTrace (ticket: a queue id, see below)
 *   id:<traceId>   → a number (queue id while queued, ticket once quarantined), or the sequence
 *                    number as a string once sealed (appends are idempotent by trace id)
 *   a:<seq>        → the record with its salt, ABI-encoded (the bytes its leaf hashes), written once when sealed
 *   sealed         → SealedBatch: the one batch sealed but not yet stored as anchored
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
import { TraceTree } from "./merkle";
import { MedprovError } from "../errors";

/** Layout version of the keys above; a vault written in another layout is refused, not misread. */
/**
 * 3: trees are position-bound (TraceAnchor 3.x) and stored without the sorted layout's index; a
 * layout-2 vault belongs to a TraceAnchor 2.x deployment and is refused (anchor its queue with the
 * release that wrote it).
 */
export const VAULT_FORMAT = 3;

export interface SealedBatch {
  firstSeq: string;
  count: number;
  /** The anchored root, keccak(abi.encode(count, treeRoot)). */
  root: string;
}

export interface StoredBatch extends SealedBatch {
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

export type VaultOp = { type: "put"; key: string; value: unknown; valueEncoding?: "buffer" } | { type: "del"; key: string };

export const queueKey = (id: number) => `q:${id.toString().padStart(16, "0")}`;
export const seqKey = (seq: bigint) => `a:${seq.toString().padStart(20, "0")}`;
export const batchKey = (firstSeq: bigint) => `b:${firstSeq.toString().padStart(20, "0")}`;
export const treeKey = (firstSeq: bigint) => `n:${firstSeq.toString().padStart(20, "0")}`;
export const quarantineKey = (ticket: number) => `x:${ticket.toString().padStart(16, "0")}`;

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
    const db = new Level<string, unknown>(path, { valueEncoding: "json", createIfMissing: !readOnly });
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
    } else if (format !== VAULT_FORMAT) {
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

  /** One atomic, synced step: when it resolves the ops are on disk, whatever happens next. */
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

  /** Queued inputs in append order, at most `limit`. */
  async queued(limit: number): Promise<{ key: string; input: TraceInput }[]> {
    const out: { key: string; input: TraceInput }[] = [];
    for await (const [key, value] of this.db.iterator({ gte: "q:", lt: "q;", limit })) out.push({ key, input: value as TraceInput });
    return out;
  }

  async countQueued(): Promise<number> {
    let n = 0;
    for await (const _ of this.db.keys({ gte: "q:", lt: "q;" })) n++;
    return n;
  }

  /** Sealed records [firstSeq, firstSeq + count), ABI-encoded, in sequence order. */
  async records(firstSeq: bigint, count: number): Promise<Buffer[]> {
    return (await this.recordRange(firstSeq, count).all()) as Buffer[];
  }

  private recordRange(firstSeq: bigint, count: number) {
    return this.db.values({ gte: seqKey(firstSeq), lt: seqKey(firstSeq + BigInt(count)), valueEncoding: "buffer" });
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
    const encoded = batch && ((await this.db.get(seqKey(seq), { valueEncoding: "buffer" })) as Buffer | undefined);
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
      for await (const encoded of this.recordRange(BigInt(batch.firstSeq), batch.count)) {
        yield this.withProof(batch, tree, recordFromEncoding(encoded as Buffer));
      }
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
