// The standalone evidence-pack verifier of docs/evidence.md: ethers and @openzeppelin/merkle-tree only.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { AbiCoder, Interface, concat, getAddress, keccak256, type ParamType, type Provider, type Result } from "ethers";

// A pack is untrusted JSON: every field read is compared or parsed before it counts.
type Json = any;
export interface Manifest {
  chainId: number;
  addresses: { consents: string; datasets: string; models: string; traces: string; incidents: string };
}
export interface Verdict {
  valid: boolean;
  /** "CODE: where" for every check that failed. */
  reasons: string[];
}

const ABI: Record<string, string[]> = {
  models: [
    "event VersionStatusChanged(bytes32 indexed versionId, uint8 previous, uint8 status, uint32 indexed actor, bytes32 reason)",
    "event VersionRegistered(bytes32 indexed versionId, bytes32 indexed modelId, uint32 indexed developer, (bytes32 parent, bytes32 weightsHash, bytes32 modelCardHash, bytes32[] trainingDatasets, (uint16 auc, uint16 sensitivity, uint16 specificity, uint16 subgroupAucGap, uint32 biasTestCases, uint16 grassrootsShare) evaluation, (bytes32 whitePaperHash, (bytes32 insurerHash, bytes32 policyHash, uint64 coverageStart, uint64 coverageEnd) insurance) filing) input)",
    "event VersionApproved(bytes32 indexed versionId, uint32 indexed regulator, string filingCode, uint8 riskClass, uint64 indications)",
    "event PolicySet(uint8 indexed riskClass, (uint32 minAuc, uint32 maxSubgroupAucGap, uint32 minBiasTestCases, uint32 minGrassrootsShare, bool requiresWhitePaper, bool requiresInsurance) policy)",
    "event FilingEvidenceFiled(bytes32 indexed versionId, uint32 indexed developer, (bytes32 whitePaperHash, (bytes32 insurerHash, bytes32 policyHash, uint64 coverageStart, uint64 coverageEnd) insurance) filing)",
    "event DeploymentRecorded(bytes32 indexed versionId, uint32 indexed hospital)",
    "event PerformanceReported(bytes32 indexed versionId, uint32 indexed hospital, bytes32 indexed reportId, (uint64 periodStart, uint64 periodEnd, uint32 cases, uint16 auc, (bytes32 subgroup, uint16 auc, uint32 cases)[] subgroups, bytes32 reportHash) report)",
    "event FairnessAlert(bytes32 indexed versionId, uint32 indexed hospital, bytes32 indexed reportId, uint32 gap, uint32 limit)",
  ],
  datasets: [
    "event DatasetRegistered(bytes32 indexed datasetId, uint32 indexed custodian, (bytes32 contentRoot, bytes32 cohortRoot, bytes32 metadataHash, string uri, uint64 allowedPurposes, bytes32[] parents, (uint16[] ageBps, uint16[] sexBps, uint16[] regionBps, uint16 grassrootsBps) demographics) registration)",
    "event DatasetStatusChanged(bytes32 indexed datasetId, uint8 previous, uint8 status, bytes32 attestation)",
    "event DatasetSuspensionChanged(bytes32 indexed datasetId, bool suspended, uint32 indexed regulator)",
  ],
  consents: [
    "event ConsentGranted(address indexed subject, uint8 indexed purpose, uint32 indexed grantee, uint64 expiresAt, address actor, address relayer, uint64 signedAt)",
    "event ConsentRevoked(address indexed subject, uint8 indexed purpose, uint32 indexed grantee, address actor, address relayer, uint64 signedAt)",
  ],
  traces: ["event BatchAnchored(bytes32 indexed batchId, uint32 indexed hospital, bytes32 root, uint64 firstSeq, uint32 count, uint64 fromTime, uint64 toTime, bytes32[] versions, uint32[] versionCounts)"],
  incidents: [
    "event IncidentReported(uint64 indexed incidentId, uint32 indexed hospital, bytes32 indexed versionId, (bytes32 batchId, uint64 seq, bytes32 recordHash, bytes32 versionId, uint8 severity, uint8 category, uint64 occurredAt, bytes32 narrativeHash) report)",
    "event FindingRecorded(uint64 indexed incidentId, uint32 indexed hospital, uint8 finding, bytes32 findingHash)",
    "event DeterminationRecorded(uint64 indexed incidentId, uint32 indexed appraiser, (uint16 developer, uint16 hospital, uint16 clinician) shares, bytes32 rulingHash)",
    "event WeightingSet(uint8 indexed liabilityCase, (uint16 developer, uint16 hospital, uint16 clinician) shares)",
  ],
};
const RECORD: [string, string][] = [
  ["traceId", "bytes32"], ["hospital", "uint32"], ["seq", "uint64"], ["modelVersion", "bytes32"], ["subject", "address"], ["inputHash", "bytes32"],
  ["outputHash", "bytes32"], ["confidenceBps", "uint16"], ["tier", "uint8"], ["action", "uint8"], ["clinicianHash", "bytes32"],
  ["finalDecisionHash", "bytes32"], ["time", "uint64"], ["salt", "bytes32"], ["indication", "uint8"], ["riskWarning", "bool"],
];
const DUTIES: Record<string, [string, string][]> = {
  DEVELOPER: [["VERSION_APPROVED_AT_DECISION", "BIAS_WITHIN_THRESHOLD"], ["POLICY_FIGURES_MET", "BIAS_WITHIN_THRESHOLD"], ["TRAINING_DATA_USABLE", "BIAS_WITHIN_THRESHOLD"],
    ["NO_OPEN_FAIRNESS_ALERT", "BIAS_WITHIN_THRESHOLD"], ["OUTPUT_EXPLAINED", "EXPLAINABILITY"], ["WHITE_PAPER_ON_FILE", "SAFETY_WHITE_PAPER"], ["INSURANCE_COVERS_DECISION", "LIABILITY_INSURANCE"]],
  HOSPITAL: [["WITHIN_APPROVED_INDICATIONS", "WITHIN_INDICATION"], ["TIER_REVIEW_OBEYED", "MANDATORY_REVIEW"], ["DEPLOYED_BEFORE_DECISION", "QUALITY_CONTROL"],
    ["CONSENT_AT_DECISION", "QUALITY_CONTROL"], ["BATCH_WITHOUT_GAP", "COMPLETE_LOGS"], ["RECORD_ANCHORED", "COMPLETE_LOGS"]],
  CLINICIAN: [["CLINICIAN_DECIDED", "FINAL_JUDGEMENT"], ["NO_BLIND_LOW_CONFIDENCE_ADOPTION", "NO_BLIND_LOW_CONFIDENCE_ADOPTION"], ["NO_IGNORED_WARNING", "NO_IGNORED_WARNING"]],
};
const PARTIES = ["DEVELOPER", "HOSPITAL", "CLINICIAN"];
const ZERO = "0x" + "00".repeat(32);
const [APPROVED, DESTROYED, MODEL_TRAINING, REVIEW, TAKEOVER, ACCEPTED, REJECTED, TAKEN_OVER, CORRECT, INCORRECT] = [2, 3, 3, 1, 3, 1, 3, 4, 1, 2];
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function jsonOf(v: unknown, t: ParamType): Json {
  if (t.isTuple()) return Object.fromEntries(t.components.map((c, i) => [c.name, jsonOf((v as Result)[i], c)]));
  if (t.isArray()) return Array.from(v as unknown[]).map((x) => jsonOf(x, t.arrayChildren));
  return typeof v === "bigint" ? v.toString() : v;
}

