/**
 * GET /incidents/:id/evidence (issue 18, docs/evidence.md): the incident's evidence pack, or with
 * ?format=fhir its FHIR R4 Bundle. The pack needs the receipt of the incident's trace, which the
 * reporting hospital files (`receipts`, src/api/incident-receipts.ts); until it does the answer is
 * 409 EVIDENCE_NO_RECEIPT. Scoped like the incidents themselves: oversight roles (regulator,
 * auditor, appraiser), the hospital that reported it, the developer of the version, and the patient
 * whose subject address the receipt names.
 *
 * Registered inside buildApp's context (its caller hook, access preHandler and error handler apply):
 * `incidentEvidenceRoutes(app, { receipts, ledger, deployment })`.
 */
import type { FastifyInstance } from "fastify";
import { buildEvidencePack, type Deployment, type LedgerContracts, type TraceReceipt } from "../../sdk";
import { evidenceBundle } from "../../fhir";
import { ApiError } from "../errors";
import type { Caller } from "../auth";

/** Where the receipt a hospital filed for an incident is kept (src/api/incident-receipts.ts). */
export interface IncidentReceiptLookup {
  get(incidentId: number): Promise<TraceReceipt | undefined>;
}

export interface IncidentEvidenceDeps {
  receipts: IncidentReceiptLookup;
  ledger: LedgerContracts;
  deployment: Deployment;
}

const OVERSIGHT = new Set(["REGULATOR", "AUDITOR", "APPRAISER"]);

/** The organisation that developed a version (0 when unknown). */
async function developerOf(ledger: LedgerContracts, versionId: string): Promise<number> {
  const v = await ledger.models.version(versionId);
  return Number((await ledger.models.model(v.modelId)).developer);
}

/** Refuses a caller who may not read this incident's evidence; a patient is checked against the receipt's subject. */
async function scope(deps: IncidentEvidenceDeps, caller: Caller, incident: { hospital: bigint; versionId: string }, receipt: () => Promise<TraceReceipt>): Promise<void> {
  if (OVERSIGHT.has(caller.kind)) return;
  if (caller.kind === "HOSPITAL" && caller.orgId === Number(incident.hospital)) return;
  if (caller.kind === "MODEL_DEVELOPER" && caller.orgId === (await developerOf(deps.ledger, incident.versionId))) return;
  if (caller.kind === "patient" && caller.address && (await receipt()).record.subject.toLowerCase() === caller.address.toLowerCase()) return;
  throw new ApiError("FORBIDDEN", "an incident's evidence is read by oversight roles, the hospital that reported it, the developer of its model version and the patient it is about");
}

export function incidentEvidenceRoutes(app: FastifyInstance, deps: IncidentEvidenceDeps): void {
  app.get("/incidents/:id/evidence", {
    config: { access: "verify" },
    schema: {
      tags: ["incidents"],
      security: [{ session: [] }],
      description: "The incident's evidence pack (docs/evidence.md): each party's duties as facts with their proofs as of the decision's time, the PROPOSED split and the determination; ?format=fhir for a FHIR R4 Bundle.",
      params: { type: "object", properties: { id: { type: "string", pattern: "^[1-9][0-9]{0,18}$" } }, required: ["id"], additionalProperties: false },
      querystring: { type: "object", properties: { format: { type: "string", enum: ["json", "fhir"] } }, additionalProperties: false },
    },
  }, async (req) => {
    const incidentId = Number((req.params as { id: string }).id);
    const { format } = req.query as { format?: "json" | "fhir" };
    const incident = await deps.ledger.incidents.incident(incidentId);
    if (incident.hospital === 0n) throw new ApiError("INCIDENT_UNKNOWN", `no incident has id ${incidentId}`);
    const filed = async () => {
      const r = await deps.receipts.get(incidentId);
      if (!r) throw new ApiError("EVIDENCE_NO_RECEIPT", `the receipt of incident ${incidentId}'s trace is not filed yet; the reporting hospital (organisation ${incident.hospital}) files it`);
      return r;
    };
    await scope(deps, req.caller, incident, filed);
    const pack = await buildEvidencePack(deps.ledger, incidentId, await filed(), { fromBlock: deps.deployment.deploymentBlock });
    return format === "fhir" ? evidenceBundle(pack) : pack;
  });
}
