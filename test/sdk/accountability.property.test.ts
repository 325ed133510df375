/**
 * The proposed liability split (src/sdk/accountability/proposal.ts), pure: the paper's two cases
 * with the default weighting, and properties over every duty profile and weighting — the shares sum
 * to 10,000, a party proving every duty gets 0 unless every party does, and the parties left keep
 * the weighting's proportions.
 */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { apportion, proposeSplit, type ProposalInput, type Split } from "../../src/sdk/accountability/proposal";
import { DEFAULT_WEIGHTING, LIABILITY_DUTIES, LIABILITY_PARTIES, NUMBERS } from "../../src/constants";

const ALL = { DEVELOPER: [...LIABILITY_DUTIES.DEVELOPER], HOSPITAL: [...LIABILITY_DUTIES.HOSPITAL], CLINICIAN: [...LIABILITY_DUTIES.CLINICIAN] };
const sum = (s: Split) => LIABILITY_PARTIES.reduce((a, p) => a + s[p], 0);

/** Any subset of each party's duties as proved. */
const provedArb = fc.record({
  DEVELOPER: fc.subarray([...LIABILITY_DUTIES.DEVELOPER]),
  HOSPITAL: fc.subarray([...LIABILITY_DUTIES.HOSPITAL]),
  CLINICIAN: fc.subarray([...LIABILITY_DUTIES.CLINICIAN]),
});
/** Any weighting in whole bps summing to 10,000. */
const weightingArb = fc.tuple(fc.integer({ min: 0, max: NUMBERS.BPS }), fc.integer({ min: 0, max: NUMBERS.BPS })).map(([a, b]) => {
  const [lo, hi] = a <= b ? [a, b] : [b, a];
  return { DEVELOPER: lo, HOSPITAL: hi - lo, CLINICIAN: NUMBERS.BPS - hi };
});
const caseArb = fc.constantFrom("ADOPTED_WRONG" as const, "REJECTED_CORRECT" as const);
const defaults = (c: keyof typeof DEFAULT_WEIGHTING): Split => ({ DEVELOPER: DEFAULT_WEIGHTING[c].developer, HOSPITAL: DEFAULT_WEIGHTING[c].hospital, CLINICIAN: DEFAULT_WEIGHTING[c].clinician });

describe("proposeSplit", () => {
  it("the paper's cases with the default weighting: adopted-and-wrong 40/60, rejected-correct reversed 60/40, when developer and clinician both failed a duty", () => {
    const proved: ProposalInput["proved"] = { DEVELOPER: ["SAFETY_WHITE_PAPER"], HOSPITAL: ALL.HOSPITAL, CLINICIAN: ["FINAL_JUDGEMENT"] };
    const adopted = proposeSplit({ liabilityCase: "ADOPTED_WRONG", proved, weighting: defaults("ADOPTED_WRONG") });
    expect([adopted.label, adopted.shares]).toEqual(["PROPOSAL", { DEVELOPER: 4000, HOSPITAL: 0, CLINICIAN: 6000 }]);
    expect(adopted.presumedNotAtFault).toEqual(["HOSPITAL"]);
    expect(adopted.unproved.CLINICIAN).toEqual(["NO_BLIND_LOW_CONFIDENCE_ADOPTION", "NO_IGNORED_WARNING"]);
    const rejected = proposeSplit({ liabilityCase: "REJECTED_CORRECT", proved, weighting: defaults("REJECTED_CORRECT") });
    expect(rejected.shares).toEqual({ DEVELOPER: 6000, HOSPITAL: 0, CLINICIAN: 4000 });
  });

  it("a developer that proves every duty is presumed not at fault: the clinician bears it all; only the hospital failing shares equally", () => {
    const proved: ProposalInput["proved"] = { DEVELOPER: ALL.DEVELOPER, HOSPITAL: ALL.HOSPITAL, CLINICIAN: [] };
    expect(proposeSplit({ liabilityCase: "REJECTED_CORRECT", proved, weighting: defaults("REJECTED_CORRECT") }).shares).toEqual({ DEVELOPER: 0, HOSPITAL: 0, CLINICIAN: 10000 });
    // The weighting gives the hospital nothing, yet it alone failed a duty: it bears it all.
    const onlyHospital = proposeSplit({ liabilityCase: "ADOPTED_WRONG", proved: { ...ALL, HOSPITAL: ["COMPLETE_LOGS"] }, weighting: defaults("ADOPTED_WRONG") });
    expect(onlyHospital.shares).toEqual({ DEVELOPER: 0, HOSPITAL: 10000, CLINICIAN: 0 });
    // Everyone proved everything: the weighting stands, nobody is singled out.
    const cleared = proposeSplit({ liabilityCase: "ADOPTED_WRONG", proved: ALL, weighting: defaults("ADOPTED_WRONG") });
    expect([cleared.shares, cleared.presumedNotAtFault]).toEqual([{ DEVELOPER: 4000, HOSPITAL: 0, CLINICIAN: 6000 }, []]);
  });

  it("refuses a weighting that is not whole bps summing to 10,000", () => {
    expect(() => proposeSplit({ liabilityCase: "ADOPTED_WRONG", proved: ALL, weighting: { DEVELOPER: 4000, HOSPITAL: 0, CLINICIAN: 5999 } })).toThrow(RangeError);
    expect(() => proposeSplit({ liabilityCase: "ADOPTED_WRONG", proved: ALL, weighting: { DEVELOPER: 4000.5, HOSPITAL: 0, CLINICIAN: 5999.5 } })).toThrow(RangeError);
  });

  it("properties: sums to 10,000 in whole bps; a party proving every duty gets 0 unless all do; the rest keep the weighting's proportions", () => {
    fc.assert(
      fc.property(caseArb, provedArb, weightingArb, (liabilityCase, proved, weighting) => {
        const p = proposeSplit({ liabilityCase, proved, weighting });
        expect(sum(p.shares)).toBe(NUMBERS.BPS);
        for (const party of LIABILITY_PARTIES) expect(Number.isInteger(p.shares[party]) && p.shares[party] >= 0).toBe(true);
        const cleared = LIABILITY_PARTIES.filter((party) => LIABILITY_DUTIES[party].every((d) => (proved[party] as readonly string[]).includes(d)));
        if (cleared.length === LIABILITY_PARTIES.length) {
          expect(p.shares).toEqual(weighting);
          expect(p.presumedNotAtFault).toEqual([]);
        } else {
          for (const party of cleared) expect(p.shares[party]).toBe(0);
          expect(p.presumedNotAtFault).toEqual(cleared);
          const left = LIABILITY_PARTIES.filter((party) => !cleared.includes(party));
          const base = left.reduce((a, party) => a + weighting[party], 0);
          // Each remaining share is within one bp of its exact proportional (or equal) part.
          for (const party of left) {
            const exact = base > 0 ? (weighting[party] * NUMBERS.BPS) / base : NUMBERS.BPS / left.length;
            expect(Math.abs(p.shares[party] - exact)).toBeLessThan(1);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("apportion: whole parts summing to the total, each within one of its exact share", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 6 }).filter((w) => w.some((x) => x > 0)), (w) => {
        const parts = apportion(w, NUMBERS.BPS);
        expect(parts.reduce((a, b) => a + b, 0)).toBe(NUMBERS.BPS);
        const total = w.reduce((a, b) => a + b, 0);
        parts.forEach((x, i) => expect(Math.abs(x - (w[i] * NUMBERS.BPS) / total)).toBeLessThan(1));
      }),
    );
  });
});
