/**
 * The fetch stage: a range's logs from eth_getLogs over a block range that adapts to the node
 * (shrinking on refusals, growing back after answers, sized to the log density), cut at a block
 * boundary past `maxEvents`, with the headers needed to check them. It trusts nothing it fetched;
 * the checks are the range-check stage's (check-range.ts).
 */
import { MedprovError } from "../core";
import { RangeRefusal, type RpcCaller } from "./rpc-policy";
import { hex, RpcInconsistency, type Fetched, type Header, type Logger, type RawLog, type RpcSender } from "./types";

export interface FetchStageOptions {
  rpc: RpcCaller;
  /** The raw sender, for calls whose failure is an answer (eth_getBlockReceipts may not exist). */
  provider: RpcSender;
  /** The indexed contracts' addresses, lower-case. */
  addresses: readonly string[];
  maxRange: number;
  maxEvents: number;
  finality: number;
  log: Logger;
}

/** Ranges spanning at most this many blocks get every header with their logs (one JSON-RPC batch). */
const EAGER_HEADERS = 100;

export class FetchStage {
  private readonly addresses: string[];
  private readonly indexed: Set<string>;
  /** The next eth_getLogs range; starts at a hundredth of maxRange and follows the log density. */
  private next: number;
  /** The range refusals allow; halved by each refusal, doubled back after every 3 answers. */
  private ceiling: number;
  private successes = 0;
  /** Logs of the blocks past a range's cut, with the headers fetched alongside them. */
  private surplus: (Fetched & { from: number }) | undefined;

  constructor(private readonly o: FetchStageOptions) {
    this.addresses = [...o.addresses];
    this.indexed = new Set(this.addresses);
    this.next = Math.max(1, Math.ceil(o.maxRange / 100));
    this.ceiling = o.maxRange;
  }

  /** The block range the next eth_getLogs call will ask for. */
  range(): number {
    return this.next;
  }

  /** Forgets logs kept past a cut (they came from a chain being replaced). */
  dropSurplus(): void {
    this.surplus = undefined;
  }

  async header(n: number): Promise<Header> {
    const b = await this.o.rpc<{ number: string; hash: string; parentHash: string; timestamp: string; logsBloom?: string } | null>("eth_getBlockByNumber", [hex(n), false]);
    if (!b || Number(b.number) !== n || !/^0x[0-9a-f]{64}$/i.test(b.hash)) throw new RpcInconsistency(`block ${n} came back missing or as another block`);
    return { number: n, hash: b.hash.toLowerCase(), parentHash: b.parentHash.toLowerCase(), timestamp: Number(b.timestamp), logsBloom: String(b.logsBloom ?? "") };
  }

  async headers(numbers: number[]): Promise<Map<number, Header>> {
    const out = new Map<number, Header>();
    // 100 at a time: one JSON-RPC batch for httpRpc and for ethers' provider alike.
    for (let i = 0; i < numbers.length; i += 100) {
      const chunk = numbers.slice(i, i + 100);
      (await Promise.all(chunk.map((n) => this.header(n)))).forEach((h) => out.set(h.number, h));
    }
    return out;
  }

  /**
   * How many logs of ours block `b`'s receipts hold (asked only when its bloom says it may hold
   * some and eth_getLogs returned none). eth_getBlockReceipts where the node has it, else per tx.
   */
  readonly receiptLogCount = async (b: number): Promise<number> => {
    type Receipt = { logs: { address: string }[] };
    let receipts: Receipt[] | undefined;
    try {
      receipts = (await this.o.provider.send("eth_getBlockReceipts", [hex(b)])) as Receipt[];
    } catch {
      receipts = undefined;
    }
    if (!Array.isArray(receipts)) {
      const block = await this.o.rpc<{ transactions: string[] } | null>("eth_getBlockByNumber", [hex(b), false]);
      receipts = await Promise.all((block?.transactions ?? []).map((tx) => this.o.rpc<Receipt>("eth_getTransactionReceipt", [tx])));
    }
    return receipts.reduce((n, r) => n + (r?.logs ?? []).filter((l) => this.indexed.has(String(l.address).toLowerCase())).length, 0);
  };

