/**
 * `consent list`'s block times (src/cli/block-times.ts): each row gets its block's timestamp, the
 * chain's, in Unix seconds and ISO; the blocks are read once each, however many rows share one.
 * In-process Hardhat behind a provider that counts every JSON-RPC call.
 */
import { describe, it, expect } from "vitest";
import { mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { limitedProvider } from "../helpers/limited-provider";
import { withBlockTimes } from "../../src/cli/block-times";

describe("consent list's block times", () => {
  it("one getBlock per distinct block, not per row; each row's time is its block's timestamp, the chain's, with ISO beside it", async () => {
    await time.increase(40 * 86400); // the chain's clock 40 days ahead of this host's: the rows must show the chain's
    await mine(3, { interval: 3600 });
    const head = await time.latestBlock();
    const blocks = [head - 2, head - 1, head];
    // Twelve rows over three blocks (histories put several events in one block: a batch of relays).
    const rows = Array.from({ length: 12 }, (_, i) => ({ blockNumber: blocks[i % 3], row: i }));
    const counted = limitedProvider();
    const timed = await withBlockTimes(counted.provider, rows);
    expect(counted.calls.get("eth_getBlockByNumber")).toBe(3);
    const stamps = await Promise.all(blocks.map(async (n) => (await counted.provider.getBlock(n))!.timestamp));
    expect(timed.map((r) => [r.row, r.blockTime])).toEqual(rows.map((r) => [r.row, stamps[blocks.indexOf(r.blockNumber)]]));
    expect(timed.map((r) => r.blockTimeIso)).toEqual(timed.map((r) => new Date(r.blockTime * 1000).toISOString()));
    expect(stamps[2] - stamps[0]).toBe(2 * 3600);
    expect(stamps[2] - Date.now() / 1000).toBeGreaterThan(39 * 86400);
    // Nothing to read for no rows.
    counted.reset();
    expect(await withBlockTimes(counted.provider, [])).toEqual([]);
    expect(counted.calls.get("eth_getBlockByNumber") ?? 0).toBe(0);
  });
});
