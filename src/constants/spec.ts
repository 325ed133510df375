/**
 * The one source of truth for every enumerated value and policy number that the
 * contracts, SDK, indexer and API share. `npm run gen:constants` turns this file
 * into `contracts/generated/MedprovConstants.sol`; a test fails when the two drift.
 *
 * Enum order is ABI: append new members at the end, never reorder.
 */

/**
 * Consortium member roles (DESIGN §1). One role per organisation. APPRAISER (issue 18) is a third-party
 * appraisal body or arbitration committee: it records the final liability determination of an incident
 * and otherwise reads what an auditor reads.
 */
export const ROLES = ["NONE", "HOSPITAL", "MODEL_DEVELOPER", "REGULATOR", "AUDITOR", "APPRAISER"] as const;
/** Membership status; REMOVED is final. */
export const MEMBER_STATUSES = ["NONE", "ACTIVE", "SUSPENDED", "REMOVED"] as const;
/** Dataset lifecycle: ACTIVE → RETIRED → DESTROYED (DESIGN §4.3). */
export const DATASET_STATUSES = ["NONE", "ACTIVE", "RETIRED", "DESTROYED"] as const;
/** Model version status (DESIGN §4.4). RECALLED is final. */
export const VERSION_STATUSES = ["NONE", "SUBMITTED", "APPROVED", "SUSPENDED", "RECALLED", "RETIRED"] as const;
/** Risk class of a model's intended use (DESIGN §4.4). */
export const RISK_CLASSES = ["NONE", "HIGH", "MEDIUM", "LOW"] as const;
/** Human–AI collaboration tier derived from model confidence (DESIGN §4.5). */
export const TIERS = ["NONE", "REVIEW", "DIFFERENTIAL", "TAKEOVER"] as const;
/** What the clinician did with the model's output (DESIGN §4.5). */
export const CLINICIAN_ACTIONS = ["NONE", "ACCEPTED", "MODIFIED", "REJECTED", "TAKEOVER"] as const;
/** Policy metrics named in approval refusals. */
export const POLICY_METRICS = ["AUC", "SUBGROUP_AUC_GAP", "BIAS_TEST_CASES", "GRASSROOTS_SHARE"] as const;
/**
 * Filing evidence a risk class's policy can require at approval (ModelRegistryFilingEvidenceMissing):
 * the algorithm safety white paper's hash, and liability insurance whose coverage holds at the
 * approving block.
 */
export const FILING_REQUIREMENTS = ["WHITE_PAPER", "INSURANCE"] as const;

/**
 * Severity of an adverse event (issue 18). FHIR R4 AdverseEvent has `severity` (mild | moderate |
 * severe) and `seriousness`/`outcome` (life-threatening, fatal): MILD, MODERATE and SEVERE map to
 * `severity`; LIFE_THREATENING maps to severity "severe" with seriousness "serious" (code
 * life-threatening); DEATH maps to severity "severe" with outcome "fatal".
 */
export const INCIDENT_SEVERITIES = ["NONE", "MILD", "MODERATE", "SEVERE", "LIFE_THREATENING", "DEATH"] as const;
/**
 * Whether the model's output in the incident's trace was correct, as found afterwards by the
 * reporting hospital (it holds the patient's record and the follow-up that settles it).
 */
export const OUTPUT_FINDINGS = ["NONE", "CORRECT", "INCORRECT", "INDETERMINATE"] as const;
/**
 * The two cases of the source paper's example weighting: the clinician adopted a wrong suggestion,
 * or rejected a correct one, and harm followed.
 */
export const LIABILITY_CASES = ["NONE", "ADOPTED_WRONG", "REJECTED_CORRECT"] as const;
/** Parties that share liability, in the order of every weighting (on-chain Shares struct). */
export const LIABILITY_PARTIES = ["DEVELOPER", "HOSPITAL", "CLINICIAN"] as const;
/**
 * The duties each party must be able to prove it met (the paper's 过错推定: each proves its own
 * compliance). A party proving every one of its duties is presumed not at fault.
 */
