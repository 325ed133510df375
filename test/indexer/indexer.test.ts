import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG } from "../helpers/fixture";
import { deploymentOf, inProcess, indexFresh, tempDb } from "../helpers/indexing";
import { newState, prng, runWorkload } from "../helpers/workload";
import { batch, registration, modelWithVersion } from "../helpers/builders";
import { createIndexer, createQueries, IndexStore, type RpcSender } from "../../src/indexer";
import { deployLedger } from "../../src/sdk";

describe("indexer", () => {
  it("a full rebuild and the incremental index of a random workload have equal digests", async () => {
    const l = await loadFixture(ledgerFixture);
    const deployment = await deploymentOf(l);
    const store = await IndexStore.open(tempDb());
    const incremental = createIndexer({ provider: inProcess, deployment, store, maxRange: 7 });
    let s = newState();
    for (let round = 0; round < 6; round++) {
      s = await runWorkload(l, 1000 + round, 40, s);
      await incremental.syncOnce();
    }
    const rebuilt = await indexFresh(deployment, { maxRange: 5000 });
    expect(await store.digest()).toBe(await rebuilt.store.digest());
    const q = createQueries(store);
    expect((await q.members()).length).toBe(7);
    expect((await q.datasets()).length).toBe(s.datasets.length);
    expect(incremental.stats().events).toBeGreaterThan(100);
    await Promise.all([store.close(), rebuilt.store.close()]);
  });

  it("a range cut short at maxEventsPerRange keeps the logs past the cut: no block's logs are asked for twice", async () => {
    const l = await loadFixture(ledgerFixture);
    const deployment = await deploymentOf(l);
    await runWorkload(l, 5, 60);
    const asked: [number, number][] = [];
    const provider: RpcSender = {
      send(method, params) {
        if (method === "eth_getLogs") {
          const p = params[0] as { fromBlock: string; toBlock: string };
          asked.push([Number(p.fromBlock), Number(p.toBlock)]);
        }
        return inProcess.send(method, params);
      },
    };
    const store = await IndexStore.open(tempDb());
    const indexer = createIndexer({ provider, deployment, store, maxEventsPerRange: 4 });
    await indexer.syncOnce();
    expect(asked.length).toBeGreaterThan(1);
    // Several ranges came from one answer (the growth allows up to four times a range's logs).
    expect(asked.length).toBeLessThan((await time.latestBlock()) / 4);
    asked.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < asked.length; i++) expect(asked[i][0], `request ${i}`).toBeGreaterThan(asked[i - 1][1]);
    const fresh = await indexFresh(deployment);
    expect(await store.digest()).toBe(await fresh.store.digest());
    await Promise.all([store.close(), fresh.store.close()]);
  });

  it("rolls back reorgs of 1 to 10 blocks and ends identical to a fresh index of the new chain", async () => {
    const l = await loadFixture(ledgerFixture);
    const deployment = await deploymentOf(l);
    await runWorkload(l, 7, 30);
    const store = await IndexStore.open(tempDb());
    const indexer = createIndexer({ provider: inProcess, deployment, store, finality: 32 });
    await indexer.syncOnce();
    for (let k = 1; k <= 10; k++) {
      const snapshot = await hre.network.provider.send("evm_snapshot", []);
      const base = await time.latestBlock();
      // The old branch: k blocks, indexed.
      for (let i = 0; i < k; i++) await (await l.consents.connect(l.patient).grantConsent(l.patient.address, i % 6, 1, (await time.latest()) + 1000 + i)).wait();
      await indexer.syncOnce();
      expect((await store.cursor())!.block).toBe(base + k);
      // Replace them with a different branch one block longer.
      await hre.network.provider.send("evm_revert", [snapshot]);
      for (let i = 0; i <= k; i++) await (await l.consents.connect(l.patient2).grantConsent(l.patient2.address, i % 6, 2, (await time.latest()) + 2000 + i)).wait();
      await indexer.syncOnce();
      const fresh = await indexFresh(deployment);
      expect(await store.digest(), `reorg depth ${k}`).toBe(await fresh.store.digest());
      await fresh.store.close();
    }
    expect(indexer.stats().reorgs).toBeGreaterThanOrEqual(10);
    await store.close();
  });


  it("a reorg between a range's prefetch and its turn is rolled back like any other", async () => {
    const l = await loadFixture(ledgerFixture);
    const deployment = await deploymentOf(l);
    await runWorkload(l, 11, 10);
    const snapshot = await hre.network.provider.send("evm_snapshot", []);
    const base = await time.latestBlock();
    for (let i = 0; i < 12; i++) await (await l.consents.connect(l.patient).grantConsent(l.patient.address, i % 6, 1, (await time.latest()) + 1000 + i)).wait();
    // The RPC answers logs of blocks past `base` from the old branch, then the chain switches to a
    // longer one: the indexer holds (prefetched, or kept past a range's cut) blocks that no longer exist.
    let switched = false;
    // The switch runs inside a prefetch that syncOnce need not await: the loop below waits for it before
    // judging whether the index reached the head (else it could stop mid-switch, at the old branch's head).
    let switching: Promise<void> = Promise.resolve();
    const provider: RpcSender = {
      async send(method, params) {
        const answer = await inProcess.send(method, params);
        if (!switched && method === "eth_getLogs" && Number((params[0] as { toBlock: string }).toBlock) > base + 2) {
          switched = true;
          switching = (async () => {
            await hre.network.provider.send("evm_revert", [snapshot]);
            for (let i = 0; i < 14; i++) await (await l.consents.connect(l.patient2).grantConsent(l.patient2.address, i % 6, 2, (await time.latest()) + 2000 + i)).wait();
          })();
          await switching;
        }
        return answer;
      },
    };
    const store = await IndexStore.open(tempDb());
    // Small ranges (the first spans 2 blocks), every block within finality: ranges are prefetched near the head.
    const indexer = createIndexer({ provider, deployment, store, maxRange: 200, maxEventsPerRange: 3 });
    for (let i = 0; i < 10; i++) {
      await indexer.syncOnce();
      await switching;
      if (((await store.cursor())?.block ?? -1) >= (await time.latestBlock())) break;
    }
    expect(switched).toBe(true);
    expect(indexer.stats().reorgs).toBeGreaterThanOrEqual(1);
    const fresh = await indexFresh(deployment);
    expect(await store.digest()).toBe(await fresh.store.digest());
    await Promise.all([store.close(), fresh.store.close()]);
  });
  it("stops with a non-retryable error on a reorg deeper than the configured finality", async () => {
    const l = await loadFixture(ledgerFixture);
    const deployment = await deploymentOf(l);
    const snapshot = await hre.network.provider.send("evm_snapshot", []);
    for (let i = 0; i < 6; i++) await (await l.consents.connect(l.patient).grantConsent(l.patient.address, 1, 1, (await time.latest()) + 1000)).wait();
    const store = await IndexStore.open(tempDb());
    const indexer = createIndexer({ provider: inProcess, deployment, store, finality: 3 });
    await indexer.syncOnce();
    await hre.network.provider.send("evm_revert", [snapshot]);
    for (let i = 0; i < 8; i++) await (await l.consents.connect(l.patient2).grantConsent(l.patient2.address, 1, 1, (await time.latest()) + 1000)).wait();
    await expect(indexer.syncOnce()).rejects.toMatchObject({ code: "REORG_TOO_DEEP", retryable: false });
    await store.close();
  });


  it("a range that fails while it is applied or written lands nothing, and the next sync completes it", async () => {
    const l = await loadFixture(ledgerFixture);
    const deployment = await deploymentOf(l);
    const s = await runWorkload(l, 77, 30);
    const store = await IndexStore.open(tempDb());
    const indexer = createIndexer({ provider: inProcess, deployment, store, maxRange: 5000 });
    await indexer.syncOnce();
    const before = { cursor: await store.cursor(), digest: await store.digest() };
    await runWorkload(l, 78, 30, s);
    // Every LevelDB batch the indexer starts, to check that none is left open after a failure.
    const batches: ReturnType<typeof store.db.batch>[] = [];
    const startBatch = store.db.batch.bind(store.db);
    let failWrite = false;
    store.db.batch = ((...args: unknown[]) => {
      if (args.length > 0) return (startBatch as (...a: unknown[]) => unknown)(...args);
      const b = startBatch();
      batches.push(b);
      if (failWrite) b.write = async () => Promise.reject(new Error("disk full"));
      return b;
    }) as typeof store.db.batch;

    // Applying: a read of the index (a revocation reads the consent it revokes) fails once.
    const read = store.get.bind(store);
    let failRead = true;
    store.get = (async (key: string) => {
      if (failRead && !key.startsWith("meta:")) {
        failRead = false;
        throw new Error("read failed");
      }
      return read(key);
    }) as typeof store.get;
    await expect(indexer.syncOnce()).rejects.toThrow("read failed");
    expect(failRead).toBe(false);
    expect(await store.cursor()).toEqual(before.cursor);
    expect(await store.digest()).toBe(before.digest);

    // Writing: the range's atomic batch is refused.
    failWrite = true;
    await expect(indexer.syncOnce()).rejects.toThrow("disk full");
    failWrite = false;
    expect(await store.cursor()).toEqual(before.cursor);
    expect(await store.digest()).toBe(before.digest);
    expect(batches.length).toBeGreaterThanOrEqual(2);
    for (const b of batches) expect(() => b.put("x", 1)).toThrow(expect.objectContaining({ code: "LEVEL_BATCH_NOT_OPEN" }));

    await indexer.syncOnce();
    const rebuilt = await indexFresh(deployment, { maxRange: 5000 });
    expect(await store.digest()).toBe(await rebuilt.store.digest());
    await Promise.all([store.close(), rebuilt.store.close()]);
  });
  it("never indexes a look-alike contract's events, even when the RPC slips them in", async () => {
    const l = await loadFixture(ledgerFixture);
    const deployment = await deploymentOf(l);
    const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
    await (await l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [versionId]))).wait();
    // A second, identical ledger: same ABI, same events, other addresses.
    const { contracts: fake } = await deployLedger(l.deployer, { governance: l.deployer.address, governanceDelay: 0 });
    await (await fake.consortium.connect(l.deployer).admitMember("Impostor", 1, [l.outsider.address])).wait();
    await (await fake.datasets.connect(l.outsider).registerDataset(registration())).wait();
    const fakeAddress = (await fake.datasets.getAddress()).toLowerCase();
    const fakeLogs = await hre.network.provider.request({ method: "eth_getLogs", params: [{ fromBlock: "0x0", toBlock: "latest", address: fakeAddress }] }) as unknown[];
    expect(fakeLogs.length).toBeGreaterThan(0);
    // An RPC that adds the look-alike's logs to every answer.
    const lying: RpcSender = {
      send: async (method, params) => {
        const result = await inProcess.send(method, params);
        return method === "eth_getLogs" ? [...(result as unknown[]), ...fakeLogs] : result;
      },
    };
    const honest = await indexFresh(deployment);
    const store = await IndexStore.open(tempDb());
    const indexer = createIndexer({ provider: lying, deployment, store });
    await indexer.syncOnce();
    expect(indexer.stats().ignoredLogs).toBeGreaterThan(0);
    expect(await store.digest()).toBe(await honest.store.digest());
    expect((await createQueries(store).datasets()).length).toBe(1); // only the real ledger's
    expect((await createQueries(store).members()).length).toBe(7);
    await Promise.all([store.close(), honest.store.close()]);
  });

  it("applies logs in chain order whatever order the RPC answers in, and refuses duplicated or unnumbered logs", async () => {
    const l = await loadFixture(ledgerFixture);
    const deployment = await deploymentOf(l);
    await runWorkload(l, 21, 30);
    const r = prng(5);
    const tampered = (change: (logs: { logIndex: string }[]) => unknown[]): RpcSender => ({
      send: async (method, params) => {
        const out = await inProcess.send(method, params);
        return method === "eth_getLogs" && (out as unknown[]).length > 1 ? change([...(out as { logIndex: string }[])]) : out;
      },
    });
    // Reversed, then shuffled: the same index as an honest RPC's.
    const honest = await indexFresh(deployment);
    for (const order of [(logs: unknown[]) => logs.reverse(), (logs: unknown[]) => logs.map((x) => [r.next(), x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x)]) {
      const store = await IndexStore.open(tempDb());
      await createIndexer({ provider: tampered(order), deployment, store }).syncOnce();
      expect(await store.digest()).toBe(await honest.store.digest());
      await store.close();
    }
    // A log twice, or a log index that is not a number: the range is refused, never applied.
    for (const [change, reason] of [[(logs: { logIndex: string }[]) => [...logs, logs[0]], /twice/], [(logs: { logIndex: string }[]) => [{ ...logs[0], logIndex: "0xnope" }, ...logs.slice(1)], /log index/]] as const) {
      const store = await IndexStore.open(tempDb());
      await expect(createIndexer({ provider: tampered(change), deployment, store, retries: 1 }).syncOnce()).rejects.toMatchObject({ code: "RPC_INCONSISTENT", message: reason });
      expect(await store.cursor()).toBeUndefined();
      await store.close();
    }
    await honest.store.close();
  });

  it("detects an RPC that silently leaves out a recent block's logs (bloom, then receipts) and re-reads it", async () => {
    const l = await loadFixture(ledgerFixture);
    const deployment = await deploymentOf(l);
    await runWorkload(l, 77, 30);
    await (await l.consents.connect(l.patient).grantConsent(l.patient.address, 3, 2, (await time.latest()) + 1000)).wait();
    const head = await time.latestBlock();
    // A lagging backend behind a load balancer: the newest block's logs are missing from the first answers.
    let lies = 0;
    const lagging = (times: number): RpcSender => ({
      send: async (method, params) => {
        const out = await inProcess.send(method, params);
        if (method !== "eth_getLogs" || lies >= times) return out;
        const kept = (out as { blockNumber: string }[]).filter((log) => Number(log.blockNumber) !== head);
        if (kept.length < (out as unknown[]).length) lies++;
        return kept;
      },
    });
    const store = await IndexStore.open(tempDb());
    const indexer = createIndexer({ provider: lagging(2), deployment, store, retries: 5 });
    await indexer.syncOnce();
    expect(lies).toBe(2);
    expect(indexer.stats().rpcErrors).toBeGreaterThanOrEqual(2);
    const honest = await indexFresh(deployment);
    expect(await store.digest()).toBe(await honest.store.digest());
    // One that never catches up stops the indexer with a named error instead of skipping the block.
    lies = 0;
    const stuck = createIndexer({ provider: lagging(Infinity), deployment, store: await IndexStore.open(tempDb()), retries: 2 });
    await expect(stuck.syncOnce()).rejects.toMatchObject({ code: "RPC_INCONSISTENT", message: new RegExp(`block ${head}`) });
    await Promise.all([store.close(), honest.store.close()]);
  });

  it("logsBloom: a block's bloom holds the addresses that logged in it", async () => {
    const { bloomBits, bloomMayContain } = await import("../../src/indexer/bloom");
    const l = await loadFixture(ledgerFixture);
    const receipt = await (await l.consents.connect(l.patient).grantConsent(l.patient.address, 2, 1, (await time.latest()) + 1000)).wait();
    const block = await hre.network.provider.request({ method: "eth_getBlockByNumber", params: ["0x" + receipt!.blockNumber.toString(16), false] }) as { logsBloom: string };
    expect(bloomMayContain(block.logsBloom, bloomBits(await l.consents.getAddress()))).toBe(true);
    const strangers = Array.from({ length: 20 }, (_, i) => "0x" + (i + 1).toString(16).padStart(40, "0"));
    expect(strangers.filter((a) => bloomMayContain(block.logsBloom, bloomBits(a))).length).toBeLessThan(3);
    expect(bloomMayContain("0x" + "00".repeat(256), bloomBits(await l.consents.getAddress()))).toBe(false);
  });

  it("records cancellations in the history, moves a granted slot's signing time, and makes no consent row for a slot never granted", async () => {
    const l = await loadFixture(ledgerFixture);
    const deployment = await deploymentOf(l);
    const [subject, purpose] = [l.patient.address, 3];
    const revoke = async (grantee: number) => (await l.consents.connect(l.patient).revokeConsent(subject, purpose, grantee)).wait();
    await revoke(ORG.HOSPITAL_B); // never granted: a cancellation
    await (await l.consents.connect(l.patient).grantConsent(subject, purpose, ORG.HOSPITAL_A, BigInt(await time.latest()) + 86_400n)).wait();
    await revoke(ORG.HOSPITAL_A);
    await time.increase(5);
    await revoke(ORG.HOSPITAL_A); // already revoked: a cancellation
    const { store } = await indexFresh(deployment);
    const q = createQueries(store);
    expect((await q.consentHistory(subject)).map((e) => [e.kind, e.grantee])).toEqual([["CANCELLED", ORG.HOSPITAL_B], ["GRANTED", ORG.HOSPITAL_A], ["REVOKED", ORG.HOSPITAL_A], ["CANCELLED", ORG.HOSPITAL_A]]);
    const rows = await q.consents(subject);
    const onChain = await l.consents.consent(subject, purpose, ORG.HOSPITAL_A);
    expect(rows.map((r) => [r.grantee, r.grantedAt, r.expiresAt, r.revokedAt, r.signedAt])).toEqual([[ORG.HOSPITAL_A, ...[...onChain].map(Number)]]);
    await store.close();
  });

  it("as-of consent answers equal the contract's isConsentValid at every historical block, across a member's suspension and reinstatement", async () => {
    const l = await loadFixture(ledgerFixture);
    const deployment = await deploymentOf(l);
    const start = await time.latestBlock();
    // "Any member" covers hospital B only while it is ACTIVE: the index must know its status as of each block.
    const state = await runWorkload(l, 42, 40);
    await (await l.consortium.connect(l.regulator).suspendMember(ORG.HOSPITAL_B)).wait();
    await runWorkload(l, 43, 20, state);
    await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("reinstateMember", [ORG.HOSPITAL_B]) });
    await runWorkload(l, 44, 20, state);
    const { store } = await indexFresh(deployment);
    const q = createQueries(store);
    const head = await time.latestBlock();
    const subjects = [l.patient, l.patient2, l.spare[0], l.spare[1]].map((s) => s.address);
    const r = prng(5);
    let compared = 0;
    let valid = 0;
    for (let b = start; b <= head; b++) {
      const t = (await hre.ethers.provider.getBlock(b))!.timestamp;
      for (let i = 0; i < 4; i++) {
        const [s, p, g] = [r.pick(subjects), r.int(6), r.pick([0, 1, 2, ORG.HOSPITAL_SUSPENDED])];
        const onChain = await l.consents.isConsentValid(s, p, g, { blockTag: b });
        expect(await q.consentValidAt(s, p, g, { block: b, time: t }), `block ${b} ${s} ${p} ${g}`).toBe(onChain);
        compared++;
        if (onChain) valid++;
      }
    }
    expect(compared).toBeGreaterThan(300);
    expect(valid).toBeGreaterThan(5);
    await store.close();
  });
});
