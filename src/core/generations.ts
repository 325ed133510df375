/**
 * Ledger generations (docs/consortium.md, "Ledger generations"). Contracts are not upgradeable, so
 * a consortium that needs new contracts deploys a successor generation beside the old one and closes
 * the old one at a block: history stays readable where it was written. The manifest lists the
 * generations in order; each one's contracts count only over its block range. Pure functions only.
 */
import { getAddress } from "ethers";
import { InputError } from "./errors";
import { isoOf } from "./chain-time";
import type { ContractName, Deployment } from "./deployment";

export interface Generation {
  /** 1, 2, …: its place in the manifest. */
  generation: number;
  chainId: number;
  /** Block of its first deployment transaction: its events count from here. */
  fromBlock: number;
  /** Last block whose events count, once a successor closed it; absent while it is the current one. */
  toBlock?: number;
  /** Block time of toBlock (Unix seconds), and the same in ISO 8601; absent while open. */
  sealedAt?: number;
  sealedAtIso?: string;
  addresses: Record<ContractName, string>;
  versions: Deployment["versions"];
}

/**
 * The generations of a deployment, oldest first. A manifest written before generations existed
 * (no `generations` field) is one open generation: its own contracts from its deployment block.
 */
export function generationsOf(d: Deployment): Generation[] {
  if (d.generations && d.generations.length > 0) return d.generations;
  return [{ generation: 1, chainId: d.chainId, fromBlock: d.deploymentBlock, addresses: d.addresses, versions: d.versions }];
}

/** The current (last, open) generation: the one every write goes to. */
export const currentGeneration = (d: Deployment): Generation => generationsOf(d).at(-1)!;

/** Whether a block lies in a generation's range. */
export const inGeneration = (g: Generation, block: number): boolean => block >= g.fromBlock && (g.toBlock === undefined || block <= g.toBlock);

/** The generation whose range holds `block`, if any (ranges never overlap). */
export function generationAtBlock(d: Deployment, block: number): Generation | undefined {
  return generationsOf(d).find((g) => inGeneration(g, block));
}

/** The generation whose contract `name` is at `address`, if any. */
export function generationOfContract(d: Deployment, name: ContractName, address: string): Generation | undefined {
  let wanted: string;
  try {
    wanted = getAddress(address);
  } catch {
    return undefined;
  }
  return generationsOf(d).find((g) => getAddress(g.addresses[name]) === wanted);
}

/**
 * The manifest after a successor: the current generation closed at `toBlock` (sealed at that
 * block's time), the successor appended as the open one, and the top-level fields (what releases
 * without generations read) naming the successor, so every writer moves to it.
 */
export function withSuccessor(previous: Deployment, successor: Deployment, sealed: { toBlock: number; time: number }): Deployment {
  const before = generationsOf(previous);
  const last = before.at(-1)!;
  if (successor.chainId !== last.chainId) throw new InputError("WRONG_CHAIN", `the successor is on chain ${successor.chainId}; the ledger's generations are on chain ${last.chainId}`);
  if (!(sealed.toBlock >= last.fromBlock && sealed.toBlock < successor.deploymentBlock)) {
    throw new InputError("GENERATION_RANGE", `generation ${last.generation} (from block ${last.fromBlock}) cannot close at block ${sealed.toBlock} with its successor from block ${successor.deploymentBlock}: ranges must follow each other`);
  }
  const closed: Generation = { ...last, toBlock: sealed.toBlock, sealedAt: sealed.time, sealedAtIso: isoOf(sealed.time) };
  const next: Generation = { generation: last.generation + 1, chainId: successor.chainId, fromBlock: successor.deploymentBlock, addresses: successor.addresses, versions: successor.versions };
  return { ...previous, ...successor, generations: [...before.slice(0, -1), closed, next] };
}

/** Checks a manifest's `generations` (parsed addresses given), throwing DEPLOYMENT_INVALID naming the first bad field. */
export function parseGenerations(raw: unknown, top: Pick<Deployment, "chainId" | "addresses">, parseAddresses: (raw: unknown, field: string) => Record<ContractName, string>, fail: (field: string, why: string) => never): Generation[] {
  if (!Array.isArray(raw) || raw.length === 0) return fail("generations", "must be a non-empty array");
  const out: Generation[] = [];
  raw.forEach((g: Record<string, unknown>, i) => {
    const at = `generations[${i}]`;
    if (!g || typeof g !== "object") fail(at, "must be an object");
    if (g.generation !== i + 1) fail(`${at}.generation`, `must be ${i + 1} (generations are listed in order from 1)`);
    if (g.chainId !== top.chainId) fail(`${at}.chainId`, `must be the manifest's chain ${top.chainId}`);
    if (!Number.isInteger(g.fromBlock) || (g.fromBlock as number) < 0) fail(`${at}.fromBlock`, "must be a block number");
    const previous = out.at(-1);
    if (previous && (g.fromBlock as number) <= previous.toBlock!) fail(`${at}.fromBlock`, `must follow generation ${i}'s toBlock ${previous.toBlock}`);
    const last = i === raw.length - 1;
    if (last && g.toBlock !== undefined) fail(`${at}.toBlock`, "must be absent: the last generation is the open one");
    if (!last && (!Number.isInteger(g.toBlock) || (g.toBlock as number) < (g.fromBlock as number))) fail(`${at}.toBlock`, "must be a block number at or after fromBlock (a closed generation)");
    if (!last && !Number.isInteger(g.sealedAt)) fail(`${at}.sealedAt`, "must be the Unix time of toBlock");
    const addresses = parseAddresses(g.addresses, `${at}.addresses`);
    out.push({
      generation: i + 1, chainId: top.chainId, fromBlock: g.fromBlock as number,
      ...(last ? {} : { toBlock: g.toBlock as number, sealedAt: g.sealedAt as number, sealedAtIso: isoOf(g.sealedAt as number) }),
      addresses, versions: (g.versions as Deployment["versions"]) ?? {},
    });
  });
  const current = out.at(-1)!;
  for (const [name, a] of Object.entries(current.addresses)) {
    if (a !== top.addresses[name as ContractName]) fail(`addresses.${name}`, `must be the last generation's (${a}): the top-level addresses are the current generation's`);
  }
  return out;
}
