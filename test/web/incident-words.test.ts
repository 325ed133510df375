/** The appraiser's incidents page in words, without a browser (src/web/app/incident-words.ts). */
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dutyRows, pageOf, rowShares, splitText, splitWhy, statusOf } from "../../src/web/app/incident-words";
import { proposeSplit } from "../../src/sdk/accountability/proposal";
import { DEFAULT_WEIGHTING, LIABILITY_DUTIES } from "../../src/constants";

describe("web app: incidents in words", () => {
  it("a split reads as percentages per party, from a row's shares or a pack's", () => {
    expect(splitText({ developer: 3000, hospital: 1000, clinician: 6000 })).toBe("Developer 30% · hospital 10% · clinician 60%");
    expect(splitText(rowShares({ DEVELOPER: 4000, HOSPITAL: 0, CLINICIAN: 6000 }))).toBe("Developer 40% · hospital 0% · clinician 60%");
  });

  it("an incident stands awaiting the finding, the receipt, the determination, or determined", () => {
    const determination = { appraiser: 8, appraiserName: "Board", determinedAt: 1, shares: { developer: 3000, hospital: 1000, clinician: 6000 } };
    expect(statusOf({ findingName: "NONE", determination: null, receiptFiled: true })).toBe("Awaiting the hospital's finding");
    expect(statusOf({ findingName: "INCORRECT", determination: null, receiptFiled: false })).toBe("Awaiting the trace's receipt");
    expect(statusOf({ findingName: "INCORRECT", determination: null, receiptFiled: true })).toBe("Awaiting determination");
    expect(statusOf({ findingName: "INCORRECT", determination, receiptFiled: true })).toBe("Determined");
  });

  it("beside a proposal, each party's duties met or not, and one sentence saying why the split is what it is, as proposeSplit computes it", () => {
    const all = { DEVELOPER: [...LIABILITY_DUTIES.DEVELOPER], HOSPITAL: [...LIABILITY_DUTIES.HOSPITAL], CLINICIAN: [...LIABILITY_DUTIES.CLINICIAN] };
    const w = { DEVELOPER: DEFAULT_WEIGHTING.ADOPTED_WRONG.developer, HOSPITAL: DEFAULT_WEIGHTING.ADOPTED_WRONG.hospital, CLINICIAN: DEFAULT_WEIGHTING.ADOPTED_WRONG.clinician };
    const why = (proved: typeof all, weighting: { DEVELOPER: number; HOSPITAL: number; CLINICIAN: number } = w) => {
      const p = proposeSplit({ liabilityCase: "ADOPTED_WRONG", proved, weighting });
      return [`${p.shares.DEVELOPER}/${p.shares.HOSPITAL}/${p.shares.CLINICIAN}`, splitWhy("ADOPTED_WRONG", p)];
    };
    const start = "The ledger's weighting for a wrong suggestion adopted is developer 40%, hospital 0%, clinician 60% (the default)";
    // The demo's case: a hospital duty NOT met beside a 0% hospital share — the weighting gives hospitals nothing.
    expect(why({ ...all, HOSPITAL: ["WITHIN_INDICATION", "MANDATORY_REVIEW", "COMPLETE_LOGS"], CLINICIAN: ["FINAL_JUDGEMENT", "NO_IGNORED_WARNING"] })).toEqual(["0/0/10000", `${start}; the developer proved every duty, so it is presumed not at fault; the hospital did not prove every duty, but the weighting gives it 0%; so the clinician bears it all.`]);
    expect(why(all)).toEqual(["4000/0/6000", `${start}; every party proved every duty, so nobody is singled out and the weighting stands.`]);
    expect(why({ ...all, HOSPITAL: [] })).toEqual(["0/10000/0", `${start}; the developer and the clinician proved every duty, so they are presumed not at fault; the hospital did not prove every duty and the weighting gives it 0%, so it bears it all.`]);
    expect(why({ DEVELOPER: [], HOSPITAL: [], CLINICIAN: [] })).toEqual(["4000/0/6000", `${start}; the hospital did not prove every duty, but the weighting gives it 0%; so the developer and the clinician share it in the weighting's proportions.`]);
    expect(why({ ...all, DEVELOPER: [], CLINICIAN: [] }, { DEVELOPER: 3000, HOSPITAL: 1000, CLINICIAN: 6000 })[1]).toBe("The ledger's weighting for a wrong suggestion adopted is developer 30%, hospital 10%, clinician 60%; the hospital proved every duty, so it is presumed not at fault; so the developer and the clinician share it in the weighting's proportions.");
    // The published example pack: its duties in its order, each met or not, with the proposed shares.
    const pack = JSON.parse(readFileSync(join(__dirname, "..", "..", "examples", "evidence-pack.json"), "utf8"));
    const rows = dutyRows(pack.parties, pack.proposal.shares);
    expect(rows.map((r) => r.party)).toEqual(["Developer", "Hospital", "Clinician"]);
    expect(rows[0].duties.map((d) => d.duty)).toEqual(["Bias within threshold", "Explainability", "Safety white paper", "Liability insurance"]);
    for (const [i, party] of (["DEVELOPER", "HOSPITAL", "CLINICIAN"] as const).entries()) {
      expect(rows[i].share).toBe(pack.proposal.shares[party]);
      expect(rows[i].duties.map((d) => d.met)).toEqual(Object.values(pack.parties[party].duties).map((d) => (d as { met: boolean }).met));
    }
    expect(splitWhy(pack.liabilityCase, pack.proposal)).toMatch(/^The ledger's weighting for /);
  });
});

describe("web app: incidents a page at a time", () => {
  it("a page is clamped into range and says which incidents it holds", () => {
    expect(pageOf(312, 1, 20)).toEqual({ page: 1, pages: 16, from: 20, to: 40, words: "Incidents 21–40 of 312" });
    expect(pageOf(312, 15, 20)).toMatchObject({ from: 300, to: 312, words: "Incidents 301–312 of 312" });
    expect(pageOf(312, 99, 20).page).toBe(15);
    expect(pageOf(5, -1, 20)).toEqual({ page: 0, pages: 1, from: 0, to: 5, words: "Incidents 1–5 of 5" });
    expect(pageOf(0, 0, 20)).toEqual({ page: 0, pages: 1, from: 0, to: 0, words: "No incidents" });
    expect(pageOf(2500, 0, 20).words).toBe("Incidents 1–20 of 2,500");
  });
});
