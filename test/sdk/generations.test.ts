/**
 * Ledger generations (issue 16, docs/consortium.md "Ledger generations"): a successor deployment
 * under the same governance closes generation 1 at the block before generation 2's first. Receipts
 * anchored in either generation verify VALID, by the chain (the SDK's Auditor) and by the index (the
 * API's POST /verify), although the successor's sequences start again at 0 and so repeat generation
 * 1's batch ids; a batch of no generation stays BATCH_UNKNOWN, including one anchored in generation
 * 1's contracts after it was closed; the index holds both generations' rows, whether built fresh or
 * continued across the migration, and catches the successor up in one that read past the close
 * without it. Old one-generation manifests still read as generation 1. In-process Hardhat.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { hexlify, randomBytes } from "ethers";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { modelWithVersion } from "../helpers/builders";
import { clock, traceInput } from "../helpers/traces";
import { inProcess, tempDb } from "../helpers/indexing";
import { AUTH, bearerFor } from "../helpers/api-fixture";
import { firstGeneration, fixtureMembers } from "../helpers/generations";
import {
  Auditor, TraceBatcher, deploySuccessor, generationsOf, parseDeployment, receiptFor,
  type Deployment, type TraceReceipt,
} from "../../src/sdk";
import { Purpose } from "../../src/constants";
import { IndexStore, createIndexer, createQueries } from "../../src/indexer";
import { buildApp, createFastify } from "../../src/api";
import { checkFormat } from "../../src/formats/validate";

const ROOT = join(__dirname, "..", "..");

const vaultDir = () => join(mkdtempSync(join(tmpdir(), "medprov-gen-")), "vault");

/** Hospital A anchors `n` traces (the patient's, who consented) with `batcher`; the receipts of everything it anchored so far. */
async function anchor(batcher: TraceBatcher, versionId: string, l: Ledger, deployment: Pick<Deployment, "chainId" | "addresses">, n = 3): Promise<TraceReceipt[]> {
  const now = await time.latest();
  clock.now = () => now;
  await batcher.append(...Array.from({ length: n }, () => traceInput(versionId, { subject: l.patient.address, time: now })));
  await batcher.flush();
  const out: TraceReceipt[] = [];
  for await (const a of batcher.storage.anchored()) out.push(receiptFor(a, deployment));
  return out;
}

const consent = async (l: Pick<Ledger, "consents" | "patient">) =>
  (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_A, (await time.latest()) + 10 ** 6)).wait();

/**
 * Generation 1 with a batch anchored, the migration, generation 2 with its own model, consent and
 * batch, then one more batch into generation 1's contracts after the close (not the ledger's).
 */
async function migratedWorld() {
  const l = await loadFixture(ledgerFixture);
  const gen1 = await firstGeneration(l);
  await consent(l);
  // A research consent granted in generation 1 only: the patient does not grant it again in generation 2.
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.RESEARCH, ORG.HOSPITAL_A, (await time.latest()) + 10 ** 6)).wait();
  const v1 = (await modelWithVersion(l, { approve: true, deploy: true })).versionId;
  const batcher1 = await TraceBatcher.open({ vaultPath: vaultDir(), ledger: l, signer: l.hospitalA });
  const receipts1 = await anchor(batcher1, v1, l, gen1);
  const headBefore = await hre.ethers.provider.getBlockNumber();

  const { contracts, deployment } = await deploySuccessor(l.deployer, gen1, { members: fixtureMembers(l) });
  const l2: Ledger = { ...l, ...contracts };
  await time.increase(60); // generation 2's writes a minute later: times tell the generations apart, not only blocks
  await consent(l2);
  const v2 = (await modelWithVersion(l2, { approve: true, deploy: true })).versionId;
  const batcher2 = await TraceBatcher.open({ vaultPath: vaultDir(), ledger: l2, signer: l.hospitalA });
  const receipts2 = await anchor(batcher2, v2, l2, deployment);
  // Generation 1's contracts still accept writes (nothing on-chain closes them), but past its toBlock they are not the ledger's.
  const late = (await anchor(batcher1, v1, l, gen1)).slice(receipts1.length);
  await batcher1.close();
  await batcher2.close();
  return { l, l2, gen1, migrated: deployment, receipts1, receipts2, late, headBefore };
}

