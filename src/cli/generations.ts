/**
 * Reading history across ledger generations (docs/consortium.md, "Ledger generations"). A command
 * that shows what the chain recorded reads every generation's contracts over that generation's own
 * blocks, in manifest order, as the indexer does: a closed generation's contracts after its close
 * are not the ledger's. Where the manifest has several generations, each row names its own.
 */
import { connectLedger, generationsOf, memberNames, type Generation, type LedgerContracts } from "../sdk";
import type { CliContext } from "./context";

/** One generation's contracts and block range (`to` absent while it is the open one). */
export interface GenerationReader {
  generation: number;
  ledger: LedgerContracts;
  /** Its contracts' versions, as the manifest records them. */
  versions: Generation["versions"];
  from: number;
  to?: number;
}

/** Every generation of the manifest, oldest first, after checking the node serves its chain. */
export async function generationReaders(ctx: CliContext): Promise<GenerationReader[]> {
  await ctx.ledger(); // the node answers and serves the manifest's chain (WRONG_CHAIN, RPC_UNAVAILABLE)
  const d = ctx.deployment;
  return generationsOf(d).map((g) => ({ generation: g.generation, ledger: connectLedger({ ...d, addresses: g.addresses }, ctx.provider), versions: g.versions, from: g.fromBlock, to: g.toBlock }));
}

/**
 * `read`'s rows of every generation, in manifest order; each row carries its `generation` when the
 * manifest has several (a one-generation ledger's rows are as they always were). `several` says which.
 */
export async function acrossGenerations<T extends object>(ctx: CliContext, read: (g: GenerationReader) => Promise<T[]>): Promise<{ rows: (T & { generation?: number })[]; several: boolean }> {
  const readers = await generationReaders(ctx);
  const several = readers.length > 1;
  const each = await Promise.all(readers.map(async (g) => (await read(g)).map((row) => (several ? { generation: g.generation, ...row } : row))));
  return { rows: each.flat(), several };
}

/** A human line's generation label ("gen 2  "), empty on a one-generation ledger. */
export const generationLabel = (row: { generation?: number }) => (row.generation === undefined ? "" : `gen ${row.generation}  `);

/**
 * Member names by organisation id over every generation, each over its own blocks: an organisation
 * keeps its id across generations (re-admitted in member-id order), and one not re-admitted still
 * names what it did in an older generation.
 */
export async function memberNamesAcross(ctx: CliContext): Promise<string[]> {
  const out: string[] = [];
  for (const g of await generationReaders(ctx)) (await memberNames(g.ledger, g.from, g.to)).forEach((name, id) => void (out[id] = name));
  return out;
}
