/**
 * medprov's own codes as FHIR R4 CodeSystem resources, each under its canonical URL (codes.ts):
 * what a FHIR client needs to look up a code that is not HL7's.
 */
import type { CodeSystem } from "@medplum/fhirtypes";
import { DEFAULT_PURPOSES, MEMBER_STATUSES, ROLES, VERSION_STATUSES } from "../constants";
import { CODE_SYSTEM, PURPOSE_CODING, VERSION_STATUS_CHANGED } from "./codes";

type Concept = { code: string; display: string; definition?: string };
const words = (name: string) => name.toLowerCase().replace(/_/g, " ");
const named = (names: readonly string[]) => names.slice(1).map((n) => ({ code: n, display: words(n) }));

function codeSystem(id: keyof typeof CODE_SYSTEM, title: string, description: string, concept: Concept[]): CodeSystem {
  return {
    resourceType: "CodeSystem",
    id: CODE_SYSTEM[id].split("/").pop()!,
    url: CODE_SYSTEM[id],
    name: `Medprov${id[0].toUpperCase()}${id.slice(1)}`,
    title,
    status: "active",
    experimental: false,
    publisher: "medprov",
    description,
    caseSensitive: true,
    content: "complete",
    count: concept.length,
    concept,
  };
}

/**
 * Every medprov CodeSystem. `purposes` is the on-chain catalogue (id → name), which governance may
 * extend; `errors` the API's error codes with what each means.
 */
export function codeSystems(purposes: ReadonlyMap<number, string>, errors: Record<string, { means: string }>): CodeSystem[] {
  const purposeConcepts = [...new Map([...DEFAULT_PURPOSES.map((n, i) => [i, n] as const), ...purposes]).values()].map((n) => {
    const hl7 = (PURPOSE_CODING as Record<string, { display: string }>)[n];
    return { code: n, display: hl7?.display ?? words(n) };
  });
  const events = ["MemberAdmitted", "KeyAdded", "KeyRevoked", "MemberStatusChanged", ...VERSION_STATUSES.slice(1).map((s) => `VersionStatusChanged:${s}`)];
  return [
    codeSystem("purpose", "medprov data-use purposes", "The purposes a patient consents to and a dataset allows, by name as the on-chain catalogue has them. TREATMENT and RESEARCH are also coded with HL7 v3 ActReason (TREAT, HRESCH).", purposeConcepts),
    codeSystem("auditEventType", "medprov audit event types", "AuditEvent.type codes HL7 has no exact match for.", [{ code: VERSION_STATUS_CHANGED.code!, display: VERSION_STATUS_CHANGED.display! }]),
    codeSystem("event", "medprov ledger events", "The contract event behind an AuditEvent (AuditEvent.subtype).", events.map((e) => ({ code: e, display: e.replace(/([a-z])([A-Z])/g, "$1 $2").replace(":", ": ").toLowerCase() }))),
    codeSystem("role", "medprov member roles", "The role of a consortium member organisation.", named(ROLES)),
    codeSystem("memberStatus", "medprov member statuses", "The status of a consortium member organisation; REMOVED is final.", named(MEMBER_STATUSES)),
    codeSystem("versionStatus", "medprov model version statuses", "The regulatory status of a model version; only APPROVED versions may be used in new traces; RECALLED is final.", named(VERSION_STATUSES)),
    codeSystem("errorCode", "medprov API error codes", "The code of every error the API answers (OperationOutcome.issue.details), with what it means.", Object.entries(errors).map(([code, e]) => ({ code, display: e.means }))),
  ];
}
