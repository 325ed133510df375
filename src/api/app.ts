/**
 * The audit API as a Fastify plugin: `buildApp` registers everything; `listen` lives in
 * src/api/server.ts; tests use `inject()`. Every route declares its access rule and its schemas.
 */
import type { FastifyInstance, FastifyRequest, RouteShorthandOptions } from "fastify";
import rateLimit from "@fastify/rate-limit";
import cors from "@fastify/cors";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { Provider, Signer } from "ethers";
import { Auditor, Hospital, LedgerRevertError, summarizeTraces, type LedgerFacts, type Deployment, type LedgerContracts, type SignedGrant, type SignedRevoke, type VerifyResult } from "../sdk";
import type { IndexerStats, Queries } from "../indexer";
import { NUMBERS } from "../constants";
import { batchProvenance, consentResource, memberAuditEvent, searchBundle, versionAuditEvent, versionProvenance, type BatchRow, type ConsentRow, type FhirContext, type MemberChange, type VersionChange, type VersionRow } from "../fhir";
import { allowed, type Access } from "./access";
import { createAuth, type AuthOptions, type Caller } from "./auth";
import { API_HELMET_OPTIONS, addSecurityHeaders } from "./security-headers";
import { ApiError, errorSchema } from "./errors";
import * as sch from "./schemas";

export interface AppOptions {
  queries: Queries;
  ledger: LedgerContracts;
  deployment: Deployment;
  provider: Provider;
  auth: AuthOptions;
  /** The running indexer's stats, for /readyz and /metrics. */
  indexerStats?: () => IndexerStats;
  /** Ready while the indexer's lag is at most this many blocks. */
  maxLag?: number;
  /** Browser origins allowed to call the API (a patient app's web origin); none: same-origin only. */
  corsOrigins?: string[];
  /** Requests per minute per IP (sign-in and relay routes get a fifth). */
  rateLimit?: number;
  /** A hospital key that relays patients' signed consents (so patients need no gas); off when absent. */
  relayer?: Signer;
}

