/**
 * Catching up a ledger generation the index learnt of late (docs/consortium.md, "Ledger
 * generations"). A successor is opened while indexers run: by the time a member's indexer sees the
 * new manifest, its cursor has passed the successor's first block, having read those blocks with
 * the predecessor's contracts only. Instead of a rebuild, the successor's contracts are read over
 * [its first block, the cursor] and applied, range by range, each range atomic with the progress
 * recorded beside it, so a stop half-way continues where it was and nothing is applied twice.
 *
 * This equals a fresh index over both generations because the predecessor's contracts recorded
 * nothing the index applied after its close (checked first: otherwise the index holds rows a fresh
 * index would not, and INDEX_GENERATIONS asks for a rebuild), so every event of those blocks is the
 * successor's and is applied in chain order, as a fresh index would. The same checks as the chain
 * stage's guard what the RPC answers, and each range's headers must be the blocks the index holds.
 */
import { generationsOf, MedprovError, type Deployment } from "../core";
import { applyRange, type Decoders } from "./apply";
import { bloomBits } from "./bloom";
import { checkBlooms, checkLinks, checkLogs } from "./check-range";
import { FetchStage } from "./fetch";
import { indexedAddresses, withinGenerations, type Followed, type Scope } from "./generations";
import { K } from "./keys";
import type { RpcCaller } from "./rpc-policy";
import type { Cursor, IndexStore } from "./store";
import { RpcInconsistency, type Fetched, type Logger, type RpcSender } from "./types";

export interface CatchUpDeps {
  store: IndexStore;
  rpc: RpcCaller;
  provider: RpcSender;
  decoders: Decoders;
  finality: number;
  maxRange: number;
  maxEvents: number;
  log: Logger;
  /** Told the events each committed range applied (the indexer's stats). */
  onApplied: (events: number) => void;
}

const fetcherFor = (deps: CatchUpDeps, addresses: string[]) =>
  new FetchStage({ rpc: deps.rpc, provider: deps.provider, addresses, maxRange: deps.maxRange, maxEvents: deps.maxEvents, finality: deps.finality, log: deps.log });

/**
 * Refuses (INDEX_GENERATIONS) a generation closed at `after` whose contracts recorded events of
 * ours in (after, cursorBlock]: the index applied them while it followed the generation as open.
 */
export async function refuseLateEvents(deps: CatchUpDeps, d: Deployment, closed: { generation: number; after: number }, cursorBlock: number): Promise<void> {
  const g = generationsOf(d)[closed.generation - 1];
  const fetcher = fetcherFor(deps, indexedAddresses(g));
  for (let from = closed.after + 1; from <= cursorBlock; ) {
    const { to, logs } = await fetcher.fetchLogs(from, cursorBlock);
    const ours = logs.filter((l) => deps.decoders.has(l.topics[0]));
    if (ours.length > 0) {
      throw new MedprovError("INDEX_GENERATIONS", `the manifest closes generation ${closed.generation} at block ${closed.after}, but its contracts recorded ${ours.length > 1 ? "events" : "an event"} after it (block ${Number(ours[0].blockNumber)}) that this index applied while it followed generation ${closed.generation} as the open one; rebuild the index with \`medprov index --rebuild\``, false);
    }
    from = to + 1;
  }
}

/** The range's headers must be the blocks the index holds (their stored hashes, and the cursor's). */
async function matchIndex(store: IndexStore, f: Fetched, from: number, cursor: Cursor): Promise<void> {
  for (const [b, h] of f.hs) {
    if (b < from || b > f.to) continue;
    const held = b === cursor.block ? cursor.hash : await store.get<string>(K.blockHash(b));
    if (held && held !== h.hash) throw new RpcInconsistency(`block ${b} came back as ${h.hash}, but the index holds ${held}`);
  }
}

/**
 * Applies generation `gen.generation`'s events of blocks [gen.from, cursor.block], range by range:
 * each range's rows land with the cursor unchanged, journals merged with the blocks' own (a reorg
 * still undoes them), and `record` with the generation's `caughtUpTo` (absent after the last range).
 * Each committed range's events are told to deps.onApplied.
 */
export async function catchUpGeneration(deps: CatchUpDeps, d: Deployment, scopes: readonly Scope[], record: Followed[], gen: { generation: number; from: number }, cursor: Cursor, head: number): Promise<void> {
  const addresses = indexedAddresses(generationsOf(d)[gen.generation - 1]);
  const fetcher = fetcherFor(deps, addresses);
  const bits = addresses.map(bloomBits);
  const mine = new Set(addresses);
  const progress = (upTo: number): Followed[] => {
    const i = gen.generation - 1;
    const { caughtUpTo: _done, ...rest } = record[i];
    record[i] = upTo >= cursor.block ? rest : { ...rest, caughtUpTo: upTo };
    return record;
  };
  for (let from = gen.from; ; ) {
    if (from > cursor.block) {
      await deps.store.write([{ type: "put", key: K.generations, value: progress(cursor.block) }]);
      break;
    }
    const f = await fetcher.fetchRange(from, cursor.block, head);
    const { ours } = checkLogs(f, from, mine);
    const unfinalizedFrom = Math.max(from, head - deps.finality + 1);
    checkLinks(f, unfinalizedFrom);
    await checkBlooms(f, ours, unfinalizedFrom, bits, fetcher.receiptLogCount);
    await matchIndex(deps.store, f, from, cursor);
    const { counted } = withinGenerations(scopes, ours);
    const w = deps.store.writer(undefined, { mergeJournals: true });
    let applied: number;
    try {
      applied = await applyRange(w, counted, f.hs, { decoders: deps.decoders, journalAbove: head - deps.finality, unfinalizedFrom, to: f.to });
    } catch (e) {
      await w.discard();
      throw e;
    }
    w.raw({ type: "put", key: K.generations, value: progress(f.to) });
    await w.commit(cursor);
    deps.onApplied(applied);
    deps.log.info({ generation: gen.generation, from, to: f.to, events: applied }, "caught up a ledger generation's range");
    if (f.to >= cursor.block) break;
    from = f.to + 1;
  }
}
