/**
 * Answers in words (issue 17): one answer per route, showing that every enum number has its name
 * beside it, every chain time its ISO 8601 form, every basis-point figure its percentage, every
 * purpose set its names and every subgroup label its text. Asserts the presence and form of those
 * fields (not whole bodies), and the list routes' filters and cursor paging.
 */
import { describe, it, expect } from "vitest";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { FastifyInstance } from "fastify";
import { ORG } from "../helpers/fixture";
import { apiSeed } from "../helpers/api-fixture";
import { readOnly, seeded, serve } from "../helpers/api-build";
import { INDICATIONS } from "../helpers/builders";
import { isoOf } from "../../src/sdk";
import { DEFAULT_INDICATIONS, Indication, RiskClass, indicationMask } from "../../src/constants";

/** apiSeed's ledger (seeded once, reverted to before each test) behind one app per describe: these tests only read. */
const sharedApp = () => readOnly(apiSeed, { rateLimit: 1_000_000 });

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Numeric fields that are chain times: each must have an `…Iso` sibling. */
const TIMES = new Set(["time", "registeredTime", "admittedTime", "fromTime", "toTime", "grantedAt", "expiresAt", "revokedAt", "revokedTime", "periodStart", "periodEnd"]);
/** Numeric fields that are enum values, organisations or purposes: each must have a `…Name` sibling. */
const NAMED = new Set(["status", "role", "riskClass", "previous", "purpose", "hospital", "developer", "grantee", "custodian", "org", "approvedBy"]);
/** Basis-point fields: each must have a `…Percent` sibling. */
const BPS = new Set(["auc", "sensitivity", "specificity", "subgroupAucGap", "grassrootsShare", "gap", "limit", "ageBps", "sexBps", "regionBps", "grassrootsBps"]);

/** Walks an answer; returns every place a number lacks its words or a word has the wrong form. */
function unworded(value: unknown, path = "$"): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => unworded(v, `${path}[${i}]`));
  if (!value || typeof value !== "object") return [];
  const o = value as Record<string, unknown>;
  const out: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    const at = `${path}.${k}`;
    if (TIMES.has(k) && (typeof v === "number" || (typeof v === "string" && /^\d+$/.test(v)))) {
      if (!(`${k}Iso` in o)) out.push(`${at}: no ${k}Iso`);
      else if (o[`${k}Iso`] !== null && o[`${k}Iso`] !== isoOf(Number(v))) out.push(`${at}Iso: ${o[`${k}Iso`]} is not ${v} in ISO`);
    }
    if (k.endsWith("Iso") && o[k] !== null && !ISO.test(String(o[k]))) out.push(`${at}: not ISO 8601`);
    if (NAMED.has(k) && typeof v === "number" && typeof o[`${k}Name`] !== "string" && !(k !== "status" && o[`${k}Name`] === null)) out.push(`${at}: no ${k}Name`);
    if (k.endsWith("Name") && typeof o[k] === "string" && /UNKNOWN/.test(String(o[k]))) out.push(`${at}: ${o[k]}`);
    if (BPS.has(k) && !(`${k.replace(/Bps$/, "")}Percent` in o)) out.push(`${at}: no ${k.replace(/Bps$/, "")}Percent`);
    out.push(...unworded(v, at));
  }
  return out;
}

