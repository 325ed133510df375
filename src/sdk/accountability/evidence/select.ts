/**
 * Which logs each fact cites (pure): "as of the decision" is the latest log of a kind whose block
 * time is not after the decision's time. A verifier with an RPC reruns this on the chain's logs to
 * see that a pack cites the latest, not an older, convenient one (verifyEvidencePack).
 */
import type { EventProof, FactCode } from "./format";
import type { Gathered } from "./gather";

const notAfter = (t: bigint) => (e: EventProof) => BigInt(e.blockTime) <= t;
/** The last of `events` (oldest first) at or before `t`, as a list of zero or one. */
const lastBy = (events: readonly EventProof[], t: bigint): EventProof[] => events.filter(notAfter(t)).slice(-1);

/** The last of each group (by `key`) at or before `t`. */
function lastPer(events: readonly EventProof[], t: bigint, key: (e: EventProof) => string): EventProof[] {
  const by = new Map<string, EventProof>();
  for (const e of events.filter(notAfter(t))) by.set(key(e), e);
  return [...by.values()];
}

export function selectCitations(g: Gathered, time: bigint, batchId: string): Record<FactCode, EventProof[]> {
  const approval = lastBy(g.approvals, time);
  const riskClass = approval[0]?.args.riskClass;
  const policy = lastBy(g.policies.filter((e) => e.args.riskClass === riskClass), time);
  const filing = lastBy(g.filings, time);
  const self = g.batches.filter((e) => e.args.batchId === batchId);
  const first = self[0] ? BigInt(self[0].args.firstSeq as string) : -1n;
  const prev = g.batches.filter((e) => BigInt(e.args.firstSeq as string) + BigInt(e.args.count as string) === first);
  const datasets = lastPer(g.datasets, time, (e) => `${e.event}|${e.args.datasetId}`);
  return {
    VERSION_APPROVED_AT_DECISION: lastBy(g.statusChanges, time),
    POLICY_FIGURES_MET: [...g.registered, ...approval, ...policy],
    TRAINING_DATA_USABLE: [...g.registered, ...datasets],
    NO_OPEN_FAIRNESS_ALERT: [...g.reports, ...g.alerts].filter(notAfter(time)),
    OUTPUT_EXPLAINED: g.registered,
    WHITE_PAPER_ON_FILE: filing,
    INSURANCE_COVERS_DECISION: filing,
    WITHIN_APPROVED_INDICATIONS: approval,
    TIER_REVIEW_OBEYED: [],
    DEPLOYED_BEFORE_DECISION: g.deployments.slice(0, 1),
    CONSENT_AT_DECISION: lastPer(g.consent, time, (e) => `${e.event}|${e.args.grantee}`),
    BATCH_WITHOUT_GAP: [...prev, ...self],
    RECORD_ANCHORED: self,
    CLINICIAN_DECIDED: [],
    NO_BLIND_LOW_CONFIDENCE_ADOPTION: [],
    NO_IGNORED_WARNING: [],
  };
}
