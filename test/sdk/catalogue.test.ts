/**
 * Governed catalogues read from the chain (src/sdk/catalogue.ts): both readers (indications,
 * incident categories) go through one pure helper that places each name at its event's id.
 */
import { describe, it, expect } from "vitest";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture } from "../helpers/fixture";
import { incidentCategories, indicationCatalogue, namesById } from "../../src/sdk/catalogue";
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
});