/** Step 2: each log decodes, from the manifest's contract, to the arguments the pack states; the logs with their decoded arguments. */
function checkLogs(pack: Json, m: Manifest, out: string[]): Json[] {
  return pack.events.map((e: Json, i: number) => {
    const address = (m.addresses as Record<string, string>)[e.contract];
    if (!address || getAddress(e.address) !== getAddress(address)) out.push(`WRONG_CONTRACT: events[${i}]`);
    let decoded: ReturnType<Interface["parseLog"]> = null;
    try { decoded = new Interface(ABI[e.contract] ?? []).parseLog({ topics: e.topics, data: e.data }); } catch { decoded = null; }
    const args = decoded && Object.fromEntries(decoded.fragment.inputs.map((p, k) => [p.name, jsonOf(decoded!.args[k], p)]));
    if (!decoded || decoded.name !== e.event || !same(args, e.args)) out.push(`EVENT_ARGS_MISMATCH: events[${i}]`);
    return { ...e, event: decoded?.name, args: args ?? {} };
  });
}

/** Step 3: the record hashes to the receipt's leaf (OZ standard leaf), and the position-bound proof reaches the batch's root. */
function anchored(receipt: Json, batch: Json): boolean {
  const spec = RECORD.slice(0, receipt.fields.length);
  const values = spec.map(([name]) => receipt.record[name]);
  const leaf = StandardMerkleTree.of([values], spec.map(([, t]) => t)).leafHash(values);
  if (!batch || leaf !== receipt.leaf) return false;
  const [count, position] = [BigInt(batch.args.count), BigInt(receipt.record.seq) - BigInt(batch.args.firstSeq)];
  if (position < 0n || position >= count) return false;
  let node = leaf;
  let k = 0;
  for (let i = count - 1n + position; i > 0n; i = (i - 1n) / 2n) {
    if (k === receipt.proof.length) return false;
    node = i % 2n === 1n ? keccak256(concat([node, receipt.proof[k++]])) : keccak256(concat([receipt.proof[k++], node]));
  }
  const root = keccak256(AbiCoder.defaultAbiCoder().encode(["uint32", "bytes32"], [count, node]));
  const r = receipt.record;
  return k === receipt.proof.length && root === batch.args.root && String(r.hospital) === batch.args.hospital && batch.args.versions.includes(r.modelVersion) &&
    BigInt(r.time) >= BigInt(batch.args.fromTime) && BigInt(r.time) <= BigInt(batch.args.toTime);
}