export const LIABILITY_DUTIES = {
  DEVELOPER: ["BIAS_WITHIN_THRESHOLD", "EXPLAINABILITY", "SAFETY_WHITE_PAPER", "LIABILITY_INSURANCE"],
  HOSPITAL: ["WITHIN_INDICATION", "MANDATORY_REVIEW", "QUALITY_CONTROL", "COMPLETE_LOGS"],
  CLINICIAN: ["FINAL_JUDGEMENT", "NO_BLIND_LOW_CONFIDENCE_ADOPTION", "NO_IGNORED_WARNING"],
} as const;

/**
 * The default liability weighting, in basis points per party; each case sums to BPS. Governance can
 * change it on-chain (IncidentRegistry.setWeighting); it only ever yields a proposal — an APPRAISER
 * member records the determination.
 * - ADOPTED_WRONG: the paper's example, developer 40% / clinician 60%.
 * - REJECTED_CORRECT: the paper says "reversed"; medprov reads it literally as the swapped split,
 *   developer 60% / clinician 40%. Read with the presumption of fault this is not a burden on a
 *   compliant developer: a developer that proves every duty (explainability among them) is dropped
 *   and the clinician bears it all; the 60% applies only when the developer also failed a duty —
 *   typically a correct output that was not explained well enough to be trusted.
 * The hospital's default share is 0 in both (the paper names none); its duties still count, and a
 * hospital that fails one while the others are cleared shares what is left (see proposeSplit).
 */
export const DEFAULT_WEIGHTING = {
  ADOPTED_WRONG: { developer: 4_000, hospital: 0, clinician: 6_000 },
  REJECTED_CORRECT: { developer: 6_000, hospital: 0, clinician: 4_000 },
} as const;
/** What a dataset can take part in (docs/lineage.md): be a parent, train a version, let a version be approved or reinstated, be used. */
export const LINEAGE_USES = ["PARENT", "TRAINING", "APPROVAL", "USE"] as const;
/**
 * Why a dataset may not take part in a use: NONE (it may), UNKNOWN, or a state of the dataset
 * itself or of one of its ancestors. Listed in the order the ledger reports them when several hold.
 */
export const LINEAGE_BLOCKS = ["NONE", "UNKNOWN", "DESTROYED", "SUSPENDED", "RETIRED", "CUSTODIAN_INACTIVE"] as const;

/**
 * THE lineage rule, stated once (docs/lineage.md shows it as a table, a test holds the two equal, and
 * the contracts read it from the generated constants): for each state a dataset can be in, the uses it
 * still allows. A dataset in several states allows only what every one of them allows.
 * - DESTROYED: a deletion was attested; nothing may come of the data again.
 * - SUSPENDED (by a regulator): nothing, until the regulator lifts it.
 * - RETIRED: no new child, training or use; a version trained while it was ACTIVE may still be approved.
 * - CUSTODIAN_INACTIVE (custodian organisation SUSPENDED or REMOVED): as RETIRED — no one answers for
 *   the data any more, but what was trained on it before stays approvable.
 */
export const LINEAGE_ALLOWS: Record<Exclude<(typeof LINEAGE_BLOCKS)[number], "NONE">, readonly (typeof LINEAGE_USES)[number][]> = {
  UNKNOWN: [],
  DESTROYED: [],
  SUSPENDED: [],
  RETIRED: ["APPROVAL"],
  CUSTODIAN_INACTIVE: ["APPROVAL"],
};
/**
 * States an ancestor passes down to every dataset derived from it (for every use): destroyed or
 * suspended data does not come back through a child. A retired ancestor or an inactive custodian
 * upstream does not: the child is its own custodian's data.
 */
export const LINEAGE_INHERITED: readonly (typeof LINEAGE_BLOCKS)[number][] = ["DESTROYED", "SUSPENDED"];

/**
 * The purpose catalogue a fresh deployment starts with; ids are the array index.
 * Governance may append purposes on-chain up to MAX_PURPOSES.
 */
