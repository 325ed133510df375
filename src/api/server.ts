/**
 * Starting the API: a Fastify instance configured the way the tests use it, plus `startService`,
 * which opens the index, runs the indexer in the same process and listens.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { SerializerSelector, type SerializerFactory } from "@fastify/fast-json-stringify-compiler";
import { JsonRpcProvider, type BaseWallet } from "ethers";
import { IndexStore, createIndexer, createQueries, httpRpc, type Logger } from "../indexer";
import { MedprovError, OutboxSigner, connectLedger, readDomain, type Deployment, type LedgerContracts, type Outbox } from "../sdk";
import { buildApp, sendError, type AppOptions } from "./app";
import { superviseIndexer } from "./health";
import { IncidentReceipts, incidentReceiptsDir } from "./incident-receipts";
import { serveWebApp, webBuildExists, type WebConfig } from "../web";

/**
 * Fastify's own response serializers (compiled from each route's response schema, so they still
 * drop every field the schema does not name), remembering the text of each object they serialized.
 * Index reads are memoised until the index changes and never mutated (IndexStore.memo), so a
 * route that returns such a result unchanged is serialized once per index state instead of once
 * per request. A fresh object (a filtered list, a computed report) misses and is forgotten with it.
 */
export function memoisingSerializers(): SerializerFactory {
  const base = SerializerSelector();
  return (externalSchemas, options) => {
    const compile = base(externalSchemas, options);
    return (route) => {
      const serialize = compile(route);
      const texts = new WeakMap<object, string>();
      return (doc: unknown) => {
        if (doc === null || typeof doc !== "object") return serialize(doc);
        let text = texts.get(doc);
        if (text === undefined) texts.set(doc, (text = serialize(doc)));
        return text;
      };
    };
  };
}

/**
 * Strict validation: extra fields are refused, not stripped; prototype poisoning is an error.
 * `trustProxy` names the reverse proxies (addresses, CIDR ranges, or "loopback") whose
 * X-Forwarded-For is believed: without it, behind a proxy every client has the proxy's address and
 * shares one rate-limit budget.
 */
export function createFastify(o: { logger?: boolean | object; trustProxy?: string[] } = {}): FastifyInstance {
  const app = Fastify({
    trustProxy: o.trustProxy?.length ? o.trustProxy : false,
    schemaController: { compilersFactory: { buildSerializer: memoisingSerializers() } },
    logger: o.logger ?? false,
    bodyLimit: 1024 * 1024,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", allErrors: false } },
    // The router's own refusals answer in the API's error shape too; none is the server's fault.
    frameworkErrors: routerRefusal,
  });
  // Fastify's own JSON parser answers every failure "Body is not valid JSON": ours says where, or which key it refused.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(String(body)));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  return app;
}

/** A client's JSON body refused: a 400 (BAD_REQUEST) saying why. */
const badBody = (message: string) => Object.assign(new Error(message), { statusCode: 400 });

/**
 * A request body as JSON, refusing what Fastify's parser refused (an empty body, `__proto__` keys and
 * `constructor.prototype`: prototype poisoning, should a handler ever copy the object into another)
 * but saying why: JSON.parse's own words (the token where the text broke), or the key. The keys are looked at
 * only when the text contains their names.
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw badBody("the body is empty, but its content-type says JSON");
  const suspicious = text.includes("__proto__") || text.includes("constructor");
  try {
    return suspicious ? JSON.parse(text, refusePoison) : JSON.parse(text);
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 400) throw e;
    throw badBody(`the body is not valid JSON: ${(e as Error).message.replace(/\s+/g, " ")}`); // one line: V8 quotes the text, line breaks and all
  }
}

function refusePoison(key: string, value: unknown): unknown {
  if (key === "__proto__") throw badBody('the body has a "__proto__" key, which is refused (prototype poisoning)');
  if (key === "constructor" && value !== null && typeof value === "object" && Object.hasOwn(value, "prototype")) throw badBody('the body has a "constructor" key holding "prototype", which is refused (prototype poisoning)');
  return value;
}

/** A path segment over 100 characters (414) or broken percent-encoding (400), as `{error:{code,message}}`. */
function routerRefusal(error: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === "FST_ERR_MAX_PARAM_LENGTH";
  void sendError(reply, _req.url, { status: tooLong ? 414 : 400, headers: {}, body: { error: { code: tooLong ? "URI_TOO_LONG" : "BAD_REQUEST", message: tooLong ? "a path segment is longer than 100 characters; ids are 66 and addresses 42" : "the URL is not validly percent-encoded" } } });
}

export interface ServiceOptions {
  rpc: string;
  deployment: Deployment;
  /**
   * The manifest as it is now (`serve` re-reads deployments/<name>.json): the indexer adopts one
   * that gained a generation while running (src/indexer/catch-up.ts), and the API then answers
   * and writes (relay) with it.
   */
  manifest?: () => Deployment;
  db: string;
  host?: string;
  port?: number;
  publicUrl?: string;
  confirmations?: number;
  logger?: boolean | object;
  corsOrigins?: string[];
  /** A hospital's key that relays patients' signed consents, paying their gas (off when absent). */
  relayer?: BaseWallet;
  /**
   * The outbox relayed writes go through (each relay keyed by the patient's signature, so a retried
   * POST /relay never relays twice); /relay answers only once it acknowledged the write.
   */
  outbox?: Outbox;
  /** Requests per minute per client IP. */
  rateLimit?: number;
  /** Reverse proxies whose X-Forwarded-For gives the client's address (see createFastify). */
  trustProxy?: string[];
  /** How stale the chain head behind callers' roles may be, in ms (0: look on every request). Default 100. */
  headMaxAgeMs?: number;
  /** Most JSON-RPC calls the indexer sends as one batch request (1: no batches). Default 100. */
  rpcBatch?: number;
  /** The demo identities file the web app offers for sign-in (the local demo chain only). */
  demoIdentities?: string;
  /** Where filed incident receipts are kept; default: `incident-receipts` beside the index (incidentReceiptsDir). */
  incidentReceipts?: string;
}

