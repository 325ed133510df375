/**
 * The outbox's storage: one LevelDB that one process writes at a time, holding every signed
 * transaction from before its broadcast until its receipt is acknowledged. Every state change is
 * one atomic batch written with `sync: true` (fsync): a process kill cannot lose a write LevelDB
 * has accepted, but a power cut can lose what sits only in the OS page cache, and "acknowledged"
 * must survive both (DESIGN §5).
 *
 * Keys:
 *   meta:format                         → OUTBOX_FORMAT
 *   e:<hash>                            → OutboxEntry
 *   n:<chainId>:<from>:<nonce, 20 wide> → hash (a sender's entries in nonce order)
 *   k:<idempotency key>                 → hash (the latest entry sent under that key)
 */
import { Level } from "level";
import type { Provider, TransactionReceipt } from "ethers";
import { MedprovError } from "../../core";
import { isoOf } from "../../core";
import { resumeOutbox, settleEntry, type ResumeResult, type SettleOptions } from "./chain";

/** Layout version of the keys above; an outbox written in another layout is refused, not misread. */
export const OUTBOX_FORMAT = 1;

/**
 * signed: kept, maybe broadcast, no receipt seen yet. included: in a block, waiting for the
 * durability policy. acknowledged: durable; the caller was (or may be) told. replaced: its nonce
 * was consumed by another transaction, so it can never land.
 */
export type OutboxState = "signed" | "included" | "acknowledged" | "replaced";

export interface Inclusion {
  blockNumber: number;
  blockHash: string;
  /** 1 success, 0 reverted: a revert is the write's answer, so it is included all the same. */
  status: number;
}

export interface OutboxEntry {
  hash: string;
  /** The signed transaction, exactly as broadcast (and re-broadcast). */
  raw: string;
  from: string;
  nonce: number;
  chainId: string;
  to: string | null;
  /** The first four bytes of the call data: with `to`, what an idempotency key is checked against. */
  selector: string;
  key?: string;
  /** Unix seconds of this host when signed: an operator's log time, not ledger time (that is the block's). */
  created: number;
  state: OutboxState;
  included?: Inclusion;
  acknowledged?: number;
  /** Never to be included: another transaction used its nonce (NONCE_CONSUMED), or the node refused it outright (REFUSED: its nonce is free). */
  replaced?: { code: "NONCE_CONSUMED" | "REFUSED"; reason: string; at: number };
}

/** An entry as operators read it: ISO times beside the Unix ones. */
export interface OutboxListing extends OutboxEntry {
  createdIso: string;
  acknowledgedIso?: string;
  replaced?: NonNullable<OutboxEntry["replaced"]> & { atIso: string };
}

const listing = ({ replaced, ...e }: OutboxEntry): OutboxListing => ({
  ...e,
  createdIso: isoOf(e.created),
  ...(e.acknowledged !== undefined ? { acknowledgedIso: isoOf(e.acknowledged) } : {}),
  ...(replaced ? { replaced: { ...replaced, atIso: isoOf(replaced.at) } } : {}),
});

/**
 * When an included receipt counts as durable. The default (confirmations 1, no hook) is
 * "included", right for QBFT's instant finality; `confirmations: N` waits for N−1 blocks on top
 * and checks the receipt is still in the same block; `durable` runs last (the embedded dev chain
 * saves its state there).
 */
export interface DurabilityPolicy {
  confirmations?: number;
  durable?: (receipt: TransactionReceipt) => Promise<void>;
}

export type OutboxPhase = "signed" | "broadcast" | "included" | "acknowledged" | "replaced";

export interface OutboxOptions {
  durability?: DurabilityPolicy;
  /** How long to wait for a receipt before sending the same raw transaction again. Default 3 s. */
  rebroadcastMs?: number;
  /** Called (and awaited) at each step of a write: "signed" is after the entry is synced and before the broadcast. */
  onProgress?: (event: { phase: OutboxPhase; entry: OutboxEntry }) => void | Promise<void>;
}

const pad = (nonce: number) => nonce.toString().padStart(20, "0");
const senderOf = (chainId: string, from: string) => `${chainId}:${from.toLowerCase()}`;
const nonceKey = (e: OutboxEntry) => `n:${senderOf(e.chainId, e.from)}:${pad(e.nonce)}`;
const hostNow = () => Math.floor(Date.now() / 1000);

/** Outboxes open in this process: `sendWrite` asks them whether a transaction is theirs to acknowledge. */
const OPEN = new Set<Outbox>();

/** The open outbox holding `hash` unacknowledged, if any. */
export function outboxHolding(hash: string): Outbox | undefined {
  for (const outbox of OPEN) if (outbox.holds(hash)) return outbox;
  return undefined;
}

