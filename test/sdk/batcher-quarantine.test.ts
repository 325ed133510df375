/**
 * A batch sealed before one of its model versions was suspended or recalled must not wedge the
 * batcher (issue 13): the chain's refusal unseals it, that version's traces are quarantined with a
 * named reason, the rest are sealed again under the same firstSeq, later traces anchor, earlier
 * receipts stay readable without sending anything, and the refusal is reported, never swallowed.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Signer } from "ethers";
import { ORG, type Ledger } from "../helpers/fixture";
import { h } from "../helpers/builders";
import { traceInput } from "../helpers/traces";
import { deploymentOf } from "../helpers/indexing";
import { twoApprovedVersions } from "../helpers/two-versions";
import { Level } from "level";
import { Auditor, BatchRefusedError, TraceBatcher, TraceVault, VAULT_FORMAT, receiptFor, type MedprovError, type TraceInput } from "../../src/sdk";
import { TraceTree } from "../../src/sdk/traces/merkle";

const vaultDir = () => join(mkdtempSync(join(tmpdir(), "medprov-vault-")), "vault");

/**
 * The signer, except that its first send runs `before` first (or, with no `before`, throws as a
 * process dying between sealing and sending would: the batch stays sealed, nothing is sent).
 */
function firstSend<T extends Signer>(signer: T, before?: () => Promise<void>): T {
  let first = true;
  return new Proxy(signer, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (prop !== "sendTransaction" || !first) return typeof v === "function" ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        first = false;
        if (!before) throw new Error("simulated crash between seal and send");
        await before();
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function setup() {
  const { l, v1, v2 } = await twoApprovedVersions();
  const deployment = await deploymentOf(l);
  return { l, v1, v2, deployment, auditor: new Auditor(l, deployment, hre.ethers.provider) };
}

const verdict = { valid: true, reasons: [], skipped: ["CONSENT_NOT_VALID_AT_TIME"] };
const chainState = async (l: Ledger) => [await hre.ethers.provider.getBlockNumber(), await l.traces.nextSequence(ORG.HOSPITAL_A)];

/** Seals `inputs` with a signer that "crashes" before sending; returns with the batch sealed in the vault. */
async function sealThenCrash(l: Ledger, path: string, inputs: TraceInput[]) {
  const b = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: firstSend(l.hospitalA) });
  await b.append(...inputs);
  await expect(b.flush()).rejects.toThrow(/simulated crash/);
  await b.close();
}

