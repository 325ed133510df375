/**
 * The indexer's fetch stage and RPC policy without a chain: failures are told apart by kind (a
 * rate limit waits and keeps the range, a range refusal halves it, an inconsistent answer is
 * retried by the chain stage without shrinking), and the range grows back after answers.
 */
import { describe, it, expect } from "vitest";
import { classifyRpcError, rpcWithPolicy, backoffMs } from "../../src/indexer/rpc-policy";
import { FetchStage } from "../../src/indexer/fetch";
import { RpcCallError } from "../../src/indexer";
import { RpcInconsistency, silentLogger, type RpcSender } from "../../src/indexer/types";
import { checkLogs } from "../../src/indexer/check-range";
import { LOG_INDEX_MAX, checkpoint } from "../../src/indexer/keys";

const ADDRESS = "0x5fbdb2315678afecb367f032d93f642f64180aa3";

/** A node that answers eth_getLogs with `answers` in turn (an Error is thrown), then empty arrays. */
function scriptedNode(answers: unknown[]): RpcSender & { ranges: number[] } {
  const ranges: number[] = [];
  return {
    ranges,
    async send(method: string, params: unknown[]) {
      if (method !== "eth_getLogs") throw new Error(`unexpected ${method}`);
      const { fromBlock, toBlock } = params[0] as { fromBlock: string; toBlock: string };
      ranges.push(Number(toBlock) - Number(fromBlock) + 1);
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return next === undefined ? [] : next;
    },
  };
}

function stage(node: RpcSender, waits: number[] = []) {
  const rpc = rpcWithPolicy(node, { retries: 5, log: silentLogger, onError: () => undefined, sleep: async (ms) => void waits.push(ms) });
  return new FetchStage({ rpc, provider: node, addresses: [ADDRESS], maxRange: 1_000, maxEvents: 10_000, finality: 0, log: silentLogger });
}

describe("RPC failure kinds", () => {
  it("tells rate limits from range refusals by status and code first, words second", () => {
    const cases: [string, unknown, ReturnType<typeof classifyRpcError>][] = [
      ["eth_getLogs", new RpcCallError("eth_getLogs: HTTP 429", undefined, 429), "rate-limit"],
      ["eth_getLogs", new RpcCallError("eth_getLogs: Too Many Requests", -32000), "rate-limit"],
      ["eth_getLogs", new RpcCallError("eth_getLogs: project ID request rate exceeded", -32005), "rate-limit"],
      ["eth_getLogs", new RpcCallError("Your app has exceeded its compute units per second capacity", 429), "rate-limit"],
      ["eth_blockNumber", new Error("rate limit reached, retry in 1s"), "rate-limit"],
      ["eth_getLogs", new RpcCallError("query returned more than 10000 results; try a smaller block range", -32005), "range-refusal"],
      ["eth_getLogs", new RpcCallError("block range is too wide", -32600), "range-refusal"],
      ["eth_getLogs", new RpcCallError("limit exceeded", -32005), "range-refusal"],
      ["eth_getLogs", new RpcCallError("something else entirely", -32005), "range-refusal"],
      ["eth_blockNumber", new RpcCallError("limit exceeded", -32005), "retryable"],
      ["eth_getLogs", new Error("socket hang up"), "retryable"],
      ["eth_getLogs", new RpcCallError("eth_getLogs: HTTP 502", undefined, 502), "retryable"],
    ];
    for (const [method, e, kind] of cases) expect(classifyRpcError(method, e), `${method}: ${(e as Error).message}`).toBe(kind);
  });

  it("a rate limit waits longer each time (from a second, at most 30 s); other failures retry sooner", () => {
    expect([0, 1, 2, 10].map((a) => backoffMs("rate-limit", a))).toEqual([1_000, 2_000, 4_000, 30_000]);
    expect([0, 1, 10].map((a) => backoffMs("retryable", a))).toEqual([100, 200, 5_000]);
  });
});

describe("fetch stage", () => {
  it("a rate-limited eth_getLogs is waited out and asked again over the same range (it used to shrink to 1 block)", async () => {
    const node = scriptedNode([new RpcCallError("eth_getLogs: Too Many Requests", -32000), new RpcCallError("eth_getLogs: HTTP 429", undefined, 429), []]);
    const waits: number[] = [];
    const f = stage(node, waits);
    const before = f.range();
    const got = await f.fetchLogs(1, 100_000);
    expect(node.ranges).toEqual([before, before, before]);
    expect(waits).toEqual([1_000, 2_000]);
    expect(got.to).toBe(before);
  });

  it("a refused range is halved at once, without waiting, and grows back after answers", async () => {
    const refusal = new RpcCallError("query returned more than 10000 results; try a smaller block range", -32005);
    const node = scriptedNode([refusal, refusal]);
    const waits: number[] = [];
    const f = stage(node, waits);
    await f.fetchLogs(1, 100_000);
    expect(node.ranges).toEqual([10, 5, 2]);
    expect(waits).toEqual([]);
    // The ceiling doubles after every 3 answers: 2 → 4 → 8 → 16.
    for (let i = 0; i < 9; i++) await f.fetchLogs(1, 100_000);
    expect(f.range()).toBe(16);
  });

  it("an answer that is not an array is an inconsistency for the chain stage to retry; the range is kept (it used to be halved)", async () => {
    const node = scriptedNode([{ not: "an array" }]);
    const f = stage(node);
    const before = f.range();
    await expect(f.fetchLogs(1, 100_000)).rejects.toBeInstanceOf(RpcInconsistency);
    expect(f.range()).toBe(before);
    expect(node.ranges).toEqual([before]);
  });

  it("a node that refuses even one block is a named, retryable error", async () => {
    const refusal = new RpcCallError("block range is too wide", -32600);
    const f = stage(scriptedNode(Array.from({ length: 20 }, () => refusal)));
    await expect(f.fetchLogs(1, 100_000)).rejects.toMatchObject({ code: "RPC_RANGE_REFUSED", retryable: true });
  });
});

describe("checkpoint width", () => {
  it("a log index wider than a checkpoint's 6 digits is refused by the range check, not written out of order", () => {
    const address = "0x" + "ab".repeat(20);
    const log = (logIndex: number) => ({ address, topics: [], data: "0x", blockNumber: "0x5", blockHash: "0x" + "11".repeat(32), logIndex: "0x" + logIndex.toString(16), transactionHash: "0x" + "22".repeat(32) });
    const fetched = (logIndex: number) => ({ to: 5, logs: [log(logIndex)], hs: new Map([[5, { number: 5, hash: "0x" + "11".repeat(32), parentHash: "0x" + "00".repeat(32), timestamp: 1, logsBloom: "0x" }]]) });
    expect(checkLogs(fetched(LOG_INDEX_MAX), 5, new Set([address])).ours.map((o) => o.logIndex)).toEqual([LOG_INDEX_MAX]);
    // 1,000,000 < 2^20 passed before, and its checkpoint "…1000000" sorted before "…0999999".
    expect(() => checkLogs(fetched(LOG_INDEX_MAX + 1), 5, new Set([address]))).toThrow(RpcInconsistency);
    expect(checkpoint(5, LOG_INDEX_MAX)).toBe("000000000005999999");
    expect(() => checkpoint(5, LOG_INDEX_MAX + 1)).toThrow(RangeError);
  });
});