export class Outbox {
  /** Entries neither acknowledged nor replaced, by hash. */
  private readonly unsettled = new Map<string, OutboxEntry>();
  /** Per sender (chain id and address): one past the highest nonce this outbox has signed. */
  private readonly nextNonces = new Map<string, number>();
  /** Per sender: the tail of its chain of serialized sends. */
  private readonly lanes = new Map<string, Promise<unknown>>();
  /** Idempotency key → hash, mirrored from k:… so a retry is answered without a read. */
  private readonly keys = new Map<string, string>();
  /**
   * Per sender: the next nonce as this process last learned it (the node's pending count, or one
   * past a broadcast the node accepted). Memory only: a new process asks the node again.
   */
  private readonly knownNonces = new Map<string, number>();
  /** Hashes a caller in this process is waiting on (`acknowledged`), re-sending them until included: how many wait on each. */
  private readonly settling = new Map<string, number>();

  private constructor(
    readonly path: string,
    private readonly db: Level<string, unknown>,
    readonly options: OutboxOptions,
  ) {}

  /** Opens (or creates) the outbox at `path`. A second process on the same path gets OUTBOX_LOCKED. */
  static async open(path: string, options: OutboxOptions = {}): Promise<Outbox> {
    const db = new Level<string, unknown>(path, { valueEncoding: "json" });
    try {
      await db.open();
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      if (cause?.code === "LEVEL_LOCKED") throw new MedprovError("OUTBOX_LOCKED", `the outbox ${path} is locked: another medprov process writes with it; stop that process or give this one its own outbox`, true, { path });
      throw e;
    }
    const format = await db.get("meta:format");
    if (format === undefined) await db.put("meta:format", OUTBOX_FORMAT, { sync: true });
    else if (format !== OUTBOX_FORMAT) {
      await db.close();
      throw new MedprovError("OUTBOX_FORMAT", `${path} is an outbox of layout ${format}; this release reads layout ${OUTBOX_FORMAT}`, false, { path });
    }
    const outbox = new Outbox(path, db, options);
    for await (const [, value] of db.iterator({ gte: "e:", lt: "e;" })) outbox.remember(value as OutboxEntry);
    for await (const [key, hash] of db.iterator({ gte: "k:", lt: "k;" })) outbox.keys.set(key.slice(2), hash as string);
    OPEN.add(outbox);
    return outbox;
  }

  async close(): Promise<void> {
    OPEN.delete(this);
    await this.db.close();
  }

  private remember(entry: OutboxEntry): void {
    const sender = senderOf(entry.chainId, entry.from);
    // A refused entry never took its nonce: the next write uses it (a gap would never fill).
    if (entry.replaced?.code !== "REFUSED") this.nextNonces.set(sender, Math.max(this.nextNonces.get(sender) ?? 0, entry.nonce + 1));
    // Another transaction took one of this sender's nonces: what this process knew of them is stale.
    if (entry.state === "replaced") this.knownNonces.delete(sender);
    if (entry.state === "acknowledged" || entry.state === "replaced") this.unsettled.delete(entry.hash);
    else this.unsettled.set(entry.hash, entry);
  }

  /** Whether `hash` is an entry of this outbox not yet acknowledged (nor replaced). */
  holds(hash: string): boolean {
    return this.unsettled.has(hash);
  }

  async get(hash: string): Promise<OutboxEntry | undefined> {
    return (await this.db.get(`e:${hash}`)) as OutboxEntry | undefined;
  }

  /** The latest entry sent under an idempotency key. */
  async byKey(key: string): Promise<OutboxEntry | undefined> {
    const hash = this.keys.get(key);
    return hash === undefined ? undefined : this.get(hash);
  }

  /** One past the highest nonce this outbox signed for the sender (0 when none). */
  nextNonce(chainId: string, from: string): number {
    return this.nextNonces.get(senderOf(chainId, from)) ?? 0;
  }

  /**
   * The sender's next nonce without asking the node: known when this process learned it and every
   * entry of the sender is settled or being waited on here. An unsettled entry nobody waits on may
   * be missing from the node's mempool (a crash, a node restart), so the node is asked and it is put
   * back before the next nonce is taken; one being waited on is re-sent by its waiter, so a send
   * behind it (the batcher's next anchor) leaves no gap. Undefined otherwise.
   */
  knownNonce(chainId: string, from: string): number | undefined {
    const known = this.knownNonces.get(senderOf(chainId, from));
    if (known === undefined || this.unsettledEntries(chainId, from).some((e) => !this.settling.has(e.hash))) return undefined;
    return Math.max(known, this.nextNonce(chainId, from));
  }

  /** Records what this process learned of the sender's next nonce (a pending count read, an accepted broadcast). */
  learnNonce(chainId: string, from: string, next: number): void {
    this.knownNonces.set(senderOf(chainId, from), next);
  }

  /** Forgets the sender's learned nonce (the node refused one as used): the next send asks the node. */
  forgetNonce(chainId: string, from: string): void {
    this.knownNonces.delete(senderOf(chainId, from));
  }

