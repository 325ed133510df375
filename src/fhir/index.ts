/** FHIR R4 export of ledger facts: Consent, Provenance, AuditEvent, Organization, Device, CodeSystem (see each module). */
export * from "./resources";
export * from "./registry";
export * from "./search";
export * from "./terminology";
export * from "./capability";
export { evidenceBundle } from "./evidence-bundle";
export { SYSTEM, PURPOSE_CODING, CANONICAL, CODE_SYSTEM, EXTENSION } from "./codes";
