import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { deploymentOf, indexFresh } from "../helpers/indexing";
import { batch, versionInput, INDICATIONS } from "../helpers/builders";
import { Hospital } from "../../src/sdk";
import { Purpose, RiskClass } from "../../src/constants";
import { createQueries, IndexStore } from "../../src/indexer";
import { Rows } from "../../src/core";

async function datasetWith(l: Ledger, subjects: string[], parents: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "medprov-q-"));
  const file = join(dir, "records.jsonl");
  writeFileSync(file, subjects.map((s, i) => JSON.stringify({ subject: s, ageBand: "18-44", sex: "MALE", region: "CENTRAL", grassroots: i % 2 === 0 })).join("\n"));
  const r = await new Hospital(l, l.hospitalA).registerDataset(file, { purposes: [Purpose.RESEARCH, Purpose.MODEL_TRAINING], uri: "s3://x", parents });
  return { ...r, manifest: JSON.parse(readFileSync(r.manifestPath, "utf8")) };
}

type Schema = { type?: unknown; properties?: Record<string, Schema>; required?: string[]; items?: Schema; anyOf?: Schema[] };

/**
 * Where a stored row departs from its definition in src/core/rows.ts: a field the definition does
 * not name, a required field missing, or a value of another kind. Integers may be decimal strings
 * (struct fields are stored so, and answered as integers).
 */
function misfits(schema: Schema, v: unknown, at = "row"): string[] {
  if (schema.anyOf) return schema.anyOf.some((s) => misfits(s, v, at).length === 0) ? [] : [`${at}: ${JSON.stringify(v)} is none of its kinds`];
  if (schema.type === "string") return typeof v === "string" ? [] : [`${at}: ${JSON.stringify(v)} is not a string`];
  if (schema.type === "integer") return Number.isInteger(v) || (typeof v === "string" && /^[0-9]+$/.test(v)) ? [] : [`${at}: ${JSON.stringify(v)} is not an integer`];
  if (schema.type === "boolean") return typeof v === "boolean" ? [] : [`${at}: ${JSON.stringify(v)} is not a boolean`];
  if (schema.type === "array") return Array.isArray(v) ? v.flatMap((x, i) => misfits(schema.items!, x, `${at}[${i}]`)) : [`${at} is not an array`];
  const row = v as Record<string, unknown>;
  return [
    ...Object.keys(row).filter((k) => !(k in schema.properties!)).map((k) => `${at}.${k} is not in its definition`),
    ...(schema.required ?? []).filter((k) => !(k in row)).map((k) => `${at}.${k} is missing`),
    ...Object.entries(row).filter(([k]) => k in schema.properties!).flatMap(([k, x]) => misfits(schema.properties![k], x, `${at}.${k}`)),
  ];
}

async function scenario() {
  const l = await ledgerFixture();
  const patient = l.patient.address;
  const far = (await time.latest()) + 10 ** 7;
  await (await l.consents.connect(l.patient).grantConsent(patient, Purpose.MODEL_TRAINING, 0, far)).wait();
  const d1 = await datasetWith(l, [patient, l.patient2.address]);
  const d2 = await datasetWith(l, [l.patient2.address], [d1.datasetId]);
  const modelId = await l.models.modelIdOf(ORG.DEVELOPER, "cxr");
  await (await l.models.connect(l.developer).registerModel("cxr", "diagnosis", RiskClass.HIGH)).wait();
  const v1In = versionInput([d1.datasetId]);
  const v1 = await l.models.versionIdOf(modelId, v1In.weightsHash);
  await (await l.models.connect(l.developer).registerVersion(modelId, v1In)).wait();
  await (await l.models.connect(l.regulator).approveVersion(v1, "F-1", RiskClass.HIGH, INDICATIONS)).wait();
  for (const who of [l.hospitalA, l.hospitalB]) await (await l.models.connect(who).recordDeployment(v1)).wait();
  const revokedAt = await time.latestBlock();
  await time.setNextBlockTimestamp((await time.latest()) + 5); // the revocation lands in a later second
  await (await l.consents.connect(l.patient).revokeConsent(patient, Purpose.MODEL_TRAINING, 0)).wait();
  // v2 is registered in a later second than the revocation (the same second reads AT_REVOCATION_TIME: test/api/reports.test.ts).
  await time.setNextBlockTimestamp((await time.latest()) + 5);
  const v2In = versionInput([d1.datasetId, d2.datasetId], { parent: v1 });
  const v2 = await l.models.versionIdOf(modelId, v2In.weightsHash);
  await (await l.models.connect(l.developer).registerVersion(modelId, v2In)).wait();
  const seq = { [ORG.HOSPITAL_A]: 0, [ORG.HOSPITAL_B]: 0 };
  for (const [who, orgId, count] of [[l.hospitalA, ORG.HOSPITAL_A, 10], [l.hospitalB, ORG.HOSPITAL_B, 7], [l.hospitalA, ORG.HOSPITAL_A, 3]] as const) {
    await (await l.traces.connect(who).anchorBatch(await batch(seq[orgId], [v1], { count }))).wait();
    seq[orgId] += count;
  }
  await (await l.models.connect(l.regulator).recallVersion(v1, "0x" + "99".repeat(32))).wait();
  return { l, patient, d1, d2, v1, v2, revokedAt, seq };
}