describe("TraceBatcher: a batch refused after sealing", () => {
  it("a version suspended between seal and anchor (crash in between): quarantined, the rest re-sealed at the same sequence, reported at open", async () => {
    const { l, v1, v2, deployment, auditor } = await setup();
    const path = vaultDir();
    const before = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA });
    const early = [traceInput(v1), traceInput(v2)];
    await before.append(...early);
    await before.flush();
    await before.close();

    const sealed = [traceInput(v1), traceInput(v2), traceInput(v1), traceInput(v2), traceInput(v1)];
    await sealThenCrash(l, path, sealed);
    await (await l.models.connect(l.regulator).suspendVersion(v2, h("reason"))).wait();

    // Reading receipts opens the vault read-only: no key, no chain, no transaction.
    const stateBefore = await chainState(l);
    const ro = await TraceVault.openReadOnly(path);
    const earlyReceipt = receiptFor((await ro.find(early[1].traceId))!, deployment);
    expect((await ro.state(sealed[0].traceId)).state).toBe("sealed");
    await expect(ro.write([{ type: "del", key: "sealed" }])).rejects.toMatchObject({ code: "VAULT_READ_ONLY" });
    await ro.close();
    expect(await chainState(l)).toEqual(stateBefore);
    expect(await auditor.verifyReceipt(earlyReceipt)).toEqual(verdict);

    const errors: Error[] = [];
    const b = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA, onError: (e) => errors.push(e) });
    expect(errors.map((e) => (e as BatchRefusedError).code)).toEqual(["BATCH_REFUSED"]);
    expect((errors[0] as BatchRefusedError).refusals).toEqual([{ firstSeq: 2n, versions: [{ versionId: v2, status: "SUSPENDED" }], quarantined: 2, resealed: 3 }]);
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(5n); // 2 earlier + the 3 re-sealed, no gap

    const quarantined = await b.quarantined();
    expect(quarantined.map((q) => [q.input.traceId, q.code, q.versionStatus, q.stage, q.sealedSeq])).toEqual([
      [sealed[1].traceId, "VERSION_NOT_APPROVED", "SUSPENDED", "anchor", "3"],
      [sealed[3].traceId, "VERSION_NOT_APPROVED", "SUSPENDED", "anchor", "5"],
    ]);
    const head = (await hre.ethers.provider.getBlock("latest"))!.timestamp;
    for (const q of quarantined) expect(q.time! > 0 && q.time! <= head && q.iso === new Date(q.time! * 1000).toISOString()).toBe(true);
    expect(quarantined[0].input).toEqual(sealed[1]);
    expect((await b.storage.state(sealed[1].traceId)).state).toBe("quarantined");
    expect((await b.append(sealed[1])).duplicates).toBe(1); // a retried append does not bring it back

    // Later traces anchor right after, and every receipt (earlier, re-sealed, later) verifies.
    const later = traceInput(v1);
    await b.append(later);
    const [next] = await b.flush();
    expect([next.firstSeq, next.count]).toEqual([5n, 1]);
    for (const t of [...early, sealed[0], sealed[2], sealed[4], later]) expect(await auditor.verifyReceipt(receiptFor((await b.find(t.traceId))!, deployment))).toEqual(verdict);
    expect((await b.find(sealed[2].traceId))!.record.seq).toBe("3"); // moved into the quarantined trace's place
    await b.close();
  });

  it("a version recalled between seal and anchor: the explicit flush anchors the rest, then throws BATCH_REFUSED naming the version", async () => {
    const { l, v1, v2, deployment, auditor } = await setup();
    const recall = async () => void (await (await l.models.connect(l.regulator).recallVersion(v2, h("reason"))).wait());
    const b = await TraceBatcher.open({ vaultPath: vaultDir(), ledger: l, signer: firstSend(l.hospitalA, recall) });
    const inputs = [traceInput(v2), traceInput(v1), traceInput(v2)];
    await b.append(...inputs);
    const err = await b.flush().then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(BatchRefusedError);
    expect(err.code).toBe("BATCH_REFUSED");
    expect(err.message).toContain(`${v2} is RECALLED`);
    expect(err.refusals).toEqual([{ firstSeq: 0n, versions: [{ versionId: v2, status: "RECALLED" }], quarantined: 2, resealed: 1 }]);
    expect(err.batches.map((x: { firstSeq: bigint; count: number }) => [x.firstSeq, x.count])).toEqual([[0n, 1]]);
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(1n);
    expect((await b.quarantined()).map((q) => [q.input.traceId, q.versionStatus])).toEqual([[inputs[0].traceId, "RECALLED"], [inputs[2].traceId, "RECALLED"]]);
    expect(await auditor.verifyReceipt(receiptFor((await b.find(inputs[1].traceId))!, deployment))).toEqual(verdict);
    // Nothing is left sealed: the next flush has nothing to do, and later traces anchor.
    expect(await b.flush()).toEqual([]);
    await b.append(traceInput(v1));
    expect((await b.flush()).map((x) => [x.firstSeq, x.count])).toEqual([[1n, 1]]);
    await b.close();
  });

  it("a batch left with no trace after the refusal is dropped without a gap", async () => {
    const { l, v1, v2 } = await setup();
    const path = vaultDir();
    await sealThenCrash(l, path, [traceInput(v2), traceInput(v2)]);
    await (await l.models.connect(l.regulator).recallVersion(v2, h("reason"))).wait();
    const errors: Error[] = [];
    const b = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA, onError: (e) => errors.push(e) });
    expect((errors[0] as BatchRefusedError).refusals).toEqual([{ firstSeq: 0n, versions: [{ versionId: v2, status: "RECALLED" }], quarantined: 2, resealed: 0 }]);
    expect(await b.storage.sealedBatches()).toEqual([]);
    await b.append(traceInput(v1));
    expect((await b.flush()).map((x) => [x.firstSeq, x.count])).toEqual([[0n, 1]]);
    await b.close();
  });

  it("a background flush (started by count) reports the refusal to onError", async () => {
    const { l, v1, v2 } = await setup();
    const suspend = async () => void (await (await l.models.connect(l.regulator).suspendVersion(v1, h("reason"))).wait());
    let reported!: (e: Error) => void;
    const report = new Promise<Error>((r) => (reported = r));
    const b = await TraceBatcher.open({ vaultPath: vaultDir(), ledger: l, signer: firstSend(l.hospitalA, suspend), maxBatch: 2, onError: (e) => reported(e) });
    await b.append(traceInput(v1), traceInput(v2)); // reaching maxBatch starts a flush nobody awaits
    const e = (await report) as BatchRefusedError;
    expect([e.code, e.refusals[0].versions]).toEqual(["BATCH_REFUSED", [{ versionId: v1, status: "SUSPENDED" }]]);
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(1n);
    await b.close();
  });

  it("opening read-only refuses a directory that is not a vault, and creates nothing", async () => {
    const path = vaultDir();
    await expect(TraceVault.openReadOnly(path)).rejects.toMatchObject({ code: "VAULT_NOT_FOUND" });
    await expect(TraceVault.openReadOnly(path)).rejects.toMatchObject({ code: "VAULT_NOT_FOUND" });
  });
});