export const DEFAULT_PURPOSES = [
  "TREATMENT",
  "CLINICAL_DECISION_SUPPORT",
  "RESEARCH",
  "MODEL_TRAINING",
  "COMMERCIAL_USE",
  "CROSS_BORDER_TRANSFER",
] as const;

/**
 * The indication catalogue a fresh deployment starts with: what a model version may be approved to
 * be used for. The source paper makes use outside the approved indications (适应症超范围使用) a
 * hospital's fault, so an approval names its indications and a trace record names the one it was
 * used for. Ids are the array index; governance may append indications up to MAX_INDICATIONS.
 */
export const DEFAULT_INDICATIONS = [
  "CHEST_RADIOGRAPH_FINDINGS",
  "PNEUMONIA_DIAGNOSIS",
  "PULMONARY_NODULE_SCREENING",
  "PEDIATRIC_CHEST_RADIOGRAPH",
  "ARRHYTHMIA_DETECTION",
  "EMERGENCY_TRIAGE",
  "HEALTH_ADVICE",
  "CLINICAL_NOTE_STRUCTURING",
] as const;

/**
 * The incident category catalogue a fresh deployment starts with (IncidentRegistry). Ids are the
 * array index; governance may append categories up to MAX_INCIDENT_CATEGORIES.
 */
export const DEFAULT_INCIDENT_CATEGORIES = [
  "MISDIAGNOSIS",
  "MISSED_DIAGNOSIS",
  "DELAYED_TREATMENT",
  "WRONG_TREATMENT",
  "OTHER",
] as const;

/** Demographic summary bands of a dataset; every group's shares add up to BPS. */
export const AGE_BANDS = ["0-17", "18-44", "45-64", "65+"] as const;
export const SEX_BANDS = ["FEMALE", "MALE", "OTHER_OR_UNKNOWN"] as const;
export const REGION_BANDS = ["EAST", "CENTRAL", "WEST", "NORTHEAST"] as const;

export const NUMBERS = {
  /** Basis points in one whole. */
  BPS: 10_000,
  /** Consent grantee meaning "any active member organisation". */
  ANY_MEMBER: 0,
  /** Purposes fit a uint64 bitmask. */
  MAX_PURPOSES: 64,
  /** Indications fit a uint64 bitmask (an approval's approved indications). */
  MAX_INDICATIONS: 64,
  /** Incident categories fit a uint8 id. */
  MAX_INCIDENT_CATEGORIES: 64,
  /** Longest purpose name (canonical: A–Z and 0–9 words joined by single underscores). */
  MAX_PURPOSE_NAME_LENGTH: 32,
  /** Confidence at or above this → REVIEW tier (paper: ≥ 95%). */
  TIER_REVIEW_MIN_BPS: 9_500,
  /** Confidence at or above this (and below REVIEW) → DIFFERENTIAL tier (paper: 80–95%); below → TAKEOVER. */
  TIER_DIFFERENTIAL_MIN_BPS: 8_000,
  /** Seconds a hospital's clock may run ahead of the chain when anchoring traces. */
  MAX_CLOCK_SKEW: 300,
  /**
   * Oldest a trace batch's window may start, in seconds before the anchoring block (7 days). Bounds
   * how far back a hospital can date traces (no 1970 windows) while leaving a week for a hospital
   * whose anchoring was down to catch up; traces older than this are quarantined (TRACE_TOO_OLD).
   */
  MAX_TRACE_AGE: 604_800,
  /** Training datasets and referenced versions per write; bounds gas of a single call. */
  MAX_LIST_LENGTH: 64,
  /** Subgroup figures per performance report. */
  MAX_SUBGROUPS: 32,
  /**
   * Datasets in one dataset's lineage (itself and its ancestors, counted once per path); a registration
   * beyond it is refused, so the ancestry check at use, training and approval has a gas bound.
   */
  MAX_LINEAGE_SIZE: 64,
  /** Lineage sizes summed over a version's training datasets; bounds the approval-time ancestry walk. */
  MAX_TRAINING_LINEAGE: 256,
} as const;

