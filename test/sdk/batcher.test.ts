import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ORG } from "../helpers/fixture";
import { modelWithVersion } from "../helpers/builders";
import { clock, traceInput } from "../helpers/traces";
import { vaultDir, vaultWorld } from "../helpers/vault-world";
import { RECORDS_PER_ENTRY } from "../../src/sdk/traces/vault";
import { recordFromEncoding } from "../../src/sdk/traces/record";
import { TRACE_SLOT_BYTES } from "../../src/sdk/traces/merkle";
import { Auditor, TraceBatcher, TraceVault, VAULT_FORMAT, InputError, missingSequences, receiptFor, summarizeTraces, type Deployment, type TraceReceipt } from "../../src/sdk";
import { Tier } from "../../src/constants";


async function setup() {
  const world = await vaultWorld();
  const batcher = await TraceBatcher.open({ vaultPath: vaultDir(), ledger: world.l, signer: world.l.hospitalA, maxBatch: 100 });
  return { ...world, batcher };
}

async function receipts(batcher: TraceBatcher, deployment: Deployment): Promise<TraceReceipt[]> {
  const out: TraceReceipt[] = [];
  for await (const a of batcher.storage.anchored()) out.push(receiptFor(a, deployment));
  return out;
}

describe("TraceBatcher", () => {
  it("anchors appended traces in contiguous batches and every receipt verifies", async () => {
    const { l, versionId, batcher, deployment, auditor } = await setup();
    await batcher.append(...Array.from({ length: 250 }, () => traceInput(versionId)));
    const flushed = await batcher.flush();
    expect(flushed.map((b) => [b.firstSeq, b.count])).toEqual([[0n, 100], [100n, 100], [200n, 50]]);
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(250n);
    const all = await receipts(batcher, deployment);
    expect(all.map((r) => r.record.seq)).toEqual(Array.from({ length: 250 }, (_, i) => String(i)));
    for (const r of all.slice(0, 20)) expect(await auditor.verifyReceipt(JSON.parse(JSON.stringify(r)))).toEqual({ valid: true, reasons: [], skipped: ["CONSENT_NOT_VALID_AT_TIME"] });
    await batcher.close();
  });

  it(`stores a batch's records in runs of ${RECORDS_PER_ENTRY} and cuts every receipt from them (across a run's edge too)`, async () => {
    const { l, versionId, deployment, auditor } = await setup();
    const path = vaultDir();
    const batcher = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA, maxBatch: RECORDS_PER_ENTRY + 200 });
    const inputs = Array.from({ length: RECORDS_PER_ENTRY + 250 }, () => traceInput(versionId));
    await batcher.append(...inputs);
    expect((await batcher.flush()).map((b) => [b.firstSeq, b.count])).toEqual([[0n, RECORDS_PER_ENTRY + 200], [BigInt(RECORDS_PER_ENTRY + 200), 50]]);
    await batcher.close();
    const vault = await TraceVault.openReadOnly(path);
    const all: TraceReceipt[] = [];
    for await (const a of vault.anchored()) all.push(receiptFor(a, deployment));
    expect(all.map((r) => r.record.traceId)).toEqual(inputs.map((t) => t.traceId.toLowerCase()));
    expect(all.map((r) => r.record.seq)).toEqual(inputs.map((_, i) => String(i)));
    for (const i of [0, RECORDS_PER_ENTRY - 1, RECORDS_PER_ENTRY, RECORDS_PER_ENTRY + 199, RECORDS_PER_ENTRY + 200, RECORDS_PER_ENTRY + 249]) {
      const found = (await vault.find(inputs[i].traceId))!;
      expect(found.record.seq).toBe(String(i));
      expect(await auditor.verifyReceipt(receiptFor(found, deployment))).toEqual({ valid: true, reasons: [], skipped: ["CONSENT_NOT_VALID_AT_TIME"] });
    }
    // A range starting inside a run and ending in the next.
    expect((await vault.records(BigInt(RECORDS_PER_ENTRY - 2), 4, TRACE_SLOT_BYTES)).map((e) => recordFromEncoding(e).seq)).toEqual([0, 1, 2, 3].map((i) => String(RECORDS_PER_ENTRY - 2 + i)));
    await vault.close();
  });

  it("appends are idempotent by trace id", async () => {
    const { versionId, batcher, deployment } = await setup();
    const t = traceInput(versionId);
    expect((await batcher.append(t, t)).duplicates).toBe(1);
    await batcher.flush();
    expect((await batcher.append(t)).duplicates).toBe(1);
    await batcher.flush();
    expect((await receipts(batcher, deployment)).length).toBe(1);
    await batcher.close();
  });

  it("a write that is not mined in time fails with TX_TIMEOUT (retryable) instead of waiting forever", async () => {
    const { l } = await setup();
    const { sendWrite } = await import("../../src/sdk");
    await hre.network.provider.send("evm_setAutomine", [false]);
    try {
      const write = sendWrite(l.consents, () => l.consents.connect(l.patient).grantConsent(l.patient.address, 0, ORG.HOSPITAL_A, 2 ** 40), { timeoutMs: 300 });
      await expect(write).rejects.toMatchObject({ code: "TX_TIMEOUT", retryable: true });
    } finally {
      await hre.network.provider.send("evm_setAutomine", [true]);
      await hre.network.provider.send("evm_mine", []);
    }
    // The same path succeeds once blocks are mined, and reads the result from the receipt.
    const ok = await sendWrite(l.consents, () => l.consents.connect(l.patient).grantConsent(l.patient.address, 1, ORG.HOSPITAL_A, 2 ** 40));
    expect(ok.events.map((e) => e.name)).toEqual(["ConsentGranted"]);
  });

  it("refuses to open a vault written in another layout instead of misreading it", async () => {
    const { Level } = await import("level");
    const path = vaultDir();
    const old = new Level<string, unknown>(path, { valueEncoding: "json" });
    await old.put("a:00000000000000000000", { record: {}, proof: [] }); // layout 1 kept JSON records with proofs
    await old.close();
    await expect(TraceVault.open(path)).rejects.toMatchObject({ code: "VAULT_FORMAT" });
    const fresh = await TraceVault.open(vaultDir());
    expect(await fresh.get("meta:format")).toBe(VAULT_FORMAT);
    await fresh.close();
  });

  it("concurrent appends (a client retrying while its first call is still writing) queue each trace once, in order", async () => {
    const { versionId, batcher, deployment } = await setup();
    const traces = Array.from({ length: 60 }, () => traceInput(versionId));
    const calls = await Promise.all([batcher.append(...traces.slice(0, 40)), batcher.append(...traces.slice(20, 60)), batcher.append(...traces.slice(0, 60))]);
    expect(calls.reduce((n, c) => n + c.queueIds.length, 0)).toBe(60);
    expect(calls.reduce((n, c) => n + c.duplicates, 0)).toBe(140 - 60);
    expect(calls.flatMap((c) => c.queueIds).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(await batcher.storage.get("meta:nextQueue")).toBe(60);
    await batcher.flush();
    const ids = (await receipts(batcher, deployment)).map((r) => r.record.traceId);
    expect(new Set(ids)).toEqual(new Set(traces.map((t) => t.traceId.toLowerCase())));
    expect(ids).toHaveLength(60);
    await batcher.close();
  });

  it("a retry racing an original whose write fails queues the traces itself (not counted as duplicates)", async () => {
    const { versionId, batcher } = await setup();
    const traces = Array.from({ length: 5 }, () => traceInput(versionId));
    const vault = batcher.storage;
    const write = vault.write.bind(vault);
    let failures = 1;
    vault.write = async (ops) => {
      if (failures-- > 0) throw new Error("disk full");
      return write(ops);
    };
    const [original, retry] = await Promise.allSettled([batcher.append(...traces), batcher.append(...traces)]);
    expect(original).toMatchObject({ status: "rejected", reason: { message: "disk full" } });
    expect(retry.status).toBe("fulfilled");
    const { queueIds, duplicates } = (retry as PromiseFulfilledResult<{ queueIds: number[]; duplicates: number }>).value;
    expect([queueIds.length, duplicates]).toEqual([5, 0]);
    // And once landed, a third call is all duplicates.
    expect(await batcher.append(...traces)).toEqual({ queueIds: [], duplicates: 5 });
    await batcher.close();
  });

  it("refuses fields outside the schema, missing and mistyped fields, and future times — writing nothing", async () => {
    const { versionId, batcher } = await setup();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...traceInput(versionId), patientName: "Zhang San" }, "TRACE_UNKNOWN_FIELD"],
      [{ ...traceInput(versionId), mrn: "MRN-0012345" }, "TRACE_UNKNOWN_FIELD"],
      [(({ inputHash: _, ...rest }) => rest)(traceInput(versionId)), "TRACE_MISSING_FIELD"],
      [{ ...traceInput(versionId), confidenceBps: "high" }, "TRACE_BAD_FIELD"],
      [{ ...traceInput(versionId), confidenceBps: 10001 }, "TRACE_BAD_FIELD"],
      [{ ...traceInput(versionId), subject: "patient-17" }, "TRACE_BAD_FIELD"],
      [{ ...traceInput(versionId), action: "IGNORED" }, "TRACE_BAD_FIELD"],
      [{ ...traceInput(versionId), time: clock.now() + 3600 }, "TRACE_FUTURE_TIME"],
    ];
    for (const [input, code] of cases) {
      const err = await batcher.append(traceInput(versionId), input).then(() => undefined, (e) => e);
      expect(err).toBeInstanceOf(InputError);
      expect(err.code).toBe(code);
    }
    expect(await batcher.storage.countQueued()).toBe(0); // the valid trace in each call was not written either
    await batcher.close();
  });

  it("quarantines traces whose version is no longer APPROVED, keeping sequences contiguous", async () => {
    const { l, versionId, batcher } = await setup();
    const other = (await modelWithVersion(l, { approve: true, deploy: true })).versionId;
    await batcher.append(traceInput(versionId), traceInput(other), traceInput(versionId));
    await (await l.models.connect(l.regulator).suspendVersion(other, "0x" + "11".repeat(32))).wait();
    const [b] = await batcher.flush();
    expect([b.firstSeq, b.count, b.quarantined]).toEqual([0n, 2, 1]);
    const q = [];
    for await (const x of batcher.storage.quarantined()) q.push(x);
    expect(q.map((x) => x.input.modelVersion)).toEqual([other]);
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(2n);
    await batcher.close();
  });
});

