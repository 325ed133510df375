/**
 * TraceBatcher: a hospital appends decision traces; the batcher seals them into batches with
 * contiguous sequence numbers, anchors each batch's Merkle root, and stores every record with its
 * proof in the vault.
 *
 * Crash safety, step by step (each arrow is one atomic vault write):
 *   append  → q:<id>, id:<traceId>                    (acknowledged: the trace will be anchored)
 *   seal    → a:<seq>{record with salt, ABI-encoded}, id:<traceId>=seq, sealed{firstSeq, count, root}, −q:…, meta:nextSeq
 *   anchor  → (chain) anchorBatch; if the chain already holds this batch, it is not sent again
 *   finish  → b:<firstSeq>{batch, tx}, n:<firstSeq>{tree}, −sealed
 * Restarting at any point resumes from the vault: nothing appended is lost and nothing is anchored
 * twice, because the chain's `nextSequence` tells whether the sealed batch already landed.
 * One batcher per hospital: two would race for the same sequence numbers.
 */
import { randomBytes } from "node:crypto";
import type { Signer } from "ethers";
import type { LedgerContracts } from "../deploy";
import { MedprovError } from "../errors";
import { batchIdOf, traceLeafValues } from "../ids";
import { TraceTree, encodeTraceLeaf, hashTraceLeaf } from "./merkle";
import { sendWrite } from "../tx";
import { VersionStatus, NUMBERS, Role } from "../../constants";
import { recordFromEncoding, recordFromJson, sealTrace, validateTraceInput, type TraceRecord } from "./record";
import { TraceVault, batchKey, queueKey, seqKey, treeKey, type AnchoredTrace, type SealedBatch, type StoredBatch, type VaultOp } from "./vault";

export interface BatcherOptions {
  vaultPath: string;
  ledger: LedgerContracts;
  signer: Signer;
  /** Anchor when this many traces are queued (and never more in one batch). */
  maxBatch?: number;
  /** Anchor queued traces at least this often, in milliseconds (0: only on flush()). */
  maxAgeMs?: number;
  /** Called with each batch once it is anchored and stored (including batches flushed by count or age). */
  onBatch?: (batch: FlushedBatch) => void;
  /** Progress callback for long flushes. */
  onProgress?: (event: { phase: "seal" | "anchor" | "anchored" | "store"; done: number; total: number }) => void;
}

export interface FlushedBatch {
  batchId: string;
  firstSeq: bigint;
  count: number;
  root: string;
  anchorTx: string;
  quarantined: number;
  /** Milliseconds spent hashing (leaves, tree), writing the vault, and waiting for the chain. */
  timing: { hashMs: number; vaultMs: number; chainMs: number };
}

const encode = (records: TraceRecord[]) => records.map((r) => encodeTraceLeaf(traceLeafValues(r)));
const asTree = (encoded: Buffer[]) => TraceTree.of(encoded.map(hashTraceLeaf));

export class TraceBatcher {
  private flushing: Promise<FlushedBatch[]> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private nextQueue = 0;
  private queuedCount = 0;
  /** Latest chain time seen; traces are checked against it as well as the local clock. */
  private chainTime = 0;
  /** Trace ids whose append is being written, with whether that write landed. */
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private appendWrites: Promise<void> = Promise.resolve();

  private constructor(
    private readonly vault: TraceVault,
    private readonly options: Required<Omit<BatcherOptions, "onProgress" | "onBatch">> & Pick<BatcherOptions, "onProgress" | "onBatch">,
    readonly hospital: number,
  ) {}

