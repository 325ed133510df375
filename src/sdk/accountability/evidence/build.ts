/**
 * buildEvidencePack: for one incident and the receipt of its trace, every duty of every party as a
 * fact with its proof as of the decision's time (the record's time, bounded by the batch's anchored
 * window; every "before" compares block timestamps, never the host clock), the proposed split and
 * the on-chain determination. docs/evidence.md describes the result.
 */
import type { Provider } from "ethers";
import { LIABILITY_DUTIES, LIABILITY_PARTIES, ClinicianAction, OutputFinding, LiabilityCase, type LiabilityPartyName } from "../../../constants";
import { InputError, MedprovError, isoOf } from "../../../core";
import type { LedgerContracts } from "../../deploy";
import { parseReceipt, type TraceReceipt } from "../../traces/receipt";
import { readIncident, receiptRecordHash } from "../incidents";
import { proposeSplit, type Proposal } from "../proposal";
import { recordAnchored } from "./anchored";
import { EVIDENCE_CONTRACTS, EVIDENCE_PACK_FORMAT, FACTS, type EventProof, type EvidenceFact, type EvidencePack, type PartyDuties } from "./format";
import { LogReader, gatherLogs, type Gathered } from "./gather";
import { RULES, type RuleContext } from "./rules";
import { selectCitations } from "./select";

export interface EvidenceOptions {
  /** First block to read logs from: the deployment block of the manifest (default 0). */
  fromBlock?: number;
  /** Last block to consider (default: the head when called). */
  toBlock?: number;
  /**
   * Widest eth_getLogs span to ask for (default LIMITS.LOG_RANGE_MAX, Besu's default
   * `--rpc-max-logs-range`): the window is read in spans no wider, so a node with a limit serves it.
   */
  maxRange?: number;
  /**
   * An organisation's registered name, where the caller has it (the API: its index). Where it has
   * none, the name is read from the organisation's MemberAdmitted log on the chain.
   */
  orgName?: (orgId: number) => Promise<string | undefined>;
}

/** An organisation's name from its MemberAdmitted log (null when it was never admitted). */
async function admittedName(ledger: LedgerContracts, reader: LogReader, orgId: number): Promise<string | null> {
  const [admitted] = await reader.logs(ledger.consortium, ledger.consortium.filters.MemberAdmitted(orgId));
  return admitted ? String(admitted.args.name) : null;
}

type Incident = NonNullable<Awaited<ReturnType<typeof readIncident>>>;

/** The receipt proves the incident's trace: same batch, sequence and record hash. */
async function incidentAndReceipt(ledger: LedgerContracts, incidentId: number, raw: unknown, o: EvidenceOptions): Promise<{ incident: Incident; receipt: TraceReceipt }> {
  const incident = await readIncident(ledger, incidentId, { fromBlock: o.fromBlock, maxRange: o.maxRange });
  if (!incident) throw new MedprovError("INCIDENT_UNKNOWN", `no incident has id ${incidentId}`);
  const receipt = parseReceipt(raw);
  const same = receipt.batchId === incident.batchId.toLowerCase() && receipt.record.seq === incident.seq && receiptRecordHash(receipt) === incident.recordHash.toLowerCase();
  if (!same) {
    throw new InputError("INCIDENT_RECEIPT_NOT_THE_TRACE", `the receipt proves sequence ${receipt.record.seq} of batch ${receipt.batchId}; incident ${incidentId} is about sequence ${incident.seq} of batch ${incident.batchId} (record hash ${incident.recordHash})`);
  }
  return { incident, receipt };
}

/** The liability case the finding and the clinician's action make (the paper's two; NONE otherwise). */
export function liabilityCaseOf(finding: number, action: number): EvidencePack["liabilityCase"] {
  if (finding === OutputFinding.INCORRECT && action === ClinicianAction.ACCEPTED) return "ADOPTED_WRONG";
  if (finding === OutputFinding.CORRECT && (action === ClinicianAction.REJECTED || action === ClinicianAction.TAKEOVER)) return "REJECTED_CORRECT";
  return "NONE";
}

/** Each party's duties, proved when every fact of the duty is met. */
export function partiesOf(facts: readonly EvidenceFact[]): Record<LiabilityPartyName, PartyDuties> {
  return Object.fromEntries(LIABILITY_PARTIES.map((p) => {
    const duties = Object.fromEntries((LIABILITY_DUTIES[p] as readonly string[]).map((d) => {
      const mine = facts.filter((f) => f.party === p && f.duty === d);
      return [d, { met: mine.length > 0 && mine.every((f) => f.met), facts: mine.map((f) => f.code) }];
    }));
    return [p, { duties, allMet: Object.values(duties).every((d) => d.met) }];
  })) as Record<LiabilityPartyName, PartyDuties>;
}

/** The facts, each citing indexes into `events` (the union of what they cite, oldest first). */
export function factsOf(receipt: TraceReceipt, cited: Record<string, EventProof[]>): { facts: EvidenceFact[]; events: EventProof[] } {
  const key = (e: EventProof) => `${e.blockNumber}|${e.logIndex}`;
  const all = new Map<string, EventProof>();
  for (const list of Object.values(cited)) for (const e of list) all.set(key(e), e);
  const events = [...all.values()].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  const index = new Map(events.map((e, i) => [key(e), i]));
  const ctx: RuleContext = { record: receipt.record, time: BigInt(receipt.record.time), batchId: receipt.batchId };
  const facts = FACTS.map(([code, party, duty]) => {
    const mine = cited[code];
    const r = code === "RECORD_ANCHORED" ? recordAnchored(receipt, mine) : RULES[code](ctx, mine);
    return { code, party, duty, met: r.met, words: r.words, proof: { events: mine.map((e) => index.get(key(e))!).sort((a, b) => a - b), receipt: true } };
  });
  return { facts, events };
}

