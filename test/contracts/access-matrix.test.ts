/**
 * Every membership-gated write × every wrong caller: a non-member, a member of the wrong role,
 * a suspended member of the right role, and a revoked key of the right role. Each must revert
 * with its named error — and an auditor can write nothing at all.
 */
import { describe, it } from "vitest";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { expectRevert } from "../helpers/revert";
import { batch, h, modelWithVersion, registration, versionInput, INDICATIONS } from "../helpers/builders";
import { MemberStatus, Purpose, Role, RiskClass } from "../../src/constants";
import { readDomain, signGrant } from "../../src/sdk/consent-signing";

async function matrixFixture() {
  const l = await ledgerFixture();
  const [devSuspended, regSuspended, devRevoked, regRevoked] = l.spare;
  const c = l.consortium;
  const enc = <F extends "admitMember" | "addKey" | "suspendMember">(fn: F, args: unknown[]) => ({ target: c, data: c.interface.encodeFunctionData(fn as "addKey", args as [number, string]) });
  await l.govern(
    enc("admitMember", ["Developer Suspended", Role.MODEL_DEVELOPER, [devSuspended.address]]), // org 8
    enc("admitMember", ["Regulator Suspended", Role.REGULATOR, [regSuspended.address]]), // org 9
    enc("addKey", [ORG.DEVELOPER, devRevoked.address]),
    enc("addKey", [ORG.REGULATOR, regRevoked.address]),
    enc("suspendMember", [8]),
    enc("suspendMember", [9]),
  );
  await (await c.connect(l.developer).revokeKey(devRevoked.address)).wait();
  await (await c.connect(l.regulator).revokeKey(regRevoked.address)).wait();
  const { datasetId, modelId, versionId } = await modelWithVersion(l, { approve: true });
  const submitted = (await modelWithVersion(l)).versionId;
  await (await l.models.connect(l.hospitalA).recordDeployment(versionId)).wait();
  const domain = await readDomain(l.consents);
  const grant = { subject: l.patient.address, signer: l.patient.address, purpose: Purpose.RESEARCH, grantee: ORG.HOSPITAL_A, expiresAt: BigInt(await time.latest()) + 86400n, signedAt: BigInt(await time.latest()), deadline: BigInt(await time.latest()) + 3600n };
  const grantSig = await signGrant(l.patient, domain, grant);
  const cast = {
    [Role.HOSPITAL]: { suspended: [l.suspendedHospital, ORG.HOSPITAL_SUSPENDED], revoked: [l.hospitalAOld, ORG.HOSPITAL_A] },
    [Role.MODEL_DEVELOPER]: { suspended: [devSuspended, 8], revoked: [devRevoked, ORG.DEVELOPER] },
    [Role.REGULATOR]: { suspended: [regSuspended, 9], revoked: [regRevoked, ORG.REGULATOR] },
  } as Record<number, { suspended: [HardhatEthersSigner, number]; revoked: [HardhatEthersSigner, number] }>;
  return { ...l, datasetId, modelId, versionId, submitted, grant, grantSig, cast };
}
type M = Awaited<ReturnType<typeof matrixFixture>>;

interface Write {
  name: string;
  role: number;
  call(m: M, who: HardhatEthersSigner): Promise<unknown>;
}

const WRITES: Write[] = [
  { name: "ConsentRegistry.grantConsentBySig", role: Role.HOSPITAL, call: (m, w) => m.consents.connect(w).grantConsentBySig(m.grant, m.grantSig) },
  { name: "DatasetRegistry.registerDataset", role: Role.HOSPITAL, call: (m, w) => m.datasets.connect(w).registerDataset(registration()) },
  { name: "DatasetRegistry.recordUse", role: Role.HOSPITAL, call: (m, w) => m.datasets.connect(w).recordUse(m.datasetId, Purpose.RESEARCH) },
  { name: "DatasetRegistry.retireDataset", role: Role.HOSPITAL, call: (m, w) => m.datasets.connect(w).retireDataset(m.datasetId) },
  { name: "DatasetRegistry.destroyDataset", role: Role.HOSPITAL, call: (m, w) => m.datasets.connect(w).destroyDataset(m.datasetId, h()) },
  { name: "DatasetRegistry.setSuspended", role: Role.REGULATOR, call: (m, w) => m.datasets.connect(w).setSuspended(m.datasetId, true) },
  { name: "ModelRegistry.registerModel", role: Role.MODEL_DEVELOPER, call: (m, w) => m.models.connect(w).registerModel("new", "triage", RiskClass.LOW) },
  { name: "ModelRegistry.registerVersion", role: Role.MODEL_DEVELOPER, call: (m, w) => m.models.connect(w).registerVersion(m.modelId, versionInput([m.datasetId])) },
  { name: "ModelRegistry.retireVersion", role: Role.MODEL_DEVELOPER, call: (m, w) => m.models.connect(w).retireVersion(m.versionId, h()) },
  { name: "ModelRegistry.approveVersion", role: Role.REGULATOR, call: (m, w) => m.models.connect(w).approveVersion(m.submitted, "CODE", RiskClass.HIGH, INDICATIONS) },
  { name: "ModelRegistry.suspendVersion", role: Role.REGULATOR, call: (m, w) => m.models.connect(w).suspendVersion(m.versionId, h()) },
  { name: "ModelRegistry.reinstateVersion", role: Role.REGULATOR, call: (m, w) => m.models.connect(w).reinstateVersion(m.versionId, h()) },
  { name: "ModelRegistry.recallVersion", role: Role.REGULATOR, call: (m, w) => m.models.connect(w).recallVersion(m.versionId, h()) },
  { name: "ModelRegistry.recordDeployment", role: Role.HOSPITAL, call: (m, w) => m.models.connect(w).recordDeployment(m.versionId) },
  {
    name: "ModelRegistry.fileReport", role: Role.HOSPITAL,
    call: async (m, w) => m.models.connect(w).fileReport(m.versionId, { periodStart: 0, periodEnd: 1, cases: 1, auc: 9000, subgroups: [], reportHash: h() }),
  },
  { name: "TraceAnchor.anchorBatch", role: Role.HOSPITAL, call: async (m, w) => m.traces.connect(w).anchorBatch(await batch(0, [m.versionId])) },
];

