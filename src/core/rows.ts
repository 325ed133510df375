/**
 * The index's rows, each defined once. Every row is a TypeBox schema, and from it come:
 *
 * - its TypeScript type (`Static<…>`): what the indexer's handlers write and its queries return;
 * - the API's response schema (src/api/schemas.ts wraps it as an allowlist and adds the words);
 * - the FHIR mappings' inputs (src/fhir picks the fields each mapping reads).
 *
 * The schemas describe rows as the API answers them. Two kinds of value are stored as decimal
 * strings and answered as written here: integers that ethers decodes as bigints inside structs
 * (a dataset's demographics are answered as integers, the serializer converting them), and the
 * 64-bit values kept as strings on purpose (allowedPurposes, firstSeq, evaluation figures).
 * Fields the API never answers are left out of the answer by {@link PRIVATE_FIELDS}.
 */
import { Type, type Static, type TSchema } from "typebox";

const str = Type.String();
const int = Type.Integer();
const bool = Type.Boolean();
const strs = Type.Array(str);
const opt = <T extends TSchema>(t: T) => Type.Optional(t);
const row = <P extends Record<string, TSchema>>(properties: P) => Type.Object(properties, { additionalProperties: false });
/** Where a fact landed on the chain. */
const at = { block: int, time: int, tx: str };

// ── membership ──
export const MemberRow = row({ orgId: int, role: int, name: str, status: int, admittedBlock: int, admittedTime: int });
/** A membership history row (`orgh:`): admission, status change, key added or revoked. */
export const MemberHistoryRow = row({
  kind: Type.Union([Type.Literal("ADMITTED"), Type.Literal("STATUS"), Type.Literal("KEY_ADDED"), Type.Literal("KEY_REVOKED")]),
  role: opt(int), name: opt(str), previous: opt(int), status: opt(int), key: opt(str), actor: opt(str), ...at,
});
/** A membership history row with the organisation it belongs to and its checkpoint (as the queries return it). */
export const MemberChangeRow = Type.Object({ ...MemberHistoryRow.properties, orgId: int, checkpoint: str }, { additionalProperties: false });

// ── consent ──
export const ConsentRow = row({ subject: str, purpose: int, grantee: int, grantedAt: int, expiresAt: int, revokedAt: int, signedAt: int, block: int });
/** A subject's consent history row (`ch:`): a grant, revocation, cancellation or delegate change. */
export const ConsentEventRow = row({
  kind: str, subject: str, purpose: opt(int), grantee: opt(int), expiresAt: opt(int), delegate: opt(str), actor: opt(str), relayer: opt(str), signedAt: opt(int),
  block: int, logIndex: int, time: int, tx: str,
});

// ── datasets ──
export const DemographicsRow = row({ ageBps: Type.Array(int), sexBps: Type.Array(int), regionBps: Type.Array(int), grassrootsBps: int });
/** A dataset's registration as the custodian submitted it (DatasetRegistered.registration). */
export const RegistrationRow = row({ contentRoot: str, cohortRoot: str, metadataHash: str, uri: str, allowedPurposes: str, parents: strs, demographics: DemographicsRow });
export const DatasetRow = row({
  datasetId: str, custodian: int, ...RegistrationRow.properties,
  status: int, suspended: bool, attestation: opt(str), registeredBlock: int, registeredTime: int, tx: str,
});
export const LineageRow = row({ datasetId: str, parents: strs, children: strs });
export const DatasetUseRow = row({ org: int, purpose: int, ...at });

// ── models ──
export const ModelRow = row({ modelId: str, developer: int, riskClass: int, name: str, intendedUse: str, block: int, time: int });
export const EvaluationRow = row({ auc: str, sensitivity: str, specificity: str, subgroupAucGap: str, biasTestCases: str, grassrootsShare: str });
/** Liability insurance on file for a version: hashes of the insurer and the policy, coverage in chain seconds (decimal). */
export const InsuranceRow = row({ insurerHash: str, policyHash: str, coverageStart: str, coverageEnd: str });
/** Filing evidence as registered (zero hashes: none given at registration; later filings are events of their own). */
export const FilingRow = row({ whitePaperHash: str, insurance: InsuranceRow });
/** A version's registration as the developer submitted it (VersionRegistered.input). */
export const VersionInputRow = row({ parent: str, weightsHash: str, modelCardHash: str, trainingDatasets: strs, evaluation: EvaluationRow, filing: FilingRow });
export const VersionRow = row({
  versionId: str, modelId: str, developer: int, ...VersionInputRow.properties,
  status: int, filingCode: opt(str), approvedBy: opt(int), riskClass: opt(int), registeredBlock: int, registeredTime: int,
  /** The approval's indications: a uint64 bitmask over the indication catalogue, as a decimal string. */
  indications: opt(str),
  /** The registration's checkpoint: the version lists' order. Not answered. */
  registeredCheckpoint: opt(str),
  tx: str,
});
/** A version status history row (`vh:`). */
export const StatusChangeRow = row({ previous: int, status: int, actor: int, reason: str, ...at });
/** A version status history row with its version and checkpoint (as the queries return it). */
export const VersionChangeRow = Type.Object({ ...StatusChangeRow.properties, versionId: str, checkpoint: str }, { additionalProperties: false });
export const DeploymentRow = row({ hospital: int, ...at });
export const ReportRow = row({
  reportId: str, hospital: int, periodStart: str, periodEnd: str, cases: str, auc: str,
  subgroups: Type.Array(row({ subgroup: str, auc: str, cases: str })), reportHash: str, ...at,
});
/** kind FAIRNESS carries the subgroup gap and its limit; kind PERFORMANCE the overall AUC and the policy's minimum. */
export const AlertRow = row({ kind: str, reportId: str, hospital: int, gap: opt(int), limit: opt(int), auc: opt(int), minAuc: opt(int), ...at });

