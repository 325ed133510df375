/**
 * TraceBatcher: a hospital appends decision traces; the batcher seals them into batches with
 * contiguous sequence numbers, anchors each batch's Merkle root, and stores every record with its
 * proof in the vault.
 *
 * Crash safety, step by step (each arrow is one atomic, synced vault write):
 *   append  → qr:<first id>{the traces' slots}, id:<traceId>   (acknowledged: the trace will be anchored or quarantined)
 *   seal    → a:<seq>{records with salts, ABI-encoded, in runs}, id:<traceId>=seq, s:<firstSeq>{firstSeq, count}, −qr:…, meta:nextSeq
 *             (traces whose version is not APPROVED go to x:<queue id> instead, with a named reason);
 *             the tree is built meanwhile (a worker thread), the records determine it
 *   anchor  → (chain) anchorBatch for the oldest sealed batch; if the chain already holds it, it is not sent again.
 *             While it is under way the next batches are sealed (up to two full ones ahead), and the next is
 *             sent right behind its broadcast with the next nonce, so batches keep sequence order; the gas
 *             limit is estimated once per count of versions and reused (see gasLimitFor)
 *   finish  → b:<firstSeq>{batch, root, tx}, n:<firstSeq>{tree}, −s:<firstSeq>
 *   unseal  → when the chain refuses a sealed batch because one of its versions is no longer
 *             APPROVED (suspended or recalled after sealing): that version's traces, in it and in
 *             any batch sealed after it, go to x:<fresh queue id> (id:<traceId> = that id), the rest
 *             are numbered again from its firstSeq, batch by batch (a:…, id:…, s:…, meta:nextSeq) — then anchor.
 * Restarting at any point resumes from the vault: nothing appended is lost and nothing is anchored
 * twice, because the chain's `nextSequence` tells whether a sealed batch already landed, and a
 * sealed batch is checked against the versions' current status before it is sent again, so a
 * refused batch never blocks the traces behind it. No refusal is silent: an explicit flush throws
 * BATCH_REFUSED (after anchoring what it could), a background flush reports to `onError`.
 * One batcher per hospital: two would race for the same sequence numbers.
 */
import { randomBytes } from "node:crypto";
import { isError, type Signer } from "ethers";
import type { LedgerContracts } from "../deploy";
import { InputError, LedgerRevertError, MedprovError } from "../../core";
import { batchIdOf, traceLeafValues } from "../ids";
import { TRACE_SLOT_BYTES, TraceTree, encodeTraceSlot } from "./merkle";
import { TreeHasher, WORKER_MIN_RECORDS } from "./tree-hasher";
import { sendWrite } from "../tx";
import { isoOf } from "../../core";
import { CLINICIAN_ACTIONS, VersionStatus, VERSION_STATUSES, NUMBERS, Role, nameOf, type ClinicianActionName } from "../../constants";
import { recordFromEncoding, recordFromJson, validateTraceInput, type TraceInput, type TraceRecord } from "./record";
import { headerOfSlots, inputOfSlot, sealSlot, slotTime, slotTraceId, slotVersion, sameVersion } from "./queue-slot";
import { TraceVault, strideOf, type AnchoredTrace, type BatchToSeal, type QuarantineCode, type QuarantinedTrace, type Quarantining, type SealedBatch, type StoredBatch } from "./vault";

/**
 * Oldest a trace may be, in seconds of chain time, to be queued or sealed: the contract's
 * MAX_TRACE_AGE less MAX_CLOCK_SKEW, so a batch sealed now is still young enough when it is mined.
 */
export const SEALABLE_AGE = NUMBERS.MAX_TRACE_AGE - NUMBERS.MAX_CLOCK_SKEW;

/** Why a queued trace cannot go into the batch being sealed (a quarantine's named reason). */
interface Problem {
  code: QuarantineCode;
  reason: string;
  versionStatus?: string;
}

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
  /**
   * Called with every failure of a flush nobody awaits: the resume at open, flushes started by
   * count or age. BATCH_REFUSED (a {@link BatchRefusedError}) says which traces were quarantined.
   * Without it such failures are emitted as process warnings, never dropped.
   */
  onError?: (error: Error) => void;
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

/** One sealed batch the chain refused, and what became of its traces. */
export interface Refusal {
  firstSeq: bigint;
  /** The versions that were no longer APPROVED, with their status by name. */
  versions: { versionId: string; status: string }[];
  /** Traces quarantined (their versions are the ones above). */
  quarantined: number;
  /** Traces sealed again under the same firstSeq. */
  resealed: number;
}

/**
 * The chain refused sealed batches because a model version in them is no longer APPROVED. The
 * batcher has already quarantined those versions' traces and re-sealed (and, in this flush,
 * anchored) the rest; `batches` are the batches this flush anchored.
 */
