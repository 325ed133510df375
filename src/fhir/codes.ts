/**
 * Code systems and identifier systems of the FHIR export. HL7 codes where HL7 has an exact
 * match; otherwise a medprov system, so a reader never mistakes our meaning for HL7's.
 */
import type { Coding } from "@medplum/fhirtypes";
import type { PurposeName } from "../constants";

/**
 * The canonical base of medprov's own FHIR artefacts. Canonical URLs name a code system or an
 * extension the same way on every member's server (they are names, not locations); each server
 * serves its CodeSystems at /fhir/CodeSystem/<id> and finds them by `CodeSystem?url=<canonical>`.
 */
export const CANONICAL = "https://medprov.org/fhir";
const codeSystem = (id: string) => `${CANONICAL}/CodeSystem/${id}`;
const extension = (id: string) => `${CANONICAL}/StructureDefinition/${id}`;

/** medprov's code systems, by id (each served as a CodeSystem resource, see codeSystems below). */
export const CODE_SYSTEM = {
  purpose: codeSystem("purpose"),
  auditEventType: codeSystem("audit-event-type"),
  event: codeSystem("ledger-event"),
  role: codeSystem("member-role"),
  memberStatus: codeSystem("member-status"),
  versionStatus: codeSystem("version-status"),
  errorCode: codeSystem("error-code"),
} as const;

/** Extensions medprov defines, by canonical URL. */
export const EXTENSION = {
  versionStatus: extension("version-status"),
  filingCode: extension("filing-code"),
  riskClass: extension("risk-class"),
  memberStatus: extension("member-status"),
  merkleRoot: extension("merkle-root"),
  traceCount: extension("trace-count"),
  transaction: extension("transaction"),
  /** The ledger generation (1, 2, …) whose contracts hold the fact (docs/consortium.md, "Ledger generations"). */
  generation: extension("ledger-generation"),
} as const;

/**
 * Identifier systems for ledger objects (identifiers, not codes: a URN names the namespace). Code
 * systems and extensions have canonical URLs (CODE_SYSTEM, EXTENSION). Accounts use CAIP-10
 * (`eip155:<chain>:<address>`).
 */
export const SYSTEM = {
  account: "https://chainagnostic.org/CAIPs/caip-10",
  org: "urn:medprov:org",
  consentSlot: "urn:medprov:consent-slot",
  purpose: CODE_SYSTEM.purpose,
  modelVersion: "urn:medprov:model-version",
  dataset: "urn:medprov:dataset",
  traceBatch: "urn:medprov:trace-batch",
  event: CODE_SYSTEM.event,
  auditEventType: CODE_SYSTEM.auditEventType,
  merkleRoot: EXTENSION.merkleRoot,
  traceCount: EXTENSION.traceCount,
} as const;

const V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope";
const PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";

/**
 * The purpose of use of each default purpose. `satisfies` makes adding a purpose to
 * src/constants/spec.ts without a FHIR code a type error.
 */
export const PURPOSE_CODING = {
  TREATMENT: { system: V3_ACT_REASON, code: "TREAT", display: "treatment" },
  CLINICAL_DECISION_SUPPORT: { system: SYSTEM.purpose, code: "CLINICAL_DECISION_SUPPORT", display: "AI clinical decision support" },
  RESEARCH: { system: V3_ACT_REASON, code: "HRESCH", display: "healthcare research" },
  MODEL_TRAINING: { system: SYSTEM.purpose, code: "MODEL_TRAINING", display: "training of AI models" },
  COMMERCIAL_USE: { system: SYSTEM.purpose, code: "COMMERCIAL_USE", display: "commercial use" },
  CROSS_BORDER_TRANSFER: { system: SYSTEM.purpose, code: "CROSS_BORDER_TRANSFER", display: "cross-border transfer" },
} as const satisfies Record<PurposeName, Coding>;

/** Consent.scope per purpose: research purposes are research consents, care purposes treatment ones. */
export const PURPOSE_SCOPE: Record<PurposeName, "research" | "treatment" | "patient-privacy"> = {
  TREATMENT: "treatment",
  CLINICAL_DECISION_SUPPORT: "treatment",
  RESEARCH: "research",
  MODEL_TRAINING: "research",
  COMMERCIAL_USE: "patient-privacy",
  CROSS_BORDER_TRANSFER: "patient-privacy",
};

export const scopeCoding = (code: "research" | "treatment" | "patient-privacy"): Coding => ({ system: CONSENT_SCOPE, code });
export const PATIENT_CONSENT: Coding = { system: "http://loinc.org", code: "59284-0", display: "Patient Consent" };
/** The grantee of a consent is the information recipient (HL7 v3 ParticipationType IRCP). */
export const RECIPIENT: Coding = { system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "IRCP", display: "information recipient" };

export const agentType = (code: "author" | "verifier" | "assembler" | "custodian"): Coding => ({ system: PROVENANCE_AGENT, code });
export const DATA_OPERATION = (code: "CREATE" | "UPDATE") => ({ system: "http://terminology.hl7.org/CodeSystem/v3-DataOperation", code });

/** DICOM "Security Roles Changed": membership and key changes are access-control changes. */
export const SECURITY_ROLES_CHANGED: Coding = { system: "http://dicom.nema.org/resources/ontology/DCM", code: "110136", display: "Security Roles Changed" };
export const VERSION_STATUS_CHANGED: Coding = { system: SYSTEM.auditEventType, code: "model-version-status", display: "Model version status changed" };
export const APPLICATION_SERVER: Coding = { system: "http://terminology.hl7.org/CodeSystem/security-source-type", code: "4", display: "Application Server" };
export const SYSTEM_OBJECT: Coding = { system: "http://terminology.hl7.org/CodeSystem/audit-entity-type", code: "2", display: "System Object" };
