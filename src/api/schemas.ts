/**
 * JSON Schemas of every request and response. Response schemas double as allowlists: Fastify's
 * serializer drops any field not named here, so a private field cannot leak by accident.
 */
import { DATASET_STATUSES, INCIDENT_SEVERITIES, LIABILITY_CASES, MEMBER_STATUSES, OUTPUT_FINDINGS, RISK_CLASSES, ROLES, VERSION_STATUSES } from "../constants";
import { Rows } from "../core";
import { DEMOGRAPHICS, enumKind as en, schemaInWords as worded, type JsonSchema, type ObjectSchema, type Spec } from "./words";

export type { Spec };

const str = { type: "string" } as const;
const int = { type: "integer" } as const;
const bool = { type: "boolean" } as const;
const hex32 = { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" } as const;
const address = { type: "string", pattern: "^0x[0-9a-fA-F]{40}$" } as const;
const obj = <P extends Record<string, unknown>>(properties: P, required: string[] = []) => ({ type: "object", additionalProperties: false, properties, required }) as const;
const arr = <T>(items: T) => ({ type: "array", items }) as const;

export const S = { str, int, bool, hex32, address, obj, arr };

/**
 * A row's response schema, from its one definition in src/core/rows.ts: every field allowed and
 * none required (the serializer fails on a missing required field; an answer never does), and
 * without the fields in `omit` (stored, never answered).
 */
function answer(row: ObjectSchema, omit: readonly string[] = []): ObjectSchema {
  const field = (s: JsonSchema): JsonSchema => (s.type === "array" && s.items ? arr(field(s.items)) : s.type === "object" && s.properties ? object(s.properties) : { ...s });
  const object = (properties: Record<string, JsonSchema>, drop: readonly string[] = []) => obj(Object.fromEntries(Object.entries(properties).filter(([name]) => !drop.includes(name)).map(([name, p]) => [name, field(p)])));
  return object(row.properties, omit);
}

export const params = {
  subject: obj({ subject: address }, ["subject"]),
  id: obj({ id: hex32 }, ["id"]),
};

const SHARES: Spec = { developer: "bps", hospital: "bps", clinician: "bps" };
const EVALUATION: Spec = { auc: "bps", sensitivity: "bps", specificity: "bps", subgroupAucGap: "bps", grassrootsShare: "bps" };
/** What each row carries in words (src/api/words.ts): the specs the routes apply and the schemas below include. */
export const W = {
  consent: { purpose: "purpose", grantee: "org", grantedAt: "time", expiresAt: "time", revokedAt: "time", signedAt: "time" },
  consentEvent: { purpose: "purpose", grantee: "org", expiresAt: "time", signedAt: "time", time: "time" },
  dataset: { custodian: "org", allowedPurposes: "purposes", demographics: { nested: DEMOGRAPHICS }, status: en(DATASET_STATUSES), registeredTime: "time" },
  use: { org: "org", purpose: "purpose", time: "time" },
  model: { developer: "org", riskClass: en(RISK_CLASSES), time: "time" },
  version: { developer: "org", evaluation: { nested: EVALUATION }, status: en(VERSION_STATUSES), approvedBy: "org", riskClass: en(RISK_CLASSES), registeredTime: "time" },
  statusChange: { previous: en(VERSION_STATUSES), status: en(VERSION_STATUSES), actor: "org", time: "time" },
  deployment: { hospital: "org", time: "time" },
  report: { hospital: "org", periodStart: "time", periodEnd: "time", auc: "bps", subgroups: { each: { subgroup: "label", auc: "bps" } }, time: "time" },
  alert: { hospital: "org", gap: "bps", limit: "bps", auc: "bps", minAuc: "bps", time: "time" },
  fairnessAlert: { hospital: "org", gap: "bps", limit: "bps", auc: "bps", minAuc: "bps", time: "time" },
  batch: { hospital: "org", fromTime: "time", toTime: "time", time: "time" },
  member: { role: en(ROLES), status: en(MEMBER_STATUSES), admittedTime: "time" },
  recallImpact: { status: en(VERSION_STATUSES), hospitals: { each: { hospital: "org" } } },
  subjectDatasets: {
    datasets: {
      each: {
        custodian: "org", status: en(DATASET_STATUSES), allowedPurposes: "purposes", registeredTime: "time",
        consents: { each: { purpose: "purpose", grantee: "org" } },
        versions: { each: { developer: "org", status: en(VERSION_STATUSES), registeredTime: "time" } },
        uses: { each: { org: "org", purpose: "purpose", time: "time" } },
      },
    },
  },
  revocationImpact: { purpose: "purpose", grantee: "org", revokedTime: "time", datasets: { each: { versions: { each: { developer: "org", registeredTime: "time" } }, uses: { each: { org: "org", purpose: "purpose", time: "time" } } } } },
  incident: {
    hospital: "org", severity: en(INCIDENT_SEVERITIES), finding: en(OUTPUT_FINDINGS), occurredAt: "time", reportedAt: "time", time: "time",
    findingRecord: { nested: { time: "time" } },
    determination: { nested: { appraiser: "org", determinedAt: "time", time: "time", shares: { nested: SHARES } } },
  },
  weighting: { liabilityCase: en(LIABILITY_CASES), shares: { nested: SHARES }, time: "time" },
} satisfies Record<string, Spec>;

export const consent = worded(answer(Rows.ConsentRow), W.consent);
export const consentEvent = worded(answer(Rows.ConsentEventRow), W.consentEvent);
export const demographics = answer(Rows.DemographicsRow);
export const dataset = worded(answer(Rows.DatasetRow), W.dataset);
export const lineage = answer(Rows.LineageRow);
export const use = worded(answer(Rows.DatasetUseRow), W.use);
export const model = worded(answer(Rows.ModelRow), W.model);
export const evaluation = answer(Rows.EvaluationRow);
const versionInWords = worded(answer(Rows.VersionRow, Rows.PRIVATE_FIELDS.version), W.version);
/** A version; an approved one's `indications` bitmask has the indications' names beside it (routes/registry.ts, from the chain's catalogue). */
export const version = { ...versionInWords, properties: { ...versionInWords.properties, indicationsNames: arr(str) } };
export const statusChange = worded(answer(Rows.StatusChangeRow), W.statusChange);
export const deployment = worded(answer(Rows.DeploymentRow), W.deployment);
export const report = worded(answer(Rows.ReportRow), W.report);
export const alert = worded(answer(Rows.AlertRow), W.alert);
/** An alert across versions names its version and the model it belongs to. */
export const fairnessAlert = worded(obj({ versionId: str, modelId: str, name: str, ...answer(Rows.AlertRow).properties }), W.fairnessAlert);
/** A batch names the ledger generation that anchored it (docs/consortium.md, "Ledger generations"). */
export const batch = worded(obj({ ...answer(Rows.BatchRow).properties, generation: int }), W.batch);
export const member = worded(answer(Rows.MemberRow), W.member);
export const verifyResult = obj({ valid: bool, reasons: arr(obj({ code: str, message: str })), skipped: arr(str) });
export const recallImpact = worded(obj({ versionId: str, status: int, batches: int, traces: int, hospitals: arr(obj({ hospital: int, batches: int, traces: int })) }), W.recallImpact);
const impactUse = { org: int, purpose: int, block: int, time: int, tx: str, relation: str };
export const revocationImpact = arr(worded(obj({
  purpose: int, grantee: int, revokedBlock: int, revokedTime: int, revokedAt: str,
  datasets: arr(obj({
    datasetId: str,
    versions: arr(obj({ versionId: str, developer: int, registeredBlock: int, registeredTime: int, registered: str })),
    uses: arr(obj(impactUse)),
  })),
  datasetsWithoutManifest: arr(str),
}), W.revocationImpact));
/** GET /consents/:subject/datasets: the datasets that include the subject, whatever they revoked (docs/reports.md). */
export const subjectDatasets = worded(obj({
  subject: str,
  datasets: arr(obj({
    datasetId: str, uri: str, custodian: int, status: int, allowedPurposes: str, registeredBlock: int, registeredTime: int,
    consents: arr(obj({ purpose: int, grantee: int, heldAtRegistration: bool, heldNow: bool })),
    versions: arr(obj({ versionId: str, modelId: str, modelName: str, developer: int, status: int, registeredBlock: int, registeredTime: int, consented: bool })),
    uses: arr(obj({ org: int, purpose: int, block: int, time: int, tx: str, consented: bool })),
  })),
  datasetsWithoutManifest: arr(str),
}), W.subjectDatasets);
const versionTraceSummary = obj({
  versionId: str, traces: int, anchored: int, consentCovered: int, tierCompliant: int, overrides: int, acceptedAtTakeover: int,
  consentCoverage: { type: "number" }, tierCompliance: { type: "number" }, overrideRate: { type: "number" },
});
/** POST /reports/traces: figures over verified, distinct receipts; the rest listed apart (docs/reports.md). */
export const traceReport = obj({
  received: int, counted: int, duplicates: int,
  excluded: arr(obj({ index: int, reasons: arr(obj({ code: str, message: str })) })),
  versions: arr(versionTraceSummary),
  indications: arr(obj({
    versionId: str, hospital: int, period: str, traces: int, indicationUnknown: int, approvalUnknown: int, onIndication: int, offIndication: int, warned: int,
    adoptedDespiteWarning: int, lowConfidence: int, lowConfidenceAdoption: int,
    offIndicationRate: { type: "number" }, adoptedDespiteWarningRate: { type: "number" }, lowConfidenceAdoptionRate: { type: "number" },
  })),
});
/**
 * An incident (issue 18) as the index holds it, with the category's name from the on-chain catalogue,
 * its determination (null until one is recorded) and whether its hospital filed the trace's receipt here.
 */
const { determination: determinationWords, ...incidentWords } = W.incident;
export const determination = worded(answer(Rows.DeterminationRow), determinationWords.nested);
export const incident = obj({
  ...worded(obj({ ...answer(Rows.IncidentRow).properties, categoryName: str, receiptFiled: bool }), incidentWords).properties,
  determination: { anyOf: [{ type: "null" }, determination] },
});
export const weighting = worded(answer(Rows.WeightingRow), W.weighting);
