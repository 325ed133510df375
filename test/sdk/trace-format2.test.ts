/**
 * Trace record format 2 (issue 18): the indication a trace was used for and whether the model's
 * output carried a risk warning. The hand encoder of both formats equals StandardMerkleTree's
 * (property test); the two leaf encodings are domain-separated (448- and 512-byte preimages, the
 * same four keccak blocks); a batch mixing formats anchors and every receipt verifies — /2 for a
 * format-1 record, /3 for format 2 — in the SDK's Auditor and in the verifier printed in
 * docs/receipt.md; a format-1 trace presented as format 2 is refused as LEAF_WRONG_FORMAT by both;
 * a vault of layout 4 (448-byte records) keeps giving receipts after a batcher moves it to layout 5.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import fc from "fast-check";
import { Level } from "level";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { traceInput } from "../helpers/traces";
import { vaultDir, vaultWorld } from "../helpers/vault-world";
import { deploymentOf } from "../helpers/indexing";
import { docVerifier } from "../helpers/third-party-verify";
import { InputError, TraceBatcher, TraceVault, VAULT_FORMAT, receiptFor, type TraceReceipt, type TraceRecord } from "../../src/sdk";
import { TRACE_LEAF_ENCODING, TRACE_LEAF_ENCODING_V2, traceLeafValues, traceRecordHash } from "../../src/sdk/ids";
import { TRACE_LEAF_BYTES, TRACE_SLOT_BYTES, TraceTree, decodeTraceLeaf, encodeTraceLeaf, encodeTraceSlot, traceLeafHash } from "../../src/sdk/traces/merkle";
import { recordFromEncoding, recordToJson, validateTraceInput } from "../../src/sdk/traces/record";
import { RECEIPT_FORMAT, RECEIPT_FORMAT_V1_RECORD } from "../../src/sdk/traces/receipt";

const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => "0x" + Buffer.from(b).toString("hex"));
const v1Record: fc.Arbitrary<TraceRecord> = fc.record({
  traceId: hex32, hospital: fc.integer({ min: 0, max: 2 ** 32 - 1 }), seq: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), modelVersion: hex32,
  subject: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => "0x" + Buffer.from(b).toString("hex")),
  inputHash: hex32, outputHash: hex32, confidenceBps: fc.integer({ min: 0, max: 65535 }), tier: fc.integer({ min: 0, max: 3 }), action: fc.integer({ min: 0, max: 4 }),
  clinicianHash: hex32, finalDecisionHash: hex32, time: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), salt: hex32,
});
const v2Record: fc.Arbitrary<TraceRecord> = fc.tuple(v1Record, fc.integer({ min: 0, max: 63 }), fc.boolean()).map(([r, indication, riskWarning]) => ({ ...r, indication, riskWarning }));
const anyRecord = fc.oneof(v1Record, v2Record);
const hex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");
/** StandardMerkleTree's own leaf hash of a record, in its format's encoding. */
const standardLeaf = (r: TraceRecord) => {
  const types = [...(r.indication === undefined ? TRACE_LEAF_ENCODING : TRACE_LEAF_ENCODING_V2)];
  const values = traceLeafValues(r).map((v) => (typeof v === "bigint" ? v.toString() : v));
  return StandardMerkleTree.of([values], types).leafHash(values);
};
/** Keccak-256 blocks (136-byte rate, at least one byte of padding) a preimage of `n` bytes takes. */
const keccakBlocks = (n: number) => Math.floor(n / 136) + 1;

