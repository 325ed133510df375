/**
 * Recall impact counts only the traces that used the recalled version (issue 19, "Reports"): the
 * batcher anchors each batch's per-version trace counts, the indexer keeps them, and a batch that
 * mixes versions no longer counts all its traces against each of them.
 */
import { describe, it, expect } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG } from "../helpers/fixture";
import { h, modelWithVersion } from "../helpers/builders";
import { clock, traceInput } from "../helpers/traces";
import { deploymentOf, indexFresh } from "../helpers/indexing";
import { createQueries } from "../../src/indexer";
import { TraceBatcher, batchHeader } from "../../src/sdk";

describe("recall impact per version", () => {
  it("the batcher declares how many traces used each version", () => {
    const r = (modelVersion: string, time: bigint) => ({ modelVersion, time });
    expect(batchHeader([r("0xa", 5n), r("0xb", 3n), r("0xa", 9n), r("0xc", 4n), r("0xa", 6n)])).toEqual({ fromTime: 3n, toTime: 9n, versions: ["0xa", "0xb", "0xc"], versionCounts: [3, 1, 1] });
  });

  it("a batch mixing versions gives each version exactly the traces that used it", async () => {
    const l = await loadFixture(ledgerFixture);
    const [v1, v2, v3] = [(await modelWithVersion(l, { approve: true, deploy: true })).versionId, (await modelWithVersion(l, { approve: true, deploy: true })).versionId, (await modelWithVersion(l, { approve: true, deploy: true })).versionId];
    await time.increase(10);
    const now = await time.latest();
    clock.now = () => now;
    const vault = (name: string) => join(mkdtempSync(join(tmpdir(), "medprov-vault-")), name);
    const a = await TraceBatcher.open({ vaultPath: vault("a"), ledger: l, signer: l.hospitalA, maxBatch: 6 });
    const pattern = [v1, v2, v1, v3, v1, v2, /* next batch */ v2, v3, v3];
    await a.append(...pattern.map((v) => traceInput(v)));
    expect((await a.flush()).map((b) => b.count)).toEqual([6, 3]);
    await a.close();
    const b = await TraceBatcher.open({ vaultPath: vault("b"), ledger: l, signer: l.hospitalB });
    await b.append(traceInput(v2), traceInput(v1));
    await b.flush();
    await b.close();
    await (await l.models.connect(l.regulator).recallVersion(v2, h("reason"))).wait();

    const { store } = await indexFresh(await deploymentOf(l));
    const q = createQueries(store);
    expect(await q.recallImpact(v2)).toEqual({
      versionId: v2.toLowerCase(), status: 4, batches: 3, traces: 4,
      hospitals: [{ hospital: ORG.HOSPITAL_A, batches: 2, traces: 3 }, { hospital: ORG.HOSPITAL_B, batches: 1, traces: 1 }],
    });
    expect((await q.recallImpact(v1)).traces).toBe(4);
    expect((await q.recallImpact(v3)).traces).toBe(3);
    // Summed over versions, every trace is counted once.
    const all = [v1, v2, v3].map((v) => q.recallImpact(v));
    expect((await Promise.all(all)).reduce((n, r) => n + r.traces, 0)).toBe(pattern.length + 2);
    const [first] = (await q.batches({ hospital: ORG.HOSPITAL_A, limit: 1 })).batches;
    expect([first.versions, first.versionCounts]).toEqual([[v1, v2, v3].map((v) => v.toLowerCase()), [3, 2, 1]]);
    await store.close();
  });
});
