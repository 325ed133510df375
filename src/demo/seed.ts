/**
 * A deterministic, realistic demo consortium: 3 hospitals, 2 model developers, a regulator and an
 * auditor; patients with varied consents (grants relayed for them, revocations, a guardian);
 * datasets with lineage; models and versions through approval, a policy refusal, a suspension, a
 * recall and a fairness alert; and decision traces anchored in batches. Patients exist on-chain only
 * as pairwise pseudonyms, a different address at each of their hospitals (./patients.ts), onboarded
 * in a random order; each hospital keeps its own synthetic MRN → address list off-chain.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HDNodeWallet, Mnemonic, Wallet, hexlify, id as hashText, keccak256, toUtf8Bytes, type JsonRpcProvider, type Signer } from "ethers";
import { demoMrn, demoPatient, demoPatientHospitals, demoPseudonym } from "./patients";
import { seedIncidents, type DemoIncident } from "./incidents";

/** Patient i's key at their first hospital (kept here too: scripts and tests import it from this file). */
export { demoPatient };
import {
  Developer, Hospital, OutboxSigner, Patient, Regulator, TraceBatcher, connectLedger, deployLedger, deploySafe, receiptFor, type Outbox,
  type Deployment, type FoundingMember, type SafeDeployment, type LedgerContracts, type TraceInput,
  writeFileDurably,
} from "../sdk";
import { NUMBERS, Purpose, SECONDS, tierFor } from "../constants";

export const DEMO_MNEMONIC = "test test test test test test test test test test test junk";

export interface DemoSize {
  patients: number;
  traces: number;
}
export const DEMO_SIZES: Record<string, DemoSize> = { full: { patients: 300, traces: 20_000 }, small: { patients: 30, traces: 1_500 } };

export interface DemoAccounts {
  governance: Wallet;
  hospitals: Wallet[];
  developers: Wallet[];
  regulator: Wallet;
  auditor: Wallet;
  guardian: Wallet;
  /** The appraisal body (issue 18): records the determination of an incident. */
  appraiser: Wallet;
}

/** The demo's keys (the public test mnemonic's first accounts), connected to `provider` when one is given. */
export function demoAccounts(provider: JsonRpcProvider | null = null): DemoAccounts {
  const m = Mnemonic.fromPhrase(DEMO_MNEMONIC);
  const w = (i: number) => (HDNodeWallet.fromMnemonic(m, `m/44'/60'/0'/0/${i}`) as unknown as Wallet).connect(provider) as Wallet;
  return { governance: w(0), hospitals: [w(1), w(2), w(3)], developers: [w(4), w(5)], regulator: w(6), auditor: w(7), guardian: w(8), appraiser: w(9) };
}

/** The onboarding order's own random stream: the rest of the demo's draws stay as they were. */
const ONBOARDING_SEED = 16;

/** A seeded Fisher–Yates shuffle (a copy). */
function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const out = [...xs];
  for (let k = out.length - 1; k > 0; k--) {
    const j = Math.floor(rand() * (k + 1));
    [out[k], out[j]] = [out[j], out[k]];
  }
  return out;
}

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Progress = (step: string, done?: number, total?: number) => void;

/** The founding members in admission order: organisation ids 1 (hospital 1) to 7 (the auditor), then 8 (the appraisal board). */
export function demoMembers(accounts: DemoAccounts): FoundingMember[] {
  return [
    { name: "Xiangya Hospital (demo)", role: "HOSPITAL", keys: [accounts.hospitals[0].address] },
    { name: "Bamako Hospital (demo)", role: "HOSPITAL", keys: [accounts.hospitals[1].address] },
    { name: "Maastricht Medical Center (demo)", role: "HOSPITAL", keys: [accounts.hospitals[2].address] },
    { name: "Lumen Imaging AI (demo)", role: "MODEL_DEVELOPER", keys: [accounts.developers[0].address] },
    { name: "Cardiosense (demo)", role: "MODEL_DEVELOPER", keys: [accounts.developers[1].address] },
    { name: "National Medical Products Administration (demo)", role: "REGULATOR", keys: [accounts.regulator.address] },
    { name: "Independent Audit Office (demo)", role: "AUDITOR", keys: [accounts.auditor.address] },
    { name: "Medical Appraisal Board (demo)", role: "APPRAISER", keys: [accounts.appraiser.address] },
  ];
}

