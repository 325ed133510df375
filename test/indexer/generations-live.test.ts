/**
 * An indexer that runs while the consortium migrates to a successor generation (issue 16,
 * docs/consortium.md "Ledger generations"): it re-reads the manifest before each sync pass, and once
 * the manifest gains generation 2 — whose first blocks it has already read with generation 1's
 * contracts only — it catches generation 2 up from its first block, with no rebuild and nothing
 * applied twice: its state digest then equals a fresh index's over both generations. A catch-up
 * stopped half-way continues where it stopped. An index that applied generation 1 events after the
 * close the manifest now names is refused (INDEX_GENERATIONS). `medprov serve`'s service follows the
 * same way, and its API answers with the generation adopted. In-process Hardhat (the service
 * reaches it through an HTTP bridge).
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, type Ledger } from "../helpers/fixture";
import { modelWithVersion } from "../helpers/builders";
import { inProcess, tempDb } from "../helpers/indexing";
import { anchorInGeneration, consentToHospitalA, firstGeneration, fixtureMembers } from "../helpers/generations";
import { deploySuccessor, generationsOf, type Deployment } from "../../src/sdk";
import { IndexStore, createIndexer, createQueries, type RpcSender } from "../../src/indexer";
import { startService } from "../../src/api";
import { AUTH, bearerFor } from "../helpers/api-fixture";
import { freePort } from "../helpers/node";
import { rpcBridge } from "../helpers/cli-in-process";

/** Waits (polling, no deadline of its own: the test's timeout bounds it) until `ready` holds. */
async function until(ready: () => Promise<boolean>): Promise<void> {
  while (!(await ready())) await new Promise((r) => setTimeout(r, 20));
}

/** Generation 1 with a consent and a batch; then the successor, deployed but not yet in the manifest the indexer reads. */
async function gen1World() {
  const l = await loadFixture(ledgerFixture);
  const gen1 = await firstGeneration(l);
  await consentToHospitalA(l);
  const r1 = await anchorInGeneration(l, gen1, (await modelWithVersion(l, { approve: true, deploy: true })).versionId);
  return { l, gen1, r1 };
}

/** Generation 2's writes: a consent, a model approved and deployed, a batch. */
async function writeInGeneration2(l: Ledger, migrated: Deployment, contracts: Partial<Ledger>) {
  const l2: Ledger = { ...l, ...contracts };
  await time.increase(60);
  await consentToHospitalA(l2);
  return anchorInGeneration(l2, migrated, (await modelWithVersion(l2, { approve: true, deploy: true })).versionId);
}

const head = () => hre.ethers.provider.getBlockNumber();

/** `store` has the state digest of a fresh index built over `deployment`'s generations. */
async function expectFreshEqual(store: IndexStore, deployment: Deployment): Promise<void> {
  const fresh = await IndexStore.open(tempDb());
  try {
    await createIndexer({ provider: inProcess, deployment, store: fresh }).syncOnce();
    expect(await store.digest()).toBe(await fresh.digest());
  } finally {
    await fresh.close();
  }
}

