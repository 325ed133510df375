/**
 * Pairwise pseudonyms (issue 16, docs/pseudonyms.md). Before: a patient was one address at every
 * hospital, and an outside dictionary attack on the demo's public chain data linked every patient
 * to their hospital and MRN (first grants in MRN order; the relayer was the one home hospital).
 * - The derivation: docs' vectors and docs' own block agree with src/sdk/pseudonyms.ts; distinct
 *   hospitals give distinct addresses; deterministic; the module imports nothing but ethers.
 * - Two hospitals' views of one patient (their API answers, FHIR Consent and its Patient reference,
 *   revocation impact with their datasets) share no subject address; the patient's joined view
 *   (SDK) shows both, each with its hospital.
 * - The seeded demo's public chain data: first-grant order does not follow the patient list, and no
 *   relayer is common to one patient's pseudonyms.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import * as ethers from "ethers";
import { keccak256, toUtf8Bytes, Wallet, type Signer } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { buildApi, bearerFor } from "../helpers/api-fixture";
import { startNode, type RpcNode } from "../helpers/node";
import { Hospital, Patient, derivePseudonym, isPatientSecret, newPatientSecret, derivePseudonyms, joinedConsentHistory, joinPseudonymViews, patientPseudonyms, pseudonymOwner, connectLedger, type LedgerContracts } from "../../src/sdk";
import { NUMBERS, Purpose } from "../../src/constants";
import { createQueries } from "../../src/indexer";
import { demoAccounts, deployDemo, seedDemo, demoPatientHospitals, demoPseudonym, demoIdentities } from "../../src/demo";

const DOC = readFileSync(join(__dirname, "..", "..", "docs", "pseudonyms.md"), "utf8");
const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => ethers.hexlify(b));
const memberId = fc.integer({ min: 1, max: 2 ** 32 - 1 });

/** The derivation as docs/pseudonyms.md states it: its own block, run. */
function documentedDerivation(): (secret: string, id: number) => { privateKey: string; address: string } {
  const marker = "<!-- pseudonym derivation: extracted and run by test/sdk/pseudonyms.test.ts -->";
  const at = DOC.indexOf(marker);
  const block = at < 0 ? null : /^```js\n([\s\S]*?)^```$/m.exec(DOC.slice(at + marker.length));
  if (!block) throw new Error("docs/pseudonyms.md has no derivation block after its marker");
  const fn = new Function(`${block[1]}\nreturn pseudonymAt;`)();
  return (secret, id) => fn(ethers, secret, id);
}