/** Why the API could not listen, by the socket error's code: a clear name instead of a stack. */
export const LISTEN_ERRORS: Record<string, [code: string, why: string]> = {
  EADDRINUSE: ["PORT_IN_USE", "is already in use by another process"],
  EACCES: ["PORT_DENIED", "needs privileges this process does not have (ports below 1024)"],
  EADDRNOTAVAIL: ["BAD_HOST", "is not an address of this machine"],
  ENOTFOUND: ["BAD_HOST", "does not resolve"],
};

/**
 * `make(d)` for the manifest the indexer follows now, made once per manifest: a migration (a new
 * manifest adopted) makes it anew. `forget(value)` drops a value that turned out bad (a failed read),
 * so the next call makes it again.
 */
function perManifest<T>(current: () => Deployment, make: (d: Deployment) => T) {
  let kept: { d: Deployment; value: T } | undefined;
  const get = () => {
    const d = current();
    if (kept?.d !== d) kept = { d, value: make(d) };
    return kept.value;
  };
  const forget = (value: T) => {
    if (kept?.value === value) kept = undefined;
  };
  return { get, forget };
}

/**
 * The web app's config for the current manifest: patients sign consents for the consent registry of
 * the current generation, so a migration must reach the page without a restart. One read of the
 * registry's EIP-712 domain per generation; a failed read is tried again.
 */
function webConfigFollowing(deployment: () => Deployment, ledger: () => LedgerContracts, base: Omit<WebConfig, "consentDomain">): () => Promise<WebConfig> {
  const configs = perManifest(deployment, () => {
    const config = readDomain(ledger().consents).then((domain): WebConfig => ({ ...base, consentDomain: { name: String(domain.name), version: String(domain.version), chainId: Number(domain.chainId), verifyingContract: String(domain.verifyingContract) } }));
    config.catch(() => configs.forget(config));
    return config;
  });
  return configs.get;
}

export async function startService(o: ServiceOptions) {
  const store = await IndexStore.open(o.db);
  const provider = new JsonRpcProvider(o.rpc, o.deployment.chainId, { staticNetwork: true, cacheTimeout: -1 });
  const app = createFastify({ logger: o.logger ?? true, trustProxy: o.trustProxy });
  const log: Logger = app.log;
  const indexer = createIndexer({ provider: httpRpc(o.rpc, { maxBatch: o.rpcBatch }), deployment: o.deployment, manifest: o.manifest, store, confirmations: o.confirmations ?? 0, logger: log, pollMs: 500 });
  // The API reads the manifest the indexer follows, so a generation it adopted is the API's too.
  const ledgerNow = perManifest(() => indexer.deployment(), (d) => connectLedger(d, provider)).get;
  const stop = new AbortController();
  let running: Promise<unknown> | undefined;
  let health: AppOptions["indexerHealth"];
  const close = async () => {
    stop.abort();
    try {
      await app.close();
    } finally {
      await running;
      provider.destroy();
      await store.close();
    }
  };
  const host = o.host ?? "127.0.0.1";
  const port = o.port ?? 8080;
  try {
    await indexer.syncOnce(stop.signal);
    // A loop that stops (a reorg deeper than finality) leaves the API up, answering /readyz 503 with why.
    ({ running, health } = superviseIndexer(indexer, stop.signal, log));
    const url = new URL(o.publicUrl ?? `http://${host}:${port}`);
    const options: AppOptions = {
      queries: createQueries(store),
      get ledger() {
        return ledgerNow();
      },
      get deployment() {
        return indexer.deployment();
      },
      provider,
      auth: { domain: url.host, uri: url.origin, chainId: o.deployment.chainId, headMaxAgeMs: o.headMaxAgeMs },
      indexerStats: indexer.stats,
      indexerHealth: health,
      corsOrigins: o.corsOrigins,
      relayer: o.relayer && (o.outbox ? new OutboxSigner(o.outbox, o.relayer.connect(provider)) : o.relayer.connect(provider)),
      rateLimit: o.rateLimit,
      publicOrigin: o.publicUrl ? url.origin : undefined,
      incidentReceipts: new IncidentReceipts(o.incidentReceipts ?? incidentReceiptsDir(o.db)),
    };
    // The web app (src/web), when its build exists: its config (and the demo's identities) as API routes, its files at /.
    if (webBuildExists()) {
      const config = webConfigFollowing(() => indexer.deployment(), ledgerNow, { chainId: o.deployment.chainId, siwe: { domain: url.host, uri: url.origin } });
      await config(); // a consent registry that cannot be read stops the start, as before
      options.web = { identities: o.demoIdentities, config };
    }
    await app.register(buildApp, options);
    if (options.web) await serveWebApp(app);
    const address = await app.listen({ host, port });
    return { address, app, indexer, store, close };
  } catch (e) {
    // Nothing left running: the indexer's loop would otherwise keep the process alive.
    await close().catch(() => undefined);
    const known = LISTEN_ERRORS[(e as { code?: string }).code ?? ""];
    throw known ? new MedprovError(known[0], `cannot listen on ${host}:${port}: it ${known[1]}`) : e;
  }
}
