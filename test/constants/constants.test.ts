import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture } from "../helpers/fixture";
import { renderSolidityConstants } from "../../src/constants/render";
import { DEFAULT_INDICATIONS, DEFAULT_POLICIES, DEFAULT_PURPOSES, RiskClass, nameOf, purposeMask, purposesOf, tierFor, TIERS } from "../../src/constants";
import { TRACE_RECORD_FIELDS } from "../../src/sdk/ids";

describe("shared constants", () => {
  it("the committed Solidity constants are generated from spec.ts", () => {
    const committed = readFileSync(join(__dirname, "..", "..", "contracts", "generated", "MedprovConstants.sol"), "utf8");
    expect(committed).toBe(renderSolidityConstants());
  });

  it("a fresh deployment holds the spec's policies and purposes", async () => {
    const l = await loadFixture(ledgerFixture);
    for (const risk of ["HIGH", "MEDIUM", "LOW"] as const) {
      const p = await l.models.policy(RiskClass[risk]);
      expect({
        minAuc: Number(p.minAuc), maxSubgroupAucGap: Number(p.maxSubgroupAucGap), minBiasTestCases: Number(p.minBiasTestCases), minGrassrootsShare: Number(p.minGrassrootsShare),
        requiresWhitePaper: p.requiresWhitePaper, requiresInsurance: p.requiresInsurance,
      }).toEqual(DEFAULT_POLICIES[risk]);
    }
    const names = (await l.consents.queryFilter(l.consents.filters.PurposeAdded(), 0)).map((e) => e.args.name);
    expect(names).toEqual([...DEFAULT_PURPOSES]);
    const indications = (await l.models.queryFilter(l.models.filters.IndicationAdded(), 0)).map((e) => e.args.name);
    expect(indications).toEqual([...DEFAULT_INDICATIONS]);
    expect(await l.models.indicationMask()).toBe((1n << BigInt(DEFAULT_INDICATIONS.length)) - 1n);
  });

  it("the trace leaf carries hashes, a pseudonymous subject and a salt — no identifying fields", () => {
    expect(TRACE_RECORD_FIELDS.map((f) => f.name)).toEqual([
      "traceId", "hospital", "seq", "modelVersion", "subject", "inputHash", "outputHash", "confidenceBps", "tier", "action", "clinicianHash", "finalDecisionHash", "time", "salt",
    ]);
    expect(TRACE_RECORD_FIELDS.find((f) => f.name === "salt")!.type).toBe("bytes32");
  });

  it("tiers follow the paper's thresholds; masks round-trip; unknown enum values are named", () => {
    expect([tierFor(10000), tierFor(9500), tierFor(9499), tierFor(8000), tierFor(7999), tierFor(0)]).toEqual(["REVIEW", "REVIEW", "DIFFERENTIAL", "DIFFERENTIAL", "TAKEOVER", "TAKEOVER"]);
    expect(() => tierFor(10001)).toThrow(RangeError);
    expect(() => tierFor(1.5)).toThrow(RangeError);
    expect(purposesOf(purposeMask([0, 3, 63]))).toEqual([0, 3, 63]);
    expect(nameOf(TIERS, 3)).toBe("TAKEOVER");
    expect(nameOf(TIERS, 9)).toBe("UNKNOWN(9)");
  });
});
