/**
 * Builds batch trees on a worker thread, so the batcher's thread seals (encodes, writes the vault)
 * while the other core hashes: on two cores a large batch's hashing (two keccaks a leaf and one a
 * node) no longer adds to its seal write. The worker runs ./tree-hash's function from its source
 * text (no TypeScript loader to start in the thread). Small batches, and any batch while the worker
 * is starting or after it failed, are hashed on this thread: the tree is the same either way.
 */
import { Worker } from "node:worker_threads";
import { TRACE_LEAF_BYTES, TraceTree } from "./merkle";
import { treeHashing } from "./tree-hash";

/**
 * Below this many records a batch is hashed here: copying it to the worker and back, and the
 * worker's start (a fifth of a second of CPU on a loaded machine), cost more than they free.
 */
export const WORKER_MIN_RECORDS = 4096;

/**
 * The worker's program. `__name` is the helper some TypeScript transpilers (tsx, esbuild's
 * keepNames) put into function bodies; outside its module it has to be defined.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const __name = (f) => f;
const { treeNodesOfEncoded } = (${treeHashing.toString()})(require);
parentPort.on("message", ({ id, encoded, count, leafBytes }) => {
  try {
    const nodes = treeNodesOfEncoded(encoded, count, leafBytes);
    parentPort.postMessage({ id, nodes }, [nodes.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message) });
  }
});
parentPort.postMessage({ ready: true });
`;

interface Waiting {
  resolve: (t: TraceTree) => void;
  reject: (e: Error) => void;
  encoded: Buffer;
  count: number;
  stride: number;
}

/** Hashes a request on this thread (the worker could not). */
function hashHere({ resolve, reject, encoded, count, stride }: Waiting): void {
  try {
    resolve(TraceTree.ofEncoded(encoded, count, stride));
  } catch (e) {
    reject(e as Error);
  }
}

type Answer = { ready: true } | { id: number; nodes: Uint8Array } | { id: number; error: string };

export class TreeHasher {
  private worker: Worker | undefined;
  private ready = false;
  private started!: (ok: boolean) => void;
  /** Resolves true once the worker takes batches, false when there is none (batches are then hashed here). */
  readonly running = new Promise<boolean>((resolve) => (this.started = resolve));
  private nextId = 0;
  private readonly pending = new Map<number, Waiting>();
  /** Called once no batch is pending (close() waits for it). */
  private idle: (() => void) | undefined;

  /** Starts the worker (it loads while the batcher takes appends); `useWorker: false` hashes here only. */
  constructor(useWorker = true) {
    if (!useWorker) {
      this.started(false);
      return;
    }
    try {
      // execArgv: [] — a worker inherits its parent's preloads by default: under `hardhat run` (ts-node
      // and hardhat/register) or `node -r tsx/cjs` it loaded them all before its first hash, about a
      // second of CPU a batcher. Its program is plain JavaScript and needs none of them.
      const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      worker.unref(); // an idle hasher keeps no process alive; a pending request refs it (below)
      worker.on("message", (m: Answer) => this.answer(m));
      worker.on("error", () => this.fail());
      worker.on("exit", () => this.fail());
      this.worker = worker;
    } catch {
      this.worker = undefined;
      this.started(false);
    }
  }

  /**
   * A buffer for `count` records of `stride` bytes that {@link tree} hands to the worker without a
   * copy: shared memory when the worker would hash it (neither thread writes it once it is handed
   * over: the worker reads, this thread writes it to the vault), ordinary memory otherwise.
   */
  allocFor(count: number, stride: number): Buffer {
    const bytes = count * stride;
    if (!this.worker || !this.ready || count < WORKER_MIN_RECORDS) return Buffer.allocUnsafe(bytes);
    return Buffer.from(new SharedArrayBuffer(bytes));
  }

  /**
   * The tree over `count` records encoded back to back in `encoded` (not modified), `stride` bytes
   * each: TRACE_LEAF_BYTES (format-1 records, vault layouts up to 4) or TRACE_SLOT_BYTES (vault slots).
   */
  tree(encoded: Buffer, count: number, stride: number = TRACE_LEAF_BYTES): Promise<TraceTree> {
    const worker = this.worker;
    if (!worker || !this.ready || count < WORKER_MIN_RECORDS) return Promise.resolve(TraceTree.ofEncoded(encoded, count, stride));
    const id = this.nextId++;
    return new Promise<TraceTree>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, encoded, count, stride });
      if (this.pending.size === 1) worker.ref();
      // Copied, unless it is shared memory ({@link allocFor}): the caller keeps writing `encoded` to the vault, and nobody changes it.
      worker.postMessage({ id, encoded, count, leafBytes: stride });
    });
  }

  private answer(m: Answer): void {
    if ("ready" in m) {
      this.ready = true;
      this.started(true);
      return;
    }
    const waiting = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (this.pending.size === 0) {
      this.worker?.unref();
      this.idle?.();
    }
    if (!waiting) return;
    // A batch the worker could not hash is hashed here, so it fails (if it does) with this thread's error.
    if ("error" in m) hashHere(waiting);
    else waiting.resolve(TraceTree.ofNodes(m.nodes));
  }

  /** A worker that failed or exited is dropped: the batches it held, and later ones, are hashed here. */
  private fail(): void {
    this.worker = undefined;
    this.ready = false;
    this.started(false);
    const held = [...this.pending.values()];
    this.pending.clear();
    this.idle?.();
    held.forEach(hashHere);
  }

  /**
   * Stops the worker once it is idle (later batches are hashed here). A thread terminated inside
   * keccak's native code — loading it, or hashing — can abort the whole process (napi_create_reference),
   * so the worker is first let finish starting and answer the batches it holds.
   */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await this.running;
    if (this.pending.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.worker = undefined;
    this.ready = false;
    await worker.terminate();
  }
}
