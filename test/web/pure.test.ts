/**
 * The web app's pure parts, without a browser: a consent slot's state at chain time, the request a
 * switch signs (signed after the slot's last write, never by the browser's clock), receipt files,
 * time buckets for the charts, the verdicts' CSV and the SIWE message the API accepts.
 */
import { describe, it, expect } from "vitest";
import { SiweMessage } from "siwe";
import { Wallet, id } from "ethers";
import { cellState, consentRequest, forThePatient } from "../../src/web/app/consent-cells";
import { ApiFailure } from "../../src/web/app/api";
import { buckets, receiptsOf } from "../../src/web/app/receipts";
import { hospitalName, utcTick, verdictCsv, when, whenDay } from "../../src/web/app/format";
import { datasetSentences, list, unknownSentence, type SubjectDataset } from "../../src/web/app/dataset-words";
import { derivePseudonyms, joinPseudonymViews } from "../../src/sdk/pseudonyms";
import { findDemoPatient } from "../../src/web/app/demo-patients";
import { resolveSubject } from "../../src/web/app/subject";
import { policyChecks, refusal } from "../../src/web/app/policy";
import { impactSentences, type RevocationRow } from "../../src/web/app/impact-words";
import { DEFAULT_POLICIES } from "../../src/constants";
import { siweMessage } from "../../src/web/app/session";
import { GRANT_TYPES, REVOKE_TYPES } from "../../src/sdk";

