/**
 * The FHIR endpoint driven by a FHIR client library (fhir-kit-client) over HTTP, as a FHIR
 * application would use it: capability discovery, searches, paging through `next`, reading every
 * resource the answers reference (by reference, by fullUrl, code systems by canonical URL), dates
 * as FHIR writes them, and errors as OperationOutcomes. Every resource is validated against R4
 * (test/helpers/fhir-validate.ts).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { apiWorld, type ApiWorld } from "../helpers/api-fixture";
import { fhirProblems } from "../helpers/fhir-validate";
import { CANONICAL } from "../../src/fhir";

let w: ApiWorld;
let base: string;
// The client's own types model FHIR generically; the tests read fields by name, as JSON.
let client: any;
let anonymous: any;

beforeAll(async () => {
  w = await apiWorld();
  const address = await w.app.listen({ port: 0, host: "127.0.0.1" });
  base = `${address}/fhir`;
  const { Client } = await import("fhir-kit-client");
  client = new Client({ baseUrl: base, bearerToken: await w.signIn(w.l.auditor) });
  anonymous = new Client({ baseUrl: base });
}, 120_000);
afterAll(async () => w?.app.close());

const valid = (r: { resourceType: string }) => expect(fhirProblems(r), JSON.stringify(r).slice(0, 400)).toEqual([]);
type Bundle = { resourceType: string; total: number; link?: { relation: string; url: string }[]; entry?: { fullUrl: string; resource: any }[] };

/** Every page of a search, following `next` links with the client. */
async function allPages(first: Bundle): Promise<Bundle[]> {
  const pages = [first];
  for (let page: Bundle | undefined = first; page; ) {
    page = await client.nextPage({ bundle: page });
    if (page) pages.push(page);
  }
  return pages;
}

/** Every `reference` in a resource, at any depth. */
function references(x: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(x)) x.forEach((v) => references(v, out));
  else if (x && typeof x === "object") for (const [k, v] of Object.entries(x)) k === "reference" && typeof v === "string" ? out.add(v) : references(v, out);
  return out;
}
/** Every coding with a medprov system, at any depth. */
function codings(x: unknown, out: { system: string; code: string }[] = []): { system: string; code: string }[] {
  if (Array.isArray(x)) x.forEach((v) => codings(v, out));
  else if (x && typeof x === "object") {
    const o = x as Record<string, unknown>;
    if (typeof o.system === "string" && typeof o.code === "string" && o.system.startsWith(CANONICAL)) out.push({ system: o.system, code: o.code });
    Object.values(o).forEach((v) => codings(v, out));
  }
  return out;
}