describe("Auditor.verifyReceipt", () => {
  async function anchoredReceipts(inputs: (v: string) => ReturnType<typeof traceInput>[]) {
    const s = await setup();
    await s.batcher.append(...inputs(s.versionId));
    await s.batcher.flush();
    const all = await receipts(s.batcher, s.deployment);
    await s.batcher.close();
    return { ...s, all };
  }

  it("names a flipped byte in the record, the proof, the batch and the leaf", async () => {
    const { all, auditor } = await anchoredReceipts((v) => Array.from({ length: 8 }, () => traceInput(v)));
    const flip = (hex: string) => hex.slice(0, -1) + (hex.endsWith("0") ? "1" : "0");
    const codes = async (r: TraceReceipt) => (await auditor.verifyReceipt(r)).reasons.map((x) => x.code);
    const r = all[3];
    expect(await codes({ ...r, record: { ...r.record, outputHash: flip(r.record.outputHash) } })).toEqual(["LEAF_MISMATCH", "PROOF_INVALID"]);
    expect(await codes({ ...r, proof: [flip(r.proof[0]), ...r.proof.slice(1)] })).toEqual(["PROOF_INVALID"]);
    expect(await codes({ ...r, leaf: flip(r.leaf) })).toEqual(["LEAF_MISMATCH"]);
    expect(await codes({ ...r, batchId: flip(r.batchId) })).toEqual(["BATCH_UNKNOWN"]);
    expect(await codes({ ...r, chainId: 1 })).toEqual(["WRONG_CHAIN"]);
    expect(await codes({ ...r, record: { ...r.record, salt: flip(r.record.salt) } })).toEqual(["LEAF_MISMATCH", "PROOF_INVALID"]);
    expect((await auditor.verifyReceipt({ ...r, record: { ...r.record, patientName: "x" } })).reasons.map((x) => x.code)).toEqual(["RECEIPT_MALFORMED"]);
    expect((await auditor.verifyReceipt("not a receipt")).reasons.map((x) => x.code)).toEqual(["RECEIPT_MALFORMED"]);
  });

  it("flags an ACCEPTED output at TAKEOVER tier, and a trace from before the version was approved", async () => {
    const { all, auditor, l } = await anchoredReceipts((v) => [
      traceInput(v, { confidenceBps: 7000, action: "ACCEPTED" }),
      traceInput(v, { confidenceBps: 7000, action: "TAKEOVER" }),
      traceInput(v, { time: clock.now() - 60 }), // the version was approved about 10 s before clock.now()
    ]);
    void l;
    const byConfidence = (c: number, a: number) => all.find((r) => r.record.confidenceBps === c && r.record.action === a)!;
    const takeoverAccepted = await auditor.verifyReceipt(byConfidence(7000, 1));
    expect(takeoverAccepted.reasons.map((x) => x.code)).toEqual(["ACCEPTED_AT_TAKEOVER"]);
    expect(byConfidence(7000, 1).record.tier).toBe(Tier.TAKEOVER);
    expect((await auditor.verifyReceipt(byConfidence(7000, 4))).valid).toBe(true);
    const early = all.find((r) => r.record.time === String(clock.now() - 60))!;
    expect((await auditor.verifyReceipt(early)).reasons.map((x) => x.code)).toEqual(["VERSION_NOT_APPROVED_AT_TIME"]);
  });

  it("flags a record whose tier does not match its confidence (anchored by a non-conforming client)", async () => {
    const { l, versionId, deployment, auditor } = await setup();
    const { sealTrace, recordToJson, traceLeafValues } = await import("../../src/sdk");
    const { TraceTree, traceLeafHash } = await import("../../src/sdk/traces/merkle");
    const wrong = { ...sealTrace(traceInput(versionId, { confidenceBps: 8500 }), ORG.HOSPITAL_A, 0n), tier: Tier.REVIEW };
    const tree = TraceTree.of([traceLeafHash(traceLeafValues(wrong))]);
    const now = BigInt(await time.latest());
    const mined = (await (await l.traces.connect(l.hospitalA).anchorBatch({ treeRoot: tree.treeRoot, firstSeq: 0, count: 1, fromTime: now - 100n, toTime: now, versions: [versionId], versionCounts: [1] })).wait())!;
    const batchId = await l.traces.batchIdOf(ORG.HOSPITAL_A, 0);
    const r = receiptFor({ record: recordToJson(wrong), proof: [], leaf: tree.leafHash(0), batchId, anchorTx: mined.hash, blockNumber: mined.blockNumber }, deployment);
    expect((await auditor.verifyReceipt(r)).reasons.map((x) => x.code)).toEqual(["TIER_MISMATCH"]);
  });

  it("summarises traces per version: coverage, compliance, overrides", () => {
    const ok = { valid: true, reasons: [], skipped: [] };
    const bad = (code: string) => ({ valid: false, reasons: [{ code, message: "" }], skipped: [] }) as never;
    const v = "0x" + "ab".repeat(32);
    const [s] = summarizeTraces([
      { record: { modelVersion: v, action: 1 }, result: ok },
      { record: { modelVersion: v, action: 2 }, result: bad("CONSENT_NOT_VALID_AT_TIME") },
      { record: { modelVersion: v, action: 1 }, result: bad("ACCEPTED_AT_TAKEOVER") },
      { record: { modelVersion: v, action: 4 }, result: bad("PROOF_INVALID") },
    ]);
    expect(s).toEqual({ versionId: v, traces: 4, anchored: 3, consentCovered: 3, tierCompliant: 3, overrides: 2, acceptedAtTakeover: 1, consentCoverage: 0.75, tierCompliance: 0.75, overrideRate: 0.5 });
    expect(summarizeTraces([{ record: { modelVersion: v, action: 1 }, result: { valid: true, reasons: [], skipped: ["CONSENT_NOT_VALID_AT_TIME"] } }])[0].consentCovered).toBe(0);
  });

  it("finds gaps in a hospital's sequence ranges", () => {
    expect(missingSequences([[0n, 10n], [10n, 20n]])).toEqual([]);
    expect(missingSequences([[10n, 20n], [0n, 5n], [25n, 30n]])).toEqual([5n, 20n]);
    expect(missingSequences([[3n, 4n]])).toEqual([0n]);
  });

  it("consults the consent checker when one is given", async () => {
    const { all, l, deployment } = await anchoredReceipts((v) => [traceInput(v)]);
    const seen: unknown[] = [];
    const strict = new Auditor(l, deployment, hre.ethers.provider, async (...args) => (seen.push(args), false));
    const result = await strict.verifyReceipt(all[0]);
    expect(result.reasons.map((x) => x.code)).toEqual(["CONSENT_NOT_VALID_AT_TIME"]);
    expect(seen[0]).toEqual([all[0].record.subject, 1, ORG.HOSPITAL_A, BigInt(all[0].record.time)]);
  });
});
