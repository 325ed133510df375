/** Health, readiness, metrics, the OpenAPI document, and sign-in. */
import { getAddress } from "ethers";
import type { Kit } from "../app";
import { readiness } from "../health";
import * as sch from "../schemas";

const { S } = sch;

export function healthRoutes({ app, o, route, slowRoute, auth, counters, names }: Kit): void {
  app.get("/healthz", route("public", { response: { 200: S.obj({ status: S.str }) } }, ["health"]), async () => ({ status: "ok" }));
  const readySchema = S.obj({ ready: S.bool, lag: S.int, reason: S.obj({ code: S.str, message: S.str }) });
  app.get("/readyz", route("public", { response: { 200: readySchema, 503: readySchema } }, ["health"]), async (_req, reply) => {
    const r = await readiness(o);
    if (!r.ready) reply.header("retry-after", "5");
    return reply.status(r.ready ? 200 : 503).send(r);
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
  app.post("/auth/nonce", slowRoute("public", { response: { 200: S.obj({ nonce: S.str }) } }, ["auth"]), async () => ({ nonce: auth.issueNonce() }));
  app.post(
    "/auth/verify",
    slowRoute("public", { body: S.obj({ message: { type: "string", maxLength: 4096 }, signature: { type: "string", pattern: "^0x[0-9a-fA-F]{130}$" } }, ["message", "signature"]), response: { 200: S.obj({ session: S.str, address: S.str, expiresAt: S.str }) } }, ["auth"]),
    async (req) => {
      const { message, signature } = req.body as { message: string; signature: string };
      return auth.signIn(message, signature);
    },
  );
  // The caller's role is the one every route judges by: read from the ledger at the chain's head for
  // the session's address (auth.caller); a suspended member or a revoked key is refused before this runs.
  app.get(
    "/auth/me",
    route("verify", { response: { 200: S.obj({ address: S.address, role: S.str, orgId: S.int, orgName: { type: ["string", "null"] } }) } }, ["auth"]),
    async (req) => {
      const c = req.caller;
      const orgId = c.orgId ?? 0;
      return { address: getAddress(c.address!), role: c.kind === "patient" ? "PATIENT" : c.kind, orgId, orgName: orgId ? (await names()).orgName(orgId) : null };
    },
  );
}
