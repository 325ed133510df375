/**
 * The routes the web app reads, in the access table and the OpenAPI document like every other:
 * GET /auth/me (the caller's role as every route judges it, from the ledger at the head),
 * GET /policies (the approval policy per risk class, public), GET /consents/:subject/revocation-impact
 * (the subject's own copy of the oversight report) and, on a server that serves the app,
 * GET /web/config.json and /web/demo-identities.json. In-process (Fastify inject) over the fixture ledger.
 */
import { describe, it, expect, type TestContext } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Signer } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG } from "../helpers/fixture";
import { AUTH } from "../helpers/api-fixture";
import { readOnly, seeded, serve } from "../helpers/api-build";
import { modelWithVersion } from "../helpers/builders";
import { DEFAULT_POLICIES, Purpose } from "../../src/constants";
import { ROUTE_DOCS } from "../../src/api/docs";

const WEB = { config: { chainId: 31337, siwe: { domain: AUTH.domain, uri: AUTH.uri }, consentDomain: { name: "medprov.ConsentRegistry", version: "1", chainId: 31337, verifyingContract: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707" } } };

/** An approved version, the patient's MODEL_TRAINING consent granted and revoked, and a demo identities file naming three of the ledger's keys. */
async function webSeed() {
  const l = await ledgerFixture();
  await modelWithVersion(l, { approve: true });
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.MODEL_TRAINING, 0, (await time.latest()) + 10 ** 6)).wait();
  await (await l.consents.connect(l.patient).revokeConsent(l.patient.address, Purpose.MODEL_TRAINING, 0)).wait();
  const dir = mkdtempSync(join(tmpdir(), "medprov-web-routes-"));
  const identities = join(dir, "identities.json");
  writeFileSync(identities, JSON.stringify({ warning: "DEMO ONLY", chainId: 31337, identities: [
    { name: "governance", role: "GOVERNANCE", organisation: null, address: l.governance.address, privateKey: "0x" + "11".repeat(32) },
    { name: "hospital-1", role: "HOSPITAL", organisation: { id: 1, name: "Hospital A" }, address: l.hospitalA.address, privateKey: "0x" + "22".repeat(32) },
    { name: "patient-0", role: "PATIENT", organisation: null, address: l.patient.address, privateKey: "0x" + "33".repeat(32), mrn: "MRN-100000" },
  ] }));
  return { l, identities };
}

/** The web app's routes on apps over the seeded chain. */
const webOptions = (w: { identities: string }) => ({ web: { ...WEB, identities: w.identities }, rateLimit: 1_000_000 });

/** The seeded chain behind an app of test `t`'s own that serves the web app's routes (for a test that writes). */
async function world(t: TestContext) {
  const w = await seeded(webSeed);
  const api = await serve(t, w.l, webOptions(w));
  return { ...w, ...api, signIn: api.bearer };
}

describe("the web app's routes", () => {
  const shared = readOnly(webSeed, webOptions);
  /** The describe's one app, for the tests that only read. */
  const reader = async () => {
    const api = await shared();
    return { ...api, signIn: api.bearer };
  };
  it("GET /auth/me: each caller's address, role and organisation from the ledger; anonymous is 401", async () => {
    const { l, app, signIn } = await reader();
    const cases: [Signer, string, number, string | null][] = [
      [l.patient, "PATIENT", 0, null],
      [l.hospitalA, "HOSPITAL", ORG.HOSPITAL_A, "Hospital A"],
      [l.developer, "MODEL_DEVELOPER", ORG.DEVELOPER, "Model Developer"],
      [l.regulator, "REGULATOR", ORG.REGULATOR, "Regulator"],
      [l.auditor, "AUDITOR", ORG.AUDITOR, "Auditor"],
    ];
    for (const [signer, role, orgId, orgName] of cases) {
      const r = await app.inject({ url: "/auth/me", headers: { authorization: await signIn(signer) } });
      expect([r.statusCode, r.json()]).toEqual([200, { address: await signer.getAddress(), role, orgId, orgName }]);
    }
    const anonymous = await app.inject({ url: "/auth/me" });
    expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([401, "UNAUTHENTICATED"]);
    // A suspended member is refused by name, as on every route (the role is read at the head).
    const suspended = await signIn(l.suspendedHospital);
    const s = await app.inject({ url: "/auth/me", headers: { authorization: suspended } });
    expect([s.statusCode, s.json().error.code, s.json().error.message]).toEqual([403, "FORBIDDEN", expect.stringMatching(/not active/)]);
  });

  it("GET /policies: the ledger's policy per risk class, public, with percentages beside basis points", async (t) => {
    const { l, app } = await world(t);
    const r = await app.inject({ url: "/policies" });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { riskClassName: string; minAuc: number; minAucPercent: number; maxSubgroupAucGap: number; minBiasTestCases: number; minGrassrootsShare: number; requiresWhitePaper: boolean; requiresInsurance: boolean }[];
    expect(body.map((p) => p.riskClassName)).toEqual(["HIGH", "MEDIUM", "LOW"]);
    for (const p of body) {
      expect({ minAuc: p.minAuc, maxSubgroupAucGap: p.maxSubgroupAucGap, minBiasTestCases: p.minBiasTestCases, minGrassrootsShare: p.minGrassrootsShare, requiresWhitePaper: p.requiresWhitePaper, requiresInsurance: p.requiresInsurance }).toEqual(DEFAULT_POLICIES[p.riskClassName as keyof typeof DEFAULT_POLICIES]);
      expect(p.minAucPercent).toBe(p.minAuc / 100);
    }
    // Governance changes a policy: the route answers the ledger's new figures, not the constants.
    const high = { minAuc: 9_100, maxSubgroupAucGap: 400, minBiasTestCases: 350, minGrassrootsShare: 2_100, requiresWhitePaper: true, requiresInsurance: false };
    await l.govern({ target: l.models, data: l.models.interface.encodeFunctionData("setPolicy", [1, high]) });
    const { app: fresh } = await serve(t, l);
    expect((await fresh.inject({ url: "/policies" })).json()[0]).toMatchObject({ riskClassName: "HIGH", ...high, minAucPercent: 91 });
  });

  it("GET /consents/:subject/revocation-impact: the subject and oversight read it; another patient, a hospital and a developer are refused", async () => {
    const { l, app, signIn } = await reader();
    const url = `/consents/${l.patient.address}/revocation-impact`;
    const expected: [Signer | undefined, number][] = [[undefined, 401], [l.patient, 200], [l.patient2, 403], [l.hospitalA, 403], [l.developer, 403], [l.regulator, 200], [l.auditor, 200]];
    for (const [signer, status] of expected) {
      const r = await app.inject({ url, headers: signer ? { authorization: await signIn(signer) } : {} });
      expect(r.statusCode, `${signer ? await signer.getAddress() : "anonymous"}: ${r.body.slice(0, 200)}`).toBe(status);
      if (status !== 200) expect(r.json().error.code).toBe(status === 401 ? "UNAUTHENTICATED" : "FORBIDDEN");
    }
    // The same answer as the oversight report.
    const auditor = await signIn(l.auditor);
    const own = (await app.inject({ url, headers: { authorization: await signIn(l.patient) } })).json();
    expect(own).toEqual((await app.inject({ url: `/reports/revocation-impact/${l.patient.address}`, headers: { authorization: auditor } })).json());
    expect(own.map((r: { purposeName: string; granteeName: string | null }) => [r.purposeName, r.granteeName])).toEqual([["MODEL_TRAINING", "any member"]]);
  });

  it("GET /web/config.json and /web/demo-identities.json are public, without governance's key", async (t) => {
    const { l, app } = await reader();
    const config = await app.inject({ url: "/web/config.json" });
    expect([config.statusCode, config.json()]).toEqual([200, { ...WEB.config, demo: true }]);
    const ids = await app.inject({ url: "/web/demo-identities.json" });
    expect(ids.statusCode).toBe(200);
    expect(ids.json().identities.map((i: { name: string }) => i.name)).toEqual(["hospital-1", "patient-0"]);
    expect(ids.json().identities[1].mrn).toBe("MRN-100000");
    // No web options (no app served): no /web routes, so no demo keys.
    const { app: plain } = await serve(t, l);
    expect((await plain.inject({ url: "/web/demo-identities.json" })).statusCode).toBe(404);
    expect((await plain.inject({ url: "/web/config.json" })).statusCode).toBe(404);
  });

  it("the OpenAPI document lists each with its words and who may call it; /web/role is gone", async () => {
    const { l, app } = await reader();
    const doc = (await app.inject({ url: "/openapi.json" })).json();
    const ops: [string, string, RegExp][] = [
      ["/auth/me", "get", /Who may call it: HOSPITAL, MODEL_DEVELOPER, REGULATOR, AUDITOR, APPRAISER, patient/],
      ["/policies", "get", /and anyone not signed in/],
      ["/consents/{subject}/revocation-impact", "get", /Who may call it: patient, HOSPITAL, REGULATOR, AUDITOR/],
      ["/web/config.json", "get", /and anyone not signed in/],
      ["/web/demo-identities.json", "get", /and anyone not signed in/],
    ];
    for (const [path, method, who] of ops) {
      const op = doc.paths[path]?.[method];
      expect(op?.summary, path).toBe(ROUTE_DOCS[`${method.toUpperCase()} ${path}`].summary);
      expect(op.description).toMatch(who);
      expect(op.responses["200"].content["application/json"].example).toBeDefined();
    }
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/web/role"))).toEqual([]);
    expect((await app.inject({ url: `/web/role/${l.patient.address}` })).statusCode).toBe(404);
  });
});
