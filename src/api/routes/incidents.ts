/**
 * Incidents (issue 18): adverse events hospitals reported against their traces, with the finding and
 * the APPRAISER's determination, the catalogue they are read with, and the trace receipt a reporting
 * hospital files here so that the patient concerned can see the incident.
 *
 * Who sees an incident: oversight (regulator, auditor, appraiser) all; a hospital those it reported;
 * a developer those against its versions; a patient those whose filed receipt names them as the
 * record's subject (or a subject they are a delegate for). The chain holds no subject for an incident,
 * on purpose, so until the hospital files the receipt no patient sees it.
 */
import { INCIDENT_SEVERITIES, LIMITS, OUTPUT_FINDINGS } from "../../constants";
import type { Rows } from "../../core";
import { parseReceipt, receiptRecordHash, type TraceReceipt } from "../../sdk";
import type { Kit } from "../app";
import type { Caller } from "../auth";
import { ApiError, errorSchema } from "../errors";
import type { IncidentReceipts } from "../incident-receipts";
import { MAX_TIME } from "../inputs";
import * as sch from "../schemas";

const { S, W } = sch;
const OVERSIGHT = ["REGULATOR", "AUDITOR", "APPRAISER"];
const idParams = S.obj({ id: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER } }, ["id"]);
const time = { type: "integer", minimum: 0, maximum: MAX_TIME };

/** Whether the receipt is the incident's trace: same deployment, batch, sequence and record hash. Throws the reason. */
export function checkIncidentReceipt(incident: Pick<Rows.IncidentRow, "incidentId" | "batchId" | "seq" | "recordHash">, receipt: TraceReceipt, deployment: { chainId: number; addresses: { traces: string } }): void {
  const wrong = (what: string) => {
    throw new ApiError("INCIDENT_RECEIPT_NOT_THE_TRACE", `the receipt is not incident ${incident.incidentId}'s trace: ${what}`);
  };
  if (receipt.chainId !== deployment.chainId || receipt.traceAnchor.toLowerCase() !== deployment.addresses.traces.toLowerCase()) wrong(`it is of another deployment (chain ${receipt.chainId}, TraceAnchor ${receipt.traceAnchor})`);
  if (receipt.batchId.toLowerCase() !== incident.batchId) wrong(`its batch is ${receipt.batchId}, the incident's ${incident.batchId}`);
  if (String(receipt.record.seq) !== incident.seq) wrong(`its sequence is ${receipt.record.seq}, the incident's ${incident.seq}`);
  // receiptRecordHash refuses a record that does not hash to the receipt's own leaf (INCIDENT_RECEIPT_MISMATCH).
  if (receiptRecordHash(receipt).toLowerCase() !== incident.recordHash) wrong("its record does not hash to the incident's record hash");
}

