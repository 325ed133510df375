/**
 * The batcher's fast tree must be exactly the position-bound tree of docs/receipt.md: the same leaf
 * hashes, tree root, anchored root and proofs as a plain reference written from the document with
 * ethers alone (property test), and a proof verifies at its own position only.
 */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { AbiCoder, concat, keccak256 } from "ethers";
import { TRACE_LEAF_ENCODING, traceLeafValues, type TraceRecord } from "../../src/sdk";
import { TraceTree, batchRootOf, decodeTraceLeaf, encodeTraceLeaf, processProof, traceLeafHash } from "../../src/sdk/traces/merkle";
import { recordFromEncoding, recordToJson } from "../../src/sdk/traces/record";
import { TreeHasher, WORKER_MIN_RECORDS } from "../../src/sdk/traces/tree-hasher";

const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => "0x" + Buffer.from(b).toString("hex"));
const record: fc.Arbitrary<TraceRecord> = fc.record({
  traceId: hex32, hospital: fc.integer({ min: 0, max: 2 ** 32 - 1 }), seq: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), modelVersion: hex32,
  subject: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => "0x" + Buffer.from(b).toString("hex")),
  inputHash: hex32, outputHash: hex32, confidenceBps: fc.integer({ min: 0, max: 65535 }), tier: fc.integer({ min: 0, max: 3 }), action: fc.integer({ min: 0, max: 4 }), // enums: Solidity refuses larger
  clinicianHash: hex32, finalDecisionHash: hex32, time: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), salt: hex32,
});

/** docs/receipt.md's tree, written plainly: leaf p at node n−1+p, node i = keccak(node[2i+1] ‖ node[2i+2]). */
function reference(values: unknown[][]) {
  const n = values.length;
  const nodes: string[] = new Array(2 * n - 1);
  values.forEach((v, p) => (nodes[n - 1 + p] = keccak256(keccak256(AbiCoder.defaultAbiCoder().encode([...TRACE_LEAF_ENCODING], v)))));
  for (let i = n - 2; i >= 0; i--) nodes[i] = keccak256(concat([nodes[2 * i + 1], nodes[2 * i + 2]]));
  const proof = (p: number) => {
    const out: string[] = [];
    for (let i = n - 1 + p; i > 0; i = Math.floor((i - 1) / 2)) out.push(nodes[i % 2 === 1 ? i + 1 : i - 1]);
    return out;
  };
  const root = keccak256(AbiCoder.defaultAbiCoder().encode(["uint32", "bytes32"], [n, nodes[0]]));
  return { leaves: nodes.slice(n - 1), treeRoot: nodes[0], root, proof };
}