const VALID_BY_CHAIN = { valid: true, reasons: [], skipped: ["CONSENT_NOT_VALID_AT_TIME"] };

describe("ledger generations", () => {
  it("migration closes generation 1 at the block before generation 2, under the same governance, and the manifest round-trips", async () => {
    const { gen1, migrated, headBefore } = await migratedWorld();
    const [one, two] = generationsOf(migrated);
    expect(generationsOf(migrated).length).toBe(2);
    expect(one).toMatchObject({ generation: 1, chainId: 31337, fromBlock: 0, addresses: gen1.addresses });
    expect(one.toBlock).toBeGreaterThanOrEqual(headBefore);
    expect(two.fromBlock).toBe(one.toBlock! + 1);
    expect(two.toBlock).toBeUndefined();
    expect(one.sealedAt).toBe((await hre.ethers.provider.getBlock(one.toBlock!))!.timestamp);
    expect(one.sealedAtIso).toBe(new Date(one.sealedAt! * 1000).toISOString());
    // The top-level fields are the current generation's: every writer (and older releases) moves to it.
    expect(migrated.addresses).toEqual(two.addresses);
    expect(migrated.deploymentBlock).toBe(two.fromBlock);
    expect([migrated.governance, migrated.governanceDelay]).toEqual([gen1.governance, gen1.governanceDelay]);
    expect(parseDeployment(JSON.parse(JSON.stringify(migrated)))).toEqual(migrated);
    // Written as JSON it follows the published format (schemas/deployment.json).
    expect(checkFormat("deployment", JSON.parse(JSON.stringify(migrated)))).toEqual([]);
  });

  it("receipts anchored in generation 1 and in generation 2 verify VALID against the migrated manifest; a batch of no generation is BATCH_UNKNOWN", async () => {
    const { l, l2, gen1, migrated, receipts1, receipts2, late } = await migratedWorld();
    // The successor's sequences start again at 0, so its first batch id is generation 1's.
    expect(receipts2[0].batchId).toBe(receipts1[0].batchId);
    expect(receipts2[0].traceAnchor).not.toBe(receipts1[0].traceAnchor);
    const auditor = new Auditor(l2, migrated, hre.ethers.provider);
    for (const r of [...receipts1, ...receipts2]) expect(await auditor.verifyReceipt(JSON.parse(JSON.stringify(r)))).toEqual(VALID_BY_CHAIN);

    // A batch id no generation anchored.
    const unknown = await auditor.verifyReceipt({ ...receipts1[0], batchId: hexlify(randomBytes(32)) });
    expect(unknown.reasons.map((x) => x.code)).toEqual(["BATCH_UNKNOWN"]);
    // Anchored in generation 1's contracts after its close: generation 1's own manifest would take it, the migrated one does not.
    expect(late.length).toBe(3);
    expect(await new Auditor(l, gen1, hre.ethers.provider).verifyReceipt(late[0])).toEqual(VALID_BY_CHAIN);
    const after = await auditor.verifyReceipt(late[0]);
    expect(after.reasons.map((x) => x.code)).toEqual(["BATCH_UNKNOWN"]);
    expect(after.reasons[0].message).toMatch(/generation 1's TraceAnchor within its blocks 0\.\.\d+/);
    // A TraceAnchor of no generation: WRONG_CONTRACT, naming both generations'.
    const elsewhere = await auditor.verifyReceipt({ ...receipts2[0], traceAnchor: "0x" + "11".repeat(20) });
    expect(elsewhere.reasons[0].code).toBe("WRONG_CONTRACT");
    expect(elsewhere.reasons[0].message).toContain("(generation 1)");
    expect(elsewhere.reasons[0].message).toContain("(generation 2)");
  });

  it("the index holds both generations' rows (and not generation 1's after its close); the API's POST /verify finds each receipt's batch in its own generation", async () => {
    const { l, l2, migrated, receipts1, receipts2, late } = await migratedWorld();
    const store = await IndexStore.open(tempDb());
    const indexer = createIndexer({ provider: inProcess, deployment: migrated, store });
    const stats = await indexer.syncOnce();
    expect(stats.ignoredLogs).toBeGreaterThan(0); // the late batch's log
    const q = createQueries(store);
    const anchoredTxs = (await q.batches({})).batches.map((b) => b.tx);
    expect(anchoredTxs).toEqual([receipts1[0].anchorTx, receipts2[0].anchorTx]);
    expect(anchoredTxs).not.toContain(late[0].anchorTx);

    const app = createFastify({});
    await app.register(buildApp, { queries: q, ledger: l2, deployment: migrated, provider: hre.ethers.provider, auth: AUTH, indexerStats: indexer.stats });
    await app.ready();
    try {
      const auditor = await bearerFor(app, l.auditor);
      const listed = await app.inject({ url: "/batches", headers: { authorization: auditor } });
      expect(listed.json().batches.map((b: { tx: string; generation: number }) => [b.tx, b.generation])).toEqual([[receipts1[0].anchorTx, 1], [receipts2[0].anchorTx, 2]]);
      const verify = await app.inject({ method: "POST", url: "/verify", headers: { authorization: auditor }, payload: { receipts: [...receipts1, ...receipts2, late[0]] } });
      expect(verify.statusCode).toBe(200);
      const results = verify.json().results as { valid: boolean; reasons: { code: string }[] }[];
      // Consent at the time is checked from the index here: the patient consented in each generation.
      expect(results.slice(0, 6)).toEqual(Array.from({ length: 6 }, () => ({ valid: true, reasons: [], skipped: [] })));
      expect(results[6].reasons.map((r) => r.code)).toEqual(["BATCH_UNKNOWN"]);
    } finally {
      await app.close();
      await store.close();
    }
  });

  it("a consent acts in the generation it was granted in: generation 1's grant, never granted again, is not in force in generation 2", async () => {
    const { l, receipts1, receipts2, migrated } = await migratedWorld();
    const store = await IndexStore.open(tempDb());
    try {
      await createIndexer({ provider: inProcess, deployment: migrated, store }).syncOnce();
      const q = createQueries(store);
      const [t1, t2] = [Number(receipts1[0].record.time), Number(receipts2[0].record.time)];
      const valid = (purpose: number, at: { block?: number; time: number }) => q.consentValidAt(l.patient.address, purpose, ORG.HOSPITAL_A, at);
      // Granted again in generation 2: in force in both.
      expect([await valid(Purpose.CLINICAL_DECISION_SUPPORT, { time: t1 }), await valid(Purpose.CLINICAL_DECISION_SUPPORT, { time: t2 })]).toEqual([true, true]);
      // Granted in generation 1 only: in force there, not after the migration (by time and by block).
      expect([await valid(Purpose.RESEARCH, { time: t1 }), await valid(Purpose.RESEARCH, { time: t2 })]).toEqual([true, false]);
      const [one, two] = generationsOf(migrated);
      const timeOf = async (b: number) => (await hre.ethers.provider.getBlock(b))!.timestamp;
      expect(await valid(Purpose.RESEARCH, { block: one.toBlock!, time: await timeOf(one.toBlock!) })).toBe(true);
      expect(await valid(Purpose.RESEARCH, { block: two.fromBlock, time: await timeOf(two.fromBlock) })).toBe(false);
    } finally {
      await store.close();
    }
  });

  it("an index of generation 1 continues into generation 2 when it stopped before the close, and catches generation 2 up when it read past the close without the successor", async () => {
    const l = await loadFixture(ledgerFixture);
    const gen1 = await firstGeneration(l);
    const early = await IndexStore.open(tempDb());
    await createIndexer({ provider: inProcess, deployment: gen1, store: early }).syncOnce();
    const { contracts, deployment: migrated } = await deploySuccessor(l.deployer, gen1, { members: fixtureMembers(l) });
    await mine(2);
    const late = await IndexStore.open(tempDb());
    await createIndexer({ provider: inProcess, deployment: gen1, store: late }).syncOnce(); // past the close, without generation 2
    await createIndexer({ provider: inProcess, deployment: migrated, store: early }).syncOnce();
    const fresh = await IndexStore.open(tempDb());
    await createIndexer({ provider: inProcess, deployment: migrated, store: fresh }).syncOnce();
    try {
      expect(await early.digest()).toBe(await fresh.digest());
      // Generation 2's admissions (same ids, same names) are in the continued index.
      const gen2Admission = generationsOf(migrated)[1].fromBlock;
      expect(Number((await createQueries(early).member(ORG.HOSPITAL_A))!.admittedBlock)).toBeGreaterThanOrEqual(gen2Admission);
      expect(await contracts.consortium.getAddress()).toBe(migrated.addresses.consortium);
      // Read past the close with generation 1's contracts only: generation 2's are caught up from its first block (test/indexer/generations-live.test.ts).
      await createIndexer({ provider: inProcess, deployment: migrated, store: late }).syncOnce();
      expect(await late.digest()).toBe(await fresh.digest());
    } finally {
      await Promise.all([early.close(), late.close(), fresh.close()]);
    }
  });

  it("reads manifests without generations as generation 1, reads the published example, and refuses generations out of order by field", () => {
    const example = JSON.parse(readFileSync(join(ROOT, "examples", "deployment.json"), "utf8"));
    expect(checkFormat("deployment", example)).toEqual([]);
    const parsed = parseDeployment(example);
    expect(generationsOf(parsed).map((g) => [g.generation, g.fromBlock, g.toBlock])).toEqual([[1, example.generations[0].fromBlock, example.generations[0].toBlock], [2, example.deploymentBlock, undefined]]);
    const { generations: _dropped, ...single } = example;
    const old = parseDeployment({ ...single, addresses: example.generations[0].addresses, deploymentBlock: 7 });
    expect(generationsOf(old)).toEqual([{ generation: 1, chainId: example.chainId, fromBlock: 7, addresses: old.addresses, versions: old.versions }]);
    expect(checkFormat("deployment", { ...single, addresses: example.generations[0].addresses })).toEqual([]);
    const refusedField = (patch: (g: typeof example.generations) => void) => {
      const copy = JSON.parse(JSON.stringify(example));
      patch(copy.generations);
      try {
        parseDeployment(copy);
      } catch (e) {
        return [(e as { code: string }).code, (e as { details: { field: string } }).details.field];
      }
      return undefined;
    };
    expect(refusedField((g) => (g[1].fromBlock = g[0].toBlock))).toEqual(["DEPLOYMENT_INVALID", "generations[1].fromBlock"]);
    expect(refusedField((g) => delete g[0].toBlock)).toEqual(["DEPLOYMENT_INVALID", "generations[0].toBlock"]);
    expect(refusedField((g) => (g[1].toBlock = g[1].fromBlock + 5))).toEqual(["DEPLOYMENT_INVALID", "generations[1].toBlock"]);
    expect(refusedField((g) => (g[0].generation = 2))).toEqual(["DEPLOYMENT_INVALID", "generations[0].generation"]);
    expect(refusedField((g) => (g[1].addresses = g[0].addresses))).toEqual(["DEPLOYMENT_INVALID", "addresses.manager"]);
  });
});
