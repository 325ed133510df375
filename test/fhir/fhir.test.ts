/**
 * FHIR R4 export as pure mappings: every resource type the API serves, in each state a ledger
 * fact can be in, validated against FHIR R4 by existing libraries (test/helpers/fhir-validate.ts).
 */
import { describe, it, expect } from "vitest";
import { Purpose, VersionStatus, MemberStatus, NUMBERS, VERSION_STATUSES } from "../../src/constants";
import { batchProvenance, capabilityStatement, codeSystems, consentResource, dateFilter, dateRange, deviceResource, memberAuditEvent, operationOutcome, organizationResource, pagedBundle, searchBundle, versionAuditEvent, versionProvenance, CANONICAL, type ConsentRow, type FhirContext } from "../../src/fhir";
import { fhirProblems } from "../helpers/fhir-validate";

const ctx: FhirContext = {
  chainId: 31337,
  addresses: { consortium: "0x" + "11".repeat(20), consents: "0x" + "22".repeat(20), models: "0x" + "33".repeat(20), traces: "0x" + "44".repeat(20) },
  orgName: (id) => ({ 1: "Hospital A", 3: "Developer", 4: "Regulator" })[id],
  purposeName: (id) => (id === 6 ? "PUBLIC_HEALTH_SURVEILLANCE" : undefined),
};
const SUBJECT = "0x" + "ab".repeat(20);
const T0 = 1_780_000_000;
const id32 = (b: string) => "0x" + b.repeat(32);
const grant = (o: Partial<ConsentRow> = {}): ConsentRow => ({ subject: SUBJECT, purpose: Purpose.CLINICAL_DECISION_SUPPORT, grantee: 1, grantedAt: T0, expiresAt: T0 + 86_400, revokedAt: 0, signedAt: T0, block: 10, ...o });
const valid = (r: { resourceType: string }) => expect(fhirProblems(r), JSON.stringify(r)).toEqual([]);

