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
import type { Generation } from "../../core";
import { buildEvidencePack, incidentGeneration, liabilityCaseOf, type Deployment, type EvidencePack, type LedgerContracts, type TraceReceipt } from "../../sdk";
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

/** The generation that holds an incident (its own contracts judge it), and the incident as its registry holds it. */
interface IncidentAt {
  generation: Generation;
  ledger: LedgerContracts;
  incident: Awaited<ReturnType<LedgerContracts["incidents"]["incident"]>>;
}

/**
 * Everything an incident's pack rests on that can change once the incident is reported, as one
 * string: the pack is rebuilt when it differs, and otherwise answered from the cache. The facts
 * are judged as of the decision, in blocks that were final before the report (QBFT finality), so
 * a new head alone changes nothing but `assembledAt`; a kept pack keeps the head it was read at
 * and verifies at that block. What can change: the generation that holds the incident; the incident (a reorg
 * would give its id another trace) and its finding; the determination; the weighting of the case;
 * whether the hospital recorded a deployment (DEPLOYED_BEFORE_DECISION cites its first one); and
 * the filed receipt (filed once, never changed).
 */
async function packState(at: IncidentAt, incidentId: number, receipt: TraceReceipt): Promise<string> {
  const { ledger, generation, incident } = at;
  const kase = LiabilityCase[liabilityCaseOf(Number(incident.finding), receipt.record.action)];
  const [d, w, deployed] = await Promise.all([
    ledger.incidents.determination(incidentId),
    kase ? ledger.incidents.weighting(kase) : undefined,
    ledger.models.isDeployed(incident.versionId, incident.hospital),
  ]);
  return JSON.stringify([
    generation.generation, generation.fromBlock, await ledger.incidents.getAddress(),
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
async function scope({ ledger, incident }: IncidentAt, caller: Caller, receipt: () => Promise<TraceReceipt>): Promise<void> {
  if (OVERSIGHT.has(caller.kind)) return;
  if (caller.kind === "HOSPITAL" && caller.orgId === Number(incident.hospital)) return;
  if (caller.kind === "MODEL_DEVELOPER" && caller.orgId === (await developerOf(ledger, incident.versionId))) return;
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
    // Read on the generation that holds it: after a migration, an older incident is judged on its own contracts.
    const at = await incidentGeneration(deps.deployment, deps.ledger.incidents.runner!, incidentId);
    if (!at) throw new ApiError("INCIDENT_UNKNOWN", `no incident has id ${incidentId}`);
    const filed = async () => {
      const r = await deps.receipts.get(incidentId);
      if (!r) throw new ApiError("EVIDENCE_NO_RECEIPT", `the receipt of incident ${incidentId}'s trace is not filed yet; the reporting hospital (organisation ${at.incident.hospital}) files it`);
      return r;
    };
    await scope(at, req.caller, filed);
    const receipt = await filed();
    const state = await packState(at, incidentId, receipt);
    const pack = await packs.get(incidentId, state, () => buildEvidencePack(at.ledger, incidentId, receipt, { fromBlock: at.generation.fromBlock, orgName: deps.orgName }));
    return format === "fhir" ? evidenceBundle(pack) : pack;
  });
}