  /** Opens the vault, resolves the signer's hospital, and finishes any batch a crash interrupted. */
  static async open(options: BatcherOptions): Promise<TraceBatcher> {
    const hospital = Number(await options.ledger.consortium.requireMember(await options.signer.getAddress(), Role.HOSPITAL));
    const vault = await TraceVault.open(options.vaultPath);
    const batcher = new TraceBatcher(vault, { maxBatch: 10_000, maxAgeMs: 0, ...options }, hospital);
    batcher.nextQueue = (await vault.get<number>("meta:nextQueue")) ?? 0;
    batcher.queuedCount = await vault.countQueued();
    await batcher.refreshChainTime();
    if (await vault.get("sealed")) await batcher.flush();
    if (batcher.options.maxAgeMs > 0) {
      batcher.timer = setInterval(() => void batcher.flush().catch(() => undefined), batcher.options.maxAgeMs);
      batcher.timer.unref();
    }
    return batcher;
  }

  /**
   * Validates and durably queues traces; resolves once they are in the vault (acknowledged).
   * Idempotent by trace id: a trace already queued or anchored is not queued again, so a client
   * that retries after a crash cannot get a trace anchored twice.
   */
  async append(...inputs: unknown[]): Promise<{ queueIds: number[]; duplicates: number }> {
    const now = Math.max(Math.floor(Date.now() / 1000), this.chainTime);
    const valid = inputs.map((i) => validateTraceInput(i, now));
    // Concurrent appends: a retry racing its original waits for the original's write. If it landed,
    // the trace is a duplicate; if it failed, this call writes it (the original's caller saw the error).
    const landed = new Set<string>();
    for (;;) {
      const racing = [...new Set(valid.map((v) => v.traceId).filter((id) => !landed.has(id) && this.inFlight.has(id)))];
      if (racing.length === 0) break;
      const outcomes = await Promise.all(racing.map((id) => this.inFlight.get(id)));
      racing.forEach((id, i) => outcomes[i] && landed.add(id));
    }
    const claimed = valid.filter((v) => !landed.has(v.traceId));
    let wrote!: (ok: boolean) => void;
    const outcome = new Promise<boolean>((resolve) => (wrote = resolve));
    claimed.forEach((v) => this.inFlight.set(v.traceId, outcome));
    let ok = false;
    try {
      const known = await this.vault.getMany(claimed.map((v) => `id:${v.traceId}`));
      const seen = new Set<string>();
      const fresh = claimed.filter((v, i) => known[i] === undefined && !seen.has(v.traceId) && seen.add(v.traceId));
      const ids = fresh.map(() => this.nextQueue++);
      if (fresh.length > 0) {
        const ops: VaultOp[] = [];
        fresh.forEach((input, i) => ops.push({ type: "put", key: queueKey(ids[i]), value: input }, { type: "put", key: `id:${input.traceId}`, value: ids[i] }));
        ops.push({ type: "put", key: "meta:nextQueue", value: this.nextQueue });
        // Writes land in the order queue ids were handed out, so meta:nextQueue never goes back.
        const write = this.appendWrites.then(() => this.vault.write(ops));
        this.appendWrites = write.catch(() => undefined);
        await write;
      }
      ok = true;
      this.queuedCount += fresh.length;
      if (this.queuedCount >= this.options.maxBatch && !this.flushing) void this.flush().catch(() => undefined);
      return { queueIds: ids, duplicates: valid.length - fresh.length };
    } finally {
      claimed.forEach((v) => this.inFlight.get(v.traceId) === outcome && this.inFlight.delete(v.traceId));
      wrote(ok);
    }
  }

