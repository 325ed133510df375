/**
 * eth_getLogs over a long chain, cut to what a node serves: Besu refuses a span wider than its
 * `--rpc-max-logs-range` (LIMITS.LOG_RANGE_MAX by default), and other nodes cap spans too. The
 * indexer adapts its ranges to the node (src/indexer/fetch.ts); a one-off read (an evidence pack)
 * reads fixed spans no wider than the limit. Pure.
 */
import { InputError } from "./errors";

/** [from, to] (inclusive) as consecutive spans of at most `max` blocks, oldest first; none when from > to. */
export function blockRanges(from: number, to: number, max: number): [number, number][] {
  if (!Number.isSafeInteger(max) || max < 1) throw new InputError("BAD_ARGUMENT", `a log range spans at least one whole block, got ${max}`);
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0) throw new InputError("BAD_ARGUMENT", `a block range is two block numbers, got ${from}..${to}`);
  const out: [number, number][] = [];
  for (let start = from; start <= to; start += max) out.push([start, Math.min(to, start + max - 1)]);
  return out;
}

/** `read` over [from, to] span after span (at most `max` blocks each), its answers joined in order. */
export async function readInSpans<T>(from: number, to: number, max: number, read: (from: number, to: number) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (const [a, b] of blockRanges(from, to, max)) out.push(...(await read(a, b)));
  return out;
}
