/**
 * A large batch's records go to the hashing worker in shared memory (TreeHasher.allocFor), so the
 * batcher's thread does not copy a 100,000-trace seal (51 MB) to hand it over; the tree is the one
 * this thread builds, and the records are not changed by the worker. Batches the worker would not
 * take, and a hasher without a worker, get ordinary memory.
 */
import { describe, it, expect } from "vitest";
import { randomBytes } from "node:crypto";
import { TRACE_SLOT_BYTES, TraceTree, V1_SLOT_MARK, TRACE_LEAF_BYTES } from "../../src/sdk/traces/merkle";
import { TreeHasher, WORKER_MIN_RECORDS } from "../../src/sdk/traces/tree-hasher";

/** `n` slots of random bytes, every other one marked as a format-1 record (so both slot kinds are hashed). */
function slotsInto(buf: Buffer, n: number): void {
  randomBytes(buf.length).copy(buf);
  for (let i = 0; i < n; i += 2) buf.fill(V1_SLOT_MARK, TRACE_SLOT_BYTES * i + TRACE_LEAF_BYTES, TRACE_SLOT_BYTES * (i + 1));
}

describe("TreeHasher: records in shared memory", () => {
  it("a batch the worker takes is in shared memory (posted without a copy) and hashes to this thread's tree; smaller ones and a hasher without a worker use ordinary memory", async () => {
    const hasher = new TreeHasher();
    expect(await hasher.running).toBe(true);
    const n = WORKER_MIN_RECORDS + 3;
    const shared = hasher.allocFor(n, TRACE_SLOT_BYTES);
    expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.length).toBe(n * TRACE_SLOT_BYTES);
    slotsInto(shared, n);
    const copy = Buffer.from(shared);
    const tree = await hasher.tree(shared, n, TRACE_SLOT_BYTES);
    expect(tree.toBuffer().equals(TraceTree.ofEncoded(copy, n, TRACE_SLOT_BYTES).toBuffer())).toBe(true);
    expect(shared.equals(copy)).toBe(true);
    expect(hasher.allocFor(WORKER_MIN_RECORDS - 1, TRACE_SLOT_BYTES).buffer).not.toBeInstanceOf(SharedArrayBuffer);
    await hasher.close();
    expect(hasher.allocFor(n, TRACE_SLOT_BYTES).buffer).not.toBeInstanceOf(SharedArrayBuffer); // closed: hashed here
    const here = new TreeHasher(false);
    expect(here.allocFor(n, TRACE_SLOT_BYTES).buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });
});
