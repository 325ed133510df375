/**
 * The web app, server side: serves the Vite build (dist/web) at `/`. The few facts the browser needs
 * beside the API's routes (its config, the demo identities) are API routes too, in the access table
 * and the OpenAPI document: src/api/routes/web.ts. Registered only when a build exists, so the API
 * runs the same without one.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import fastifyStatic from "@fastify/static";

/** Where `npm run build:web` writes the app. */
export const WEB_BUILD_DIR = resolve(__dirname, "..", "..", "dist", "web");

/** What the app needs to sign in and to sign consents (GET /web/config.json). */
export interface WebConfig {
  chainId: number;
  siwe: { domain: string; uri: string };
  consentDomain: { name: string; version: string; chainId: number; verifyingContract: string };
}

/** Whether a build of the app exists in `dir`. */
export const webBuildExists = (dir = WEB_BUILD_DIR) => existsSync(join(dir, "index.html"));

/** Serves the app's files, each a route of its own: unknown paths still get the API's 404. */
export async function serveWebApp(app: FastifyInstance, o: { dir?: string } = {}): Promise<boolean> {
  const dir = o.dir ?? WEB_BUILD_DIR;
  if (!webBuildExists(dir)) return false;
  // wildcard: false registers the build's files one by one, so no catch-all route shadows the API's.
  await app.register(fastifyStatic, { root: dir, prefix: "/", wildcard: false, index: "index.html", decorateReply: false, cacheControl: false });
  return true;
}
