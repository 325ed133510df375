/**
 * The chain's time of the blocks a history's rows were recorded in: a block number alone tells a
 * person nothing, its timestamp (the chain's clock, never the host's) does. One getBlock per
 * distinct block, whatever the number of rows in it.
 */
import type { Provider } from "ethers";
import { RpcError, isoOf } from "../sdk";

/** Blocks asked for at once: each is a request (and a connection) of its own (context.ts). */
const BLOCKS_AT_ONCE = 8;

/** Each block's timestamp (Unix seconds), by block number, asked for once each. */
export async function blockTimes(provider: Provider, blockNumbers: readonly number[]): Promise<Map<number, number>> {
  const distinct = [...new Set(blockNumbers)];
  const times = new Map<number, number>();
  for (let i = 0; i < distinct.length; i += BLOCKS_AT_ONCE) {
    const part = distinct.slice(i, i + BLOCKS_AT_ONCE);
    const blocks = await Promise.all(part.map((n) => provider.getBlock(n)));
    blocks.forEach((b, j) => {
      if (!b) throw new RpcError(`the node does not have block ${part[j]}, which recorded an event it returned; is it still syncing?`);
      times.set(part[j], b.timestamp);
    });
  }
  return times;
}

export type Timed<T> = T & { blockTime: number; blockTimeIso: string };

/** The rows, each with its block's time beside its block number: Unix seconds and ISO 8601 (UTC). */
export async function withBlockTimes<T extends { blockNumber: number }>(provider: Provider, rows: readonly T[]): Promise<Timed<T>[]> {
  const times = await blockTimes(provider, rows.map((r) => r.blockNumber));
  return rows.map((r) => {
    const blockTime = times.get(r.blockNumber)!;
    return { ...r, blockTime, blockTimeIso: isoOf(blockTime) };
  });
}
