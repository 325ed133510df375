/**
 * The indication and warning figures (issue 18, docs/reports.md) equal a recount: for random sets of
 * receipts' records of both formats and random approvals (a bitmask, or unknown), each figure of
 * each (version, hospital, month) group is recounted straight from the receipts by its definition.
 * Format-1 traces count as indication unknown, never as off-indication.
 */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { indicationReport, indicationSummary, monthOf, type ApprovedIndications, type IndicationTrace } from "../../src/sdk";
import { ClinicianAction } from "../../src/constants";

const VERSIONS = ["0x" + "aa".repeat(32), "0x" + "bb".repeat(32), "0x" + "cc".repeat(32)];
const trace: fc.Arbitrary<IndicationTrace> = fc.record(
  {
    modelVersion: fc.constantFrom(...VERSIONS),
    hospital: fc.integer({ min: 1, max: 3 }),
    // Three months of 2026 (and their edges).
    time: fc.integer({ min: 1_767_225_600 - 5, max: 1_775_001_600 + 5 }).map(String),
    confidenceBps: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(7999, 8000, 9499, 9500)),
    action: fc.integer({ min: 1, max: 4 }),
    format: fc.boolean(),
    indication: fc.integer({ min: 0, max: 63 }),
    riskWarning: fc.boolean(),
  },
  { requiredKeys: ["modelVersion", "hospital", "time", "confidenceBps", "action", "format", "indication", "riskWarning"] },
).map(({ format, indication, riskWarning, ...r }) => (format ? { ...r, indication, riskWarning } : r));
const approval: fc.Arbitrary<ApprovedIndications> = fc.oneof(fc.constant("unknown" as const), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));

/** The definitions of docs/reports.md, applied to one group's receipts with filters. */
function recount(group: IndicationTrace[], approved: ApprovedIndications) {
  const two = group.filter((r) => r.indication !== undefined);
  const approvedIds = approved === "unknown" ? undefined : new Set(Array.from({ length: 64 }, (_, i) => i).filter((i) => (approved >> BigInt(i)) & 1n));
  const on = approvedIds ? two.filter((r) => approvedIds.has(r.indication!)).length : 0;
  const off = approvedIds ? two.filter((r) => !approvedIds.has(r.indication!)).length : 0;
  const warned = two.filter((r) => r.riskWarning);
  const low = group.filter((r) => r.confidenceBps < 9500); // below REVIEW: DIFFERENTIAL or TAKEOVER
  const accepted = (r: IndicationTrace) => r.action === ClinicianAction.ACCEPTED;
  return {
    traces: group.length, indicationUnknown: group.length - two.length, approvalUnknown: approvedIds ? 0 : two.length, onIndication: on, offIndication: off,
    warned: warned.length, adoptedDespiteWarning: warned.filter(accepted).length, lowConfidence: low.length, lowConfidenceAdoption: low.filter(accepted).length,
  };
}

describe("indication and warning figures", () => {
  it("equal a recount from the receipts, group by group (version, hospital, month); format-1 traces are indication unknown", () => {
    fc.assert(
      fc.property(fc.array(trace, { maxLength: 120 }), fc.tuple(approval, approval, approval), (records, approvals) => {
        const approved = new Map(VERSIONS.map((v, i) => [v, approvals[i]] as const));
        const summary = indicationSummary(records, approved);
        expect(summary.reduce((n, s) => n + s.traces, 0)).toBe(records.length);
        const keys = summary.map((s) => `${s.versionId}|${s.hospital}|${s.period}`);
        expect(new Set(keys).size).toBe(keys.length);
        for (const s of summary) {
          const group = records.filter((r) => r.modelVersion === s.versionId && r.hospital === s.hospital && monthOf(r.time) === s.period);
          const want = recount(group, approved.get(s.versionId)!);
          expect(s).toMatchObject(want);
          expect(s.offIndicationRate).toBeCloseTo(want.onIndication + want.offIndication ? want.offIndication / (want.onIndication + want.offIndication) : 0, 4);
          expect(s.adoptedDespiteWarningRate).toBeCloseTo(want.warned ? want.adoptedDespiteWarning / want.warned : 0, 4);
          expect(s.lowConfidenceAdoptionRate).toBeCloseTo(want.lowConfidence ? want.lowConfidenceAdoption / want.lowConfidence : 0, 4);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("reads each version's approval once through the lookup; a version it does not know leaves its format-2 traces unjudged", async () => {
    const asked: string[] = [];
    const base = { hospital: 1, time: "1767225600", confidenceBps: 9600, action: ClinicianAction.ACCEPTED };
    const records: IndicationTrace[] = [
      { ...base, modelVersion: VERSIONS[0].toUpperCase().replace("0X", "0x"), indication: 1, riskWarning: true },
      { ...base, modelVersion: VERSIONS[0], indication: 2, riskWarning: false },
      { ...base, modelVersion: VERSIONS[0] },
      { ...base, modelVersion: VERSIONS[1], indication: 2, riskWarning: false },
    ];
    const lookup = { approvedIndications: async (v: string) => (asked.push(v), v === VERSIONS[0] ? 0b10n : ("unknown" as const)) };
    const [a, b] = await indicationReport(records, lookup);
    expect(asked.sort()).toEqual([VERSIONS[0], VERSIONS[1]]);
    expect(a).toMatchObject({ versionId: VERSIONS[0], period: "2026-01", traces: 3, indicationUnknown: 1, onIndication: 1, offIndication: 1, approvalUnknown: 0, warned: 1, adoptedDespiteWarning: 1, offIndicationRate: 0.5 });
    expect(b).toMatchObject({ versionId: VERSIONS[1], traces: 1, approvalUnknown: 1, onIndication: 0, offIndication: 0, offIndicationRate: 0 });
  });
});