  /** Entries not yet acknowledged nor replaced, by sender then nonce; only `chainId`'s (and `from`'s) when given. */
  unsettledEntries(chainId?: string, from?: string): OutboxEntry[] {
    return [...this.unsettled.values()]
      .filter((e) => (chainId === undefined || e.chainId === chainId) && (from === undefined || e.from.toLowerCase() === from.toLowerCase()))
      .sort((a, b) => a.from.localeCompare(b.from) || a.nonce - b.nonce);
  }

  /** Every entry, by chain, sender and nonce, with ISO times for people. */
  async entries(): Promise<OutboxListing[]> {
    const out: OutboxListing[] = [];
    for await (const hash of this.db.values({ gte: "n:", lt: "n;" })) {
      const entry = await this.get(hash as string);
      if (entry) out.push(listing(entry));
    }
    return out;
  }

  /** Whether this outbox ever kept a write (one key read, not a listing). */
  async hasEntries(): Promise<boolean> {
    for await (const _ of this.db.keys({ gte: "n:", lt: "n;", limit: 1 })) return true;
    return false;
  }

  /** Entries not yet acknowledged (signed or included), as `entries()` lists them. */
  async pending(): Promise<OutboxListing[]> {
    return (await this.entries()).filter((e) => e.state === "signed" || e.state === "included");
  }

  /** Keeps a newly signed transaction, synced, before it is broadcast. */
  async recordSigned(entry: OutboxEntry): Promise<void> {
    const ops: { type: "put"; key: string; value: unknown }[] = [
      { type: "put", key: `e:${entry.hash}`, value: entry },
      { type: "put", key: nonceKey(entry), value: entry.hash },
    ];
    if (entry.key !== undefined) ops.push({ type: "put", key: `k:${entry.key}`, value: entry.hash });
    await this.db.batch(ops, { sync: true });
    this.remember(entry);
    if (entry.key !== undefined) this.keys.set(entry.key, entry.hash);
  }

  markIncluded(entry: OutboxEntry, included: Inclusion): Promise<OutboxEntry> {
    return this.update({ ...entry, state: "included", included });
  }

  markAcknowledged(entry: OutboxEntry, included: Inclusion): Promise<OutboxEntry> {
    return this.update({ ...entry, state: "acknowledged", included, acknowledged: hostNow() });
  }

  markReplaced(entry: OutboxEntry, reason: string): Promise<OutboxEntry> {
    return this.update({ ...entry, state: "replaced", replaced: { code: "NONCE_CONSUMED", reason, at: hostNow() } });
  }

  /** Marks an entry the node refused outright (never sent, its nonce free); see chain.ts `refused`. */
  async markRefused(entry: OutboxEntry, reason: string): Promise<OutboxEntry> {
    const marked = await this.update({ ...entry, state: "replaced", replaced: { code: "REFUSED", reason, at: hostNow() } });
    // Its signing counted its nonce as taken; the newest entry of its sender gives it back.
    const sender = senderOf(entry.chainId, entry.from);
    if (this.nextNonces.get(sender) === entry.nonce + 1) this.nextNonces.set(sender, entry.nonce);
    this.knownNonces.delete(sender);
    return marked;
  }

  private async update(entry: OutboxEntry): Promise<OutboxEntry> {
    await this.db.put(`e:${entry.hash}`, entry, { sync: true });
    this.remember(entry);
    return entry;
  }

  /** Runs `task` after every earlier task of the same sender, so nonces are taken one at a time. */
  inLane<T>(chainId: string, from: string, task: () => Promise<T>): Promise<T> {
    const sender = senderOf(chainId, from);
    const run = (this.lanes.get(sender) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => undefined);
    this.lanes.set(sender, tail);
    void tail.then(() => this.lanes.get(sender) === tail && this.lanes.delete(sender));
    return run;
  }

  /**
   * Finishes what a crash (or a lost mempool) left: every unacknowledged entry on `provider`'s chain
   * is acknowledged if the chain has its receipt, otherwise re-broadcast (nonce order per sender)
   * until included; one whose nonce another transaction consumed is marked replaced. TX_TIMEOUT
   * (retryable) after `timeoutMs` leaves the rest for the next resume.
   */
  resume(provider: Provider, options: SettleOptions = {}): Promise<ResumeResult> {
    return resumeOutbox(this, provider, options);
  }

  /** Waits until `hash`'s receipt is durable per the policy, re-sending meanwhile; the receipt (reverted ones too). */
  async acknowledged(hash: string, provider: Provider, options: SettleOptions = {}): Promise<TransactionReceipt> {
    const entry = this.unsettled.get(hash) ?? (await this.get(hash));
    if (!entry) throw new MedprovError("OUTBOX_UNKNOWN_TX", `transaction ${hash} is not in the outbox ${this.path}`, false, { hash });
    this.settling.set(hash, (this.settling.get(hash) ?? 0) + 1);
    try {
      return await settleEntry(this, entry, provider, options);
    } finally {
      const waiting = this.settling.get(hash)! - 1;
      if (waiting > 0) this.settling.set(hash, waiting);
      else this.settling.delete(hash);
    }
  }
}
