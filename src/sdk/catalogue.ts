/**
 * Governed catalogues read from the chain (indications on ModelRegistry, incident categories on
 * IncidentRegistry, member names on Consortium) and the one way a user's names or ids are resolved against them. The defaults in
 * spec.ts are only where a deployment starts: governance appends, so the chain is what counts.
 */
import type { BaseContract } from "ethers";
import type { LedgerContracts } from "./deploy";
import { domain, InputError, readInSpans } from "../core";
import { LIMITS } from "../constants";

/** The head, for reading a catalogue's logs up to it in spans a node with a log-range limit serves. */
const headOf = async (c: BaseContract) => (await c.runner!.provider!.getBlockNumber());

/**
 * Indication names by id, from the IndicationAdded events (id order), up to `toBlock` when given (a
 * closed ledger generation's last block), else the head.
 */
export async function indicationCatalogue(ledger: Pick<LedgerContracts, "models">, fromBlock = 0, toBlock?: number, maxRange: number = LIMITS.LOG_RANGE_MAX): Promise<string[]> {
  const m = ledger.models;
  return domain(async () => namesById(await readInSpans(fromBlock, toBlock ?? (await headOf(m)), maxRange, (a, b) => m.queryFilter(m.filters.IndicationAdded(), a, b)), "indication"));
}

/** Incident category names by id, from the CategoryAdded events (id order). */
export async function incidentCategories(ledger: Pick<LedgerContracts, "incidents">, fromBlock = 0, maxRange: number = LIMITS.LOG_RANGE_MAX): Promise<string[]> {
  const r = ledger.incidents;
  return domain(async () => namesById(await readInSpans(fromBlock, await headOf(r), maxRange, (a, b) => r.queryFilter(r.filters.CategoryAdded(), a, b)), "category"));
}

/**
 * Member organisations' names by id, from the MemberAdmitted events (removed members too: what they
 * did stays history), up to `toBlock` when given (a closed generation's last block), else the head;
 * for answers that name an organisation beside its number.
 */
export async function memberNames(ledger: Pick<LedgerContracts, "consortium">, fromBlock = 0, toBlock?: number, maxRange: number = LIMITS.LOG_RANGE_MAX): Promise<string[]> {
  const c = ledger.consortium;
  return domain(async () => namesById(await readInSpans(fromBlock, toBlock ?? (await headOf(c)), maxRange, (a, b) => c.queryFilter(c.filters.MemberAdmitted(), a, b)), "orgId"));
}

/** A catalogue's names by id from its "added" events, each carrying its id under `key` beside its name; pure. */
export function namesById<K extends string>(events: readonly { args: { name: string } & Record<K, bigint> }[], key: K): string[] {
  const out: string[] = [];
  for (const { args } of events) out[Number(args[key])] = args.name;
  return out;
}

/**
 * Ids of `codes` (names, any case, or decimal ids) in `catalogue`; pure. Throws InputError
 * `<WHAT>_UNKNOWN` naming the first code that is not in it and the catalogue's names.
 */
export function resolveCodes(catalogue: readonly string[], codes: readonly string[], what: string): number[] {
  const ids = codes.map((raw) => {
    const code = raw.trim().toUpperCase();
    const id = /^\d+$/.test(code) ? Number(code) : catalogue.indexOf(code);
    if (id < 0 || id >= catalogue.length || catalogue[id] === undefined) {
      throw new InputError(`${what.toUpperCase().replace(/ /g, "_")}_UNKNOWN`, `unknown ${what} "${raw}" (known: ${catalogue.join(", ")})`, { field: what });
    }
    return id;
  });
  return [...new Set(ids)].sort((a, b) => a - b);
}