export class BatchRefusedError extends MedprovError {
  constructor(
    readonly refusals: Refusal[],
    readonly batches: FlushedBatch[],
  ) {
    const r = refusals[0];
    const versions = r.versions.map((v) => `${v.versionId} is ${v.status}`).join(", ");
    const more = refusals.length > 1 ? ` (and ${refusals.length - 1} more refused batch(es))` : "";
    super(
      "BATCH_REFUSED",
      `the chain refused the batch sealed at sequence ${r.firstSeq}: model version ${versions}; ${r.quarantined} trace(s) quarantined (\`medprov trace quarantined\` lists them), ${r.resealed} sealed again from sequence ${r.firstSeq}${more}`,
      false,
      { refusals: refusals.map((x) => ({ ...x, firstSeq: x.firstSeq.toString() })), anchored: batches.length },
    );
    this.name = "BatchRefusedError";
  }
}

/** The records ABI-encoded in vault slots back to back in one buffer (one allocation a batch, not one a record). */
const encode = (records: TraceRecord[]): Buffer => {
  const all = Buffer.allocUnsafe(TRACE_SLOT_BYTES * records.length);
  records.forEach((r, i) => encodeTraceSlot(traceLeafValues(r), all, TRACE_SLOT_BYTES * i));
  return all;
};

/** Each queued slot's model version (a slot naming the same version as the one before reuses its string). */
function versionsOfSlots(queued: { slot: Buffer }[]): string[] {
  const out = new Array<string>(queued.length);
  queued.forEach((q, i) => (out[i] = i > 0 && sameVersion(q.slot, 0, queued[i - 1].slot, 0) ? out[i - 1] : slotVersion(q.slot)));
  return out;
}

/** The hospital's input behind a sealed record (what a quarantine keeps, so it can be looked at again). */
const inputOf = (r: TraceRecord): TraceInput => ({
  traceId: r.traceId, modelVersion: r.modelVersion, subject: r.subject, inputHash: r.inputHash, outputHash: r.outputHash, confidenceBps: r.confidenceBps,
  action: CLINICIAN_ACTIONS[r.action] as ClinicianActionName, clinicianHash: r.clinicianHash, finalDecisionHash: r.finalDecisionHash, time: Number(r.time),
  ...(r.indication !== undefined ? { indication: r.indication, riskWarning: r.riskWarning } : {}),
});

/**
 * What a batch declares about its records besides the root: their time window, and each version
 * they reference with how many of them reference it (first-seen order), so recall reports are exact.
 */
export function batchHeader(records: readonly Pick<TraceRecord, "time" | "modelVersion">[]): { fromTime: bigint; toTime: bigint; versions: string[]; versionCounts: number[] } {
  let fromTime = records[0].time;
  let toTime = records[0].time;
  const counts = new Map<string, number>();
  for (const r of records) {
    if (r.time < fromTime) fromTime = r.time;
    if (r.time > toTime) toTime = r.time;
    counts.set(r.modelVersion, (counts.get(r.modelVersion) ?? 0) + 1);
  }
  return { fromTime, toTime, versions: [...counts.keys()], versionCounts: [...counts.values()] };
}

/**
 * The gas limit for an anchorBatch whose estimate was `estimated`: half again, so one estimate
 * serves every later batch with as many versions (a hospital's first batch costs about 14% more
 * than its later ones; unused gas is not charged). Pure.
 */
export function anchorGasLimit(estimated: bigint): bigint {
  return (estimated * 3n) / 2n;
}

/** A sealed batch the chain will not take now (a version in it is no longer APPROVED); flushAll's signal to unseal it. */
class Refused {
  constructor(readonly statuses: Map<string, number>) {}
}

/** A batch anchored and stored (a class, so the flush loop tells it from {@link Refused} and "not reached"). */
class FlushedBatchResult {
  constructor(readonly batch: FlushedBatch) {}
}

/** A batch's anchoring under way (see TraceBatcher.startAnchor). */
interface Anchoring {
  firstSeq: string;
  /** True once its transaction is broadcast; false when none was (already anchored, refused, failed). */
  sent: Promise<boolean>;
  /** Undefined: sent behind a batch that did not land, so not anchored; the flush loop comes back to it. */
  result: Promise<FlushedBatchResult | Refused | undefined>;
}

/**
 * Sealed batches that may wait behind the one being anchored: two, so that one is ready to be sent
 * behind the oldest's broadcast while the next is sealed.
 */
export const SEALED_AHEAD = 2;

/** What a batch declares besides its root (see {@link batchHeader}). */
type BatchHeader = ReturnType<typeof batchHeader>;

/** A sealed batch with what anchoring it needs: its count and header, its tree, and the flush's accounting so far. */
interface SealedWork {
  sealed: SealedBatch;
  count: number;
  header: BatchHeader;
  tree: TraceTree;
  quarantined: number;
  timing: FlushedBatch["timing"];
}

