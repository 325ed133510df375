/**
 * The apply stage: checked logs become index rows through the event handlers, in one block
 * writer per range (atomic with its cursor when committed), journalled where a reorg could still
 * undo them. A log our ABI cannot decode is not one of our events and is skipped.
 */
import { applyEvent, type decodersByTopic } from "./handlers";
import type { Decoded } from "./decode";
import { K } from "./keys";
import type { BlockWriter } from "./store";
import type { CheckedLog, Header } from "./types";

export type Decoders = ReturnType<typeof decodersByTopic>;

/**
 * Applies a range's logs to `w`, and records the hashes of blocks from `unfinalizedFrom` on (for
 * the reorg walk). Blocks above `journalAbove` are journalled. Returns how many events applied.
 */
export async function applyRange(w: BlockWriter, ours: readonly CheckedLog[], hs: ReadonlyMap<number, Header>, o: { decoders: Decoders; journalAbove: number; unfinalizedFrom: number; to: number }): Promise<number> {
  let applied = 0;
  let timed = -1; // the block whose time was last written
  for (const { log: l, block: b, logIndex } of ours) {
    const known = o.decoders.get(l.topics[0]);
    if (!known) continue;
    let args: Decoded;
    try {
      args = known.decode(l.topics, l.data);
    } catch {
      continue; // a log our ABI cannot decode is not one of our events
    }
    const time = hs.get(b)!.timestamp;
    w.atBlock(b, b > o.journalAbove);
    const done = applyEvent(w, { name: known.name, args }, { address: l.address.toLowerCase(), block: b, logIndex, time, tx: l.transactionHash.toLowerCase() });
    if (typeof done === "boolean" ? done : await done) {
      applied++;
      if (b !== timed) await w.put(K.blockTime(b), time);
      timed = b;
    }
  }
  for (let b = o.unfinalizedFrom; b <= o.to; b++) w.raw({ type: "put", key: K.blockHash(b), value: hs.get(b)!.hash });
  return applied;
}

/**
 * The last range's commit, left in flight while the next range is fetched and applied (its
 * writer's values are read through). At most one: a commit starts only after the previous one landed.
 */
export function createCommitPipeline() {
  let inFlight: { writer: BlockWriter; commit: Promise<void>; cursor: { block: number; hash: string } } | undefined;
  return {
    /** The writer and cursor of the commit in flight, if any. */
    current: () => inFlight,
    /** Waits for the commit in flight; its failure is thrown here. */
    async settle(): Promise<void> {
      const f = inFlight;
      if (!f) return;
      try {
        await f.commit;
      } finally {
        if (inFlight === f) inFlight = undefined;
      }
    },
    /** Starts committing `w` with its cursor (call after settle). */
    start(w: BlockWriter, cursor: { block: number; hash: string }, pruneJournalBelow: number): void {
      w.detach(); // otherwise each writer would keep the one before it, and so the whole backfill, alive
      const commit = w.commit(cursor, pruneJournalBelow);
      commit.catch(() => undefined); // observed by settle(); never an unhandled rejection
      inFlight = { writer: w, commit, cursor };
    },
  };
}
