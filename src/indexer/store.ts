/**
 * The index's LevelDB. All writes of a block range go through one BlockWriter and land in one
 * atomic batch together with the cursor and an undo journal (the previous value of every key a
 * block touched), so a crash leaves the index at a range boundary and a reorg is undone exactly.
 */
import { Level } from "level";
import { createHash } from "node:crypto";
import { MedprovError } from "../core";
import { BOOKKEEPING_PREFIXES, INDEX_LAYOUT, K, P, STATE_PREFIXES, prefixEnd } from "./keys";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Op = { type: "put"; key: string; value: Json } | { type: "del"; key: string };
/** LevelDB's chained batch (`db.batch()`): each put is copied into the native batch at once, not held as an object. */
export type Batch = ReturnType<Level<string, Json>["batch"]>;
/** A key a block changed and its value before (none: the key did not exist). A type, not an interface, so it is Json. */
type JournalEntry = { key: string; prev?: Json };

/** A range within a prefix: from `gte`, up to `lte` (else the prefix's end), optionally reversed and limited. */
export interface ScanOptions {
  reverse?: boolean;
  limit?: number;
  gte?: string;
  lte?: string;
}

export type Cursor = {
  block: number;
  hash: string;
};

/** LevelDB's memtable size (its default is 4 MB); see IndexStore.open. */
const WRITE_BUFFER_BYTES = 64 * 2 ** 20;

/** Memoised query results kept at most; past this the memo starts over (reads stay correct, just cold). */
const MEMO_LIMIT = 20_000;

export class IndexStore {
  /** Query results, valid until the next write: the index changes only when a batch is written. */
  private readonly memos = new Map<string, Promise<unknown>>();

  private constructor(readonly db: Level<string, Json>) {}