  /** Anchors everything queued (and any interrupted batch). Concurrent calls share one run. */
  flush(): Promise<FlushedBatch[]> {
    this.flushing ??= this.flushAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async refreshChainTime(): Promise<void> {
    const block = await this.options.signer.provider?.getBlock("latest");
    if (block) this.chainTime = Math.max(this.chainTime, block.timestamp);
  }

  private async flushAll(): Promise<FlushedBatch[]> {
    await this.refreshChainTime();
    const done: FlushedBatch[] = [];
    for (;;) {
      const result = await this.flushOne();
      if (!result) return done;
      if (result.count > 0) {
        done.push(result);
        this.options.onBatch?.(result);
      }
    }
  }

  /** Seals (unless a sealed batch is pending), anchors and stores one batch. */
  private async flushOne(): Promise<FlushedBatch | undefined> {
    const timing = { hashMs: 0, vaultMs: 0, chainMs: 0 };
    let sealed = await this.vault.get<SealedBatch>("sealed");
    let quarantined = 0;
    if (!sealed) {
      const queued = await this.vault.queued(this.options.maxBatch);
      if (queued.length === 0) return undefined;
      const t0 = Date.now();
      const statuses = await this.versionStatuses(queued.map((q) => q.input.modelVersion));
      const firstSeq = await this.nextSequence();
      timing.chainMs += Date.now() - t0;
      const accepted = queued.filter((q) => statuses.get(q.input.modelVersion) === VersionStatus.APPROVED);
      const rejected = queued.filter((q) => statuses.get(q.input.modelVersion) !== VersionStatus.APPROVED);
      quarantined = rejected.length;
      this.queuedCount = Math.max(0, this.queuedCount - queued.length);
      const t1 = Date.now();
      const salts = randomBytes(32 * accepted.length);
      const records = accepted.map((q, i) => sealTrace(q.input, this.hospital, firstSeq + BigInt(i), "0x" + salts.subarray(32 * i, 32 * i + 32).toString("hex")));
      const encoded = encode(records);
      const tree = records.length > 0 ? asTree(encoded) : undefined;
      timing.hashMs += Date.now() - t1;
      this.options.onProgress?.({ phase: "seal", done: records.length, total: queued.length });
      const t2 = Date.now();
      sealed = tree ? { firstSeq: firstSeq.toString(), count: records.length, root: tree.root } : undefined;
      // Records go to their final place now (salts and sequence numbers must be durable before the root is sent).
      const ops: VaultOp[] = [];
      for (const q of queued) ops.push({ type: "del", key: q.key });
      for (const q of rejected) {
        ops.push({ type: "put", key: `x:${q.key.slice(2)}`, value: { input: q.input, reason: `model version ${q.input.modelVersion} is not APPROVED (status ${statuses.get(q.input.modelVersion)}) at anchoring time` } });
      }
      records.forEach((r, i) => {
        ops.push({ type: "put", key: seqKey(r.seq), value: encoded[i], valueEncoding: "buffer" }, { type: "put", key: `id:${r.traceId}`, value: r.seq.toString() });
      });
      if (sealed) ops.push({ type: "put", key: "sealed", value: sealed });
      ops.push({ type: "put", key: "meta:nextSeq", value: (firstSeq + BigInt(records.length)).toString() });
      await this.vault.write(ops);
      timing.vaultMs += Date.now() - t2;
      if (!sealed) return { batchId: "", firstSeq, count: 0, root: "", anchorTx: "", quarantined, timing };
      return this.anchorSealed(sealed, records, tree!, quarantined, timing, true);
    }
    // Resuming after a crash: rebuild the tree from the sealed records.
    const t0 = Date.now();
    const encoded = await this.vault.records(BigInt(sealed.firstSeq), sealed.count);
    const records = encoded.map((e) => recordFromJson(recordFromEncoding(e)));
    const tree = asTree(encoded);
    timing.hashMs += Date.now() - t0;
    return this.anchorSealed(sealed, records, tree, quarantined, timing);
  }

  /**
   * Anchors a sealed batch unless the chain already has it. Only a batch found sealed at start-up
   * needs the chain asked whether a previous run already sent it; a batch sealed just now is sent
   * directly (the contract refuses a firstSeq other than its count, and the batch then stays sealed
   * for the resume path to diagnose).
   */
  private async anchorSealed(sealed: SealedBatch, records: TraceRecord[], tree: TraceTree, quarantined: number, timing: FlushedBatch["timing"], fresh = false): Promise<FlushedBatch> {
    const { traces } = this.options.ledger;
    if (tree.root !== sealed.root) throw new MedprovError("VAULT_CORRUPT", `sealed batch at ${sealed.firstSeq} no longer hashes to its root`);
    const firstSeq = BigInt(sealed.firstSeq);
    const batchId = batchIdOf(this.hospital, firstSeq);
    const t1 = Date.now();
    const chainNext = fresh ? firstSeq : await traces.nextSequence(this.hospital);
    let anchorTx: string;
    let blockNumber: number;
    if (chainNext === firstSeq) {
      const times = records.map((r) => r.time);
      const versions = [...new Set(records.map((r) => r.modelVersion))];
      const fromTime = times.reduce((a, b) => (b < a ? b : a));
      const toTime = times.reduce((a, b) => (b > a ? b : a));
      this.options.onProgress?.({ phase: "anchor", done: 0, total: records.length });
      const sent = await sendWrite(traces, () => traces.connect(this.options.signer).anchorBatch({ root: sealed.root, firstSeq, count: records.length, fromTime, toTime, versions }));
      anchorTx = sent.txHash;
      blockNumber = sent.blockNumber;
    } else if (chainNext >= firstSeq + BigInt(records.length)) {
      // A previous run sent this batch and crashed before storing the proofs: do not anchor it twice.
      const onChain = await traces.batchRoot(batchId);
      if (onChain !== sealed.root) throw new MedprovError("VAULT_CHAIN_MISMATCH", `batch ${batchId} on chain has root ${onChain}, the vault sealed ${sealed.root}`);
      const [event] = await traces.queryFilter(traces.filters.BatchAnchored(batchId, this.hospital));
      if (!event) throw new MedprovError("VAULT_CHAIN_MISMATCH", `batch ${batchId} has a root but no BatchAnchored event was found`, true);
      anchorTx = event.transactionHash;
      blockNumber = event.blockNumber;
    } else {
      throw new MedprovError("VAULT_CHAIN_MISMATCH", `the vault expects hospital ${this.hospital}'s next batch at ${firstSeq} but the chain is at ${chainNext}; is another batcher anchoring for this hospital?`);
    }
    timing.chainMs += Date.now() - t1;
    this.options.onProgress?.({ phase: "anchored", done: records.length, total: records.length });
    const t3 = Date.now();
    const stored: StoredBatch = { ...sealed, batchId, anchorTx, blockNumber };
    await this.vault.write([
      { type: "put", key: batchKey(firstSeq), value: stored },
      { type: "put", key: treeKey(firstSeq), value: tree.toBuffer(), valueEncoding: "buffer" },
      { type: "del", key: "sealed" },
    ]);
    timing.vaultMs += Date.now() - t3;
    this.options.onProgress?.({ phase: "store", done: records.length, total: records.length });
    return { batchId, firstSeq, count: records.length, root: sealed.root, anchorTx, quarantined, timing };
  }

  private async nextSequence(): Promise<bigint> {
    const stored = await this.vault.get<string>("meta:nextSeq");
    return stored !== undefined ? BigInt(stored) : await this.options.ledger.traces.nextSequence(this.hospital);
  }

  private async versionStatuses(versions: string[]): Promise<Map<string, number>> {
    const unique = [...new Set(versions)];
    if (unique.length > NUMBERS.MAX_LIST_LENGTH) {
      throw new MedprovError("BATCH_TOO_MANY_VERSIONS", `a batch may reference at most ${NUMBERS.MAX_LIST_LENGTH} model versions; lower maxBatch`);
    }
    const statuses = await Promise.all(unique.map((v) => this.options.ledger.models.versionStatus(v)));
    return new Map(unique.map((v, i) => [v, Number(statuses[i])]));
  }

  /** The stored anchored trace for a trace id, or undefined. */
  async find(traceId: string): Promise<AnchoredTrace | undefined> {
    // id: holds the queue id (a number) until the trace is sealed, then its sequence number (a string).
    const seq = await this.vault.get<number | string>(`id:${traceId.toLowerCase()}`);
    return typeof seq === "string" ? this.vault.anchoredAt(BigInt(seq)) : undefined;
  }

  get storage(): TraceVault {
    return this.vault;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushing?.catch(() => undefined);
    await this.vault.close();
  }
}
