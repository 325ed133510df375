/**
 * A trace stamped ahead of the chain is refused with the chain's time beside it: the check compares
 * with the head block's time, and when the chain has been idle (the demo chain makes a block only
 * for a transaction) that time lags this machine's clock. "more than 300s in the future" alone sent
 * a new-user trial looking at a correct wall clock; the refusal now shows both times and the gap.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { validateTraceInput } from "../../src/sdk/traces/record";
import { MedprovError } from "../../src/core/errors";

const example = JSON.parse(readFileSync("examples/traces.jsonl", "utf8").split("\n")[0]) as Record<string, unknown>;
const chainTime = 1_796_043_540; // 2026-11-30T12:59:00Z

function refusal(time: number): MedprovError {
  try {
    validateTraceInput({ ...example, time }, chainTime);
  } catch (e) {
    return e as MedprovError;
  }
  throw new Error("the trace was accepted");
}

describe("a trace stamped ahead of chain time", () => {
  it("names the trace's time and the chain's, in ISO beside Unix seconds (isoOf), and how far ahead it is", () => {
    const e = refusal(chainTime + 301);
    expect(e.code).toBe("TRACE_FUTURE_TIME");
    expect(e.message).toContain("1796043841 (2026-11-30T13:04:01.000Z)");
    expect(e.message).toContain("301 s ahead of the chain's time 1796043540 (2026-11-30T12:59:00.000Z)");
    expect(e.message).toContain("at most 300 s");
    expect(e.message).not.toContain("\n");
  });

  it("accepts a trace exactly 300 s ahead (the bound is inclusive)", () => {
    expect(validateTraceInput({ ...example, time: chainTime + 300 }, chainTime).time).toBe(chainTime + 300);
  });
});
