/**
 * The FHIR endpoint's discovery and reads: /fhir/metadata, the resources other resources reference
 * (Organization, Device, CodeSystem) by search and by id, and a read of every resource a search
 * answers with (each entry's fullUrl resolves).
 */
import { LIMITS } from "../../constants";
import type { Kit } from "../app";
import { ERROR_CATALOGUE } from "../errors";
import { batchProvenance, parseBatchResourceId, capabilityStatement, codeSystems, consentResource, deviceId, deviceResource, organizationResource, pagedBundle, versionProvenance, type VersionRow } from "../../fhir";
import { PAGING, batchesInGenerations, fhirBase, fhirContext, pagingOf, sendFhir } from "../fhir-http";
import { batchIdOf } from "../../sdk";
import { auditMatches, bundleSchema } from "./fhir";
import * as sch from "../schemas";

const { S } = sch;
const anyResource = { type: "object", additionalProperties: true } as const;
const idParam = S.obj({ id: { type: "string", pattern: "^[A-Za-z0-9.-]{1,64}$" } }, ["id"]);
const token = { type: "string", maxLength: 64 } as const;

export function fhirReadRoutes(kit: Kit): void {
  const { app, q, route, found, enforce, ownOnly, consentScope, now } = kit;
  const read = (access: Parameters<Kit["route"]>[0]) => route(access, { params: idParam, response: { 200: anyResource } }, ["fhir"]);
  const search = (querystring: unknown) => route("public", { querystring, response: { 200: bundleSchema } }, ["fhir"]);
  const idOf = (req: { params: unknown }) => (req.params as { id: string }).id;

  app.get("/fhir/metadata", route("public", { querystring: S.obj({ _format: PAGING._format }), response: { 200: anyResource } }, ["fhir"]), async (req, reply) => sendFhir(reply, capabilityStatement(fhirBase(req), (await now()).time, "1.0.0")));

  // ── Organization: consortium members ──
  app.get("/fhir/Organization", search(S.obj({ _id: token, ...PAGING })), async (req, reply) => {
    const { _id } = req.query as { _id?: string };
    const members = (await q.members()).filter((m) => _id === undefined || String(m.orgId) === _id);
    const matches = members.map((m) => ({ key: String(m.orgId).padStart(10, "0"), resource: () => organizationResource(m) }));
    return sendFhir(reply, pagedBundle(matches, (await now()).time, pagingOf(req)));
  });
  app.get("/fhir/Organization/:id", read("public"), async (req, reply) => {
    const id = idOf(req);
    const m = /^[1-9][0-9]{0,9}$/.test(id) ? await q.member(Number(id)) : undefined;
    return sendFhir(reply, organizationResource(found(m, `Organization/${id}`)));
  });

  // ── Device: model versions ──
  const device = async (v: VersionRow) => deviceResource(await fhirContext(kit), v, await q.model(v.modelId));
  app.get("/fhir/Device", search(S.obj({ _id: token, ...PAGING })), async (req, reply) => {
    const { _id } = req.query as { _id?: string };
    const [ctx, models] = await Promise.all([fhirContext(kit), q.models()]);
    const names = new Map(models.map((m) => [m.modelId, { name: m.name }]));
    const versions = (await q.versionList({ limit: LIMITS.PAGE_MAX })).versions.filter((v) => _id === undefined || deviceId(v.versionId) === _id.toLowerCase());
    const matches = versions.map((v) => ({ key: `${v.registeredCheckpoint ?? ""}-${deviceId(v.versionId)}`, resource: () => deviceResource(ctx, v, names.get(v.modelId)) }));
    return sendFhir(reply, pagedBundle(matches, (await now()).time, pagingOf(req)));
  });
  app.get("/fhir/Device/:id", read("public"), async (req, reply) => {
    const id = idOf(req).toLowerCase();
    const v = /^[0-9a-f]{64}$/.test(id) ? await q.version(`0x${id}`) : undefined;
    return sendFhir(reply, await device(found(v, `Device/${id}`)));
  });

  // ── CodeSystem: medprov's own codes ──
  const systems = async () => codeSystems(new Map((await q.purposes()).map((p) => [Number(p.id), String(p.name)])), ERROR_CATALOGUE);
  app.get("/fhir/CodeSystem", search(S.obj({ url: { type: "string", maxLength: 200 }, _id: token, ...PAGING })), async (req, reply) => {
    const { url, _id } = req.query as { url?: string; _id?: string };
    const matches = (await systems()).filter((c) => (url === undefined || c.url === url) && (_id === undefined || c.id === _id)).map((c) => ({ key: c.id!, resource: () => c }));
    return sendFhir(reply, pagedBundle(matches, (await now()).time, pagingOf(req)));
  });
  app.get("/fhir/CodeSystem/:id", read("public"), async (req, reply) => sendFhir(reply, found((await systems()).find((c) => c.id === idOf(req)), `CodeSystem/${idOf(req)}`)));

  // ── reads of what the searches answer with ──
  app.get("/fhir/Consent/:id", read("subject"), async (req, reply) => {
    const m = /^consent-([0-9a-f]{40})-(\d{1,2})-(\d{1,10})$/.exec(idOf(req));
    found(m, `Consent/${idOf(req)}`);
    const [subject, purpose, grantee] = [`0x${m![1]}`, Number(m![2]), Number(m![3])];
    const inScope = await consentScope(req, subject);
    const row = (await q.consents(subject)).find((c) => Number(c.purpose) === purpose && Number(c.grantee) === grantee && inScope(grantee));
    return sendFhir(reply, consentResource(await fhirContext(kit), found(row, `Consent/${idOf(req)}`), (await now()).time));
  });
  // A version's provenance is public; a batch's follows the batch rule (checked once it is known to be a batch).
  // A batch's id carries its ledger generation (batchResourceId): a bare hash is a version, else generation 1's batch.
  app.get("/fhir/Provenance/:id", read("public"), async (req, reply) => {
    const id = idOf(req).toLowerCase();
    const named = parseBatchResourceId(id);
    const v = named && "batchId" in named ? await q.version(named.batchId) : undefined;
    if (v) return sendFhir(reply, versionProvenance(await fhirContext(kit), v));
    const batchId = named && ("batchId" in named ? named.batchId : batchIdOf(named.hospital, BigInt(named.firstSeq)));
    const [hit] = batchId ? await batchesInGenerations(kit, batchId, named!.generation) : [];
    found(hit, `Provenance/${id}`);
    enforce("hospital", req.caller);
    ownOnly(req.caller, hit.batch.hospital, "its own batches");
    return sendFhir(reply, batchProvenance(await fhirContext(kit), hit.batch, hit.gen));
  });
  app.get("/fhir/AuditEvent/:id", read("members"), async (req, reply) => {
    const e = (await auditMatches(q, await fhirContext(kit))).find((x) => x.id === idOf(req));
    return sendFhir(reply, found(e, `AuditEvent/${idOf(req)}`).resource());
  });
}