/** Spearman's rank correlation of two equally long lists of distinct numbers. */
function spearman(xs: number[], ys: number[]): number {
  const ranks = (v: number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(v.length);
    order.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const [rx, ry] = [ranks(xs), ranks(ys)];
  const n = xs.length;
  const d2 = rx.reduce((s, r, i) => s + (r - ry[i]) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe("the derivation (src/sdk/pseudonyms.ts, docs/pseudonyms.md)", () => {
  it("matches the documented test vectors", () => {
    const rows = [...DOC.matchAll(/^\| `(0x[0-9a-f]{64})` \| (\d+) \| `(0x[0-9a-f]{64})` \| `(0x[0-9a-fA-F]{40})` \|$/gm)];
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const [, secret, id, key, address] of rows) expect(derivePseudonym(secret, Number(id))).toEqual({ memberId: Number(id), privateKey: key, address });
    // The second vector secret is demo patient 0's: the demo derives with the same function.
    expect(demoPseudonym(0, 1).address).toBe(derivePseudonym(keccak256(toUtf8Bytes("medprov-demo-patient-0")), 2).address);
  });

  it("the docs' own block computes what the SDK computes", () => {
    const documented = documentedDerivation();
    fc.assert(fc.property(hex32, memberId, (s, id) => {
      const p = derivePseudonym(s, id);
      expect(documented(s, id)).toEqual({ privateKey: p.privateKey, address: p.address });
    }), { numRuns: 100 });
  });

  it("is deterministic, and different hospitals (or secrets) give different addresses", () => {
    fc.assert(fc.property(hex32, memberId, memberId, (s, a, b) => {
      expect(derivePseudonym(s, a)).toEqual(derivePseudonym(s, a));
      expect(new Wallet(derivePseudonym(s, a).privateKey).address).toBe(derivePseudonym(s, a).address);
      if (a !== b) expect(derivePseudonym(s, a).address).not.toBe(derivePseudonym(s, b).address);
      expect(pseudonymOwner(s, [a, b], derivePseudonym(s, b).address)).toBe(a === b ? a : b);
    }), { numRuns: 100 });
    fc.assert(fc.property(hex32, hex32, memberId, (s, t, id) => {
      fc.pre(s !== t);
      expect(derivePseudonym(s, id).address).not.toBe(derivePseudonym(t, id).address);
      // A pseudonym is not the secret's own address: using the secret as a key names none of them.
      expect(derivePseudonym(s, id).address).not.toBe(new Wallet(s).address);
    }), { numRuns: 50 });
  });

  it("a new secret is 32 random bytes, a valid secret, never the same twice", () => {
    const [s, t] = [newPatientSecret(), newPatientSecret()];
    expect(isPatientSecret(s) && isPatientSecret(t)).toBe(true);
    expect(s).not.toBe(t);
    expect(derivePseudonym(s, 1).address).toMatch(/^0x[0-9a-fA-F]{40}$/);
  });

  it("refuses a secret that is not 32 bytes and an id that is no organisation id, by name", async () => {
    expect(() => derivePseudonym("0x1234", 1)).toThrow(/32 bytes/);
    for (const bad of [0, -1, 1.5, 2 ** 32]) expect(() => derivePseudonym("0x" + "11".repeat(32), bad)).toThrow(/member id/);
    // The SDK's door names it: PSEUDONYM_SECRET_INVALID, an input error (400 in the API's catalogue).
    await expect(patientPseudonyms({} as LedgerContracts, "0x12")).rejects.toMatchObject({ code: "PSEUDONYM_SECRET_INVALID" });
  });

  it("is browser-safe: it imports ethers and nothing else (no Node API, no SDK door)", () => {
    const text = readFileSync(join(__dirname, "..", "..", "src", "sdk", "pseudonyms.ts"), "utf8");
    const imports = [...text.matchAll(/^\s*import\b[^;]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(imports).toEqual(["ethers"]);
    expect(text).not.toMatch(/\b(process|Buffer|require)\b|node:/);
  });
});

describe("two hospitals' views of one patient share no subject address; the patient's view joins them", () => {
  const SECRET = keccak256(toUtf8Bytes("pseudonyms.test patient"));
  let l: Ledger;
  let app: Awaited<ReturnType<typeof buildApi>>["app"];
  let pA: string;
  let pB: string;
  let datasets: { a: string; b: string };
  const sessions: Record<string, string> = {};

  const signIn = (signer: Signer) => bearerFor(app, signer);

  /** Hospital `h` registers a dataset of `subjects`; its id and cohort manifest. */
  async function datasetAt(h: Signer, subjects: string[]) {
    const file = join(mkdtempSync(join(tmpdir(), "medprov-pseudo-")), "records.jsonl");
    writeFileSync(file, subjects.map((s, i) => JSON.stringify({ subject: s, ageBand: "45-64", sex: i % 2 ? "MALE" : "FEMALE", region: "EAST", grassroots: false })).join("\n"));
    const r = await new Hospital(l, h).registerDataset(file, { purposes: [Purpose.RESEARCH, Purpose.MODEL_TRAINING], uri: "s3://x" });
    return { id: r.datasetId.toLowerCase(), manifest: JSON.parse(readFileSync(r.manifestPath, "utf8")) };
  }

  beforeAll(async () => {
    l = await loadFixture(ledgerFixture);
    const far = (await time.latest()) + 10 ** 7;
    // One patient, one secret: a pseudonym at each hospital, each relayed by its own hospital.
    const sides = [[ORG.HOSPITAL_A, l.hospitalA], [ORG.HOSPITAL_B, l.hospitalB]] as const;
    for (const [org, hospital] of sides) {
      const me = Patient.at(l, SECRET, org);
      for (const [purpose, grantee] of [[Purpose.CLINICAL_DECISION_SUPPORT, org], [Purpose.RESEARCH, NUMBERS.ANY_MEMBER]]) await new Hospital(l, hospital).relayGrant(await me.signGrant({ purpose, grantee, expiresAt: far }));
    }
    [pA, pB] = derivePseudonyms(SECRET, [ORG.HOSPITAL_A, ORG.HOSPITAL_B]).map((p) => p.address.toLowerCase());
    const a = await datasetAt(l.hospitalA, [pA, l.outsider.address]);
    const b = await datasetAt(l.hospitalB, [pB, l.guardian.address]);
    datasets = { a: a.id, b: b.id };
    await time.increase(5);
    for (const [org, hospital] of sides) await new Hospital(l, hospital).relayRevoke(await Patient.at(l, SECRET, org).signRevoke({ purpose: Purpose.RESEARCH, grantee: NUMBERS.ANY_MEMBER }));
    const api = await buildApi(l, { rateLimit: 1_000_000 });
    app = api.app;
    await api.reindex();
    const q = createQueries(api.store);
    for (const m of [a.manifest, b.manifest]) await q.addCohortManifestByRoot(m);
    for (const [name, who] of [["A", l.hospitalA], ["B", l.hospitalB], ["auditor", l.auditor]] as const) sessions[name] = await signIn(who);
    sessions.pA = await signIn(Patient.at(l, SECRET, ORG.HOSPITAL_A)["signer"] as Signer);
  }, 120_000);

  /** What hospital `who` (and oversight) answers about its own pseudonym `p`: every body as sent. */
  async function viewOf(who: string, p: string): Promise<string[]> {
    const get = async (url: string, session = sessions[who]) => {
      const r = await app.inject({ url, headers: { authorization: session } });
      expect(r.statusCode, `${url}: ${r.body}`).toBe(200);
      return r.body;
    };
    return [
      await get(`/consents/${p}`), await get(`/consents/${p}/history`), await get(`/fhir/Consent?patient=${p}`),
      await get(`/reports/revocation-impact/${p}`, sessions.auditor),
    ];
  }

  it("each hospital's answers name its own pseudonym and never the other; each dataset is found by its own pseudonym only", async () => {
    const [rawA, rawB] = [await viewOf("A", pA), await viewOf("B", pB)];
    const [a, b] = [rawA.map((x) => x.toLowerCase()), rawB.map((x) => x.toLowerCase())];
    for (const body of a) expect(body).not.toContain(pB.slice(2));
    for (const body of b) expect(body).not.toContain(pA.slice(2));
    const subjectsIn = (bodies: string[]) => new Set(bodies.flatMap((x) => [...x.matchAll(/0x[0-9a-f]{40}(?![0-9a-f])/g)].map((m) => m[0])).filter((x) => x === pA || x === pB));
    expect([...subjectsIn(a)]).toEqual([pA]);
    expect([...subjectsIn(b)]).toEqual([pB]);
    // FHIR Consent: one resource per slot, its patient the pseudonym of that hospital.
    const fhirA = JSON.parse(rawA[2]);
    expect(fhirA.entry.length).toBe(2);
    for (const e of fhirA.entry) expect(JSON.stringify(e.resource.patient)).toContain(pA.slice(2));
    // Revocation impact: the RESEARCH revocation of each pseudonym reaches its own hospital's dataset only.
    const impactA = JSON.parse(rawA[3]);
    const impactB = JSON.parse(rawB[3]);
    expect(impactA.flatMap((r: { datasets: { datasetId: string }[] }) => r.datasets.map((d) => d.datasetId))).toEqual([datasets.a]);
    expect(impactB.flatMap((r: { datasets: { datasetId: string }[] }) => r.datasets.map((d) => d.datasetId))).toEqual([datasets.b]);
  });

  it("a pseudonym signed in sees its own consents and is refused the other's, like any other address", async () => {
    expect((await app.inject({ url: `/consents/${pA}`, headers: { authorization: sessions.pA } })).statusCode).toBe(200);
    expect((await app.inject({ url: `/consents/${pB}`, headers: { authorization: sessions.pA } })).statusCode).toBe(403);
  });

  it("the patient's joined view lists both pseudonyms' consents, each with its hospital", async () => {
    const mine = await patientPseudonyms(l, SECRET);
    expect(mine.map((p) => [p.hospital.id, p.hospital.name])).toEqual([[ORG.HOSPITAL_A, "Hospital A"], [ORG.HOSPITAL_B, "Hospital B"], [ORG.HOSPITAL_SUSPENDED, "Hospital Suspended"]]);
    const joined = await joinedConsentHistory(l, SECRET);
    const seen = joined.map((e) => [e.hospital.name, e.pseudonym.toLowerCase(), e.kind, e.purpose, e.grantee]);
    expect(seen).toEqual(expect.arrayContaining([
      ["Hospital A", pA, "GRANTED", Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_A], ["Hospital A", pA, "REVOKED", Purpose.RESEARCH, 0],
      ["Hospital B", pB, "GRANTED", Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_B], ["Hospital B", pB, "REVOKED", Purpose.RESEARCH, 0],
    ]));
    expect(joined).toHaveLength(6);
    expect(joined.map((e) => e.blockNumber)).toEqual([...joined.map((e) => e.blockNumber)].sort((x, y) => x - y));
    // Each event's subject is the pseudonym it is listed under.
    for (const e of joined) expect(e.subject.toLowerCase()).toBe(e.pseudonym.toLowerCase());
    // The pure join a web app uses, with rows from two members' APIs: the same marking.
    const web = joinPseudonymViews([{ hospital: { id: 1, name: "A" }, address: pA, rows: [{ t: 2 }] }, { hospital: { id: 2, name: "B" }, address: pB, rows: [{ t: 1 }] }], (x, y) => x.t - y.t);
    expect(web).toEqual([{ t: 1, hospital: { id: 2, name: "B" }, pseudonym: pB }, { t: 2, hospital: { id: 1, name: "A" }, pseudonym: pA }]);
  });
});

describe("the seeded demo's public chain data does not link a patient's pseudonyms", () => {
  const PATIENTS = 40;
  let node: RpcNode;
  let ledger: LedgerContracts;

  beforeAll(async () => {
    node = await startNode("anvil");
    const accounts = demoAccounts(node.provider);
    const deployment = await deployDemo(node.provider, accounts, 0, () => undefined);
    await seedDemo(node.provider, deployment, accounts, { patients: PATIENTS, traces: 30 }, mkdtempSync(join(tmpdir(), "medprov-pseudo-demo-")), () => undefined);
    ledger = connectLedger(deployment, node.provider);
  }, 300_000);
  afterAll(async () => node?.stop());

  it("some demo patients have several hospitals, each under its own address; the identities file lists them", () => {
    const several = Array.from({ length: PATIENTS }, (_, i) => demoPatientHospitals(i)).filter((hs) => hs.length > 1);
    expect(several.length).toBeGreaterThanOrEqual(5);
    const file = demoIdentities(demoAccounts(), PATIENTS);
    const patients = file.identities.filter((i) => i.role === "PATIENT");
    const all = patients.flatMap((p) => p.pseudonyms!.map((x) => x.address));
    expect(new Set(all).size).toBe(all.length);
    for (const p of patients) expect(p.pseudonyms![0].address).toBe(p.address);
  });

  it("first grants do not follow the patient list, and no relayer is common to one patient's pseudonyms", async () => {
    const c = ledger.consents;
    const grants = await c.queryFilter(c.filters.ConsentGranted(), 0);
    // Who is who: the test knows the demo's secrets; the chain does not.
    const owner = new Map<string, { i: number; h: number }>();
    for (let i = 0; i < PATIENTS; i++) for (const h of demoPatientHospitals(i)) owner.set(demoPseudonym(i, h).address, { i, h });
    const first = new Map<string, number>();
    const relayers = new Map<string, Set<string>>();
    grants.forEach((e, k) => {
      const s = e.args.subject;
      if (!first.has(s)) first.set(s, k);
      relayers.set(s, (relayers.get(s) ?? new Set()).add(e.args.relayer));
    });
    const subjects = [...first.keys()].filter((s) => owner.has(s));
    expect(subjects.length).toBe(owner.size);
    // Before: first grants in patient (MRN) order, rank correlation 1. Now: near 0.
    const rho = spearman(subjects.map((s) => owner.get(s)!.i + owner.get(s)!.h / 10), subjects.map((s) => first.get(s)!));
    expect(Math.abs(rho)).toBeLessThan(0.3);
    // Each address's consents come from one relayer, its own hospital's key; a patient's pseudonyms never share one.
    const hospitals = demoAccounts().hospitals.map((w) => w.address);
    for (const s of subjects) expect([...relayers.get(s)!]).toEqual([hospitals[owner.get(s)!.h]]);
    for (let i = 0; i < PATIENTS; i++) {
      const mine = demoPatientHospitals(i).map((h) => [...relayers.get(demoPseudonym(i, h).address)!][0]);
      expect(new Set(mine).size).toBe(mine.length);
    }
    // And a hospital-specific grant of an address names only that address's hospital.
    for (const e of grants) if (Number(e.args.grantee) !== 0 && owner.has(e.args.subject)) expect(Number(e.args.grantee)).toBe(owner.get(e.args.subject)!.h + 1);
  });
});