/** The demo's governance Safe: hospitals 1 and 2 and the regulator, any two of them (docs/consortium.md). */
export const demoSafeOwners = (accounts: DemoAccounts) => ({ owners: [accounts.hospitals[0].address, accounts.hospitals[1].address, accounts.regulator.address], threshold: 2 });

/**
 * Deploys with a real governance delay, a 2-of-3 Safe of two hospitals and the regulator as the
 * governance account, and the demo's organisations as founding members: the chain clock keeps with
 * the wall clock (no travel over the delay), so a trace a hospital stamps "now" is judged against
 * the right history. The `governance` demo key only deploys and pays; it governs nothing.
 */
export async function deployDemo(provider: JsonRpcProvider, accounts: DemoAccounts, delay: number, progress: Progress, outbox?: Outbox): Promise<Deployment & { safe: SafeDeployment }> {
  progress("deploying contracts and admitting the founding members");
  const members = demoMembers(accounts);
  // One idempotency key for the whole deployment: its sends are named deploy, deploy#1, … so a rerun after a kill resumes it.
  const deployer = outbox ? new OutboxSigner(outbox, accounts.governance).withKey("deploy:demo") : accounts.governance;
  const { owners, threshold } = demoSafeOwners(accounts);
  const safe = await deploySafe(deployer, owners, threshold);
  const { deployment } = await deployLedger(deployer, { governance: safe.safe, governanceDelay: delay, members });
  progress("admitted members", members.length, members.length);
  return { ...deployment, safe };
}

/**
 * How many consent grants a chain already holds for `ledger` when this data directory's outbox has
 * never written to it (0 when it has, or when there are none): the chain was then seeded from
 * another data directory, and seeding it again from this one would relay every consent anew —
 * re-granting what patients revoked since — before failing half-way. A seed this directory began
 * and a kill stopped is resumed from its own outbox, so its entries say the seed is its own.
 */
export async function grantsSeededElsewhere(ledger: Pick<LedgerContracts, "consents">, fromBlock: number, outbox: Outbox): Promise<number> {
  if (await outbox.hasEntries()) return 0;
  const c = ledger.consents;
  return (await c.queryFilter(c.filters.ConsentGranted(), fromBlock)).length;
}

export interface SeedResult {
  receipts: string[];
  revokedSubject: string;
  recalledVersion: string;
  versions: Record<string, string>;
  /** The incidents reported against seeded traces, each with its trace's receipt file (./incidents.ts). */
  incidents: DemoIncident[];
}

/** What every seeding phase uses: the ledger, the demo's signers (keyed in the outbox), its patients and its random stream. */
interface SeedContext {
  ledger: LedgerContracts;
  deployment: Deployment;
  accounts: DemoAccounts;
  dataDir: string;
  progress: Progress;
  outbox?: Outbox;
  rand: () => number;
  pick: <T>(xs: T[]) => T;
  as: (w: Wallet, key: string) => Signer;
  hospital: (h: number, key: string) => Hospital;
  now: () => Promise<number>;
  /** Each patient's key at their first hospital (demoPatient). */
  patients: Wallet[];
  /** Every (patient, hospital) registration: the patient's pseudonym there, in patient order. */
  pseudonyms: DemoPseudonym[];
  /** The subject addresses hospital h knows, in patient order (its cohort manifests). */
  cohortOf: (h: number) => string[];
}

/** Patient `i`'s registration at hospital index `h` (organisation h + 1), under its own subject address. */
interface DemoPseudonym {
  i: number;
  h: number;
  wallet: Wallet;
}

/**
 * Seeds the demo as a resumable plan: every write is named by a stable idempotency key in the
 * outbox, so a rerun after a kill at any point gets each earlier write's outcome back instead of
 * writing it again (no duplicate events, no revoked consent granted anew), and the values it
 * derives (ids, the pseudo-random choices) come out the same.
 */
