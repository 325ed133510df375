/**
 * The evidence pack (issue 18, docs/evidence.md): for one incident, every duty of every party as a
 * fact with its proof as of the decision's time, the proposed split and the determination. A pack
 * carries the raw logs it cites (address, topics, data and where they were emitted) and the trace
 * receipt, so anyone can re-decode each log, re-run each rule and re-check the record's Merkle
 * proof from the document alone; with an RPC, also that each log is on the chain where it says.
 */
import { EVIDENCE_CONTRACTS, FACTS, type EVIDENCE_PACK_FORMAT, type LiabilityPartyName } from "../../../constants";

export { EVIDENCE_CONTRACTS, EVIDENCE_PACK_FORMAT, FACTS } from "../../../constants";
import type { TraceReceipt } from "../../traces/receipt";
import type { Proposal } from "../proposal";

/** JSON values as a pack holds them: integers of events as decimal strings. */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export type EvidenceContract = (typeof EVIDENCE_CONTRACTS)[number];

/** One log, as emitted, with its decoded arguments (integers as decimal strings) and its block's time. */
export interface EventProof {
  contract: EvidenceContract;
  event: string;
  args: { [k: string]: Json };
  address: string;
  topics: string[];
  data: string;
  blockNumber: number;
  blockHash: string;
  /** The block's timestamp (chain time): what "as of the decision" compares. */
  blockTime: number;
  blockTimeIso: string;
  txHash: string;
  /** Index of the log in its block (eth_getLogs logIndex). */
  logIndex: number;
}

/** A duty fact: whether it was met at the decision's time, in words, and what proves it. */
export interface EvidenceFact {
  code: FactCode;
  party: LiabilityPartyName;
  duty: string;
  met: boolean;
  words: string;
  /**
   * Indexes into the pack's `events` (the logs the rule reads; none: nothing on the ledger proves
   * it), and the receipt: every rule reads the record, if only its time (the decision's time).
   */
  proof: { events: number[]; receipt: boolean };
}

export type FactCode = (typeof FACTS)[number][0];

export interface PartyDuties {
  /** Each duty: proved when every one of its facts is met. */
  duties: Record<string, { met: boolean; facts: FactCode[] }>;
  /** Every duty proved: presumed not at fault. */
  allMet: boolean;
}

export interface EvidencePack {
  format: typeof EVIDENCE_PACK_FORMAT;
  chainId: number;
  /** Where the logs were read (informational: a verifier takes addresses from the deployment manifest). */
  addresses: Record<EvidenceContract, string>;
  /** The chain head the pack was assembled at (logs after it are not considered). */
  assembledAt: { block: number; time: number; timeIso: string };
  incident: {
    id: number; hospital: number; versionId: string; batchId: string; seq: string; recordHash: string;
    severity: number; severityName: string; category: number; categoryName: string; occurredAt: number; occurredAtIso: string;
    finding: number; findingName: string;
    /** IncidentReported, then FindingRecorded when there is one. */
    events: number[];
  };
  /** The decision: the record's time, inside the batch's anchored window (both chain-bounded). */
  decision: { time: number; timeIso: string; window: { from: number; to: number }; subject: string; hospital: number; versionId: string };
  receipt: TraceReceipt;
  events: EventProof[];
  facts: EvidenceFact[];
  parties: Record<LiabilityPartyName, PartyDuties>;
  /** The liability case the finding and the clinician's action make (NONE: no weighting applies). */
  liabilityCase: "NONE" | "ADOPTED_WRONG" | "REJECTED_CORRECT";
  /** The governed weighting of the case (its latest WeightingSet), or null for NONE. */
  weighting: { shares: { DEVELOPER: number; HOSPITAL: number; CLINICIAN: number }; event: number } | null;
  /** medprov's PROPOSAL (proposeSplit); null when no case applies (see proposalNote). */
  proposal: Proposal | null;
  proposalNote: string;
  /** The APPRAISER's determination on-chain (final), or null. */
  determination: {
    /** The APPRAISER member, and its registered name (for people; null when the ledger names no such member). */
    appraiser: number; appraiserName: string | null; determinedAt: number; determinedAtIso: string; rulingHash: string;
    shares: { DEVELOPER: number; HOSPITAL: number; CLINICIAN: number }; event: number;
  } | null;
}