describe("answers in words, one per route", () => {
  const world = sharedApp();
  const reader = (app: FastifyInstance) => async (url: string, bearer?: string) => {
    const r = await app.inject({ url, headers: bearer ? { authorization: bearer } : {} });
    expect(r.statusCode, `${url}: ${r.body.slice(0, 300)}`).toBe(200);
    const body = r.json();
    expect(unworded(body), url).toEqual([]);
    return body;
  };

  it("registry: members, models, versions, datasets", async () => {
    const w = await world();
    const get = reader(w.app);
    const members = await get("/members");
    expect(members.find((m: { orgId: number }) => m.orgId === ORG.AUDITOR)).toMatchObject({ roleName: "AUDITOR", statusName: "ACTIVE", admittedTimeIso: expect.stringMatching(ISO) });
    const models = await get("/models");
    expect(models.find((m: { name: string }) => m.name === "sepsis-risk")).toMatchObject({ developerName: "Model Developer", riskClassName: "HIGH", timeIso: expect.stringMatching(ISO) });
    const model = await get(`/models/${w.ids.modelId}`);
    expect(model.versions[0]).toMatchObject({ statusName: "APPROVED", approvedByName: "Regulator", evaluation: { aucPercent: 90, subgroupAucGapPercent: 5, grassrootsSharePercent: 20, sensitivityPercent: 88 } });
    const version = await get(`/versions/${w.ids.versionId}`);
    // The approved indications by name beside the bitmask, which stays (a user trial found the bare mask); in every version answer.
    const named = { indications: INDICATIONS.toString(), indicationsNames: ["CHEST_RADIOGRAPH_FINDINGS", "PNEUMONIA_DIAGNOSIS"] };
    expect(version.version).toMatchObject(named);
    expect(model.versions[0]).toMatchObject(named);
    expect((await get("/versions?status=APPROVED")).versions[0]).toMatchObject(named);
    expect((await get(`/versions/${w.ids.version2}`)).version).not.toHaveProperty("indicationsNames"); // not approved: no indications
    expect(version.history.map((h: { previousName: string; statusName: string; actorName: string }) => [h.previousName, h.statusName, h.actorName])).toEqual([["NONE", "SUBMITTED", "Model Developer"], ["SUBMITTED", "APPROVED", "Regulator"]]);
    const dataset = await get(`/datasets/${w.ids.datasetId}`);
    expect(dataset).toMatchObject({
      custodianName: "Hospital A", statusName: "ACTIVE", allowedPurposesNames: ["RESEARCH", "MODEL_TRAINING"], registeredTimeIso: expect.stringMatching(ISO),
      demographics: { agePercent: { "0-17": 10, "18-44": 40, "45-64": 30, "65+": 20 }, sexPercent: { FEMALE: 50, MALE: 49, OTHER_OR_UNKNOWN: 1 }, regionPercent: { EAST: 40, CENTRAL: 30, WEST: 20, NORTHEAST: 10 }, grassrootsPercent: 25 },
    });
    expect(dataset.allowedPurposes).toBe("12"); // the mask stays, the names sit beside it
    await get(`/datasets/${w.ids.datasetId}/lineage`);
  });

  it("consortium-internal: deployments, reports with subgroup labels as text, alerts, dataset uses", async () => {
    const w = await world();
    const get = reader(w.app);
    const auditor = await w.bearer(w.l.auditor);
    expect((await get(`/versions/${w.ids.versionId}/deployments`, auditor))[0]).toMatchObject({ hospitalName: "Hospital A", timeIso: expect.stringMatching(ISO) });
    const [report] = await get(`/versions/${w.ids.versionId}/reports`, auditor);
    expect(report).toMatchObject({ hospitalName: "Hospital A", aucPercent: 90, periodStartIso: "1970-01-01T00:00:01.000Z" });
    expect(report.subgroups.map((s: { subgroupText: string; aucPercent: number }) => [s.subgroupText, s.aucPercent])).toEqual([["region:EAST", 93], ["region:WEST", 80]]);
    expect((await get(`/versions/${w.ids.versionId}/alerts`, auditor))[0]).toMatchObject({ gap: 1300, gapPercent: 13, limitPercent: 5, hospitalName: "Hospital A" });
    expect((await get(`/datasets/${w.ids.datasetId}/uses`, auditor))[0]).toMatchObject({ orgName: "Hospital A", purposeName: "RESEARCH", timeIso: expect.stringMatching(ISO) });
  });

  it("consents: slots, history, validity", async () => {
    const w = await world();
    const get = reader(w.app);
    const auditor = await w.bearer(w.l.auditor);
    const slots = await get(`/consents/${w.l.patient.address}`, auditor);
    const training = slots.find((c: { purposeName: string }) => c.purposeName === "MODEL_TRAINING");
    expect(training).toMatchObject({ granteeName: "any member", revokedAtIso: expect.stringMatching(ISO), grantedAtIso: expect.stringMatching(ISO) });
    expect(slots.find((c: { purposeName: string }) => c.purposeName === "RESEARCH")).toMatchObject({ granteeName: "Hospital B", revokedAtIso: null });
    const history = await get(`/consents/${w.l.patient.address}/history`, auditor);
    expect(history.map((e: { kind: string; purposeName: string }) => `${e.kind} ${e.purposeName}`)).toContain("REVOKED MODEL_TRAINING");
    expect(await get(`/consents/${w.l.patient.address}/valid?purpose=1&grantee=1`, auditor)).toMatchObject({ valid: true, purposeName: "CLINICAL_DECISION_SUPPORT", granteeName: "Hospital A", timeIso: expect.stringMatching(ISO) });
  });

  it("traces and reports: batches, recall and revocation impact, fairness alerts", async () => {
    const w = await world();
    const get = reader(w.app);
    const auditor = await w.bearer(w.l.auditor);
    const { batches } = await get("/batches", auditor);
    expect(batches[0]).toMatchObject({ hospitalName: "Hospital A", fromTimeIso: expect.stringMatching(ISO), toTimeIso: expect.stringMatching(ISO) });
    expect(await get(`/reports/recall-impact/${w.ids.versionId}`, auditor)).toMatchObject({ statusName: "APPROVED", hospitals: [{ hospitalName: "Hospital A", traces: 2 }] });
    const [revocation] = await get(`/reports/revocation-impact/${w.l.patient.address}`, auditor);
    expect(revocation).toMatchObject({ purposeName: "MODEL_TRAINING", granteeName: "any member", revokedTimeIso: expect.stringMatching(ISO) });
    expect((await get("/reports/fairness-alerts", auditor))[0]).toMatchObject({ name: "sepsis-risk", hospitalName: "Hospital A", gapPercent: 13 });
  });

  it("GET /versions/:id names an indication governance added to the chain's catalogue, beside the bitmask", async (t) => {
    const w = await seeded(apiSeed);
    await w.l.govern({ target: w.l.models, data: w.l.models.interface.encodeFunctionData("addIndication", ["SEPSIS_EARLY_WARNING"]) });
    const added = DEFAULT_INDICATIONS.length; // the catalogue's next id
    const mask = indicationMask([Indication.ARRHYTHMIA_DETECTION, added]);
    await (await w.l.models.connect(w.l.regulator).approveVersion(w.ids.version2, "NMPA-WORDS-1", RiskClass.MEDIUM, mask)).wait();
    const api = await serve(t, w.l);
    const r = await api.app.inject({ url: `/versions/${w.ids.version2}` });
    expect(r.statusCode, r.body.slice(0, 300)).toBe(200);
    expect(r.json().version).toMatchObject({ indications: mask.toString(), indicationsNames: ["ARRHYTHMIA_DETECTION", "SEPSIS_EARLY_WARNING"] });
  });

  it("the walker finds a missing word (so the checks above can fail)", () => {
    expect(unworded({ status: 2, time: 5 })).toEqual(["$.status: no statusName", "$.time: no timeIso"]);
    expect(unworded({ x: [{ auc: "9000", time: 1, timeIso: "yesterday" }] }).sort()).toEqual(["$.x[0].auc: no aucPercent", "$.x[0].timeIso: not ISO 8601", "$.x[0].timeIso: yesterday is not 1 in ISO"]);
  });
});

