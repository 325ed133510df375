/**
 * Evidence packs (issue 18, docs/evidence.md): assembled by ./evidence/build.ts from the chain and
 * a trace receipt, checked by ./evidence/verify.ts; the duty rules are pure (./evidence/rules.ts).
 */
export { buildEvidencePack, liabilityCaseOf, partiesOf, type EvidenceOptions } from "./evidence/build";
export { verifyEvidencePack, EVIDENCE_REASONS, type EvidenceVerdict, type EvidenceReason } from "./evidence/verify";
export { EVIDENCE_PACK_FORMAT, FACTS, type EvidencePack, type EvidenceFact, type EventProof, type FactCode } from "./evidence/format";
export { RULES } from "./evidence/rules";
export { jsonValue as abiJson } from "./evidence/gather";