declare module "fastify" {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

const { S } = sch;

export async function buildApp(app: FastifyInstance, o: AppOptions): Promise<void> {
  const { queries: q } = o;
  const auth = createAuth(o.ledger, o.provider, o.auth);
  const counters = new Map<string, { count: number; seconds: number }>();

  // helmet's headers, computed once (src/api/security-headers.ts says why not @fastify/helmet).
  addSecurityHeaders(app, API_HELMET_OPTIONS);
  // CORS only for the origins configured; with none, browsers get no CORS headers and the plugin,
  // which would still run on every request to decide that, is not registered.
  if (o.corsOrigins?.length) await app.register(cors, { origin: o.corsOrigins });
  await app.register(rateLimit, { max: o.rateLimit ?? 6000, timeWindow: "1 minute" });
  await app.register(swagger, { openapi: { info: { title: "medprov audit API", version: "1.0.0", description: "Consents, datasets, models, trace batches, receipt verification and impact reports from the medprov ledger." }, components: { securitySchemes: { session: { type: "http", scheme: "bearer" } } } } });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  app.decorateRequest("caller", undefined as unknown as Caller);
  app.addHook("onRequest", (req, reply, done) => {
    auth.caller(req.headers.authorization).then((caller) => {
      req.caller = caller;
      // A signed-in caller's answers are personal (a patient's consents): no cache may keep them.
      if (caller.kind !== "anonymous") reply.header("cache-control", "no-store");
      done();
    }, done);
  });
  const enforce = (access: Access | undefined, caller: Caller) => {
    if (!access || allowed(access, caller.kind)) return;
    if (caller.kind === "anonymous") throw new ApiError("UNAUTHENTICATED", "sign in with Ethereum first (POST /auth/nonce, then /auth/verify)");
    throw new ApiError("FORBIDDEN", `a ${caller.kind.toLowerCase()} may not read this`);
  };
  // Callback-style hooks where nothing awaits: an async hook costs a promise on every request.
  app.addHook("preHandler", (req, _reply, done) => {
    try {
      enforce(req.routeOptions.config.access, req.caller);
    } catch (e) {
      return done(e as Error);
    }
    done();
  });
  /** Within a rule that lets hospitals in, a hospital reads only what belongs to it (oversight roles read all). */
  const ownOnly = (caller: Caller, owner: number, what: string) => {
    if (caller.kind === "HOSPITAL" && owner !== caller.orgId) throw new ApiError("FORBIDDEN", `a hospital sees ${what} only`);
  };
  app.addHook("onResponse", (req, reply, done) => {
    const key = `${req.method} ${req.routeOptions.url ?? "unmatched"} ${reply.statusCode}`;
    const c = counters.get(key) ?? { count: 0, seconds: 0 };
    c.count++;
    c.seconds += reply.elapsedTime / 1000;
    counters.set(key, c);
    done();
  });

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number; validation?: unknown }, req, reply) => {
    if (error instanceof ApiError) return reply.status(error.status).send({ error: { code: error.code, message: error.message } });
    if (error instanceof LedgerRevertError) return reply.status(422).send({ error: { code: error.code, message: error.message } });
    if (error.validation) return reply.status(400).send({ error: { code: "BAD_REQUEST", message: error.message } });
    const status = error.statusCode ?? 500;
    if (status === 413) return reply.status(413).send({ error: { code: "PAYLOAD_TOO_LARGE", message: "the request body is too large" } });
    if (status === 429) return reply.status(429).send({ error: { code: "RATE_LIMITED", message: error.message } });
    if (status >= 400 && status < 500) return reply.status(status).send({ error: { code: "BAD_REQUEST", message: error.message } });
    req.log.error({ err: error }, "request failed");
    return reply.status(500).send({ error: { code: "INTERNAL", message: "internal error" } });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: "NOT_FOUND", message: `no route ${req.method} ${req.url}` } }));

  const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };
  const route = (access: Access, schema: Record<string, unknown>, tags: string[]): RouteShorthandOptions => ({
    config: { access },
    schema: { tags, ...(access === "public" ? {} : { security: [{ session: [] }] }), ...schema, response: { ...errors, ...(schema.response as object) } },
  });
  const found = <T>(value: T | undefined, what: string): T => {
    if (value === undefined || value === null) throw new ApiError("NOT_FOUND", `${what} is not on this ledger`);
    return value;
  };

  // ── health ──
  app.get("/healthz", route("public", { response: { 200: S.obj({ status: S.str }) } }, ["health"]), async () => ({ status: "ok" }));
  app.get("/readyz", route("public", { response: { 200: S.obj({ ready: S.bool, lag: S.int }), 503: S.obj({ ready: S.bool, lag: S.int }) } }, ["health"]), async (_req, reply) => {
    const stats = o.indexerStats?.();
    const lag = stats ? stats.lag : 0;
    const ready = !!stats && stats.head > 0 && lag <= (o.maxLag ?? 5);
    return reply.status(ready ? 200 : 503).send({ ready, lag });
  });
  app.get("/metrics", route("public", { response: { 200: S.str } }, ["health"]), async (_req, reply) => {
    const s = o.indexerStats?.();
    const lines = [
      "# HELP medprov_indexer_lag_blocks Blocks between the chain head and the index.",
      "# TYPE medprov_indexer_lag_blocks gauge",
      `medprov_indexer_lag_blocks ${s?.lag ?? 0}`,
      "# HELP medprov_indexer_events_per_second Events applied per second in the last range.",
      "# TYPE medprov_indexer_events_per_second gauge",
      `medprov_indexer_events_per_second ${s?.eventsPerSecond ?? 0}`,
      "# HELP medprov_http_requests_total Requests by route and status.",
      "# TYPE medprov_http_requests_total counter",
      "# HELP medprov_http_request_seconds_sum Time spent answering, by route and status.",
      "# TYPE medprov_http_request_seconds_sum counter",
    ];
    for (const [key, c] of counters) {
      const [method, url, status] = key.split(" ");
      const labels = `method="${method}",route="${url}",status="${status}"`;
      lines.push(`medprov_http_requests_total{${labels}} ${c.count}`, `medprov_http_request_seconds_sum{${labels}} ${c.seconds.toFixed(6)}`);
    }
    return reply.type("text/plain; version=0.0.4").send(lines.join("\n") + "\n");
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  // ── sign-in ──
  const signInLimit = { config: { rateLimit: { max: Math.max(1, Math.floor((o.rateLimit ?? 6000) / 5)), timeWindow: "1 minute" } } };
  app.post("/auth/nonce", { ...route("public", { response: { 200: S.obj({ nonce: S.str }) } }, ["auth"]), ...signInLimit, config: { access: "public", ...signInLimit.config } }, async () => ({ nonce: auth.issueNonce() }));
  app.post(
    "/auth/verify",
    { ...route("public", { body: S.obj({ message: { type: "string", maxLength: 4096 }, signature: { type: "string", pattern: "^0x[0-9a-fA-F]{130}$" } }, ["message", "signature"]), response: { 200: S.obj({ session: S.str, address: S.str, expiresAt: S.str }) } }, ["auth"]), config: { access: "public", ...signInLimit.config } },
    async (req) => {
      const { message, signature } = req.body as { message: string; signature: string };
      return auth.signIn(message, signature);
    },
  );

  // ── registry facts (public) ──
  app.get("/members", route("public", { response: { 200: S.arr(sch.member) } }, ["registry"]), async () => q.members());
  app.get("/models", route("public", { response: { 200: S.arr(sch.model) } }, ["registry"]), async () => q.models());
  app.get("/models/:id", route("public", { params: sch.params.id, response: { 200: S.obj({ model: sch.model, versions: S.arr(sch.version) }) } }, ["registry"]), async (req) => {
    const { id } = req.params as { id: string };
    return { model: found(await q.model(id), `model ${id}`), versions: await q.versionsOf(id) };
  });
  app.get("/versions/:id", route("public", { params: sch.params.id, response: { 200: S.obj({ version: sch.version, history: S.arr(sch.statusChange) }) } }, ["registry"]), async (req) => {
    const { id } = req.params as { id: string };
    return { version: found(await q.version(id), `version ${id}`), history: await q.versionHistory(id) };
  });
  app.get("/datasets/:id", route("public", { params: sch.params.id, response: { 200: sch.dataset } }, ["registry"]), async (req) => found(await q.dataset((req.params as { id: string }).id), "the dataset"));
  app.get("/datasets/:id/lineage", route("public", { params: sch.params.id, response: { 200: sch.lineage } }, ["registry"]), async (req) => found(await q.lineage((req.params as { id: string }).id), "the dataset"));

  // ── consortium-internal facts ──
  const versionList = (path: string, item: unknown, read: (id: string) => Promise<unknown>) =>
    app.get(`/versions/:id/${path}`, route("members", { params: sch.params.id, response: { 200: S.arr(item) } }, ["models"]), async (req) => {
      const { id } = req.params as { id: string };
      found(await q.version(id), `version ${id}`);
      return read(id);
    });
  versionList("deployments", sch.deployment, q.deployments);
  versionList("reports", sch.report, q.reports);
  versionList("alerts", sch.alert, q.alerts);
  app.get("/datasets/:id/uses", route("hospital", { params: sch.params.id, response: { 200: S.arr(sch.use) } }, ["datasets"]), async (req) => {
    const { id } = req.params as { id: string };
    const d = found(await q.dataset(id), "the dataset");
    ownOnly(req.caller, Number(d.custodian), "the uses of its own datasets");
    return q.datasetUses(id);
  });

  // ── consents ──
  async function consentScope(req: FastifyRequest, subject = (req.params as { subject: string }).subject): Promise<(grantee: number) => boolean> {
    const c = req.caller;
    if (c.kind === "patient") {
      const me = c.address!.toLowerCase();
      if (subject.toLowerCase() !== me && !(await q.delegates(subject)).includes(me)) throw new ApiError("FORBIDDEN", "a patient sees only their own consents and those of subjects they are a delegate for");
      return () => true;
    }
    if (c.kind === "HOSPITAL") return (g) => g === c.orgId || g === NUMBERS.ANY_MEMBER;
    return () => true;
  }
  app.get("/consents/:subject", route("subject", { params: sch.params.subject, response: { 200: S.arr(sch.consent) } }, ["consents"]), async (req) => {
    const inScope = await consentScope(req);
    return (await q.consents((req.params as { subject: string }).subject)).filter((c) => inScope(Number(c.grantee)));
  });
  app.get("/consents/:subject/history", route("subject", { params: sch.params.subject, response: { 200: S.arr(sch.consentEvent) } }, ["consents"]), async (req) => {
    const inScope = await consentScope(req);
    const all = await q.consentHistory((req.params as { subject: string }).subject);
    return req.caller.kind === "HOSPITAL" ? all.filter((e) => e.grantee !== undefined && inScope(Number(e.grantee))) : all;
  });
  app.get(
    "/consents/:subject/valid",
    route("subject", {
      params: sch.params.subject,
      querystring: S.obj({ purpose: { type: "integer", minimum: 0, maximum: 63 }, grantee: { type: "integer", minimum: 0, maximum: 4294967295 }, time: { type: "integer", minimum: 0 }, block: { type: "integer", minimum: 0 } }, ["purpose", "grantee"]),
      response: { 200: S.obj({ valid: S.bool, purpose: S.int, grantee: S.int, time: S.int, block: S.int }) },
    }, ["consents"]),
    async (req) => {
      const inScope = await consentScope(req);
      const { subject } = req.params as { subject: string };
      const { purpose, grantee, time, block } = req.query as { purpose: number; grantee: number; time?: number; block?: number };
      if (!inScope(grantee)) throw new ApiError("FORBIDDEN", "a hospital may ask only about consents that name it");
      let at: { block?: number; time: number };
      if (block !== undefined) {
        const b = await o.provider.getBlock(block);
        if (!b) throw new ApiError("NOT_FOUND", `block ${block} is not on the chain`);
        at = { block, time: b.timestamp };
      } else at = { time: time ?? Math.floor(Date.now() / 1000) };
      return { valid: await q.consentValidAt(subject, purpose, grantee, at), purpose, grantee, ...at };
    },
  );

  // ── trace batches ──
  app.get(
    "/batches",
    route("hospital", {
      querystring: S.obj({ hospital: { type: "integer", minimum: 1 }, version: S.hex32, fromTime: { type: "integer", minimum: 0 }, toTime: { type: "integer", minimum: 0 }, after: { type: "string", pattern: "^[0-9]{18}$" }, limit: { type: "integer", minimum: 1, maximum: 1000 } }),
      response: { 200: S.obj({ batches: S.arr(sch.batch), next: { type: ["string", "null"] } }) },
    }, ["traces"]),
    async (req) => {
      const f = { ...(req.query as { hospital?: number; version?: string; fromTime?: number; toTime?: number; after?: string; limit?: number }) };
      if (f.hospital !== undefined) ownOnly(req.caller, f.hospital, "its own batches");
      if (req.caller.kind === "HOSPITAL") f.hospital = req.caller.orgId;
      return q.batches(f);
    },
  );

  // ── verification ──
  // Verification reads batches and status histories from this member's own index, not the RPC.
  const indexFacts: LedgerFacts = {
    batch: async (id) => {
      const b = await q.batch(id);
      return b ? { root: String(b.root), hospital: Number(b.hospital), firstSeq: BigInt(String(b.firstSeq)), count: Number(b.count), fromTime: BigInt(Number(b.fromTime)), toTime: BigInt(Number(b.toTime)), versions: b.versions as string[], txHash: String(b.tx), blockNumber: Number(b.block) } : undefined;
    },
    hospitalRanges: (hospital) => q.batchRanges(hospital),
    versionHistory: async (id) => (await q.versionHistory(id)).map((h) => ({ time: Number(h.time), status: Number(h.status) })),
  };
  const receiptsBody = S.obj({ receipts: { type: "array", minItems: 1, maxItems: 500, items: { type: "object" } } }, ["receipts"]);
  /** Verifies receipts with the checks at the trace's time, consent from the index. */
  async function verifyAll(receipts: unknown[]): Promise<VerifyResult[]> {
    const auditor = new Auditor(o.ledger, o.deployment, o.provider, async (subject, purpose, grantee, time) => q.consentValidAt(subject, purpose, grantee, { time: Number(time) }), indexFacts);
    const results: VerifyResult[] = [];
    for (const receipt of receipts) results.push(await auditor.verifyReceipt(receipt));
    return results;
  }
  app.post("/verify", route("verify", { body: receiptsBody, response: { 200: S.obj({ results: S.arr(sch.verifyResult) }) } }, ["verify"]), async (req) => ({
    results: await verifyAll((req.body as { receipts: unknown[] }).receipts),
  }));
  // Trace records stay with hospitals; this report runs over the receipts an auditor was given.
  app.post("/reports/traces", route("oversight", { body: receiptsBody, response: { 200: sch.traceSummary } }, ["reports"]), async (req) => {
    const receipts = (req.body as { receipts: { record?: { modelVersion?: unknown; action?: unknown } }[] }).receipts;
    const results = await verifyAll(receipts);
    const items = receipts
      .map((r, i) => ({ record: r.record, result: results[i] }))
      .filter((x): x is { record: { modelVersion: string; action: number }; result: VerifyResult } => typeof x.record?.modelVersion === "string" && x.result.reasons.every((r) => r.code !== "RECEIPT_MALFORMED"));
    return summarizeTraces(items);
  });

  // ── relaying patients' signed consents ──
  const u = { type: "string", pattern: "^[0-9]{1,78}$" };
  const common = { subject: S.address, signer: S.address, purpose: { type: "integer", minimum: 0, maximum: 63 }, grantee: { type: "integer", minimum: 0, maximum: 4294967295 }, nonce: u, deadline: u };
  const signedBody = {
    oneOf: [
      S.obj({ kind: { const: "grant" }, request: S.obj({ ...common, expiresAt: u }, ["subject", "signer", "purpose", "grantee", "expiresAt", "nonce", "deadline"]), signature: { type: "string", pattern: "^0x[0-9a-fA-F]{130}$" } }, ["kind", "request", "signature"]),
      S.obj({ kind: { const: "revoke" }, request: S.obj(common, ["subject", "signer", "purpose", "grantee", "nonce", "deadline"]), signature: { type: "string", pattern: "^0x[0-9a-fA-F]{130}$" } }, ["kind", "request", "signature"]),
    ],
  };
  app.post(
    "/relay",
    { ...route("public", { body: signedBody, response: { 200: S.obj({ txHash: S.str, blockNumber: S.int }), 422: errorSchema, 503: errorSchema } }, ["consents"]), config: { access: "public", ...signInLimit.config } },
    async (req, reply) => {
      if (!o.relayer) return reply.status(503).send({ error: { code: "RELAY_DISABLED", message: "this server does not relay consents; submit the signed request to a hospital that does" } });
      const signed = req.body as SignedGrant | SignedRevoke;
      const h = new Hospital(o.ledger, o.relayer);
      const r = signed.kind === "grant" ? await h.relayGrant(signed) : await h.relayRevoke(signed);
      return { txHash: r.txHash, blockNumber: r.blockNumber };
    },
  );

  // ── FHIR R4 export ──
  // Resources are built field by field in src/fhir, so the response schema only pins the Bundle.
  const bundleSchema = S.obj({ resourceType: S.str, type: S.str, timestamp: S.str, total: S.int, entry: S.arr(S.obj({ resource: { type: "object", additionalProperties: true }, search: S.obj({ mode: S.str }) })) });
  const fhirRoute = (access: Access, querystring: unknown) => route(access, { querystring, response: { 200: bundleSchema } }, ["fhir"]);
  async function fhirContext(): Promise<FhirContext> {
    const names = new Map((await q.members()).map((m) => [Number(m.orgId), String(m.name)]));
    const purposes = new Map((await q.purposes()).map((p) => [Number(p.id), String(p.name)]));
    const a = o.deployment.addresses;
    return { chainId: o.deployment.chainId, addresses: { consortium: a.consortium, consents: a.consents, models: a.models, traces: a.traces }, orgName: (id) => names.get(id), purposeName: (id) => purposes.get(id) };
  }
  const now = () => Math.floor(Date.now() / 1000);
  app.get("/fhir/Consent", fhirRoute("subject", S.obj({ patient: S.address }, ["patient"])), async (req, reply) => {
    const { patient } = req.query as { patient: string };
    const inScope = await consentScope(req, patient);
    const ctx = await fhirContext();
    const rows = (await q.consents(patient)).filter((c) => inScope(Number(c.grantee))) as unknown as ConsentRow[];
    return reply.type("application/fhir+json").send(searchBundle(rows.map((r) => consentResource(ctx, r, now())), now()));
  });
  // A version's provenance is a public registry fact; a batch's follows the batch rule (its hospital, oversight).
  app.get("/fhir/Provenance", fhirRoute("public", S.obj({ version: S.hex32, batch: S.hex32 })), async (req, reply) => {
    const { version, batch } = req.query as { version?: string; batch?: string };
    if ((version === undefined) === (batch === undefined)) throw new ApiError("BAD_REQUEST", "give exactly one of ?version=<versionId> or ?batch=<batchId>");
    const ctx = await fhirContext();
    let resource;
    if (version !== undefined) resource = versionProvenance(ctx, found(await q.version(version), `version ${version}`) as unknown as VersionRow);
    else {
      enforce("hospital", req.caller);
      const b = found(await q.batch(batch!), `batch ${batch}`) as unknown as BatchRow;
      ownOnly(req.caller, b.hospital, "its own batches");
      resource = batchProvenance(ctx, b);
    }
    return reply.type("application/fhir+json").send(searchBundle([resource], now()));
  });
  app.get("/fhir/AuditEvent", fhirRoute("members", S.obj({ since: { type: "integer", minimum: 0 } })), async (req, reply) => {
    const since = (req.query as { since?: number }).since ?? 0;
    const ctx = await fhirContext();
    const members = (await q.memberChanges()).map((c) => ({ checkpoint: c.checkpoint, time: Number(c.time), event: memberAuditEvent(ctx, c as unknown as MemberChange) }));
    const versions = (await q.versionChanges()).map((c) => ({ checkpoint: c.checkpoint, time: Number(c.time), event: versionAuditEvent(ctx, c as unknown as VersionChange) }));
    const events = [...members, ...versions].filter((e) => e.time >= since).sort((a, b) => a.checkpoint.localeCompare(b.checkpoint));
    return reply.type("application/fhir+json").send(searchBundle(events.map((e) => e.event), now()));
  });

  // ── reports ──
  app.get("/reports/recall-impact/:id", route("oversight", { params: sch.params.id, response: { 200: sch.recallImpact } }, ["reports"]), async (req) => {
    const { id } = req.params as { id: string };
    found(await q.version(id), `version ${id}`);
    return q.recallImpact(id);
  });
  app.get("/reports/revocation-impact/:subject", route("oversight", { params: sch.params.subject, response: { 200: sch.revocationImpact } }, ["reports"]), async (req) => q.revocationImpact((req.params as { subject: string }).subject));
  app.get("/reports/fairness-alerts", route("oversight", { response: { 200: S.arr(sch.alert) } }, ["reports"]), async () => q.allAlerts());
}
