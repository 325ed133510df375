/**
 * Ledger generations in the indexer: one cursor walks the chain, and a log counts when its
 * address is one of the indexed contracts of the generation whose block range holds it. Logs of a
 * closed generation's contracts after its toBlock are not the ledger's history and are ignored.
 * The index records which generations it followed, so a manifest that opened a successor below
 * blocks the index already read (it read them without the successor's contracts) is caught up
 * (catch-up.ts) rather than silently missing the successor's first events.
 */
import { getAddress } from "ethers";
import { generationsOf, MedprovError, type Deployment, type Generation } from "../core";
import { INDEXED } from "./handlers";
import type { CheckedLog } from "./types";

/** A generation as the indexer sees it: its block range and its indexed contracts (lower-case). */
export interface Scope {
  generation: number;
  from: number;
  to?: number;
  addresses: ReadonlySet<string>;
}

/** The indexed contracts' addresses of one generation, lower-case. */
export const indexedAddresses = (g: Generation): string[] => Object.keys(INDEXED).map((name) => getAddress(g.addresses[name as keyof Generation["addresses"]]).toLowerCase());

export function scopesOf(d: Deployment): Scope[] {
  return generationsOf(d).map((g) => ({ generation: g.generation, from: g.fromBlock, to: g.toBlock, addresses: new Set(indexedAddresses(g)) }));
}

/** Whether a log of `address` in `block` is the ledger's: its generation's contract, inside its range. Pure. */
export function counts(scopes: readonly Scope[], address: string, block: number): boolean {
  return scopes.some((s) => block >= s.from && (s.to === undefined || block <= s.to) && s.addresses.has(address));
}

/** The logs that count, and how many of the rest were dropped. Pure. */
export function withinGenerations(scopes: readonly Scope[], ours: CheckedLog[]): { counted: CheckedLog[]; outside: number } {
  const counted = ours.filter((o) => counts(scopes, o.log.address.toLowerCase(), o.block));
  return { counted, outside: ours.length - counted.length };
}

/**
 * What the index stores of a generation it follows. `caughtUpTo` is set while the generation's
 * contracts are being caught up over blocks the index had already read without them (the last block
 * done so far; absent once done): a restart continues from there instead of applying anything twice.
 */
export type Followed = {
  generation: number;
  traces: string;
  fromBlock: number;
  toBlock: number | null;
  caughtUpTo?: number;
};

/** What adopting a manifest takes, beyond recording its generations (see planGenerations). */
export interface GenerationPlan {
  /** The record to store (catching-up generations with their `caughtUpTo`). */
  record: Followed[];
  /** Generations the index followed as open that the manifest closes below the cursor: their logs after `after` must not have been applied. */
  closedBelow: { generation: number; after: number }[];
  /** Generations whose contracts must be caught up from block `from` to the cursor (in order). */
  catchUp: { generation: number; from: number }[];
}

/**
 * Checks the manifest's generations against those the index followed (an index without a record
 * followed the manifest's first generation only) and says what adopting them takes. A successor
 * opened, and its predecessor closed, below the cursor (the index read those blocks without it) is
 * caught up rather than refused (sync.ts). Refuses (INDEX_GENERATIONS, not retryable: rebuild the
 * index) only a manifest that rewrites a generation the index knew: other contracts, another
 * start, or another close than the one recorded. Pure.
 */
export function planGenerations(stored: Followed[] | undefined, d: Deployment, cursorBlock: number): GenerationPlan {
  const now: Followed[] = generationsOf(d).map((g) => ({ generation: g.generation, traces: g.addresses.traces.toLowerCase(), fromBlock: g.fromBlock, toBlock: g.toBlock ?? null }));
  const before = stored ?? [{ ...now[0], toBlock: null }];
  const refuse = (why: string): never => {
    throw new MedprovError("INDEX_GENERATIONS", `${why}; rebuild the index with \`medprov index --rebuild\``, false);
  };
  const plan: GenerationPlan = { record: now, closedBelow: [], catchUp: [] };
  before.forEach((b, i) => {
    const n = now[i];
    if (!n || n.traces !== b.traces || n.fromBlock !== b.fromBlock) refuse(`the index followed generation ${b.generation} (TraceAnchor ${b.traces} from block ${b.fromBlock}), which the deployment manifest does not list so`);
    if (b.toBlock !== null && n.toBlock !== b.toBlock) refuse(`the index followed generation ${b.generation} up to block ${b.toBlock}; the manifest says ${n.toBlock ?? "open"}`);
    if (b.toBlock === null && n.toBlock !== null && n.toBlock < cursorBlock) plan.closedBelow.push({ generation: n.generation, after: n.toBlock });
    // A catch-up a stop interrupted continues after the last block it committed.
    if (b.caughtUpTo !== undefined && b.caughtUpTo < cursorBlock) plan.catchUp.push({ generation: n.generation, from: b.caughtUpTo + 1 });
  });
  for (const n of now.slice(before.length)) if (n.fromBlock <= cursorBlock) plan.catchUp.push({ generation: n.generation, from: n.fromBlock });
  for (const c of plan.catchUp) plan.record[c.generation - 1] = { ...plan.record[c.generation - 1], caughtUpTo: c.from - 1 };
  return plan;
}
