/**
 * Reading a pack's candidate logs from the chain, up to one head block, as EventProofs: every log
 * a fact may cite for this incident (the version's history, its datasets, the subject's consent for
 * the hospital, the batches, the incident's own). Selection (which of them each fact cites) is pure
 * and lives in ./select.ts.
 */
import { Contract, type EventLog, type Log, type ParamType, type Provider, type Result } from "ethers";
import { isoOf, readInSpans } from "../../../core";
import { LIMITS, Purpose } from "../../../constants";
import type { LedgerContracts } from "../../deploy";
import type { EventProof, EvidenceContract, Json } from "./format";

/** A decoded log argument as JSON: tuples as objects by component name, integers as decimal strings. */
export function jsonValue(v: unknown, t: ParamType): Json {
  if (t.isTuple()) return Object.fromEntries(t.components.map((c, i) => [c.name, jsonValue((v as Result)[i], c)]));
  if (t.isArray()) return Array.from(v as unknown[]).map((x) => jsonValue(x, t.arrayChildren));
  if (typeof v === "bigint") return v.toString();
  return v as Json;
}

export class LogReader {
  private readonly times = new Map<number, Promise<number>>();
  constructor(
    private readonly provider: Provider,
    private readonly fromBlock: number,
    private readonly toBlock: number,
    /** Widest eth_getLogs span asked for: a node with a log-range limit refuses wider ones. */
    private readonly maxRange: number = LIMITS.LOG_RANGE_MAX,
  ) {}

  /** Every log of `filter` on `contract` in the window, as EventProofs, oldest first. */
  async read(name: EvidenceContract, contract: Contract | LedgerContracts[EvidenceContract], filter: unknown): Promise<EventProof[]> {
    return Promise.all((await this.logs(contract, filter)).map((l) => this.proofOf(name, l)));
  }

  /** Every log of `filter` on `contract` in the window, decoded, oldest first. */
  async logs(contract: Contract | LedgerContracts[keyof LedgerContracts], filter: unknown): Promise<EventLog[]> {
    // Span after span, oldest first: one filter's reads in a row, the filters' reads side by side.
    const logs = await readInSpans(this.fromBlock, this.toBlock, this.maxRange, async (from, to) => (await (contract as Contract).queryFilter(filter as never, from, to)) as (EventLog | Log)[]);
    return logs.filter((l): l is EventLog => "fragment" in l);
  }

  private async proofOf(contract: EvidenceContract, l: EventLog): Promise<EventProof> {
    const blockTime = await this.blockTime(l.blockNumber);
    return {
      contract, event: l.fragment.name, args: Object.fromEntries(l.fragment.inputs.map((p, i) => [p.name, jsonValue(l.args[i], p)])),
      address: l.address, topics: [...l.topics], data: l.data, blockNumber: l.blockNumber, blockHash: l.blockHash,
      blockTime, blockTimeIso: isoOf(blockTime), txHash: l.transactionHash, logIndex: l.index,
    };
  }

  blockTime(n: number): Promise<number> {
    let p = this.times.get(n);
    if (!p) {
      p = this.provider.getBlock(n).then((b) => b!.timestamp);
      this.times.set(n, p);
    }
    return p;
  }
}

export interface Subjects {
  versionId: string;
  hospital: number;
  subject: string;
  batchId: string;
  incidentId: number;
}

/** Every candidate log of an incident's pack, by kind. */
export async function gatherLogs(ledger: LedgerContracts, reader: LogReader, s: Subjects) {
  const { models, datasets, consents, traces, incidents } = ledger;
  const m = (f: unknown) => reader.read("models", models, f);
  const registered = await m(models.filters.VersionRegistered(s.versionId));
  const training = registered.length ? (((registered[0].args.input as { trainingDatasets: string[] }).trainingDatasets)) : [];
  const perDataset = await Promise.all(training.map(async (id) => [
    ...(await reader.read("datasets", datasets, datasets.filters.DatasetRegistered(id))),
    ...(await reader.read("datasets", datasets, datasets.filters.DatasetStatusChanged(id))),
    ...(await reader.read("datasets", datasets, datasets.filters.DatasetSuspensionChanged(id))),
  ]));
  const cds = Purpose.CLINICAL_DECISION_SUPPORT;
  const consent = (await Promise.all([s.hospital, 0].flatMap((g) => [
    reader.read("consents", consents, consents.filters.ConsentGranted(s.subject, cds, g)),
    reader.read("consents", consents, consents.filters.ConsentRevoked(s.subject, cds, g)),
  ]))).flat();
  // Independent reads: sent together, not one round trip after another.
  const [statusChanges, approvals, policies, filings, deployments, reports, alerts, batches, reported, findings, determinations, weightings] = await Promise.all([
    m(models.filters.VersionStatusChanged(s.versionId)),
    m(models.filters.VersionApproved(s.versionId)),
    m(models.filters.PolicySet()),
    m(models.filters.FilingEvidenceFiled(s.versionId)),
    m(models.filters.DeploymentRecorded(s.versionId, s.hospital)),
    m(models.filters.PerformanceReported(s.versionId)),
    m(models.filters.FairnessAlert(s.versionId)),
    reader.read("traces", traces, traces.filters.BatchAnchored(undefined, s.hospital)),
    reader.read("incidents", incidents, incidents.filters.IncidentReported(s.incidentId)),
    reader.read("incidents", incidents, incidents.filters.FindingRecorded(s.incidentId)),
    reader.read("incidents", incidents, incidents.filters.DeterminationRecorded(s.incidentId)),
    reader.read("incidents", incidents, incidents.filters.WeightingSet()),
  ]);
  return { registered, statusChanges, approvals, policies, filings, deployments, reports, alerts, datasets: perDataset.flat(), consent, batches, reported, findings, determinations, weightings };
}
export type Gathered = Awaited<ReturnType<typeof gatherLogs>>;
