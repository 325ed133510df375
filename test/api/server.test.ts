/**
 * What every route shares (src/api/server.ts, app.ts, inputs.ts, security-headers.ts and the
 * health routes), in-process over the route files' shared ledger (auditSeed): bad input is a named
 * 4xx and never a 500, CORS only for configured origins, rate limits per client (behind a trusted
 * proxy by X-Forwarded-For), memoised answers until the index changes, helmet's headers on every
 * answer, and the OpenAPI document and metrics.
 */
import { describe, it, expect, vi } from "vitest";
import Fastify, { type FastifyInstance } from "fastify";
import fastifyHelmet from "@fastify/helmet";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ORG } from "../helpers/fixture";
import { errorOf } from "../helpers/error-body";
import { auditSeed, sessionFor } from "../helpers/api-fixture";
import { build, readOnly, seeded, serve } from "../helpers/api-build";
import { Purpose } from "../../src/constants";
import { IndexStore } from "../../src/indexer";
import { parseJsonBody } from "../../src/api/server";
import { API_HELMET_OPTIONS, helmetHeaders } from "../../src/api";

describe("what every route shares", () => {
  /** One app for the tests that only read (bad input, CORS off, helmet's headers, the OpenAPI document and metrics). */
  const api = readOnly(auditSeed);

  describe("bad input: 4xx with a code, never 500, nothing changed", () => {
    it("wrong types, missing and extra fields, oversize bodies, __proto__ keys", async () => {
      const { l, app, ids, receipts } = await api();
      const s = await sessionFor(app, l.auditor);
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

  describe("HTTP: CORS, rate limits, memoised answers, security headers", () => {
    it("CORS: only configured origins get CORS headers and preflights; with none configured, no origin does", async (t) => {
      const { l, app } = await api();
      const patientApp = "https://patient.example";
      const preflight = { method: "OPTIONS" as const, url: `/consents/${l.patient.address}`, headers: { origin: patientApp, "access-control-request-method": "GET", "access-control-request-headers": "authorization" } };
      const none = await app.inject({ url: "/healthz", headers: { origin: patientApp } });
      expect(none.headers["access-control-allow-origin"]).toBeUndefined();
      expect((await app.inject(preflight)).statusCode).toBe(404);
      const { app: withCors } = await serve(t, l, { corsOrigins: [patientApp], indexerStats: undefined });
      const allowedOrigin = await withCors.inject({ url: "/healthz", headers: { origin: patientApp } });
      expect([allowedOrigin.statusCode, allowedOrigin.headers["access-control-allow-origin"]]).toEqual([200, patientApp]);
      expect((await withCors.inject({ url: "/healthz", headers: { origin: "https://elsewhere.example" } })).headers["access-control-allow-origin"]).toBeUndefined();
      const pre = await withCors.inject(preflight);
      expect([pre.statusCode, pre.headers["access-control-allow-origin"], pre.headers["access-control-allow-headers"]]).toEqual([204, patientApp, "authorization"]);
    });

    it("rate limits per client: behind a trusted proxy by X-Forwarded-For, otherwise by the peer's address", async (t) => {
      const { l } = await seeded(auditSeed);
      const limited = async (trustProxy?: string[]) => (await serve(t, l, { rateLimit: 3, indexerStats: undefined }, { trustProxy })).app;
      const from = (a: FastifyInstance, client: string, remoteAddress = "127.0.0.1") => a.inject({ url: "/healthz", remoteAddress, headers: { "x-forwarded-for": client } }).then((r) => r.statusCode);
      const proxied = await limited(["127.0.0.1"]);
      expect([await from(proxied, "203.0.113.1"), await from(proxied, "203.0.113.1"), await from(proxied, "203.0.113.1"), await from(proxied, "203.0.113.1")]).toEqual([200, 200, 200, 429]);
      expect(await from(proxied, "203.0.113.2")).toBe(200); // another client behind the proxy has its own budget
      expect(await from(proxied, "203.0.113.2", "198.51.100.7")).toBe(200); // not from the proxy: its own address counts…
      expect([await from(proxied, "203.0.113.2", "198.51.100.7"), await from(proxied, "203.0.113.2", "198.51.100.7"), await from(proxied, "203.0.113.2", "198.51.100.7")]).toEqual([200, 200, 429]); // …and its header is ignored
      const direct = await limited();
      expect([await from(direct, "203.0.113.1"), await from(direct, "203.0.113.2"), await from(direct, "203.0.113.3"), await from(direct, "203.0.113.4")]).toEqual([200, 200, 200, 429]);
    });

    it("serves a memoised answer's text until the index changes, then the new answer", async (t) => {
      const { l, app, reindex } = await build(t, auditSeed);
      const auditor = `Bearer ${await sessionFor(app, l.auditor)}`;
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

    it("sets the headers @fastify/helmet sets, on answers, errors and not-found; signed-in answers are no-store", async () => {
      const { l, app } = await api();
      const reference = Fastify();
      await reference.register(fastifyHelmet, API_HELMET_OPTIONS);
      reference.get("/", async () => ({}));
      const helmetSet = (await reference.inject({ url: "/" })).headers;
      for (const h of ["content-type", "content-length", "date", "connection", "keep-alive"]) delete helmetSet[h];
      await reference.close();
      expect(Object.keys(helmetSet).length).toBeGreaterThanOrEqual(10);
      expect(helmetSet).toEqual(helmetHeaders(API_HELMET_OPTIONS));
      const auditor = `Bearer ${await sessionFor(app, l.auditor)}`;
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
  });

  describe("health routes", () => {
    it("serves an OpenAPI 3 document listing every route", async () => {
      const { l, app } = await api();
      const doc = (await app.inject({ url: "/openapi.json" })).json();
      expect(doc.openapi).toMatch(/^3\./);
      for (const p of ["/consents/{subject}", "/batches", "/verify", "/reports/recall-impact/{id}", "/auth/verify"]) expect(Object.keys(doc.paths)).toContain(p);
      // The counter below counts this app's own answers: one signed-in read of /batches first.
      expect((await app.inject({ url: "/batches", headers: { authorization: `Bearer ${await sessionFor(app, l.auditor)}` } })).statusCode).toBe(200);
      const metrics = (await app.inject({ url: "/metrics" })).body;
      expect(metrics).toContain("medprov_indexer_lag_blocks 0");
      expect(metrics).toMatch(/medprov_http_requests_total\{method="GET",route="\/batches",status="200"\} \d+/);
    });
  });
});

describe("JSON bodies (parseJsonBody)", () => {
  it("says where a body breaks, or which key it refuses; reads names inside values as values", () => {
    const refusal = (text: string) => {
      try {
        parseJsonBody(text);
      } catch (e) {
        return [(e as { statusCode?: number }).statusCode, (e as Error).message];
      }
      return undefined;
    };
    expect(refusal("")).toEqual([400, "the body is empty, but its content-type says JSON"]);
    expect(refusal('{"receipts":[}')).toEqual([400, expect.stringMatching(/^the body is not valid JSON: Unexpected token '\}'/)]);
    expect(refusal('{"a":{"b":{"__proto__":{"admin":true}}}}')).toEqual([400, 'the body has a "__proto__" key, which is refused (prototype poisoning)']);
    expect(refusal('{"constructor":{"prototype":{"admin":true}}}')).toEqual([400, 'the body has a "constructor" key holding "prototype", which is refused (prototype poisoning)']);
    expect(parseJsonBody('{"note":"__proto__ and constructor are words here","constructor":"a string"}')).toEqual({ note: "__proto__ and constructor are words here", constructor: "a string" });
  });
});
