/**
 * JSON Schemas of every request and response. Response schemas double as allowlists: Fastify's
 * serializer drops any field not named here, so a private field cannot leak by accident.
 */
import { DATASET_STATUSES, MEMBER_STATUSES, RISK_CLASSES, ROLES, VERSION_STATUSES } from "../constants";
import { DEMOGRAPHICS, enumKind as en, schemaInWords as worded, type Spec } from "./words";

export type { Spec };

const str = { type: "string" } as const;
const int = { type: "integer" } as const;
const bool = { type: "boolean" } as const;
const hex32 = { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" } as const;
const address = { type: "string", pattern: "^0x[0-9a-fA-F]{40}$" } as const;
const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: "object", additionalProperties: false, properties, required }) as const;
const arr = (items: unknown) => ({ type: "array", items }) as const;

export const S = { str, int, bool, hex32, address, obj, arr };

export const params = {
  subject: obj({ subject: address }, ["subject"]),
  id: obj({ id: hex32 }, ["id"]),
};

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
  revocationImpact: { purpose: "purpose", grantee: "org", revokedTime: "time", datasets: { each: { versions: { each: { developer: "org", registeredTime: "time" } }, uses: { each: { org: "org", purpose: "purpose", time: "time" } } } } },
} satisfies Record<string, Spec>;

export const consent = worded(obj({ subject: str, purpose: int, grantee: int, grantedAt: int, expiresAt: int, revokedAt: int, signedAt: int, block: int }), W.consent);
export const consentEvent = worded(obj({ kind: str, subject: str, purpose: int, grantee: int, expiresAt: int, delegate: str, actor: str, relayer: str, signedAt: int, block: int, logIndex: int, time: int, tx: str }), W.consentEvent);
export const demographics = obj({ ageBps: arr(int), sexBps: arr(int), regionBps: arr(int), grassrootsBps: int });
export const dataset = worded(obj({
  datasetId: str, custodian: int, contentRoot: str, cohortRoot: str, metadataHash: str, uri: str, allowedPurposes: str, parents: arr(str),
  demographics, status: int, suspended: bool, attestation: str, registeredBlock: int, registeredTime: int, tx: str,
}), W.dataset);
export const lineage = obj({ datasetId: str, parents: arr(str), children: arr(str) });
export const use = worded(obj({ org: int, purpose: int, block: int, time: int, tx: str }), W.use);
export const model = worded(obj({ modelId: str, developer: int, riskClass: int, name: str, intendedUse: str, block: int, time: int }), W.model);
export const evaluation = obj({ auc: str, sensitivity: str, specificity: str, subgroupAucGap: str, biasTestCases: str, grassrootsShare: str });
export const version = worded(obj({
  versionId: str, modelId: str, developer: int, parent: str, weightsHash: str, modelCardHash: str, trainingDatasets: arr(str), evaluation,
  status: int, filingCode: str, approvedBy: int, riskClass: int, registeredBlock: int, registeredTime: int, tx: str,
}), W.version);
export const statusChange = worded(obj({ previous: int, status: int, actor: int, reason: str, block: int, time: int, tx: str }), W.statusChange);
export const deployment = worded(obj({ hospital: int, block: int, time: int, tx: str }), W.deployment);
export const report = worded(obj({ reportId: str, hospital: int, periodStart: str, periodEnd: str, cases: str, auc: str, subgroups: arr(obj({ subgroup: str, auc: str, cases: str })), reportHash: str, block: int, time: int, tx: str }), W.report);
/** kind FAIRNESS carries the subgroup gap and its limit; kind PERFORMANCE the overall AUC and the policy's minimum. */
const alertFields = { kind: str, reportId: str, hospital: int, gap: int, limit: int, auc: int, minAuc: int, block: int, time: int, tx: str };
export const alert = worded(obj(alertFields), W.alert);
/** An alert across versions names its version and the model it belongs to. */
export const fairnessAlert = worded(obj({ versionId: str, modelId: str, name: str, ...alertFields }), W.fairnessAlert);
export const batch = worded(obj({ batchId: str, hospital: int, root: str, firstSeq: str, count: int, fromTime: int, toTime: int, versions: arr(str), versionCounts: arr(int), block: int, time: int, tx: str, checkpoint: str }), W.batch);
export const member = worded(obj({ orgId: int, role: int, name: str, status: int, admittedBlock: int, admittedTime: int }), W.member);
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
const versionTraceSummary = obj({
  versionId: str, traces: int, anchored: int, consentCovered: int, tierCompliant: int, overrides: int, acceptedAtTakeover: int,
  consentCoverage: { type: "number" }, tierCompliance: { type: "number" }, overrideRate: { type: "number" },
});
/** POST /reports/traces: figures over verified, distinct receipts; the rest listed apart (docs/reports.md). */
export const traceReport = obj({
  received: int, counted: int, duplicates: int,
  excluded: arr(obj({ index: int, reasons: arr(obj({ code: str, message: str })) })),
  versions: arr(versionTraceSummary),
});
