/**
 * GET /incidents/:id/evidence keeps packs between requests (src/api/evidence-cache.ts): a second
 * identical request reads no logs from the chain; a determination recorded, a receipt filed or the
 * weighting of the case changed gives a new pack; the cache holds at most `cacheSize` incidents.
 * Log reads are counted on the provider the route's ledger is connected through.
 */
import { describe, it, expect, type TestContext } from "vitest";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { h } from "../helpers/builders";
import { indexFresh } from "../helpers/indexing";
import { AUTH, bearerFor } from "../helpers/api-fixture";
import { closeAfter } from "../helpers/api-build";
import { limitedProvider } from "../helpers/limited-provider";
import { anchorOne, decision, evidenceWorld, incidentOf, evidenceDeployment } from "../helpers/evidence-world";
import { LiabilityCase } from "../../src/constants";
import { connectLedger } from "../../src/core";
import { createQueries } from "../../src/indexer";
import { buildApp, createFastify } from "../../src/api";
import { EvidenceCache } from "../../src/api/evidence-cache";
import { incidentEvidenceRoutes } from "../../src/api/routes/incident-evidence";
import type { TraceReceipt } from "../../src/sdk";

async function cacheWorld() {
  const w = await evidenceWorld();
  const receipt = await anchorOne(w.l, await decision(w.l, w.versionId));
  const first = await incidentOf(w.l, receipt, "INCORRECT");
  const otherReceipt = await anchorOne(w.l, await decision(w.l, w.versionId));
  const second = await incidentOf(w.l, otherReceipt, "INCORRECT");
  const deployment = await evidenceDeployment(w.l);
  const { store } = await indexFresh(deployment);
  return { ...w, deployment, store, first, second, receipt, otherReceipt };
}

/** Test `t`'s own app (closed when it finishes) whose evidence route reads the chain through a counting provider; receipts filed through `file`. */
async function appOf(t: TestContext, f: Awaited<ReturnType<typeof cacheWorld>>, cacheSize?: number) {
  const counted = limitedProvider();
  const filed = new Map<number, TraceReceipt>([[f.first, f.receipt]]);
  const app = createFastify({});
  await app.register(async (child) => {
    await buildApp(child, { queries: createQueries(f.store), ledger: f.l, deployment: f.deployment, provider: hre.ethers.provider, auth: AUTH, rateLimit: 1_000_000 });
    incidentEvidenceRoutes(child, { receipts: { get: async (id) => filed.get(id) }, ledger: connectLedger(f.deployment, counted.provider), deployment: f.deployment, cacheSize });
  });
  closeAfter(t, app);
  await app.ready();
  const auth = await bearerFor(app, f.l.regulator);
  const ask = async (id: number, query = "") => {
    counted.reset();
    const r = await app.inject({ url: `/incidents/${id}/evidence${query}`, headers: { authorization: auth } });
    return { status: r.statusCode, body: r.json(), logReads: counted.calls.get("eth_getLogs") ?? 0, blockReads: counted.calls.get("eth_getBlockByNumber") ?? 0 };
  };
  return { app, ask, file: (id: number, r: TraceReceipt) => filed.set(id, r) };
}

describe("GET /incidents/:id/evidence, cached", () => {
  it("a second identical request reads no logs and no blocks, and answers the same pack (and its FHIR Bundle from it)", async (t) => {
    const f = await loadFixture(cacheWorld);
    const { ask } = await appOf(t, f);
    const once = await ask(f.first);
    expect([once.status, once.logReads > 10]).toEqual([200, true]);
    const again = await ask(f.first);
    expect([again.status, again.logReads, again.blockReads]).toEqual([200, 0, 0]);
    expect(again.body).toEqual(once.body);
    const fhir = await ask(f.first, "?format=fhir");
    expect([fhir.status, fhir.body.resourceType, fhir.logReads]).toEqual([200, "Bundle", 0]);
  });

  it("a determination recorded, or the weighting of the case changed, gives a new pack", async (t) => {
    const f = await loadFixture(cacheWorld);
    const { ask } = await appOf(t, f);
    expect((await ask(f.first)).body.determination).toBeNull();
    await (await f.l.incidents.connect(f.appraiser).recordDetermination(f.first, { developer: 3000, hospital: 1000, clinician: 6000 }, h("ruling"))).wait();
    const determined = await ask(f.first);
    expect([determined.logReads > 0, determined.body.determination?.shares]).toEqual([true, { DEVELOPER: 3000, HOSPITAL: 1000, CLINICIAN: 6000 }]);
    expect((await ask(f.first)).logReads).toBe(0);
    await f.l.govern({ target: f.l.incidents, data: f.l.incidents.interface.encodeFunctionData("setWeighting", [LiabilityCase.ADOPTED_WRONG, { developer: 5000, hospital: 0, clinician: 5000 }]) });
    const reweighted = await ask(f.first);
    expect([reweighted.logReads > 0, reweighted.body.weighting.shares]).toEqual([true, { DEVELOPER: 5000, HOSPITAL: 0, CLINICIAN: 5000 }]);
  });

  it("a receipt filed turns 409 into the pack, and the cache holds at most cacheSize incidents", async (t) => {
    const f = await loadFixture(cacheWorld);
    const { ask, file } = await appOf(t, f, 1);
    expect([(await ask(f.second)).status, (await ask(f.second)).body.error.code]).toEqual([409, "EVIDENCE_NO_RECEIPT"]);
    file(f.second, f.otherReceipt);
    const filed = await ask(f.second);
    expect([filed.status, filed.body.incident.id, filed.logReads > 0]).toEqual([200, f.second, true]);
    expect((await ask(f.second)).logReads).toBe(0);
    expect((await ask(f.first)).logReads).toBeGreaterThan(0); // evicts the second's
    expect((await ask(f.second)).logReads).toBeGreaterThan(0);
  });

  it("EvidenceCache: one entry per incident, a new state replaces it, the least recently asked for goes first, a failed build is not kept", async () => {
    const cache = new EvidenceCache<string>(2);
    let builds = 0;
    const build = (v: string) => async () => (builds++, v);
    expect(await cache.get(1, "a", build("1a"))).toBe("1a");
    expect(await cache.get(1, "a", build("x"))).toBe("1a");
    expect(await cache.get(1, "b", build("1b"))).toBe("1b");
    expect([cache.size, builds]).toEqual([1, 2]);
    await cache.get(2, "a", build("2a"));
    await cache.get(1, "b", build("x")); // 1 is now the most recent
    await cache.get(3, "a", build("3a")); // evicts 2
    expect(await cache.get(2, "a", build("2a again"))).toBe("2a again");
    await expect(cache.get(4, "a", async () => { throw new Error("chain down"); })).rejects.toThrow("chain down");
    expect(await cache.get(4, "a", build("4a"))).toBe("4a");
  });
});
