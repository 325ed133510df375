import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Signature, Wallet, type TypedDataDomain } from "ethers";
import { ledgerFixture, ORG, type Ledger } from "./helpers/fixture";
import { expectRevert, eventsOf } from "./helpers/revert";
import { MemberStatus, NUMBERS, Purpose, Role } from "../src/constants";
import { consentId } from "../src/sdk/ids";
import { grantDigest, readDomain, revokeDigest, signGrant, signRevoke, type GrantRequest, type RevokeRequest } from "../src/sdk/consent-signing";
import { MockERC1271Wallet__factory } from "../typechain-types";

const P = Purpose.MODEL_TRAINING;
const DAY = 86_400;

async function future(seconds = 30 * DAY) {
  return BigInt((await time.latest()) + seconds);
}

async function grantRequest(l: Ledger, overrides: Partial<GrantRequest> = {}): Promise<GrantRequest> {
  const subject = (overrides.subject as string) ?? l.patient.address;
  const purpose = Number(overrides.purpose ?? P);
  const grantee = Number(overrides.grantee ?? ORG.HOSPITAL_A);
  const current = await l.consents.consent(subject, purpose, grantee);
  return { subject, signer: subject, purpose, grantee, expiresAt: await future(), nonce: current.nonce, deadline: await future(3600), ...overrides };
}

async function revokeRequest(l: Ledger, overrides: Partial<RevokeRequest> = {}): Promise<RevokeRequest> {
  const subject = (overrides.subject as string) ?? l.patient.address;
  const purpose = Number(overrides.purpose ?? P);
  const grantee = Number(overrides.grantee ?? ORG.HOSPITAL_A);
  const current = await l.consents.consent(subject, purpose, grantee);
  return { subject, signer: subject, purpose, grantee, nonce: current.nonce, deadline: await future(3600), ...overrides };
}

