/**
 * verifyEvidencePack: the procedure of docs/evidence.md. Offline (no chain): every cited log decodes
 * to the arguments the pack states and comes from the manifest's contract, the receipt proves the
 * incident's record, every fact's rule gives the stated `met` on its cited logs, and the duties,
 * case, proposal and determination follow. With a chain: every log is in its transaction at its
 * block and time, and a pack rebuilt from the chain at the same head cites the same logs (so no
 * later status change, filing or alert before the decision was left out). Each failure is named.
 */
import { isDeepStrictEqual } from "node:util";
import { getAddress, type Interface, type Provider } from "ethers";
import { FACTORIES, connectLedger, type Deployment } from "../../../core";
import { parseReceipt, type TraceReceipt } from "../../traces/receipt";
import { recordAnchored } from "./anchored";
import { buildEvidencePack, liabilityCaseOf, partiesOf, proposalOf } from "./build";
import { EVIDENCE_CONTRACTS, EVIDENCE_PACK_FORMAT, FACTS, type EventProof, type EvidencePack } from "./format";
import { jsonValue } from "./gather";
import { RULES } from "./rules";

export const EVIDENCE_REASONS = [
  "PACK_MALFORMED", "WRONG_CHAIN", "WRONG_CONTRACT", "EVENT_ARGS_MISMATCH", "INCIDENT_RECORD_MISMATCH", "FACT_MISMATCH",
  "DUTY_MISMATCH", "PROPOSAL_MISMATCH", "DETERMINATION_MISMATCH", "EVENT_NOT_ON_CHAIN", "NOT_THE_LATEST_FACTS",
] as const;
export interface EvidenceReason {
  code: (typeof EVIDENCE_REASONS)[number];
  message: string;
}
export interface EvidenceVerdict {
  valid: boolean;
  reasons: EvidenceReason[];
  /** Checks that did not run (the chain checks, without one). */
  skipped: string[];
}

const INTERFACES: Record<string, Interface> = Object.fromEntries(EVIDENCE_CONTRACTS.map((c) => [c, FACTORIES[c].createInterface() as unknown as Interface]));

/**
 * The pack's own statement of each log against a decoding of its topics and data; returns the pack
 * with every log's decoded event and arguments (what the later checks read: never the stated ones).
 */
function checkEvents(pack: EvidencePack, pinned: Record<string, string>, out: EvidenceReason[]): EvidencePack {
  const events = pack.events.map((e, i) => {
    if (!pinned[e.contract] || getAddress(e.address) !== getAddress(pinned[e.contract])) out.push({ code: "WRONG_CONTRACT", message: `events[${i}] (${e.event}) comes from ${e.address}, not the manifest's ${e.contract} contract` });
    const parsed = (() => { try { return INTERFACES[e.contract]?.parseLog({ topics: e.topics, data: e.data }); } catch { return null; } })();
    const args = parsed ? Object.fromEntries(parsed.fragment.inputs.map((p, k) => [p.name, jsonValue(parsed.args[k], p)])) : undefined;
    if (!parsed || parsed.name !== e.event || !isDeepStrictEqual(args, e.args)) out.push({ code: "EVENT_ARGS_MISMATCH", message: `events[${i}]'s topics and data do not decode to the ${e.event} arguments the pack states` });
    return { ...e, event: parsed?.name ?? "", args: args ?? {} };
  });
  return { ...pack, events };
}

/**
 * Every fact's rule, rerun on its cited logs, gives its stated `met`; the duties follow from the
 * facts as recomputed (so one flipped fact is named once, as FACT_MISMATCH). Returns them.
 */
function checkFacts(pack: EvidencePack, receipt: TraceReceipt, out: EvidenceReason[]): EvidencePack["facts"] {
  const recomputed: EvidencePack["facts"] = [];
  const ctx = { record: receipt.record, time: BigInt(receipt.record.time), batchId: receipt.batchId };
  FACTS.forEach(([code, party, duty], i) => {
    const f = pack.facts[i];
    if (!f || f.code !== code || f.party !== party || f.duty !== duty) {
      recomputed.push({ code, party, duty, met: false, words: "", proof: { events: [], receipt: true } });
      return void out.push({ code: "FACT_MISMATCH", message: `facts[${i}] must be ${code} (${party}, ${duty})` });
    }
    const cited = f.proof.events.map((k) => pack.events[k]).filter((e): e is EventProof => e !== undefined);
    const again = code === "RECORD_ANCHORED" ? recordAnchored(receipt, cited) : RULES[code](ctx, cited);
    recomputed.push({ ...f, met: again.met });
    if (again.met !== f.met) out.push({ code: "FACT_MISMATCH", message: `${code} is stated ${f.met ? "met" : "not met"}; its rule on the cited logs says ${again.met ? "met" : "not met"} (${again.words})` });
  });
  if (!isDeepStrictEqual(partiesOf(recomputed), pack.parties)) out.push({ code: "DUTY_MISMATCH", message: "the parties' duties do not follow from the facts" });
  return recomputed;
}

