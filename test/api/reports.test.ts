/**
 * Reports that are exact or say what they bound: the trace report over verified, distinct receipts
 * (forged and unanchored ones listed apart), its receipt limit reachable with real-size receipts;
 * revocation impact per purpose, by chain time, naming datasets without a manifest; fairness
 * alerts naming their version.
 */
import { describe, it, expect, type TestContext } from "vitest";
import hre from "hardhat";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { time, mine } from "@nomicfoundation/hardhat-network-helpers";
import type { FastifyInstance } from "fastify";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { deploymentOf } from "../helpers/indexing";
import { modelWithVersion, versionInput } from "../helpers/builders";
import { clock, traceInput } from "../helpers/traces";
import { Hospital, TraceBatcher, receiptFor, type TraceReceipt } from "../../src/sdk";
import { NUMBERS, Purpose, RiskClass } from "../../src/constants";
import { build, readOnly } from "../helpers/api-build";

/**
 * An approved version deployed by hospital A, the patient's consent to it, and hospital A's traces
 * of it: one batch of 2,049 (the proof depth of a real batch) and four of record format 2.
 */
async function reportsSeed() {
  const l = await ledgerFixture();
  const { versionId } = await modelWithVersion(l, { approve: true });
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_A, (await time.latest()) + 10 ** 6)).wait();
  await (await l.models.connect(l.hospitalA).recordDeployment(versionId)).wait();
  await time.increase(10);
  const now = await time.latest();
  clock.now = () => now;
  // One batch of 2,049 traces: real receipts, with the proof depth (12) of a real batch.
  const batcher = await TraceBatcher.open({ vaultPath: join(mkdtempSync(join(tmpdir(), "medprov-reports-")), "vault"), ledger: l, signer: l.hospitalA });
  const actions = ["ACCEPTED", "MODIFIED", "REJECTED"] as const;
  await batcher.append(...Array.from({ length: 2049 }, (_, i) => traceInput(versionId, { time: now, action: actions[i % 3], ...(i === 0 ? { subject: l.patient.address } : {}) })));
  await batcher.flush();
  // Then four traces of record format 2 (issue 18): indication and risk warning, at low and high confidence.
  await batcher.append(
    traceInput(versionId, { time: now, indication: 1, riskWarning: true, action: "ACCEPTED", confidenceBps: 9600 }),
    traceInput(versionId, { time: now, indication: 1, riskWarning: true, action: "REJECTED", confidenceBps: 9600 }),
    traceInput(versionId, { time: now, indication: 4, riskWarning: false, action: "ACCEPTED", confidenceBps: 8500 }),
    traceInput(versionId, { time: now, indication: 4, riskWarning: false, action: "MODIFIED", confidenceBps: 7000 }),
  );
  await batcher.flush();
  const deployment = await deploymentOf(l);
  const receipts: TraceReceipt[] = [];
  for await (const a of batcher.storage.anchored()) receipts.push(receiptFor(a, deployment));
  receipts.sort((a, b) => Number(BigInt(a.record.seq) - BigInt(b.record.seq)));
  await batcher.close();
  return { l, versionId, receipts };
}

/** The seeded chain behind an app of test `t`'s own, and the auditor signed in to it. */
async function world(t: TestContext) {
  const w = await build(t, reportsSeed);
  return { ...w, auditor: await w.bearer(w.l.auditor) };
}

/** POST /reports/traces on `app` as `auditor`. */
const tracesOn = (app: FastifyInstance, auditor: string) => (payload: unknown) => app.inject({ method: "POST", url: "/reports/traces", headers: { authorization: auditor }, payload: payload as object });