export class TraceBatcher {
  private flushing: Promise<FlushedBatch[]> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private nextQueue = 0;
  private queuedCount = 0;
  /** Latest chain time seen (head block), and the host's monotonic clock (ms) when it was seen. */
  private chainTime = 0;
  private chainTimeSeenAt = 0;
  /** The end of the hospital's last anchored or sealed window: no trace stamped earlier can be anchored. */
  private timeFloor = 0;
  /** Versions the hospital recorded as deployed (a deployment is never undone, so only yes is cached). */
  private readonly deployed = new Set<string>();
  /** Trace ids whose append is being written, with whether that write landed. */
  private readonly inFlight = new Map<string, Promise<boolean>>();
  /** Writes that hand out queue ids (appends, unseals), in order, so meta:nextQueue never goes back. */
  private queueWrites: Promise<void> = Promise.resolve();
  /** anchorBatch gas limits by count of versions in the batch (see gasLimitFor). */
  private readonly gasLimits = new Map<number, bigint>();
  /** Builds batch trees on the other core while this thread writes the seal (batches too small for it are hashed here). */
  private readonly hasher: TreeHasher;

  private constructor(
    private readonly vault: TraceVault,
    private readonly options: Required<Omit<BatcherOptions, "onProgress" | "onBatch" | "onError">> & Pick<BatcherOptions, "onProgress" | "onBatch" | "onError">,
    readonly hospital: number,
  ) {
    this.hasher = new TreeHasher(options.maxBatch >= WORKER_MIN_RECORDS);
  }

  /**
   * Opens the vault, resolves the signer's hospital, and finishes any batch a crash interrupted
   * (failures of that resume go to `onError`: the batcher opens anyway, so its vault stays usable).
   * To read receipts or listings without a key or a chain, use {@link TraceVault.openReadOnly}.
   */
  static async open(options: BatcherOptions): Promise<TraceBatcher> {
    const hospital = Number(await options.ledger.consortium.requireMember(await options.signer.getAddress(), Role.HOSPITAL));
    const vault = await TraceVault.open(options.vaultPath);
    const batcher = new TraceBatcher(vault, { maxBatch: 10_000, maxAgeMs: 0, ...options }, hospital);
    batcher.nextQueue = (await vault.counters()).nextQueue;
    batcher.queuedCount = await vault.countQueued();
    await batcher.refreshChainTime();
    batcher.timeFloor = Number(await options.ledger.traces.lastToTime(hospital));
    if ((await vault.sealedBatches()).length > 0) await batcher.flushInBackground();
    if (batcher.options.maxAgeMs > 0) {
      batcher.timer = setInterval(() => void batcher.flushInBackground(), batcher.options.maxAgeMs);
      batcher.timer.unref();
    }
    return batcher;
  }

  /** A flush nobody awaits: its failure is reported, not thrown and not dropped. */
  private flushInBackground(): Promise<void> {
    return this.flush().then(
      () => undefined,
      (e: Error) => (this.options.onError ? this.options.onError(e) : process.emitWarning(`trace batcher: ${e.message}`, { code: (e as MedprovError).code ?? "TRACE_FLUSH_FAILED" })),
    );
  }

