/**
 * The range-check stage: what the RPC answered must be a chain. Logs lie inside the range, once
 * each, from the deployment's addresses only, in the blocks (by hash) whose headers were fetched;
 * recent blocks link by parent hash; and a recent block whose bloom says it holds logs of ours
 * must not come back without them. Any failure is an {@link RpcInconsistency} (the range is
 * fetched again); logs of other addresses are dropped and counted, never indexed.
 */
import { bloomMayContain, type bloomBits } from "./bloom";
import { LOG_INDEX_MAX } from "./keys";
import { RpcInconsistency, type CheckedLog, type Fetched } from "./types";

/** Positions are block × 2^20 + log index (exact in a double); a log index must also fit a checkpoint (keys.ts). */
const POSITION = 2 ** 20;

/** An address's bloom filter bits, worked out once per indexer ({@link bloomBits}). */
export type AddressBits = ReturnType<typeof bloomBits>;

/** Logs of ours in chain order, checked for range, index, duplicates and removal. Pure. */
export function checkLogs(f: Fetched, from: number, indexed: ReadonlySet<string>): { ours: CheckedLog[]; ignored: number } {
  // Nodes answer in chain order, where strictly rising positions also rule out duplicates; any
  // other answer is sorted and then checked for duplicates.
  const ours: CheckedLog[] = [];
  let ordered = true;
  let last = -1;
  let ignored = 0;
  for (const l of f.logs) {
    const b = Number(l.blockNumber);
    const logIndex = Number(l.logIndex);
    if (b < from || b > f.to) throw new RpcInconsistency(`eth_getLogs returned a log of block ${b} outside ${from}..${f.to}`);
    if (!(logIndex >= 0 && logIndex <= LOG_INDEX_MAX)) throw new RpcInconsistency(`eth_getLogs returned log index ${l.logIndex} in block ${b}`);
    const at = b * POSITION + logIndex;
    if (at > last) last = at;
    else ordered = false;
    if (l.removed) throw new RpcInconsistency(`eth_getLogs returned a removed log ${b}:${logIndex}`);
    if (!indexed.has(l.address.toLowerCase())) {
      ignored++;
      continue; // never index a log of another address, whatever the RPC says
    }
    ours.push({ log: l, block: b, logIndex, at });
  }
  if (!ordered) {
    const positions = f.logs.map((l) => Number(l.blockNumber) * POSITION + Number(l.logIndex)).sort((x, y) => x - y);
    const twice = positions.findIndex((p, i) => i > 0 && p === positions[i - 1]);
    if (twice > 0) throw new RpcInconsistency(`eth_getLogs returned log ${Math.floor(positions[twice] / POSITION)}:${positions[twice] % POSITION} twice`);
    ours.sort((x, y) => x.at - y.at);
  }
  for (const { log: l, block } of ours) {
    const h = f.hs.get(block)!;
    if (h.hash !== l.blockHash.toLowerCase()) throw new RpcInconsistency(`log ${block}:${l.logIndex} names block hash ${l.blockHash}, but block ${block} is ${h.hash}`);
  }
  return { ours, ignored };
}

/** Recent blocks (from `unfinalizedFrom`) must link by parent hash: otherwise the chain moved while fetching. Pure. */
export function checkLinks(f: Fetched, unfinalizedFrom: number): void {
  for (let b = unfinalizedFrom + 1; b <= f.to; b++) {
    if (f.hs.get(b)!.parentHash !== f.hs.get(b - 1)!.hash) throw new RpcInconsistency(`block ${b} does not link to block ${b - 1}: the chain moved while fetching`);
  }
}

/**
 * A load-balanced RPC may answer eth_getLogs from a node that has not caught up: a recent block
 * with no log of ours in the answer, but whose bloom may hold one, has its receipts counted.
 */
export async function checkBlooms(f: Fetched, ours: readonly CheckedLog[], unfinalizedFrom: number, addressBits: readonly AddressBits[], receiptLogCount: (b: number) => Promise<number>): Promise<void> {
  const withLogs = new Set(ours.map((o) => o.block));
  for (let b = unfinalizedFrom; b <= f.to; b++) {
    if (withLogs.has(b) || !addressBits.some((x) => bloomMayContain(f.hs.get(b)!.logsBloom, x))) continue;
    const missing = await receiptLogCount(b);
    if (missing > 0) throw new RpcInconsistency(`eth_getLogs returned no log of block ${b}, whose receipts hold ${missing} of ours`);
  }
}
