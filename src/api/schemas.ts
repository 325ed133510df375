/**
 * JSON Schemas of every request and response. Response schemas double as allowlists: Fastify's
 * serializer drops any field not named here, so a private field cannot leak by accident.
 */
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

export const consent = obj({ subject: str, purpose: int, grantee: int, grantedAt: int, expiresAt: int, revokedAt: int, nonce: int, block: int });
export const consentEvent = obj({ kind: str, subject: str, purpose: int, grantee: int, expiresAt: int, delegate: str, actor: str, relayer: str, nonce: int, block: int, logIndex: int, time: int, tx: str });
export const demographics = obj({ ageBps: arr(int), sexBps: arr(int), regionBps: arr(int), grassrootsBps: int });
export const dataset = obj({
  datasetId: str, custodian: int, contentRoot: str, cohortRoot: str, metadataHash: str, uri: str, allowedPurposes: str, parents: arr(str),
  demographics, status: int, suspended: bool, attestation: str, registeredBlock: int, registeredTime: int, tx: str,
});
export const lineage = obj({ datasetId: str, parents: arr(str), children: arr(str) });
export const use = obj({ org: int, purpose: int, block: int, time: int, tx: str });
export const model = obj({ modelId: str, developer: int, riskClass: int, name: str, intendedUse: str, block: int, time: int });
export const evaluation = obj({ auc: str, sensitivity: str, specificity: str, subgroupAucGap: str, biasTestCases: str, grassrootsShare: str });
export const version = obj({
  versionId: str, modelId: str, developer: int, parent: str, weightsHash: str, modelCardHash: str, trainingDatasets: arr(str), evaluation,
  status: int, filingCode: str, approvedBy: int, riskClass: int, registeredBlock: int, registeredTime: int, tx: str,
});
export const statusChange = obj({ previous: int, status: int, actor: int, reason: str, block: int, time: int, tx: str });
export const deployment = obj({ hospital: int, block: int, time: int, tx: str });
export const report = obj({ reportId: str, hospital: int, periodStart: str, periodEnd: str, cases: str, auc: str, subgroups: arr(obj({ subgroup: str, auc: str, cases: str })), reportHash: str, block: int, time: int, tx: str });
/** kind FAIRNESS carries the subgroup gap and its limit; kind PERFORMANCE the overall AUC and the policy's minimum. */
const alertFields = { kind: str, reportId: str, hospital: int, gap: int, limit: int, auc: int, minAuc: int, block: int, time: int, tx: str };
export const alert = obj(alertFields);
/** An alert across versions names its version and the model it belongs to. */
export const fairnessAlert = obj({ versionId: str, modelId: str, name: str, ...alertFields });
export const batch = obj({ batchId: str, hospital: int, root: str, firstSeq: str, count: int, fromTime: int, toTime: int, versions: arr(str), versionCounts: arr(int), block: int, time: int, tx: str, checkpoint: str });
export const member = obj({ orgId: int, role: int, name: str, status: int, admittedBlock: int, admittedTime: int });
export const verifyResult = obj({ valid: bool, reasons: arr(obj({ code: str, message: str })), skipped: arr(str) });
export const recallImpact = obj({ versionId: str, status: int, batches: int, traces: int, hospitals: arr(obj({ hospital: int, batches: int, traces: int })) });
const impactUse = { org: int, purpose: int, block: int, time: int, tx: str, relation: str };
export const revocationImpact = arr(obj({
  purpose: int, grantee: int, revokedBlock: int, revokedTime: int, revokedAt: str,
  datasets: arr(obj({
    datasetId: str,
    versions: arr(obj({ versionId: str, developer: int, registeredBlock: int, registeredTime: int, registered: str })),
    uses: arr(obj(impactUse)),
  })),
  datasetsWithoutManifest: arr(str),
}));
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
