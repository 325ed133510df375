/**
 * The sync engine's chain stage: backfills from the deployment block, then follows the head by
 * polling. Each step takes a range from the fetch stage (fetch.ts: adaptive eth_getLogs, headers),
 * has the range-check stage verify it (check-range.ts: the RPC is distrusted), hands it to the
 * apply stage (apply.ts: handlers into a block writer), and commits it atomically with its cursor
 * and undo journal while the next range is fetched. It owns the cursor: a range that does not
 * continue the indexed chain is a reorg, rolled back to the common ancestor; one deeper than
 * `finality` stops it with a non-retryable error. RPC failures follow rpc-policy.ts.
 */
import { LIMITS } from "../constants";
import { MedprovError, generationsOf, type Deployment } from "../core";
import { decodersByTopic } from "./handlers";
import { planGenerations, scopesOf, withinGenerations, type Followed, type Scope } from "./generations";
import { catchUpGeneration, refuseLateEvents, type CatchUpDeps } from "./catch-up";
import { bloomBits } from "./bloom";
import { K } from "./keys";
import type { IndexStore } from "./store";
import { rpcWithPolicy, type RpcCaller } from "./rpc-policy";
import { FetchStage } from "./fetch";
import { checkBlooms, checkLinks, checkLogs } from "./check-range";
import { applyRange, createCommitPipeline } from "./apply";
import { RpcInconsistency, silentLogger, type CheckedLog, type Fetched, type Logger, type RpcSender } from "./types";

export type { Logger, RpcSender } from "./types";

export interface IndexerOptions {
  /** Anything that speaks JSON-RPC: an ethers JsonRpcProvider, or Hardhat's in-process provider. */
  provider: RpcSender;
  /** Every generation of it is indexed, each one's contracts over its block range (./generations.ts). */
  deployment: Deployment;
  /**
   * The manifest as it is now (`medprov index` and `serve` re-read deployments/<name>.json), asked
   * before each sync pass: one that gained a generation is adopted while running, its contracts
   * caught up over the blocks already read (catch-up.ts). Without it, `deployment` is followed.
   */
  manifest?: () => Deployment;
  store: IndexStore;
  /** Blocks to wait before indexing a block (0 for instant-finality chains such as QBFT). */
  confirmations?: number;
  /** Deepest reorg handled; deeper ones stop the indexer. Blocks within it are journaled. */
  finality?: number;
  /**
   * Largest eth_getLogs block range. The range starts at a hundredth of this and then follows the
   * log density, aiming at maxEventsPerRange logs a call, so memory stays flat on dense chains.
   */
  maxRange?: number;
  pollMs?: number;
  /** Most events applied in one atomic batch; larger answers are cut at a block boundary (flat memory). */
  maxEventsPerRange?: number;
  /** Attempts per RPC call before giving up (with exponential backoff). */
  retries?: number;
  logger?: Logger;
}

export interface IndexerStats {
  head: number;
  indexed: number;
  lag: number;
  events: number;
  eventsPerSecond: number;
  range: number;
  reorgs: number;
  rpcErrors: number;
  ignoredLogs: number;
}

/** A reorg deeper than the configured finality, or a chain that contradicts the index. */
export class FatalIndexerError extends MedprovError {
  constructor(code: string, message: string) {
    super(code, message, false);
    this.name = "FatalIndexerError";
  }
}