/** Step 4: each fact's rule, on the record and the logs it cites (a log after the decision proves nothing before it). */
function rule(code: string, r: Json, batchId: string, cited: Json[], receipt: Json): boolean {
  const t = BigInt(r.time);
  const before = cited.filter((e) => BigInt(e.blockTime) <= t);
  const one = (name: string) => before.find((e) => e.event === name);
  const tier = r.confidenceBps >= 9500 ? REVIEW : r.confidenceBps >= 8000 ? 2 : TAKEOVER;
  const format2 = r.indication !== undefined;
  const reg = one("VersionRegistered")?.args.input;
  const filing = one("FilingEvidenceFiled")?.args.filing;
  switch (code) {
    case "VERSION_APPROVED_AT_DECISION": return Number(one("VersionStatusChanged")?.args.status) === APPROVED;
    case "POLICY_FIGURES_MET": {
      const [a, p] = [one("VersionApproved")?.args, one("PolicySet")?.args];
      if (!reg || !a || !p || a.riskClass !== p.riskClass) return false;
      const [e, q] = [reg.evaluation, p.policy];
      return +e.auc >= +q.minAuc && +e.subgroupAucGap <= +q.maxSubgroupAucGap && +e.biasTestCases >= +q.minBiasTestCases && +e.grassrootsShare >= +q.minGrassrootsShare;
    }
    case "TRAINING_DATA_USABLE": return !!reg && reg.trainingDatasets.every((id: string) => {
      const mine = before.filter((e) => e.args.datasetId === id);
      const registered = mine.find((e) => e.event === "DatasetRegistered");
      return !!registered && ((BigInt(registered.args.registration.allowedPurposes) >> BigInt(MODEL_TRAINING)) & 1n) === 1n &&
        !mine.some((e) => (e.event === "DatasetStatusChanged" && +e.args.status === DESTROYED) || (e.event === "DatasetSuspensionChanged" && e.args.suspended));
    });
    case "NO_OPEN_FAIRNESS_ALERT": {
      const latest = new Map(before.filter((e) => e.event === "PerformanceReported").map((e) => [e.args.hospital, e.args.reportId]));
      return ![...latest.values()].some((id) => before.some((e) => e.event === "FairnessAlert" && e.args.reportId === id));
    }
    case "OUTPUT_EXPLAINED": return !!reg && reg.modelCardHash !== ZERO && format2;
    case "WHITE_PAPER_ON_FILE": return !!filing && filing.whitePaperHash !== ZERO;
    case "INSURANCE_COVERS_DECISION": return !!filing && filing.insurance.policyHash !== ZERO && filing.insurance.insurerHash !== ZERO &&
      BigInt(filing.insurance.coverageStart) <= t && t <= BigInt(filing.insurance.coverageEnd);
    case "WITHIN_APPROVED_INDICATIONS": return format2 && ((BigInt(one("VersionApproved")?.args.indications ?? 0) >> BigInt(r.indication)) & 1n) === 1n;
    case "TIER_REVIEW_OBEYED": return r.tier === tier && !(tier === TAKEOVER && r.action === ACCEPTED);
    case "DEPLOYED_BEFORE_DECISION": return one("DeploymentRecorded")?.args.hospital === String(r.hospital);
    case "CONSENT_AT_DECISION": return before.some((g) => g.event === "ConsentGranted" && BigInt(g.args.expiresAt) > t && g.args.subject.toLowerCase() === r.subject.toLowerCase() &&
      !before.some((x) => x.event === "ConsentRevoked" && x.args.grantee === g.args.grantee && (x.blockNumber > g.blockNumber || (x.blockNumber === g.blockNumber && x.logIndex > g.logIndex))));
    case "BATCH_WITHOUT_GAP": {
      const self = cited.find((e) => e.event === "BatchAnchored" && e.args.batchId === batchId);
      const prev = cited.find((e) => e.event === "BatchAnchored" && e.args.batchId !== batchId);
      return !!self && (self.args.firstSeq === "0" || (!!prev && prev.args.hospital === self.args.hospital && BigInt(prev.args.firstSeq) + BigInt(prev.args.count) === BigInt(self.args.firstSeq)));
    }
    case "RECORD_ANCHORED": return anchored(receipt, cited.find((e) => e.event === "BatchAnchored" && e.args.batchId === batchId));
    case "CLINICIAN_DECIDED": return r.action !== 0 && r.clinicianHash !== ZERO && r.finalDecisionHash !== ZERO && !(tier === TAKEOVER && r.action === ACCEPTED);
    case "NO_BLIND_LOW_CONFIDENCE_ADOPTION": return !(tier !== REVIEW && r.action === ACCEPTED);
    case "NO_IGNORED_WARNING": return format2 && !(r.riskWarning && r.action === ACCEPTED);
  }
  return false;
}