describe("a running indexer follows a migration to a successor generation", () => {
  it("picks generation 2 up from the manifest it re-reads, catches it up from its first block, and equals a fresh index over both", async () => {
    const { l, gen1, r1 } = await gen1World();
    let manifest = gen1;
    const store = await IndexStore.open(tempDb());
    const indexer = createIndexer({ provider: inProcess, deployment: gen1, manifest: () => manifest, store, pollMs: 10 });
    const q = createQueries(store);
    const stop = new AbortController();
    const running = indexer.run(stop.signal);
    try {
      await until(async () => indexer.stats().indexed >= (await head()));
      expect((await q.batches({})).batches.map((b) => b.tx)).toEqual([r1[0].anchorTx]);

      // The migration, and generation 2's writes, while the indexer still reads generation 1's manifest.
      const { contracts, deployment: migrated } = await deploySuccessor(l.deployer, gen1, { members: fixtureMembers(l) });
      const r2 = await writeInGeneration2(l, migrated, contracts);
      await mine(2);
      await until(async () => indexer.stats().indexed >= (await head()));
      const [, g2] = generationsOf(migrated);
      expect(indexer.stats().indexed).toBeGreaterThan(g2.fromBlock); // it read generation 2's blocks without its contracts
      expect((await q.batches({})).batches.map((b) => b.tx)).toEqual([r1[0].anchorTx]);

      // deployments/<name>.json now lists generation 2 (as `deploy --successor` rewrites it).
      manifest = migrated;
      await until(async () => (await q.batches({})).batches.length === 2);
      expect(indexer.deployment()).toBe(migrated);
      expect((await q.batches({})).batches.map((b) => b.tx)).toEqual([r1[0].anchorTx, r2[0].anchorTx]);

      // It keeps following both: a later write in generation 2 appears as any write does.
      const models = (await q.models()).length;
      const later = await modelWithVersion({ ...l, ...contracts }, { name: "registered-after-the-catch-up" });
      await until(async () => (await q.models()).length === models + 1);
      expect((await q.models()).map((m) => m.modelId)).toContain(later.modelId);
      await until(async () => indexer.stats().indexed >= (await head()));
      stop.abort();
      await running;

      await expectFreshEqual(store, migrated);
    } finally {
      stop.abort();
      await running.catch(() => undefined);
      await store.close();
    }
  });

  it("a catch-up stopped half-way continues where it stopped, applying nothing twice", async () => {
    const { l, gen1 } = await gen1World();
    const store = await IndexStore.open(tempDb());
    const { contracts, deployment: migrated } = await deploySuccessor(l.deployer, gen1, { members: fixtureMembers(l) });
    await writeInGeneration2(l, migrated, contracts);
    const before = await createIndexer({ provider: inProcess, deployment: gen1, store }).syncOnce(); // past the close, without generation 2
    // A node that stops answering eth_getLogs for generation 2's contracts after the catch-up's third range (a block or few a range here).
    let calls = 0;
    const g2traces = generationsOf(migrated)[1].addresses.traces.toLowerCase();
    const failing: RpcSender = {
      send: async (method, params) => {
        const forGeneration2 = method === "eth_getLogs" && (params as { address: string[] }[])[0].address.includes(g2traces);
        if (forGeneration2 && ++calls > 3) throw Object.assign(new Error("node went away"), { code: -32000 });
        return inProcess.send(method, params);
      },
    };
    const cut = createIndexer({ provider: failing, deployment: migrated, store, maxRange: 100, maxEventsPerRange: 1, retries: 0 });
    await expect(cut.syncOnce()).rejects.toThrow();
    expect(cut.stats().events).toBeGreaterThan(0); // some of generation 2's ranges landed before the node went away
    const stored = (await store.get<{ caughtUpTo?: number }[]>("meta:generations"))!;
    expect(stored[1].caughtUpTo).toBeGreaterThanOrEqual(generationsOf(migrated)[1].fromBlock);
    const resumed = await createIndexer({ provider: inProcess, deployment: migrated, store }).syncOnce();
    expect((await store.get<{ caughtUpTo?: number }[]>("meta:generations"))![1].caughtUpTo).toBeUndefined();
    const fresh = await IndexStore.open(tempDb());
    try {
      const all = await createIndexer({ provider: inProcess, deployment: migrated, store: fresh }).syncOnce();
      expect(await store.digest()).toBe(await fresh.digest());
      // Every event applied exactly once over the three runs: as many as the fresh index applied.
      expect(before.events + cut.stats().events + resumed.events).toBe(all.events);
    } finally {
      await Promise.all([store.close(), fresh.close()]);
    }
  });

  it("refuses (INDEX_GENERATIONS) the migrated manifest when it applied generation 1 events after the close the manifest names", async () => {
    const { l, gen1 } = await gen1World();
    const { deployment: migrated } = await deploySuccessor(l.deployer, gen1, { members: fixtureMembers(l) });
    // Generation 1's contracts still take writes after the close (nothing on-chain closes them); an index of generation 1 applies them.
    await consentToHospitalA(l);
    const store = await IndexStore.open(tempDb());
    try {
      await createIndexer({ provider: inProcess, deployment: gen1, store }).syncOnce();
      await expect(createIndexer({ provider: inProcess, deployment: migrated, store }).syncOnce()).rejects.toMatchObject({ code: "INDEX_GENERATIONS", message: expect.stringMatching(/closes generation 1 at block \d+, but its contracts recorded an event after it/) });
    } finally {
      await store.close();
    }
  });

  it("serve: the service's indexer adopts generation 2 from the manifest it re-reads; its API names each batch's generation, reads roles from generation 2's Consortium and gives the web app its consent registry", async () => {
    const { l, gen1, r1 } = await gen1World();
    let manifest = gen1;
    const bridge = await rpcBridge();
    const service = await startService({ rpc: bridge.url, deployment: gen1, manifest: () => manifest, db: tempDb(), port: await freePort(), publicUrl: AUTH.uri, logger: false, headMaxAgeMs: 0 });
    try {
      const { contracts, deployment: migrated } = await deploySuccessor(l.deployer, gen1, { members: fixtureMembers(l) });
      const r2 = await writeInGeneration2(l, migrated, contracts);
      await until(async () => service.indexer.stats().indexed >= (await head()));
      manifest = migrated;
      const q = createQueries(service.store);
      await until(async () => (await q.batches({})).batches.length === 2);
      const auditor = await bearerFor(service.app, l.auditor);
      const listed = await service.app.inject({ url: "/batches", headers: { authorization: auditor } });
      expect(listed.statusCode, listed.body).toBe(200);
      expect(listed.json().batches.map((b: { tx: string; generation: number }) => [b.tx, b.generation])).toEqual([[r1[0].anchorTx, 1], [r2[0].anchorTx, 2]]);
      const verified = await service.app.inject({ method: "POST", url: "/verify", headers: { authorization: auditor }, payload: { receipts: [r1[0], r2[0]] } });
      expect(verified.json().results.map((r: { valid: boolean }) => r.valid)).toEqual([true, true]);

      // Roles come from the successor's Consortium: a member suspended in generation 2 only (still
      // active in generation 1's) is refused without a restart.
      const hospitalB = await bearerFor(service.app, l.hospitalB);
      const [orgB] = await contracts.consortium.keyInfo(l.hospitalB.address);
      await (await contracts.consortium.connect(l.regulator).suspendMember(orgB)).wait();
      const refused = await service.app.inject({ url: "/batches", headers: { authorization: hospitalB } });
      expect([refused.statusCode, refused.json().error?.code]).toEqual([403, "FORBIDDEN"]);
      // The web app has patients sign consents for the successor's consent registry.
      const config = await service.app.inject({ url: "/web/config.json" });
      expect([config.statusCode, config.json().consentDomain?.verifyingContract]).toEqual([200, await contracts.consents.getAddress()]);
    } finally {
      await service.close();
      await bridge.close();
    }
  });

  it("a reorg below blocks the catch-up filled is rolled back like any other: the caught-up rows are journalled", async () => {
    const { l, gen1 } = await gen1World();
    const { contracts, deployment: migrated } = await deploySuccessor(l.deployer, gen1, { members: fixtureMembers(l) });
    const l2: Ledger = { ...l, ...contracts };
    await consentToHospitalA(l2);
    const snapshot = await hre.network.provider.send("evm_snapshot", []);
    // The old branch: generation 2 grants, read first without generation 2's contracts, then caught up.
    for (let i = 0; i < 3; i++) await (await l2.consents.connect(l.patient).grantConsent(l.patient.address, i, 1, (await time.latest()) + 1000 + i)).wait();
    const store = await IndexStore.open(tempDb());
    try {
      await createIndexer({ provider: inProcess, deployment: gen1, store }).syncOnce();
      const indexer = createIndexer({ provider: inProcess, deployment: migrated, store, finality: 32 });
      await indexer.syncOnce();
      expect((await createQueries(store).consents(l.patient.address)).length).toBeGreaterThanOrEqual(3);
      // A different branch, one block longer, replaces those blocks.
      await hre.network.provider.send("evm_revert", [snapshot]);
      for (let i = 0; i < 4; i++) await (await l2.consents.connect(l.patient2).grantConsent(l.patient2.address, i, 2, (await time.latest()) + 2000 + i)).wait();
      await indexer.syncOnce();
      expect(indexer.stats().reorgs).toBe(1);
      await expectFreshEqual(store, migrated);
    } finally {
      await store.close();
    }
  });
});
