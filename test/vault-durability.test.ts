/**
 * What the trace vault acknowledges is on disk: every write the batcher makes (an acknowledged
 * append, a seal before its root is sent, a batch stored as anchored) is a synced LevelDB batch,
 * so a power cut right after the acknowledgement cannot take it back. (A SIGKILL alone cannot:
 * the OS keeps unsynced writes; the crash tests in batcher-crash.test.ts cover that path.)
 */
import { describe, it, expect, vi, afterEach } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture } from "./helpers/fixture";
import { modelWithVersion } from "./helpers/builders";
import { clock, traceInput } from "./helpers/traces";
import { TraceBatcher } from "../src/sdk";

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
    // Level's batch(ops, options) → the store's _batch(ops, options, callback): the options say whether it was synced.
    const batches = vi.spyOn(Level.prototype as unknown as { _batch: (...a: unknown[]) => void }, "_batch");
    await batcher.append(...Array.from({ length: 120 }, () => traceInput(versionId)));
    const flushed = await batcher.flush();
    await batcher.close();
    expect(flushed.map((b) => b.count)).toEqual([50, 50, 20]);
    // one append + (seal, store) per batch
    expect(batches.mock.calls.length).toBeGreaterThanOrEqual(1 + 2 * 3);
    const unsynced = batches.mock.calls.filter(([, options]) => (options as { sync?: boolean } | undefined)?.sync !== true);
    expect(unsynced.length, `unsynced writes: ${unsynced.map(([ops]) => (ops as { key: string }[]).map((o) => o.key).slice(0, 3).join(",")).join(" | ")}`).toBe(0);
  });
});