/** Largest-remainder split of 10,000 bps in proportion to `weights` (all zero: equal). */
function apportion(weights: number[]): number[] {
  const w = weights.some((x) => x > 0) ? weights : weights.map(() => 1);
  const sum = w.reduce((a, b) => a + b, 0);
  const exact = w.map((x) => (x * 10_000) / sum);
  const out = exact.map(Math.floor);
  let left = 10_000 - out.reduce((a, b) => a + b, 0);
  for (const [, i] of exact.map((x, i) => [x - Math.floor(x), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1])) if (left-- > 0) out[i]++;
  return out;
}

/** Step 5: duties from facts; the case from the finding and the action; the proposal from the duties and the cited weighting. */
function checkOutcome(pack: Json, events: Json[], met: Record<string, boolean>, out: string[]): void {
  const parties = Object.fromEntries(PARTIES.map((p) => {
    const duties: Record<string, { met: boolean; facts: string[] }> = {};
    for (const [code, duty] of DUTIES[p]) (duties[duty] ??= { met: true, facts: [] }).facts.push(code);
    for (const d of Object.values(duties)) d.met = d.facts.every((c) => met[c]);
    return [p, { duties, allMet: Object.values(duties).every((d) => d.met) }];
  }));
  if (!same(parties, pack.parties)) out.push("DUTY_MISMATCH: parties");
  const [reported, finding] = pack.incident.events.map((k: number) => events[k]);
  const r = pack.receipt.record;
  if (reported?.event !== "IncidentReported" || reported.args.incidentId !== String(pack.incident.id) || reported.args.report.batchId !== pack.receipt.batchId || reported.args.report.seq !== r.seq) out.push("INCIDENT_RECORD_MISMATCH: incident.events");
  const f = finding?.event === "FindingRecorded" ? +finding.args.finding : 0;
  const c = f === INCORRECT && r.action === ACCEPTED ? "ADOPTED_WRONG" : f === CORRECT && (r.action === REJECTED || r.action === TAKEN_OVER) ? "REJECTED_CORRECT" : "NONE";
  const w = pack.weighting && events[pack.weighting.event];
  let proposal: Json = null;
  if (c !== "NONE" && w?.event === "WeightingSet" && +w.args.liabilityCase === (c === "ADOPTED_WRONG" ? 1 : 2)) {
    const weights = [+w.args.shares.developer, +w.args.shares.hospital, +w.args.shares.clinician];
    const cleared = PARTIES.filter((p) => parties[p].allMet);
    const atFault = cleared.length === 3 ? PARTIES : PARTIES.filter((p) => !cleared.includes(p));
    const parts = apportion(atFault.map((p) => weights[PARTIES.indexOf(p)]));
    proposal = Object.fromEntries(PARTIES.map((p) => [p, atFault.includes(p) ? parts[atFault.indexOf(p)] : 0]));
  }
  if (c !== pack.liabilityCase || !same(proposal, pack.proposal?.shares ?? null)) out.push("PROPOSAL_MISMATCH: proposal");
  const d = pack.determination && events[pack.determination.event];
  if (pack.determination && (d?.event !== "DeterminationRecorded" || d.args.incidentId !== String(pack.incident.id) || d.args.rulingHash !== pack.determination.rulingHash ||
    !same([d.args.shares.developer, d.args.shares.hospital, d.args.shares.clinician].map(Number), [pack.determination.shares.DEVELOPER, pack.determination.shares.HOSPITAL, pack.determination.shares.CLINICIAN]))) out.push("DETERMINATION_MISMATCH: determination");
}

