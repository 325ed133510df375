/**
 * FHIR R4 export. Resources are built field by field in src/fhir, so the response schema only pins
 * the Bundle. "Now" (a Consent's status, the Bundle's timestamp) is the chain's head block time.
 */
import type { Kit } from "../app";
import { ApiError } from "../errors";
import { parseTime } from "../inputs";
import type { Access } from "../access";
import { batchProvenance, consentResource, memberAuditEvent, searchBundle, versionAuditEvent, versionProvenance, type BatchRow, type ConsentRow, type FhirContext, type MemberChange, type VersionChange, type VersionRow } from "../../fhir";
import * as sch from "../schemas";

const { S } = sch;

export function fhirRoutes({ app, o, q, route, found, enforce, ownOnly, consentScope, now }: Kit): void {
  const bundleSchema = S.obj({ resourceType: S.str, type: S.str, timestamp: S.str, total: S.int, entry: S.arr(S.obj({ resource: { type: "object", additionalProperties: true }, search: S.obj({ mode: S.str }) })) });
  const fhirRoute = (access: Access, querystring: unknown, description?: string) => route(access, { querystring, response: { 200: bundleSchema }, ...(description ? { description } : {}) }, ["fhir"]);
  async function fhirContext(): Promise<FhirContext> {
    const names = new Map((await q.members()).map((m) => [Number(m.orgId), String(m.name)]));
    const purposes = new Map((await q.purposes()).map((p) => [Number(p.id), String(p.name)]));
    const a = o.deployment.addresses;
    return { chainId: o.deployment.chainId, addresses: { consortium: a.consortium, consents: a.consents, models: a.models, traces: a.traces }, orgName: (id) => names.get(id), purposeName: (id) => purposes.get(id) };
  }

  app.get("/fhir/Consent", fhirRoute("subject", S.obj({ patient: S.address }, ["patient"]), "Consent.status is computed at the chain's head block time."), async (req, reply) => {
    const { patient } = req.query as { patient: string };
    const inScope = await consentScope(req, patient);
    const [ctx, head] = await Promise.all([fhirContext(), now()]);
    const rows = (await q.consents(patient)).filter((c) => inScope(Number(c.grantee))) as unknown as ConsentRow[];
    return reply.type("application/fhir+json").send(searchBundle(rows.map((r) => consentResource(ctx, r, head.time)), head.time));
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
    return reply.type("application/fhir+json").send(searchBundle([resource], (await now()).time));
  });
  const since = { type: "string", maxLength: 40, description: "Unix seconds or an ISO 8601 date-time with offset; compared with the events' block times" };
  app.get("/fhir/AuditEvent", fhirRoute("members", S.obj({ since })), async (req, reply) => {
    const text = (req.query as { since?: string }).since;
    const from = text === undefined ? 0 : parseTime("since", text);
    const ctx = await fhirContext();
    const members = (await q.memberChanges()).map((c) => ({ checkpoint: c.checkpoint, time: Number(c.time), event: () => memberAuditEvent(ctx, c as unknown as MemberChange) }));
    const versions = (await q.versionChanges()).map((c) => ({ checkpoint: c.checkpoint, time: Number(c.time), event: () => versionAuditEvent(ctx, c as unknown as VersionChange) }));
    const events = [...members, ...versions].filter((e) => e.time >= from).sort((a, b) => a.checkpoint.localeCompare(b.checkpoint));
    return reply.type("application/fhir+json").send(searchBundle(events.map((e) => e.event()), (await now()).time));
  });
}
