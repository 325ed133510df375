/**
 * The audit API in-process (Fastify inject) over an indexed in-process ledger: the access matrix
 * cell by cell, SIWE's refusals, schema-violating input, and receipt verification.
 */
import { describe, it, expect, beforeAll, vi } from "vitest";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { SiweMessage } from "siwe";
import type { Signer } from "ethers";
import type { FastifyInstance } from "fastify";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { fhirProblems } from "../helpers/fhir-validate";
import { errorOf } from "../helpers/error-body";
import { deploymentOf, indexFresh } from "../helpers/indexing";
import { AUTH, anchorTwoTraces, buildApi } from "../helpers/api-fixture";
import { modelWithVersion } from "../helpers/builders";
import type { TraceReceipt } from "../../src/sdk";
import { Purpose, Role } from "../../src/constants";
import { IndexStore, createQueries } from "../../src/indexer";
import Fastify from "fastify";
import fastifyHelmet from "@fastify/helmet";
import { ACCESS_RULES, API_HELMET_OPTIONS, allowed, buildApp, createAuth, createFastify, helmetHeaders, type Access, type CallerKind } from "../../src/api";


let l: Ledger;
let app: FastifyInstance;
let ids: { datasetId: string; modelId: string; versionId: string };
let receipts: TraceReceipt[];
let reindex: () => Promise<void>;

async function siwe(signer: Signer, o: Partial<{ domain: string; uri: string; chainId: number; nonce: string; expirationTime: string }> = {}) {
  const nonce = o.nonce ?? (await app.inject({ method: "POST", url: "/auth/nonce" })).json().nonce;
  const message = new SiweMessage({ domain: o.domain ?? AUTH.domain, address: await signer.getAddress(), statement: "Sign in to medprov", uri: o.uri ?? AUTH.uri, version: "1", chainId: o.chainId ?? AUTH.chainId, nonce, issuedAt: new Date(Date.now() - 1000).toISOString(), expirationTime: o.expirationTime }).prepareMessage();
  return { message, signature: await signer.signMessage(message), nonce };
}

async function signIn(signer: Signer): Promise<string> {
  const { message, signature } = await siwe(signer);
  const r = await app.inject({ method: "POST", url: "/auth/verify", payload: { message, signature } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().session;
}

/** Signs in to an auth instance directly (no HTTP); the bearer header value. */
async function bearerOf(auth: ReturnType<typeof createAuth>, signer: Signer): Promise<string> {
  const { message, signature } = await siwe(signer, { nonce: auth.issueNonce() });
  return `Bearer ${(await auth.signIn(message, signature)).session}`;
}

beforeAll(async () => {
  l = await ledgerFixture();
  // An appraisal body (issue 18): it reads what an auditor reads.
  await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("admitMember", ["Appraisal Board", Role.APPRAISER, [l.spare[0].address]]) });
  ids = await modelWithVersion(l, { approve: true });
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_A, (await time.latest()) + 10 ** 6)).wait();
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.RESEARCH, ORG.HOSPITAL_B, (await time.latest()) + 10 ** 6)).wait();
  await (await l.models.connect(l.hospitalA).recordDeployment(ids.versionId)).wait();
  await time.increase(10);
  receipts = await anchorTwoTraces(l, ids.versionId);
  ({ app, reindex } = await buildApi(l));
}, 120_000);