export async function seedDemo(provider: JsonRpcProvider, deployment: Deployment, accounts: DemoAccounts, size: DemoSize, dataDir: string, progress: Progress, outbox?: Outbox): Promise<SeedResult> {
  const rand = prng(20261128);
  const ledger: LedgerContracts = connectLedger(deployment, provider);
  const as = (w: Wallet, key: string): Signer => (outbox ? new OutboxSigner(outbox, w).withKey(`seed:${key}`) : w);
  const patients = Array.from({ length: size.patients }, (_, i) => demoPatient(i, provider));
  const pseudonyms = patients.flatMap((_, i) => demoPatientHospitals(i).map((h) => ({ i, h, wallet: demoPseudonym(i, h, provider) }))).sort((a, b) => a.i - b.i || a.h - b.h);
  const c: SeedContext = {
    ledger, deployment, accounts, dataDir, progress, outbox, rand, as, patients, pseudonyms,
    pick: (xs) => xs[Math.floor(rand() * xs.length)],
    hospital: (h, key) => new Hospital(ledger, as(accounts.hospitals[h], key)),
    now: async () => (await provider.getBlock("latest"))!.timestamp,
    cohortOf: (h) => pseudonyms.filter((p) => p.h === h).map((p) => p.wallet.address),
  };
  // The phases run in this order and draw from one random stream: a rerun derives the same values.
  await seedConsents(c);
  const data = await seedDatasets(c);
  const { versions, ids } = await seedModels(c, data);
  await seedDeploymentsAndReports(c, ids);
  const receipts = await seedTraces(c, size, ids);
  await recallAfterUse(c, ids.ecg2);
  const incidents = await seedIncidents({
    ledger, deployment, dataDir, now: c.now, versionId: ids.cxr2, subjects: c.cohortOf(0).slice(0, 3),
    hospital: (key) => as(accounts.hospitals[0], key), vaultSigner: outbox ? new OutboxSigner(outbox, accounts.hospitals[0]) : accounts.hospitals[0], appraiser: (key) => as(accounts.appraiser, key),
  });
  progress("incidents reported: a wrong low-confidence suggestion adopted (determined), a correct one overridden, an off-indication use");
  return { receipts, revokedSubject: patients[0].address, recalledVersion: ids.ecg2, versions, incidents };
}

/**
 * Patients' files at their hospitals, their signed consents relayed, a guardian, some research
 * revocations. Registrations are onboarded in a seeded random order (one patient's pseudonyms far
 * apart), each pseudonym's consents relayed by its own hospital, the only member that knows it: the
 * chain then shows that an address has a relationship with a hospital, and neither whose address it
 * is nor which other addresses are the same person's (docs/pseudonyms.md).
 */
async function seedConsents(c: SeedContext): Promise<void> {
  const { ledger, accounts, dataDir, progress, rand, as, hospital, now, patients, pseudonyms } = c;
  const year = SECONDS.YEAR;
  for (let h = 0; h < 3; h++) {
    const dir = join(dataDir, `hospital-${h + 1}`);
    mkdirSync(dir, { recursive: true });
    // Off-chain only: the hospital's own synthetic medical record numbers, sorted by MRN.
    const rows = pseudonyms.filter((p) => p.h === h).map((p) => `${demoMrn(p.i, h)},${p.wallet.address}`).sort();
    writeFileSync(join(dir, "patients.csv"), ["mrn,address", ...rows].join("\n") + "\n");
  }
  const expires = (await now()) + year;
  const grants: { p: DemoPseudonym; purpose: number; grantee: number }[] = [];
  for (const p of shuffled(pseudonyms, prng(ONBOARDING_SEED))) {
    grants.push({ p, purpose: Purpose.CLINICAL_DECISION_SUPPORT, grantee: p.h + 1 });
    grants.push({ p, purpose: Purpose.TREATMENT, grantee: p.h + 1 });
    if (rand() < 0.6) grants.push({ p, purpose: Purpose.RESEARCH, grantee: NUMBERS.ANY_MEMBER });
    if (rand() < 0.45 || p.i < 6) grants.push({ p, purpose: Purpose.MODEL_TRAINING, grantee: NUMBERS.ANY_MEMBER });
  }
  for (const [n, gr] of grants.entries()) {
    const signed = await new Patient(ledger, gr.p.wallet).signGrant({ purpose: gr.purpose, grantee: gr.grantee, expiresAt: expires, deadlineSeconds: 3 * SECONDS.DAY });
    await hospital(gr.p.h, `grant:${gr.p.i}@${gr.p.h + 1}:${gr.purpose}:${gr.grantee}`).relayGrant(signed);
    if (n % 25 === 0 || n === grants.length - 1) progress("relaying patients' signed consents", n + 1, grants.length);
  }
  // A guardian acts for patient 0 (who signs the appointment with a little gas from governance).
  await (await as(accounts.governance, "fund-patient-0").sendTransaction({ to: patients[0].address, value: 10n ** 16n })).wait();
  await new Patient(ledger, as(patients[0], "delegate:0")).appointDelegate(accounts.guardian.address);
  // Some research revocations; anyone may relay one, and the pseudonym's own hospital does.
  const researchers = grants.filter((g) => g.purpose === Purpose.RESEARCH);
  for (const gr of researchers.filter((_, k) => k % 9 === 4)) {
    await hospital(gr.p.h, `revoke:${gr.p.i}@${gr.p.h + 1}:${Purpose.RESEARCH}`).relayRevoke(await new Patient(ledger, gr.p.wallet).signRevoke({ purpose: Purpose.RESEARCH, grantee: NUMBERS.ANY_MEMBER, deadlineSeconds: 3 * SECONDS.DAY }));
  }
  progress("consents recorded");

}

