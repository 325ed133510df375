/** FHIR R4 export of ledger facts: Consent, Provenance, AuditEvent (see resources.ts). */
export * from "./resources";
export { SYSTEM, PURPOSE_CODING } from "./codes";
