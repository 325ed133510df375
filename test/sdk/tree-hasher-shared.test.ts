/**
 * A large batch's records go to the hashing worker in shared memory (TreeHasher.allocFor), so the
 * batcher's thread does not copy a 100,000-trace seal (51 MB) to hand it over; the tree is the one
 * this thread builds, and the records are not changed by the worker. Batches the worker would not
 * take, and a hasher without a worker, get ordinary memory. The worker does not load the preloads its
 * process was started with (under `hardhat run`, ts-node and hardhat/register: about a second of CPU
 * a batcher before its first hash).
 */
import { describe, it, expect } from "vitest";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
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

describe("TreeHasher: the worker's start", () => {
  it("does not load the process's preloads (-r), and hashes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "medprov-hasher-"));
    const preload = join(dir, "preload.cjs");
    writeFileSync(preload, `process.stdout.write("preloaded in " + (require("node:worker_threads").isMainThread ? "main" : "worker") + "\\n");`);
    const script = join(dir, "run.ts");
    const hasherPath = join(__dirname, "..", "..", "src", "sdk", "traces", "tree-hasher");
    writeFileSync(script, `import { TreeHasher } from ${JSON.stringify(hasherPath)};
(async () => { const h = new TreeHasher(); console.log("worker running: " + (await h.running)); await h.close(); })();`);
    const { stdout } = await promisify(execFile)(process.execPath, ["-r", require.resolve("tsx/cjs"), "-r", preload, script], { cwd: join(__dirname, "..", "..") });
    expect(stdout.trim().split("\n")).toEqual(["preloaded in main", "worker running: true"]);
  }, 60_000);
});
