/**
 * Governed catalogues read from the chain (indications on ModelRegistry, incident categories on
 * IncidentRegistry) and the one way a user's names or ids are resolved against them. The defaults in
 * spec.ts are only where a deployment starts: governance appends, so the chain is what counts.
 */
import type { LedgerContracts } from "./deploy";
import { domain, InputError } from "../core";

/** Indication names by id, from the IndicationAdded events (id order), up to `toBlock` when given (a closed ledger generation's last block). */
export async function indicationCatalogue(ledger: Pick<LedgerContracts, "models">, fromBlock = 0, toBlock?: number): Promise<string[]> {
  return domain(async () => {
    const events = await ledger.models.queryFilter(ledger.models.filters.IndicationAdded(), fromBlock, toBlock);
    return byId(events.map((e) => [Number(e.args.indication), e.args.name] as const));
  });
}

/** Incident category names by id, from the CategoryAdded events (id order). */
export async function incidentCategories(ledger: Pick<LedgerContracts, "incidents">, fromBlock = 0): Promise<string[]> {
  return domain(async () => {
    const events = await ledger.incidents.queryFilter(ledger.incidents.filters.CategoryAdded(), fromBlock);
    return byId(events.map((e) => [Number(e.args.category), e.args.name] as const));
  });
}

function byId(pairs: readonly (readonly [number, string])[]): string[] {
  const out: string[] = [];
  for (const [id, name] of pairs) out[id] = name;
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
