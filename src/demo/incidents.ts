/**
 * The demo's incidents (issue 18; docs/accountability.md): three decision traces at hospital 1 that
 * went wrong, each reported against its anchored trace —
 *
 * 1. a clinician adopted a wrong low-confidence suggestion (TAKEOVER tier, ACCEPTED; finding INCORRECT),
 *    determined by the demo's appraisal board;
 * 2. a correct suggestion was overridden (REVIEW tier, REJECTED; finding CORRECT);
 * 3. a version used outside its approved indications (chest-xray-dx on a paediatric radiograph).
 *
 * Resumable like the rest of the seed: the traces are idempotent by trace id in the hospital's vault,
 * and each write is skipped when the chain already shows it (the incident of a trace, its finding, its
 * determination), so a rerun after a kill at any point finishes the same three incidents.
 */
import { join } from "node:path";
import { keccak256, toUtf8Bytes, type Signer } from "ethers";
import { Appraiser, Hospital, TraceBatcher, receiptFor, writeFileDurably, type Deployment, type LedgerContracts, type TraceInput, type TraceReceipt } from "../sdk";
import { Indication } from "../constants";

const hashOf = (text: string) => keccak256(toUtf8Bytes(text));

/** One seeded incident: its id, the receipt file of its trace (the one filed with the API), and what it shows. */
export interface DemoIncident {
  incidentId: number;
  receipt: string;
  what: string;
}

interface Plan {
  key: string;
  what: string;
  trace: Omit<TraceInput, "traceId" | "modelVersion" | "subject" | "time" | "inputHash" | "outputHash" | "clinicianHash" | "finalDecisionHash">;
  severity: string;
  category: string;
  finding: "CORRECT" | "INCORRECT";
}

const PLANS: Plan[] = [
  { key: "adopted-wrong", what: "a wrong low-confidence suggestion adopted", trace: { confidenceBps: 7200, action: "ACCEPTED", indication: Indication.PNEUMONIA_DIAGNOSIS, riskWarning: true }, severity: "SEVERE", category: "MISDIAGNOSIS", finding: "INCORRECT" },
  { key: "rejected-correct", what: "a correct suggestion overridden", trace: { confidenceBps: 9700, action: "REJECTED", indication: Indication.CHEST_RADIOGRAPH_FINDINGS, riskWarning: false }, severity: "MODERATE", category: "MISSED_DIAGNOSIS", finding: "CORRECT" },
  { key: "off-indication", what: "a use outside the approved indications", trace: { confidenceBps: 9600, action: "ACCEPTED", indication: Indication.PEDIATRIC_CHEST_RADIOGRAPH, riskWarning: false }, severity: "MODERATE", category: "WRONG_TREATMENT", finding: "INCORRECT" },
];

export interface IncidentSeed {
  ledger: LedgerContracts;
  deployment: Deployment;
  dataDir: string;
  /** Hospital 1's signer (keyed in the outbox by `key`) and its trace vault's signer. */
  hospital: (key: string) => Signer;
  vaultSigner: Signer;
  appraiser: (key: string) => Signer;
  /** The version hospital 1 runs (chest-xray-dx 1.1) and three of its patients' pseudonyms there. */
  versionId: string;
  subjects: string[];
  now: () => Promise<number>;
}

/** Anchors the three traces (once) and returns their receipts, in PLANS order. */
async function anchorTraces(s: IncidentSeed): Promise<TraceReceipt[]> {
  const batcher = await TraceBatcher.open({ vaultPath: join(s.dataDir, "hospital-1", "trace-vault"), ledger: s.ledger, signer: s.vaultSigner, maxBatch: 1000 });
  try {
    const ids = PLANS.map((p) => hashOf(`incident-trace:${p.key}`));
    const stamped = await s.now();
    await batcher.append(...PLANS.map((p, k) => ({
      traceId: ids[k], modelVersion: s.versionId, subject: s.subjects[k], time: stamped, ...p.trace,
      inputHash: hashOf(`incident-in:${p.key}`), outputHash: hashOf(`incident-out:${p.key}`), clinicianHash: hashOf(`incident-clinician:${p.key}`), finalDecisionHash: hashOf(`incident-final:${p.key}`),
    })));
    await batcher.flush();
    const found = new Map<string, TraceReceipt>();
    for await (const a of batcher.storage.anchored()) if (ids.includes(a.record.traceId)) found.set(a.record.traceId, receiptFor(a, s.deployment));
    return ids.map((id) => found.get(id)!);
  } finally {
    await batcher.close();
  }
}

/** Reports (once) the incident of each trace, its finding, and the appraisal board's determination of the first. */
export async function seedIncidents(s: IncidentSeed): Promise<DemoIncident[]> {
  const receipts = await anchorTraces(s);
  const out: DemoIncident[] = [];
  for (const [k, p] of PLANS.entries()) {
    const r = receipts[k];
    let id = Number(await s.ledger.incidents.incidentOf(r.batchId, r.record.seq));
    if (id === 0) {
      // The harm follows the decision: at the trace's own time, inside its batch window ("now - 1"
      // fell before the window on a fast chain whose batch was stamped this very second).
      const occurredAt = Number(r.record.time);
      id = (await new Hospital(s.ledger, s.hospital(`incident:${p.key}`)).reportIncident(r, { severity: p.severity, category: p.category, occurredAt, narrativeHash: hashOf(`demo narrative: ${p.what}`) })).incidentId;
    }
    if (Number((await s.ledger.incidents.incident(id)).finding) === 0) {
      await new Hospital(s.ledger, s.hospital(`incident-finding:${p.key}`)).recordFinding(id, p.finding, hashOf(`demo follow-up: ${p.what}`));
    }
    const file = join(s.dataDir, "receipts", `incident-${id}-trace-${r.record.seq}.json`);
    writeFileDurably(file, JSON.stringify(r, null, 2) + "\n");
    out.push({ incidentId: id, receipt: file, what: p.what });
  }
  // The appraisal board rules on the first: the clinician adopted a wrong low-confidence suggestion.
  const first = out[0].incidentId;
  if (!(await s.ledger.incidents.incident(first)).determined) {
    await new Appraiser(s.ledger, s.appraiser(`determination:${first}`)).determine(first, { developer: 3000, hospital: 1000, clinician: 6000 }, hashOf("demo ruling: incident 1"));
  }
  return out;
}