describe("POST /reports/traces", () => {
  const shared = readOnly(reportsSeed);
  /** The describe's one app (these tests only read) and the auditor signed in to it. */
  const reader = async () => {
    const w = await shared();
    return { ...w, auditor: await w.bearer(w.l.auditor) };
  };
  it("counts verified receipts once each; forged and unanchored ones are listed apart and counted nowhere", async () => {
    const { app, auditor, versionId, receipts } = await reader();
    const traces = tracesOn(app, auditor);
    const [a, b, c] = receipts;
    const forged = { ...b, record: { ...b.record, action: 0 } }; // a MODIFIED trace claimed ACCEPTED
    const unanchored = { ...c, batchId: "0x" + "ab".repeat(32) };
    const r = await traces({ receipts: [a, a, b, forged, c, unanchored, { not: "a receipt" }] });
    expect(r.statusCode, r.body).toBe(200);
    const report = r.json();
    expect([report.received, report.counted, report.duplicates]).toEqual([7, 3, 1]);
    expect(report.excluded.map((x: { index: number; reasons: { code: string }[] }) => [x.index, x.reasons[0].code])).toEqual([[3, "LEAF_MISMATCH"], [5, "BATCH_UNKNOWN"], [6, "RECEIPT_MALFORMED"]]);
    // a ACCEPTED (consented subject), b MODIFIED, c REJECTED: the forged ACCEPTED copy of b changes nothing.
    expect(report.versions).toEqual([{
      versionId: versionId.toLowerCase(), traces: 3, anchored: 3, consentCovered: 1, tierCompliant: 3, overrides: 2, acceptedAtTakeover: 0,
      consentCoverage: 0.3333, tierCompliance: 1, overrideRate: 0.6667,
    }]);
    // Only forged copies: nothing counted, no rate made up from them.
    const none = (await traces({ receipts: [forged, unanchored] })).json();
    expect([none.counted, none.versions]).toEqual([0, []]);
  });

  it("reports indications and warnings per version, hospital and month; format-1 traces as indication unknown", async () => {
    const { app, auditor, versionId, receipts } = await reader();
    const traces = tracesOn(app, auditor);
    const format2 = receipts.slice(-4);
    expect(format2.map((r) => r.format)).toEqual(Array(4).fill("medprov-trace-receipt/3"));
    const r = await traces({ receipts: [receipts[0], receipts[1], ...format2] });
    expect(r.statusCode, r.body).toBe(200);
    const report = r.json();
    expect(report.counted).toBe(6);
    const month = new Date(Number(receipts[0].record.time) * 1000).toISOString().slice(0, 7);
    // The version's indexed approval covers indications 0 and 1 (builders' INDICATIONS): the two traces used for
    // indication 1 are on-indication, the two for indication 4 (ARRHYTHMIA_DETECTION) off it.
    expect(report.indications).toEqual([{
      versionId: versionId.toLowerCase(), hospital: ORG.HOSPITAL_A, period: month, traces: 6, indicationUnknown: 2, approvalUnknown: 0, onIndication: 2, offIndication: 2,
      warned: 2, adoptedDespiteWarning: 1, lowConfidence: 2, lowConfidenceAdoption: 1, offIndicationRate: 0.5, adoptedDespiteWarningRate: 0.5, lowConfidenceAdoptionRate: 0.5,
    }]);
  });

  it("docs/reports.md defines every figure and rate the report answers", async () => {
    const { app, auditor, receipts } = await reader();
    const traces = tracesOn(app, auditor);
    const withFormat2 = (await traces({ receipts: receipts.slice(-2) })).json();
    const figures2 = Object.keys(withFormat2.indications[0]).filter((k) => !["versionId", "hospital", "period"].includes(k));
    expect(figures2.length).toBeGreaterThanOrEqual(12);
    const report = (await traces({ receipts: receipts.slice(0, 2) })).json();
    const doc = readFileSync(join(__dirname, "..", "..", "docs", "reports.md"), "utf8");
    const section = doc.slice(doc.indexOf("## `POST /reports/traces`"), doc.indexOf("## ", doc.indexOf("## `POST /reports/traces`") + 3));
    const figures = Object.keys(report.versions[0]).filter((k) => k !== "versionId");
    expect(figures.length).toBeGreaterThanOrEqual(9);
    expect(figures.filter((k) => !section.includes(`| \`${k}\` |`)), "figures without a row in the table").toEqual([]);
    expect(figures2.filter((k) => !section.includes(`| \`${k}\` |`)), "indication figures without a row in the table").toEqual([]);
    expect(Object.keys(report).filter((k) => !section.includes(`\`${k}\``)), "answer fields the section does not name").toEqual([]);
  });

  it("takes its maximum of 500 real receipts (more than 1 MiB of JSON), refuses 501 by name", async () => {
    const { app, auditor, receipts } = await reader();
    const traces = tracesOn(app, auditor);
    const body = { receipts: receipts.slice(0, 500) };
    expect(JSON.stringify(body).length).toBeGreaterThan(1024 * 1024);
    const r = await traces(body);
    expect(r.statusCode, r.body.slice(0, 300)).toBe(200);
    expect([r.json().counted, r.json().versions[0].traces]).toEqual([500, 500]);
    const over = await traces({ receipts: receipts.slice(0, 501) });
    expect([over.statusCode, over.json().error.code]).toEqual([400, "TOO_MANY_RECEIPTS"]);
    const verify = await app.inject({ method: "POST", url: "/verify", headers: { authorization: auditor }, payload: body });
    expect([verify.statusCode, verify.json().results.length]).toEqual([200, 500]);
  });
});