/** Verifies a pack from the document alone, then (given `provider`) that every log is on the chain where the pack says. */
export async function verifyPack(pack: Json, manifest: Manifest, provider?: Pick<Provider, "getTransactionReceipt" | "getBlock">): Promise<Verdict> {
  const out: string[] = [];
  if (pack?.format !== "medprov-evidence-pack/1" || !Array.isArray(pack.events) || !Array.isArray(pack.facts) || !pack.receipt?.record) return { valid: false, reasons: ["PACK_MALFORMED: format"] };
  if (pack.chainId !== manifest.chainId || pack.receipt.chainId !== manifest.chainId) out.push("WRONG_CHAIN: chainId");
  const events = checkLogs(pack, manifest, out);
  const met: Record<string, boolean> = {};
  const expected = PARTIES.flatMap((p) => DUTIES[p].map(([code, duty]) => [code, p, duty]));
  expected.forEach(([code, party, duty], i) => {
    const f = pack.facts[i];
    met[code] = rule(code, pack.receipt.record, pack.receipt.batchId, (f?.proof.events ?? []).map((k: number) => events[k]).filter(Boolean), pack.receipt);
    if (f?.code !== code || f.party !== party || f.duty !== duty || f.met !== met[code]) out.push(`FACT_MISMATCH: ${code}`);
  });
  checkOutcome(pack, events, met, out);
  for (const [i, e] of (provider ? pack.events : []).entries()) {
    const tx = await provider!.getTransactionReceipt(e.txHash);
    const log = tx?.logs.find((l) => l.index === e.logIndex);
    const block = tx && (await provider!.getBlock(e.blockNumber));
    if (!log || log.data !== e.data || !same([...log.topics], e.topics) || log.blockHash !== e.blockHash || block?.timestamp !== e.blockTime) out.push(`EVENT_NOT_ON_CHAIN: events[${i}]`);
  }
  return { valid: out.length === 0, reasons: out };
}