describe("audit API", () => {
  describe("access matrix: every role × every route", () => {
    const roles: CallerKind[] = ["anonymous", "patient", "HOSPITAL", "MODEL_DEVELOPER", "REGULATOR", "AUDITOR", "APPRAISER"];
    const routes = (): [string, string, Access, unknown?][] => [
      ["GET", "/healthz", "public"],
      ["GET", "/readyz", "public"],
      ["GET", "/metrics", "public"],
      ["GET", "/openapi.json", "public"],
      ["GET", "/members", "public"],
      ["GET", "/models", "public"],
      ["GET", `/models/${ids.modelId}`, "public"],
      ["GET", `/versions/${ids.versionId}`, "public"],
      ["GET", `/datasets/${ids.datasetId}`, "public"],
      ["GET", `/datasets/${ids.datasetId}/lineage`, "public"],
      ["GET", `/versions/${ids.versionId}/deployments`, "members"],
      ["GET", `/versions/${ids.versionId}/reports`, "members"],
      ["GET", `/versions/${ids.versionId}/alerts`, "members"],
      ["GET", `/datasets/${ids.datasetId}/uses`, "hospital"],
      ["GET", `/consents/${l.patient.address}`, "subject"],
      ["GET", `/consents/${l.patient.address}/history`, "subject"],
      ["GET", `/consents/${l.patient.address}/valid?purpose=1&grantee=1`, "subject"],
      ["GET", "/batches", "hospital"],
      ["POST", "/verify", "verify", { receipts: [receipts[0]] }],
      ["GET", `/reports/recall-impact/${ids.versionId}`, "oversight"],
      ["GET", `/reports/revocation-impact/${l.patient.address}`, "oversight"],
      ["GET", "/reports/fairness-alerts", "oversight"],
      ["POST", "/reports/traces", "oversight", { receipts }],
      ["GET", `/fhir/Consent?patient=${l.patient.address}`, "subject"],
      ["GET", `/fhir/Provenance?version=${ids.versionId}`, "public"],
      ["GET", `/fhir/Provenance?batch=${receipts[0].batchId}`, "hospital"],
      ["GET", "/fhir/AuditEvent", "members"],
      // issue 17: lists, the FHIR endpoint's discovery and reads
      ["GET", "/datasets", "public"],
      ["GET", "/versions", "public"],
      ["GET", "/fhir/metadata", "public"],
      ["GET", "/fhir/Organization", "public"],
      ["GET", `/fhir/Organization/${ORG.HOSPITAL_A}`, "public"],
      ["GET", "/fhir/Device", "public"],
      ["GET", `/fhir/Device/${ids.versionId.slice(2)}`, "public"],
      ["GET", "/fhir/CodeSystem", "public"],
      ["GET", "/fhir/CodeSystem/purpose", "public"],
      ["GET", `/fhir/Consent/consent-${l.patient.address.toLowerCase().slice(2)}-${Purpose.CLINICAL_DECISION_SUPPORT}-${ORG.HOSPITAL_A}`, "subject"],
      ["GET", `/fhir/Provenance/${ids.versionId.slice(2)}`, "public"],
      ["GET", `/fhir/Provenance/${receipts[0].batchId.slice(2)}`, "hospital"],
    ];
    it("answers each cell with the status the access table gives", async () => {
      const signers: Record<CallerKind, Signer | undefined> = { anonymous: undefined, patient: l.patient, HOSPITAL: l.hospitalA, MODEL_DEVELOPER: l.developer, REGULATOR: l.regulator, AUDITOR: l.auditor, APPRAISER: l.spare[0] };
      let cells = 0;
      for (const role of roles) {
        const session = signers[role] ? await signIn(signers[role]!) : undefined;
        for (const [method, url, access, payload] of routes()) {
          const r = await app.inject({ method: method as "GET", url, payload: payload as object, headers: session ? { authorization: `Bearer ${session}` } : {} });
          const expected = allowed(access, role) ? 200 : role === "anonymous" ? 401 : 403;
          expect(r.statusCode, `${role} ${method} ${url}: ${r.body.slice(0, 200)}`).toBe(expected);
          if (expected !== 200) expect(errorOf(r.json())?.code).toBe(role === "anonymous" ? "UNAUTHENTICATED" : "FORBIDDEN");
          cells++;
        }
      }
      expect(cells).toBe(roles.length * routes().length);
      expect(Object.keys(ACCESS_RULES).sort()).toEqual(["hospital", "members", "oversight", "public", "subject", "verify"]);
    });

    it("scopes within a rule: another patient, another hospital, another hospital's batches", async () => {
      const other = await signIn(l.patient2);
      expect((await app.inject({ url: `/consents/${l.patient.address}`, headers: { authorization: `Bearer ${other}` } })).statusCode).toBe(403);
      const b = await signIn(l.hospitalB);
      expect((await app.inject({ url: `/datasets/${ids.datasetId}/uses`, headers: { authorization: `Bearer ${b}` } })).statusCode).toBe(403);
      expect((await app.inject({ url: "/batches?hospital=1", headers: { authorization: `Bearer ${b}` } })).statusCode).toBe(403);
      expect((await app.inject({ url: "/batches", headers: { authorization: `Bearer ${b}` } })).json().batches).toEqual([]);
      // Hospital B sees only the consent that names it.
      const seen = (await app.inject({ url: `/consents/${l.patient.address}`, headers: { authorization: `Bearer ${b}` } })).json();
      expect(seen.map((c: { grantee: number }) => c.grantee)).toEqual([ORG.HOSPITAL_B]);
      // A delegate (guardian) sees the subject's consents.
      await (await l.consents.connect(l.patient).appointDelegate(l.guardian.address)).wait();
      await reindex();
      const g = await signIn(l.guardian);
      expect((await app.inject({ url: `/consents/${l.patient.address}`, headers: { authorization: `Bearer ${g}` } })).json()).toHaveLength(2);
    });

    it("a suspended member loses access on its next request", async () => {
      const b = await signIn(l.hospitalB);
      expect((await app.inject({ url: "/batches", headers: { authorization: `Bearer ${b}` } })).statusCode).toBe(200);
      const snapshot = await hre.network.provider.send("evm_snapshot", []);
      await (await l.consortium.connect(l.regulator).suspendMember(ORG.HOSPITAL_B)).wait();
      // The app looks at the head at most every 100 ms (headMaxAgeMs) and re-reads roles when it moved.
      await new Promise((r) => setTimeout(r, 150));
      const r = await app.inject({ url: "/batches", headers: { authorization: `Bearer ${b}` } });
      expect([r.statusCode, r.json().error.code]).toEqual([403, "FORBIDDEN"]);
      await hre.network.provider.send("evm_revert", [snapshot]);
    });

    it("an unreachable chain node is a 503 NOT_READY for signed-in callers, not a 500, and is not remembered", async () => {
      let down = true;
      const flaky = new Proxy(hre.ethers.provider, {
        get: (target, prop, receiver) => (prop === "getBlockNumber" ? () => (down ? Promise.reject(new Error("connect ECONNREFUSED")) : target.getBlockNumber()) : Reflect.get(target, prop, receiver)),
      });
      const auth = createAuth(l, flaky, { ...AUTH, headMaxAgeMs: 0 });
      const bearer = await bearerOf(auth, l.auditor);
      await expect(auth.caller(bearer)).rejects.toMatchObject({ code: "NOT_READY", status: 503 });
      down = false;
      expect(await auth.caller(bearer)).toMatchObject({ kind: "AUDITOR" });
    });

    it("with headMaxAgeMs 0, the very next request after a key revocation or suspension is refused", async () => {
      const auth = createAuth(l, hre.ethers.provider, { ...AUTH, headMaxAgeMs: 0 });
      const bearer = await bearerOf(auth, l.hospitalB);
      expect(await auth.caller(bearer)).toMatchObject({ kind: "HOSPITAL", orgId: ORG.HOSPITAL_B });
      expect(await auth.caller(bearer)).toMatchObject({ kind: "HOSPITAL" }); // same head: answered from the cache
      const snapshot = await hre.network.provider.send("evm_snapshot", []);
      await (await l.consortium.connect(l.hospitalB).revokeKey(l.hospitalB.address)).wait();
      await expect(auth.caller(bearer)).rejects.toMatchObject({ code: "FORBIDDEN", message: /revoked/ });
      await hre.network.provider.send("evm_revert", [snapshot]);
      expect(await auth.caller(bearer)).toMatchObject({ kind: "HOSPITAL" });
      const again = await hre.network.provider.send("evm_snapshot", []);
      await (await l.consortium.connect(l.regulator).suspendMember(ORG.HOSPITAL_B)).wait();
      await expect(auth.caller(bearer)).rejects.toMatchObject({ code: "FORBIDDEN", message: /not active/ });
      await hre.network.provider.send("evm_revert", [again]);
    });
  });

  describe("SIWE", () => {
    const verify = async (payload: object) => app.inject({ method: "POST", url: "/auth/verify", payload });
    it("issues a fresh session per sign-in and rejects a replayed nonce", async () => {
      const { message, signature } = await siwe(l.auditor);
      const m = { message, signature };
      const first = await verify(m);
      expect(first.statusCode).toBe(200);
      const again = await verify(m);
      expect([again.statusCode, again.json().error.code]).toEqual([401, "SIWE_INVALID"]);
      expect(await signIn(l.auditor)).not.toBe(first.json().session);
    });
    it("rejects an expired message, a wrong domain, URI or chain, and another key's signature", async () => {
      const cases = [
        await siwe(l.auditor, { expirationTime: new Date(Date.now() - 60_000).toISOString() }),
        await siwe(l.auditor, { domain: "evil.example" }),
        await siwe(l.auditor, { uri: "https://evil.example" }),
        await siwe(l.auditor, { chainId: 1 }),
        { ...(await siwe(l.auditor)), signature: (await siwe(l.outsider)).signature },
        { message: "hello", signature: "0x" + "11".repeat(65) },
      ];
      for (const c of cases) {
        const r = await verify({ message: c.message, signature: c.signature });
        expect(r.statusCode, r.body).toBe(401);
        expect(r.json().error.code).toBe("SIWE_INVALID");
      }
      const r = await app.inject({ url: "/batches", headers: { authorization: "Bearer forged" } });
      expect([r.statusCode, r.json().error.code]).toEqual([401, "UNAUTHENTICATED"]);
      expect(r.json().error.message).toMatch(/unknown or expired/);
      // A real session without its "Bearer " scheme is told so, not that the session expired.
      const bare = await app.inject({ url: "/batches", headers: { authorization: (await signIn(l.auditor)).replace(/^Bearer /, "") } });
      expect([bare.statusCode, bare.json().error.code]).toEqual([401, "UNAUTHENTICATED"]);
      expect(bare.json().error.message).toMatch(/must be 'Bearer <session>'/);
    });
  });

  describe("bad input: 4xx with a code, never 500, nothing changed", () => {
    it("wrong types, missing and extra fields, oversize bodies, __proto__ keys", async () => {
      const s = await signIn(l.auditor);
      const auth = { authorization: `Bearer ${s}` };
      const cases: [string, string, unknown, number, string?][] = [
        ["GET", "/consents/not-an-address", undefined, 400],
        ["GET", `/consents/${l.patient.address}/valid?purpose=x&grantee=1`, undefined, 400],
        ["GET", `/consents/${l.patient.address}/valid?grantee=1`, undefined, 400],
        ["GET", `/consents/${l.patient.address}/valid?purpose=1&grantee=1&extra=1`, undefined, 400],
        ["GET", "/datasets/0x1234", undefined, 400],
        ["GET", `/datasets/${"0x" + "00".repeat(32)}`, undefined, 404],
        ["GET", "/batches?limit=0", undefined, 400],
        ["GET", "/batches?after=abc", undefined, 400],
        ["POST", "/verify", { receipts: [] }, 400],
        ["POST", "/verify", { receipt: receipts[0] }, 400],
        ["POST", "/verify", { receipts: [receipts[0]], extra: true }, 400],
        ["POST", "/verify", { receipts: "x" }, 400],
        ["POST", "/verify", "{\"receipts\":[{\"__proto__\":{\"admin\":true}}]}", 400],
        // Receipt routes take up to 2 MiB (500 real receipts fit, test/api/reports.test.ts); others 1 MiB.
        ["POST", "/verify", JSON.stringify({ receipts: [{ pad: "x".repeat(2_200_000) }] }), 413],
        ["POST", "/relay", JSON.stringify({ kind: "grant", pad: "x".repeat(1_100_000) }), 413],
        ["POST", "/auth/verify", { message: "m" }, 400],
        ["POST", "/auth/verify", { message: 1, signature: 2 }, 400],
        ["POST", "/relay", { kind: "grant" }, 400],
        ["POST", "/relay", { kind: "grant", request: { subject: "x" }, signature: "0x00" }, 400],
        ["POST", "/reports/traces", { receipts: [] }, 400],
        ["GET", "/fhir/Consent", undefined, 400],
        ["GET", `/fhir/Provenance?version=${ids.versionId}&batch=${receipts[0].batchId}`, undefined, 400],
        ["GET", "/fhir/Provenance", undefined, 400],
        ["GET", `/fhir/Provenance?batch=${"0x" + "00".repeat(32)}`, undefined, 404],
        ["GET", "/fhir/AuditEvent?since=yesterday", undefined, 400],
        ["GET", "/nope", undefined, 404],
      ];
      for (const [method, url, payload, status] of cases) {
        const r = await app.inject({ method: method as "GET", url, headers: { ...auth, "content-type": "application/json" }, payload: payload as string });
        expect(r.statusCode, `${method} ${url} ${r.body.slice(0, 160)}`).toBe(status);
        expect(typeof errorOf(r.json())?.code).toBe("string");
      }
    });
  });

  describe("POST /verify", () => {
    it("valid receipts pass every check including consent at the time; a flipped byte gets its named reason", async () => {
      const s = await signIn(l.hospitalA);
      const withConsent = receipts.find((r) => r.record.subject === l.patient.address)!;
      const without = receipts.find((r) => r.record.subject !== l.patient.address)!;
      const tampered = { ...withConsent, record: { ...withConsent.record, confidenceBps: withConsent.record.confidenceBps - 1 } };
      const r = await app.inject({ method: "POST", url: "/verify", headers: { authorization: `Bearer ${s}` }, payload: { receipts: [withConsent, without, tampered] } });
      const [ok, noConsent, bad] = r.json().results;
      expect(ok).toEqual({ valid: true, reasons: [], skipped: [] });
      expect(noConsent.reasons.map((x: { code: string }) => x.code)).toEqual(["CONSENT_NOT_VALID_AT_TIME"]);
      expect(bad.reasons.map((x: { code: string }) => x.code)).toEqual(["LEAF_MISMATCH", "PROOF_INVALID"]);
    });
  });

  it("reports consent coverage, tier compliance and override rate per version over given receipts", async () => {
    const s = await signIn(l.auditor);
    const r = await app.inject({ method: "POST", url: "/reports/traces", headers: { authorization: `Bearer ${s}` }, payload: { receipts } });
    // The figures sit under `versions`, beside what was left out (nothing here): see test/api/reports.test.ts.
    expect(r.json()).toEqual({ received: 2, counted: 2, duplicates: 0, excluded: [], versions: [{
      versionId: ids.versionId.toLowerCase(), traces: 2, anchored: 2, consentCovered: 1, tierCompliant: 2, overrides: 0, acceptedAtTakeover: 0,
      consentCoverage: 0.5, tierCompliance: 1, overrideRate: 0,
    }], indications: [expect.objectContaining({ // issue 18: two format-1 traces, their indication unknown (test/api/reports.test.ts has format 2)
      versionId: ids.versionId.toLowerCase(), hospital: receipts[0].record.hospital, traces: 2, indicationUnknown: 2, approvalUnknown: 0, offIndication: 0, warned: 0,
    })] });
  });

  it("relays a patient's signed consent with the hospital's key, refusing replays and grants signed before a revocation by name", async () => {
    const { Patient } = await import("../../src/sdk");
    const signed = await new Patient(l, l.patient2).signGrant({ purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_A, expiresAt: (await time.latest()) + 86_400 });
    expect((await app.inject({ method: "POST", url: "/relay", payload: signed })).json().error.code).toBe("RELAY_DISABLED");
    const { app: relaying, store } = await buildApi(l, { relayer: l.hospitalA, indexerStats: undefined });
    const r = await relaying.inject({ method: "POST", url: "/relay", payload: signed });
    expect(r.statusCode, r.body).toBe(200);
    expect(await l.consents.isConsentValid(l.patient2.address, Purpose.TREATMENT, ORG.HOSPITAL_A)).toBe(true);
    const replay = await relaying.inject({ method: "POST", url: "/relay", payload: signed });
    expect([replay.statusCode, replay.json().error.code]).toEqual([422, "ConsentRegistrySuperseded"]);
    // A renewal the hospital holds, then the patient's revocation: relayed after it, the renewal is void.
    const renewal = await new Patient(l, l.patient2).signGrant({ purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_A, expiresAt: (await time.latest()) + 7 * 86_400 });
    const revocation = await new Patient(l, l.patient2).signRevoke({ purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_A });
    expect((await relaying.inject({ method: "POST", url: "/relay", payload: revocation })).statusCode).toBe(200);
    const late = await relaying.inject({ method: "POST", url: "/relay", payload: renewal });
    expect([late.statusCode, late.json().error.code], late.body).toEqual([422, "ConsentRegistryGrantRevoked"]);
    expect(late.json().error.message).toMatch(/at or before the patient's revocation/);
    expect(await l.consents.isConsentValid(l.patient2.address, Purpose.TREATMENT, ORG.HOSPITAL_A)).toBe(false);
    expect((await relaying.inject({ method: "POST", url: "/relay", payload: { ...signed, extra: 1 } })).statusCode).toBe(400);
    await relaying.close();
    await store.close();
  });

  it("CORS: only configured origins get CORS headers and preflights; with none configured, no origin does", async () => {
    const patientApp = "https://patient.example";
    const preflight = { method: "OPTIONS" as const, url: `/consents/${l.patient.address}`, headers: { origin: patientApp, "access-control-request-method": "GET", "access-control-request-headers": "authorization" } };
    const none = await app.inject({ url: "/healthz", headers: { origin: patientApp } });
    expect(none.headers["access-control-allow-origin"]).toBeUndefined();
    expect((await app.inject(preflight)).statusCode).toBe(404);
    const { app: withCors, store } = await buildApi(l, { corsOrigins: [patientApp], indexerStats: undefined });
    const allowedOrigin = await withCors.inject({ url: "/healthz", headers: { origin: patientApp } });
    expect([allowedOrigin.statusCode, allowedOrigin.headers["access-control-allow-origin"]]).toEqual([200, patientApp]);
    expect((await withCors.inject({ url: "/healthz", headers: { origin: "https://elsewhere.example" } })).headers["access-control-allow-origin"]).toBeUndefined();
    const pre = await withCors.inject(preflight);
    expect([pre.statusCode, pre.headers["access-control-allow-origin"], pre.headers["access-control-allow-headers"]]).toEqual([204, patientApp, "authorization"]);
    await withCors.close();
    await store.close();
  });

  it("rate limits per client: behind a trusted proxy by X-Forwarded-For, otherwise by the peer's address", async () => {
    const deployment = await deploymentOf(l);
    const { store } = await indexFresh(deployment);
    const build = async (trustProxy?: string[]) => {
      const a = createFastify({ trustProxy });
      await a.register(buildApp, { queries: createQueries(store), ledger: l, deployment, provider: hre.ethers.provider, auth: AUTH, rateLimit: 3 });
      return a;
    };
    const from = (a: FastifyInstance, client: string, remoteAddress = "127.0.0.1") => a.inject({ url: "/healthz", remoteAddress, headers: { "x-forwarded-for": client } }).then((r) => r.statusCode);
    const proxied = await build(["127.0.0.1"]);
    expect([await from(proxied, "203.0.113.1"), await from(proxied, "203.0.113.1"), await from(proxied, "203.0.113.1"), await from(proxied, "203.0.113.1")]).toEqual([200, 200, 200, 429]);
    expect(await from(proxied, "203.0.113.2")).toBe(200); // another client behind the proxy has its own budget
    expect(await from(proxied, "203.0.113.2", "198.51.100.7")).toBe(200); // not from the proxy: its own address counts…
    expect([await from(proxied, "203.0.113.2", "198.51.100.7"), await from(proxied, "203.0.113.2", "198.51.100.7"), await from(proxied, "203.0.113.2", "198.51.100.7")]).toEqual([200, 200, 429]); // …and its header is ignored
    const direct = await build();
    expect([await from(direct, "203.0.113.1"), await from(direct, "203.0.113.2"), await from(direct, "203.0.113.3"), await from(direct, "203.0.113.4")]).toEqual([200, 200, 200, 429]);
    await proxied.close();
    await direct.close();
    await store.close();
  });

  it("serves a memoised answer's text until the index changes, then the new answer", async () => {
    await reindex(); // earlier tests wrote to the chain
    const auditor = `Bearer ${await signIn(l.auditor)}`;
    const read = () => app.inject({ method: "GET", url: `/consents/${l.patient2.address}/history`, headers: { authorization: auditor } });
    const before = await read();
    // The repeat is answered from the memo: the same text, and not one read of the store.
    const reads = vi.spyOn(IndexStore.prototype, "list");
    try {
      expect((await read()).body).toBe(before.body);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
    await (await l.consents.connect(l.patient2).grantConsent(l.patient2.address, Purpose.TREATMENT, ORG.HOSPITAL_B, (await time.latest()) + 10 ** 6)).wait();
    await reindex();
    const after = (await read()).json();
    expect(after).toHaveLength(before.json().length + 1);
    expect(after.at(-1)).toMatchObject({ kind: "GRANTED", purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_B });
  });

  it("memoising serializers: each object's text is remembered, and fields outside the schema are still dropped", async () => {
    const { memoisingSerializers } = await import("../../src/api/server");
    const serialize = memoisingSerializers()(undefined, undefined)({ method: "GET", url: "/x", httpStatus: "200", schema: { type: "object", additionalProperties: false, properties: { a: { type: "integer" } } } });
    const doc = { a: 1, secret: "never" };
    expect(serialize(doc)).toBe('{"a":1}');
    doc.a = 2; // results are never mutated (IndexStore.memo); if one were, its first text would stand
    expect(serialize(doc)).toBe('{"a":1}');
    expect(serialize({ a: 2, secret: "never" })).toBe('{"a":2}');
  });

  describe("FHIR R4 export", () => {
    const bundle = async (url: string, signer?: Signer) => {
      const r = await app.inject({ url, headers: signer ? { authorization: `Bearer ${await signIn(signer)}` } : {} });
      expect(r.statusCode, r.body.slice(0, 200)).toBe(200);
      expect(r.headers["content-type"]).toMatch(/^application\/fhir\+json/);
      const b = r.json();
      expect(fhirProblems(b)).toEqual([]);
      return b as { total: number; entry: { resource: Record<string, any> }[] };
    };

    it("Consent per subject: valid R4, one per slot, scoped like /consents", async () => {
      const all = await bundle(`/fhir/Consent?patient=${l.patient.address}`, l.auditor);
      expect(all.entry.map((e) => [e.resource.status, e.resource.provision.purpose[0].code]).sort()).toEqual([["active", "CLINICAL_DECISION_SUPPORT"], ["active", "HRESCH"]]);
      const seenByB = await bundle(`/fhir/Consent?patient=${l.patient.address}`, l.hospitalB);
      expect(seenByB.entry.map((e) => e.resource.provision.actor[0].reference.identifier.value)).toEqual([String(ORG.HOSPITAL_B)]);
      const r = await app.inject({ url: `/fhir/Consent?patient=${l.patient.address}`, headers: { authorization: `Bearer ${await signIn(l.patient2)}` } });
      expect(r.statusCode).toBe(403);
    });

    it("Provenance for a model version and a trace batch: valid R4, naming the ledger's facts", async () => {
      const v = (await bundle(`/fhir/Provenance?version=${ids.versionId}`)).entry[0].resource;
      expect(v.target[0].identifier.value).toBe(ids.versionId.toLowerCase());
      expect(v.entity.map((e: any) => e.what.identifier.value)).toContain(ids.datasetId.toLowerCase());
      expect(v.agent.map((a: any) => a.type.coding[0].code)).toEqual(["author", "verifier"]);
      const b = (await bundle(`/fhir/Provenance?batch=${receipts[0].batchId}`, l.auditor)).entry[0].resource;
      expect(b.extension.find((e: any) => e.url.endsWith("trace-count")).valueInteger).toBe(2);
      expect(b.agent[1].who.identifier.value).toBe(ids.versionId.toLowerCase());
      const other = await app.inject({ url: `/fhir/Provenance?batch=${receipts[0].batchId}`, headers: { authorization: `Bearer ${await signIn(l.hospitalB)}` } });
      expect([other.statusCode, errorOf(other.json())?.code]).toEqual([403, "FORBIDDEN"]);
    });

    it("AuditEvent for membership, key and version status changes, in chain order", async () => {
      const events = (await bundle("/fhir/AuditEvent", l.regulator)).entry.map((e) => e.resource);
      const kinds = new Set(events.map((e) => e.subtype[0].code));
      for (const k of ["MemberAdmitted", "KeyAdded", "MemberStatusChanged", "VersionStatusChanged:APPROVED"]) expect(kinds).toContain(k);
      const times = events.map((e) => e.recorded);
      expect(times).toEqual([...times].sort());
      const last = Date.parse(times.at(-1)) / 1000;
      expect((await bundle(`/fhir/AuditEvent?since=${last}`, l.regulator)).total).toBe(times.filter((t) => Date.parse(t) / 1000 >= last).length);
      expect((await bundle(`/fhir/AuditEvent?since=${last + 1}`, l.regulator)).total).toBe(0);
    });
  });

  it("sets the headers @fastify/helmet sets, on answers, errors and not-found; signed-in answers are no-store", async () => {
    const reference = Fastify();
    await reference.register(fastifyHelmet, API_HELMET_OPTIONS);
    reference.get("/", async () => ({}));
    const helmetSet = (await reference.inject({ url: "/" })).headers;
    for (const h of ["content-type", "content-length", "date", "connection", "keep-alive"]) delete helmetSet[h];
    await reference.close();
    expect(Object.keys(helmetSet).length).toBeGreaterThanOrEqual(10);
    expect(helmetSet).toEqual(helmetHeaders(API_HELMET_OPTIONS));
    const auditor = `Bearer ${await signIn(l.auditor)}`;
    const answers = [
      await app.inject({ url: "/healthz" }),
      await app.inject({ url: `/consents/${l.patient.address}`, headers: { authorization: auditor } }),
      await app.inject({ url: `/consents/${l.patient.address}` }), // 401
      await app.inject({ url: "/batches?limit=x", headers: { authorization: auditor } }), // 400
      await app.inject({ url: "/no/such/route" }), // 404
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 401, 400, 404]);
    for (const a of answers) expect(Object.fromEntries(Object.keys(helmetSet).map((h) => [h, a.headers[h]]))).toEqual(helmetSet);
    expect(answers.map((a) => a.headers["cache-control"])).toEqual([undefined, "no-store", undefined, "no-store", undefined]);
    expect(() => helmetHeaders({ contentSecurityPolicy: { directives: { scriptSrc: [() => "'nonce-x'"] } } })).toThrow(/depends on the request/);
    expect(helmetHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"] } } })["content-security-policy"]).toMatch(/default-src 'none'/);
  });

  it("serves an OpenAPI 3 document listing every route", async () => {
    const doc = (await app.inject({ url: "/openapi.json" })).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ["/consents/{subject}", "/batches", "/verify", "/reports/recall-impact/{id}", "/auth/verify"]) expect(Object.keys(doc.paths)).toContain(p);
    const metrics = (await app.inject({ url: "/metrics" })).body;
    expect(metrics).toContain("medprov_indexer_lag_blocks 0");
    expect(metrics).toMatch(/medprov_http_requests_total\{method="GET",route="\/batches",status="200"\} \d+/);
  });
});