/** Each hospital's datasets, with lineage, and the developers' recorded uses. */
async function seedDatasets(c: SeedContext) {
  const { ledger, accounts, dataDir, progress, rand, pick, as, hospital, cohortOf } = c;
  const bands = { age: ["0-17", "18-44", "45-64", "65+"], sex: ["FEMALE", "MALE", "OTHER_OR_UNKNOWN"], region: ["EAST", "CENTRAL", "WEST", "NORTHEAST"] };
  async function dataset(h: number, name: string, cohort: string[], purposes: number[], parents: string[] = []) {
    const file = join(dataDir, `hospital-${h + 1}`, `${name}.jsonl`);
    const record = (subject: string, k: number) => {
      const [ageBand, sex, region] = [pick(bands.age), pick(bands.sex.slice(0, 2)), pick(bands.region)];
      rand(); // the former grassroots draw: keeps the rest of the demo's random stream as it was
      // Three records in ten are primary-care data, in every dataset and split: the versions' declared
      // grassroots shares (at most 26%) must not exceed their training data's (docs/lineage.md).
      return JSON.stringify({ subject, ageBand, sex, region, grassroots: k % 10 < 3, finding: pick(["normal", "nodule", "effusion", "arrhythmia"]) });
    };
    writeFileSync(file, cohort.map(record).join("\n") + "\n");
    const r = await hospital(h, `dataset:${name}`).registerDataset(file, { purposes, uri: `s3://hospital-${h + 1}/${name}.tar.age`, parents });
    progress(`registered dataset ${name}`);
    return r.datasetId;
  }
  const train = [Purpose.RESEARCH, Purpose.MODEL_TRAINING];
  const cxrRaw = await dataset(0, "cxr-raw", cohortOf(0), [Purpose.TREATMENT, ...train]);
  const cxrDeid = await dataset(0, "cxr-deidentified", cohortOf(0), train, [cxrRaw]);
  const cxrTrain = await dataset(0, "cxr-train-split", cohortOf(0).filter((_, k) => k % 4 !== 3), train, [cxrDeid]);
  const ecgRaw = await dataset(1, "ecg-raw", cohortOf(1), train);
  const ecgClean = await dataset(1, "ecg-cleaned", cohortOf(1), train, [ecgRaw]);
  const notes = await dataset(2, "clinical-notes", cohortOf(2), train);
  for (const [who, id] of [[accounts.developers[0], cxrTrain], [accounts.developers[1], ecgClean], [accounts.developers[1], notes]] as const) {
    await new Hospital(ledger, as(who, `use:${id}`)).recordUse(id, Purpose.MODEL_TRAINING);
  }

  return { cxrRaw, cxrDeid, cxrTrain, ecgRaw, ecgClean, notes };
}