async function datasetWith(l: Ledger, subjects: string[], purposes = [Purpose.RESEARCH, Purpose.MODEL_TRAINING]) {
  const dir = mkdtempSync(join(tmpdir(), "medprov-impact-"));
  const file = join(dir, "records.jsonl");
  writeFileSync(file, subjects.map((s, i) => JSON.stringify({ subject: s, ageBand: "18-44", sex: "MALE", region: "CENTRAL", grassroots: i % 2 === 0 })).join("\n"));
  const r = await new Hospital(l, l.hospitalA).registerDataset(file, { purposes, uri: "s3://x" });
  return { ...r, manifest: JSON.parse(readFileSync(r.manifestPath, "utf8")) };
}

describe("revocation impact", () => {
  it("is per purpose, by chain time, ordered by time, and names the datasets without a manifest", async (t) => {
    const { l, app, auditor, indexer, queries: q } = await world(t);
    const subject = l.patient2;
    const far = (await time.latest()) + 10 ** 7;
    for (const p of [Purpose.RESEARCH, Purpose.MODEL_TRAINING]) await (await l.consents.connect(subject).grantConsent(subject.address, p, NUMBERS.ANY_MEMBER, far)).wait();
    const mine1 = await datasetWith(l, [subject.address, l.outsider.address]);
    const unknown = await datasetWith(l, [l.guardian.address]); // its manifest never reaches this index
    const modelId = await l.models.modelIdOf(ORG.DEVELOPER, "impact");
    await (await l.models.connect(l.developer).registerModel("impact", "diagnosis", RiskClass.HIGH)).wait();
    const register = async () => {
      const input = versionInput([mine1.datasetId]);
      await (await l.models.connect(l.developer).registerVersion(modelId, input)).wait();
      return (await l.models.versionIdOf(modelId, input.weightsHash)).toLowerCase();
    };
    const use = async (purpose: number) => (await l.datasets.connect(l.hospitalA).recordUse(mine1.datasetId, purpose)).wait();

    const v1 = await register();
    await use(Purpose.RESEARCH);
    await time.increase(5);
    await (await l.consents.connect(subject).revokeConsent(subject.address, Purpose.RESEARCH, NUMBERS.ANY_MEMBER)).wait();
    await time.increase(5);
    const v2 = await register(); // trained while MODEL_TRAINING consent still holds: nothing to do with RESEARCH
    await use(Purpose.RESEARCH); // a research use after the research revocation
    await time.increase(5);
    // The MODEL_TRAINING revocation and v3 in one block: the same second, which chain time cannot order.
    await hre.network.provider.send("evm_setAutomine", [false]);
    const v3In = versionInput([mine1.datasetId]);
    // Automine back on whatever happens: a send refused here must not leave the file's chain stalled for the next test.
    const [revoke, v3tx] = await (async () => {
      try {
        const both = [await l.consents.connect(subject).revokeConsent(subject.address, Purpose.MODEL_TRAINING, NUMBERS.ANY_MEMBER), await l.models.connect(l.developer).registerVersion(modelId, v3In)] as const;
        await mine(1);
        return both;
      } finally {
        await hre.network.provider.send("evm_setAutomine", [true]);
      }
    })();
    await Promise.all([revoke.wait(), v3tx.wait()]);
    const v3 = (await l.models.versionIdOf(modelId, v3In.weightsHash)).toLowerCase();
    await time.increase(5);
    const v4 = await register(); // after the training revocation, no consent: the finding
    await time.increase(5);
    await (await l.consents.connect(subject).grantConsent(subject.address, Purpose.MODEL_TRAINING, ORG.DEVELOPER, far)).wait();
    const v5 = await register(); // after it, but consented again (to the developer itself)
    await indexer.syncOnce();
    expect(await q.addCohortManifestByRoot(mine1.manifest)).toEqual({ datasetId: mine1.datasetId.toLowerCase(), subjects: 2 });

    const r = await app.inject({ url: `/reports/revocation-impact/${subject.address}`, headers: { authorization: auditor } });
    expect(r.statusCode, r.body).toBe(200);
    const [research, training] = r.json();
    expect([research.purpose, training.purpose]).toEqual([Purpose.RESEARCH, Purpose.MODEL_TRAINING]);
    expect(research.revokedTime).toBeLessThan(training.revokedTime);
    expect(research.revokedAt).toBe(new Date(research.revokedTime * 1000).toISOString());
    for (const entry of [research, training]) {
      expect(entry.datasets.map((d: { datasetId: string }) => d.datasetId)).toEqual([mine1.datasetId.toLowerCase()]);
      expect(entry.datasetsWithoutManifest).toContain(unknown.datasetId.toLowerCase());
      expect(entry.datasetsWithoutManifest).not.toContain(mine1.datasetId.toLowerCase());
    }
    // RESEARCH: no version is a research use; the two recorded research uses, before and after.
    expect(research.datasets[0].versions).toEqual([]);
    expect(research.datasets[0].uses.map((u: { org: number; purpose: number; relation: string }) => [u.org, u.purpose, u.relation])).toEqual([[ORG.HOSPITAL_A, Purpose.RESEARCH, "BEFORE_REVOCATION"], [ORG.HOSPITAL_A, Purpose.RESEARCH, "AFTER_REVOCATION"]]);
    // MODEL_TRAINING: every version, by time, related by chain time and consent at the time of use.
    const versions = training.datasets[0].versions;
    expect(versions.map((v: { versionId: string; registered: string }) => [v.versionId, v.registered])).toEqual([
      [v1, "BEFORE_REVOCATION"], [v2, "BEFORE_REVOCATION"], [v3, "AT_REVOCATION_TIME"], [v4, "AFTER_REVOCATION"], [v5, "CONSENTED_AT_USE"],
    ]);
    const times = versions.map((v: { registeredTime: number }) => v.registeredTime);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(versions.every((v: { developer: number }) => v.developer === ORG.DEVELOPER)).toBe(true);
    expect(training.datasets[0].uses).toEqual([]); // no use was recorded under MODEL_TRAINING
  });
});

