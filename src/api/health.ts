/**
 * Readiness: the API is ready only while its answers can be trusted to be current, i.e. the
 * indexer's loop still runs, the chain node answers, and the index is within `maxLag` blocks of the
 * head. Each "not ready" carries the reason, by code, so an operator knows what to do.
 */
import type { Provider } from "ethers";
import type { Indexer, IndexerStats, Logger } from "../indexer";
import { MedprovError } from "../sdk";

export interface IndexerHealth {
  /** Set once the indexer's loop has stopped (a reorg deeper than finality, a fatal sync error). */
  stopped?: { code: string; message: string };
}

/**
 * Runs the indexer's follow loop and remembers why it stopped, if it does (the loop only returns
 * on abort; it throws on non-retryable errors such as REORG_TOO_DEEP).
 */
export function superviseIndexer(indexer: Pick<Indexer, "run">, signal: AbortSignal, log?: Logger): { running: Promise<void>; health: () => IndexerHealth } {
  const state: IndexerHealth = {};
  const running = indexer.run(signal).catch((e: unknown) => {
    state.stopped = { code: e instanceof MedprovError ? e.code : "INDEXER_STOPPED", message: `the indexer stopped: ${(e as Error)?.message ?? String(e)}` };
    log?.error({ err: state.stopped.message }, "indexer stopped");
  });
  return { running, health: () => ({ ...state }) };
}

export interface Readiness {
  ready: boolean;
  lag: number;
  reason?: { code: string; message: string };
}

/** How long /readyz waits for the chain node before calling it unreachable. */
const PROBE_MS = 2_000;

async function probe(provider: Provider): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([provider.getBlockNumber(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_MS} ms`)), PROBE_MS)))]);
    return undefined;
  } catch (e) {
    return (e as Error)?.message?.split("\n")[0] ?? String(e);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the API is ready, and if not, why (the first reason found, in the order an operator fixes them). */
export async function readiness(o: { provider: Provider; indexerStats?: () => IndexerStats; indexerHealth?: () => IndexerHealth; maxLag?: number }): Promise<Readiness> {
  const stats = o.indexerStats?.();
  const lag = stats?.lag ?? 0;
  const no = (code: string, message: string): Readiness => ({ ready: false, lag, reason: { code, message } });
  if (!stats) return no("INDEX_NOT_READY", "no indexer runs behind this API");
  const stopped = o.indexerHealth?.().stopped;
  if (stopped) return no(stopped.code, stopped.message);
  const unreachable = await probe(o.provider);
  if (unreachable) return no("RPC_UNAVAILABLE", `the chain node does not answer: ${unreachable}`);
  if (stats.head <= 0) return no("INDEX_NOT_READY", "the index has not synced yet");
  const maxLag = o.maxLag ?? 5;
  if (lag > maxLag) return no("INDEX_NOT_READY", `the index is ${lag} blocks behind the chain head (at most ${maxLag} allowed)`);
  return { ready: true, lag };
}