// ── traces ──
export const BatchRow = row({
  batchId: str, hospital: int, root: str, firstSeq: str, count: int, fromTime: int, toTime: int, versions: strs, versionCounts: Type.Array(int), ...at, checkpoint: str,
});

// ── models: catalogues and filing evidence (issue 18) ──
/** An indication of the governed catalogue (ModelRegistry.IndicationAdded). */
export const IndicationRow = row({ id: int, name: str });
/** Filing evidence on file for a version from this event on (FilingEvidenceFiled, at registration and each later filing). */
export const FilingEvidenceRow = row({ versionId: str, developer: int, ...FilingRow.properties, ...at, checkpoint: str });

// ── incidents (issue 18) ──
/** Liability shares in basis points (summing to 10,000), in the on-chain Shares order. */
export const SharesRow = row({ developer: int, hospital: int, clinician: int });
/**
 * An incident as IncidentRegistry.incident() holds it (seq and the times as there), with where it
 * was reported; the finding's follow-up hash and transaction once recorded.
 */
export const IncidentRow = row({
  incidentId: int, hospital: int, severity: int, category: int, finding: int, determined: bool, occurredAt: int, reportedAt: int, seq: str,
  batchId: str, recordHash: str, versionId: str, narrativeHash: str, ...at,
  findingRecord: opt(row({ findingHash: str, ...at })),
});
/** An APPRAISER's determination as IncidentRegistry.determination() holds it, with where it landed. */
export const DeterminationRow = row({ incidentId: int, appraiser: int, determinedAt: int, shares: SharesRow, rulingHash: str, ...at });
/** A category of the incident catalogue (CategoryAdded). */
export const IncidentCategoryRow = row({ id: int, name: str });
/** The governed default weighting of a liability case (WeightingSet). */
export const WeightingRow = row({ liabilityCase: int, shares: SharesRow, ...at });

/** Stored fields the API leaves out of its answers, per row. */
export const PRIVATE_FIELDS = { version: ["registeredCheckpoint"] } as const;

export type MemberRow = Static<typeof MemberRow>;
export type MemberHistoryRow = Static<typeof MemberHistoryRow>;
export type MemberChangeRow = Static<typeof MemberChangeRow>;
export type ConsentRow = Static<typeof ConsentRow>;
export type ConsentEventRow = Static<typeof ConsentEventRow>;
export type RegistrationRow = Static<typeof RegistrationRow>;
export type DatasetRow = Static<typeof DatasetRow>;
export type LineageRow = Static<typeof LineageRow>;
export type DatasetUseRow = Static<typeof DatasetUseRow>;
export type ModelRow = Static<typeof ModelRow>;
export type VersionInputRow = Static<typeof VersionInputRow>;
export type FilingRow = Static<typeof FilingRow>;
export type VersionRow = Static<typeof VersionRow>;
export type StatusChangeRow = Static<typeof StatusChangeRow>;
export type VersionChangeRow = Static<typeof VersionChangeRow>;
export type DeploymentRow = Static<typeof DeploymentRow>;
export type ReportRow = Static<typeof ReportRow>;
export type AlertRow = Static<typeof AlertRow>;
export type BatchRow = Static<typeof BatchRow>;
export type IndicationRow = Static<typeof IndicationRow>;
export type FilingEvidenceRow = Static<typeof FilingEvidenceRow>;
export type SharesRow = Static<typeof SharesRow>;
export type IncidentRow = Static<typeof IncidentRow>;
export type DeterminationRow = Static<typeof DeterminationRow>;
export type IncidentCategoryRow = Static<typeof IncidentCategoryRow>;
export type WeightingRow = Static<typeof WeightingRow>;
