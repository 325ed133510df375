/**
 * The three governed catalogues (purposes, indications, incident categories) share one implementation,
 * contracts/lib/Catalogue.sol, yet each registry still refuses with its OWN named error: a full catalogue,
 * a non-canonical name and a taken name revert with exactly the bytes that registry's
 * `revert <Error>(args)` gives (its ABI, the SDK's sentences and the error catalogue read them by
 * selector), checked in the same order as before the fold (room first, then spelling, then uniqueness).
 *
 * The non-canonical and taken cases are also asserted by name in consent.test.ts, filing-evidence.test.ts
 * and incidents.test.ts; the full catalogue of indications and of incident categories is asserted only here.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Interface } from "ethers";
import { ledgerFixture, GOVERNANCE_DELAY, type Ledger } from "../helpers/fixture";
import { DEFAULT_INCIDENT_CATEGORIES, DEFAULT_INDICATIONS, DEFAULT_PURPOSES, NUMBERS } from "../../src/constants";
import { decodeRevert, explain } from "../../src/core";

interface Registry {
  getAddress(): Promise<string>;
  interface: Interface;
}

interface CatalogueCase {
  contract: string;
  registry(l: Ledger): Registry;
  add: string;
  count(l: Ledger): Promise<bigint>;
  /** The registry's mask getter, where the catalogue keeps one. */
  mask?(l: Ledger): Promise<bigint>;
  defaults: number;
  max: number;
  /** The registry's own errors: full, not canonical, taken. */
  errors: [string, string, string];
  /** A name the catalogue holds from deployment. */
  taken: string;
}

const CASES: CatalogueCase[] = [
  {
    contract: "ConsentRegistry", registry: (l) => l.consents, add: "addPurpose",
    count: (l) => l.consents.purposeCount(), mask: (l) => l.consents.purposeMask(),
    defaults: DEFAULT_PURPOSES.length, max: NUMBERS.MAX_PURPOSES,
    errors: ["ConsentRegistryCatalogueFull", "ConsentRegistryPurposeNameNotCanonical", "ConsentRegistryPurposeNameTaken"], taken: "RESEARCH",
  },
  {
    contract: "ModelRegistry", registry: (l) => l.models, add: "addIndication",
    count: (l) => l.models.indicationCount(), mask: (l) => l.models.indicationMask(),
    defaults: DEFAULT_INDICATIONS.length, max: NUMBERS.MAX_INDICATIONS,
    errors: ["ModelRegistryIndicationCatalogueFull", "ModelRegistryIndicationNameNotCanonical", "ModelRegistryIndicationNameTaken"], taken: "HEALTH_ADVICE",
  },
  {
    contract: "IncidentRegistry", registry: (l) => l.incidents, add: "addCategory",
    count: (l) => l.incidents.categoryCount(),
    defaults: DEFAULT_INCIDENT_CATEGORIES.length, max: NUMBERS.MAX_INCIDENT_CATEGORIES,
    errors: ["IncidentRegistryCategoryCatalogueFull", "IncidentRegistryCategoryNameNotCanonical", "IncidentRegistryCategoryNameTaken"], taken: "OTHER",
  },
];

/**
 * The raw revert data of governance executing `registry.<add>(name)`: scheduled, the delay waited
 * out, then executed as an eth_call (the node's bytes, no ABI involved in getting them).
 */
async function refusalOf(l: Ledger, c: CatalogueCase, name: string): Promise<string> {
  const target = await c.registry(l).getAddress();
  const data = c.registry(l).interface.encodeFunctionData(c.add, [name]);
  await (await l.manager.connect(l.governance).schedule(target, data, 0)).wait();
  await time.increase(GOVERNANCE_DELAY);
  const call = await l.manager.connect(l.governance).execute.populateTransaction(target, data);
  try {
    await hre.network.provider.request({ method: "eth_call", params: [{ from: l.governance.address, to: call.to, data: call.data }, "latest"] });
  } catch (e) {
    const raw = (e as { data?: unknown }).data;
    if (typeof raw === "string") return raw;
    throw e;
  }
  throw new Error(`${c.contract}.${c.add}("${name}") did not revert`);
}

/**
 * Asserts `raw` is byte for byte the registry's own `error(args)`, and that the SDK names it and has
 * its sentence for it (not the fallback for an error it does not know), with the value in it.
 */
async function expectOwnError(c: CatalogueCase, raw: string, error: string, args: unknown[]) {
  const own = (await hre.artifacts.readArtifact(c.contract)).abi;
  expect(raw).toBe(new Interface(own).encodeErrorResult(error, args));
  const decoded = decodeRevert({ data: raw });
  expect(decoded?.name).toBe(error);
  const sentence = explain(decoded!.name, decoded!.args);
  expect(sentence).not.toContain("the ledger refused the call");
  expect(sentence).toContain(String(args[0]));
}

describe("catalogue refusals after the fold into contracts/lib/Catalogue.sol", () => {
  for (const c of CASES) {
    it(`${c.contract}.${c.add} refuses a non-canonical name, a taken name and a full catalogue with ${c.contract}'s own errors`, async () => {
      const l = await loadFixture(ledgerFixture);
      const [full, notCanonical, taken] = c.errors;
      await expectOwnError(c, await refusalOf(l, c, "not canonical"), notCanonical, ["not canonical"]);
      await expectOwnError(c, await refusalOf(l, c, c.taken), taken, [c.taken]);
      expect(await c.count(l)).toBe(BigInt(c.defaults));

      const add = (name: string) => ({ target: c.registry(l), data: c.registry(l).interface.encodeFunctionData(c.add, [name]) });
      await l.govern(...Array.from({ length: c.max - c.defaults }, (_, i) => add(`EXTRA_${i}`)));
      expect(await c.count(l)).toBe(BigInt(c.max));
      if (c.mask) expect(await c.mask(l)).toBe((1n << BigInt(c.max)) - 1n);

      // Room is checked first: at full, even a taken or non-canonical name is refused as "full". (Names
      // not refused above: a refused operation stays scheduled and cannot be scheduled again.)
      for (const name of ["ONE_TOO_MANY", "EXTRA_0", "also not canonical"]) {
        await expectOwnError(c, await refusalOf(l, c, name), full, [c.max]);
      }
      expect(await c.count(l)).toBe(BigInt(c.max));
    });
  }
});