/** The proposal from the facts and the governed weighting of the case (null for NONE). */
export function proposalOf(liabilityCase: EvidencePack["liabilityCase"], parties: EvidencePack["parties"], weighting: EvidencePack["weighting"]): { proposal: Proposal | null; note: string } {
  if (liabilityCase === "NONE" || !weighting) {
    return { proposal: null, note: "no proposal: the paper's weighting covers a wrong suggestion adopted (finding INCORRECT, action ACCEPTED) or a correct one overridden (finding CORRECT, action REJECTED or TAKEOVER); this incident is neither (or has no finding yet)" };
  }
  const proved = Object.fromEntries(LIABILITY_PARTIES.map((p) => [p, Object.entries(parties[p].duties).filter(([, d]) => d.met).map(([d]) => d)]));
  const w = weighting.shares;
  const proposal = proposeSplit({ liabilityCase, proved: proved as never, weighting: { DEVELOPER: w.DEVELOPER, HOSPITAL: w.HOSPITAL, CLINICIAN: w.CLINICIAN } });
  return { proposal, note: "a PROPOSAL computed by medprov from the facts (proposeSplit); only an APPRAISER member's determination is final" };
}

const sharesOf = (s: { [k: string]: unknown }) => ({ DEVELOPER: Number(s.developer), HOSPITAL: Number(s.hospital), CLINICIAN: Number(s.clinician) });

/** Assembles the evidence pack of an incident from the chain behind `ledger` and the receipt of its trace. */
export async function buildEvidencePack(ledger: LedgerContracts, incidentId: number, rawReceipt: unknown, o: EvidenceOptions = {}): Promise<EvidencePack> {
  const { incident, receipt } = await incidentAndReceipt(ledger, incidentId, rawReceipt, o);
  const provider = ledger.models.runner!.provider as Provider;
  const toBlock = o.toBlock ?? (await provider.getBlockNumber());
  const reader = new LogReader(provider, o.fromBlock ?? 0, toBlock, o.maxRange);
  const r = receipt.record;
  const appraiser = incident.determination?.appraiser;
  const [g, appraiserName] = await Promise.all([
    gatherLogs(ledger, reader, { versionId: r.modelVersion, hospital: r.hospital, subject: r.subject, batchId: receipt.batchId, incidentId }),
    // The caller's name (the API's index) where it has one; the chain's otherwise (an index that lags).
    appraiser === undefined ? null : (o.orgName?.(appraiser) ?? Promise.resolve(undefined)).then((n) => n ?? admittedName(ledger, reader, appraiser)),
  ]);
  return assemble(ledger, incident, receipt, g, { block: toBlock, time: await reader.blockTime(toBlock) }, appraiserName);
}

async function assemble(ledger: LedgerContracts, incident: Incident, receipt: TraceReceipt, g: Gathered, head: { block: number; time: number }, appraiserName: string | null): Promise<EvidencePack> {
  const time = BigInt(receipt.record.time);
  const cited: Record<string, EventProof[]> = selectCitations(g, time, receipt.batchId);
  const liabilityCase = liabilityCaseOf(incident.finding, receipt.record.action);
  const weightingLog = g.weightings.filter((e) => Number(e.args.liabilityCase) === LiabilityCase[liabilityCase]).slice(-1);
  const determinationLog = g.determinations.slice(0, 1);
  const incidentLogs = [...g.reported, ...g.findings];
  const { facts, events } = factsOf(receipt, { ...cited, incident: incidentLogs, weighting: weightingLog, determination: determinationLog });
  const idx = (e: EventProof) => events.findIndex((x) => x.blockNumber === e.blockNumber && x.logIndex === e.logIndex);
  const parties = partiesOf(facts);
  const weighting = weightingLog[0] ? { shares: sharesOf(weightingLog[0].args.shares as never), event: idx(weightingLog[0]) } : null;
  const { proposal, note } = proposalOf(liabilityCase, parties, weighting);
  const batch = g.batches.find((e) => e.args.batchId === receipt.batchId)!;
  const d = incident.determination;
  return {
    format: EVIDENCE_PACK_FORMAT,
    chainId: receipt.chainId,
    addresses: Object.fromEntries(await Promise.all(EVIDENCE_CONTRACTS.map(async (c) => [c, await ledger[c].getAddress()]))),
    assembledAt: { ...head, timeIso: isoOf(head.time) },
    incident: {
      id: incident.incidentId, hospital: incident.hospital, versionId: incident.versionId, batchId: incident.batchId, seq: incident.seq, recordHash: incident.recordHash,
      severity: incident.severity, severityName: incident.severityName, category: incident.category, categoryName: incident.categoryName, occurredAt: incident.occurredAt, occurredAtIso: incident.occurredAtIso,
      finding: incident.finding, findingName: incident.findingName, events: incidentLogs.map(idx),
    },
    decision: {
      time: Number(time), timeIso: isoOf(time), window: { from: Number(batch.args.fromTime), to: Number(batch.args.toTime) },
      subject: receipt.record.subject, hospital: receipt.record.hospital, versionId: receipt.record.modelVersion,
    },
    receipt, events, facts, parties, liabilityCase, weighting, proposal, proposalNote: note,
    determination: d && determinationLog[0] ? { appraiser: d.appraiser, appraiserName, determinedAt: d.determinedAt, determinedAtIso: d.determinedAtIso, rulingHash: d.rulingHash, shares: sharesOf(determinationLog[0].args.shares as never), event: idx(determinationLog[0]) } : null,
  } as EvidencePack;
}
