/**
 * The sync engine: backfills from the deployment block with batched eth_getLogs over a range
 * that adapts to the provider, then follows the head by polling. It distrusts the RPC (logs must
 * belong to the blocks and hashes it fetched, from the deployment's addresses only, without
 * duplicates), writes each range atomically with its cursor and undo journal, and rolls back to the
 * common ancestor on a reorg. A reorg deeper than `finality` stops it with a non-retryable error.
 */
import { getAddress } from "ethers";
import { MedprovError, type Deployment } from "../sdk";
import { applyEvent, decodersByTopic, INDEXED } from "./handlers";
import type { Decoded } from "./decode";
import { bloomBits, bloomMayContain } from "./bloom";
import { K } from "./keys";
import type { BlockWriter, IndexStore } from "./store";

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface IndexerOptions {
  /** Anything that speaks JSON-RPC: an ethers JsonRpcProvider, or Hardhat's in-process provider. */
  provider: RpcSender;
  deployment: Deployment;
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

interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  logIndex: string;
  transactionHash: string;
  removed?: boolean;
}

interface Fetched {
  to: number;
  logs: RawLog[];
  hs: Map<number, Header>;
}

interface Header {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
  logsBloom: string;
}

/** A reorg deeper than the configured finality, or a chain that contradicts the index. */
export class FatalIndexerError extends MedprovError {
  constructor(code: string, message: string) {
    super(code, message, false);
    this.name = "FatalIndexerError";
  }
}

/** The RPC returned something inconsistent; retry the range. */
class RpcInconsistency extends Error {}

const hex = (n: number) => "0x" + n.toString(16);
/** Ranges spanning at most this many blocks get every header with their logs (one JSON-RPC batch). */
const EAGER_HEADERS = 100;
const RANGE_REFUSAL = /range|too many|too large|limit|exceed|10000 results|query timeout/i;