describe("record format 2: encoding", () => {
  it("the hand encoder of either format hashes to StandardMerkleTree's leaf, and a batch of slots mixing formats builds the same tree", () => {
    fc.assert(
      fc.property(fc.array(anyRecord, { minLength: 1, maxLength: 20 }), (records) => {
        const leaves = records.map((r) => hex(traceLeafHash(traceLeafValues(r))));
        expect(leaves).toEqual(records.map(standardLeaf));
        const slots = Buffer.alloc(TRACE_SLOT_BYTES * records.length);
        records.forEach((r, i) => encodeTraceSlot(traceLeafValues(r), slots, TRACE_SLOT_BYTES * i));
        const fromSlots = TraceTree.ofEncoded(slots, records.length, TRACE_SLOT_BYTES);
        expect(fromSlots.root).toBe(TraceTree.of(leaves.map((l) => Buffer.from(l.slice(2), "hex"))).root);
        records.forEach((r, i) => {
          const slot = slots.subarray(TRACE_SLOT_BYTES * i, TRACE_SLOT_BYTES * (i + 1));
          expect(recordFromEncoding(slot)).toEqual({ ...recordToJson(r), subject: recordFromEncoding(slot).subject });
          expect(decodeTraceLeaf(slot).length).toBe(r.indication === undefined ? 14 : 16);
        });
      }),
      { numRuns: 150 },
    );
  });

  it("the leaf encodings are domain-separated by length (448 vs 512 bytes) at no extra keccak block; a format-1 leaf is no format-2 leaf", () => {
    fc.assert(
      fc.property(v1Record, fc.integer({ min: 0, max: 63 }), fc.boolean(), (r, indication, riskWarning) => {
        const one = encodeTraceLeaf(traceLeafValues(r));
        const two = encodeTraceLeaf(traceLeafValues({ ...r, indication, riskWarning }));
        expect([one.length, two.length]).toEqual([448, 512]);
        expect(two.subarray(0, 448)).toEqual(one); // format 2 extends format 1: the same 14 words first
        expect(hex(traceLeafHash(traceLeafValues(r)))).not.toBe(hex(traceLeafHash(traceLeafValues({ ...r, indication, riskWarning }))));
      }),
      { numRuns: 100 },
    );
    expect([keccakBlocks(TRACE_LEAF_BYTES), keccakBlocks(TRACE_SLOT_BYTES)]).toEqual([4, 4]);
    expect(keccakBlocks(TRACE_SLOT_BYTES + 32)).toBe(5); // a 17th word would cost a fifth block
  });

  it("refuses an indication outside the 64-entry catalogue, a risk warning that is not a boolean, and values of the wrong kind", () => {
    const base = { traceId: "0x" + "11".repeat(32), hospital: 1, seq: 0n, modelVersion: "0x" + "22".repeat(32), subject: "0x" + "33".repeat(20), inputHash: "0x" + "44".repeat(32), outputHash: "0x" + "55".repeat(32), confidenceBps: 1, tier: 1, action: 1, clinicianHash: "0x" + "66".repeat(32), finalDecisionHash: "0x" + "77".repeat(32), time: 1n, salt: "0x" + "88".repeat(32) };
    expect(encodeTraceLeaf(traceLeafValues({ ...base, indication: 63, riskWarning: true })).length).toBe(512);
    for (const [indication, riskWarning] of [[64, true], [-1, false], ["1", false], [1.5, true], [1, 1], [1, "true"], [1, null]] as const) {
      expect(() => encodeTraceLeaf(traceLeafValues({ ...base, indication, riskWarning })), `${indication}/${riskWarning}`).toThrow(RangeError);
    }
    expect(() => encodeTraceLeaf([...traceLeafValues(base), 1])).toThrow(RangeError); // 15 values: neither format
    expect(() => encodeTraceLeaf(traceLeafValues(base).slice(0, 13))).toThrow(RangeError);
  });
});

describe("record format 2: trace input", () => {
  const input = () => traceInput("0x" + "ab".repeat(32));
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return [(e as InputError).code, (e as InputError).details?.field];
    }
    return undefined;
  };
  it("accepts format-1 input (no indication, no warning) and format-2 input; refuses half a format-2 input and bad values by name", () => {
    expect(validateTraceInput(input())).not.toHaveProperty("indication");
    expect(validateTraceInput({ ...input(), indication: 1, riskWarning: false })).toMatchObject({ indication: 1, riskWarning: false });
    expect(code(() => validateTraceInput({ ...input(), indication: 1 }))).toEqual(["TRACE_MISSING_FIELD", "riskWarning"]);
    expect(code(() => validateTraceInput({ ...input(), riskWarning: true }))).toEqual(["TRACE_MISSING_FIELD", "indication"]);
    expect(code(() => validateTraceInput({ ...input(), indication: 64, riskWarning: true }))).toEqual(["TRACE_BAD_FIELD", "indication"]);
    expect(code(() => validateTraceInput({ ...input(), indication: "PNEUMONIA_DIAGNOSIS", riskWarning: true }))).toEqual(["TRACE_BAD_FIELD", "indication"]);
    expect(code(() => validateTraceInput({ ...input(), indication: 2, riskWarning: "no" }))).toEqual(["TRACE_BAD_FIELD", "riskWarning"]);
  });
});