/** Models and versions (one refused by policy, one suspended), the MODEL_TRAINING revocation, and a version after it. */
/** What each demo model is approved for (issue 18), from DEFAULT_INDICATIONS. */
const DEMO_INDICATIONS: Record<string, string[]> = {
  "chest-xray-dx": ["CHEST_RADIOGRAPH_FINDINGS", "PNEUMONIA_DIAGNOSIS"],
  "ecg-arrhythmia": ["ARRHYTHMIA_DETECTION"],
  "triage-assistant": ["EMERGENCY_TRIAGE", "HEALTH_ADVICE"],
  "notes-structuring": ["CLINICAL_NOTE_STRUCTURING"],
};

/**
 * Each demo version's filing evidence: a white paper and a liability policy (hashes of documents the
 * developer would keep) covering 2025–2035, the policy's own dates, so every class's default policy
 * accepts it at any demo run.
 */
function demoFiling(model: string, label: string) {
  return {
    whitePaperHash: hashText(`white-paper:${model}:${label}`),
    insurance: { insurerHash: hashText("insurer:Demo Mutual Liability"), policyHash: hashText(`policy:${model}`), coverageStart: 1_735_689_600, coverageEnd: 2_082_758_399 },
  };
}

async function seedModels(c: SeedContext, data: Awaited<ReturnType<typeof seedDatasets>>) {
  const { ledger, accounts, progress, as, hospital, patients } = c;
  const { cxrDeid, cxrTrain, ecgRaw, ecgClean, notes } = data;
  const dev = (d: number, key: string) => new Developer(ledger, as(accounts.developers[d], key));
  const reg = (key: string) => new Regulator(ledger, as(accounts.regulator, key));
  const versions: Record<string, string> = {};
  let filing = 1;
  async function version(d: number, model: string, label: string, datasets: string[], evaluation: Record<string, number>, parent?: string) {
    const card = { model, weightsHash: hashText(`weights:${model}:${label}`), trainingDatasets: datasets, evaluation: { auc: 9200, sensitivity: 8900, specificity: 9100, subgroupAucGap: 350, biasTestCases: 420, grassrootsShare: 2600, ...evaluation }, ...(parent ? { parent } : {}) };
    const r = await dev(d, `version:${model}@${label}`).registerVersion(card, JSON.stringify(card), demoFiling(model, label));
    versions[`${model}@${label}`] = r.versionId;
    modelOf[r.versionId] = model;
    return r.versionId;
  }
  const modelOf: Record<string, string> = {};
  const approve = (v: string) => reg(`approve:${v}`).approve(v, `NMPA-DEMO-2026-${String(filing++).padStart(4, "0")}`, undefined, DEMO_INDICATIONS[modelOf[v]] ?? []);
  await dev(0, "model:chest-xray-dx").registerModel({ name: "chest-xray-dx", intendedUse: "diagnosis: chest radiograph findings", riskClass: "HIGH" });
  await dev(0, "model:triage-assistant").registerModel({ name: "triage-assistant", intendedUse: "triage and health advice", riskClass: "LOW" });
  await dev(1, "model:ecg-arrhythmia").registerModel({ name: "ecg-arrhythmia", intendedUse: "diagnosis: arrhythmia detection", riskClass: "HIGH" });
  await dev(1, "model:notes-structuring").registerModel({ name: "notes-structuring", intendedUse: "record structuring", riskClass: "MEDIUM" });
  const cxr1 = await version(0, "chest-xray-dx", "1.0", [cxrTrain], {});
  await approve(cxr1);
  const cxr2 = await version(0, "chest-xray-dx", "1.1", [cxrTrain], { auc: 9350 }, cxr1);
  await approve(cxr2);
  progress("models: chest-xray-dx 1.0 and 1.1 approved");
  const cxr3 = await version(0, "chest-xray-dx", "2.0-rc", [cxrTrain, cxrDeid], { auc: 8800, grassrootsShare: 1500 }, cxr2);
  await approve(cxr3).catch((e) => progress(`approval refused by policy as intended: ${(e as Error).message}`));
  const tri1 = await version(0, "triage-assistant", "1.0", [cxrDeid], { auc: 8300, subgroupAucGap: 800, biasTestCases: 150, grassrootsShare: 1200 });
  await approve(tri1);
  const tri2 = await version(0, "triage-assistant", "1.1", [cxrDeid], { auc: 8450, subgroupAucGap: 700, biasTestCases: 160, grassrootsShare: 1300 }, tri1);
  await approve(tri2);
  const ecg1 = await version(1, "ecg-arrhythmia", "1.0", [ecgClean], {});
  await approve(ecg1);
  const ecg2 = await version(1, "ecg-arrhythmia", "2.0", [ecgClean, ecgRaw], { auc: 9400 }, ecg1);
  await approve(ecg2);
  const nts1 = await version(1, "notes-structuring", "1.0", [notes], { auc: 8700, subgroupAucGap: 600, biasTestCases: 250, grassrootsShare: 1800 });
  await approve(nts1);
  await version(1, "notes-structuring", "1.1-beta", [notes], { auc: 8750, subgroupAucGap: 600, biasTestCases: 250, grassrootsShare: 1800 }, nts1);
  const nts3 = await version(1, "notes-structuring", "1.2", [notes], { auc: 8800, subgroupAucGap: 550, biasTestCases: 260, grassrootsShare: 1900 }, nts1);
  await approve(nts3);
  await reg(`suspend:${ecg1}`).suspend(ecg1, "post-market signal under review (demo)");
  progress("models: 10 versions, one refused by policy, one suspended");

  // One MODEL_TRAINING revocation after a version was trained on the patient's data, then a newer version.
  const revoked = patients[0];
  await hospital(0, `revoke:0:${Purpose.MODEL_TRAINING}`).relayRevoke(await new Patient(ledger, revoked).signRevoke({ purpose: Purpose.MODEL_TRAINING, grantee: NUMBERS.ANY_MEMBER, deadlineSeconds: 3 * SECONDS.DAY }));
  // The newer version comes a second later in chain time: within the revocation's own second, chain
  // time cannot order the two, and the revocation-impact report says AT_REVOCATION_TIME (docs/reports.md).
  await new Promise((r) => setTimeout(r, 1_000));
  const cxr4 = await version(0, "chest-xray-dx", "1.2", [cxrTrain], { auc: 9380 }, cxr2);
  await approve(cxr4);

  return { versions, ids: { cxr2, tri2, ecg2, nts1, nts3, cxr4 } };
}