describe("ConsentRegistry", () => {
  describe("catalogue", () => {
    it("starts with the default purposes, in spec order", async () => {
      const l = await loadFixture(ledgerFixture);
      expect(await l.consents.purposeCount()).toBe(6n);
      expect(await l.consents.purposeMask()).toBe(0b111111n);
      const added = await l.consents.queryFilter(l.consents.filters.PurposeAdded(), 0);
      expect(added.map((e) => e.args.name)).toEqual(["TREATMENT", "CLINICAL_DECISION_SUPPORT", "RESEARCH", "MODEL_TRAINING", "COMMERCIAL_USE", "CROSS_BORDER_TRANSFER"]);
    });

    it("grows only through governance, refuses duplicates, and stops at MAX_PURPOSES", async () => {
      const l = await loadFixture(ledgerFixture);
      await expectRevert(l.consents.connect(l.regulator).addPurpose("PUBLIC_HEALTH"), "AccessManagedUnauthorized");
      const add = (name: string) => ({ target: l.consents, data: l.consents.interface.encodeFunctionData("addPurpose", [name]) });
      await expectRevert(l.govern(add("RESEARCH")), "ConsentRegistryInvalidPurposeName", ["RESEARCH"]);
      await expectRevert(l.govern(add("")), "ConsentRegistryInvalidPurposeName", [""]);
      await l.govern(...Array.from({ length: NUMBERS.MAX_PURPOSES - 6 }, (_, i) => add(`EXTRA_${i}`)));
      expect(await l.consents.purposeCount()).toBe(64n);
      expect(await l.consents.purposeMask()).toBe((1n << 64n) - 1n);
      await expectRevert(l.govern(add("ONE_TOO_MANY")), "ConsentRegistryCatalogueFull", [64]);
    });
  });

  describe("grantConsent / revokeConsent (direct)", () => {
    it("grants, reports validity, and revokes in the block that records it", async () => {
      const l = await loadFixture(ledgerFixture);
      const expiresAt = await future();
      const ev = await eventsOf(l.consents.connect(l.patient).grantConsent(l.patient.address, P, ORG.HOSPITAL_A, expiresAt), l.consents);
      expect(ev).toEqual([{ name: "ConsentGranted", args: [l.patient.address, BigInt(P), BigInt(ORG.HOSPITAL_A), expiresAt, l.patient.address, l.patient.address, 1n] }]);
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_A)).toBe(true);
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_B)).toBe(false);
      expect(await l.consents.isConsentValid(l.patient.address, Purpose.RESEARCH, ORG.HOSPITAL_A)).toBe(false);
      const rev = await eventsOf(l.consents.connect(l.patient).revokeConsent(l.patient.address, P, ORG.HOSPITAL_A), l.consents);
      expect(rev[0].name).toBe("ConsentRevoked");
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_A)).toBe(false);
      const c = await l.consents.consent(l.patient.address, P, ORG.HOSPITAL_A);
      expect(c.revokedAt).toBe(BigInt(await time.latest()));
      expect(c.nonce).toBe(2n);
    });

    it("lapses at expiry", async () => {
      const l = await loadFixture(ledgerFixture);
      const expiresAt = await future(100);
      await (await l.consents.connect(l.patient).grantConsent(l.patient.address, P, ORG.HOSPITAL_A, expiresAt)).wait();
      await time.increaseTo(expiresAt - 1n);
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_A)).toBe(true);
      await time.increaseTo(expiresAt);
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_A)).toBe(false);
    });

    it("a grant to any member covers every admitted organisation, not an unknown id", async () => {
      const l = await loadFixture(ledgerFixture);
      await (await l.consents.connect(l.patient).grantConsent(l.patient.address, P, NUMBERS.ANY_MEMBER, await future())).wait();
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_B)).toBe(true);
      expect(await l.consents.isConsentValid(l.patient.address, P, 999)).toBe(false);
    });

    it("refuses unknown purposes, past expiries, unknown grantees and strangers", async () => {
      const l = await loadFixture(ledgerFixture);
      const t = await future();
      const now = BigInt(await time.latest());
      await expectRevert(l.consents.connect(l.patient).grantConsent(l.patient.address, 6, 1, t), "ConsentRegistryUnknownPurpose", [6]);
      await expectRevert(l.consents.connect(l.patient).grantConsent(l.patient.address, 200, 1, t), "ConsentRegistryUnknownPurpose", [200]);
      await expectRevert(l.consents.connect(l.patient).grantConsent(l.patient.address, P, 1, now), "ConsentRegistryInvalidExpiry");
      await expectRevert(l.consents.connect(l.patient).grantConsent(l.patient.address, P, 99, t), "ConsentRegistryUnknownGrantee", [99]);
      for (const stranger of [l.patient2, l.hospitalA, l.regulator, l.governance]) {
        await expectRevert(l.consents.connect(stranger).grantConsent(l.patient.address, P, 1, t), "ConsentRegistryNotSubjectOrDelegate", [l.patient.address, stranger.address]);
      }
      await (await l.consents.connect(l.patient).grantConsent(l.patient.address, P, 1, t)).wait();
      for (const stranger of [l.patient2, l.hospitalA, l.regulator, l.governance]) {
        await expectRevert(l.consents.connect(stranger).revokeConsent(l.patient.address, P, 1), "ConsentRegistryNotSubjectOrDelegate", [l.patient.address, stranger.address]);
      }
    });

    it("refuses to revoke what is not granted, or already revoked", async () => {
      const l = await loadFixture(ledgerFixture);
      await expectRevert(l.consents.connect(l.patient).revokeConsent(l.patient.address, P, 1), "ConsentRegistryNotGranted", [l.patient.address, P, 1]);
      await (await l.consents.connect(l.patient).grantConsent(l.patient.address, P, 1, await future())).wait();
      await (await l.consents.connect(l.patient).revokeConsent(l.patient.address, P, 1)).wait();
      await expectRevert(l.consents.connect(l.patient).revokeConsent(l.patient.address, P, 1), "ConsentRegistryNotGranted");
    });
  });

  describe("delegates", () => {
    it("a guardian grants and revokes for the subject until removed", async () => {
      const l = await loadFixture(ledgerFixture);
      const ev = await eventsOf(l.consents.connect(l.patient).appointDelegate(l.guardian.address), l.consents);
      expect(ev).toEqual([{ name: "DelegateAppointed", args: [l.patient.address, l.guardian.address] }]);
      await (await l.consents.connect(l.guardian).grantConsent(l.patient.address, P, 1, await future())).wait();
      const granted = await l.consents.queryFilter(l.consents.filters.ConsentGranted(l.patient.address));
      expect(granted.at(-1)!.args.actor).toBe(l.guardian.address);
      await (await l.consents.connect(l.guardian).revokeConsent(l.patient.address, P, 1)).wait();
      await (await l.consents.connect(l.patient).removeDelegate(l.guardian.address)).wait();
      expect(await l.consents.isDelegate(l.patient.address, l.guardian.address)).toBe(false);
      await expectRevert(l.consents.connect(l.guardian).grantConsent(l.patient.address, P, 1, await future()), "ConsentRegistryNotSubjectOrDelegate");
    });

    it("refuses self, zero and unknown delegates", async () => {
      const l = await loadFixture(ledgerFixture);
      await expectRevert(l.consents.connect(l.patient).appointDelegate(l.patient.address), "ConsentRegistryInvalidDelegate", [l.patient.address]);
      await expectRevert(l.consents.connect(l.patient).appointDelegate(hre.ethers.ZeroAddress), "ConsentRegistryInvalidDelegate");
      await expectRevert(l.consents.connect(l.patient).removeDelegate(l.guardian.address), "ConsentRegistryUnknownDelegate", [l.patient.address, l.guardian.address]);
    });
  });

  describe("EIP-712", () => {
    let domain: TypedDataDomain;
    const setup = async () => {
      const l = await loadFixture(ledgerFixture);
      domain = await readDomain(l.consents);
      return l;
    };

    it("the SDK's digests equal the contract's", async () => {
      const l = await setup();
      const g = await grantRequest(l);
      const r = await revokeRequest(l);
      expect(grantDigest(domain, g)).toBe(await l.consents.grantDigest(g));
      expect(revokeDigest(domain, r)).toBe(await l.consents.revokeDigest(r));
    });

    it("accepts a valid grant relayed by a hospital and a revocation relayed by anyone", async () => {
      const l = await setup();
      const g = await grantRequest(l);
      const ev = await eventsOf(l.consents.connect(l.hospitalA).grantConsentBySig(g, await signGrant(l.patient, domain, g)), l.consents);
      expect(ev).toEqual([{ name: "ConsentGranted", args: [l.patient.address, BigInt(P), BigInt(ORG.HOSPITAL_A), g.expiresAt, l.patient.address, l.hospitalA.address, 1n] }]);
      const r = await revokeRequest(l);
      await (await l.consents.connect(l.outsider).revokeConsentBySig(r, await signRevoke(l.patient, domain, r))).wait();
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_A)).toBe(false);
    });

    it("a revocation relayed by a suspended hospital, a non-member or a revoked key still takes effect", async () => {
      const l = await setup();
      for (const relayer of [l.suspendedHospital, l.outsider, l.hospitalAOld]) {
        const g = await grantRequest(l);
        await (await l.consents.connect(l.hospitalA).grantConsentBySig(g, await signGrant(l.patient, domain, g))).wait();
        const r = await revokeRequest(l);
        await (await l.consents.connect(relayer).revokeConsentBySig(r, await signRevoke(l.patient, domain, r))).wait();
        expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_A)).toBe(false);
      }
      expect((await l.consortium.member(ORG.HOSPITAL_SUSPENDED))[1]).toBe(BigInt(MemberStatus.SUSPENDED));
    });

    it("only an active hospital key relays grants", async () => {
      const l = await setup();
      const g = await grantRequest(l);
      const sig = await signGrant(l.patient, domain, g);
      await expectRevert(l.consents.connect(l.outsider).grantConsentBySig(g, sig), "ConsortiumUnknownKey", [l.outsider.address]);
      await expectRevert(l.consents.connect(l.developer).grantConsentBySig(g, sig), "ConsortiumWrongRole", [ORG.DEVELOPER, Role.MODEL_DEVELOPER, Role.HOSPITAL]);
      await expectRevert(l.consents.connect(l.suspendedHospital).grantConsentBySig(g, sig), "ConsortiumMemberNotActive", [ORG.HOSPITAL_SUSPENDED, MemberStatus.SUSPENDED]);
      await expectRevert(l.consents.connect(l.hospitalAOld).grantConsentBySig(g, sig), "ConsortiumKeyRevoked", [l.hospitalAOld.address, ORG.HOSPITAL_A]);
    });

    it("rejects a reused nonce and an expired deadline", async () => {
      const l = await setup();
      const g = await grantRequest(l);
      const sig = await signGrant(l.patient, domain, g);
      await (await l.consents.connect(l.hospitalA).grantConsentBySig(g, sig)).wait();
      const id = consentId(l.patient.address, P, ORG.HOSPITAL_A);
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(g, sig), "ConsentRegistryInvalidNonce", [id, 1n, 0n]);
      const late = await grantRequest(l, { deadline: BigInt(await time.latest()) + 10n });
      const lateSig = await signGrant(l.patient, domain, late);
      await time.increase(60);
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(late, lateSig), "ConsentRegistryExpiredSignature");
    });

    it("a direct revocation voids a signed grant not yet relayed", async () => {
      const l = await setup();
      await (await l.consents.connect(l.patient).grantConsent(l.patient.address, P, ORG.HOSPITAL_A, await future())).wait();
      const pending = await grantRequest(l);
      const sig = await signGrant(l.patient, domain, pending);
      await (await l.consents.connect(l.patient).revokeConsent(l.patient.address, P, ORG.HOSPITAL_A)).wait();
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(pending, sig), "ConsentRegistryInvalidNonce");
    });

    it("rejects another chain id, another contract, a wrong signer and a relayer naming itself as signer", async () => {
      const l = await setup();
      const g = await grantRequest(l);
      const relay = (sig: string, req = g) => l.consents.connect(l.hospitalA).grantConsentBySig(req, sig);
      await expectRevert(relay(await signGrant(l.patient, { ...domain, chainId: 1n }, g)), "ConsentRegistryInvalidSignature", [l.patient.address]);
      await expectRevert(relay(await signGrant(l.patient, { ...domain, verifyingContract: await l.datasets.getAddress() }, g)), "ConsentRegistryInvalidSignature");
      await expectRevert(relay(await signGrant(l.patient2, domain, g)), "ConsentRegistryInvalidSignature", [l.patient.address]);
      // The relayer claims to be the signer: it is neither subject nor delegate.
      const selfNamed = { ...g, signer: l.hospitalA.address };
      await expectRevert(relay(await signGrant(l.hospitalA, domain, selfNamed), selfNamed), "ConsentRegistryNotSubjectOrDelegate", [l.patient.address, l.hospitalA.address]);
    });

    it("rejects a high-s malleated copy of a valid signature", async () => {
      const l = await setup();
      const g = await grantRequest(l);
      const sig = Signature.from(await signGrant(l.patient, domain, g));
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const highS = "0x" + (n - BigInt(sig.s)).toString(16).padStart(64, "0");
      const malleated = sig.r + highS.slice(2) + (sig.v === 27 ? "1c" : "1b");
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(g, malleated), "ConsentRegistryInvalidSignature");
      await (await l.consents.connect(l.hospitalA).grantConsentBySig(g, sig.serialized)).wait();
    });

    it("a copied signature relayed first by another hospital records exactly what was signed", async () => {
      const l = await setup();
      const g = await grantRequest(l); // grantee: hospital A
      const sig = await signGrant(l.patient, domain, g);
      await expectRevert(l.consents.connect(l.hospitalB).grantConsentBySig({ ...g, grantee: ORG.HOSPITAL_B }, sig), "ConsentRegistryInvalidSignature");
      await expectRevert(l.consents.connect(l.hospitalB).grantConsentBySig({ ...g, expiresAt: BigInt(g.expiresAt) + 1n }, sig), "ConsentRegistryInvalidSignature");
      await (await l.consents.connect(l.hospitalB).grantConsentBySig(g, sig)).wait();
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_A)).toBe(true);
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_B)).toBe(false);
      expect((await l.consents.consent(l.patient.address, P, ORG.HOSPITAL_A)).expiresAt).toBe(g.expiresAt);
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(g, sig), "ConsentRegistryInvalidNonce");
    });

    it("a delegate signs for the subject; after removal its signatures stop working", async () => {
      const l = await setup();
      await (await l.consents.connect(l.patient).appointDelegate(l.guardian.address)).wait();
      const g = await grantRequest(l, { signer: l.guardian.address });
      await (await l.consents.connect(l.hospitalA).grantConsentBySig(g, await signGrant(l.guardian, domain, g))).wait();
      const r = await revokeRequest(l, { signer: l.guardian.address });
      const rsig = await signRevoke(l.guardian, domain, r);
      await (await l.consents.connect(l.patient).removeDelegate(l.guardian.address)).wait();
      await expectRevert(l.consents.connect(l.outsider).revokeConsentBySig(r, rsig), "ConsentRegistryNotSubjectOrDelegate");
    });

    it("accepts an ERC-1271 wallet that approves, and rejects one that says no", async () => {
      const l = await setup();
      const owner = Wallet.createRandom();
      const wallet = await new MockERC1271Wallet__factory(l.deployer).deploy(owner.address);
      const subject = await wallet.getAddress();
      const g = await grantRequest(l, { subject, signer: subject });
      const sig = await owner.signTypedData(domain, (await import("../src/sdk/consent-signing")).GRANT_TYPES, g);
      await (await wallet.setRefuse(true)).wait();
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(g, sig), "ConsentRegistryInvalidSignature", [subject]);
      await (await wallet.setRefuse(false)).wait();
      await (await l.consents.connect(l.hospitalA).grantConsentBySig(g, sig)).wait();
      expect(await l.consents.isConsentValid(subject, P, ORG.HOSPITAL_A)).toBe(true);
    });
  });

  describe("consentId", () => {
    it("the SDK derives the same id as the contract", async () => {
      const l = await loadFixture(ledgerFixture);
      for (const [s, p, g] of [[l.patient.address, 0, 0], [l.patient2.address, 5, 4_000_000_000]] as const) {
        expect(consentId(s, p, g)).toBe(await l.consents.consentId(s, p, g));
      }
    });
  });
});
