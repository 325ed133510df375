/**
 * The audit API as a Fastify plugin: `buildApp` registers everything; `listen` lives in
 * src/api/server.ts; tests use `inject()`. Every route declares its access rule and its schemas;
 * the routes themselves live in src/api/routes, one file per area, sharing the kit built here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from "fastify";
import rateLimit from "@fastify/rate-limit";
import cors from "@fastify/cors";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { Provider, Signer } from "ethers";
import { LedgerRevertError, chainNow, explain, roleWords, toDomainError, type ChainNow, type Deployment, type LedgerContracts } from "../sdk";
import type { IndexerStats, Queries } from "../indexer";
import { LIMITS, NUMBERS, Role } from "../constants";
import { ACCESS_RULES, allowed, type Access } from "./access";
import { createAuth, type AuthOptions, type Caller } from "./auth";
import { API_HELMET_OPTIONS, addSecurityHeaders } from "./security-headers";
import { ApiError, errorReply, errorSchema, type ErrorReply } from "./errors";
import { asOperationOutcome, isFhir } from "./fhir-http";
import { checkQueryIntegers } from "./inputs";
import { SECURITY_SCHEMES, TAGS, documentRoute } from "./docs";
import { allInWords, inWords, namesFrom, type Names, type Spec } from "./words";
import type { IndexerHealth } from "./health";
import { healthRoutes } from "./routes/health";
import { registryRoutes } from "./routes/registry";
import { consentRoutes } from "./routes/consents";
import { traceRoutes } from "./routes/traces";
import { relayRoutes } from "./routes/relay";
import { fhirRoutes } from "./routes/fhir";
import { fhirReadRoutes } from "./routes/fhir-read";
import { reportRoutes } from "./routes/reports";
import { inputFormatRoutes } from "./routes/input-formats";
import { webRoutes, type WebRoutesOptions } from "./routes/web";
import { incidentRoutes } from "./routes/incidents";
import { incidentEvidenceRoutes } from "./routes/incident-evidence";
import type { IncidentReceipts } from "./incident-receipts";

export interface AppOptions {
  queries: Queries;
  ledger: LedgerContracts;
  deployment: Deployment;
  provider: Provider;
  auth: AuthOptions;
  /** The running indexer's stats, for /readyz and /metrics. */
  indexerStats?: () => IndexerStats;
  /** Whether the indexer's loop still runs (and why not): /readyz says not ready once it stopped. */
  indexerHealth?: () => IndexerHealth;
  /** Ready while the indexer's lag is at most this many blocks. */
  maxLag?: number;
  /** Browser origins allowed to call the API (a patient app's web origin); none: same-origin only. */
  corsOrigins?: string[];
  /** Requests per minute per IP (sign-in and relay routes get a fifth). */
  rateLimit?: number;
  /** A hospital key that relays patients' signed consents (so patients need no gas); off when absent. */
  relayer?: Signer;
  /**
   * The origin clients reach the API at (`serve --public-url`): FHIR fullUrls and links name it.
   * Absent, they name the host the request reached (behind a trusted proxy, the proxy's).
   */
  publicOrigin?: string;
  /** The web app's config and (on the demo chain) identities file: GET /web/… routes, only when given. */
  web?: WebRoutesOptions;
  /**
   * The trace receipts hospitals filed for their incidents (POST /incidents/:id/receipt), off-chain and
   * outside the index; a patient sees an incident through it. Absent: filing answers 501.
   */
  incidentReceipts?: IncidentReceipts;
}

