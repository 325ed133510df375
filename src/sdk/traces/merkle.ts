/**
 * A fast path for trace batches. `@openzeppelin/merkle-tree` spends ~0.4 ms per leaf on generic
 * ABI encoding and proof self-checks, which caps anchoring near 500 traces/s (bench/anchor.ts).
 * Trace records are all static 32-byte words, so here they are encoded directly and the tree is
 * built with the library's exact layout: StandardMerkleTree leaf = keccak(keccak(abi.encode(values))),
 * leaves sorted by hash, nodes = keccak of the sorted pair, the same array indexing. A property test
 * checks roots, leaf hashes and proofs against StandardMerkleTree; receipts verify with it unchanged.
 * Hashing uses the `keccak` package's native binding rather than a pure-JS keccak (bench/anchor.ts measures the whole path).
 */
import { dirname } from "node:path";
import createKeccak from "keccak";
import { TRACE_LEAF_ENCODING, TRACE_RECORD_FIELDS } from "../ids";

const hex = (b: Uint8Array) => "0x" + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const asBuffer = (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

interface NativeKeccak {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(bytes: number): Buffer;
}
/**
 * The `keccak` package wraps every hash in a Transform stream; reusing its native state directly
 * saves a stream object per hash on the hottest loop of anchoring. Keccak-256: rate 1088, capacity 512, padding 0x01. Falls back to the
 * package's API where the native addon is unavailable.
 */
const native: NativeKeccak | undefined = (() => {
  try {
    const load = require("node-gyp-build") as (dir: string) => new () => NativeKeccak; // untyped package
    const State = load(dirname(require.resolve("keccak/package.json")));
    return new State();
  } catch {
    return undefined;
  }
})();
const keccak_256 = native
  ? (data: Uint8Array): Buffer => {
      native.initialize(1088, 512);
      native.absorb(asBuffer(data));
      native.absorbLastFewBits(0x01);
      return native.squeeze(32);
    }
  : (data: Uint8Array): Buffer => createKeccak("keccak256").update(asBuffer(data)).digest();

/** keccak256(keccak256(abi.encode(values))) for the trace record's static types. */
export function traceLeafHash(values: readonly unknown[]): Uint8Array {
  return hashTraceLeaf(encodeTraceLeaf(values));
}

/** The StandardMerkleTree leaf of an already encoded record. */
export const hashTraceLeaf = (encoded: Uint8Array): Buffer => keccak_256(keccak_256(encoded));

/** True when s[from, to) is lower-case hex (one pass over the characters, no regular expression). */
function lowerHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Mixed-case addresses already found correctly checksummed (subjects repeat across traces). */
const checksummed = new Set<string>();

/**
 * True for "0x" + 40 hex digits, either all lower-case or with the EIP-55 checksum exactly (the
 * receipt rule of docs/receipt.md). The checksum uses the native keccak: ~1 µs, once per address.
 */
export function isStrictAddress(v: unknown): v is string {
  if (typeof v !== "string" || v.length !== 42 || v.charCodeAt(0) !== 48 || v.charCodeAt(1) !== 120) return false;
  const lower = v.toLowerCase();
  if (!lowerHex(lower, 2, 42)) return false;
  if (lower === v || checksummed.has(v)) return true;
  const hash = keccak_256(Buffer.from(lower.slice(2), "ascii"));
  for (let i = 0; i < 40; i++) {
    const c = lower.charCodeAt(i + 2);
    const upper = c >= 97 && ((hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 0x0f) >= 8;
    if (v.charCodeAt(i + 2) !== (upper ? c - 32 : c)) return false;
  }
  if (checksummed.size >= 100_000) checksummed.clear();
  checksummed.add(v);
  return true;
}

/** "0x" + 64 lower-case hex digits: the one accepted form of a bytes32 (docs/receipt.md). */
export const isStrictBytes32 = (v: unknown): v is string => typeof v === "string" && v.length === 66 && v.charCodeAt(0) === 48 && v.charCodeAt(1) === 120 && lowerHex(v, 2, 66);

/** Bytes of one encoded record: every field is one static ABI word. */
export const TRACE_LEAF_BYTES = 32 * TRACE_RECORD_FIELDS.length;

const UINT64_TEXT = /^(0|[1-9][0-9]{0,19})$/;

/** How each field is checked and written, worked out once from the ABI (the hot loop reads only this). */
const PLAN = TRACE_RECORD_FIELDS.map(({ name, type, max = 0n }) => {
  if (max >= 1n << 64n) throw new Error(`trace field ${name}: ${type} is wider than the encoder's 64 bits`);
  return { name, type, max, maxNumber: Number(max), wide: max > 0xffffffffn };
});

/** The bigint of a uint64 value: a bigint, or its decimal string without sign or leading zero; else undefined. */
function uint64Of(v: unknown, max: bigint): bigint | undefined {
  const n = typeof v === "bigint" ? v : typeof v === "string" && UINT64_TEXT.test(v) ? BigInt(v) : undefined;
  return n !== undefined && n >= 0n && n <= max ? n : undefined;
}

/**
 * abi.encode of the trace record's values (all static words); the vault stores records in this form.
 * Accepts exactly what docs/receipt.md's strict parsing accepts (plus bigints, which JSON cannot
 * carry): bytes32 as lower-case hex, addresses lower-case or EIP-55, uint64 as decimal strings,
 * narrower integers as JS integers, all within their Solidity type (enums within their members);
 * anything else is a RangeError, never truncated. Hot path: one pass per value, no allocation
 * beyond the output buffer for bytes32 and numbers. A batch encodes into one buffer (`into`, at
 * `offset`): a separate allocation per record was a fifth of a 100,000-trace seal, most of it GC.
 */
export function encodeTraceLeaf(values: readonly unknown[], into?: Buffer, offset = 0): Buffer {
  const buf = into ? into.subarray(offset, offset + TRACE_LEAF_BYTES).fill(0) : Buffer.alloc(TRACE_LEAF_BYTES);
  for (let i = 0; i < PLAN.length; i++) {
    const { name, type, max, maxNumber, wide } = PLAN[i];
    const v = values[i];
    const at = 32 * i;
    if (type === "bytes32") {
      if (!isStrictBytes32(v)) throw new RangeError(`${name}: bytes32 value malformed: ${JSON.stringify(v)}`);
      buf.write(v.slice(2), at, 32, "hex");
    } else if (type === "address") {
      if (!isStrictAddress(v)) throw new RangeError(`${name}: address malformed or mis-checksummed: ${JSON.stringify(v)}`);
      buf.write(v.slice(2), at + 12, 20, "hex");
    } else if (!wide && typeof v === "number") {
      if (!Number.isInteger(v) || v < 0 || v > maxNumber) throw new RangeError(`${name}: ${type} value out of range: ${v}`);
      buf.writeUInt32BE(v, at + 28); // narrower than 33 bits
    } else {
      const n = wide ? uint64Of(v, max) : typeof v === "bigint" && v >= 0n && v <= max ? v : undefined;
      if (n === undefined) throw new RangeError(`${name}: ${type} value out of range or of the wrong kind: ${typeof v === "bigint" ? v : JSON.stringify(v)}`);
      buf.writeBigUInt64BE(n, at + 24);
    }
  }
  return buf;
}

/** The values of an encoded record: bytes32 and addresses as lower-case hex, integers as bigints. */
export function decodeTraceLeaf(encoded: Uint8Array): (string | bigint)[] {
  const b = asBuffer(encoded);
  if (b.length !== 32 * TRACE_LEAF_ENCODING.length) throw new RangeError("not an encoded trace record");
  return TRACE_LEAF_ENCODING.map((type, i) => {
    const at = 32 * i;
    if (type === "bytes32") return "0x" + b.toString("hex", at, at + 32);
    if (type === "address") return "0x" + b.toString("hex", at + 12, at + 32);
    return b.readBigUInt64BE(at + 24);
  });
}

export class TraceTree {
  private constructor(
    private readonly nodes: Uint8Array[],
    /** tree index of each value, by its input position */
    private readonly treeIndex: number[],
  ) {}

  /** Builds the tree over leaf hashes (in input order), as StandardMerkleTree.of does. */
  static of(leaves: Uint8Array[]): TraceTree {
    if (leaves.length === 0) throw new RangeError("a Merkle tree needs at least one leaf");
    // Sort by hash: compare the first 48 bits as numbers (a native call per comparison is the slow part), bytes on a tie.
    const prefix = leaves.map((l) => asBuffer(l).readUIntBE(0, 6));
    const order = leaves.map((_, i) => i).sort((a, b) => prefix[a] - prefix[b] || Buffer.compare(leaves[a], leaves[b]));
    const nodes = new Array<Uint8Array>(2 * leaves.length - 1);
    const treeIndex = new Array<number>(leaves.length);
    order.forEach((valueIndex, i) => {
      const at = nodes.length - 1 - i;
      nodes[at] = leaves[valueIndex];
      treeIndex[valueIndex] = at;
    });
    const pair = new Uint8Array(64);
    for (let i = nodes.length - 1 - leaves.length; i >= 0; i--) {
      const [a, b] = [nodes[2 * i + 1], nodes[2 * i + 2]];
      const [lo, hi] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
      pair.set(lo, 0);
      pair.set(hi, 32);
      nodes[i] = keccak_256(pair);
    }
    return new TraceTree(nodes, treeIndex);
  }

  /** Leaves in the tree. */
  get size(): number {
    return this.treeIndex.length;
  }

  /** The whole tree in one buffer (for the vault): leaf count, nodes, then each value's tree index. */
  toBuffer(): Buffer {
    const n = this.treeIndex.length;
    const out = Buffer.allocUnsafe(4 + 32 * this.nodes.length + 4 * n);
    out.writeUInt32BE(n, 0);
    this.nodes.forEach((node, i) => out.set(node, 4 + 32 * i));
    const at = 4 + 32 * this.nodes.length;
    this.treeIndex.forEach((t, i) => out.writeUInt32BE(t, at + 4 * i));
    return out;
  }

  static fromBuffer(buf: Uint8Array): TraceTree {
    const b = asBuffer(buf);
    const n = b.readUInt32BE(0);
    const nodes = Array.from({ length: 2 * n - 1 }, (_, i) => b.subarray(4 + 32 * i, 4 + 32 * (i + 1)));
    const at = 4 + 32 * nodes.length;
    if (b.length !== at + 4 * n) throw new RangeError("not a serialized trace tree");
    return new TraceTree(nodes, Array.from({ length: n }, (_, i) => b.readUInt32BE(at + 4 * i)));
  }

  get root(): string {
    return hex(this.nodes[0]);
  }

  leafHash(valueIndex: number): string {
    return hex(this.nodes[this.treeIndex[valueIndex]]);
  }

  /** Sibling path of the value at `valueIndex` (input order), leaf to root. */
  getProof(valueIndex: number): string[] {
    const proof: string[] = [];
    for (let i = this.treeIndex[valueIndex]; i > 0; i = Math.floor((i - 1) / 2)) proof.push(hex(this.nodes[i % 2 === 1 ? i + 1 : i - 1]));
    return proof;
  }
}

/** Walks a proof from a leaf hash to a root with sorted-pair keccak, as StandardMerkleTree.verify does. */
export function processProof(leaf: Uint8Array, proof: readonly string[]): string {
  let node: Uint8Array = leaf;
  const pair = new Uint8Array(64);
  for (const sibling of proof) {
    const s = Buffer.from(sibling.slice(2), "hex");
    const [lo, hi] = Buffer.compare(node, s) <= 0 ? [node, s] : [s, node];
    pair.set(lo, 0);
    pair.set(hi, 32);
    node = keccak_256(pair);
  }
  return hex(node);
}