describe("TraceBatcher: sealed batches queue up (vault layout 4)", () => {
  it("seals the next batch while the oldest is being anchored", async () => {
    const { l, v1, deployment, auditor } = await setup();
    let sealedDuringSend = 0;
    // `watch` reads `b` only once the first anchor is sent, after `b` is opened below.
    const watch = async () => {
      // The first anchor waits here until the batch behind it is sealed too (it never is when sealing waits for anchoring).
      for (let i = 0; i < 200 && (await b.storage.sealedBatches()).length < 2; i++) await new Promise((r) => setImmediate(r));
      sealedDuringSend = (await b.storage.sealedBatches()).length;
    };
    const b: TraceBatcher = await TraceBatcher.open({ vaultPath: vaultDir(), ledger: l, signer: firstSend(l.hospitalA, watch), maxBatch: 2 });
    const inputs = Array.from({ length: 6 }, () => traceInput(v1));
    await b.append(...inputs);
    expect((await b.flush()).map((x) => [x.firstSeq, x.count])).toEqual([[0n, 2], [2n, 2], [4n, 2]]);
    expect(sealedDuringSend).toBe(2);
    expect(await b.storage.sealedBatches()).toEqual([]);
    for (const t of inputs) expect(await auditor.verifyReceipt(receiptFor((await b.find(t.traceId))!, deployment))).toEqual(verdict);
    await b.close();
  });

  it("a refusal with several batches sealed: every one is unsealed, numbered again without a gap", async () => {
    const { l, v1, v2, deployment, auditor } = await setup();
    const path = vaultDir();
    const inputs = [traceInput(v1), traceInput(v2), traceInput(v2), traceInput(v1), traceInput(v1), traceInput(v2)];
    const b = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: firstSend(l.hospitalA), maxBatch: 3, onError: () => undefined }); // the flush started by count shares the awaited one's failure
    await b.append(...inputs);
    await expect(b.flush()).rejects.toThrow(/simulated crash/); // the second batch was sealed beside the failed send
    expect((await b.storage.sealedBatches()).map((s) => [s.firstSeq, s.count])).toEqual([["0", 3], ["3", 3]]);
    await b.close();
    await (await l.models.connect(l.regulator).suspendVersion(v2, h("reason"))).wait();

    const errors: Error[] = [];
    const again = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA, onError: (e) => errors.push(e) });
    expect((errors[0] as BatchRefusedError).refusals).toEqual([{ firstSeq: 0n, versions: [{ versionId: v2, status: "SUSPENDED" }], quarantined: 3, resealed: 3 }]);
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(3n);
    expect((await again.quarantined()).map((q) => [q.input.traceId, q.sealedSeq])).toEqual([[inputs[1].traceId, "1"], [inputs[2].traceId, "2"], [inputs[5].traceId, "5"]]);
    const kept = [inputs[0], inputs[3], inputs[4]];
    for (const [i, t] of kept.entries()) {
      const anchored = (await again.find(t.traceId))!;
      expect(anchored.record.seq).toBe(String(i));
      expect(await auditor.verifyReceipt(receiptFor(anchored, deployment))).toEqual(verdict);
    }
    await again.close();
  });

  it("opens a layout-3 vault holding a sealed batch by moving it into the list in one step, then anchors it", async () => {
    const { l, v1, deployment, auditor } = await setup();
    const path = vaultDir();
    const inputs = [traceInput(v1), traceInput(v1)];
    await sealThenCrash(l, path, inputs);
    // Rewrite it as the previous release left it: one `sealed` entry (with its root), a key a record, layout 3.
    const db = new Level<string, unknown>(path, { valueEncoding: "json" });
    const [[key, sealed]] = await db.iterator({ gte: "s:", lt: "s;" }).all();
    const [[run, encoded]] = (await db.iterator({ gte: "a:", lt: "a;", valueEncoding: "buffer" }).all()) as [string, Buffer][];
    // Layout 5 seals into 512-byte slots (a format-1 record's 448 bytes, then a mark); layout 3 kept the 448 bytes alone.
    const root = TraceTree.ofEncoded(encoded, inputs.length, 512).root;
    const { slot: _slot, ...slotless } = sealed as { slot?: number };
    const layout3 = db.batch().del(key).del(run).put("sealed", { ...slotless, root }).put("meta:format", 3);
    inputs.forEach((_, i) => layout3.put(`a:${String(i).padStart(20, "0")}`, encoded.subarray(512 * i, 512 * i + 448), { valueEncoding: "buffer" }));
    await layout3.write({ sync: true });
    await db.close();

    const ro = await TraceVault.openReadOnly(path); // reads it as it is, changing nothing
    expect((await ro.state(inputs[0].traceId)).state).toBe("sealed");
    await ro.close();
    const b = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA });
    expect(await b.storage.get("meta:format")).toBe(VAULT_FORMAT);
    expect(await b.storage.get("sealed")).toBeUndefined();
    expect(await b.flush()).toEqual([]); // the resume at open anchored it
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(2n);
    for (const t of inputs) expect(await auditor.verifyReceipt(receiptFor((await b.find(t.traceId))!, deployment))).toEqual(verdict);
    await b.close();
  });

  it("a layout-3 sealed batch whose records no longer hash to its root is refused as VAULT_CORRUPT", async () => {
    const { l, v1 } = await setup();
    const path = vaultDir();
    await sealThenCrash(l, path, [traceInput(v1)]);
    const db = new Level<string, unknown>(path, { valueEncoding: "json" });
    const [[key, sealed]] = await db.iterator({ gte: "s:", lt: "s;" }).all();
    await db.batch().del(key).put("sealed", { ...(sealed as object), root: "0x" + "00".repeat(32) }).put("meta:format", 3).write({ sync: true });
    await db.close();
    const errors: Error[] = [];
    const b = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA, onError: (e) => errors.push(e) });
    expect(errors.map((e) => (e as MedprovError).code)).toEqual(["VAULT_CORRUPT"]);
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(0n);
    await b.close();
  });
});
