/**
 * Trace batches as position-bound Merkle trees (docs/receipt.md, ITraceAnchor): the record with
 * sequence firstSeq + p is leaf p of a complete binary tree over exactly `count` leaves, laid out as
 * an array (leaf p at node count−1+p, node i = keccak(node[2i+1] ‖ node[2i+2]) — ordered, not
 * sorted), and the anchored root is keccak(abi.encode(count, treeRoot)) (the contract computes it).
 * A proof therefore verifies only at its record's own position, and the root commits to the
 * batch's size. Leaves are keccak(keccak(abi.encode(record))), as before. Trace records are all
 * static 32-byte words, so they are encoded directly; hashing uses the `keccak` package's native
 * binding rather than a pure-JS keccak (bench/anchor.ts measures the whole path). Building needs
 * no sort: one hash per leaf (the double hash) and one per internal node, as the sorted tree did.
 */
import { TRACE_RECORD_FIELDS, TRACE_RECORD_FIELDS_V2, type TraceField } from "../ids";
import { fillInternalNodes, keccak_256, leafNode, treeNodesOfEncoded } from "./tree-hash";

const hex = (b: Uint8Array) => "0x" + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const asBuffer = (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

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

/** Bytes of one encoded format-1 record: every field is one static ABI word (14 words). */
export const TRACE_LEAF_BYTES = 32 * TRACE_RECORD_FIELDS.length;
/** Bytes of one encoded format-2 record (16 words: format 1's, then indication and riskWarning). */
export const TRACE_LEAF_BYTES_V2 = 32 * TRACE_RECORD_FIELDS_V2.length;

/**
 * A vault slot (layout 5): every record of a batch takes TRACE_SLOT_BYTES, so a batch may mix
 * formats (a hospital migrating from format 1 sends both) and still be read at a fixed stride. A
 * format-2 record fills its slot; a format-1 record is its 448 bytes followed by the word
 * {@link V1_SLOT_MARK} where a format-2 record has its indication (a uint8, whose first byte is
 * always zero). The slot is storage only: the leaf hashes the record's own encoding, never the mark.
 */
export const TRACE_SLOT_BYTES = TRACE_LEAF_BYTES_V2;
/** Fills the indication word of a format-1 record's slot (0xff…ff: no uint8 encodes to it). */
export const V1_SLOT_MARK = 0xff;

/** The bytes of a slot that are the record's encoding (the first 448 for a format-1 record, all 512 otherwise). */
export const slotRecord = (slot: Uint8Array): Uint8Array => (slot.length === TRACE_SLOT_BYTES && slot[TRACE_LEAF_BYTES] === V1_SLOT_MARK ? slot.subarray(0, TRACE_LEAF_BYTES) : slot);

const UINT64_TEXT = /^(0|[1-9][0-9]{0,19})$/;

/** How each field is checked and written, worked out once from the ABI (the hot loop reads only this). */
const planOf = (fields: readonly TraceField[]) =>
  fields.map(({ name, type, max = 0n }) => {
    if (max >= 1n << 64n) throw new Error(`trace field ${name}: ${type} is wider than the encoder's 64 bits`);
    return { name, type, max, maxNumber: Number(max), wide: max > 0xffffffffn };
  });
const PLAN_V1 = planOf(TRACE_RECORD_FIELDS);
const PLAN_V2 = planOf(TRACE_RECORD_FIELDS_V2);

/** The bigint of a uint64 value: a bigint, or its decimal string without sign or leading zero; else undefined. */
function uint64Of(v: unknown, max: bigint): bigint | undefined {
  const n = typeof v === "bigint" ? v : typeof v === "string" && UINT64_TEXT.test(v) ? BigInt(v) : undefined;
  return n !== undefined && n >= 0n && n <= max ? n : undefined;
}

/**
 * abi.encode of the trace record's values (all static words); the vault stores records in this form.
 * The format follows from the number of values: 14 (format 1) or 16 (format 2, ending with the
 * indication and riskWarning). Accepts exactly what docs/receipt.md's strict parsing accepts (plus
 * bigints, which JSON cannot carry): bytes32 as lower-case hex, addresses lower-case or EIP-55,
 * uint64 as decimal strings, narrower integers as JS integers, all within their Solidity type (enums
 * within their members, the indication below MAX_INDICATIONS), booleans as true/false; anything
 * else is a RangeError, never truncated. Hot path: one pass per value, no allocation beyond the
 * output buffer for bytes32 and numbers. A batch encodes into one buffer (`into`, at `offset`): a
 * separate allocation per record was a fifth of a 100,000-trace seal, most of it GC.
 */
export function encodeTraceLeaf(values: readonly unknown[], into?: Buffer, offset = 0): Buffer {
  const plan = values.length === PLAN_V2.length ? PLAN_V2 : PLAN_V1;
  if (values.length !== plan.length) throw new RangeError(`a trace record has ${PLAN_V1.length} (format 1) or ${PLAN_V2.length} (format 2) values, not ${values.length}`);
  const bytes = 32 * plan.length;
  const buf = into ? into.subarray(offset, offset + bytes).fill(0) : Buffer.alloc(bytes);
  for (let i = 0; i < plan.length; i++) {
    const { name, type, max, maxNumber, wide } = plan[i];
    const v = values[i];
    const at = 32 * i;
    if (type === "bytes32") {
      if (!isStrictBytes32(v)) throw new RangeError(`${name}: bytes32 value malformed: ${JSON.stringify(v)}`);
      buf.write(v.slice(2), at, 32, "hex");
    } else if (type === "address") {
      if (!isStrictAddress(v)) throw new RangeError(`${name}: address malformed or mis-checksummed: ${JSON.stringify(v)}`);
      buf.write(v.slice(2), at + 12, 20, "hex");
    } else if (type === "bool") {
      if (typeof v !== "boolean") throw new RangeError(`${name}: bool value must be true or false: ${JSON.stringify(v)}`);
      buf[at + 31] = v ? 1 : 0;
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

/** Encodes a record's values into a vault slot of TRACE_SLOT_BYTES at `offset` (a format-1 record gets the mark after it). */
export function encodeTraceSlot(values: readonly unknown[], into: Buffer, offset: number): void {
  encodeTraceLeaf(values, into, offset);
  if (values.length === PLAN_V1.length) into.fill(V1_SLOT_MARK, offset + TRACE_LEAF_BYTES, offset + TRACE_SLOT_BYTES);
}

/**
 * The values of an encoded record (448 bytes: format 1; 512: format 2; a vault slot: either):
 * bytes32 and addresses as lower-case hex, integers as bigints, the risk warning as a boolean.
 */
export function decodeTraceLeaf(encoded: Uint8Array): (string | bigint | boolean)[] {
  const b = asBuffer(slotRecord(encoded));
  const fields = b.length === TRACE_LEAF_BYTES ? TRACE_RECORD_FIELDS : b.length === TRACE_LEAF_BYTES_V2 ? TRACE_RECORD_FIELDS_V2 : undefined;
  if (!fields) throw new RangeError("not an encoded trace record");
  return fields.map(({ type }, i) => {
    const at = 32 * i;
    if (type === "bytes32") return "0x" + b.toString("hex", at, at + 32);
    if (type === "address") return "0x" + b.toString("hex", at + 12, at + 32);
    if (type === "bool") return b[at + 31] === 1;
    return b.readBigUInt64BE(at + 24);
  });
}

/**
 * The parent of node `i`. Node indices reach 2^33 − 3 (a batch's count is a uint32), past the 32
 * bits JavaScript's shift operators work in: `(i - 1) >> 1` walked a forged batch claiming 2^32 − 1
 * traces up a one-step path, so a one-sibling proof verified that the contract refuses.
 */
const parentOf = (i: number) => Math.floor((i - 1) / 2);

export class TraceTree {
  private constructor(
    /** The array-laid-out tree in one buffer, 32 bytes a node: internal nodes first, then the leaves in position order. */
    private readonly nodes: Buffer,
  ) {}

  /** Builds the tree over leaf hashes in position order (leaf p is the record with sequence firstSeq + p). */
  static of(leaves: Uint8Array[]): TraceTree {
    if (leaves.length === 0) throw new RangeError("a Merkle tree needs at least one leaf");
    const n = leaves.length;
    const nodes = Buffer.allocUnsafe(32 * (2 * n - 1));
    for (let p = 0; p < n; p++) nodes.set(leaves[p], 32 * leafNode(n, p));
    return new TraceTree(fillInternalNodes(nodes, n));
  }

  /**
   * Builds the tree over `count` records encoded back to back (what a batch's seal holds): format-1
   * records of TRACE_LEAF_BYTES each (vault layouts up to 4), or vault slots of TRACE_SLOT_BYTES.
   */
  static ofEncoded(encoded: Uint8Array, count: number, stride: number = TRACE_LEAF_BYTES): TraceTree {
    return new TraceTree(treeNodesOfEncoded(encoded, count, stride));
  }

  /** The tree whose nodes {@link treeNodesOfEncoded} laid out (a worker thread's answer). */
  static ofNodes(nodes: Uint8Array): TraceTree {
    if (nodes.byteLength === 0 || nodes.byteLength % 64 !== 32) throw new RangeError("not the nodes of a trace tree");
    return new TraceTree(asBuffer(nodes));
  }

  /** Leaves in the tree (the batch's count). */
  get size(): number {
    return (this.nodes.length / 32 + 1) / 2;
  }

  private node(i: number): Buffer {
    return this.nodes.subarray(32 * i, 32 * i + 32);
  }

  /**
   * The whole tree in one buffer (for the vault): leaf count, then the nodes. (Vaults written by
   * TraceAnchor 2.x also carried each value's tree index after the nodes; those trees are sorted
   * and are refused here.)
   */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(4 + this.nodes.length);
    out.writeUInt32BE(this.size, 0);
    this.nodes.copy(out, 4);
    return out;
  }

  static fromBuffer(buf: Uint8Array): TraceTree {
    const b = asBuffer(buf);
    if (b.length < 4) throw new RangeError("not a serialized trace tree");
    const n = b.readUInt32BE(0);
    if (n === 0 || b.length !== 4 + 32 * (2 * n - 1)) throw new RangeError("not a serialized trace tree (or one from TraceAnchor 2.x, whose trees were sorted)");
    return new TraceTree(b.subarray(4));
  }

  /** The top of the tree, which the hospital submits as `treeRoot`. */
  get treeRoot(): string {
    return hex(this.node(0));
  }

  /** The root the contract anchors: keccak(abi.encode(count, treeRoot)). */
  get root(): string {
    return batchRootOf(this.size, this.node(0));
  }

  leafHash(position: number): string {
    return hex(this.node(leafNode(this.size, position)));
  }

  /** Sibling path of the leaf at `position`, leaf to top. */
  getProof(position: number): string[] {
    const proof: string[] = [];
    for (let i = leafNode(this.size, position); i > 0; i = parentOf(i)) proof.push(hex(this.node(i % 2 === 1 ? i + 1 : i - 1)));
    return proof;
  }
}

/** keccak256(abi.encode(uint32 count, bytes32 treeRoot)): the anchored root of a `count`-leaf tree. */
export function batchRootOf(count: number, treeRoot: Uint8Array | string): string {
  const word = Buffer.alloc(64);
  word.writeUInt32BE(count, 28);
  word.set(typeof treeRoot === "string" ? Buffer.from(treeRoot.slice(2), "hex") : treeRoot, 32);
  return hex(keccak_256(word));
}

/**
 * Walks a proof from the leaf at `position` of a `count`-leaf tree to the anchored root (an odd
 * node index is a left child), as the contract's verifyTrace does; undefined when the position is
 * outside the batch or the proof's length is not that position's path length.
 */
export function processProof(leaf: Uint8Array, proof: readonly string[], position: bigint, count: number): string | undefined {
  if (position < 0n || position >= BigInt(count)) return undefined;
  let node: Uint8Array = leaf;
  let k = 0;
  const pair = new Uint8Array(64);
  for (let i = leafNode(count, Number(position)); i > 0; i = parentOf(i)) {
    if (k === proof.length) return undefined;
    const s = Buffer.from(proof[k++].slice(2), "hex");
    pair.set(i % 2 === 1 ? node : s, 0);
    pair.set(i % 2 === 1 ? s : node, 32);
    node = keccak_256(pair);
  }
  return k === proof.length ? batchRootOf(count, node) : undefined;
}