  static async open(path: string): Promise<IndexStore> {
    // A backfill writes tens of thousands of keys a range. LevelDB's default 4 MB memtable turns
    // that into a new level-0 file every few ranges and a compaction soon after, on cores the
    // indexer and its node need. 64 MB (RocksDB's default) flushes a sixteenth as often; it is a
    // fixed ceiling on memory, not growth with the chain.
    const db = new Level<string, Json>(path, { valueEncoding: "json", writeBufferSize: WRITE_BUFFER_BYTES });
    try {
      await db.open();
    } catch (e) {
      // LevelDB allows one process per database: say which, rather than "Database failed to open".
      const cause = (e as { cause?: { code?: string } }).cause;
      if (cause?.code === "LEVEL_LOCKED") throw new MedprovError("INDEX_LOCKED", `${path} is in use by another process (an indexer or API already runs on it)`, true);
      throw e;
    }
    // An index written under another key layout would answer wrongly, not fail: refuse it.
    const [layout, cursor] = await db.getMany([K.layout, K.cursor]);
    if (layout === undefined && cursor === undefined) await db.put(K.layout, INDEX_LAYOUT);
    else if (layout !== INDEX_LAYOUT) {
      await db.close();
      throw new MedprovError("INDEX_LAYOUT", `${path} was built by another version of medprov (key layout ${layout ?? 1}, this one uses ${INDEX_LAYOUT}); rebuild it with \`medprov index --rebuild\``, false);
    }
    return new IndexStore(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async get<T extends Json>(key: string): Promise<T | undefined> {
    return (await this.db.get(key)) as T | undefined;
  }

  /**
   * Answers `read` once per state of the index: the same `key` returns the same result until the
   * next write. Results are shared between callers, so callers must not mutate them.
   */
  memo<T>(key: string, read: () => Promise<T>): Promise<T> {
    let hit = this.memos.get(key) as Promise<T> | undefined;
    if (!hit) {
      if (this.memos.size >= MEMO_LIMIT) this.memos.clear();
      hit = read();
      this.memos.set(key, hit);
      hit.catch(() => this.memos.get(key) === hit && this.memos.delete(key));
    }
    return hit;
  }

  /**
   * Every write to the index goes through here, so that memoised reads never outlive a change. A
   * batch of bookkeeping only (the cursor, block hashes, journals: a block without our events)
   * changes no answer, so it keeps the memos. `started` is a batch already holding state writes
   * (BlockWriter.add); `ops` are appended to it and everything lands atomically.
   */
  async write(ops: Op[], started?: Batch): Promise<void> {
    const changesState = (started !== undefined && started.length > 0) || ops.some((op) => !BOOKKEEPING_PREFIXES.some((p) => op.key.startsWith(p)));
    const batch = started ?? this.db.batch();
    try {
      for (const op of ops) op.type === "put" ? batch.put(op.key, op.value) : batch.del(op.key);
      await batch.write();
    } catch (e) {
      await batch.close();
      throw e;
    } finally {
      if (changesState) this.memos.clear();
    }
  }

  async cursor(): Promise<Cursor | undefined> {
    return this.get<Cursor>(K.cursor);
  }

  /** Entries under a prefix, in key order (or reversed), optionally bounded. */
  async list<T extends Json>(prefix: string, o: ScanOptions = {}): Promise<{ key: string; value: T }[]> {
    const out: { key: string; value: T }[] = [];
    for await (const entry of this.scan<T>(prefix, o)) out.push(entry);
    return out;
  }

  /** The same entries as `list`, read lazily (stop whenever enough is found). */
  async *scan<T extends Json>(prefix: string, o: ScanOptions = {}): AsyncGenerator<{ key: string; value: T }> {
    const from = o.gte !== undefined && o.gte > prefix ? o.gte : prefix;
    const range = o.lte !== undefined ? { gte: from, lte: o.lte } : { gte: from, lt: prefixEnd(prefix) };
    for await (const [key, value] of this.db.iterator({ ...range, reverse: o.reverse, limit: o.limit ?? -1 })) yield { key, value: value as T };
  }

  /** The last entry whose key is ≤ `upTo` among keys starting with `prefix`: one reverse step. */
  async latestAtOrBefore<T extends Json>(prefix: string, upTo: string): Promise<{ key: string; value: T } | undefined> {
    const [hit] = await this.list<T>(prefix, { reverse: true, limit: 1, lte: upTo });
    return hit;
  }

  /**
   * A deterministic hash over every chain-derived key and value, in key order. Equal on any two
   * indexes of the same chain, whatever order they were built in.
   */
  async digest(): Promise<string> {
    const h = createHash("sha256");
    for (const prefix of [...STATE_PREFIXES].sort()) {
      for await (const [key, value] of this.db.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
        h.update(key).update("\0").update(JSON.stringify(value)).update("\n");
      }
    }
    return "0x" + h.digest("hex");
  }

  /**
   * Starts the writes of one block range. `previous` is a writer whose commit may still be in
   * flight: its writes are read through, so the next range can be applied meanwhile. With
   * `mergeJournals`, blocks the index already holds get more writes (a ledger generation caught up,
   * catch-up.ts): their journal entries are added after the blocks' own instead of replacing them.
   */
  writer(previous?: BlockWriter, o: { mergeJournals?: boolean } = {}): BlockWriter {
    return new BlockWriter(this, previous, o.mergeJournals ?? false);
  }

  /** Undoes every block above `block` from the journal, in one atomic batch. */
  async rollbackTo(block: number, hash: string): Promise<number> {
    const journals = await this.list<JournalEntry[]>(P.journals, { gte: K.journal(block + 1), reverse: true });
    const ops: Op[] = [];
    const restored = new Map<string, Json | undefined>();
    for (const { key: jkey, value: entries } of journals) {
      for (const e of [...entries].reverse()) restored.set(e.key, e.prev);
      ops.push({ type: "del", key: jkey });
    }
    for (const [key, prev] of restored) ops.push(prev === undefined ? { type: "del", key } : { type: "put", key, value: prev });
    for (const { key } of await this.list(P.blockHashes, { gte: K.blockHash(block + 1) })) ops.push({ type: "del", key });
    ops.push({ type: "put", key: K.cursor, value: { block, hash } });
    await this.write(ops);
    return journals.length;
  }
}

/**
 * Buffers a block range's writes with read-your-writes, journaling the first previous value of
 * every key per block, then commits everything with the cursor in one batch.
 */
export class BlockWriter {
  private readonly pending = new Map<string, Json | undefined>();
  private readonly journals = new Map<number, JournalEntry[]>();
  private readonly touched = new Map<number, Set<string>>();
  private block = -1;
  private journaling = true;
  private extra: Op[] = [];
  /**
   * Keys that cannot exist yet go straight into LevelDB's native batch: a backfill range's tens of
   * thousands of entries then die young instead of surviving as JS objects until the commit.
   */
  private added?: Batch;

  constructor(
    private readonly store: IndexStore,
    private previous?: BlockWriter,
    private readonly mergeJournals = false,
  ) {}

  /** The previous writer's commit has landed: read the store instead (and let that writer go). */
  detach(): void {
    this.previous = undefined;
  }

  /** Subsequent writes belong to `block`; journaling only matters for blocks that may still reorg. */
  atBlock(block: number, journal: boolean): void {
    this.block = block;
    this.journaling = journal;
  }

  async get<T extends Json>(key: string): Promise<T | undefined> {
    if (this.pending.has(key)) return this.pending.get(key) as T | undefined;
    if (this.previous?.pending.has(key)) return this.previous.pending.get(key) as T | undefined;
    return this.store.get<T>(key);
  }

  /** First write of `key` in this block (when journaling): returns whether its previous value must be read. */
  private firstTouch(key: string): boolean {
    if (!this.journaling) return false;
    let seen = this.touched.get(this.block);
    if (!seen) this.touched.set(this.block, (seen = new Set()));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }

  private journal(key: string, prev: Json | undefined): void {
    let j = this.journals.get(this.block);
    if (!j) this.journals.set(this.block, (j = []));
    j.push({ key, prev });
  }

  async put(key: string, value: Json): Promise<void> {
    if (this.firstTouch(key)) this.journal(key, await this.get(key));
    this.pending.set(key, value);
  }

  /**
   * Puts a key that cannot exist yet (it embeds the event's checkpoint, so no other event writes
   * it): nothing to read to journal it, and nothing reads it back before the commit, so it goes
   * straight into the batch (the hot path of a backfill).
   */
  add(key: string, value: Json): void {
    if (this.journaling) this.journal(key, undefined);
    (this.added ??= this.store.db.batch()).put(key, value);
  }

  async del(key: string): Promise<void> {
    if (this.firstTouch(key)) this.journal(key, await this.get(key));
    this.pending.set(key, undefined);
  }

  /** Non-state bookkeeping written with the batch (block hashes), not journaled. */
  raw(op: Op): void {
    this.extra.push(op);
  }

  /** Drops a range that will not be committed (an error while applying it). */
  async discard(): Promise<void> {
    await this.added?.close();
    this.added = undefined;
  }

  async commit(cursor: Cursor, pruneJournalBelow?: number): Promise<void> {
    const ops: Op[] = [];
    for (const [key, value] of this.pending) ops.push(value === undefined ? { type: "del", key } : { type: "put", key, value });
    for (const [block, entries] of this.journals) {
      // Rolling back applies a block's entries last to first: the block's own come first, so their earlier values win.
      const own = this.mergeJournals ? ((await this.store.get<JournalEntry[]>(K.journal(block))) ?? []) : [];
      ops.push({ type: "put", key: K.journal(block), value: [...own, ...entries] });
    }
    ops.push(...this.extra);
    if (pruneJournalBelow !== undefined && pruneJournalBelow > 0) {
      for (const prefix of [P.journals, P.blockHashes]) {
        for await (const key of this.store.db.keys({ gte: prefix, lt: prefix === P.journals ? K.journal(pruneJournalBelow) : K.blockHash(pruneJournalBelow) })) ops.push({ type: "del", key });
      }
    }
    ops.push({ type: "put", key: K.cursor, value: cursor });
    const started = this.added;
    this.added = undefined;
    await this.store.write(ops, started);
  }
}