declare module "fastify" {
  interface FastifyRequest {
    caller: Caller;
    /** AppOptions.publicOrigin, or null. */
    publicOrigin: string | null;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** What every route file needs: the options, the index, and the access and lookup helpers. */
export interface Kit {
  app: FastifyInstance;
  o: AppOptions;
  q: Queries;
  auth: ReturnType<typeof createAuth>;
  counters: Map<string, { count: number; seconds: number }>;
  route(access: Access, schema: Record<string, unknown>, tags: string[]): RouteShorthandOptions;
  /** Route options of the sign-in and relay routes: a fifth of the rate limit. */
  slowRoute(access: Access, schema: Record<string, unknown>, tags: string[]): RouteShorthandOptions;
  found<T>(value: T | undefined | null, what: string): T;
  enforce(access: Access | undefined, caller: Caller): void;
  /** Within a rule that lets hospitals in, a hospital reads only what belongs to it (oversight roles read all). */
  ownOnly(caller: Caller, owner: number, what: string): void;
  /** Which grantees a caller may see for a subject (refuses a patient asking about someone else). */
  consentScope(req: FastifyRequest, subject?: string): Promise<(grantee: number) => boolean>;
  /** The chain's "now": the head block's time and number (DESIGN §5), never the host clock. */
  now(): Promise<ChainNow>;
  /** Members' and purposes' names, from the index. */
  names(): Promise<Names>;
  /** A row, or each row of a list, with its words beside its numbers (src/api/words.ts). */
  say<T>(spec: Spec, value: T): Promise<T>;
}

export async function buildApp(app: FastifyInstance, o: AppOptions): Promise<void> {
  // Through getters: `serve` follows the manifest, so after a migration roles are read from the
  // successor's Consortium and evidence from its contracts, without a restart.
  const auth = createAuth({ get consortium() { return o.ledger.consortium; } }, o.provider, o.auth);
  const counters = new Map<string, { count: number; seconds: number }>();
  app.decorateRequest("publicOrigin", o.publicOrigin ?? null);

  // helmet's headers, computed once (src/api/security-headers.ts says why not @fastify/helmet).
  addSecurityHeaders(app, API_HELMET_OPTIONS);
  // CORS only for the origins configured; with none, browsers get no CORS headers and the plugin,
  // which would still run on every request to decide that, is not registered.
  if (o.corsOrigins?.length) await app.register(cors, { origin: o.corsOrigins });
  await app.register(rateLimit, { max: o.rateLimit ?? LIMITS.RATE_LIMIT_PER_MINUTE, timeWindow: "1 minute" });
  await app.register(swagger, { openapi: { info: { title: "medprov audit API", version: "1.0.0", description: "Consents, datasets, models, trace batches, receipt verification and impact reports from the medprov ledger." }, components: { securitySchemes: SECURITY_SCHEMES }, tags: TAGS } });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.addHook("onRoute", documentRoute);
  const kit = makeKit(app, o, auth, counters);
  addHooks(app, auth, counters, kit.names);
  for (const routes of [healthRoutes, registryRoutes, consentRoutes, traceRoutes, relayRoutes, fhirRoutes, fhirReadRoutes, reportRoutes, inputFormatRoutes, incidentRoutes, webRoutes]) routes(kit);
  // The appraiser's name from the index, rather than a log read from the chain per pack.
  if (o.incidentReceipts) incidentEvidenceRoutes(app, { receipts: o.incidentReceipts, get ledger() { return o.ledger; }, get deployment() { return o.deployment; }, orgName: async (id) => (await o.queries.member(id))?.name });
}

function addHooks(app: FastifyInstance, auth: ReturnType<typeof createAuth>, counters: Kit["counters"], names: Kit["names"]): void {
  app.decorateRequest<Caller | undefined>("caller", undefined);
  app.addHook("onRequest", (req, reply, done) => {
    auth.caller(req.headers.authorization).then((caller) => {
      req.caller = caller;
      // A signed-in caller's answers are personal (a patient's consents): no cache may keep them.
      if (caller.kind !== "anonymous") reply.header("cache-control", "no-store");
      done();
    }, done);
  });
  // Callback-style hooks where nothing awaits: an async hook costs a promise on every request.
  app.addHook("preValidation", (req, _reply, done) => {
    try {
      checkQueryIntegers(req);
    } catch (e) {
      return done(e as Error);
    }
    done();
  });
  app.addHook("preHandler", (req, _reply, done) => {
    try {
      enforce(req.routeOptions.config.access, req.caller);
    } catch (e) {
      return done(e as Error);
    }
    done();
  });
  app.addHook("onResponse", (req, reply, done) => {
    const key = `${req.method} ${req.routeOptions.url ?? "unmatched"} ${reply.statusCode}`;
    const c = counters.get(key) ?? { count: 0, seconds: 0 };
    c.count++;
    c.seconds += reply.elapsedTime / 1000;
    counters.set(key, c);
    done();
  });
  app.setErrorHandler(async (error, req, reply) => {
    const r = errorReply(error);
    if (r.internal) req.log.error({ err: error }, "request failed");
    const d = toDomainError(error);
    // A ledger refusal names the organisations it is about ("organisation 7 (Hospital A)"); the index knows their names.
    if (d instanceof LedgerRevertError) r.body.error.message = explain(d.revert.name, d.revert.args, await names().catch(() => ({})));
    return sendError(reply, req.url, r);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, req.url, { status: 404, headers: {}, body: { error: { code: "NOT_FOUND", message: `no route ${req.method} ${req.url.slice(0, 200)}` } } }));
}

/** An error answer: on /fhir routes as an OperationOutcome (FHIR clients read nothing else), elsewhere `{error:{code,message}}`. */
export function sendError(reply: FastifyReply, url: string, r: ErrorReply) {
  if (isFhir(url)) {
    const o = asOperationOutcome(r);
    return reply.status(o.status).headers(o.headers).type(o.contentType).send(o.body);
  }
  return reply.status(r.status).headers(r.headers).send(r.body);
}

function enforce(access: Access | undefined, caller: Caller): void {
  if (!access || allowed(access, caller.kind)) return;
  if (caller.kind === "anonymous") throw new ApiError("UNAUTHENTICATED", "sign in with Ethereum first (POST /auth/nonce, then /auth/verify)");
  const who = caller.kind === "patient" ? "a patient" : roleWords(Role[caller.kind]);
  throw new ApiError("FORBIDDEN", `${who} may not read this (it is for ${ACCESS_RULES[access].allowed.filter((k) => k !== "anonymous").map((k) => (k === "patient" ? "patients" : `${roleWords(Role[k]).replace(/^an? /, "")}s`)).join(", ")})`);
}

const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 503: errorSchema };
/** On /fhir routes errors are OperationOutcomes (sendError), serialized whole. */
const outcomeSchema = { type: "object", required: ["resourceType", "issue"], additionalProperties: true, properties: { resourceType: { const: "OperationOutcome" }, issue: { type: "array", items: { type: "object", additionalProperties: true } } } };
const fhirErrors = Object.fromEntries(Object.keys(errors).map((status) => [status, outcomeSchema]));

function makeKit(app: FastifyInstance, o: AppOptions, auth: Kit["auth"], counters: Kit["counters"]): Kit {
  const q = o.queries;
  const route: Kit["route"] = (access, schema, tags) => ({
    config: { access },
    schema: { tags, ...(access === "public" ? {} : { security: [{ session: [] }] }), ...schema, response: { ...(tags.includes("fhir") ? fhirErrors : errors), ...(schema.response as object) } },
  });
  const names = async () => namesFrom(await q.members(), await q.purposes());
  const slowLimit = { max: Math.max(1, Math.floor((o.rateLimit ?? LIMITS.RATE_LIMIT_PER_MINUTE) / 5)), timeWindow: "1 minute" };
  return {
    app, o, q, auth, counters, route, enforce,
    slowRoute: (access, schema, tags) => {
      const r = route(access, schema, tags);
      return { ...r, config: { ...r.config, rateLimit: slowLimit } };
    },
    found: (value, what) => {
      if (value === undefined || value === null) throw new ApiError("NOT_FOUND", `${what} is not on this ledger`);
      return value;
    },
    ownOnly: (caller, owner, what) => {
      if (caller.kind === "HOSPITAL" && owner !== caller.orgId) throw new ApiError("FORBIDDEN", `a hospital sees ${what} only`);
    },
    async consentScope(req, subject = (req.params as { subject: string }).subject) {
      const c = req.caller;
      if (c.kind === "patient") {
        const me = c.address!.toLowerCase();
        if (subject.toLowerCase() !== me && !(await q.delegates(subject)).includes(me)) throw new ApiError("FORBIDDEN", "a patient sees only their own consents and those of subjects they are a delegate for");
        return () => true;
      }
      if (c.kind === "HOSPITAL") return (g) => g === c.orgId || g === NUMBERS.ANY_MEMBER;
      return () => true;
    },
    now: () => chainNow(o.provider),
    names,
    async say(spec, value) {
      const n = await names();
      return (Array.isArray(value) ? allInWords(spec, value, n) : inWords(spec, value, n)) as typeof value;
    },
  };
}
