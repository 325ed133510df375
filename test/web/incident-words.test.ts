/** The appraiser's incidents page in words, without a browser (src/web/app/incident-words.ts). */
import { describe, it, expect } from "vitest";
import { rowShares, splitText, statusOf } from "../../src/web/app/incident-words";

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
});