const setup = vaultWorld;

async function anchoredReceipts(vault: TraceVault, deployment: Awaited<ReturnType<typeof deploymentOf>>): Promise<TraceReceipt[]> {
  const out: TraceReceipt[] = [];
  for await (const a of vault.anchored()) out.push(receiptFor(a, deployment));
  return out;
}

const VALID = { valid: true, reasons: [], skipped: ["CONSENT_NOT_VALID_AT_TIME"] };

describe("record format 2: anchored and verified", () => {
  it("a batch mixing formats anchors; /2 and /3 receipts verify in the SDK and the documented verifier; a format-1 leaf presented as /3 is LEAF_WRONG_FORMAT", async () => {
    const { l, versionId, deployment, auditor } = await setup();
    const batcher = await TraceBatcher.open({ vaultPath: vaultDir(), ledger: l, signer: l.hospitalA, maxBatch: 100 });
    const inputs = Array.from({ length: 9 }, (_, i) => (i % 3 === 0 ? traceInput(versionId) : traceInput(versionId, { indication: i % 8, riskWarning: i % 2 === 0 })));
    await batcher.append(...inputs);
    expect((await batcher.flush()).map((b) => b.count)).toEqual([9]); // one batch, both formats
    const receipts = await anchoredReceipts(batcher.storage, deployment);
    await batcher.close();
    expect(receipts.map((r) => r.format)).toEqual(inputs.map((t) => (t.indication === undefined ? RECEIPT_FORMAT_V1_RECORD : RECEIPT_FORMAT)));
    expect(receipts[1].record).toMatchObject({ indication: 1, riskWarning: false });
    expect(receipts[1].fields.slice(-2)).toEqual(["indication", "riskWarning"]);
    expect(receipts[0].fields).toHaveLength(14);

    const { verifyReceipt } = await docVerifier();
    for (const r of receipts) {
      const json = JSON.parse(JSON.stringify(r));
      expect(await auditor.verifyReceipt(json)).toEqual(VALID);
      expect(await verifyReceipt(json, hre.ethers.provider, deployment)).toEqual({ valid: true, reasons: [], skipped: ["CONSENT_NOT_VALID_AT_TIME"] });
    }

    // TraceAnchor needs no format: its verifyTrace takes the inner record hash, of either encoding.
    for (const r of receipts.slice(0, 2)) expect(await l.traces.verifyTrace(r.batchId, BigInt(r.record.seq), traceRecordHash(r.record), r.proof)).toBe(true);

    // A format-1 trace presented as format 2: its anchored leaf and proof, an indication and a warning added under /3.
    const v1 = receipts[0];
    const dressed = { ...JSON.parse(JSON.stringify(v1)), format: RECEIPT_FORMAT, fields: receipts[1].fields, leafEncoding: receipts[1].leafEncoding, record: { ...v1.record, indication: 1, riskWarning: false } };
    expect(await l.traces.verifyTrace(v1.batchId, BigInt(v1.record.seq), traceRecordHash(dressed.record), v1.proof)).toBe(false);
    const sdk = await auditor.verifyReceipt(dressed);
    expect(sdk.reasons.map((x) => x.code)).toEqual(["LEAF_WRONG_FORMAT", "PROOF_INVALID"]);
    expect(sdk.reasons[0].message).toMatch(/format-1 trace presented as format 2/);
    expect((await verifyReceipt(dressed, hre.ethers.provider, deployment)).reasons).toEqual(["LEAF_WRONG_FORMAT", "PROOF_INVALID"]);
    // A format-2 record whose indication or warning was changed afterwards no longer hashes to its leaf.
    for (const change of [{ indication: 5 }, { riskWarning: !receipts[1].record.riskWarning }]) {
      const changed = { ...JSON.parse(JSON.stringify(receipts[1])), record: { ...receipts[1].record, ...change } };
      expect((await auditor.verifyReceipt(changed)).reasons.map((x) => x.code)).toEqual(["LEAF_MISMATCH", "PROOF_INVALID"]);
      expect((await verifyReceipt(changed, hre.ethers.provider, deployment)).reasons).toEqual(["LEAF_MISMATCH", "PROOF_INVALID"]);
    }
    // A /2 receipt cannot carry the format-2 fields, and a /3 one cannot leave them out.
    const malformed = [
      { ...JSON.parse(JSON.stringify(receipts[1])), format: RECEIPT_FORMAT_V1_RECORD },
      { ...JSON.parse(JSON.stringify(v1)), format: RECEIPT_FORMAT },
      { ...JSON.parse(JSON.stringify(receipts[1])), record: { ...receipts[1].record, riskWarning: 0 } },
      { ...JSON.parse(JSON.stringify(receipts[1])), record: { ...receipts[1].record, indication: 64 } },
    ];
    for (const m of malformed) {
      expect((await auditor.verifyReceipt(m)).reasons.map((x) => x.code)).toEqual(["RECEIPT_MALFORMED"]);
      expect((await verifyReceipt(m, hre.ethers.provider, deployment)).reasons).toEqual(["RECEIPT_MALFORMED"]);
    }
  }, 120_000);

  it("a vault of layout 4 (448-byte records) keeps giving receipts read-only; a batcher moves it to layout 5 and anchors format 2 after it", async () => {
    const { l, versionId, deployment, auditor } = await setup();
    const path = vaultDir();
    const first = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA, maxBatch: 100 });
    const old = [traceInput(versionId), traceInput(versionId)];
    await first.append(...old);
    await first.flush();
    await first.close();
    // Rewrite it as layout 4 left it: the batch's records as 448-byte format-1 records, no slot.
    const db = new Level<string, unknown>(path, { valueEncoding: "json" });
    const [[bKey, stored]] = await db.iterator({ gte: "b:", lt: "b;" }).all();
    const [[aKey, run]] = (await db.iterator({ gte: "a:", lt: "a;", valueEncoding: "buffer" }).all()) as [string, Buffer][];
    const { slot, ...slotless } = stored as { slot?: number };
    expect(slot).toBe(TRACE_SLOT_BYTES);
    const records448 = Buffer.concat(old.map((_, i) => run.subarray(TRACE_SLOT_BYTES * i, TRACE_SLOT_BYTES * i + TRACE_LEAF_BYTES)));
    await db.batch().put(bKey, slotless).put(aKey, records448, { valueEncoding: "buffer" }).put("meta:format", 4).write({ sync: true });
    await db.close();

    const ro = await TraceVault.openReadOnly(path);
    const before = await anchoredReceipts(ro, deployment);
    expect(await ro.get("meta:format")).toBe(4); // read as it is
    await ro.close();
    for (const r of before) expect(await auditor.verifyReceipt(r)).toEqual(VALID);

    const b = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA, maxBatch: 100 });
    expect(await b.storage.get("meta:format")).toBe(VAULT_FORMAT);
    await b.append(traceInput(versionId, { indication: 2, riskWarning: true }));
    await b.flush();
    const after = await anchoredReceipts(b.storage, deployment);
    await b.close();
    expect(after.map((r) => r.format)).toEqual([RECEIPT_FORMAT_V1_RECORD, RECEIPT_FORMAT_V1_RECORD, RECEIPT_FORMAT]);
    expect(after.slice(0, 2)).toEqual(before);
    for (const r of after) expect(await auditor.verifyReceipt(r)).toEqual(VALID);
  }, 120_000);
});