describe("GET /datasets and GET /versions", () => {
  const world = sharedApp();
  const lister = (app: FastifyInstance) => async (url: string) => {
    const r = await app.inject({ url });
    expect(r.statusCode, r.body.slice(0, 300)).toBe(200);
    return r.json();
  };

  it("list every dataset, filter by custodian and status, page with the cursor", async () => {
    const w = await world();
    const list = lister(w.app);
    const all = await list("/datasets");
    expect(all.datasets.map((d: { datasetId: string }) => d.datasetId)).toEqual(expect.arrayContaining([w.ids.datasetId.toLowerCase(), w.ids.dataset2.toLowerCase()]));
    expect(all.next).toBeNull();
    const byB = await list(`/datasets?custodian=${ORG.HOSPITAL_B}`);
    expect(byB.datasets.map((d: { datasetId: string; custodianName: string }) => [d.datasetId, d.custodianName])).toEqual([[w.ids.dataset2.toLowerCase(), "Hospital B"]]);
    expect((await list("/datasets?status=RETIRED")).datasets).toEqual([]);
    expect((await list("/datasets?status=ACTIVE")).datasets).toHaveLength(all.datasets.length);
    expect((await list("/datasets?status=1")).datasets).toHaveLength(all.datasets.length);
    // One at a time: each once, in registration order, and the last page has no next.
    const seen: string[] = [];
    let url = "/datasets?limit=1";
    for (;;) {
      const page = await list(url);
      seen.push(...page.datasets.map((d: { datasetId: string }) => d.datasetId));
      if (!page.next) break;
      url = `/datasets?limit=1&after=${page.next}`;
    }
    expect(seen).toEqual(all.datasets.map((d: { datasetId: string }) => d.datasetId));
    const blocks = all.datasets.map((d: { registeredBlock: number }) => d.registeredBlock);
    expect(blocks).toEqual([...blocks].sort((a, b) => a - b));
  });

  it("list every version, filter by model, developer and status, page with the cursor", async () => {
    const w = await world();
    const list = lister(w.app);
    const all = await list("/versions");
    expect(all.versions.map((v: { versionId: string; statusName: string }) => [v.versionId, v.statusName])).toEqual([[w.ids.versionId.toLowerCase(), "APPROVED"], [w.ids.version2.toLowerCase(), "SUBMITTED"]]);
    expect((await list(`/versions?model=${w.ids.model2}`)).versions.map((v: { versionId: string }) => v.versionId)).toEqual([w.ids.version2.toLowerCase()]);
    expect((await list("/versions?status=APPROVED")).versions.map((v: { versionId: string }) => v.versionId)).toEqual([w.ids.versionId.toLowerCase()]);
    expect((await list(`/versions?developer=${ORG.DEVELOPER_B}`)).versions).toEqual([]);
    const first = await list("/versions?limit=1");
    expect(first.versions).toHaveLength(1);
    const second = await list(`/versions?limit=1&after=${first.next}`);
    expect(second.versions.map((v: { versionId: string }) => v.versionId)).toEqual([w.ids.version2.toLowerCase()]);
    expect(second.next).toBeNull();
  });

  it("refuses an unknown status and a malformed cursor by name", async () => {
    const w = await world();
    for (const url of ["/versions?status=LOST", "/datasets?after=abc", "/versions?developer=x"]) {
      const r = await w.app.inject({ url });
      expect([r.statusCode, typeof r.json().error.code], url).toEqual([400, "string"]);
    }
  });
});