describe("FHIR R4 export", () => {
  describe("Consent", () => {
    it("a live grant is an active permit for its purpose and grantee, with its period", () => {
      const c = consentResource(ctx, grant(), T0 + 10);
      valid(c);
      expect(c.status).toBe("active");
      expect(c.patient?.identifier?.value).toBe(`eip155:31337:${SUBJECT}`);
      expect(c.provision?.purpose?.[0].code).toBe("CLINICAL_DECISION_SUPPORT");
      expect(c.provision?.actor?.[0].reference.identifier?.value).toBe("1");
      expect(c.provision?.actor?.[0].reference.display).toBe("Hospital A");
      expect(c.provision?.period).toEqual({ start: new Date(T0 * 1000).toISOString(), end: new Date((T0 + 86_400) * 1000).toISOString() });
    });

    it("revoked and expired grants are inactive; a revocation ends the period", () => {
      const revoked = consentResource(ctx, grant({ revokedAt: T0 + 100 }), T0 + 200);
      valid(revoked);
      expect([revoked.status, revoked.provision?.period?.end]).toEqual(["inactive", new Date((T0 + 100) * 1000).toISOString()]);
      const expired = consentResource(ctx, grant(), T0 + 86_400);
      valid(expired);
      expect(expired.status).toBe("inactive");
    });

    it("granted, expired, revoked before expiry and revoked after expiry: status at `now`, the period ends at whichever came first", () => {
      const at = (t: number) => new Date(t * 1000).toISOString();
      const expiry = T0 + 86_400;
      const cases: [string, ConsentRow, number, string, string][] = [
        ["granted", grant(), T0 + 10, "active", at(expiry)],
        ["expired", grant(), expiry + 1, "inactive", at(expiry)],
        ["revoked before expiry", grant({ revokedAt: T0 + 100 }), T0 + 200, "inactive", at(T0 + 100)],
        // A revocation after the grant had already expired ended nothing: the period still ends at the expiry.
        ["revoked after expiry", grant({ revokedAt: expiry + 500 }), expiry + 600, "inactive", at(expiry)],
        // Revoked, then read at a time before the expiry: revoked all the same.
        ["revoked, read before expiry", grant({ revokedAt: T0 + 100 }), T0 + 150, "inactive", at(T0 + 100)],
      ];
      for (const [name, row, now, status, end] of cases) {
        const c = consentResource(ctx, row, now);
        expect(fhirProblems(c), name).toEqual([]);
        expect([name, c.status, c.provision?.period?.start, c.provision?.period?.end]).toEqual([name, status, at(T0), end]);
      }
    });

    it("maps every default purpose, HL7 codes where HL7 has them, and purposes governance added later", () => {
      for (const p of Object.values(Purpose)) valid(consentResource(ctx, grant({ purpose: p }), T0));
      expect(consentResource(ctx, grant({ purpose: Purpose.RESEARCH }), T0).provision?.purpose?.[0]).toMatchObject({ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "HRESCH" });
      expect(consentResource(ctx, grant({ purpose: Purpose.RESEARCH }), T0).scope.coding?.[0].code).toBe("research");
      const added = consentResource(ctx, grant({ purpose: 6 }), T0);
      valid(added);
      expect(added.provision?.purpose?.[0].code).toBe("PUBLIC_HEALTH_SURVEILLANCE");
    });

    it("a grant without expiry has an open period; 'any member' is named as such", () => {
      const c = consentResource(ctx, grant({ expiresAt: 2 ** 64 - 1, grantee: NUMBERS.ANY_MEMBER }), T0);
      valid(c);
      expect(c.provision?.period?.end).toBeUndefined();
      expect(c.provision?.actor?.[0].reference.display).toBe("any active consortium member");
    });
  });

  describe("Provenance", () => {
    const version = { versionId: id32("a1"), modelId: id32("b1"), developer: 3, parent: id32("00"), weightsHash: id32("c1"), modelCardHash: id32("d1"), trainingDatasets: [id32("e1"), id32("e2")], status: VersionStatus.SUBMITTED, registeredTime: T0, tx: id32("f1") };

    it("a submitted version: its developer as author, its training datasets as sources", () => {
      const p = versionProvenance(ctx, version);
      valid(p);
      expect(p.agent.map((a) => a.type?.coding?.[0].code)).toEqual(["author"]);
      expect(p.entity?.map((e) => [e.role, e.what.identifier?.value])).toEqual([["source", id32("e1")], ["source", id32("e2")]]);
    });

    it("an approved revision: the regulator as verifier, the parent as a revision, the filing code, the regulator's risk class", () => {
      const p = versionProvenance(ctx, { ...version, parent: id32("a0"), status: VersionStatus.APPROVED, approvedBy: 4, filingCode: "NMPA-2026-0042", riskClass: 1 });
      valid(p);
      expect(p.agent.map((a) => [a.type?.coding?.[0].code, a.who.display])).toEqual([["author", "Developer"], ["verifier", "Regulator"]]);
      expect(p.entity?.at(-1)).toMatchObject({ role: "revision", what: { type: "Device", identifier: { value: id32("a0") } } });
      expect(p.extension?.map((e) => e.valueCode ?? e.valueString)).toEqual(["APPROVED", "NMPA-2026-0042", "HIGH"]);
      expect(p.extension?.at(-1)?.url).toMatch(/\/StructureDefinition\/risk-class$/);
    });

    it("a trace batch: the hospital as author, each model version as an assembling Device, the root", () => {
      const p = batchProvenance(ctx, { batchId: id32("99"), hospital: 1, root: id32("77"), firstSeq: "0", count: 1000, fromTime: T0, toTime: T0 + 60, versions: [id32("a1"), id32("a2")], time: T0 + 90, tx: id32("f2") }, { generation: 1, traces: ctx.addresses.traces });
      valid(p);
      expect(p.agent.map((a) => [a.type?.coding?.[0].code, a.who.type])).toEqual([["author", "Organization"], ["assembler", "Device"], ["assembler", "Device"]]);
      expect(p.occurredPeriod).toEqual({ start: new Date(T0 * 1000).toISOString(), end: new Date((T0 + 60) * 1000).toISOString() });
      expect(p.extension?.find((e) => e.url.endsWith("merkle-root"))?.valueString).toBe(id32("77"));
    });
  });

  describe("AuditEvent", () => {
    it("admissions, status changes and key changes of members", () => {
      const base = { orgId: 1, checkpoint: "000000000010000003", time: T0, tx: id32("f3") };
      const events = [
        memberAuditEvent(ctx, { ...base, kind: "ADMITTED", role: 1, name: "Hospital A" }),
        memberAuditEvent(ctx, { ...base, kind: "STATUS", previous: MemberStatus.ACTIVE, status: MemberStatus.SUSPENDED, actor: "0x" + "cd".repeat(20) }),
        memberAuditEvent(ctx, { ...base, kind: "KEY_ADDED", key: "0x" + "ef".repeat(20) }),
        memberAuditEvent(ctx, { ...base, kind: "KEY_REVOKED", key: "0x" + "ef".repeat(20), actor: "0x" + "cd".repeat(20) }),
      ];
      for (const e of events) valid(e);
      expect(events.map((e) => [e.action, e.subtype?.[0].code])).toEqual([["C", "MemberAdmitted"], ["U", "MemberStatusChanged"], ["C", "KeyAdded"], ["D", "KeyRevoked"]]);
      expect(events[1].entity?.[0].detail?.map((d) => [d.type, d.valueString])).toContainEqual(["status", "SUSPENDED"]);
    });

    it("every version transition: the registration creates (C), every later change updates (U)", () => {
      const S = VersionStatus;
      const transitions: [number, number, "C" | "U", number][] = [
        [S.NONE, S.SUBMITTED, "C", 3],
        [S.SUBMITTED, S.APPROVED, "U", 4],
        [S.APPROVED, S.SUSPENDED, "U", 4],
        [S.SUSPENDED, S.APPROVED, "U", 4],
        [S.APPROVED, S.RECALLED, "U", 4],
        [S.SUSPENDED, S.RECALLED, "U", 4],
        [S.APPROVED, S.RETIRED, "U", 3],
      ];
      transitions.forEach(([previous, status, action, actor], i) => {
        const e = versionAuditEvent(ctx, { versionId: id32("a1"), checkpoint: `0000000000${30 + i}000001`, previous, status, actor, reason: id32("00"), time: T0 + i, tx: id32("f5") });
        valid(e);
        const details = Object.fromEntries(e.entity?.[0].detail?.map((d) => [d.type, d.valueString]) ?? []);
        expect([e.action, e.subtype?.[0].code, details.previousStatus, details.status]).toEqual([action, `VersionStatusChanged:${VERSION_STATUSES[status]}`, VERSION_STATUSES[previous], VERSION_STATUSES[status]]);
        expect(details.reasonHash).toBeUndefined(); // a zero reason is no reason
      });
      // Provenance of the version in each state it passes through names that state.
      for (const status of [S.SUBMITTED, S.APPROVED, S.SUSPENDED, S.RECALLED, S.RETIRED]) {
        const p = versionProvenance(ctx, { versionId: id32("a1"), modelId: id32("b1"), developer: 3, parent: id32("00"), weightsHash: id32("c1"), modelCardHash: id32("d1"), trainingDatasets: [id32("e1")], status, registeredTime: T0, tx: id32("f1"), ...(status !== S.SUBMITTED ? { approvedBy: 4, filingCode: "NMPA-1" } : {}) });
        valid(p);
        expect(p.extension?.[0].valueCode).toBe(VERSION_STATUSES[status]);
      }
    });

    it("a model version's recall, with the regulator as agent and the notice hash", () => {
      const e = versionAuditEvent(ctx, { versionId: id32("a1"), checkpoint: "000000000020000001", previous: VersionStatus.APPROVED, status: VersionStatus.RECALLED, actor: 4, reason: id32("12"), time: T0, tx: id32("f4") });
      valid(e);
      expect(e.subtype?.[0].code).toBe("VersionStatusChanged:RECALLED");
      expect(e.agent[0].who?.display).toBe("Regulator");
      expect(e.entity?.[0].detail?.find((d) => d.type === "reasonHash")?.valueString).toBe(id32("12"));
    });
  });

  it("a search Bundle of mixed resources is valid", () => {
    valid(searchBundle([consentResource(ctx, grant(), T0), versionProvenance(ctx, { versionId: id32("a1"), modelId: id32("b1"), developer: 3, parent: id32("00"), weightsHash: id32("c1"), modelCardHash: id32("d1"), trainingDatasets: [], status: 1, registeredTime: T0, tx: id32("f1") })], T0));
  });

  it("the validators do reject what R4 forbids (so the checks above can fail)", () => {
    const c = consentResource(ctx, grant(), T0);
    expect(fhirProblems({ ...c, status: "granted" } as never).join()).toMatch(/status/);
    expect(fhirProblems({ ...c, category: [] } as never).join()).toMatch(/category/i);
    expect(fhirProblems({ ...c, policy: undefined } as never).join()).toMatch(/ppc-1/);
    expect(fhirProblems({ ...c, patientName: "Zhang San" } as never).join()).toMatch(/patientName/);
    expect(fhirProblems({ ...c, dateTime: "yesterday" } as never).join()).toMatch(/dateTime/);
  });

  describe("the endpoint's own resources (issue 17)", () => {
    const version = { versionId: id32("a1"), modelId: id32("b1"), developer: 3, parent: id32("a0"), weightsHash: id32("c1"), modelCardHash: id32("d1"), trainingDatasets: [id32("e1")], status: VersionStatus.APPROVED, approvedBy: 4, filingCode: "NMPA-1", registeredTime: T0, tx: id32("f1") };

    it("a member as an Organization, a model version as a Device, each referenced by what mentions it", () => {
      const org = organizationResource({ orgId: 1, role: 1, name: "Hospital A", status: MemberStatus.SUSPENDED });
      valid(org);
      expect([org.id, org.active, org.type?.[0].coding?.[0].code, org.name]).toEqual(["1", false, "HOSPITAL", "Hospital A"]);
      const device = deviceResource(ctx, version, { name: "sepsis-risk" });
      valid(device);
      expect([device.id, device.status, device.deviceName?.[0].name, device.owner?.reference, device.parent?.reference]).toEqual([id32("a1").slice(2), "active", "sepsis-risk", "Organization/3", `Device/${id32("a0").slice(2)}`]);
      expect(deviceResource(ctx, { ...version, status: VersionStatus.RECALLED }).status).toBe("inactive");
      const p = versionProvenance(ctx, version);
      expect([p.target[0].reference, p.agent.map((a) => a.who.reference)]).toEqual([`Device/${device.id}`, ["Organization/3", "Organization/4"]]);
      // "Any member" is no one organisation: named, not referenced.
      expect(consentResource(ctx, grant({ grantee: NUMBERS.ANY_MEMBER }), T0).provision?.actor?.[0].reference.reference).toBeUndefined();
    });

    it("CodeSystems under canonical URLs hold every code the resources use; a CapabilityStatement and OperationOutcomes are valid", () => {
      const systems = codeSystems(new Map([[6, "PUBLIC_HEALTH_SURVEILLANCE"]]), { NOT_FOUND: { means: "no such thing" } });
      for (const cs of systems) {
        valid(cs);
        expect(cs.url).toBe(`${CANONICAL}/CodeSystem/${cs.id}`);
      }
      const codes = (id: string) => systems.find((c) => c.id === id)!.concept!.map((c) => c.code);
      expect(codes("purpose")).toEqual(["TREATMENT", "CLINICAL_DECISION_SUPPORT", "RESEARCH", "MODEL_TRAINING", "COMMERCIAL_USE", "CROSS_BORDER_TRANSFER", "PUBLIC_HEALTH_SURVEILLANCE"]);
      expect(codes("ledger-event")).toContain("VersionStatusChanged:RECALLED");
      expect(consentResource(ctx, grant(), T0).provision?.purpose?.[0].system).toBe(`${CANONICAL}/CodeSystem/purpose`);
      valid(capabilityStatement("https://api.example/fhir", T0, "1.0.0"));
      for (const status of [400, 401, 403, 404, 413, 429, 500, 503]) valid(operationOutcome(status, "SOME_CODE", "what went wrong"));
    });

    it("FHIR dates: partial dates are ranges, prefixes compare with them, a time needs its zone", () => {
      const utc = (s: string) => Date.parse(s) / 1000;
      expect(dateRange("date", "2026")).toEqual({ lower: utc("2026-01-01T00:00:00Z"), upper: utc("2027-01-01T00:00:00Z") });
      expect(dateRange("date", "2026-12")).toEqual({ lower: utc("2026-12-01T00:00:00Z"), upper: utc("2027-01-01T00:00:00Z") });
      expect(dateRange("date", "2026-05-01")).toEqual({ lower: utc("2026-05-01T00:00:00Z"), upper: utc("2026-05-02T00:00:00Z") });
      expect(dateRange("date", "2026-05-01T14:00:00+02:00")).toEqual({ lower: utc("2026-05-01T12:00:00Z"), upper: utc("2026-05-01T12:00:01Z") });
      expect(dateRange("since", "1780000000")).toEqual({ lower: 1_780_000_000, upper: 1_780_000_001 });
      for (const bad of ["2026-02-30", "2026-13", "2026-05-01T12:00:00", "26-05-01", "yesterday", "1e9", "-1", "ge"]) expect(() => dateRange("date", bad), bad).toThrow(/date must be a FHIR date/);
      const noon = utc("2026-05-01T12:00:00Z");
      const cases: [string, number, boolean][] = [
        ["2026-05-01", noon, true], ["eq2026-05-01", utc("2026-05-02T00:00:00Z"), false], ["ne2026-05-01", noon, false],
        ["gt2026-05-01", noon, false], ["gt2026-04-30", noon, true], ["ge2026-05-01", utc("2026-05-01T00:00:00Z"), true],
        ["lt2026-05-01", noon, false], ["le2026-05-01", noon, true], ["sa2026", noon, false], ["eb2027", noon, true],
      ];
      for (const [value, t, expected] of cases) expect([value, dateFilter("date", value)(t)]).toEqual([value, expected]);
    });

    it("a page of a search: total counts every match, fullUrls are absolute, next continues after the last entry", () => {
      const matches = [3, 1, 2].map((n) => ({ key: String(n), resource: () => organizationResource({ orgId: n, role: 1, name: `H${n}`, status: 1 }) }));
      const first = pagedBundle(matches, T0, { base: "https://api.example/fhir", self: "https://api.example/fhir/Organization?_count=2", count: 2 });
      valid(first);
      expect([first.total, first.entry?.map((e) => e.fullUrl), first.link?.map((l) => l.relation)]).toEqual([3, ["https://api.example/fhir/Organization/1", "https://api.example/fhir/Organization/2"], ["self", "next"]]);
      const next = new URL(first.link![1].url);
      const second = pagedBundle(matches, T0, { base: "https://api.example/fhir", self: next.toString(), count: 2, cursor: next.searchParams.get("_cursor")! });
      expect([second.total, second.entry?.map((e) => e.resource?.id), second.link?.map((l) => l.relation)]).toEqual([3, ["3"], ["self"]]);
    });
  });
});