/** Follows one deployment's events (all its generations) into the store; see the file comment. */
class ChainStage {
  readonly stats: IndexerStats = { head: 0, indexed: 0, lag: 0, events: 0, eventsPerSecond: 0, range: 0, reorgs: 0, rpcErrors: 0, ignoredLogs: 0 };
  private readonly confirmations: number;
  private readonly finality: number;
  private readonly retries: number;
  private readonly log: Logger;
  /** The manifest followed: the one given, or a later one adopted (see reconcile). */
  private deployment: Deployment;
  /** A manifest whose generations differ from the one followed, to adopt before the next step. */
  private offered: Deployment | undefined;
  /** Whether the manifest's generations were checked against the index's record (once, before the first step). */
  private reconciled = false;
  /** The indexed contracts' addresses (lower-case) of every generation, from the manifest only. */
  private indexed!: Set<string>;
  /** Each generation's block range and contracts: a log counts only inside its generation's range. */
  private scopes!: Scope[];
  /** Where the index starts: the first generation's first block (a manifest changing it is refused). */
  private readonly firstBlock: number;
  private addressBits!: ReturnType<typeof bloomBits>[];
  /** Topic → compiled decoder, once: ethers' parseLog re-hashes every event signature for every log. */
  private readonly decoders = decodersByTopic();
  private readonly rpc: RpcCaller;
  private fetcher!: FetchStage;
  private readonly commits = createCommitPipeline();
  /** The next range's logs and headers, fetched (for the head seen then) while the current one is applied. */
  private prefetched: { from: number; head: number; result: Promise<Fetched | undefined> } | undefined;

  constructor(private readonly options: IndexerOptions) {
    this.confirmations = options.confirmations ?? 0;
    this.finality = options.finality ?? 64;
    this.retries = options.retries ?? 8;
    this.log = options.logger ?? silentLogger;
    this.deployment = options.deployment;
    this.firstBlock = generationsOf(options.deployment)[0].fromBlock;
    this.rpc = rpcWithPolicy(options.provider, { retries: this.retries, log: this.log, onError: () => void this.stats.rpcErrors++ });
    this.follow(options.deployment);
  }

  /** Reads the contracts of `d`'s generations from here on. */
  private follow(d: Deployment): void {
    this.deployment = d;
    this.scopes = scopesOf(d);
    const addresses = [...new Set(this.scopes.flatMap((s) => [...s.addresses]))];
    this.indexed = new Set(addresses);
    this.addressBits = addresses.map(bloomBits);
    this.prefetched = undefined; // fetched for the previous addresses
    this.fetcher = new FetchStage({ rpc: this.rpc, provider: this.options.provider, addresses, maxRange: this.options.maxRange ?? LIMITS.LOG_RANGE_MAX, maxEvents: this.maxEvents(), finality: this.finality, log: this.log });
    this.stats.range = this.fetcher.range();
  }

  private maxEvents = () => this.options.maxEventsPerRange ?? 10_000;

  /** The manifest followed now. */
  current(): Deployment {
    return this.deployment;
  }

  /** A manifest read again: adopted before the next step when its generations changed. */
  offer(d: Deployment): void {
    if (JSON.stringify(generationsOf(d)) !== JSON.stringify(generationsOf(this.deployment))) this.offered = d;
  }

  /**
   * Checks the manifest's generations against the index's record (generations.ts) and adopts them:
   * a generation closed below the cursor must have recorded nothing the index applied after its
   * close, and one opened below it is caught up to the cursor (catch-up.ts) before the next step.
   */
  private async reconcile(head: number): Promise<void> {
    await this.commits.settle();
    const d = this.offered ?? this.deployment;
    const store = this.options.store;
    const cursor = (await store.cursor()) ?? { block: this.firstBlock - 1, hash: "" };
    const plan = planGenerations(await store.get<Followed[]>(K.generations), d, cursor.block);
    const deps: CatchUpDeps = { store, rpc: this.rpc, provider: this.options.provider, decoders: this.decoders, finality: this.finality, maxRange: this.options.maxRange ?? LIMITS.LOG_RANGE_MAX, maxEvents: this.maxEvents(), log: this.log, onApplied: (n) => void (this.stats.events += n) };
    for (const closed of plan.closedBelow) await refuseLateEvents(deps, d, closed, cursor.block);
    if (d !== this.deployment) this.log.info({ generations: generationsOf(d).length }, "the deployment manifest changed: following its generations");
    this.follow(d);
    // Recorded first (catching-up generations with their progress), so a stop half-way continues.
    await store.write([{ type: "put", key: K.generations, value: plan.record }]);
    for (const gen of plan.catchUp) await catchUpGeneration(deps, d, this.scopes, plan.record, gen, cursor, head);
    this.offered = undefined;
    this.reconciled = true;
  }