  /** After an answer of `logs` logs over `span` blocks: grow back toward the ceiling, sized to about maxEvents logs, at most 4× a call. */
  private answered(span: number, logs: number): void {
    if (++this.successes >= 3 && this.ceiling < this.o.maxRange) {
      this.ceiling = Math.min(this.o.maxRange, this.ceiling * 2);
      this.successes = 0;
    }
    const fit = logs > 0 ? Math.floor((span * this.o.maxEvents) / logs) : Infinity;
    this.next = Math.max(1, Math.min(this.ceiling, this.next * 4, fit));
  }

  /**
   * eth_getLogs over [from, to], shrinking the range on the node's refusals only (an inconsistent
   * answer is the range-check stage's to retry, not a reason to ask for fewer blocks). Returns
   * the range actually covered.
   */
  async fetchLogs(from: number, to: number): Promise<{ to: number; logs: RawLog[] }> {
    for (;;) {
      const end = Math.min(to, from + this.next - 1);
      let logs: RawLog[];
      try {
        logs = await this.o.rpc<RawLog[]>("eth_getLogs", [{ fromBlock: hex(from), toBlock: hex(end), address: this.addresses }]);
      } catch (e) {
        if (!(e instanceof RangeRefusal)) throw e;
        if (this.next === 1) throw new MedprovError("RPC_RANGE_REFUSED", `eth_getLogs refused even a one-block range at block ${from}: ${e.message}`, true);
        this.next = Math.max(1, Math.floor(this.next / 2));
        this.ceiling = this.next;
        this.successes = 0;
        this.o.log.warn({ from, range: this.next, err: e.message }, "eth_getLogs refused; shrinking range");
        continue;
      }
      if (!Array.isArray(logs)) throw new RpcInconsistency("eth_getLogs did not return an array");
      this.answered(end - from + 1, logs.length);
      return { to: end, logs };
    }
  }

  /** Cuts an answer of more than maxEvents logs at the block where the cap is crossed; the rest is kept for the next range. */
  private cut(from: number, f: Fetched): Fetched {
    if (f.logs.length <= this.o.maxEvents) return f;
    const blocks = f.logs.map((l) => Number(l.blockNumber)).sort((a, b) => a - b);
    const at = blocks[this.o.maxEvents];
    const last = at > from ? at - 1 : at;
    if (f.to > last) this.surplus = { from: last + 1, to: f.to, logs: f.logs.filter((l) => Number(l.blockNumber) > last), hs: f.hs };
    this.next = Math.max(1, last - from + 1);
    return { to: last, logs: f.logs.filter((l) => Number(l.blockNumber) <= last), hs: f.hs };
  }

  /**
   * One range's logs (cut at a block boundary past maxEvents) and the headers needed to check
   * them: the range's ends, every block with a log, and every block that may still reorg.
   */
  async fetchRange(from: number, target: number, head: number): Promise<Fetched> {
    const kept = this.surplus?.from === from && this.surplus.to <= target ? this.surplus : undefined;
    this.surplus = undefined;
    let fetched: Fetched;
    if (kept) fetched = kept;
    else {
      // A dense chain's range spans few blocks: their headers are asked for alongside the logs
      // rather than after them, saving a round trip a range for at most one batch of headers.
      const span = Math.min(target, from + this.next - 1) - from + 1;
      const eager = span <= EAGER_HEADERS ? this.headers(Array.from({ length: span }, (_, i) => from + i)) : undefined;
      eager?.catch(() => undefined); // awaited below, unless fetching the logs fails first
      const { to, logs } = await this.fetchLogs(from, target);
      fetched = { to, logs, hs: (await eager) ?? new Map<number, Header>() };
    }
    const { to, logs, hs } = this.cut(from, fetched);
    const wanted = new Set<number>([from, to]);
    for (const l of logs) {
      const b = Number(l.blockNumber);
      if (b >= from && b <= to) wanted.add(b);
    }
    for (let b = Math.max(from, head - this.o.finality + 1); b <= to; b++) wanted.add(b);
    const missing = [...wanted].filter((b) => !hs.has(b)).sort((a, b) => a - b);
    if (missing.length > 0) for (const [b, h] of await this.headers(missing)) hs.set(b, h);
    return { to, logs, hs };
  }
}