export function createIndexer(options: IndexerOptions) {
  const { provider, deployment, store } = options;
  const confirmations = options.confirmations ?? 0;
  const finality = options.finality ?? 64;
  const maxRange = options.maxRange ?? 5_000;
  const retries = options.retries ?? 8;
  const log = options.logger ?? silent;
  /** The indexed contracts' addresses (lower-case), from the manifest only. */
  const indexedAddresses = new Set(Object.keys(INDEXED).map((name) => getAddress(deployment.addresses[name as keyof Deployment["addresses"]]).toLowerCase()));
  const addresses = [...indexedAddresses];
  // Topic → compiled decoder, once: ethers' parseLog re-hashes every event signature for every log.
  const byTopic = decodersByTopic();
  const maxEvents = options.maxEventsPerRange ?? 10_000;
  let range = Math.max(1, Math.ceil(maxRange / 100));
  const stats: IndexerStats = { head: 0, indexed: 0, lag: 0, events: 0, eventsPerSecond: 0, range, reorgs: 0, rpcErrors: 0, ignoredLogs: 0 };
  /** The range refusals allow; halved by each refusal, doubled back after every 3 answers. */
  let ceiling = maxRange;
  let successes = 0;
  /**
   * The last range's commit, left in flight while the next range is fetched and applied (its
   * writer's values are read through). At most one: a commit starts only after the previous one landed.
   */
  let inFlight: { writer: BlockWriter; commit: Promise<void>; cursor: { block: number; hash: string } } | undefined;
  async function settle(): Promise<void> {
    const f = inFlight;
    if (!f) return;
    try {
      await f.commit;
    } finally {
      if (inFlight === f) inFlight = undefined;
    }
  }
  /** Logs of the blocks past a range's cut, with the headers fetched alongside them. */
  let surplus: Fetched & { from: number } | undefined;
  /** The next range's logs and headers, fetched (for the head seen then) while the current one is applied. */
  let prefetched: { from: number; head: number; result: Promise<Fetched | undefined> } | undefined;

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Retries transient failures with backoff; range refusals are rethrown at once to shrink. */
  async function rpc<T>(method: string, params: unknown[]): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await provider.send(method, params)) as T;
      } catch (e) {
        stats.rpcErrors++;
        const message = String((e as Error)?.message ?? e);
        if (method === "eth_getLogs" && RANGE_REFUSAL.test(message)) throw e;
        if (attempt + 1 >= retries) throw new MedprovError("RPC_UNAVAILABLE", `${method} failed ${retries} times: ${message.split("\n")[0]}`, true);
        log.warn({ method, attempt, err: message.split("\n")[0] }, "rpc call failed; retrying");
        await sleep(Math.min(100 * 2 ** attempt, 5_000));
      }
    }
  }

  async function header(n: number): Promise<Header> {
    const b = await rpc<{ number: string; hash: string; parentHash: string; timestamp: string; logsBloom?: string } | null>("eth_getBlockByNumber", [hex(n), false]);
    if (!b || Number(b.number) !== n || !/^0x[0-9a-f]{64}$/i.test(b.hash)) throw new RpcInconsistency(`block ${n} came back missing or as another block`);
    return { number: n, hash: b.hash.toLowerCase(), parentHash: b.parentHash.toLowerCase(), timestamp: Number(b.timestamp), logsBloom: String(b.logsBloom ?? "") };
  }

  async function headers(numbers: number[]): Promise<Map<number, Header>> {
    const out = new Map<number, Header>();
    // 100 at a time: one JSON-RPC batch for httpRpc and for ethers' provider alike.
    for (let i = 0; i < numbers.length; i += 100) {
      const chunk = numbers.slice(i, i + 100);
      (await Promise.all(chunk.map(header))).forEach((h) => out.set(h.number, h));
    }
    return out;
  }

  const addressBits = addresses.map(bloomBits);
  /**
   * How many logs of ours block `b`'s receipts hold (asked only when its bloom says it may hold
   * some and eth_getLogs returned none). eth_getBlockReceipts where the node has it, else per tx.
   */
  async function receiptLogCount(b: number): Promise<number> {
    type Receipt = { logs: { address: string }[] };
    let receipts: Receipt[] | undefined;
    try {
      receipts = (await provider.send("eth_getBlockReceipts", [hex(b)])) as Receipt[];
    } catch {
      receipts = undefined;
    }
    if (!Array.isArray(receipts)) {
      const block = await rpc<{ transactions: string[] } | null>("eth_getBlockByNumber", [hex(b), false]);
      receipts = await Promise.all((block?.transactions ?? []).map((tx) => rpc<Receipt>("eth_getTransactionReceipt", [tx])));
    }
    return receipts.reduce((n, r) => n + (r?.logs ?? []).filter((l) => indexedAddresses.has(String(l.address).toLowerCase())).length, 0);
  }

  /** eth_getLogs over [from, to], shrinking the range on refusals. Returns the range actually covered. */
  async function fetchLogs(from: number, to: number): Promise<{ to: number; logs: RawLog[] }> {
    for (;;) {
      const end = Math.min(to, from + range - 1);
      try {
        const logs = await rpc<RawLog[]>("eth_getLogs", [{ fromBlock: hex(from), toBlock: hex(end), address: addresses }]);
        if (!Array.isArray(logs)) throw new RpcInconsistency("eth_getLogs did not return an array");
        if (++successes >= 3 && ceiling < maxRange) {
          ceiling = Math.min(maxRange, ceiling * 2);
          successes = 0;
        }
        // Size the next call to about maxEvents logs at this density, growing at most 4× a call.
        const fit = logs.length > 0 ? Math.floor(((end - from + 1) * maxEvents) / logs.length) : Infinity;
        range = Math.max(1, Math.min(ceiling, range * 4, fit));
        return { to: end, logs };
      } catch (e) {
        if (e instanceof MedprovError || range === 1) throw e;
        range = Math.max(1, Math.floor(range / 2));
        ceiling = range;
        successes = 0;
        log.warn({ from, range, err: String((e as Error).message).split("\n")[0] }, "eth_getLogs refused; shrinking range");
      } finally {
        stats.range = range;
      }
    }
  }

  /**
   * One range's logs (cut at a block boundary past maxEvents) and the headers needed to check
   * them: the range's ends, every block with a log, and every block that may still reorg.
   */
  async function fetchRange(from: number, target: number, head: number): Promise<Fetched> {
    let to: number;
    let logs: RawLog[];
    let hs: Map<number, Header>;
    const kept = surplus?.from === from && surplus.to <= target ? surplus : undefined;
    surplus = undefined;
    if (kept) ({ to, logs, hs } = kept);
    else {
      // A dense chain's range spans few blocks: their headers are asked for alongside the logs
      // rather than after them, saving a round trip a range for at most one batch of headers.
      const span = Math.min(target, from + range - 1) - from + 1;
      const eager = span <= EAGER_HEADERS ? headers(Array.from({ length: span }, (_, i) => from + i)) : undefined;
      eager?.catch(() => undefined); // awaited below, unless fetching the logs fails first
      ({ to, logs } = await fetchLogs(from, target));
      hs = (await eager) ?? new Map<number, Header>();
    }
    if (logs.length > maxEvents) {
      // Keep one batch's memory bounded: stop at the block where the cap is crossed. The logs past
      // it are kept for the next range rather than asked for again.
      const blocks = logs.map((l) => Number(l.blockNumber)).sort((a, b) => a - b);
      const cut = blocks[maxEvents];
      const end = to;
      to = cut > from ? cut - 1 : cut;
      const last = to;
      if (end > last) surplus = { from: last + 1, to: end, logs: logs.filter((l) => Number(l.blockNumber) > last), hs };
      logs = logs.filter((l) => Number(l.blockNumber) <= last);
      range = Math.max(1, to - from + 1);
    }
    const wanted = new Set<number>([from, to]);
    for (const l of logs) {
      const b = Number(l.blockNumber);
      if (b >= from && b <= to) wanted.add(b);
    }
    for (let b = Math.max(from, head - finality + 1); b <= to; b++) wanted.add(b);
    const missing = [...wanted].filter((b) => !hs.has(b)).sort((a, b) => a - b);
    if (missing.length > 0) for (const [b, h] of await headers(missing)) hs.set(b, h);
    return { to, logs, hs };
  }

  /** Walks back to the newest block whose stored hash the chain still has, and rolls back to it. */
  async function handleReorg(cursor: { block: number; hash: string }, head: number): Promise<void> {
    await settle();
    prefetched = surplus = undefined; // fetched from the chain being replaced
    stats.reorgs++;
    for (let b = Math.min(cursor.block, head); b >= Math.max(deployment.deploymentBlock - 1, cursor.block - finality); b--) {
      const stored = b === cursor.block ? cursor.hash : await store.get<string>(K.blockHash(b));
      if (stored === undefined) continue;
      if ((await header(b)).hash === stored) {
        const undone = await store.rollbackTo(b, stored);
        log.warn({ from: cursor.block, to: b, undone }, "reorg: rolled back to the common ancestor");
        return;
      }
    }
    throw new FatalIndexerError("REORG_TOO_DEEP", `the chain replaced blocks below ${cursor.block - finality}, deeper than the configured finality (${finality}); rebuild the index`);
  }

  /** Indexes one range (or handles one reorg). Returns false when already at the target. */
  async function step(): Promise<boolean> {
    const head = Number(await rpc<string>("eth_blockNumber", []));
    const target = head - confirmations;
    stats.head = head;
    const cursor = inFlight?.cursor ?? (await store.cursor()) ?? { block: deployment.deploymentBlock - 1, hash: "" };
    stats.indexed = cursor.block;
    stats.lag = Math.max(0, target - cursor.block);
    if (cursor.hash && cursor.block > head) {
      // The chain is now shorter than the index: blocks were replaced.
      await handleReorg(cursor, head);
      return true;
    }
    if (cursor.hash && cursor.block >= 0 && cursor.block > head - finality - 1) {
      const now = await header(cursor.block);
      if (now.hash !== cursor.hash) {
        await handleReorg(cursor, head);
        return true;
      }
    }
    if (cursor.block >= target) return false;
    const from = cursor.block + 1;
    // A prefetched range holds the headers of every block that could reorg at the head seen then;
    // with the head since moved back, that set would be short, so it is fetched again.
    const early = prefetched?.from === from && head >= prefetched.head ? await prefetched.result : undefined;
    prefetched = undefined;
    const { to, logs, hs } = early ?? (await fetchRange(from, target, head));
    if (to < target) {
      // Checked like any range when its turn comes (it must continue this range's last hash), so
      // a reorg meanwhile is caught as if it had happened just after an ordinary fetch.
      prefetched = { from: to + 1, head, result: fetchRange(to + 1, target, head).catch(() => undefined) };
    }

    // Validate what the RPC returned. A log's position is block × 2^20 + log index (exact in a double).
    // Nodes answer in chain order, where strictly rising positions also rule out duplicates; any
    // other answer is sorted and then checked for duplicates.
    const ours: { log: RawLog; block: number; logIndex: number; at: number }[] = [];
    let ordered = true;
    let last = -1;
    for (const l of logs) {
      const b = Number(l.blockNumber);
      const logIndex = Number(l.logIndex);
      if (b < from || b > to) throw new RpcInconsistency(`eth_getLogs returned a log of block ${b} outside ${from}..${to}`);
      if (!(logIndex >= 0 && logIndex < 2 ** 20)) throw new RpcInconsistency(`eth_getLogs returned log index ${l.logIndex} in block ${b}`);
      const at = b * 2 ** 20 + logIndex;
      if (at > last) last = at;
      else ordered = false;
      if (l.removed) throw new RpcInconsistency(`eth_getLogs returned a removed log ${b}:${logIndex}`);
      if (!indexedAddresses.has(l.address.toLowerCase())) {
        stats.ignoredLogs++;
        continue; // never index a log of another address, whatever the RPC says
      }
      ours.push({ log: l, block: b, logIndex, at });
    }
    if (!ordered) {
      const positions = logs.map((l) => Number(l.blockNumber) * 2 ** 20 + Number(l.logIndex)).sort((x, y) => x - y);
      const twice = positions.findIndex((p, i) => i > 0 && p === positions[i - 1]);
      if (twice > 0) throw new RpcInconsistency(`eth_getLogs returned log ${Math.floor(positions[twice] / 2 ** 20)}:${positions[twice] % 2 ** 20} twice`);
      ours.sort((x, y) => x.at - y.at);
    }
    const unfinalizedFrom = Math.max(from, head - finality + 1);
    for (const { log: l, block } of ours) {
      if (hs.get(block)!.hash !== l.blockHash.toLowerCase()) throw new RpcInconsistency(`log ${block}:${l.logIndex} names block hash ${l.blockHash}, but block ${block} is ${hs.get(block)!.hash}`);
    }
    // The range must continue the indexed chain, and recent blocks must link by parent hash.
    if (cursor.hash && hs.get(from)!.parentHash !== cursor.hash) {
      await handleReorg(cursor, head);
      return true;
    }
    for (let b = unfinalizedFrom + 1; b <= to; b++) {
      if (hs.get(b)!.parentHash !== hs.get(b - 1)!.hash) throw new RpcInconsistency(`block ${b} does not link to block ${b - 1}: the chain moved while fetching`);
    }
    // Recent blocks (whose headers are at hand) must not have lost logs: a load-balanced RPC may
    // answer eth_getLogs from a node that has not caught up. Bloom first, receipts to confirm.
    const withLogs = new Set(ours.map((o) => o.block));
    for (let b = unfinalizedFrom; b <= to; b++) {
      if (withLogs.has(b) || !addressBits.some((bits) => bloomMayContain(hs.get(b)!.logsBloom, bits))) continue;
      const missing = await receiptLogCount(b);
      if (missing > 0) throw new RpcInconsistency(`eth_getLogs returned no log of block ${b}, whose receipts hold ${missing} of ours`);
    }

    const started = Date.now();
    const w = store.writer(inFlight?.writer);
    let applied = 0;
    let timed = -1; // the block whose time was last written
    try {
      for (const { log: l, block: b, logIndex } of ours) {
        const known = byTopic.get(l.topics[0]);
        if (!known) continue;
        let event: { name: string; args: Decoded };
        try {
          event = { name: known.name, args: known.decode(l.topics, l.data) };
        } catch {
          continue; // a log our ABI cannot decode is not one of our events
        }
        const time = hs.get(b)!.timestamp;
        w.atBlock(b, b > head - finality);
        const done = applyEvent(w, event, { address: l.address.toLowerCase(), block: b, logIndex, time, tx: l.transactionHash.toLowerCase() });
        if (typeof done === "boolean" ? done : await done) {
          applied++;
          if (b !== timed) await w.put(K.blockTime(b), time);
          timed = b;
        }
      }
      for (let b = unfinalizedFrom; b <= to; b++) w.raw({ type: "put", key: K.blockHash(b), value: hs.get(b)!.hash });
      await settle();
    } catch (e) {
      await w.discard(); // nothing of this range lands; it is fetched and applied again
      throw e;
    }
    w.detach(); // otherwise each writer would keep the one before it, and so the whole backfill, alive
    const landed = { block: to, hash: hs.get(to)!.hash };
    const commit = w.commit(landed, head - finality);
    commit.catch(() => undefined); // observed by settle(); never an unhandled rejection
    inFlight = { writer: w, commit, cursor: landed };
    stats.events += applied;
    stats.indexed = to;
    stats.lag = Math.max(0, target - to);
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    stats.eventsPerSecond = applied > 0 ? Math.round(applied / seconds) : stats.eventsPerSecond;
    log.info({ from, to, events: applied, lag: stats.lag }, "indexed range");
    return true;
  }

  /** Runs steps until the index reaches the head's target. Inconsistent RPC answers are retried. */
  async function syncOnce(signal?: AbortSignal): Promise<IndexerStats> {
    try {
      await syncSteps(signal);
    } finally {
      await settle(); // the index is on disk when syncOnce returns (or the write's error is thrown)
    }
    return { ...stats };
  }

  async function syncSteps(signal?: AbortSignal): Promise<void> {
    let inconsistencies = 0;
    while (!signal?.aborted) {
      try {
        if (!(await step())) break;
        inconsistencies = 0;
      } catch (e) {
        if (!(e instanceof RpcInconsistency)) throw e;
        stats.rpcErrors++;
        if (++inconsistencies > retries) throw new MedprovError("RPC_INCONSISTENT", `the RPC kept answering inconsistently: ${e.message}`, true);
        log.warn({ err: e.message }, "inconsistent RPC answer; retrying the range");
        await sleep(Math.min(100 * 2 ** inconsistencies, 2_000));
      }
    }
  }

  /** Follows the head until `signal` aborts. Retryable failures back off; fatal ones throw. */
  async function run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await syncOnce(signal);
      } catch (e) {
        if (e instanceof MedprovError && !e.retryable) throw e;
        log.error({ err: String((e as Error).message) }, "sync failed; retrying");
      }
      await new Promise<void>((resolve) => {
        const wake = () => (clearTimeout(t), resolve());
        const t = setTimeout(() => (signal.removeEventListener("abort", wake), resolve()), options.pollMs ?? 1_000);
        signal.addEventListener("abort", wake, { once: true });
      });
    }
  }

  return { syncOnce, run, stats: () => ({ ...stats }) };
}

export type Indexer = ReturnType<typeof createIndexer>;