/**
 * Approval policy per risk class, in basis points (and a case count), and the filing evidence it
 * requires. HIGH comes from the seed paper (AUC ≥ 0.90, subgroup gap ≤ 0.05, ≥ 300 bias cases,
 * grassroots share ≥ 20%; a safety white paper at filing and product liability insurance).
 * MEDIUM and LOW are medprov's defaults, not the paper's: progressively looser. MEDIUM (pre-annotation,
 * record structuring: a clinician reviews every output) requires the white paper but not insurance;
 * LOW (triage, health advice) requires neither. Governance can change all three on-chain.
 */
export const DEFAULT_POLICIES = {
  HIGH: { minAuc: 9_000, maxSubgroupAucGap: 500, minBiasTestCases: 300, minGrassrootsShare: 2_000, requiresWhitePaper: true, requiresInsurance: true },
  MEDIUM: { minAuc: 8_500, maxSubgroupAucGap: 800, minBiasTestCases: 200, minGrassrootsShare: 1_500, requiresWhitePaper: true, requiresInsurance: false },
  LOW: { minAuc: 8_000, maxSubgroupAucGap: 1_000, minBiasTestCases: 100, minGrassrootsShare: 1_000, requiresWhitePaper: false, requiresInsurance: false },
} as const;

/** Domain names of the EIP-712 signers; the SDK still reads the live domain with eip712Domain(). */
export const EIP712 = { CONSENT_NAME: "medprov.ConsentRegistry", VERSION: "1" } as const;

/** The Solidity enums generated from this file, in declaration order. */
export const SOLIDITY_ENUMS = {
  Role: ROLES,
  MemberStatus: MEMBER_STATUSES,
  DatasetStatus: DATASET_STATUSES,
  VersionStatus: VERSION_STATUSES,
  RiskClass: RISK_CLASSES,
  Tier: TIERS,
  ClinicianAction: CLINICIAN_ACTIONS,
  PolicyMetric: POLICY_METRICS,
  LineageUse: LINEAGE_USES,
  LineageBlock: LINEAGE_BLOCKS,
  FilingRequirement: FILING_REQUIREMENTS,
  Severity: INCIDENT_SEVERITIES,
  OutputFinding: OUTPUT_FINDINGS,
  LiabilityCase: LIABILITY_CASES,
} as const;

/** Bit `8 * block + use` is set when a dataset in state `block` allows `use` (NONE allows all). */
export function lineageAllowsMask(): bigint {
  let mask = 0n;
  LINEAGE_BLOCKS.forEach((block, b) => {
    const uses = block === "NONE" ? LINEAGE_USES : LINEAGE_ALLOWS[block];
    for (const use of uses) mask |= 1n << BigInt(8 * b + LINEAGE_USES.indexOf(use));
  });
  return mask;
}

/** Bit `block` is set when an ancestor in that state blocks its descendants. */
export function lineageInheritedMask(): bigint {
  return LINEAGE_INHERITED.reduce((m, block) => m | (1n << BigInt(LINEAGE_BLOCKS.indexOf(block))), 0n);
}

/** AccessManager role ids used by a medprov deployment (0 is OpenZeppelin's ADMIN_ROLE). */
export const ACCESS_ROLES = { ADMIN: 0n, GOVERNOR: 1n } as const;

/**
 * Governance functions, per contract, that the AccessManager restricts to GOVERNOR.
 * Consortium.suspendMember and revokeKey also have fast paths for regulators and a member's own keys.
 */
export const GOVERNED_FUNCTIONS = {
  Consortium: ["admitMember", "removeMember", "suspendMember", "reinstateMember", "addKey", "revokeKey"],
  ConsentRegistry: ["addPurpose"],
  ModelRegistry: ["setPolicy", "addIndication"],
  IncidentRegistry: ["addCategory", "setWeighting"],
} as const;

/** Default execution delay (seconds) on governance: two days. */
export const DEFAULT_GOVERNANCE_DELAY = 2 * 24 * 3600;