export function incidentRoutes(kit: Kit): void {
  const { app, o, q, route, ownOnly, say } = kit;
  const store = (): IncidentReceipts => {
    if (!o.incidentReceipts) throw new ApiError("INCIDENT_RECEIPTS_DISABLED", "this server keeps no incident receipts");
    return o.incidentReceipts;
  };

  /** Which incidents `caller` may see; for a patient, by the subjects of the receipts filed here. */
  async function scope(caller: Caller): Promise<(i: Rows.IncidentRow) => Promise<boolean>> {
    if (OVERSIGHT.includes(caller.kind)) return async () => true;
    if (caller.kind === "HOSPITAL") return async (i) => i.hospital === caller.orgId;
    if (caller.kind === "MODEL_DEVELOPER") return async (i) => (await q.version(i.versionId))?.developer === caller.orgId;
    if (caller.kind !== "patient" || !o.incidentReceipts) return async () => false;
    const me = caller.address!.toLowerCase();
    const subjects = await o.incidentReceipts.subjects();
    return async (i) => {
      const subject = subjects.get(i.incidentId);
      return subject !== undefined && (subject === me || (await q.delegates(subject)).includes(me));
    };
  }

  /** An incident in words: names beside codes (the category from the on-chain catalogue, read once per request), ISO beside times. */
  async function answer(i: Rows.IncidentRow, determination: Rows.DeterminationRow | null, categories: Rows.IncidentCategoryRow[]) {
    const filed = o.incidentReceipts ? (await o.incidentReceipts.get(i.incidentId)) !== undefined : false;
    return {
      ...(await say(W.incident, i)),
      categoryName: categories.find((c) => c.id === i.category)?.name ?? `category ${i.category}`,
      receiptFiled: filed,
      determination: determination ? await say(W.incident.determination.nested, determination) : null,
    };
  }

  app.get("/incidents/catalogue", route("public", {
    response: { 200: S.obj({ categories: S.arr(S.obj({ id: S.int, name: S.str })), severities: S.arr(S.obj({ id: S.int, name: S.str })), findings: S.arr(S.obj({ id: S.int, name: S.str })), weighting: S.arr(sch.weighting) }) },
  }, ["incidents"]), async () => ({
    categories: await q.incidentCategories(),
    severities: INCIDENT_SEVERITIES.map((name, id) => ({ id, name })).slice(1),
    findings: OUTPUT_FINDINGS.map((name, id) => ({ id, name })).slice(1),
    weighting: await say(W.weighting, await q.weightings()),
  }));

  app.get("/incidents", route("verify", {
    querystring: S.obj({ hospital: { type: "integer", minimum: 1, maximum: LIMITS.ORG_ID_MAX }, version: S.hex32, from: time, to: time }),
    response: { 200: S.obj({ incidents: S.arr(sch.incident) }) },
  }, ["incidents"]), async (req) => {
    const f = req.query as { hospital?: number; version?: string; from?: number; to?: number };
    if (f.from !== undefined && f.to !== undefined && f.from > f.to) throw new ApiError("CONTRADICTORY_PARAMETERS", `from ${f.from} is after to ${f.to}: no incident can be reported in that window`);
    if (f.hospital !== undefined) ownOnly(req.caller, f.hospital, "the incidents it reported");
    const visible = await scope(req.caller);
    const rows = await q.incidents({ hospital: req.caller.kind === "HOSPITAL" ? req.caller.orgId : f.hospital, versionId: f.version, from: f.from, to: f.to });
    const mine = [];
    for (const i of rows) if (await visible(i)) mine.push(i);
    const categories = await q.incidentCategories();
    return { incidents: await Promise.all(mine.map(async (i) => answer(i, (await q.incident(i.incidentId))?.determination ?? null, categories))) };
  });

  app.get("/incidents/:id", route("verify", { params: idParams, response: { 200: sch.incident } }, ["incidents"]), async (req) => {
    const { id } = req.params as { id: number };
    const i = await q.incident(id);
    if (!i) throw new ApiError("INCIDENT_UNKNOWN", `incident ${id} is not on this ledger (or not indexed yet)`);
    if (!(await (await scope(req.caller))(i))) throw new ApiError("FORBIDDEN", `incident ${id} is not one this caller may see (a hospital sees those it reported, a developer those against its versions, a patient those about them once the hospital filed the trace's receipt)`);
    const { determination, ...row } = i;
    return answer(row, determination, await q.incidentCategories());
  });

  app.post("/incidents/:id/receipt", route("hospital", {
    params: idParams, body: { type: "object" },
    response: { 200: S.obj({ incidentId: S.int, filed: S.bool, batchId: S.str, seq: S.str }), 409: errorSchema, 501: errorSchema },
  }, ["incidents"]), async (req) => {
    const { id } = req.params as { id: number };
    if (req.caller.kind !== "HOSPITAL") throw new ApiError("INCIDENT_NOT_REPORTER", "only the hospital that reported an incident files its trace receipt");
    const i = await q.incident(id);
    if (!i) throw new ApiError("INCIDENT_UNKNOWN", `incident ${id} is not on this ledger (or not indexed yet)`);
    if (i.hospital !== req.caller.orgId) throw new ApiError("INCIDENT_NOT_REPORTER", `incident ${id} was reported by organisation ${i.hospital}; only it files the trace's receipt`);
    const receipt = parseReceipt(req.body);
    checkIncidentReceipt(i, receipt, o.deployment);
    await store().put(id, receipt); // durable before the 200 (src/api/incident-receipts.ts)
    return { incidentId: id, filed: true, batchId: i.batchId, seq: i.seq };
  });
}