describe("sentences as a person writes them", () => {
  const world = sharedApp();
  it("policy refusals in the policy's own terms, roles with their article, organisations with their names", async () => {
    const { explain } = await import("../../src/sdk");
    const v = "0x" + "ab".repeat(32);
    expect(explain("ModelRegistryPolicyNotMet", [v, 0, 8800n, 9000n])).toBe("version 0xabababab… misses the approval policy of its risk class: AUC 0.88 is below the required 0.90");
    expect(explain("ModelRegistryPolicyNotMet", [v, 1, 600n, 500n])).toMatch(/the AUC gap between subgroups, 0\.06, is above the allowed 0\.05$/);
    expect(explain("ModelRegistryPolicyNotMet", [v, 2, 250n, 300n])).toMatch(/250 bias test cases are fewer than the required 300$/);
    expect(explain("ModelRegistryPolicyNotMet", [v, 3, 1500n, 2000n])).toMatch(/a grassroots share of 15% is below the required 20%$/);
    expect(explain("ConsortiumWrongRole", [7n, 4n, 1n])).toBe("organisation 7 is an auditor; only a hospital may do this");
    expect(explain("ConsortiumWrongRole", [7n, 2n, 3n], { orgName: (id) => (id === 7 ? "Developer B" : null) })).toBe("organisation 7 (Developer B) is a model developer; only a regulator may do this");
    expect(explain("ModelRegistryInvalidTransition", [v, 4n, 2n])).toBe("version 0xabababab… is recalled and cannot become approved");
  });

  it("receipt findings give a confidence as a percentage and tiers by name", async () => {
    const { checkClinicalRules } = await import("../../src/sdk/traces/checks");
    const { Tier, ClinicianAction } = await import("../../src/constants");
    const record = { confidenceBps: 7000, tier: Tier.REVIEW, action: ClinicianAction.ACCEPTED } as Parameters<typeof checkClinicalRules>[0];
    expect(checkClinicalRules(record).map((r) => r.message)).toEqual([
      "a confidence of 70% (7000 bps) demands the TAKEOVER tier, but the record says REVIEW (1)",
      "the clinician accepted an output in the TAKEOVER tier (confidence 70% (7000 bps)), where a human must take over",
    ]);
  });

  it("a ledger refusal the API relays names the organisation it is about", async (t) => {
    const { Patient } = await import("../../src/sdk");
    const { Purpose } = await import("../../src/constants");
    const w = await seeded(apiSeed);
    // The relayer's own organisation is suspended: the chain refuses its writes, by its number.
    const { app: relaying } = await serve(t, w.l, { relayer: w.l.suspendedHospital, indexerStats: undefined });
    const signed = await new Patient(w.l, w.l.patient2).signGrant({ purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_A, expiresAt: (await time.latest()) + 10 ** 6 });
    const r = await relaying.inject({ method: "POST", url: "/relay", payload: signed });
    expect([r.statusCode, r.json().error]).toEqual([422, { code: "ConsortiumMemberNotActive", message: `organisation ${ORG.HOSPITAL_SUSPENDED} (Hospital Suspended) is suspended, so it cannot write to the ledger` }]);
  });

  it("the API's refusals say who may read what", async () => {
    const w = await world();
    const developer = await w.bearer(w.l.developer);
    const r = await w.app.inject({ url: "/batches", headers: { authorization: developer } });
    expect([r.statusCode, r.json().error]).toEqual([403, { code: "FORBIDDEN", message: "a model developer may not read this (it is for hospitals, regulators, auditors, appraisers)" }]);
  });
});

