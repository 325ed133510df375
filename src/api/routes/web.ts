/**
 * What the web app (src/web) reads besides the API's other routes: the SIWE domain and URI this
 * server checks, the chain id and the consent registry's EIP-712 domain (read from the contract by
 * the caller that starts the server, never from constants); on the local demo chain only, the demo
 * identities (public test keys) to sign in with. Registered only on a server that serves the app.
 */
import { readFileSync } from "node:fs";
import type { Kit } from "../app";
import type { WebConfig } from "../../web";
import * as sch from "../schemas";

const { S } = sch;

export interface WebRoutesOptions {
  /** The config, or how to read it per request (`serve`: the consent domain of the generation the API follows now). */
  config: WebConfig | (() => Promise<WebConfig>);
  /** The demo identities file (written by `npm start` on the demo chain); absent elsewhere. */
  identities?: string;
}

const configSchema = S.obj({
  chainId: S.int,
  siwe: S.obj({ domain: S.str, uri: S.str }),
  consentDomain: S.obj({ name: S.str, version: S.str, chainId: S.int, verifyingContract: S.address }),
  demo: S.bool,
});
const identity = S.obj({
  name: S.str,
  role: S.str,
  organisation: { type: ["object", "null"], additionalProperties: false, properties: { id: S.int, name: S.str } },
  address: S.address,
  privateKey: S.str,
  mrn: S.str,
  /** A demo patient's one secret (public, like the keys): the web app derives their pseudonym at every hospital from it. */
  secret: S.hex32,
});
const identitiesSchema = S.obj({ warning: S.str, identities: S.arr(identity) });

export function webRoutes({ app, o, route }: Kit): void {
  const web = o.web;
  if (!web) return;
  app.get("/web/config.json", route("public", { response: { 200: configSchema } }, ["web"]), async (_req, reply) => {
    const config = typeof web.config === "function" ? await web.config() : web.config;
    return reply.header("cache-control", "no-store").send({ ...config, demo: web.identities !== undefined });
  });
  const path = web.identities;
  if (!path) return;
  // Public test keys (the well-known test mnemonic), offered only where start.ts wrote them: the demo chain.
  app.get("/web/demo-identities.json", route("public", { response: { 200: identitiesSchema } }, ["web"]), async (_req, reply) => {
    const { warning, identities } = JSON.parse(readFileSync(path, "utf8")) as { warning: string; identities: { role: string }[] };
    return reply.header("cache-control", "no-store").send({ warning, identities: identities.filter((i) => i.role !== "GOVERNANCE") });
  });
}
