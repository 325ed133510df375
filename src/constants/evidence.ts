/**
 * The evidence pack's vocabulary (issue 18, docs/evidence.md): its format name, the contracts whose
 * events it cites and every duty fact it states. Here, not in the SDK, because the pack's published
 * JSON Schema (src/formats) and its FHIR mapping (src/fhir) name them too.
 */

export const EVIDENCE_PACK_FORMAT = "medprov-evidence-pack/1";

/** The contracts whose events a pack cites (names of the deployment manifest's addresses). */
export const EVIDENCE_CONTRACTS = ["consents", "datasets", "models", "traces", "incidents"] as const;

/** Every fact a pack states, in its order; each belongs to one duty of one party. */
export const FACTS = [
  ["VERSION_APPROVED_AT_DECISION", "DEVELOPER", "BIAS_WITHIN_THRESHOLD"],
  ["POLICY_FIGURES_MET", "DEVELOPER", "BIAS_WITHIN_THRESHOLD"],
  ["TRAINING_DATA_USABLE", "DEVELOPER", "BIAS_WITHIN_THRESHOLD"],
  ["NO_OPEN_FAIRNESS_ALERT", "DEVELOPER", "BIAS_WITHIN_THRESHOLD"],
  ["OUTPUT_EXPLAINED", "DEVELOPER", "EXPLAINABILITY"],
  ["WHITE_PAPER_ON_FILE", "DEVELOPER", "SAFETY_WHITE_PAPER"],
  ["INSURANCE_COVERS_DECISION", "DEVELOPER", "LIABILITY_INSURANCE"],
  ["WITHIN_APPROVED_INDICATIONS", "HOSPITAL", "WITHIN_INDICATION"],
  ["TIER_REVIEW_OBEYED", "HOSPITAL", "MANDATORY_REVIEW"],
  ["DEPLOYED_BEFORE_DECISION", "HOSPITAL", "QUALITY_CONTROL"],
  ["CONSENT_AT_DECISION", "HOSPITAL", "QUALITY_CONTROL"],
  ["BATCH_WITHOUT_GAP", "HOSPITAL", "COMPLETE_LOGS"],
  ["RECORD_ANCHORED", "HOSPITAL", "COMPLETE_LOGS"],
  ["CLINICIAN_DECIDED", "CLINICIAN", "FINAL_JUDGEMENT"],
  ["NO_BLIND_LOW_CONFIDENCE_ADOPTION", "CLINICIAN", "NO_BLIND_LOW_CONFIDENCE_ADOPTION"],
  ["NO_IGNORED_WARNING", "CLINICIAN", "NO_IGNORED_WARNING"],
] as const;
