/**
 * Governed catalogues read from the chain (src/sdk/catalogue.ts): the readers (indications,
 * incident categories, member names) go through one pure helper that places each name at its event's id.
 */
import { describe, it, expect } from "vitest";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture } from "../helpers/fixture";
import { incidentCategories, indicationCatalogue, memberNames, namesById } from "../../src/sdk/catalogue";
import { DEFAULT_INCIDENT_CATEGORIES, DEFAULT_INDICATIONS } from "../../src/constants";

describe("catalogues", () => {
  it("namesById places each name at its id, whatever order the events come in", () => {
    const added = (id: number, name: string) => ({ args: { category: BigInt(id), name } });
    expect(namesById([added(1, "B"), added(0, "A"), added(2, "C")], "category")).toEqual(["A", "B", "C"]);
    expect(namesById([], "category")).toEqual([]);
  });

  it("a deployed ledger's indications and incident categories are the spec's defaults, in id order", async () => {
    const l = await loadFixture(ledgerFixture);
    expect(await indicationCatalogue(l)).toEqual([...DEFAULT_INDICATIONS]);
    expect(await incidentCategories(l)).toEqual([...DEFAULT_INCIDENT_CATEGORIES]);
  });

  it("member names sit at their organisation ids (1 and up), read in log spans as narrow as a node allows", async () => {
    const l = await loadFixture(ledgerFixture);
    const names = await memberNames(l, 0, undefined, 1);
    expect(names.slice(1, 8)).toEqual(["Hospital A", "Hospital B", "Model Developer", "Regulator", "Auditor", "Hospital Suspended", "Developer B"]);
    expect(names[0]).toBeUndefined();
    expect(await memberNames(l)).toEqual(names);
  });
});