  /** Waits for the commit in flight (the index is on disk after it). */
  settle(): Promise<void> {
    return this.commits.settle();
  }

  /** Walks back to the newest block whose stored hash the chain still has, and rolls back to it. */
  private async handleReorg(cursor: Cursor, head: number): Promise<void> {
    await this.commits.settle();
    this.prefetched = undefined; // fetched from the chain being replaced
    this.fetcher.dropSurplus();
    this.stats.reorgs++;
    for (let b = Math.min(cursor.block, head); b >= Math.max(this.firstBlock - 1, cursor.block - this.finality); b--) {
      const stored = b === cursor.block ? cursor.hash : await this.options.store.get<string>(K.blockHash(b));
      if (stored === undefined) continue;
      if ((await this.fetcher.header(b)).hash === stored) {
        const undone = await this.options.store.rollbackTo(b, stored);
        this.log.warn({ from: cursor.block, to: b, undone }, "reorg: rolled back to the common ancestor");
        return;
      }
    }
    throw new FatalIndexerError("REORG_TOO_DEEP", `the chain replaced blocks below ${cursor.block - this.finality}, deeper than the configured finality (${this.finality}); rebuild the index`);
  }

  /** True when the cursor's block is gone or replaced at this head (then the reorg is handled). */
  private async reorged(cursor: Cursor, head: number): Promise<boolean> {
    if (!cursor.hash) return false;
    // A chain now shorter than the index, or a recent cursor block with another hash: blocks were replaced.
    const replaced = cursor.block > head || (cursor.block >= 0 && cursor.block > head - this.finality - 1 && (await this.fetcher.header(cursor.block)).hash !== cursor.hash);
    if (replaced) await this.handleReorg(cursor, head);
    return replaced;
  }

  /** The range from `from`: prefetched when it still fits this head, and the next one prefetched behind it. */
  private async nextRange(from: number, target: number, head: number): Promise<Fetched> {
    // A prefetched range holds the headers of every block that could reorg at the head seen then;
    // with the head since moved back, that set would be short, so it is fetched again.
    const early = this.prefetched?.from === from && head >= this.prefetched.head ? await this.prefetched.result : undefined;
    this.prefetched = undefined;
    const f = early ?? (await this.fetcher.fetchRange(from, target, head));
    this.stats.range = this.fetcher.range();
    if (f.to < target) {
      // Checked like any range when its turn comes (it must continue this range's last hash), so
      // a reorg meanwhile is caught as if it had happened just after an ordinary fetch.
      this.prefetched = { from: f.to + 1, head, result: this.fetcher.fetchRange(f.to + 1, target, head).catch(() => undefined) };
    }
    return f;
  }

  /** Indexes one range (or handles one reorg). Returns false when already at the target. */
  async step(): Promise<boolean> {
    const head = Number(await this.rpc<string>("eth_blockNumber", []));
    const target = head - this.confirmations;
    this.stats.head = head;
    const cursor = this.commits.current()?.cursor ?? (await this.options.store.cursor()) ?? { block: this.firstBlock - 1, hash: "" };
    this.stats.indexed = cursor.block;
    this.stats.lag = Math.max(0, target - cursor.block);
    if (await this.reorged(cursor, head)) return true;
    if (!this.reconciled || this.offered) {
      await this.reconcile(head);
      return true;
    }
    if (cursor.block >= target) return false;
    const from = cursor.block + 1;
    const f = await this.nextRange(from, target, head);
    const { ours, ignored } = checkLogs(f, from, this.indexed);
    this.stats.ignoredLogs += ignored;
    // The range must continue the indexed chain; otherwise blocks were replaced under the cursor.
    if (cursor.hash && f.hs.get(from)!.parentHash !== cursor.hash) {
      await this.handleReorg(cursor, head);
      return true;
    }
    const unfinalizedFrom = Math.max(from, head - this.finality + 1);
    checkLinks(f, unfinalizedFrom);
    await checkBlooms(f, ours, unfinalizedFrom, this.addressBits, this.fetcher.receiptLogCount);
    // Checked as the node answered (blooms hold every generation's logs); applied only where they count.
    const { counted, outside } = withinGenerations(this.scopes, ours);
    this.stats.ignoredLogs += outside;
    await this.commitRange(f, counted, { from, head, target, unfinalizedFrom });
    return true;
  }

