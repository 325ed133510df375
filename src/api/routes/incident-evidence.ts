/**
 * GET /incidents/:id/evidence (issue 18, docs/evidence.md): the incident's evidence pack, or with
 * ?format=fhir its FHIR R4 Bundle. The pack needs the receipt of the incident's trace, which the
 * reporting hospital files (`receipts`, src/api/incident-receipts.ts); until it does the answer is
 * 409 EVIDENCE_NO_RECEIPT. Scoped like the incidents themselves: oversight roles (regulator,
 * auditor, appraiser), the hospital that reported it, the developer of the version, and the patient
 * whose subject address the receipt names.
 *
 * Registered inside buildApp's context (its caller hook, access preHandler and error handler apply):
 * `incidentEvidenceRoutes(app, { receipts, ledger, deployment, orgName })`.
 */
import type { FastifyInstance } from "fastify";
import { LiabilityCase } from "../../constants";
import { currentGeneration } from "../../core";
import { buildEvidencePack, liabilityCaseOf, type Deployment, type EvidencePack, type LedgerContracts, type TraceReceipt } from "../../sdk";
import { evidenceBundle } from "../../fhir";
import { ApiError } from "../errors";
import { EvidenceCache } from "../evidence-cache";
import type { Caller } from "../auth";

/** Where the receipt a hospital filed for an incident is kept (src/api/incident-receipts.ts). */
export interface IncidentReceiptLookup {
  get(incidentId: number): Promise<TraceReceipt | undefined>;
}

export interface IncidentEvidenceDeps {
  receipts: IncidentReceiptLookup;
  ledger: LedgerContracts;
  deployment: Deployment;
  /** Packs kept between requests, at most this many incidents' (default 64; see packState). */
  cacheSize?: number;
  /** An organisation's registered name (the index's), for the determination; else read from the chain. */
  orgName?: (orgId: number) => Promise<string | undefined>;
}

type IncidentStruct = Awaited<ReturnType<LedgerContracts["incidents"]["incident"]>>;

/**
 * Everything an incident's pack rests on that can change once the incident is reported, as one
 * string: the pack is rebuilt when it differs, and otherwise answered from the cache. The facts
 * are judged as of the decision, in blocks that were final before the report (QBFT finality), so
 * a new head alone changes nothing but `assembledAt`; a kept pack keeps the head it was read at
 * and verifies at that block. What can change: the manifest's generation; the incident (a reorg
 * would give its id another trace) and its finding; the determination; the weighting of the case;
 * whether the hospital recorded a deployment (DEPLOYED_BEFORE_DECISION cites its first one); and
 * the filed receipt (filed once, never changed).
 */
async function packState(deps: IncidentEvidenceDeps, incidentId: number, incident: IncidentStruct, receipt: TraceReceipt): Promise<string> {
  const kase = LiabilityCase[liabilityCaseOf(Number(incident.finding), receipt.record.action)];
  const [d, w, deployed] = await Promise.all([
    deps.ledger.incidents.determination(incidentId),
    kase ? deps.ledger.incidents.weighting(kase) : undefined,
    deps.ledger.models.isDeployed(incident.versionId, incident.hospital),
  ]);
  return JSON.stringify([
    currentGeneration(deps.deployment).generation, deps.deployment.deploymentBlock, await deps.ledger.incidents.getAddress(),
    incident.batchId, incident.seq.toString(), incident.recordHash, incident.finding.toString(), receipt.leaf,
    d.appraiser.toString(), d.determinedAt.toString(), d.rulingHash, w ? [w.developer, w.hospital, w.clinician].map(String) : null, deployed,
  ]);
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
  const packs = new EvidenceCache<EvidencePack>(deps.cacheSize ?? 64);
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
    const receipt = await filed();
    const state = await packState(deps, incidentId, incident, receipt);
    const pack = await packs.get(incidentId, state, () => buildEvidencePack(deps.ledger, incidentId, receipt, { fromBlock: deps.deployment.deploymentBlock, orgName: deps.orgName }));
    return format === "fhir" ? evidenceBundle(pack) : pack;
  });
}
