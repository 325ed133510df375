/**
 * Ledger generations in the indexer: one cursor walks the chain, and a log counts when its
 * address is one of the indexed contracts of the generation whose block range holds it. Logs of a
 * closed generation's contracts after its toBlock are not the ledger's history and are ignored.
 * The index records which generations it followed, so a manifest that closed a generation below
 * blocks the index already read (it read them without the successor's contracts) is refused
 * rather than silently missing the successor's first events.
 */
import { getAddress } from "ethers";
import { generationsOf, MedprovError, type Deployment, type Generation } from "../core";
import { INDEXED } from "./handlers";
import { K } from "./keys";
import type { IndexStore } from "./store";
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

/** What the index stores of a generation it follows. */
type Followed = {
  generation: number;
  traces: string;
  fromBlock: number;
  toBlock: number | null;
};

/**
 * Checks the manifest's generations against those the index followed (an index without a record
 * followed the manifest's first generation only) and records them. Refuses (INDEX_GENERATIONS,
 * not retryable: rebuild the index) a generation the index knew with other contracts or range,
 * and a generation closed, or opened, below the cursor: the index read those blocks without it.
 */
export async function followGenerations(store: IndexStore, d: Deployment, cursorBlock: number): Promise<void> {
  const gens = generationsOf(d);
  const now: Followed[] = gens.map((g) => ({ generation: g.generation, traces: g.addresses.traces.toLowerCase(), fromBlock: g.fromBlock, toBlock: g.toBlock ?? null }));
  const before = (await store.get<Followed[]>(K.generations)) ?? [{ ...now[0], toBlock: null }];
  const refuse = (why: string): never => {
    throw new MedprovError("INDEX_GENERATIONS", `${why}; rebuild the index with \`medprov index --rebuild\``, false);
  };
  before.forEach((b, i) => {
    const n = now[i];
    if (!n || n.traces !== b.traces || n.fromBlock !== b.fromBlock) refuse(`the index followed generation ${b.generation} (TraceAnchor ${b.traces} from block ${b.fromBlock}), which the deployment manifest does not list so`);
    if (b.toBlock !== null && n.toBlock !== b.toBlock) refuse(`the index followed generation ${b.generation} up to block ${b.toBlock}; the manifest says ${n.toBlock ?? "open"}`);
    if (b.toBlock === null && n.toBlock !== null && n.toBlock < cursorBlock) refuse(`the manifest closes generation ${b.generation} at block ${n.toBlock}, but the index already read up to block ${cursorBlock} without its successor's contracts`);
  });
  for (const n of now.slice(before.length)) if (n.fromBlock <= cursorBlock) refuse(`generation ${n.generation} starts at block ${n.fromBlock}, which the index already read (up to ${cursorBlock}) without its contracts`);
  await store.write([{ type: "put", key: K.generations, value: now }]);
}
