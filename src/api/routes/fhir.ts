/**
 * FHIR R4 searches. Resources are built field by field in src/fhir, so the response schema only pins
 * the Bundle. "Now" (a Consent's status, the Bundle's timestamp) is the chain's head block time.
 * Every search pages (`_count`, the Bundle's `next` link) and its entries carry their fullUrl.
 */
import type { FastifyRequest } from "fastify";
import type { Kit } from "../app";
import { ApiError } from "../errors";
import type { Access } from "../access";
import { batchProvenance, consentResource, dateFilter, memberAuditEvent, pagedBundle, versionAuditEvent, versionProvenance, type FhirContext, type Match } from "../../fhir";
import { PAGING, batchesInGenerations, fhirContext, pagingOf, searchParam, sendFhir } from "../fhir-http";
import * as sch from "../schemas";

const { S } = sch;
const pad = (n: number, w: number) => String(n).padStart(w, "0");

export const bundleSchema = S.obj({
  resourceType: S.str, type: S.str, timestamp: S.str, total: S.int,
  link: S.arr(S.obj({ relation: S.str, url: S.str })),
  entry: S.arr(S.obj({ fullUrl: S.str, resource: { type: "object", additionalProperties: true }, search: S.obj({ mode: S.str }) })),
});

/** Every membership and version status change as an AuditEvent match, keyed in chain order. */
export async function auditMatches(q: Kit["q"], ctx: FhirContext): Promise<(Match & { time: number; id: string })[]> {
  const members = (await q.memberChanges()).map((c) => ({ id: `member-${c.checkpoint}`, key: `${c.checkpoint}-m`, time: Number(c.time), resource: () => memberAuditEvent(ctx, c) }));
  const versions = (await q.versionChanges()).map((c) => ({ id: `version-${c.checkpoint}`, key: `${c.checkpoint}-v`, time: Number(c.time), resource: () => versionAuditEvent(ctx, c) }));
  return [...members, ...versions];
}

export function fhirRoutes(kit: Kit): void {
  const { app, q, route, found, enforce, ownOnly, consentScope, now } = kit;
  const fhirRoute = (access: Access, querystring: unknown, description?: string) => route(access, { querystring, response: { 200: bundleSchema }, ...(description ? { description } : {}) }, ["fhir"]);
  const bundle = async (req: FastifyRequest, matches: Match[]) => pagedBundle(matches, (await now()).time, pagingOf(req));

  app.get("/fhir/Consent", fhirRoute("subject", S.obj({ patient: S.address, ...PAGING }, ["patient"]), "Consent.status is computed at the chain's head block time."), async (req, reply) => {
    const { patient } = req.query as { patient: string };
    const inScope = await consentScope(req, patient);
    const [ctx, head] = await Promise.all([fhirContext(kit), now()]);
    const rows = (await q.consents(patient)).filter((c) => inScope(c.grantee));
    const matches = rows.map((r) => ({ key: `${pad(r.purpose, 3)}-${pad(r.grantee, 10)}`, resource: () => consentResource(ctx, r, head.time) }));
    return sendFhir(reply, pagedBundle(matches, head.time, pagingOf(req)));
  });
  // A version's provenance is a public registry fact; a batch's follows the batch rule (its hospital, oversight).
  // Batch ids repeat across ledger generations: ?batch= answers each generation's batch of that id, ?generation= one.
  const generation = { type: "integer", minimum: 1, maximum: 99_999, description: "With batch: only the batch anchored in this ledger generation (1, 2, …)" };
  app.get("/fhir/Provenance", fhirRoute("public", S.obj({ version: S.hex32, batch: S.hex32, generation, ...PAGING })), async (req, reply) => {
    const { version, batch, generation: only } = req.query as { version?: string; batch?: string; generation?: number };
    if ((version === undefined) === (batch === undefined)) throw new ApiError("BAD_REQUEST", "give exactly one of ?version=<versionId> or ?batch=<batchId>");
    if (only !== undefined && batch === undefined) throw new ApiError("BAD_REQUEST", "?generation= narrows a ?batch= search; a model version is one registry fact");
    const ctx = await fhirContext(kit);
    if (version !== undefined) {
      const resource = versionProvenance(ctx, found(await q.version(version), `version ${version}`));
      return sendFhir(reply, await bundle(req, [{ key: "0", resource: () => resource }]));
    }
    enforce("hospital", req.caller);
    const hits = await batchesInGenerations(kit, batch!, only);
    found(hits[0], only === undefined ? `batch ${batch}` : `batch ${batch} in ledger generation ${only}`);
    for (const h of hits) ownOnly(req.caller, h.batch.hospital, "its own batches");
    return sendFhir(reply, await bundle(req, hits.map((h) => ({ key: String(h.gen.generation).padStart(5, "0"), resource: () => batchProvenance(ctx, h.batch, h.gen) }))));
  });
  const date = { type: "string", maxLength: 40, description: "A FHIR date (2026, 2026-05, 2026-05-01, 2026-05-01T12:00:00Z) with an optional prefix (ge, gt, le, lt, eq, ne, sa, eb); compared with the events' block times" };
  const since = { type: "string", maxLength: 40, description: "Events at or after: Unix seconds or a FHIR date (2026-05-01, 2026-05-01T12:00:00Z)" };
  app.get("/fhir/AuditEvent", fhirRoute("members", S.obj({ since, date, _lastUpdated: date, ...PAGING })), async (req, reply) => {
    const query = req.query as { since?: string; date?: string; _lastUpdated?: string };
    const tests: ((t: number) => boolean)[] = [];
    if (query.since !== undefined) tests.push(searchParam(() => dateFilter("since", `ge${query.since}`)));
    if (query.date !== undefined) tests.push(searchParam(() => dateFilter("date", query.date!)));
    if (query._lastUpdated !== undefined) tests.push(searchParam(() => dateFilter("_lastUpdated", query._lastUpdated!)));
    const events = (await auditMatches(q, await fhirContext(kit))).filter((e) => tests.every((t) => t(e.time)));
    return sendFhir(reply, await bundle(req, events));
  });
}