describe("indexer queries", () => {
  it("datasetList and versionList: registration order, filters, and pages that stay stable while new ones arrive", async () => {
    const s = await loadFixture(scenario);
    const { store, indexer } = await indexFresh(await deploymentOf(s.l));
    const q = createQueries(store);
    const ids = (rows: { datasetId?: unknown; versionId?: unknown }[]) => rows.map((r) => String(r.datasetId ?? r.versionId));
    expect(ids((await q.datasetList({})).datasets)).toEqual([s.d1.datasetId.toLowerCase(), s.d2.datasetId.toLowerCase()]);
    expect(ids((await q.versionList({ status: 4 })).versions)).toEqual([s.v1.toLowerCase()]); // RECALLED
    expect(ids((await q.versionList({ status: 1 })).versions)).toEqual([s.v2.toLowerCase()]); // SUBMITTED
    expect((await q.datasetList({ custodian: ORG.HOSPITAL_B })).datasets).toEqual([]);
    const first = await q.datasetList({ limit: 1 });
    expect([ids(first.datasets), typeof first.next]).toEqual([[s.d1.datasetId.toLowerCase()], "string"]);
    // A dataset registered between two pages comes after the ones already listed, never among them.
    const d3 = await datasetWith(s.l, [s.l.guardian.address]);
    await indexer.syncOnce();
    const rest = await q.datasetList({ after: first.next!, limit: 10 });
    expect([ids(rest.datasets), rest.next]).toEqual([[s.d2.datasetId.toLowerCase(), d3.datasetId.toLowerCase()], null]);
  });

  it("lineage: parents and children of datasets; versions and their status history", async () => {
    const s = await loadFixture(scenario);
    const { store } = await indexFresh(await deploymentOf(s.l));
    const q = createQueries(store);
    expect(await q.lineage(s.d1.datasetId)).toEqual({ datasetId: s.d1.datasetId.toLowerCase(), parents: [], children: [s.d2.datasetId.toLowerCase()] });
    expect((await q.lineage(s.d2.datasetId))!.parents).toEqual([s.d1.datasetId.toLowerCase()]);
    expect((await q.versionHistory(s.v1)).map((h) => h.status)).toEqual([1, 2, 4]);
    expect((await q.version(s.v1))!.filingCode).toBe("F-1");
    expect((await q.datasetsOf(ORG.HOSPITAL_A)).length).toBe(2);
    const history = await q.memberHistory(ORG.HOSPITAL_A);
    expect(history.map((h) => h.kind)).toEqual(["ADMITTED", "KEY_ADDED", "KEY_ADDED", "KEY_REVOKED"]);
    await store.close();
  });

  it("revocation impact: datasets with the subject (by verified manifest), versions before and after the revocation", async () => {
    const s = await loadFixture(scenario);
    const { store } = await indexFresh(await deploymentOf(s.l));
    const q = createQueries(store);
    await expect(q.addCohortManifest(s.d1.datasetId, { cohortTree: s.d2.manifest.cohortTree })).rejects.toMatchObject({ code: "COHORT_MISMATCH" });
    expect(await q.addCohortManifest(s.d1.datasetId, s.d1.manifest)).toEqual({ datasetId: s.d1.datasetId.toLowerCase(), subjects: 2 });
    await q.addCohortManifest(s.d2.datasetId, s.d2.manifest);
    const [impact] = await q.revocationImpact(s.patient);
    expect(impact.purpose).toBe(Purpose.MODEL_TRAINING);
    expect(impact.datasets.map((d) => d.datasetId)).toEqual([s.d1.datasetId.toLowerCase()]);
    const byVersion = Object.fromEntries(impact.datasets[0].versions.map((v) => [v.versionId, v.registered]));
    expect(byVersion).toEqual({ [s.v1.toLowerCase()]: "BEFORE_REVOCATION", [s.v2.toLowerCase()]: "AFTER_REVOCATION" });
    // The digest ignores custodian-supplied manifests: members with different manifests still agree.
    const other = await indexFresh(await deploymentOf(s.l));
    expect(await other.store.digest()).toBe(await store.digest());
    await Promise.all([store.close(), other.store.close()]);
  });

  it("recall impact: batches, hospitals and trace counts that reference the recalled version", async () => {
    const s = await loadFixture(scenario);
    const { store } = await indexFresh(await deploymentOf(s.l));
    const impact = await createQueries(store).recallImpact(s.v1);
    expect(impact).toEqual({
      versionId: s.v1.toLowerCase(), status: 4, batches: 3, traces: 20,
      hospitals: [{ hospital: ORG.HOSPITAL_A, batches: 2, traces: 13 }, { hospital: ORG.HOSPITAL_B, batches: 1, traces: 7 }],
    });
    await store.close();
  });

  it("batch pages stay stable while new batches arrive", async () => {
    const s = await loadFixture(scenario);
    const deployment = await deploymentOf(s.l);
    const { store, indexer } = await indexFresh(deployment);
    const q = createQueries(store);
    const first = await q.batches({ limit: 2 });
    expect(first.batches.map((b) => b.count)).toEqual([10, 7]);
    const v = (await (await import("../helpers/builders")).modelWithVersion(s.l, { approve: true, deploy: true })).versionId;
    await (await s.l.traces.connect(s.l.hospitalB).anchorBatch(await batch(s.seq[ORG.HOSPITAL_B], [v], { count: 4 }))).wait();
    await indexer.syncOnce();
    const second = await q.batches({ limit: 2, after: first.next! });
    expect(second.batches.map((b) => b.count)).toEqual([3, 4]);
    expect((await q.batches({ hospital: ORG.HOSPITAL_B })).batches.map((b) => b.count)).toEqual([7, 4]);
    expect((await q.batches({ version: s.v1, limit: 10 })).batches.length).toBe(3);
    const all = (await q.batches({ limit: 10 })).batches;
    expect((await q.batches({ fromTime: Number(all[3].fromTime), limit: 10 })).batches.length).toBeGreaterThanOrEqual(1);
    // Every way to a batch gives the same record: by id, in chain order, by hospital, by version.
    for (const b of all) expect(await q.batch(String(b.batchId))).toEqual(b);
    expect(await q.batch("0x" + "ab".repeat(32))).toBeUndefined();
    expect((await q.batches({ version: s.v1, limit: 10 })).batches).toEqual(all.filter((b) => (b.versions as string[]).includes(s.v1.toLowerCase())));
    expect((await q.batches({ hospital: ORG.HOSPITAL_B })).batches).toEqual(all.filter((b) => b.hospital === ORG.HOSPITAL_B));
    await store.close();
  });

  it("an index written under another key layout is refused, not misread", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "medprov-layout-")), "db");
    const fresh = await IndexStore.open(path);
    await fresh.write([{ type: "put", key: "meta:cursor", value: { block: 3, hash: "0x01" } }]);
    await fresh.close();
    const again = await IndexStore.open(path); // the layout written when it was created
    await again.write([{ type: "del", key: "meta:layout" }]); // as an index from before layouts had numbers
    await again.close();
    await expect(IndexStore.open(path)).rejects.toMatchObject({ code: "INDEX_LAYOUT", retryable: false, message: expect.stringMatching(/--rebuild/) });
    // The refusal let go of the database: asking again is refused the same way, not INDEX_LOCKED.
    await expect(IndexStore.open(path)).rejects.toMatchObject({ code: "INDEX_LAYOUT" });
  });

  it("memoised answers never outlive a write: new events and a rollback both show on the next read", async () => {
    const s = await loadFixture(scenario);
    const { store, indexer } = await indexFresh(await deploymentOf(s.l));
    const q = createQueries(store);
    const before = await q.consentHistory(s.l.patient.address);
    expect(await q.consentHistory(s.l.patient.address)).toBe(before); // same state: the same answer object
    await hre.network.provider.send("evm_mine", []); // a block without our events moves only the cursor
    await indexer.syncOnce();
    expect(await q.consentHistory(s.l.patient.address)).toBe(before);
    const cursor = (await store.cursor())!;
    expect(cursor.block).toBe(await time.latestBlock()); // that block was written (cursor, hash), answers kept
    await (await s.l.consents.connect(s.l.patient).grantConsent(s.l.patient.address, Purpose.RESEARCH, ORG.HOSPITAL_B, (await time.latest()) + 1000)).wait();
    await indexer.syncOnce();
    const after = await q.consentHistory(s.l.patient.address);
    expect(after.length).toBe(before.length + 1);
    expect((await q.consents(s.l.patient.address)).map((c) => c.purpose)).toContain(Purpose.RESEARCH);
    await store.rollbackTo(cursor.block, cursor.hash);
    expect(await q.consentHistory(s.l.patient.address)).toEqual(before);
    await store.close();
  });

  it("time-filtered batch pages equal a filter over every batch, page after page", async () => {
    const s = await loadFixture(scenario);
    const r = (await import("../helpers/workload")).prng(11);
    const hospitals = [[ORG.HOSPITAL_A, s.l.hospitalA], [ORG.HOSPITAL_B, s.l.hospitalB]] as const;
    await (await s.l.models.connect(s.l.regulator).approveVersion(s.v2, "F-2", RiskClass.HIGH, INDICATIONS)).wait();
    for (const [, who] of hospitals) await (await s.l.models.connect(who).recordDeployment(s.v2)).wait();
    // A hospital's windows never run backwards: each starts no earlier than its previous one ended.
    const lastTo: Record<number, number> = { [ORG.HOSPITAL_A]: Number(await s.l.traces.lastToTime(ORG.HOSPITAL_A)), [ORG.HOSPITAL_B]: Number(await s.l.traces.lastToTime(ORG.HOSPITAL_B)) };
    const seq: Record<number, bigint> = { [ORG.HOSPITAL_A]: await s.l.traces.nextSequence(ORG.HOSPITAL_A), [ORG.HOSPITAL_B]: await s.l.traces.nextSequence(ORG.HOSPITAL_B) };
    for (let i = 0; i < 30; i++) {
      await time.increase(r.int(4000));
      const [orgId, who] = r.pick([...hospitals]);
      const now = await time.latest();
      // Spans from a minute to a day, ending up to the clock skew ahead of the chain.
      const toTime = Math.max(now + r.int(300), lastTo[orgId]);
      const fromTime = Math.max(lastTo[orgId], toTime - 60 - r.int(86_400));
      lastTo[orgId] = toTime;
      await (await s.l.traces.connect(who).anchorBatch(await batch(seq[orgId], [s.v2], { count: 5, fromTime, toTime }))).wait();
      seq[orgId] += 5n;
    }
    const { store } = await indexFresh(await deploymentOf(s.l));
    const q = createQueries(store);
    const all = (await q.batches({ limit: 1000 })).batches;
    const times = all.map((b) => [Number(b.fromTime), Number(b.toTime)]).flat();
    const [lo, hi] = [Math.min(...times), Math.max(...times)];
    for (let k = 0; k < 40; k++) {
      const a = lo - 1000 + r.int(hi - lo + 2000);
      const f = { fromTime: r.int(3) > 0 ? a : undefined, toTime: r.int(3) > 0 ? a + r.int(20_000) : undefined, hospital: r.int(3) === 0 ? ORG.HOSPITAL_B : undefined, limit: 1 + r.int(4) };
      const expected = all.filter((b) => (f.fromTime === undefined || Number(b.toTime) >= f.fromTime) && (f.toTime === undefined || Number(b.fromTime) <= f.toTime) && (f.hospital === undefined || Number(b.hospital) === f.hospital));
      const got: unknown[] = [];
      let after: string | undefined;
      for (let page = 0; page < 100; page++) {
        const p = await q.batches({ ...f, after });
        got.push(...p.batches.map((b) => b.batchId));
        if (!p.next) break;
        after = p.next;
      }
      expect(got, JSON.stringify(f)).toEqual(expected.map((b) => b.batchId));
    }
    await store.close();
  });

  it("consent valid at a time agrees with valid at the block of that time", async () => {
    const s = await loadFixture(scenario);
    const { store } = await indexFresh(await deploymentOf(s.l));
    const q = createQueries(store);
    const before = (await hre.ethers.provider.getBlock(s.revokedAt))!;
    expect(await q.consentValidAt(s.patient, Purpose.MODEL_TRAINING, ORG.HOSPITAL_A, { block: before.number, time: before.timestamp })).toBe(true);
    expect(await q.consentValidAt(s.patient, Purpose.MODEL_TRAINING, ORG.HOSPITAL_A, { time: before.timestamp })).toBe(true);
    const after = (await hre.ethers.provider.getBlock(s.revokedAt + 1))!;
    expect(await q.consentValidAt(s.patient, Purpose.MODEL_TRAINING, ORG.HOSPITAL_A, { block: after.number, time: after.timestamp })).toBe(false);
    expect(await q.consentValidAt(s.patient, Purpose.MODEL_TRAINING, ORG.HOSPITAL_A, { time: after.timestamp })).toBe(false);
    expect((await q.consentHistory(s.patient)).map((e) => e.kind)).toEqual(["GRANTED", "REVOKED"]);
    await store.close();
  });

  it("every row the index answers has the fields its one definition (src/core/rows.ts) names, of their kinds", async () => {
    const s = await loadFixture(scenario);
    const { store } = await indexFresh(await deploymentOf(s.l));
    const q = createQueries(store);
    const [v1, v2] = [(await q.version(s.v1))!, (await q.version(s.v2))!];
    const read: [Schema, unknown[]][] = [
      [Rows.MemberRow, await q.members()],
      [Rows.MemberChangeRow, await q.memberChanges()],
      [Rows.ConsentRow, await q.consents(s.patient)],
      [Rows.ConsentEventRow, await q.consentHistory(s.patient)],
      [Rows.DatasetRow, await q.datasets()],
      [Rows.LineageRow, [await q.lineage(s.d2.datasetId)]],
      [Rows.ModelRow, await q.models()],
      [Rows.VersionRow, [v1, v2]],
      [Rows.StatusChangeRow, await q.versionHistory(s.v1)],
      [Rows.VersionChangeRow, await q.versionChanges()],
      [Rows.DeploymentRow, await q.deployments(s.v1)],
      [Rows.BatchRow, (await q.batches({})).batches],
    ];
    for (const [, rows] of read) expect(rows.length).toBeGreaterThan(0);
    expect(read.flatMap(([schema, rows]) => rows.flatMap((r) => misfits(schema, r)))).toEqual([]);
    // The check sees a departure: a field the definition does not name, and one it requires.
    expect(misfits(Rows.DeploymentRow, { hospital: 1, block: 2, time: 3, tx: "0x", extra: 1 })).toEqual(["row.extra is not in its definition"]);
    expect(misfits(Rows.DeploymentRow, { hospital: "A", block: 2, time: 3 })).toEqual(["row.tx is missing", 'row.hospital: "A" is not an integer']);
    await store.close();
  });
});
