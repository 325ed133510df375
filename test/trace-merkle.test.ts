/**
 * The batcher's fast tree must be exactly OpenZeppelin's StandardMerkleTree: same leaf hashes,
 * same root, same proofs, for any set of records (property test).
 */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { TRACE_LEAF_ENCODING, traceLeafValues, type TraceRecord } from "../src/sdk";
import { TraceTree, decodeTraceLeaf, encodeTraceLeaf, processProof, traceLeafHash } from "../src/sdk/traces/merkle";
import { recordFromEncoding, recordToJson } from "../src/sdk/traces/record";

const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => "0x" + Buffer.from(b).toString("hex"));
const record: fc.Arbitrary<TraceRecord> = fc.record({
  traceId: hex32, hospital: fc.integer({ min: 0, max: 2 ** 32 - 1 }), seq: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), modelVersion: hex32,
  subject: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => "0x" + Buffer.from(b).toString("hex")),
  inputHash: hex32, outputHash: hex32, confidenceBps: fc.integer({ min: 0, max: 65535 }), tier: fc.integer({ min: 0, max: 3 }), action: fc.integer({ min: 0, max: 4 }), // enums: Solidity refuses larger
  clinicianHash: hex32, finalDecisionHash: hex32, time: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), salt: hex32,
});

describe("TraceTree equals StandardMerkleTree", () => {
  it("leaf hashes, roots and proofs agree for random record sets", () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), (records) => {
        const values = records.map(traceLeafValues);
        const std = StandardMerkleTree.of(values, [...TRACE_LEAF_ENCODING]);
        const built = TraceTree.of(values.map(traceLeafHash));
        // The vault stores trees as bytes and cuts proofs from the stored copy: check that copy.
        const fast = TraceTree.fromBuffer(built.toBuffer());
        expect([fast.root, fast.size]).toEqual([std.root, values.length]);
        values.forEach((v, i) => {
          expect(fast.leafHash(i)).toBe(std.leafHash(v));
          expect(fast.getProof(i)).toEqual(std.getProof(i));
          expect(processProof(traceLeafHash(v), std.getProof(i))).toBe(std.root);
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
