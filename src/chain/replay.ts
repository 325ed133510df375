/**
 * Replays the journal onto a node started from an older state file: every entry after the file,
 * in order, each block pinned to the time it first had, so the replayed chain is the one clients
 * were answered from (same transactions, block numbers, times, and so the same block hashes).
 */
import { MedprovError } from "../core";
import type { ChainJournal, JournalEntry, MinedBlock } from "./journal";
import { methodKind } from "./methods";
import { rpcCall } from "./rpc";
import { blockOf } from "./front";

export interface ReplayReport {
  entries: number;
  /** Blocks whose replayed hash differs from the one first answered (an index would see a reorg). */
  diverged: number[];
}

async function headTime(url: string): Promise<number> {
  const b = await rpcCall<{ timestamp: string }>(url, "eth_getBlockByNumber", ["latest", false]);
  return Number(b.timestamp);
}

async function onChain(url: string, hash: unknown): Promise<boolean> {
  return typeof hash === "string" && (await rpcCall(url, "eth_getTransactionReceipt", [hash])) !== null;
}

/**
 * Sets the time the next block gets. evm_setNextBlockTimestamp accepts the last block's own time
 * (automining gives blocks of one second the same time) and holds it however long the block takes
 * to come; moving the clock itself (evm_setTime) instead would let a second tick by under load
 * before the block is mined, and every later block would replay with another hash.
 */
export async function pinNextBlock(url: string, time: number, clock: { last: number }): Promise<void> {
  if (time < clock.last) throw new MedprovError("CHAIN_REPLAY", `the journal's block time ${time} is before the chain's last block time ${clock.last}`);
  await rpcCall(url, "evm_setNextBlockTimestamp", [time]);
  clock.last = time;
}

/** Re-applies one entry; returns the blocks it produced, to compare with the recorded ones. */
async function apply(url: string, e: JournalEntry, clock: { last: number }): Promise<MinedBlock[]> {
  const kind = methodKind(e.method);
  if (kind === "clock" || kind === "read" || kind === "refused") return [];
  if (kind === "transaction") {
    if (await onChain(url, e.result)) return [];
    if (e.blocks[0]) await pinNextBlock(url, e.blocks[0].time, clock);
    const hash = await rpcCall<string>(url, e.method, e.params);
    await blockOf(url, hash); // anvil mines after answering: wait, or the next pin would race it
    return e.blocks;
  }
  if (kind === "mine") {
    for (const b of e.blocks) {
      await pinNextBlock(url, b.time, clock);
      await rpcCall(url, "evm_mine", []);
    }
    return e.blocks;
  }
  await rpcCall(url, e.method, e.params);
  return [];
}

export async function replayJournal(url: string, journal: ChainJournal, fromSeq: number, progress?: (done: number) => void): Promise<ReplayReport> {
  // A node started from a file takes the wall clock as "now"; recorded blocks may be older.
  const clock = { last: await headTime(url) };
  await rpcCall(url, "evm_setTime", [clock.last]);
  const report: ReplayReport = { entries: 0, diverged: [] };
  let lastTime = 0;
  for await (const [seq, entry] of journal.after(fromSeq)) {
    let produced: MinedBlock[];
    try {
      produced = await apply(url, entry, clock);
    } catch (e) {
      throw new MedprovError("CHAIN_REPLAY", `journal entry ${seq} (${entry.method}) could not be replayed: ${(e as Error).message}`);
    }
    for (const b of produced) {
      lastTime = Math.max(lastTime, b.time);
      const now = await rpcCall<{ hash: string } | null>(url, "eth_getBlockByNumber", ["0x" + b.number.toString(16), false]);
      if (now?.hash !== b.hash) report.diverged.push(b.number);
    }
    report.entries++;
    if (report.entries % 100 === 0) progress?.(report.entries);
  }
  // From here on the chain's clock runs with the wall clock again, never behind its last block.
  await rpcCall(url, "evm_setTime", [Math.max(Math.floor(Date.now() / 1000), lastTime, await headTime(url))]);
  return report;
}