  /**
   * Validates and durably queues traces; resolves once they are in the vault (acknowledged).
   * Idempotent by trace id: a trace already queued or anchored is not queued again, so a client
   * that retries after a crash cannot get a trace anchored twice.
   */
  async append(...inputs: unknown[]): Promise<{ queueIds: number[]; duplicates: number }> {
    const now = this.chainNow();
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
      const known = await this.vault.known(claimed.map((v) => v.traceId));
      const seen = new Set<string>();
      const fresh = claimed.filter((v, i) => !known[i] && !seen.has(v.traceId) && seen.add(v.traceId));
      // Only new traces are held to the chain's rules: a retry of one already queued stays a duplicate.
      for (const v of fresh) this.checkTime(v, now);
      await this.requireDeployed(fresh);
      const ids = fresh.map(() => this.nextQueue++);
      if (fresh.length > 0) {
        const nextQueue = this.nextQueue;
        // Writes land in the order queue ids were handed out, so the vault's next queue id never goes back.
        await this.queueWrite(() => this.vault.enqueue(fresh.map((input, i) => ({ queueId: ids[i], input })), nextQueue));
      }
      ok = true;
      this.queuedCount += fresh.length;
      if (this.queuedCount >= this.options.maxBatch && !this.flushing) void this.flushInBackground();
      return { queueIds: ids, duplicates: valid.length - fresh.length };
    } finally {
      claimed.forEach((v) => this.inFlight.get(v.traceId) === outcome && this.inFlight.delete(v.traceId));
      wrote(ok);
    }
  }

  /** A vault step that hands out queue ids, after those handed out before it. */
  private queueWrite(step: () => Promise<void>): Promise<void> {
    const write = this.queueWrites.then(step);
    this.queueWrites = write.catch(() => undefined);
    return write;
  }

  /**
   * Anchors everything queued (and any interrupted batch). Concurrent calls share one run. When the
   * chain refused a sealed batch, throws {@link BatchRefusedError} once everything else is anchored.
   */
  flush(): Promise<FlushedBatch[]> {
    this.flushing ??= this.flushAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async refreshChainTime(): Promise<void> {
    const block = await this.options.signer.provider?.getBlock("latest");
    if (block && block.timestamp >= this.chainTime) [this.chainTime, this.chainTimeSeenAt] = [block.timestamp, performance.now()];
  }

  /**
   * Chain time now, estimated without a round trip: the head block's time plus the seconds elapsed
   * since it was read, on the host's monotonic clock (the host's date is never read, so a host clock
   * set hours ahead does not move it). The anchoring block is at least this late on a chain that keeps time.
   */
  private chainNow(): number {
    return this.chainTime + Math.floor((performance.now() - this.chainTimeSeenAt) / 1000);
  }

  /** The time bounds a trace must meet to be anchorable (docs/receipt.md), as a named problem. */
  private timeProblem(time: number, now: number): Problem | undefined {
    if (time < now - SEALABLE_AGE) return { code: "TRACE_TOO_OLD", reason: `the trace's time ${time} (${isoOf(time)}) is more than ${SEALABLE_AGE}s before chain time ${now}; the chain anchors no window older than ${NUMBERS.MAX_TRACE_AGE}s` };
    if (time < this.timeFloor) return { code: "TIME_BEFORE_LAST_BATCH", reason: `the trace's time ${time} (${isoOf(time)}) is before the end of hospital ${this.hospital}'s last batch window, ${this.timeFloor} (${isoOf(this.timeFloor)}); windows never run backwards` };
    return undefined;
  }

  /** Refuses (InputError, nothing queued) a trace the chain could not anchor because of its time. */
  private checkTime(input: TraceInput, now: number): TraceInput {
    const problem = this.timeProblem(input.time, now);
    if (problem) throw new InputError(problem.code, problem.reason, { field: "time" });
    return input;
  }

  /** Refuses (InputError TRACE_VERSION_NOT_DEPLOYED, nothing queued) traces of versions the hospital never recorded as deployed. */
  private async requireDeployed(inputs: TraceInput[]): Promise<void> {
    const unknown = [...new Set(inputs.map((i) => i.modelVersion))].filter((v) => !this.deployed.has(v));
    if (unknown.length === 0) return;
    const answers = await Promise.all(unknown.map((v) => this.options.ledger.models.isDeployed(v, this.hospital)));
    unknown.forEach((v, i) => answers[i] && this.deployed.add(v));
    const missing = unknown.find((_, i) => !answers[i]);
    if (missing) {
      throw new InputError("TRACE_VERSION_NOT_DEPLOYED", `model version ${missing} was never recorded as deployed by hospital ${this.hospital} (medprov model deploy); the chain anchors traces only of deployed versions`, { field: "modelVersion" });
    }
  }

  /**
   * Anchors the sealed batches in sequence order, sealing the next batches from the queue while the
   * oldest is being anchored (up to {@link SEALED_AHEAD} wait behind it). Once the oldest batch's
   * transaction is broadcast, the next batch sealed in this run is sent behind it (its nonce is
   * the next one, so the chain takes it after, in sequence order) while the oldest is acknowledged
   * and stored: the outbox's acknowledgement (a receipt, a synced write, a durable node) and the
   * vault's store no longer hold the next send back. Batches are still stored in sequence order. A
   * refused batch is unsealed once the seal and the send running beside it have settled, so no two
   * writes overlap.
   */
  private async flushAll(): Promise<FlushedBatch[]> {
    await this.refreshChainTime();
    const done: FlushedBatch[] = [];
    const refusals: Refusal[] = [];
    // Batches this run sealed, with their trees: sent without asking the chain where it stands.
    const fresh = new Map<string, SealedWork>();
    // The next batch's anchoring, started behind the current one's broadcast.
    let ahead: Anchoring | undefined;
    const finished = (result: FlushedBatch) => {
      done.push(result);
      this.options.onBatch?.(result);
    };
    for (;;) {
      const sealedBatches = await this.vault.sealedBatches();
      // A batch sent behind the last one is anchored next (it may already be stored, and so gone from the list).
      if (!ahead && sealedBatches.length === 0) {
        const sealed = await this.sealQueued();
        if (sealed === undefined) break;
        if (sealed) fresh.set(sealed.sealed.firstSeq, sealed);
        continue;
      }
      const head = sealedBatches[0];
      const current = ahead ?? this.startAnchor(fresh.get(head.firstSeq) ?? (await this.reload(head)), fresh.has(head.firstSeq));
      ahead = undefined;
      const later = sealedBatches.filter((b) => BigInt(b.firstSeq) > BigInt(current.firstSeq));
      // The batch to send behind this one: the next sealed in this run, or the first this iteration seals.
      let firstSealed!: (work: SealedWork | undefined) => void;
      const sealedNext = new Promise<SealedWork | undefined>((resolve) => (firstSealed = resolve));
      const waiting = later.length > 0 ? fresh.get(later[0].firstSeq) : undefined;
      const sealing = this.sealAhead(SEALED_AHEAD - later.length, (work) => {
        fresh.set(work.sealed.firstSeq, work);
        firstSealed(work);
      }).finally(() => firstSealed(undefined));
      const sendingNext = (async () => {
        const next = later.length > 0 ? waiting : await sealedNext;
        if (next && (await current.sent)) ahead = this.startAnchor(next, true, current);
      })();
      const [anchoring, sealed] = await Promise.allSettled([current.result, sealing, sendingNext]);
      fresh.delete(current.firstSeq);
      const result = anchoring.status === "fulfilled" ? anchoring.value : undefined;
      if (!(result instanceof FlushedBatchResult)) {
        // This batch did not land (or its outcome is unknown): wait for the one sent behind it (it
        // cannot land before this one; one that did is stored and reported) before anything else writes.
        const behind = await (ahead as Anchoring | undefined)?.result.catch(() => undefined); // (set inside the send above: TypeScript's narrowing cannot see it)
        if (behind instanceof FlushedBatchResult) finished(behind.batch);
        ahead = undefined;
      }
      if (anchoring.status === "rejected") throw anchoring.reason;
      if (sealed.status === "rejected") throw sealed.reason;
      if (result instanceof Refused) {
        // A refused batch was not stored: it is still sealed, and the oldest (those before it were stored first).
        refusals.push(await this.unsealFrom(sealedBatches.find((b) => b.firstSeq === current.firstSeq)!, result.statuses));
        fresh.clear(); // batches sealed after it were sealed again too
      } else if (result instanceof FlushedBatchResult) finished(result.batch);
    }
    if (refusals.length > 0) throw new BatchRefusedError(refusals, done);
    return done;
  }

  /**
   * Starts anchoring `work`. `sent` resolves once its transaction is broadcast (true) or it is
   * known none will be (false). Sent `behind` a batch not yet mined, a chain that estimates the
   * transaction on its latest block refuses it (the sequence has a gap there) before it is signed;
   * it is then anchored again once the batch before has settled, as a batch found sealed is (the
   * chain is asked where it stands first), or left to the flush loop when that batch did not land.
   */
  private startAnchor(work: SealedWork, fresh: boolean, behind?: Anchoring): Anchoring {
    let markSent!: (broadcast: boolean) => void;
    const sent = new Promise<boolean>((resolve) => (markSent = resolve));
    let broadcast = false;
    const onSent = () => markSent((broadcast = true));
    const result = (async () => {
      try {
        return await this.anchorSealed(work, fresh, onSent, behind?.result);
      } catch (e) {
        if (!behind || broadcast) throw e;
        const before = await behind.result.catch(() => undefined);
        if (!(before instanceof FlushedBatchResult)) return undefined;
        return await this.anchorSealed(work, false, onSent);
      } finally {
        markSent(broadcast);
      }
    })();
    result.catch(() => undefined); // awaited by the flush loop; a failure is thrown there
    return { firstSeq: work.sealed.firstSeq, sent, result };
  }

  /**
   * Seals up to `count` full batches from the queue, one after another, handing each to `onSealed`,
   * while an older batch is anchored. A batch short of maxBatch is sealed only when nothing is in
   * flight (flushAll), so sealing ahead of appends still arriving does not cut them into more
   * batches (and transactions) than waiting for them would; a flush still drains the queue.
   */
  private async sealAhead(count: number, onSealed: (work: SealedWork) => void): Promise<void> {
    for (let i = 0; i < count; i++) {
      if (this.queuedCount < this.options.maxBatch) return;
      const sealed = await this.sealQueued();
      if (sealed === undefined) return;
      if (sealed) onSealed(sealed);
    }
  }

  /** A batch found sealed (after a crash, or sealed again after a refusal): its records and tree from the vault. */
  private async reload(sealed: SealedBatch): Promise<SealedWork> {
    const timing = { hashMs: 0, vaultMs: 0, chainMs: 0 };
    const t0 = Date.now();
    const encoded = Buffer.concat(await this.vault.records(BigInt(sealed.firstSeq), sealed.count, strideOf(sealed)));
    const count = encoded.length / strideOf(sealed);
    const header = headerOfSlots(encoded, count, strideOf(sealed));
    this.timeFloor = Math.max(this.timeFloor, Number(header.toTime));
    const tree = await this.hasher.tree(encoded, count, strideOf(sealed));
    timing.hashMs += Date.now() - t0;
    return { sealed, count, header, tree, quarantined: 0, timing };
  }

  /**
   * Seals the oldest queued traces into the next batch (quarantining those whose version is not
   * APPROVED or whose time the chain would refuse). Undefined when nothing is queued; null when
   * every trace taken was quarantined.
   */
  private async sealQueued(): Promise<SealedWork | null | undefined> {
    const timing = { hashMs: 0, vaultMs: 0, chainMs: 0 };
    const queued = await this.vault.queued(this.options.maxBatch);
    if (queued.length === 0) return undefined;
    const t0 = Date.now();
    const versions = versionsOfSlots(queued);
    const statuses = await this.versionStatuses(versions);
    const firstSeq = await this.nextSequence();
    timing.chainMs += Date.now() - t0;
    const chainNow = this.chainNow();
    const problems = queued.map((q, i) => this.versionProblem(versions[i], statuses.get(versions[i])!, "when it was sealed") ?? this.timeProblem(slotTime(q.slot), chainNow));
    const accepted = queued.filter((_, i) => !problems[i]);
    const rejected = queued.flatMap((q, i) => (problems[i] ? [{ q, problem: problems[i] }] : []));
    this.queuedCount = Math.max(0, this.queuedCount - queued.length);
    const t1 = Date.now();
    const encoded = this.sealSlots(accepted.map((q) => q.slot), firstSeq);
    const count = accepted.length;
    // The tree is built (on the worker, for a large batch) while this thread writes the seal: the
    // seal needs the records, salts and sequence numbers durable, not the root, which they determine.
    const hashed = count > 0 ? this.hasher.tree(encoded, count, TRACE_SLOT_BYTES).then((tree) => ((timing.hashMs += Date.now() - t1), tree)) : undefined;
    hashed?.catch(() => undefined); // awaited below, after the write; a failure is thrown there
    this.options.onProgress?.({ phase: "seal", done: count, total: queued.length });
    const t2 = Date.now();
    // Records go to their final place now (salts and sequence numbers must be durable before the root is sent).
    const now = rejected.length > 0 ? await this.quarantineTime() : 0;
    const quarantined = rejected.map(({ q, problem }) => ({ ticket: q.queueId, traceId: slotTraceId(q.slot), entry: this.quarantine(inputOfSlot(q.slot), problem, now, "seal") }));
    const header = count > 0 ? headerOfSlots(encoded, count, TRACE_SLOT_BYTES) : undefined;
    if (header) this.timeFloor = Math.max(this.timeFloor, Number(header.toTime));
    const traceIds = Array.from({ length: count }, (_, i) => slotTraceId(encoded, TRACE_SLOT_BYTES * i));
    const batch = count > 0 ? { firstSeq, traceIds, encoded } : undefined;
    await this.vault.seal({ through: queued.at(-1)!.queueId, quarantined, batch, nextSeq: firstSeq + BigInt(count) });
    timing.vaultMs += Date.now() - t2;
    if (!header) return null;
    const sealed = { firstSeq: firstSeq.toString(), count, slot: TRACE_SLOT_BYTES };
    return { sealed, count, header, tree: await hashed!, quarantined: rejected.length, timing };
  }

  /** The queued slots as sealed records, back to back in one buffer: each with this hospital, its sequence number from `firstSeq`, and a fresh salt. */
  private sealSlots(slots: Buffer[], firstSeq: bigint): Buffer {
    const salts = randomBytes(32 * slots.length);
    const encoded = this.hasher.allocFor(slots.length, TRACE_SLOT_BYTES);
    slots.forEach((slot, i) => {
      slot.copy(encoded, TRACE_SLOT_BYTES * i);
      sealSlot(encoded, TRACE_SLOT_BYTES * i, this.hospital, firstSeq + BigInt(i), salts, 32 * i);
    });
    return encoded;
  }

  /** VERSION_NOT_APPROVED unless `status` is APPROVED (`when`: at which stage, for the reason). */
  private versionProblem(versionId: string, status: number, when: string): Problem | undefined {
    if (status === VersionStatus.APPROVED) return undefined;
    const statusName = nameOf(VERSION_STATUSES, status);
    return { code: "VERSION_NOT_APPROVED", reason: `model version ${versionId} is ${statusName}, not APPROVED, ${when}`, versionStatus: statusName };
  }

  /** A quarantine entry: the input, the named reason, and the chain's time. */
  private quarantine(input: TraceInput, problem: Problem, time: number, stage: "seal" | "anchor", sealedSeq?: bigint): QuarantinedTrace {
    return {
      input,
      ...problem,
      time,
      iso: isoOf(time),
      stage,
      ...(sealedSeq !== undefined ? { sealedSeq: sealedSeq.toString() } : {}),
    };
  }

  /** The chain's time now (the head block), for quarantine entries. */
  private async quarantineTime(): Promise<number> {
    await this.refreshChainTime();
    return this.chainTime;
  }

  /**
   * Anchors a sealed batch unless the chain already has it. Only a batch found sealed (at start-up,
   * or sealed again after a refusal) needs the chain asked whether a previous run already sent it; a
   * batch this run sealed is sent directly (the contract refuses a firstSeq other than its count,
   * and the batch then stays sealed for the resume path to diagnose). A batch that references a
   * version no longer APPROVED — found before sending, or named by the chain's refusal — comes
   * back as {@link Refused}, written nowhere yet: the caller unseals it. `onSent` is told once its
   * transaction is broadcast; `storedBefore` (the previous batch's anchoring) settles before it is stored.
   */
  private async anchorSealed(work: SealedWork, fresh: boolean, onSent?: () => void, storedBefore?: Promise<unknown>): Promise<FlushedBatchResult | Refused> {
    const { sealed, count, header, tree, quarantined, timing } = work;
    const { traces } = this.options.ledger;
    // Batches sealed by earlier releases kept their root: it still has to match.
    if (sealed.root !== undefined && tree.root !== sealed.root) throw new MedprovError("VAULT_CORRUPT", `sealed batch at ${sealed.firstSeq} no longer hashes to its root`);
    const firstSeq = BigInt(sealed.firstSeq);
    const batchId = batchIdOf(this.hospital, firstSeq);
    const t1 = Date.now();
    const chainNext = fresh ? firstSeq : await traces.nextSequence(this.hospital);
    let anchored: { anchorTx: string; blockNumber: number } | Refused;
    if (chainNext === firstSeq) {
      anchored = fresh ? await this.send(sealed, header, count, tree, onSent) : ((await this.refusedVersions(header.versions)) ?? (await this.send(sealed, header, count, tree, onSent)));
    } else if (chainNext >= firstSeq + BigInt(count)) {
      anchored = await this.alreadyAnchored(batchId, tree.root);
    } else {
      throw new MedprovError("VAULT_CHAIN_MISMATCH", `the vault expects hospital ${this.hospital}'s next batch at ${firstSeq} but the chain is at ${chainNext}; is another batcher anchoring for this hospital?`);
    }
    timing.chainMs += Date.now() - t1;
    if (anchored instanceof Refused) return anchored;
    this.options.onProgress?.({ phase: "anchored", done: count, total: count });
    await storedBefore?.catch(() => undefined); // batches are stored in sequence order
    const t3 = Date.now();
    const stored: StoredBatch = { firstSeq: sealed.firstSeq, count: sealed.count, ...(sealed.slot ? { slot: sealed.slot } : {}), root: tree.root, batchId, ...anchored };
    await this.vault.storeAnchored(stored, tree);
    timing.vaultMs += Date.now() - t3;
    this.options.onProgress?.({ phase: "store", done: count, total: count });
    return new FlushedBatchResult({ batchId, firstSeq, count, root: tree.root, anchorTx: anchored.anchorTx, quarantined, timing });
  }

  /** Sends the batch; a refusal for a version no longer APPROVED (it changed since the check) comes back as {@link Refused}. */
  private async send(sealed: SealedBatch, header: BatchHeader, count: number, tree: TraceTree, onSent?: () => void): Promise<{ anchorTx: string; blockNumber: number } | Refused> {
    const { traces } = this.options.ledger;
    const versions = header.versions.length;
    this.options.onProgress?.({ phase: "anchor", done: 0, total: count });
    try {
      const anchoring = traces.connect(this.options.signer);
      const batch = { treeRoot: tree.treeRoot, firstSeq: BigInt(sealed.firstSeq), count, ...header };
      const sent = await sendWrite(traces, async () => {
        const tx = await anchoring.anchorBatch(batch, { gasLimit: await this.gasLimitFor(versions, () => anchoring.anchorBatch.estimateGas(batch)) });
        onSent?.(); // broadcast: the next batch may be sent behind it
        return tx;
      });
      return { anchorTx: sent.txHash, blockNumber: sent.blockNumber };
    } catch (e) {
      // Whatever failed, the next send of this shape estimates again (and so hears a refusal before signing).
      this.gasLimits.delete(versions);
      // Refused by the estimate, or mined and reverted (sent with a reused gas limit, a mined revert
      // is named by its replay through an outbox, and is ethers' CALL_EXCEPTION otherwise): in each
      // the batch is not anchored, so a version no longer APPROVED unseals it.
      const reverted = e instanceof LedgerRevertError || (isError(e, "CALL_EXCEPTION") && e.receipt?.status === 0);
      if (reverted) {
        const refused = await this.refusedVersions(header.versions);
        if (refused) return refused;
      }
      throw e;
    }
  }

  /**
   * The gas limit for anchoring a batch of `versions` model versions: estimated once per count (the
   * first estimate also hears a refusal before anything is signed), then reused with half again as
   * headroom. anchorBatch's gas is fixed by the batch's shape: its count of versions, and whether it
   * is the hospital's first batch (about 17,000 more, docs/bench-gas.md), which the headroom covers.
   */
  private async gasLimitFor(versions: number, estimate: () => Promise<bigint>): Promise<bigint> {
    let limit = this.gasLimits.get(versions);
    if (limit === undefined) {
      limit = anchorGasLimit(await estimate());
      this.gasLimits.set(versions, limit);
    }
    return limit;
  }

  /** A previous run sent this batch and crashed before storing the proofs: find its anchoring, do not anchor it twice. */
  private async alreadyAnchored(batchId: string, root: string): Promise<{ anchorTx: string; blockNumber: number }> {
    const { traces } = this.options.ledger;
    const onChain = await traces.batchRoot(batchId);
    if (onChain !== root) throw new MedprovError("VAULT_CHAIN_MISMATCH", `batch ${batchId} on chain has root ${onChain}, the vault sealed ${root}`);
    const [event] = await traces.queryFilter(traces.filters.BatchAnchored(batchId, this.hospital));
    if (!event) throw new MedprovError("VAULT_CHAIN_MISMATCH", `batch ${batchId} has a root but no BatchAnchored event was found`, true);
    return { anchorTx: event.transactionHash, blockNumber: event.blockNumber };
  }

  /** Whether any of a batch's `versions` is no longer APPROVED (with every version's status); undefined when all are. */
  private async refusedVersions(versions: string[]): Promise<Refused | undefined> {
    const statuses = await this.versionStatuses(versions);
    return [...statuses.values()].some((s) => s !== VersionStatus.APPROVED) ? new Refused(statuses) : undefined;
  }

  /**
   * Unseals the refused batch `head` and every batch sealed after it, in one vault write: traces of
   * the versions no longer APPROVED are quarantined (each under a fresh queue id, with the named
   * reason and the chain's time); the rest keep their batches and salts but are numbered again from
   * head's firstSeq, so no sequence number is skipped (a batch left empty is dropped).
   */
  private async unsealFrom(head: SealedBatch, statuses: Map<string, number>): Promise<Refusal> {
    const refused = [...statuses].filter(([, s]) => s !== VersionStatus.APPROVED);
    const bad = new Set(refused.map(([v]) => v));
    const firstSeq = BigInt(head.firstSeq);
    const now = await this.quarantineTime();
    const quarantined: Quarantining[] = [];
    const batches: BatchToSeal[] = [];
    const sealed = (await this.vault.sealedBatches()).filter((b) => BigInt(b.firstSeq) >= firstSeq);
    const sealedRecords = await Promise.all(sealed.map(async (b) => (await this.vault.records(BigInt(b.firstSeq), b.count, strideOf(b))).map((e) => recordFromJson(recordFromEncoding(e)))));
    // From here to the write's turn nothing is awaited: tickets are handed out in the order writes land.
    let seq = firstSeq;
    for (const records of sealedRecords) {
      for (const r of records.filter((x) => bad.has(x.modelVersion))) {
        const problem = this.versionProblem(r.modelVersion, statuses.get(r.modelVersion)!, `after it was sealed at sequence ${r.seq} (the chain refused the batch)`)!;
        quarantined.push({ ticket: this.nextQueue++, traceId: r.traceId, entry: this.quarantine(inputOf(r), problem, now, "anchor", r.seq) });
      }
      const kept = records.filter((r) => !bad.has(r.modelVersion)).map((r, i) => ({ ...r, seq: seq + BigInt(i) }));
      if (kept.length > 0) batches.push({ firstSeq: seq, traceIds: kept.map((r) => r.traceId), encoded: encode(kept) });
      seq += BigInt(kept.length);
    }
    const nextQueue = this.nextQueue;
    await this.queueWrite(() => this.vault.reseal({ from: firstSeq, quarantined, batches, nextQueue, nextSeq: seq }));
    const versions = refused.map(([versionId, s]) => ({ versionId, status: nameOf(VERSION_STATUSES, s) }));
    return { firstSeq, versions, quarantined: quarantined.length, resealed: Number(seq - firstSeq) };
  }

  private async nextSequence(): Promise<bigint> {
    const { nextSeq } = await this.vault.counters();
    return nextSeq ?? (await this.options.ledger.traces.nextSequence(this.hospital));
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
  find(traceId: string): Promise<AnchoredTrace | undefined> {
    return this.vault.find(traceId);
  }

  /** Traces quarantined (never to be anchored), oldest first, each with its named reason and chain time. */
  async quarantined(): Promise<QuarantinedTrace[]> {
    const out: QuarantinedTrace[] = [];
    for await (const q of this.vault.quarantined()) out.push(q);
    return out;
  }

  get storage(): TraceVault {
    return this.vault;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushing?.catch(() => undefined);
    await this.hasher.close();
    await this.vault.close();
  }
}
