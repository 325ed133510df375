/**
 * The hospital's trace vault: a LevelDB holding queued inputs, sealed records, and each anchored
 * batch's Merkle tree. All state changes are single atomic batches, so a crash leaves the vault
 * either before or after a step, never half-way.
 *
 * Keys (fixed-width numbers so iteration order is numeric):
 *   meta:nextQueue → number        q:<queue id>  → TraceInput (queued, acknowledged)
 *   meta:nextSeq   → string        x:<queue id>  → QuarantinedTrace
 *   id:<traceId>   → queue id while queued, then the sequence number (appends are idempotent)
 *   a:<seq>        → the record with its salt, ABI-encoded (the bytes its leaf hashes), written once when sealed
 *   sealed         → SealedBatch: the one batch sealed but not yet stored as anchored
 *   b:<firstSeq>   → StoredBatch: an anchored batch (its records are a:<firstSeq..+count>)
 *   n:<firstSeq>   → the batch's Merkle tree, binary (TraceTree.toBuffer); proofs are read from it
 *   meta:format    → VAULT_FORMAT
 * A record's proof is not stored per record: one tree per batch is a 64-byte-per-trace write
 * instead of a kilobyte of hex proof, and a receipt is cut from the tree when asked for.
 */
import { Level } from "level";
import { recordFromEncoding, type TraceInput, type TraceRecordJson } from "./record";
import { TraceTree } from "./merkle";
import { MedprovError } from "../errors";

/** Layout version of the keys above; a vault written in another layout is refused, not misread. */
export const VAULT_FORMAT = 2;

export interface SealedBatch {
  firstSeq: string;
  count: number;
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

export interface QuarantinedTrace {
  input: TraceInput;
  reason: string;
}

export type VaultOp = { type: "put"; key: string; value: unknown; valueEncoding?: "buffer" } | { type: "del"; key: string };

export const queueKey = (id: number) => `q:${id.toString().padStart(16, "0")}`;
export const seqKey = (seq: bigint) => `a:${seq.toString().padStart(20, "0")}`;
export const batchKey = (firstSeq: bigint) => `b:${firstSeq.toString().padStart(20, "0")}`;
export const treeKey = (firstSeq: bigint) => `n:${firstSeq.toString().padStart(20, "0")}`;

export class TraceVault {
  /** The last tree read: receipts are usually cut batch by batch. */
  private lastTree: { firstSeq: string; tree: TraceTree } | undefined;

  private constructor(private readonly db: Level<string, unknown>) {}

  static async open(path: string): Promise<TraceVault> {
    const db = new Level<string, unknown>(path, { valueEncoding: "json" });
    await db.open();
    const format = await db.get("meta:format");
    if (format === undefined) {
      const [anyKey] = await db.keys({ limit: 1 }).all();
      if (anyKey !== undefined) {
        await db.close();
        throw new MedprovError("VAULT_FORMAT", `${path} is a trace vault of an earlier layout (no meta:format); anchor its queue with the release that wrote it, or start a new vault`);
      }
      await db.put("meta:format", VAULT_FORMAT);
    } else if (format !== VAULT_FORMAT) {
      await db.close();
      throw new MedprovError("VAULT_FORMAT", `${path} is a trace vault of layout ${format}; this release reads layout ${VAULT_FORMAT}`);
    }
    return new TraceVault(db);
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

  async write(ops: VaultOp[]): Promise<void> {
    await this.db.batch(ops as never);
  }

  /** Queued inputs in append order, at most `limit`. */
  async queued(limit: number): Promise<{ key: string; input: TraceInput }[]> {
    const out: { key: string; input: TraceInput }[] = [];
    for await (const [key, value] of this.db.iterator({ gte: "q:", lt: "q;", limit })) out.push({ key, input: value as TraceInput });
    return out;
  }

  async countQueued(): Promise<number> {
    let n = 0;
    for await (const _ of this.db.keys({ gte: "q:", lt: "q;" })) n++; // eslint-disable-line @typescript-eslint/no-unused-vars
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

  async *quarantined(): AsyncGenerator<QuarantinedTrace> {
    for await (const value of this.db.values({ gte: "x:", lt: "x;" })) yield value as QuarantinedTrace;
  }
}