describe("TraceTree is the position-bound tree of docs/receipt.md", () => {
  it("leaf hashes, roots and proofs agree with the plain reference for random record sets; a proof fits its own position only", () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), (records) => {
        const values = records.map(traceLeafValues);
        const ref = reference(values);
        const built = TraceTree.of(values.map(traceLeafHash));
        // The vault stores trees as bytes and cuts proofs from the stored copy: check that copy.
        const fast = TraceTree.fromBuffer(built.toBuffer());
        expect([fast.treeRoot, fast.root, fast.size]).toEqual([ref.treeRoot, ref.root, values.length]);
        expect(batchRootOf(values.length, fast.treeRoot)).toBe(ref.root);
        values.forEach((v, p) => {
          expect(fast.leafHash(p)).toBe(ref.leaves[p]);
          expect(fast.getProof(p)).toEqual(ref.proof(p));
          expect(processProof(traceLeafHash(v), ref.proof(p), BigInt(p), values.length)).toBe(ref.root);
          // Elsewhere, or in a batch claiming another size, the same leaf and proof reach no root.
          if (values.length > 1) expect(processProof(traceLeafHash(v), ref.proof(p), BigInt((p + 1) % values.length), values.length)).not.toBe(ref.root);
          expect(processProof(traceLeafHash(v), ref.proof(p), BigInt(p), values.length + 1)).not.toBe(ref.root);
          expect(processProof(traceLeafHash(v), ref.proof(p), BigInt(values.length), values.length)).toBeUndefined();
        });
      }),
      { numRuns: 200 },
    );
  });

  it("a record survives the vault's ABI encoding exactly (the bytes its leaf hashes)", () => {
    fc.assert(
      fc.property(record, (r) => {
        const encoded = encodeTraceLeaf(traceLeafValues(r));
        expect(decodeTraceLeaf(encoded).map(String)).toEqual(traceLeafValues(r).map((v) => String(v).toLowerCase()));
        const back = recordFromEncoding(encoded);
        expect({ ...back, subject: back.subject.toLowerCase() }).toEqual(recordToJson(r));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses values that do not fit their type", () => {
    const base = traceLeafValues({ traceId: "0x" + "11".repeat(32), hospital: 1, seq: 0n, modelVersion: "0x" + "22".repeat(32), subject: "0x" + "33".repeat(20), inputHash: "0x" + "44".repeat(32), outputHash: "0x" + "55".repeat(32), confidenceBps: 1, tier: 1, action: 1, clinicianHash: "0x" + "66".repeat(32), finalDecisionHash: "0x" + "77".repeat(32), time: 1n, salt: "0x" + "88".repeat(32) });
    expect(() => traceLeafHash(base.map((v, i) => (i === 1 ? 2 ** 32 : v)))).toThrow(RangeError);
    expect(() => traceLeafHash(base.map((v, i) => (i === 0 ? "0x1234" : v)))).toThrow(RangeError);
    expect(() => TraceTree.of([])).toThrow(RangeError);
    expect(() => TraceTree.fromBuffer(TraceTree.of([traceLeafHash(base)]).toBuffer().subarray(0, 30))).toThrow(RangeError);
    // A layout-2 vault's tree (sorted, with a tree index per value after the nodes) is not read as a position-bound one.
    expect(() => TraceTree.fromBuffer(Buffer.concat([TraceTree.of([traceLeafHash(base)]).toBuffer(), Buffer.alloc(4)]))).toThrow(RangeError);
  });

  it("accepts exactly the forms docs/receipt.md accepts: no prefix dropped, no hex truncated, no empty string read as 0", () => {
    const checksummed = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"; // EIP-55's own example
    const record = { traceId: "0x" + "11".repeat(32), hospital: 1, seq: "7", modelVersion: "0x" + "22".repeat(32), subject: checksummed, inputHash: "0x" + "44".repeat(32), outputHash: "0x" + "55".repeat(32), confidenceBps: 9600, tier: 1, action: 1, clinicianHash: "0x" + "66".repeat(32), finalDecisionHash: "0x" + "77".repeat(32), time: "1700000000", salt: "0x" + "88".repeat(32) };
    const ok = encodeTraceLeaf(traceLeafValues(record));
    // Equivalent forms: a bigint for a 64-bit number, a lower-case address: the same bytes.
    expect(encodeTraceLeaf(traceLeafValues({ ...record, seq: 7n, time: 1_700_000_000n, subject: checksummed.toLowerCase() }))).toEqual(ok);
    const flipCase = (a: string) => "0x" + [...a.slice(2)].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("");
    const refused: [string, unknown][] = [
      ["traceId", "zz" + "11".repeat(32)], // any two characters used to pass as "0x"
      ["traceId", "0X" + "11".repeat(32)],
      ["traceId", "0x" + "11".repeat(32) + "00"], // extra hex used to be cut off
      ["traceId", "0x" + "11".repeat(31)],
      ["traceId", ""], // used to read as zero
      ["traceId", "0x"],
      ["traceId", ["0x" + "11".repeat(32)]], // a one-element array used to stringify to its element
      ["traceId", "0x" + "AB".repeat(32)], // bytes32 are lower-case
      ["subject", checksummed.toUpperCase().replace("0X", "0x")],
      ["subject", flipCase(checksummed)],
      ["subject", "0x" + "33".repeat(20) + "00"],
      ["subject", "0x" + "33".repeat(19)],
      ["hospital", "1"], // numbers as strings
      ["hospital", 1.5],
      ["hospital", -1],
      ["seq", 7], // 64-bit numbers as decimal strings
      ["seq", "07"],
      ["seq", "+7"],
      ["seq", "-0"],
      ["seq", "7.0"],
      ["seq", " 7"],
      ["seq", "0x7"],
      ["seq", ""],
      ["seq", "18446744073709551616"],
      ["time", ["1700000000"]],
      ["tier", 4], // enums stop at their last member
      ["action", 5],
      ["confidenceBps", 65536],
    ];
    for (const [field, value] of refused) expect(() => encodeTraceLeaf(traceLeafValues({ ...record, [field]: value })), `${field}=${JSON.stringify(value)}`).toThrow(RangeError);
  });
});

describe("TreeHasher: a batch's tree built on a worker thread", () => {
  const batch = (n: number) => {
    const values = fc.sample(record, n).map(traceLeafValues);
    const encoded = Buffer.concat(values.map((v) => encodeTraceLeaf(v)));
    return { encoded, here: TraceTree.of(values.map(traceLeafHash)) };
  };
  const same = (a: TraceTree, b: TraceTree) => expect([a.size, a.root, a.toBuffer().equals(b.toBuffer())]).toEqual([b.size, b.root, true]);

  it("is the tree built on this thread, for batches above and below the worker's threshold", async () => {
    const hasher = new TreeHasher();
    expect(await hasher.running).toBe(true);
    for (const n of [1, 2, WORKER_MIN_RECORDS - 1, WORKER_MIN_RECORDS, 1001]) {
      const { encoded, here } = batch(n);
      const copy = Buffer.from(encoded);
      same(await hasher.tree(encoded, n), here);
      expect(encoded.equals(copy)).toBe(true); // the caller's records are untouched (they are being written meanwhile)
    }
    await hasher.close();
  });

  it("closes only once idle (a batch it holds is answered first), and hashes here after", async () => {
    const hasher = new TreeHasher();
    const { encoded, here } = batch(WORKER_MIN_RECORDS + 10);
    // Closed while starting and while holding a batch: terminating it inside keccak's native code could abort the process.
    const closing = hasher.close();
    await hasher.running;
    const held = hasher.tree(encoded, WORKER_MIN_RECORDS + 10);
    await closing;
    same(await held, here);
    same(await hasher.tree(encoded, WORKER_MIN_RECORDS + 10), here);
    expect(await hasher.running).toBe(true);
  });

  it("refuses a batch whose bytes are not whole records", async () => {
    const hasher = new TreeHasher();
    await hasher.running;
    const { encoded } = batch(WORKER_MIN_RECORDS);
    await expect(hasher.tree(encoded.subarray(1), WORKER_MIN_RECORDS)).rejects.toThrow(RangeError);
    await hasher.close();
  });
});
