/**
 * Helmet's security headers, computed once. @fastify/helmet calls `helmet(options)` on every
 * request, building all of helmet's middlewares again each time (helmetjs/helmet#430). bench:api's
 * /healthz row (client on a worker) went from 19.8k to 28.7k req/s when this replaced it (the
 * docs/bench-api.md of commits 866cbfb and 47057ac). With a static configuration (no CSP
 * nonces, no per-request directives) helmet's output does not depend on the request, so helmet is
 * run once against a recording response and its headers are replayed. test/api/server.test.ts checks the
 * replayed headers equal what @fastify/helmet sets, on success, error and not-found answers.
 */
import type { FastifyInstance } from "fastify";
import helmet, { type HelmetOptions } from "helmet";

/**
 * The API's helmet options. CSP is off: every route answers JSON or text, where CSP has nothing to
 * govern, and the Swagger UI at /docs runs inline scripts that helmet's default policy would block.
 */
export const API_HELMET_OPTIONS: HelmetOptions = { contentSecurityPolicy: false };

/**
 * The headers helmet sets for these options, with lower-cased names (as Fastify's reply keeps them).
 * Refuses CSP directives given as functions: their value is per request, so it cannot be computed once.
 */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const csp = options.contentSecurityPolicy;
  const directives = typeof csp === "object" ? Object.values(csp.directives ?? {}) : [];
  if (directives.some((d) => d !== null && typeof d === "object" && [...(d as Iterable<unknown>)].some((v) => typeof v === "function"))) {
    throw new TypeError("a CSP directive given as a function depends on the request; its header cannot be computed once");
  }
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failed: unknown;
  helmet(options)({} as never, recorder as never, (e?: unknown) => void (failed = e));
  if (failed) throw failed;
  return headers;
}

/** Sets helmet's headers on every answer, including errors and not-found, as @fastify/helmet does. */
export function addSecurityHeaders(app: FastifyInstance, options: HelmetOptions): void {
  const headers = helmetHeaders(options);
  app.addHook("onRequest", (_req, reply, done) => {
    reply.headers(headers);
    done();
  });
}