type SeededVersions = Awaited<ReturnType<typeof seedModels>>["ids"];

/** Hospitals record the versions they run and file post-market reports (one raises a fairness alert). */
async function seedDeploymentsAndReports(c: SeedContext, { cxr2, tri2, ecg2, nts1, nts3, cxr4 }: SeededVersions): Promise<void> {
  const { progress, hospital, now } = c;
  const deployments: [number, string][] = [[0, cxr2], [0, tri2], [1, ecg2], [1, tri2], [2, nts1], [2, nts3], [0, cxr4]];
  for (const [h, v] of deployments) await hospital(h, `deploy-version:${h}:${v}`).deployVersion(v);
  const t = await now();
  await hospital(1, `report:${ecg2}`).fileReport(ecg2, { periodStart: t - 30 * 86400, periodEnd: t - 10, cases: 1200, auc: 9050, subgroups: [{ subgroup: "region:EAST", auc: 9300, cases: 600 }, { subgroup: "region:WEST", auc: 8400, cases: 150 }, { subgroup: "sex:FEMALE", auc: 9000, cases: 450 }], reportHash: hashText("ecg report Q3") });
  await hospital(0, `report:${cxr2}`).fileReport(cxr2, { periodStart: t - 30 * 86400, periodEnd: t - 10, cases: 2400, auc: 9310, subgroups: [{ subgroup: "sex:FEMALE", auc: 9300, cases: 1200 }, { subgroup: "sex:MALE", auc: 9340, cases: 1200 }], reportHash: hashText("cxr report Q3") });
  progress("deployments and post-market reports filed (one fairness alert)");

}

