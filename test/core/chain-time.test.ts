import { describe, expect, it } from "vitest";
import { isoOf } from "../../src/core";

describe("isoOf: chain time for people", () => {
  it("is ISO 8601 inside Date's range, at both ends", () => {
    expect(isoOf(0)).toBe("1970-01-01T00:00:00.000Z");
    expect(isoOf(1_790_000_000n)).toBe("2026-09-21T14:13:20.000Z");
    expect(isoOf(8_640_000_000_000)).toBe("+275760-09-13T00:00:00.000Z");
  });

  it("reads a uint64 past Date's end as the number itself instead of throwing", () => {
    // A grant's expiry is a uint64; the chain accepts one no calendar holds, and printing it must
    // not crash a command whose write already succeeded.
    expect(isoOf(8_640_000_000_001)).toBe("8640000000001 (past any calendar date)");
    expect(isoOf(2n ** 64n - 1n)).toBe("18446744073709551615 (past any calendar date)");
  });
});
