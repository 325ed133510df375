/**
 * A seeded random workload over every contract, for indexer tests. Calls the ledger refuses are
 * simply skipped: the workload only needs variety, not success.
 */
import { encodeBytes32String } from "ethers";
import { time, mine } from "@nomicfoundation/hardhat-network-helpers";
import type { Ledger } from "./fixture";
import { ORG } from "./fixture";
import { batch, h, passingEvaluation, registration, versionInput, INDICATIONS } from "./builders";
import { RiskClass } from "../../src/constants";

export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}

export interface WorkloadState {
  datasets: string[];
  models: string[];
  versions: string[];
  approved: string[];
  /** Versions each hospital recorded as deployed (the trace anchor takes only those). */
  deployed: Record<number, string[]>;
  seq: Record<number, bigint>;
}

export const newState = (): WorkloadState => ({ datasets: [], models: [], versions: [], approved: [], deployed: { [ORG.HOSPITAL_A]: [], [ORG.HOSPITAL_B]: [] }, seq: { [ORG.HOSPITAL_A]: 0n, [ORG.HOSPITAL_B]: 0n } });

async function attempt(f: () => Promise<{ wait(): Promise<unknown> }>): Promise<boolean> {
  try {
    await (await f()).wait();
    return true;
  } catch {
    return false;
  }
}

export async function runWorkload(l: Ledger, seed: number, steps: number, s: WorkloadState = newState()): Promise<WorkloadState> {
  const r = prng(seed);
  const patients = [l.patient, l.patient2, ...l.spare.slice(0, 4)];
  const hospitals = [[l.hospitalA, ORG.HOSPITAL_A], [l.hospitalB, ORG.HOSPITAL_B]] as const;
  for (let i = 0; i < steps; i++) {
    const now = await time.latest();
    const op = r.int(12);
    if (op <= 2) {
      const p = r.pick(patients);
      await attempt(() => l.consents.connect(p).grantConsent(p.address, r.int(6), r.pick([0, 1, 2]), now + 20 + r.int(400)));
    } else if (op === 3) {
      const p = r.pick(patients);
      await attempt(() => l.consents.connect(p).revokeConsent(p.address, r.int(6), r.pick([0, 1, 2])));
    } else if (op === 4) {
      const p = r.pick(patients);
      const d = r.pick([l.guardian, l.outsider]);
      await attempt(() => (r.int(2) ? l.consents.connect(p).appointDelegate(d.address) : l.consents.connect(p).removeDelegate(d.address)));
    } else if (op === 5) {
      const [who] = r.pick(hospitals);
      const reg = registration({ parents: s.datasets.length && r.int(2) ? [r.pick(s.datasets)] : [] });
      const id = await l.datasets.connect(who).registerDataset.staticCall(reg).catch(() => undefined);
      if (id && (await attempt(() => l.datasets.connect(who).registerDataset(reg)))) s.datasets.push(id);
    } else if (op === 6 && s.datasets.length) {
      await attempt(() => l.datasets.connect(r.pick([l.hospitalA, l.developer])).recordUse(r.pick(s.datasets), r.int(6)));
    } else if (op === 7 && s.datasets.length) {
      if (!s.models.length || r.int(3) === 0) {
        const name = `m-${seed}-${i}`;
        const id = await l.models.modelIdOf(ORG.DEVELOPER, name);
        if (await attempt(() => l.models.connect(l.developer).registerModel(name, "diagnosis", r.pick([RiskClass.HIGH, RiskClass.LOW])))) s.models.push(id);
      } else {
        const modelId = r.pick(s.models);
        const input = versionInput([r.pick(s.datasets)], { evaluation: passingEvaluation({ auc: r.pick([8500, 9300]) }) });
        const id = await l.models.versionIdOf(modelId, input.weightsHash);
        if (await attempt(() => l.models.connect(l.developer).registerVersion(modelId, input))) s.versions.push(id);
      }
    } else if (op === 8 && s.versions.length) {
      const v = r.pick(s.versions);
      const ok = await attempt(() => [
        async () => l.models.connect(l.regulator).approveVersion(v, `F-${seed}-${i}`, (await l.models.model((await l.models.version(v)).modelId)).riskClass, INDICATIONS),
        () => l.models.connect(l.regulator).suspendVersion(v, h()),
        () => l.models.connect(l.regulator).reinstateVersion(v, h()),
        () => l.models.connect(l.regulator).recallVersion(v, h()),
      ][r.int(4)]());
      if (ok && (await l.models.versionStatus(v)) === 2n && !s.approved.includes(v)) s.approved.push(v);
    } else if (op === 9 && s.approved.length) {
      const v = r.pick(s.approved);
      const [who, orgId] = r.pick(hospitals);
      if (await attempt(() => l.models.connect(who).recordDeployment(v))) s.deployed[orgId].push(v);
      await attempt(() => l.models.connect(who).fileReport(v, { periodStart: i, periodEnd: now, cases: 100, auc: 9000, subgroups: [{ subgroup: encodeBytes32String("sex:F"), auc: 9000, cases: 50 }, { subgroup: encodeBytes32String("sex:M"), auc: 9000 - r.int(900), cases: 50 }], reportHash: h() }));
    } else if (op === 10 && s.approved.length) {
      const [who, orgId] = r.pick(hospitals);
      const count = 1 + r.int(50);
      // Mostly a version this hospital deployed (the anchor refuses others); now and then any approved one, refused.
      const deployed = s.deployed[orgId];
      const v = deployed.length && r.int(4) !== 0 ? r.pick(deployed) : r.pick(s.approved);
      if (await attempt(async () => l.traces.connect(who).anchorBatch(await batch(s.seq[orgId], [v], { count })))) s.seq[orgId] += BigInt(count);
    } else {
      await time.increase(1 + r.int(60));
      if (r.int(4) === 0) await mine(1 + r.int(3));
    }
  }
  return s;
}