describe("a FHIR client discovers and reads the endpoint", () => {
  it("capability discovery: a valid CapabilityStatement listing each resource type with read and search", async () => {
    const cap = await client.capabilityStatement();
    valid(cap);
    expect(cap).toMatchObject({ resourceType: "CapabilityStatement", fhirVersion: "4.0.1", kind: "instance", implementation: { url: base } });
    const served = Object.fromEntries(cap.rest[0].resource.map((r: any) => [r.type, r.interaction.map((i: any) => i.code).sort()]));
    for (const type of ["Consent", "Provenance", "AuditEvent", "Organization", "Device", "CodeSystem"]) expect(served[type], type).toEqual(["read", "search-type"]);
    expect(cap.rest[0].resource.find((r: any) => r.type === "AuditEvent").searchParam.map((p: any) => p.name)).toEqual(expect.arrayContaining(["date", "_lastUpdated", "since"]));
    expect((await anonymous.capabilityStatement()).resourceType).toBe("CapabilityStatement"); // discovery needs no sign-in
  });

  it("searches answer valid Bundles with a self link and a fullUrl per entry; paging through next visits each match once", async () => {
    const whole: Bundle = await client.search({ resourceType: "AuditEvent", searchParams: { _count: 1000 } });
    valid(whole);
    expect(whole.link?.find((l) => l.relation === "self")?.url).toMatch(new RegExp(`^${base}/AuditEvent\\?`));
    expect(whole.link?.find((l) => l.relation === "next")).toBeUndefined();
    expect(whole.total).toBeGreaterThan(5);
    for (const e of whole.entry!) expect(e.fullUrl).toBe(`${base}/AuditEvent/${e.resource.id}`);
    const pages = await allPages(await client.search({ resourceType: "AuditEvent", searchParams: { _count: 2 } }));
    expect(pages).toHaveLength(Math.ceil(whole.total / 2));
    for (const p of pages) {
      valid(p);
      expect(p.total).toBe(whole.total);
      expect(p.entry!.length).toBeLessThanOrEqual(2);
    }
    expect(pages.flatMap((p) => p.entry!.map((e) => e.fullUrl))).toEqual(whole.entry!.map((e) => e.fullUrl));
    // Organizations and Devices page the same way.
    const orgs = await allPages(await client.search({ resourceType: "Organization", searchParams: { _count: 3 } }));
    expect(orgs.flatMap((p) => p.entry!.map((e) => e.resource.name))).toEqual((await w.app.inject({ url: "/members" })).json().map((m: { name: string }) => m.name));
    const devices = await allPages(await client.search({ resourceType: "Device", searchParams: { _count: 1 } }));
    expect(devices.flatMap((p) => p.entry!.map((e) => e.resource.identifier[0].value))).toEqual([w.ids.versionId.toLowerCase(), w.ids.version2.toLowerCase()]);
  });

  it("reads every resource the answers reference, and every entry by its fullUrl; each is valid R4", async () => {
    const searches: Bundle[] = [
      await client.search({ resourceType: "Consent", searchParams: { patient: w.l.patient.address } }),
      await client.search({ resourceType: "Provenance", searchParams: { version: w.ids.versionId } }),
      await client.search({ resourceType: "Provenance", searchParams: { batch: w.receipts[0].batchId } }),
      await client.search({ resourceType: "AuditEvent", searchParams: { _count: 1000 } }),
      await client.search({ resourceType: "Device" }),
      await client.search({ resourceType: "Organization" }),
    ];
    const resources = searches.flatMap((b) => b.entry!.map((e) => e.resource));
    const refs = new Set<string>();
    for (const r of resources) references(r, refs);
    expect([...refs].some((r) => r.startsWith("Organization/"))).toBe(true);
    expect([...refs].some((r) => r.startsWith("Device/"))).toBe(true);
    for (const ref of refs) {
      const [type, id] = ref.split("/");
      const read = await client.read({ resourceType: type, id });
      valid(read);
      expect([read.resourceType, read.id]).toEqual([type, id]);
    }
    for (const b of searches) for (const e of b.entry!) {
      const again = await client.resolve({ reference: e.fullUrl });
      valid(again);
      expect(again).toEqual(e.resource);
    }
  });

  it("every medprov code is in the CodeSystem its canonical URL names, found by ?url=", async () => {
    const all = [
      ...(await client.search({ resourceType: "Consent", searchParams: { patient: w.l.patient.address } })).entry,
      ...(await client.search({ resourceType: "AuditEvent", searchParams: { _count: 1000 } })).entry,
      ...(await client.search({ resourceType: "Organization" })).entry,
    ].map((e: any) => e.resource);
    const used = codings(all);
    expect(new Set(used.map((c) => c.system)).size).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(all)).not.toMatch(/"system":"urn:medprov:(purpose|event|audit-event-type)/);
    for (const system of new Set(used.map((c) => c.system))) {
      const found: Bundle = await client.search({ resourceType: "CodeSystem", searchParams: { url: system } });
      expect(found.total, system).toBe(1);
      const cs = found.entry![0].resource;
      valid(cs);
      expect(await client.read({ resourceType: "CodeSystem", id: cs.id })).toEqual(cs);
      const codes = new Set(cs.concept.map((c: { code: string }) => c.code));
      for (const c of used.filter((u) => u.system === system)) expect(codes, `${system}|${c.code}`).toContain(c.code);
    }
  });

  it("date, _lastUpdated and since take FHIR dates with prefixes", async () => {
    const recorded: string[] = (await client.search({ resourceType: "AuditEvent", searchParams: { _count: 1000 } })).entry.map((e: any) => e.resource.recorded);
    const pivot = recorded[Math.floor(recorded.length / 2)];
    const day = pivot.slice(0, 10);
    const count = async (searchParams: Record<string, string>) => {
      const b: Bundle = await client.search({ resourceType: "AuditEvent", searchParams: { ...searchParams, _count: "1000" } });
      valid(b);
      return b.total;
    };
    expect(await count({ date: day })).toBe(recorded.filter((t) => t.startsWith(day)).length);
    expect(await count({ date: pivot.slice(0, 4) })).toBe(recorded.filter((t) => t.startsWith(pivot.slice(0, 4))).length);
    expect(await count({ date: `gt${pivot.replace(".000Z", "Z")}` })).toBe(recorded.filter((t) => t > pivot).length);
    expect(await count({ date: `le${pivot.replace(".000Z", "+00:00")}` })).toBe(recorded.filter((t) => t <= pivot).length);
    expect(await count({ _lastUpdated: `ge${pivot}` })).toBe(recorded.filter((t) => t >= pivot).length);
    expect(await count({ since: day })).toBe(recorded.filter((t) => t >= `${day}T00:00:00.000Z`).length);
    expect(await count({ date: "lt1971" })).toBe(0);
  });

  it("errors are OperationOutcomes: not found, not signed in, a bad date, an unknown resource type", async () => {
    const failure = async (p: Promise<unknown>) => {
      const e = await p.then(() => undefined, (x: any) => x);
      expect(e?.response, "the request should have failed").toBeDefined();
      valid(e.response.data);
      expect(e.response.data.resourceType).toBe("OperationOutcome");
      return [e.response.status, e.response.data.issue[0].code, e.response.data.issue[0].details.coding[0].code];
    };
    expect(await failure(client.read({ resourceType: "Device", id: "00".repeat(32) }))).toEqual([404, "not-found", "NOT_FOUND"]);
    expect(await failure(client.read({ resourceType: "Organization", id: "99" }))).toEqual([404, "not-found", "NOT_FOUND"]);
    expect(await failure(anonymous.search({ resourceType: "AuditEvent" }))).toEqual([401, "login", "UNAUTHENTICATED"]);
    expect(await failure(client.search({ resourceType: "AuditEvent", searchParams: { date: "2026-02-30" } }))).toEqual([400, "invalid", "INVALID_TIME"]);
    expect(await failure(client.search({ resourceType: "AuditEvent", searchParams: { date: "2026-05-01T12:00" } }))).toEqual([400, "invalid", "INVALID_TIME"]);
    expect(await failure(client.search({ resourceType: "Patient" }))).toEqual([404, "not-found", "NOT_FOUND"]);
    expect(await failure(client.search({ resourceType: "Consent" }))).toEqual([400, "invalid", "BAD_REQUEST"]);
  });
});
