/**
 * The hospital's trace vault: a LevelDB holding queued inputs, the batch being anchored, and every
 * anchored record with its proof. All state changes are single atomic batches, so a crash leaves
 * the vault either before or after a step, never half-way.
 *
 * Keys (fixed-width numbers so iteration order is numeric):
 *   meta:nextQueue → number      q:<queue id>  → TraceInput
 *   meta:nextSeq   → string      sealed        → SealedBatch (at most one)
 *   a:<seq>        → AnchoredTrace               t:<traceId> → seq
 *   x:<queue id>   → QuarantinedTrace            id:<traceId> → queue id (appends are idempotent)
 */
import { Level } from "level";
import type { TraceInput, TraceRecordJson } from "./record";

export interface SealedBatch {
  firstSeq: string;
  root: string;
  records: TraceRecordJson[];
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

type Op = { type: "put"; key: string; value: unknown } | { type: "del"; key: string };

export const queueKey = (id: number) => `q:${id.toString().padStart(16, "0")}`;
export const seqKey = (seq: bigint) => `a:${seq.toString().padStart(20, "0")}`;

export class TraceVault {
  private constructor(private readonly db: Level<string, unknown>) {}

  static async open(path: string): Promise<TraceVault> {
    const db = new Level<string, unknown>(path, { valueEncoding: "json" });
    await db.open();
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

  async write(ops: Op[]): Promise<void> {
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

  /** Anchored traces in sequence order. */
  async *anchored(): AsyncGenerator<AnchoredTrace> {
    for await (const value of this.db.values({ gte: "a:", lt: "a;" })) yield value as AnchoredTrace;
  }

  async *quarantined(): AsyncGenerator<QuarantinedTrace> {
    for await (const value of this.db.values({ gte: "x:", lt: "x;" })) yield value as QuarantinedTrace;
  }
}