describe("web app: pure parts", () => {
  it("a slot is on until its expiry, and off as never given, revoked or expired", () => {
    const row = { purpose: 3, grantee: 0, grantedAt: 100, expiresAt: 200, revokedAt: 0, signedAt: 100 };
    expect(cellState(undefined, 150)).toEqual({ on: false, why: "never", at: 0 });
    expect(cellState(row, 150)).toEqual({ on: true, until: 200 });
    expect(cellState(row, 200)).toEqual({ on: false, why: "expired", at: 200 });
    expect(cellState({ ...row, revokedAt: 160 }, 170)).toEqual({ on: false, why: "revoked", at: 160 });
  });

  it("a switch signs the SDK's typed request at the chain's now, after the slot's last signature", () => {
    const subject = Wallet.createRandom().address;
    const grant = consentRequest({ subject, purpose: 3, grantee: 0, on: true, now: 1000, lastSignedAt: 1000, lifetime: 86400 });
    expect(grant.kind).toBe("grant");
    expect(grant.types).toBe(GRANT_TYPES);
    expect(grant.request).toEqual({ subject, signer: subject, purpose: 3, grantee: 0, signedAt: "1001", deadline: "4600", expiresAt: "87400" });
    const revoke = consentRequest({ subject, purpose: 3, grantee: 0, on: false, now: 2000, lastSignedAt: 1001, lifetime: 86400 });
    expect(revoke.types).toBe(REVOKE_TYPES);
    expect(revoke.request).toEqual({ subject, signer: subject, purpose: 3, grantee: 0, signedAt: "2000", deadline: "5600" });
  });

  it("a receipt file holds one receipt, a list, or {receipts}; anything else is named unreadable", () => {
    expect(receiptsOf("a.json", '{"record":{"traceId":"0x1"}}')).toEqual([{ file: "a.json", receipt: { record: { traceId: "0x1" } } }]);
    expect(receiptsOf("b.json", "[{},{}]").map((l) => l.file)).toEqual(["b.json #1", "b.json #2"]);
    expect(receiptsOf("c.json", '{"receipts":[{}]}')).toHaveLength(1);
    expect(receiptsOf("d.json", "not json")).toEqual([{ file: "d.json", unreadable: "the file is not JSON" }]);
  });

  it("buckets split the receipts' times evenly, one bucket when they share a time", () => {
    expect(buckets([{ time: 5 }, { time: 5 }], 8)).toEqual([{ from: 5, to: 5 + 1, items: [{ time: 5 }, { time: 5 }] }]);
    const b = buckets([0, 10, 20, 30].map((time) => ({ time })), 2);
    expect(b.map((x) => x.items.map((i) => i.time))).toEqual([[0, 10], [20, 30]]);
  });

  it("the CSV has a row per record with the verdict and the reasons quoted", () => {
    const csv = verdictCsv([
      { file: "good.json", traceId: "0x1", valid: true, reasons: [] },
      { file: 'odd "name".json', traceId: "0x2", valid: false, reasons: [{ code: "LEAF_MISMATCH", message: "the record hashes to x, not y" }] },
    ]);
    expect(csv).toBe('file,traceId,verdict,reasons,messages\n"good.json","0x1",VALID,"",""\n"odd ""name"".json","0x2",INVALID,"LEAF_MISMATCH","the record hashes to x, not y"\n');
  });

  it("times are the chain's, in UTC, with 0 and uint64 max as never", () => {
    expect(when(1795988220)).toBe("29 Nov 2026, 21:37:00 UTC");
    expect(when(0)).toBe("never");
    expect(when("18446744073709551615")).toBe("never");
    expect([whenDay(1795988220), whenDay(0), whenDay("18446744073709551615")]).toEqual(["29 Nov 2026", "never", "never"]);
  });

  it("a revocation and a training in the same minute read as two different times, so 'before your revocation' can be checked", () => {
    // The demo's case: both "10:39 UTC" to the minute, the training 20 s before the revocation.
    const row: RevocationRow = {
      purposeName: "MODEL_TRAINING", granteeName: null, revokedTime: 1795988250,
      datasets: [{ datasetId: "0xd1", versions: [{ versionId: "0xv1", developerName: "Lumen Imaging AI (demo)", registered: "BEFORE_REVOCATION", registeredTime: 1795988230 }], uses: [] }],
      datasetsWithoutManifest: [],
    };
    const s = impactSentences(row, { dataset: (x) => x, version: (x) => x }, true);
    const [revoked, trained] = [s.heading, s.datasets[0].uses[0]].map((t) => /on (\d+ \w+ \d{4}, [\d:]+ UTC)/.exec(t)![1]);
    expect([revoked, trained]).toEqual(["29 Nov 2026, 21:37:30 UTC", "29 Nov 2026, 21:37:10 UTC"]);
  });

  it("the SIWE message parses as EIP-4361 with the fields it was given", () => {
    const address = Wallet.createRandom().address;
    const text = siweMessage({ domain: "127.0.0.1:8080", uri: "http://127.0.0.1:8080", chainId: 31337, address, nonce: "abcdef0123456789", issuedAt: "2026-11-29T21:00:00.000Z", expirationTime: "2026-11-29T22:00:00.000Z", statement: "Sign in to medprov." });
    const m = new SiweMessage(text);
    expect([m.domain, m.address, m.uri, m.chainId, m.nonce, m.issuedAt, m.expirationTime, m.statement]).toEqual(["127.0.0.1:8080", address, "http://127.0.0.1:8080", 31337, "abcdef0123456789", "2026-11-29T21:00:00.000Z", "2026-11-29T22:00:00.000Z", "Sign in to medprov."]);
  });

  it("chart ticks are UTC on a 24-hour clock, as fine as the span needs", () => {
    const t = 1795988220; // 29 Nov 2026, 21:37:00 UTC
    expect(utcTick(t + 5, 30)).toBe("21:37:05");
    expect(utcTick(t, 3600)).toBe("21:37");
    expect(utcTick(t + 3 * 3600, 3600)).toBe("00:37"); // past midnight UTC, whatever the browser's zone
    expect(utcTick(t, 5 * 86400)).toBe("29 Nov");
    for (const s of [30, 3600, 5 * 86400]) expect(utcTick(t, s)).not.toMatch(/am|pm/i);
  });

  it("any demo patient is found by number, name, MRN or address (a unique prefix), and nothing else", () => {
    const patients = Array.from({ length: 300 }, (_, i) => ({ name: `patient-${i}`, role: "PATIENT", organisation: null, address: id(`patient ${i}`).slice(0, 42), privateKey: "0x", mrn: `MRN-${100000 + i}` }));
    expect(findDemoPatient(patients, "257")?.name).toBe("patient-257");
    expect(findDemoPatient(patients, " Patient-31 ")?.name).toBe("patient-31");
    expect(findDemoPatient(patients, "mrn-100299")?.name).toBe("patient-299");
    expect(findDemoPatient(patients, patients[42].address.toLowerCase())?.name).toBe("patient-42");
    expect(findDemoPatient(patients, patients[42].address.slice(0, 16))?.name).toBe("patient-42");
    expect(findDemoPatient(patients, "300")).toBeUndefined();
    expect(findDemoPatient(patients, "")).toBeUndefined();
    expect(findDemoPatient(patients, "0x")).toBeUndefined();
  });

  it("the auditor's revocation-impact box takes what the sign-in picker takes: a name, number or MRN is the patient's pseudonym at one hospital or at each; an address is itself; anything else is named", () => {
    const secret = "0x087d921272d7dacab6271a8853272b96b7e08da7f9d7371a57562c8c3cab3758";
    const [a, b] = ["0xC80B0C694F41cbB91AbB2603439ed13C8E65a564", "0xADef886dd00aBe9B45D2695Ed9C18D31d01E8517"]; // docs/pseudonyms.md's vectors at hospitals 1 and 2
    const patients = [{ name: "patient-0", role: "PATIENT", organisation: null, address: a, privateKey: "0x", mrn: "MRN-100000", secret }, { name: "patient-1", role: "PATIENT", organisation: null, address: id("p1").slice(0, 42), privateKey: "0x", mrn: "MRN-100001" }];
    const hospitals = [{ id: 1, name: "Hospital A" }, { id: 2, name: "Hospital B" }];
    const every = { ok: true, who: "patient-0 (MRN-100000) at every hospital", addresses: [{ address: a, hospital: hospitals[0] }, { address: b, hospital: hospitals[1] }] };
    for (const q of ["patient-0", "0", "mrn-100000", " MRN-100000 "]) expect(resolveSubject(q, patients, hospitals)).toEqual(every);
    expect(resolveSubject("MRN-100000", patients, hospitals, 2)).toEqual({ ok: true, who: "patient-0 (MRN-100000) at Hospital B", addresses: [{ address: b, hospital: hospitals[1] }] });
    // A patient without a secret has one address; a whole address is asked about as typed.
    expect(resolveSubject("patient-1", patients, hospitals)).toEqual({ ok: true, who: "patient-1 (MRN-100001)", addresses: [{ address: patients[1].address }] });
    expect(resolveSubject(b.toLowerCase(), patients, hospitals)).toEqual({ ok: true, who: "0xadef…8517", addresses: [{ address: b.toLowerCase() }] });
    expect(resolveSubject("patient-9", patients, hospitals)).toEqual({ ok: false, why: "No demo patient is “patient-9”, and it is not an address (0x and 40 hex digits)." });
    expect(resolveSubject("MRN-100000", patients, hospitals, 7)).toEqual({ ok: false, why: "Organisation 7 is not a hospital of the consortium." });
    expect(resolveSubject("MRN-100000", undefined, hospitals)).toEqual({ ok: false, why: "“MRN-100000” is not an address (0x and 40 hex digits); names and MRNs are known only on the local demo." });
    expect(resolveSubject("  ", patients, hospitals)).toEqual({ ok: false, why: "Type an address (0x and 40 hex digits), or a demo patient's number, name or MRN." });
  });

  it("a version's figures against its class's policy, in the ledger's order: the refusal names every shortfall", () => {
    const pct = (p: (typeof DEFAULT_POLICIES)["HIGH"], name: string) => ({ riskClassName: name, minAucPercent: p.minAuc / 100, maxSubgroupAucGapPercent: p.maxSubgroupAucGap / 100, minBiasTestCases: p.minBiasTestCases, minGrassrootsSharePercent: p.minGrassrootsShare / 100 });
    const high = pct(DEFAULT_POLICIES.HIGH, "HIGH");
    // The demo's chest-xray-dx 2.0-rc: AUC 88%, grassroots 15% (both short); the ledger names AUC first.
    const rc = { aucPercent: 88, subgroupAucGapPercent: 3.5, biasTestCases: "420", grassrootsSharePercent: 15 };
    expect(policyChecks(rc, high).map((c) => [c.metric, c.ok])).toEqual([["AUC", false], ["Subgroup AUC gap", true], ["Bias test cases", true], ["Grassroots share", false]]);
    // The demo's case: both shortfalls named, not only the ledger's first (AUC).
    expect(refusal(rc, high)).toBe("AUC 88% is below the minimum of 90% and grassroots share 15% is below the minimum of 20% for high-risk models");
    expect(refusal({ ...rc, subgroupAucGapPercent: 6, biasTestCases: "10" }, high)).toBe("AUC 88% is below the minimum of 90%, subgroup AUC gap 6% is above the maximum of 5%, bias test cases 10 is below the minimum of 300 and grassroots share 15% is below the minimum of 20% for high-risk models");
    expect(refusal({ ...rc, aucPercent: 92 }, high)).toBe("Grassroots share 15% is below the minimum of 20% for high-risk models");
    expect(refusal({ ...rc, aucPercent: 92, grassrootsSharePercent: 20, subgroupAucGapPercent: 5.01 }, high)).toBe("Subgroup AUC gap 5.01% is above the maximum of 5% for high-risk models");
    expect(refusal({ ...rc, aucPercent: 90, grassrootsSharePercent: 20 }, high)).toBeUndefined(); // at the threshold passes, as on-chain
    expect(refusal(rc, undefined)).toBeUndefined();
  });

  it("the revocation impact in plain sentences: the dataset that includes you, the version trained on it, and when against your revocation", () => {
    const row: RevocationRow = {
      purposeName: "MODEL_TRAINING", granteeName: null, revokedTime: 1795988220,
      datasets: [{ datasetId: "0xd1", versions: [{ versionId: "0xv1", developerName: "Lumen Imaging AI (demo)", registered: "BEFORE_REVOCATION", registeredTime: 1795988000 }], uses: [{ orgName: "Cardiosense (demo)", purposeName: "MODEL_TRAINING", time: 1795989000, relation: "AFTER_REVOCATION" }] }],
      datasetsWithoutManifest: ["0xd2"],
    };
    const names = { dataset: (id: string) => (id === "0xd1" ? "s3://hospital-1/cxr-train-split.tar.age" : id), version: (id: string) => (id === "0xv1" ? "chest-xray-dx 0xv1" : id) };
    const s = impactSentences(row, names, true);
    expect(s.heading).toBe("You revoked model training by any member on 29 Nov 2026, 21:37:00 UTC.");
    expect(s.datasets).toEqual([{
      includes: "Dataset s3://hospital-1/cxr-train-split.tar.age includes your data.",
      uses: [
        "Model version chest-xray-dx 0xv1 was trained on it by Lumen Imaging AI (demo) on 29 Nov 2026, 21:33:20 UTC, before your revocation.",
        "Cardiosense (demo) used it for model training on 29 Nov 2026, 21:50:00 UTC, after your revocation, without consent — auditors and regulators see this as a finding.",
      ],
    }]);
    expect(s.unknown).toBe("1 dataset allows this purpose without disclosing who is in it, so whether you are in it is unknown.");
    expect(impactSentences({ ...row, datasets: [], datasetsWithoutManifest: [] }, names, false)).toEqual({ heading: "The subject revoked model training by any member on 29 Nov 2026, 21:37:00 UTC.", datasets: [], none: "No disclosed dataset includes their data.", unknown: undefined });
  });

  it("a dataset that includes you, in sentences: who holds it and for what, the consents it relied on, the versions trained on it and its uses, whether or not you revoked", () => {
    const d: SubjectDataset = {
      datasetId: "0xd1", uri: "s3://hospital-1/cxr-raw.tar.age", custodianName: "Xiangya Hospital (demo)", statusName: "ACTIVE", allowedPurposesNames: ["RESEARCH", "MODEL_TRAINING", "COMMERCIAL_USE"], registeredTime: 1795988220,
      consents: [
        { purposeName: "RESEARCH", granteeName: "any member", heldAtRegistration: true, heldNow: true },
        { purposeName: "MODEL_TRAINING", granteeName: "Xiangya Hospital (demo)", heldAtRegistration: true, heldNow: false },
        { purposeName: "COMMERCIAL_USE", granteeName: "Xiangya Hospital (demo)", heldAtRegistration: false, heldNow: false },
      ],
      versions: [{ versionId: "0x8eff00000000000000000000000000000000000000000000000000000000070bc", modelName: "chest-xray-dx", developerName: "Lumen Imaging AI (demo)", statusName: "RECALLED", registeredTime: 1795988280, consented: true }],
      uses: [{ orgName: "Cardiosense (demo)", purposeName: "RESEARCH", time: 1795989000, consented: false }],
    };
    const s = datasetSentences(d, "at Xiangya Hospital (demo)");
    expect(s.heading).toBe("s3://hospital-1/cxr-raw.tar.age, held by Xiangya Hospital (demo)");
    expect(s.facts).toEqual([
      "Xiangya Hospital (demo) disclosed that this dataset includes your data (your record at Xiangya Hospital (demo)). It registered it on 29 Nov 2026, 21:37:00 UTC for research, model training and commercial use.",
      "For research it relied on your consent to research by any member; you still give it.",
      "For model training it relied on your consent to model training by Xiangya Hospital (demo); you no longer give it, so no new use for this purpose is allowed.",
      "For commercial use no consent of yours covered Xiangya Hospital (demo) when it registered the dataset, and none does now: it may not use your data for this purpose.",
    ]);
    expect(s.uses).toEqual([
      "Model version chest-xray-dx 0x8eff…70bc, now recalled, was trained on it by Lumen Imaging AI (demo) on 29 Nov 2026, 21:38:00 UTC, while your consent to model training covered it.",
      "Cardiosense (demo) used it for research on 29 Nov 2026, 21:50:00 UTC, when no consent of yours to research covered Cardiosense (demo).",
    ]);
    // One address only: no hospital named; a retired dataset says so.
    expect(datasetSentences({ ...d, statusName: "RETIRED" }).facts[0]).toBe("Xiangya Hospital (demo) disclosed that this dataset includes your data. It registered it on 29 Nov 2026, 21:37:00 UTC for research, model training and commercial use. It is now retired.");
    expect([unknownSentence(0), unknownSentence(1), unknownSentence(3)]).toEqual([undefined, "1 dataset does not disclose who is in it, so whether your data is in it is unknown.", "3 datasets do not disclose who is in them, so whether your data is in them is unknown."]);
    expect([list([]), list(["a"]), list(["a", "b"]), list(["a", "b", "c"])]).toEqual(["", "a", "a and b", "a, b and c"]);
  });

  it("a hospital in the verdicts is a placeholder while names load, its name once they are in, and an id only when no name can be had", () => {
    const members = [{ orgId: 1, name: "Xiangya Hospital (demo)" }];
    expect(hospitalName(1, undefined, false)).toEqual({ text: "name loading…", loading: true });
    expect(hospitalName(1, members, false)).toEqual({ text: "Xiangya Hospital (demo)", loading: false });
    expect(hospitalName(9, members, false)).toEqual({ text: "organisation 9", loading: false });
    expect(hospitalName(1, undefined, true)).toEqual({ text: "organisation 1", loading: false });
    expect(hospitalName(undefined, undefined, false)).toEqual({ text: "", loading: false });
  });

  it("the browser derives demo patient 0's pseudonyms as docs/pseudonyms.md's vectors say, and joins their rows labelled by hospital", () => {
    // The same derivation the page runs (src/web/app/aliases.ts calls derivePseudonyms by path).
    const [a, b] = derivePseudonyms("0x087d921272d7dacab6271a8853272b96b7e08da7f9d7371a57562c8c3cab3758", [1, 2]);
    expect([a.address, b.address]).toEqual(["0xC80B0C694F41cbB91AbB2603439ed13C8E65a564", "0xADef886dd00aBe9B45D2695Ed9C18D31d01E8517"]);
    const rows = joinPseudonymViews([{ hospital: { id: 1, name: "A" }, address: a.address, rows: [{ block: 5, logIndex: 0 }] }, { hospital: { id: 2, name: "B" }, address: b.address, rows: [{ block: 3, logIndex: 1 }] }], (x, y) => x.block - y.block || x.logIndex - y.logIndex);
    expect(rows.map((r) => [r.block, r.hospital.name, r.pseudonym])).toEqual([[3, "B", b.address], [5, "A", a.address]]);
  });
});

describe("a relay refusal in the patient's words", () => {
  it("an expired signature tells the patient to switch again, not to 'ask the patient'; other refusals pass as they are", () => {
    const expired = forThePatient(new ApiFailure("ConsentRegistryExpiredSignature", "the signed request expired at …; ask the patient to sign again", 422)) as ApiFailure;
    expect([expired.code, expired.status]).toEqual(["ConsentRegistryExpiredSignature", 422]);
    expect(expired.message).toMatch(/^your signature expired before the chain recorded it .*switch it again to sign anew$/);
    expect(expired.message).not.toMatch(/ask the patient/);
    const other = new ApiFailure("ConsentRegistrySuperseded", "superseded", 422);
    expect(forThePatient(other)).toBe(other);
  });
});
