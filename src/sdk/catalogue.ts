/**
 * Governed catalogues read from the chain (indications on ModelRegistry, incident categories on
 * IncidentRegistry) and the one way a user's names or ids are resolved against them. The defaults in
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
  return domain(async () => {
    const events = await readInSpans(fromBlock, toBlock ?? (await headOf(ledger.models)), maxRange, (a, b) => ledger.models.queryFilter(ledger.models.filters.IndicationAdded(), a, b));
    return byId(events.map((e) => [Number(e.args.indication), e.args.name] as const));
  });
}

/** Incident category names by id, from the CategoryAdded events (id order). */
export async function incidentCategories(ledger: Pick<LedgerContracts, "incidents">, fromBlock = 0, maxRange: number = LIMITS.LOG_RANGE_MAX): Promise<string[]> {
  return domain(async () => {
    const events = await readInSpans(fromBlock, await headOf(ledger.incidents), maxRange, (a, b) => ledger.incidents.queryFilter(ledger.incidents.filters.CategoryAdded(), a, b));
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