describe("the OpenAPI document", () => {
  const world = sharedApp();
  it("every route has a summary, a description, tags, a described answer per status with an example, and the bearer scheme", async () => {
    const w = await world();
    const { ROUTE_DOCS } = await import("../../src/api/docs");
    const { ERROR_CATALOGUE } = await import("../../src/api");
    const doc = (await w.app.inject({ url: "/openapi.json" })).json();
    expect(doc.components.securitySchemes.session).toMatchObject({ type: "http", scheme: "bearer", description: expect.stringMatching(/POST \/auth\/verify/) });
    const problems: string[] = [];
    let operations = 0;
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(methods)) {
        operations++;
        const at = `${method.toUpperCase()} ${path}`;
        if (!ROUTE_DOCS[at]) problems.push(`${at}: not in ROUTE_DOCS`);
        if (!op.summary || op.summary !== ROUTE_DOCS[at]?.summary) problems.push(`${at}: summary ${op.summary} is not its ROUTE_DOCS summary`);
        if (!op.description || op.description.length < 20) problems.push(`${at}: no description`);
        if (!op.tags?.length) problems.push(`${at}: no tags`);
        if (!JSON.stringify(op.security ?? []).includes('{"session":[]}')) problems.push(`${at}: no bearer scheme`);
        for (const [status, r] of Object.entries(op.responses as Record<string, any>)) {
          if (!r.description || r.description === "Default Response") problems.push(`${at} ${status}: default description`);
          const media = Object.values(r.content ?? {})[0] as { example?: unknown } | undefined;
          if (media && media.example === undefined) problems.push(`${at} ${status}: no example`);
          const code = (media?.example as { error?: { code: string } } | undefined)?.error?.code;
          if (code && !(code in ERROR_CATALOGUE) && !/^[A-Z][A-Za-z]+$/.test(code)) problems.push(`${at} ${status}: example code ${code} is not a catalogue code`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(operations).toBeGreaterThanOrEqual(30);
    // Public routes take the token optionally; the others require it.
    expect(doc.paths["/members"].get.security).toEqual([{}, { session: [] }]);
    expect(doc.paths["/batches"].get.security).toEqual([{ session: [] }]);
    expect(doc.paths["/batches"].get.description).toMatch(/Who may call it: HOSPITAL, REGULATOR, AUDITOR/);
    expect(doc.paths["/datasets/{id}"].get.responses["200"].content["application/json"].example).toMatchObject({ statusName: expect.any(String), registeredTimeIso: "2026-05-01T12:00:00.000Z" });
  });

  it("/docs shows the same document", async () => {
    const w = await world();
    let page = await w.app.inject({ url: "/docs" });
    for (let hops = 0; page.statusCode === 302 && hops < 3; hops++) page = await w.app.inject({ url: new URL(String(page.headers.location), "http://x/docs/").pathname });
    expect(page.statusCode, page.body.slice(0, 200)).toBe(200);
    expect(page.body).toMatch(/swagger/i);
    const json = (await w.app.inject({ url: "/docs/json" })).json();
    expect(json.paths["/versions"].get.summary).toBe("List model versions");
  });
});
