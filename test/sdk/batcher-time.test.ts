/**
 * The batcher keeps to the chain's rules on trace time and deployed versions (issue 20, docs/receipt.md
 * "What at the time means"): a trace the chain could not anchor is refused at append with a named
 * error (nothing queued), or quarantined with a named reason when it fell out of bounds while queued,
 * so no batch is ever built that the chain refuses. Chain time is the head block's time plus the
 * seconds elapsed on the host's monotonic clock, never the host's date.
 */
import { describe, it, expect, vi } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG } from "../helpers/fixture";
import { modelWithVersion } from "../helpers/builders";
import { clock, traceInput } from "../helpers/traces";
import { SEALABLE_AGE } from "../../src/sdk/traces/batcher";
import { TraceBatcher } from "../../src/sdk";

const vaultDir = () => join(mkdtempSync(join(tmpdir(), "medprov-vault-")), "vault");

async function setup(maxBatch = 100) {
  const l = await loadFixture(ledgerFixture);
  const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
  await time.increase(10);
  const chainNow = await time.latest();
  clock.now = () => chainNow;
  const batcher = await TraceBatcher.open({ vaultPath: vaultDir(), ledger: l, signer: l.hospitalA, maxBatch });
  return { l, versionId, batcher, chainNow };
}

const codeOf = (p: Promise<unknown>) => p.then(() => "accepted", (e: { code?: string }) => e.code);

describe("TraceBatcher: trace time and deployed versions", () => {
  it("a host clock hours ahead of the chain cannot stamp a trace into a batch the chain refuses", async () => {
    const { l, versionId, batcher } = await setup();
    const real = Date.now.bind(Date);
    const ahead = vi.spyOn(Date, "now").mockImplementation(() => real() + 10 * 3600 * 1000);
    let appended: string | undefined;
    try {
      appended = await codeOf(batcher.append(traceInput(versionId, { time: Math.floor(Date.now() / 1000) })));
    } finally {
      ahead.mockRestore();
    }
    // Before: the host's date counted as "now", the trace was queued, and the chain refused the batch.
    expect(appended).toBe("TRACE_FUTURE_TIME");
    expect(await batcher.storage.countQueued()).toBe(0);
    await batcher.append(traceInput(versionId, { time: clock.now() }));
    expect((await batcher.flush()).map((b) => b.count)).toEqual([1]);
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(1n);
    await batcher.close();
  });

  it("refuses, writing nothing, traces too old to anchor, stamped before the last window, or of a version never deployed", async () => {
    const { l, versionId, batcher, chainNow } = await setup();
    const undeployed = (await modelWithVersion(l, { approve: true })).versionId;
    expect(await codeOf(batcher.append(traceInput(versionId), traceInput(versionId, { time: chainNow - SEALABLE_AGE - 5 })))).toBe("TRACE_TOO_OLD");
    expect(await codeOf(batcher.append(traceInput(versionId), traceInput(undeployed)))).toBe("TRACE_VERSION_NOT_DEPLOYED");
    expect(await batcher.storage.countQueued()).toBe(0);
    const first = traceInput(versionId, { time: chainNow });
    await batcher.append(first);
    await batcher.flush();
    expect(await l.traces.lastToTime(ORG.HOSPITAL_A)).toBe(BigInt(chainNow));
    expect(await codeOf(batcher.append(traceInput(versionId, { time: chainNow - 1 })))).toBe("TIME_BEFORE_LAST_BATCH");
    // A retry of a trace already anchored is still a duplicate, not refused for its (earlier) time.
    expect(await batcher.append(first)).toEqual({ queueIds: [], duplicates: 1 });
    expect(await codeOf(batcher.append(traceInput(versionId, { time: chainNow })))).toBe("accepted"); // the same second is fine
    expect((await batcher.flush()).map((b) => [b.firstSeq, b.count])).toEqual([[1n, 1]]);
    await batcher.close();
  });

  it("quarantines a queued trace that a batch sealed meanwhile overtook, naming why; sequences stay contiguous", async () => {
    const { l, versionId, batcher, chainNow } = await setup(1);
    // Queued in one call, stamped out of order: the first batch ends after the second trace's time.
    await batcher.append(traceInput(versionId, { time: chainNow }), traceInput(versionId, { time: chainNow - 5 }), traceInput(versionId, { time: chainNow }));
    const flushed = await batcher.flush();
    expect(flushed.map((b) => [b.firstSeq, b.count, b.quarantined])).toEqual([[0n, 1, 0], [1n, 1, 0]]); // the middle one sealed alone, quarantined, no batch
    const [q] = await batcher.quarantined();
    expect([q.code, q.input.time, q.stage]).toEqual(["TIME_BEFORE_LAST_BATCH", chainNow - 5, "seal"]);
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(2n);
    await batcher.close();
  });

  it("quarantines a queued trace that aged past MAX_TRACE_AGE before it was sealed", async () => {
    const { l, versionId, batcher, chainNow } = await setup();
    await batcher.append(traceInput(versionId, { time: chainNow - SEALABLE_AGE + 30 }), traceInput(versionId, { time: chainNow }));
    await time.increase(120);
    const [b] = await batcher.flush();
    expect([b.firstSeq, b.count, b.quarantined]).toEqual([0n, 1, 1]);
    const [q] = await batcher.quarantined();
    expect([q.code, q.input.time]).toEqual(["TRACE_TOO_OLD", chainNow - SEALABLE_AGE + 30]);
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(1n);
    await batcher.close();
  });
});