/** Decision traces at every hospital, anchored in batches; a few receipts written for the walkthrough. */
async function seedTraces(c: SeedContext, size: DemoSize, { cxr2, tri2, ecg2, nts1, nts3, cxr4 }: SeededVersions): Promise<string[]> {
  const { ledger, deployment, accounts, dataDir, progress, outbox, rand, pick, now, cohortOf } = c;
  // ── decision traces ── (each chunk stamped with the chain's time when it is recorded: after every approval above)
  const inUse: Record<number, string[]> = { 0: [cxr2, tri2, cxr4], 1: [ecg2, tri2], 2: [nts1, nts3] };
  const receipts: string[] = [];
  mkdirSync(join(dataDir, "receipts"), { recursive: true });
  let anchored = 0;
  for (let h = 0; h < 3; h++) {
    const batcher = await TraceBatcher.open({ vaultPath: join(dataDir, `hospital-${h + 1}`, "trace-vault"), ledger, signer: outbox ? new OutboxSigner(outbox, accounts.hospitals[h]) : accounts.hospitals[h], maxBatch: 1000 });
    const cohort = cohortOf(h);
    const count = Math.floor(size.traces / 3) + (h === 0 ? size.traces % 3 : 0);
    const inputs: TraceInput[] = [];
    for (let k = 0; k < count; k++) {
      const confidenceBps = 6000 + Math.floor(rand() * 4000);
      const tier = tierFor(confidenceBps);
      const r = rand();
      const action = tier === "TAKEOVER" ? (r < 0.03 ? "ACCEPTED" : "TAKEOVER") : tier === "DIFFERENTIAL" ? (r < 0.6 ? "ACCEPTED" : r < 0.9 ? "MODIFIED" : "REJECTED") : r < 0.9 ? "ACCEPTED" : "MODIFIED";
      inputs.push({
        traceId: hexlify(keccak256(toUtf8Bytes(`trace-${h}-${k}`))), modelVersion: inUse[h][k % inUse[h].length], subject: pick(cohort),
        inputHash: keccak256(toUtf8Bytes(`in-${h}-${k}`)), outputHash: keccak256(toUtf8Bytes(`out-${h}-${k}`)), confidenceBps, action: action as TraceInput["action"],
        clinicianHash: keccak256(toUtf8Bytes(`clinician-${h}-${k % 17}`)), finalDecisionHash: keccak256(toUtf8Bytes(`final-${h}-${k}`)), time: 0,
      });
    }
    for (let k = 0; k < inputs.length; k += 1000) {
      const stamped = await now();
      await batcher.append(...inputs.slice(k, k + 1000).map((t) => ({ ...t, time: stamped })));
      await batcher.flush();
      anchored += Math.min(1000, inputs.length - k);
      progress("anchoring decision traces", anchored, size.traces);
    }
    // A few receipts for the walkthrough: clean ones, and one that breaks the TAKEOVER rule.
    let clean = 0;
    let violation = false;
    for await (const a of batcher.storage.anchored()) {
      const takeoverAccepted = a.record.tier === 3 && a.record.action === 1;
      if (takeoverAccepted ? violation : clean >= 2) continue;
      const file = join(dataDir, "receipts", `hospital-${h + 1}-trace-${a.record.seq}${takeoverAccepted ? "-accepted-at-takeover" : ""}.json`);
      writeFileDurably(file, JSON.stringify(receiptFor(a, deployment), null, 2));
      if (takeoverAccepted) violation = true;
      else {
        clean++;
        receipts.push(file);
      }
      if (clean >= 2 && violation) break;
    }
    await batcher.close();
  }
  return receipts;
}

/** A recall after the version was used: its traces, batches and hospitals show up in the recall-impact report. */
async function recallAfterUse(c: SeedContext, ecg2: string): Promise<void> {
  const reg = new Regulator(c.ledger, c.as(c.accounts.regulator, `recall:${ecg2}`));
  // A second later in chain time than the last trace: a status change in a trace's own second counts as
  // in force at that trace's time (the verifier cannot order the two), and these traces came before it.
  await new Promise((r) => setTimeout(r, 1_000));
  await reg.recall(ecg2, "recall: subgroup performance gap confirmed (demo)");
  c.progress("ecg-arrhythmia 2.0 recalled after use");
}
