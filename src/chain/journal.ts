/**
 * The embedded chain's write-ahead journal: every state-changing JSON-RPC call the node accepted,
 * with the block (number, hash, time) it landed in, written with `sync: true` before the caller
 * gets its answer. Together with the last state file it is the chain: a restart loads the state
 * and replays what the journal holds after it, so nothing the node answered is lost to a kill or
 * a power cut (DESIGN §5, "Acknowledged means durable").
 *
 * Keys: e:<seq, 16 digits> → JournalEntry, in the order the node applied them.
 */
import { Level } from "level";
import { MedprovError } from "../core";

export interface MinedBlock {
  number: number;
  hash: string;
  time: number;
}

export interface JournalEntry {
  method: string;
  params: unknown[];
  /** Blocks this call produced (a transaction's block, or the blocks evm_mine made), oldest first. */
  blocks: MinedBlock[];
  /** A transaction's hash, as the node answered. */
  result?: unknown;
}

const entryKey = (seq: number) => `e:${seq.toString().padStart(16, "0")}`;
const seqOf = (key: string) => Number(key.slice(2));

export class ChainJournal {
  private constructor(
    private readonly db: Level<string, JournalEntry>,
    private last: number,
  ) {}

  static async open(path: string): Promise<ChainJournal> {
    const db = new Level<string, JournalEntry>(path, { valueEncoding: "json" });
    try {
      await db.open();
    } catch (e) {
      const locked = (e as { cause?: { code?: string } }).cause?.code === "LEVEL_LOCKED";
      throw new MedprovError(locked ? "CHAIN_LOCKED" : "CHAIN_JOURNAL", locked ? `${path} is in use: another npm start runs on this data directory` : `cannot open the chain journal ${path}: ${(e as Error).message}`);
    }
    const [lastKey] = await db.keys({ gte: "e:", lt: "e;", reverse: true, limit: 1 }).all();
    return new ChainJournal(db, lastKey ? seqOf(lastKey) : 0);
  }

  /** Sequence number of the last entry (0: none). */
  get lastSeq(): number {
    return this.last;
  }

  /** Appends an entry durably; resolves once it is on disk. */
  async append(entry: JournalEntry): Promise<number> {
    const seq = this.last + 1;
    await this.db.put(entryKey(seq), entry, { sync: true });
    this.last = seq;
    return seq;
  }

  /** Entries after `seq`, in order. */
  async *after(seq: number): AsyncGenerator<[number, JournalEntry]> {
    for await (const [key, value] of this.db.iterator({ gt: entryKey(seq), lt: "e;" })) yield [seqOf(key), value];
  }

  /** Drops entries up to and including `seq` (a state file now holds their effects). */
  async truncate(seq: number): Promise<void> {
    await this.db.clear({ gte: "e:", lte: entryKey(seq) });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
