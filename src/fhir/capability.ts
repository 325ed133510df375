/**
 * What the FHIR endpoint says about itself (CapabilityStatement at /fhir/metadata) and how it says
 * no (OperationOutcome, for every error under /fhir).
 */
import type { CapabilityStatement, CapabilityStatementRestResource, OperationOutcome, OperationOutcomeIssue } from "@medplum/fhirtypes";
import { CODE_SYSTEM } from "./codes";
import { instant } from "./resources";

type Param = NonNullable<CapabilityStatementRestResource["searchParam"]>[number];
const p = (name: string, type: Param["type"], documentation: string): Param => ({ name, type, documentation });
const PAGED = "Paged with _count (at most 1000; 100 by default) and the Bundle's next link.";
const dates = [
  p("date", "date", "When the event was recorded on the chain (block time): a FHIR date with optional prefix (ge, gt, le, lt, eq, ne, sa, eb)."),
  p("_lastUpdated", "date", "The same as date: a ledger fact changes only by a new event."),
  p("since", "date", "Events at or after this time: a FHIR date or Unix seconds."),
];

/** The resource types served, with their interactions and search parameters. */
export const SERVED: CapabilityStatementRestResource[] = [
  { type: "Consent", interaction: [{ code: "read" }, { code: "search-type" }], searchParam: [p("patient", "token", "The data subject's address (required). " + PAGED)] },
  { type: "Provenance", interaction: [{ code: "read" }, { code: "search-type" }], searchParam: [p("version", "token", "A model version's id (0x…): how it was built and approved."), p("batch", "token", "A trace batch's id (0x…): what its hospital anchored, in every ledger generation that anchored that id."), p("generation", "number", "With batch: only the batch of this ledger generation (1, 2, …).")] },
  { type: "AuditEvent", interaction: [{ code: "read" }, { code: "search-type" }], searchParam: dates },
  { type: "Organization", interaction: [{ code: "read" }, { code: "search-type" }], searchParam: [p("_id", "token", "A member's organisation id. " + PAGED)] },
  { type: "Device", interaction: [{ code: "read" }, { code: "search-type" }], searchParam: [p("_id", "token", "A model version's id without 0x. " + PAGED)] },
  { type: "CodeSystem", interaction: [{ code: "read" }, { code: "search-type" }], searchParam: [p("url", "uri", "A medprov code system's canonical URL.")] },
];

/** The CapabilityStatement of the endpoint at `base`, dated by chain time. */
export function capabilityStatement(base: string, now: number, version: string): CapabilityStatement {
  return {
    resourceType: "CapabilityStatement",
    id: "medprov",
    name: "MedprovAuditApi",
    title: "medprov audit API: FHIR R4 endpoint",
    status: "active",
    date: instant(now),
    publisher: "medprov",
    description: "Read-only FHIR R4 view of a medprov ledger: patients' consents, model versions and their provenance, trace batches, membership and status changes.",
    kind: "instance",
    software: { name: "medprov", version },
    implementation: { description: "medprov audit API", url: base },
    fhirVersion: "4.0.1",
    format: ["application/fhir+json", "json"],
    rest: [{
      mode: "server",
      documentation: "Errors are OperationOutcomes whose issue.details codes come from " + CODE_SYSTEM.errorCode + ".",
      security: { description: "Sign in with Ethereum (POST /auth/nonce, then /auth/verify) and send the session as `Authorization: Bearer <session>`. Organization, Device, CodeSystem, metadata and a version's Provenance are public; the rest follows the API's access table (docs/access.md)." },
      resource: SERVED,
    }],
  };
}

/** The OperationOutcome issue type of an HTTP error status. */
const ISSUE_TYPE: Record<number, OperationOutcomeIssue["code"]> = { 400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 413: "too-costly", 414: "too-long", 415: "structure", 422: "business-rule", 429: "throttled", 501: "not-supported", 503: "transient" };

/** An error as FHIR says it: one issue, its medprov code as a coding, the sentence as text and diagnostics. */
export function operationOutcome(status: number, code: string, message: string): OperationOutcome {
  return {
    resourceType: "OperationOutcome",
    issue: [{
      severity: status >= 500 && status !== 501 && status !== 503 ? "fatal" : "error",
      code: ISSUE_TYPE[status] ?? (status >= 500 ? "exception" : "processing"),
      details: { coding: [{ system: CODE_SYSTEM.errorCode, code }], text: message },
      diagnostics: message,
    }],
  };
}