describe("fairness alerts", () => {
  it("name the version (and its model) they were raised against", async (t) => {
    const { l, app, auditor, indexer, queries: q, versionId } = await world(t);
    const h = new Hospital(l, l.hospitalA);
    const filed = await h.fileReport(versionId, { periodStart: 1, periodEnd: 2, cases: 100, auc: 9000, subgroups: [{ subgroup: "sex:F", auc: 9300, cases: 50 }, { subgroup: "sex:M", auc: 8000, cases: 50 }], reportHash: "0x" + "12".repeat(32) });
    expect(filed.alert).toBeDefined();
    await indexer.syncOnce();
    const alerts = (await app.inject({ url: "/reports/fairness-alerts", headers: { authorization: auditor } })).json();
    const model = await q.model(String((await q.version(versionId))!.modelId));
    expect(alerts).toEqual([expect.objectContaining({ kind: "FAIRNESS", versionId: versionId.toLowerCase(), modelId: String(model!.modelId), name: String(model!.name), reportId: filed.reportId, hospital: ORG.HOSPITAL_A, gap: 1300 })]);
  });

  it("a low overall AUC with a single subgroup reaches the index and the API as a PERFORMANCE alert (issue 20)", async (t) => {
    const { l, app, auditor, indexer, versionId } = await world(t);
    const h = new Hospital(l, l.hospitalA);
    const filed = await h.fileReport(versionId, { periodStart: 3, periodEnd: 4, cases: 100, auc: 5000, subgroups: [{ subgroup: "sex:F", auc: 5000, cases: 100 }], reportHash: "0x" + "13".repeat(32) });
    expect([filed.alert, filed.performanceAlert]).toEqual([undefined, { auc: 5000, minAuc: 9000 }]);
    await indexer.syncOnce();
    const own = (await app.inject({ url: `/versions/${versionId}/alerts`, headers: { authorization: auditor } })).json();
    expect(own.at(-1)).toEqual(expect.objectContaining({ kind: "PERFORMANCE", reportId: filed.reportId, hospital: ORG.HOSPITAL_A, auc: 5000, minAuc: 9000 }));
    const version = (await app.inject({ url: `/versions/${versionId}` })).json();
    expect(version.version.riskClass).toBe(RiskClass.HIGH); // the class the regulator assigned at approval
  });
});
