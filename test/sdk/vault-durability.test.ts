/**
 * What the trace vault acknowledges is on disk: every write the batcher makes (an acknowledged
 * append, a seal before its root is sent, a batch stored as anchored) is a synced LevelDB batch,
 * so a power cut right after the acknowledgement cannot take it back. (A SIGKILL alone cannot:
 * the OS keeps unsynced writes; the crash tests in test/sdk/batcher-crash.test.ts cover that path.)
 */
import { describe, it, expect, vi, afterEach } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
// classic-level's chained batch (what db.batch() with no arguments returns); its _write(options) gets the write's options.
const { ChainedBatch } = require("classic-level/chained-batch") as { ChainedBatch: { prototype: { _write: (...a: unknown[]) => unknown } } };
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture } from "../helpers/fixture";
import { modelWithVersion } from "../helpers/builders";
import { clock, traceInput } from "../helpers/traces";
import { TraceBatcher } from "../../src/sdk";

afterEach(() => vi.restoreAllMocks());

describe("trace vault durability", () => {
  it("every vault write of an append, a seal and an anchoring is synced (fsync)", async () => {
    const l = await loadFixture(ledgerFixture);
    const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
    await time.increase(10);
    const now = await time.latest();
    clock.now = () => now;
    const vaultPath = join(mkdtempSync(join(tmpdir(), "medprov-vault-")), "vault");
    const batcher = await TraceBatcher.open({ vaultPath, ledger: l, signer: l.hospitalA, maxBatch: 50 });
    // Both ways LevelDB writes a batch: batch(ops, options) → the store's _batch(ops, options), and a
    // chained batch's write(options) → _write(options). The options say whether it was synced.
    const arrays = vi.spyOn(Level.prototype as unknown as { _batch: (...a: unknown[]) => void }, "_batch");
    const chained = vi.spyOn(ChainedBatch.prototype, "_write");
    await batcher.append(...Array.from({ length: 120 }, () => traceInput(versionId)));
    const flushed = await batcher.flush();
    await batcher.close();
    expect(flushed.map((b) => b.count)).toEqual([50, 50, 20]);
    const writes = [...arrays.mock.calls.map(([, options]) => options), ...chained.mock.calls.map(([options]) => options)];
    // one append + (seal, store) per batch
    expect(writes.length).toBeGreaterThanOrEqual(1 + 2 * 3);
    const unsynced = writes.filter((options) => (options as { sync?: boolean } | undefined)?.sync !== true);
    expect(unsynced.length, `${unsynced.length} of ${writes.length} vault writes were not synced`).toBe(0);
  });
});