  /** Applies a checked range and starts its commit once the previous one landed. */
  private async commitRange(f: Fetched, ours: CheckedLog[], r: { from: number; head: number; target: number; unfinalizedFrom: number }): Promise<void> {
    const started = Date.now();
    const w = this.options.store.writer(this.commits.current()?.writer);
    let applied: number;
    try {
      applied = await applyRange(w, ours, f.hs, { decoders: this.decoders, journalAbove: r.head - this.finality, unfinalizedFrom: r.unfinalizedFrom, to: f.to });
      await this.commits.settle();
    } catch (e) {
      await w.discard(); // nothing of this range lands; it is fetched and applied again
      throw e;
    }
    this.commits.start(w, { block: f.to, hash: f.hs.get(f.to)!.hash }, r.head - this.finality);
    const s = this.stats;
    s.events += applied;
    s.indexed = f.to;
    s.lag = Math.max(0, r.target - f.to);
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    s.eventsPerSecond = applied > 0 ? Math.round(applied / seconds) : s.eventsPerSecond;
    this.log.info({ from: r.from, to: f.to, events: applied, lag: s.lag }, "indexed range");
  }

  /** Runs steps until the index reaches the head's target. Inconsistent RPC answers are retried. */
  async syncSteps(signal?: AbortSignal): Promise<void> {
    let inconsistencies = 0;
    while (!signal?.aborted) {
      try {
        if (!(await this.step())) break;
        inconsistencies = 0;
      } catch (e) {
        if (!(e instanceof RpcInconsistency)) throw e;
        this.stats.rpcErrors++;
        if (++inconsistencies > this.retries) throw new MedprovError("RPC_INCONSISTENT", `the RPC kept answering inconsistently: ${e.message}`, true);
        this.log.warn({ err: e.message }, "inconsistent RPC answer; retrying the range");
        await sleep(Math.min(100 * 2 ** inconsistencies, 2_000));
      }
    }
  }
}

interface Cursor {
  block: number;
  hash: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An indexer for one deployment: `syncOnce` catches up to the head; `run` follows it until aborted. */
export function createIndexer(options: IndexerOptions) {
  const chain = new ChainStage(options);

  /** Catches up to the head's target; the index is on disk when it returns (or the write's error is thrown). */
  async function syncOnce(signal?: AbortSignal): Promise<IndexerStats> {
    if (options.manifest) {
      try {
        chain.offer(options.manifest());
      } catch (e) {
        // A manifest that does not read (being edited by hand) leaves the one followed in place.
        options.logger?.warn({ err: String((e as Error).message) }, "deployment manifest not read again; following the one read before");
      }
    }
    try {
      await chain.syncSteps(signal);
    } finally {
      await chain.settle();
    }
    return { ...chain.stats };
  }

  /** Follows the head until `signal` aborts. Retryable failures back off; fatal ones throw. */
  async function run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await syncOnce(signal);
      } catch (e) {
        if (e instanceof MedprovError && !e.retryable) throw e;
        options.logger?.error({ err: String((e as Error).message) }, "sync failed; retrying");
      }
      await new Promise<void>((resolve) => {
        const wake = () => (clearTimeout(t), resolve());
        const t = setTimeout(() => (signal.removeEventListener("abort", wake), resolve()), options.pollMs ?? 1_000);
        signal.addEventListener("abort", wake, { once: true });
      });
    }
  }

  /** The deployment manifest followed now (a later one than `options.deployment` once adopted). */
  return { syncOnce, run, stats: () => ({ ...chain.stats }), deployment: () => chain.current() };
}

export type Indexer = ReturnType<typeof createIndexer>;
