/**
 * Governed catalogues read from the chain (indications on ModelRegistry, incident categories on
 * IncidentRegistry) and the one way a user's names or ids are resolved against them. The defaults in
 * spec.ts are only where a deployment starts: governance appends, so the chain is what counts.
 */
import type { LedgerContracts } from "./deploy";
import { domain, InputError } from "../core";

/** Indication names by id, from the IndicationAdded events (id order). */
export async function indicationCatalogue(ledger: Pick<LedgerContracts, "models">, fromBlock = 0): Promise<string[]> {
  return domain(async () => namesById(await ledger.models.queryFilter(ledger.models.filters.IndicationAdded(), fromBlock), "indication"));
}

/** Incident category names by id, from the CategoryAdded events (id order). */
export async function incidentCategories(ledger: Pick<LedgerContracts, "incidents">, fromBlock = 0): Promise<string[]> {
  return domain(async () => namesById(await ledger.incidents.queryFilter(ledger.incidents.filters.CategoryAdded(), fromBlock), "category"));
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
