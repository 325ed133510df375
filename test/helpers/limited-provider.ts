/**
 * The in-process Hardhat node behind an ethers provider that behaves like a node with a log-range
 * limit (Besu's `--rpc-max-logs-range`): eth_getLogs over more than `maxLogsRange` blocks is
 * refused, as Besu refuses it. Every call is counted by method, so a test can say how many log
 * reads something made.
 */
import hre from "hardhat";
import { BrowserProvider } from "ethers";

export interface LimitedProvider {
  provider: BrowserProvider;
  /** Calls by JSON-RPC method, since the start or the last reset. */
  calls: Map<string, number>;
  /** eth_getLogs spans asked for, in blocks. */
  spans: number[];
  reset(): void;
}

export function limitedProvider(maxLogsRange = Number.MAX_SAFE_INTEGER): LimitedProvider {
  const calls = new Map<string, number>();
  const spans: number[] = [];
  const block = async (tag: string): Promise<number> => (tag === "latest" || tag === undefined ? Number(await hre.network.provider.request({ method: "eth_blockNumber" })) : Number(tag));
  const request = async ({ method, params }: { method: string; params?: unknown[] | Record<string, unknown> }) => {
    calls.set(method, (calls.get(method) ?? 0) + 1);
    if (method === "eth_getLogs") {
      const f = (params as { fromBlock?: string; toBlock?: string }[])[0];
      const span = (await block(f.toBlock ?? "latest")) - (await block(f.fromBlock ?? "latest")) + 1;
      spans.push(span);
      if (span > maxLogsRange) throw Object.assign(new Error(`Requested range exceeds maximum range limit (${maxLogsRange})`), { code: -32005 });
    }
    return hre.network.provider.request({ method, params: params as unknown[] });
  };
  // Polling off: every call a test counts is one the code under test made.
  const provider = new BrowserProvider({ request }, undefined, { cacheTimeout: -1 });
  return { provider, calls, spans, reset: () => { calls.clear(); spans.length = 0; } };
}
