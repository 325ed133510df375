/**
 * The web app, server side: serves the Vite build (dist/web) at `/` and the few facts the browser
 * needs and cannot read from the API's routes: the SIWE domain and URI this server checks, the
 * chain id, and the consent registry's EIP-712 domain (read from the contract by the caller, never
 * from constants). On the local demo chain only, the demo identities (public test keys) too.
 * Registered only when a build exists, so the API runs the same without one.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import fastifyStatic from "@fastify/static";

/** Where `npm run build:web` writes the app. */
export const WEB_BUILD_DIR = resolve(__dirname, "..", "..", "dist", "web");

export interface WebConfig {
  chainId: number;
  siwe: { domain: string; uri: string };
  consentDomain: { name: string; version: string; chainId: number; verifyingContract: string };
}

export interface WebOptions {
  config: WebConfig;
  /** The demo identities file (written by `npm start` on the demo chain); absent elsewhere. */
  identities?: string;
  dir?: string;
  /** A key's role, organisation and member status at the chain's head (public ledger facts). */
  roleOf: (address: string) => Promise<{ role: string; orgId: number; status: string }>;
}

/** Whether a build of the app exists in `dir`. */
export const webBuildExists = (dir = WEB_BUILD_DIR) => existsSync(join(dir, "index.html"));

/** Serves the app's files (each a route of its own: unknown paths still get the API's 404) and its config. */
export async function serveWebApp(app: FastifyInstance, o: WebOptions): Promise<boolean> {
  const dir = o.dir ?? WEB_BUILD_DIR;
  if (!webBuildExists(dir)) return false;
  // wildcard: false registers the build's files one by one, so no catch-all route shadows the API's.
  await app.register(fastifyStatic, { root: dir, prefix: "/", wildcard: false, index: "index.html", decorateReply: false, cacheControl: false });
  app.get("/web/config.json", { schema: { hide: true } }, async (_req, reply) => reply.header("cache-control", "no-store").send({ ...o.config, demo: o.identities !== undefined }));
  app.get("/web/role/:address", { schema: { hide: true } }, async (req, reply) => {
    const { address } = req.params as { address: string };
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return reply.status(400).send({ error: { code: "BAD_ADDRESS", message: "an address is 0x and 40 hex digits" } });
    try {
      return reply.header("cache-control", "no-store").send(await o.roleOf(address));
    } catch {
      // Not the caller's fault: the chain node did not answer.
      return reply.status(503).header("retry-after", "5").send({ error: { code: "NOT_READY", message: "the chain node did not answer, so the key's role could not be read; try again shortly" } });
    }
  });
  if (o.identities) {
    const path = o.identities;
    // Public test keys (the well-known test mnemonic), offered only where start.ts wrote them: the demo chain.
    app.get("/web/demo-identities.json", { schema: { hide: true } }, async (_req, reply) => {
      const { warning, identities } = JSON.parse(readFileSync(path, "utf8")) as { warning: string; identities: { name: string; role: string; organisation: { id: number; name: string } | null; address: string; privateKey: string }[] };
      return reply.header("cache-control", "no-store").send({ warning, identities: identities.filter((i) => i.role !== "GOVERNANCE") });
    });
  }
  return true;
}