/** The incident's logs name the receipt's record; the case, proposal and determination follow from the logs. */
function checkOutcome(pack: EvidencePack, receipt: TraceReceipt, facts: EvidencePack["facts"], out: EvidenceReason[]): void {
  const [reported, finding] = pack.incident.events.map((k) => pack.events[k]);
  const rep = reported?.event === "IncidentReported" ? (reported.args.report as Record<string, string>) : undefined;
  if (!rep || rep.batchId !== receipt.batchId || rep.seq !== receipt.record.seq || Number(reported!.args.incidentId) !== pack.incident.id) {
    out.push({ code: "INCIDENT_RECORD_MISMATCH", message: `the IncidentReported log of incident ${pack.incident.id} does not name the receipt's batch and sequence` });
  }
  const findingValue = finding?.event === "FindingRecorded" ? Number(finding.args.finding) : 0;
  const w = pack.weighting ? pack.events[pack.weighting.event] : undefined;
  const shares = w?.event === "WeightingSet" ? (w.args.shares as Record<string, string>) : undefined;
  const weighting = shares ? { shares: { DEVELOPER: Number(shares.developer), HOSPITAL: Number(shares.hospital), CLINICIAN: Number(shares.clinician) }, event: pack.weighting!.event } : null;
  const liabilityCase = liabilityCaseOf(findingValue, receipt.record.action);
  const { proposal } = proposalOf(liabilityCase, partiesOf(facts), weighting);
  if (liabilityCase !== pack.liabilityCase || !isDeepStrictEqual(proposal, pack.proposal) || (weighting && !isDeepStrictEqual(weighting, pack.weighting))) {
    out.push({ code: "PROPOSAL_MISMATCH", message: `the case ${liabilityCase} and the proposal from the facts and the cited weighting differ from the pack's` });
  }
  const d = pack.determination ? pack.events[pack.determination.event] : undefined;
  if (pack.determination && (d?.event !== "DeterminationRecorded" || Number(d.args.incidentId) !== pack.incident.id || d.args.rulingHash !== pack.determination.rulingHash ||
    !isDeepStrictEqual(pack.determination.shares, { DEVELOPER: Number((d.args.shares as Record<string, string>).developer), HOSPITAL: Number((d.args.shares as Record<string, string>).hospital), CLINICIAN: Number((d.args.shares as Record<string, string>).clinician) }))) {
    out.push({ code: "DETERMINATION_MISMATCH", message: "the determination is not the cited DeterminationRecorded log's" });
  }
}

/** Each log is in its transaction's receipt at its index, block and block time. */
async function checkOnChain(pack: EvidencePack, provider: Provider, out: EvidenceReason[]): Promise<void> {
  for (const [i, e] of pack.events.entries()) {
    const tx = await provider.getTransactionReceipt(e.txHash);
    const log = tx?.logs.find((l) => l.index === e.logIndex);
    const block = tx ? await provider.getBlock(e.blockNumber) : null;
    const same = log && getAddress(log.address) === getAddress(e.address) && isDeepStrictEqual([...log.topics], e.topics) && log.data === e.data &&
      log.blockNumber === e.blockNumber && log.blockHash === e.blockHash && block?.timestamp === e.blockTime && block?.hash === e.blockHash;
    if (!same) out.push({ code: "EVENT_NOT_ON_CHAIN", message: `events[${i}] (${e.event}) is not log ${e.logIndex} of transaction ${e.txHash} in block ${e.blockNumber} at time ${e.blockTime}` });
  }
}

/**
 * Verifies a pack from the document alone, and with `chain` (an RPC and the consortium's manifest,
 * never addresses from the pack) against the chain too. Never throws for a bad pack: it says why.
 */
export async function verifyEvidencePack(raw: unknown, chain?: { provider: Provider; deployment: Deployment }): Promise<EvidenceVerdict> {
  const pack = raw as EvidencePack;
  const reasons: EvidenceReason[] = [];
  let receipt: TraceReceipt;
  try {
    if (pack?.format !== EVIDENCE_PACK_FORMAT || !Array.isArray(pack.events) || !Array.isArray(pack.facts)) throw new Error(`format must be "${EVIDENCE_PACK_FORMAT}" with events and facts`);
    receipt = parseReceipt(pack.receipt);
  } catch (e) {
    return { valid: false, reasons: [{ code: "PACK_MALFORMED", message: (e as Error).message }], skipped: [] };
  }
  if (chain && (pack.chainId !== chain.deployment.chainId || receipt.chainId !== chain.deployment.chainId)) reasons.push({ code: "WRONG_CHAIN", message: `the pack is for chain ${pack.chainId}; the manifest's is ${chain.deployment.chainId}` });
  const decoded = checkEvents(pack, chain?.deployment.addresses ?? pack.addresses, reasons);
  checkOutcome(decoded, receipt, checkFacts(decoded, receipt, reasons), reasons);
  if (!chain) return { valid: reasons.length === 0, reasons, skipped: ["EVENT_NOT_ON_CHAIN", "NOT_THE_LATEST_FACTS"] };
  await checkOnChain(pack, chain.provider, reasons);
  const again = await buildEvidencePack(connectLedger(chain.deployment, chain.provider), pack.incident.id, receipt, { fromBlock: chain.deployment.deploymentBlock, toBlock: pack.assembledAt.block }).catch(() => undefined);
  const cites = (p: EvidencePack) => p.facts.map((f) => [f.code, f.met, f.proof.events.map((k) => `${p.events[k]?.txHash}|${p.events[k]?.logIndex}`)]);
  if (!again || !isDeepStrictEqual(cites(again), cites(pack))) reasons.push({ code: "NOT_THE_LATEST_FACTS", message: `the chain at block ${pack.assembledAt.block} gives other facts or other proofs than the pack's` });
  return { valid: reasons.length === 0, reasons, skipped: [] };
}