/** A member key whose role is not `role` (the auditor, or a hospital when an auditor is excluded). */
const wrongRole = (m: M, role: number): [HardhatEthersSigner, number, number] =>
  role === Role.HOSPITAL ? [m.developer, ORG.DEVELOPER, Role.MODEL_DEVELOPER] : [m.hospitalB, ORG.HOSPITAL_B, Role.HOSPITAL];

describe("access matrix: every gated write × every wrong caller", () => {
  for (const w of WRITES) {
    describe(w.name, () => {
      it("non-member → ConsortiumUnknownKey", async () => {
        const m = await loadFixture(matrixFixture);
        await expectRevert(w.call(m, m.outsider), "ConsortiumUnknownKey", [m.outsider.address]);
      });
      it("wrong role → named refusal", async () => {
        const m = await loadFixture(matrixFixture);
        if (w.name === "DatasetRegistry.recordUse") {
          await expectRevert(w.call(m, m.regulator), "DatasetRegistryRoleCannotUse", [ORG.REGULATOR, Role.REGULATOR]);
          return;
        }
        const [who, org, role] = wrongRole(m, w.role);
        await expectRevert(w.call(m, who), "ConsortiumWrongRole", [org, role, w.role]);
      });
      it("auditor → refused: auditors write nothing", async () => {
        const m = await loadFixture(matrixFixture);
        const expected = w.name === "DatasetRegistry.recordUse" ? "DatasetRegistryRoleCannotUse" : "ConsortiumWrongRole";
        await expectRevert(w.call(m, m.auditor), expected);
      });
      it("suspended member → ConsortiumMemberNotActive", async () => {
        const m = await loadFixture(matrixFixture);
        const [who, org] = m.cast[w.role].suspended;
        await expectRevert(w.call(m, who), "ConsortiumMemberNotActive", [org, MemberStatus.SUSPENDED]);
      });
      it("revoked key → ConsortiumKeyRevoked", async () => {
        const m = await loadFixture(matrixFixture);
        const [who, org] = m.cast[w.role].revoked;
        await expectRevert(w.call(m, who), "ConsortiumKeyRevoked", [who.address, org]);
      });
    });
  }

  describe("governance-only functions refuse every member, even a regulator", () => {
    const calls: [string, (l: Ledger, who: HardhatEthersSigner) => Promise<unknown>][] = [
      ["Consortium.admitMember", (l, w) => l.consortium.connect(w).admitMember("X", Role.AUDITOR, [l.outsider.address])],
      ["Consortium.removeMember", (l, w) => l.consortium.connect(w).removeMember(ORG.HOSPITAL_B)],
      ["Consortium.reinstateMember", (l, w) => l.consortium.connect(w).reinstateMember(ORG.HOSPITAL_SUSPENDED)],
      ["Consortium.addKey", (l, w) => l.consortium.connect(w).addKey(ORG.HOSPITAL_B, l.outsider.address)],
      ["ConsentRegistry.addPurpose", (l, w) => l.consents.connect(w).addPurpose("PUBLIC_HEALTH")],
      ["ModelRegistry.setPolicy", (l, w) => l.models.connect(w).setPolicy(RiskClass.HIGH, { minAuc: 0, maxSubgroupAucGap: 10000, minBiasTestCases: 0, minGrassrootsShare: 0, requiresWhitePaper: false, requiresInsurance: false })],
    ];
    for (const [name, call] of calls) {
      it(name, async () => {
        const l = await loadFixture(ledgerFixture);
        for (const who of [l.regulator, l.hospitalA, l.developer, l.auditor, l.outsider, l.deployer]) {
          await expectRevert(call(l, who), "AccessManagedUnauthorized", [who.address]);
        }
      });
    }
  });
});
