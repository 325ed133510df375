/**
 * The hashing under a trace batch's Merkle tree. It is written as one self-contained function so
 * that a worker thread (./tree-hasher.ts) runs the very same code from its source text, with no
 * TypeScript loader to start: the function refers to nothing outside itself but `load` (require).
 * Keccak-256 runs on the `keccak` package's native state directly: the package wraps every hash in
 * a Transform stream, and reusing its native state saves a stream object per hash on the hottest
 * loop of anchoring (rate 1088, capacity 512, padding 0x01); the package's own API is the fallback
 * where the addon is missing.
 */
export function treeHashing(load: (id: string) => unknown) {
  const asBuffer = (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  interface NativeKeccak {
    initialize(rate: number, capacity: number): void;
    absorb(data: Buffer): void;
    absorbLastFewBits(bits: number): void;
    squeeze(bytes: number): Buffer;
  }
  let native: NativeKeccak | undefined;
  try {
    const gypBuild = load("node-gyp-build") as (dir: string) => new () => NativeKeccak; // untyped package
    const { dirname } = load("node:path") as typeof import("node:path");
    native = new (gypBuild(dirname((load as NodeJS.Require).resolve("keccak/package.json"))))();
  } catch {
    native = undefined;
  }
  const createKeccak = load("keccak") as typeof import("keccak");
  const state = native;
  const keccak_256 = state
    ? (data: Uint8Array): Buffer => {
        state.initialize(1088, 512);
        state.absorb(asBuffer(data));
        state.absorbLastFewBits(0x01);
        return state.squeeze(32);
      }
    : (data: Uint8Array): Buffer => createKeccak("keccak256").update(asBuffer(data)).digest();

  /** Node index of the leaf at `position` in a tree of `count` leaves (docs/receipt.md). */
  const leafNode = (count: number, position: number) => count - 1 + position;

  /**
   * Fills the internal nodes of an array-laid-out tree whose leaves are in place: `nodes` holds
   * 2·count − 1 hashes of 32 bytes, node i = keccak(node[2i+1] ‖ node[2i+2]).
   */
  const fillInternalNodes = (nodes: Buffer, count: number): Buffer => {
    for (let i = count - 2; i >= 0; i--) keccak_256(nodes.subarray(32 * (2 * i + 1), 32 * (2 * i + 3))).copy(nodes, 32 * i);
    return nodes;
  };

  /**
   * A vault slot (merkle.ts TRACE_SLOT_BYTES, 512) holds a format-2 record whole, or a format-1
   * record's 448 bytes followed by 0xff bytes (V1_SLOT_MARK) where a format-2 record's indication
   * word begins with a zero byte. Repeated here because this function may refer to nothing outside.
   */
  const SLOT = 512;
  const V1_BYTES = 448;
  const V1_MARK = 0xff;

  /**
   * The whole tree over `count` records encoded back to back (`leafBytes` each: 448, format-1
   * records; or 512, vault slots of either format), as one buffer of 2·count − 1 nodes:
   * leaf p = keccak(keccak(record p)) at node count − 1 + p, internal nodes above.
   */
  const treeNodesOfEncoded = (encoded: Uint8Array, count: number, leafBytes: number): Buffer => {
    if (count < 1) throw new RangeError("a Merkle tree needs at least one leaf");
    if (encoded.byteLength !== count * leafBytes) throw new RangeError(`expected ${count} encoded records of ${leafBytes} bytes`);
    const records = asBuffer(encoded);
    // Not allocUnsafe: a small one would come from Node's shared pool, which cannot be handed to another thread.
    const nodes = Buffer.alloc(32 * (2 * count - 1));
    for (let p = 0; p < count; p++) {
      const at = leafBytes * p;
      const bytes = leafBytes === SLOT && records[at + V1_BYTES] === V1_MARK ? V1_BYTES : leafBytes;
      keccak_256(keccak_256(records.subarray(at, at + bytes))).copy(nodes, 32 * leafNode(count, p));
    }
    return fillInternalNodes(nodes, count);
  };

  return { keccak_256, leafNode, fillInternalNodes, treeNodesOfEncoded };
}

export const { keccak_256, leafNode, fillInternalNodes, treeNodesOfEncoded } = treeHashing(require);
