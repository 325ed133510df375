import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Signature, Wallet, type TypedDataDomain } from "ethers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { expectRevert, eventsOf } from "../helpers/revert";
import { MemberStatus, NUMBERS, Purpose, Role } from "../../src/constants";
import { consentId } from "../../src/sdk/ids";
import { grantDigest, readDomain, revokeDigest, signGrant, signRevoke, type GrantRequest, type RevokeRequest } from "../../src/sdk/consent-signing";
import { MockERC1271Wallet__factory } from "../../typechain-types";

const P = Purpose.MODEL_TRAINING;
const DAY = 86_400;

async function future(seconds = 30 * DAY) {
  return BigInt((await time.latest()) + seconds);
}

/**
 * A request signed "now" (the head block's time), as the SDK signs them, one second after the last
 * write: this network lets blocks share a second, and two decisions in one second do not order.
 */
async function signingTime() {
  await time.increase(1);
  return BigInt(await time.latest());
}

async function grantRequest(l: Ledger, overrides: Partial<GrantRequest> = {}): Promise<GrantRequest> {
  const subject = (overrides.subject as string) ?? l.patient.address;
  const purpose = Number(overrides.purpose ?? P);
  const grantee = Number(overrides.grantee ?? ORG.HOSPITAL_A);
  return { subject, signer: subject, purpose, grantee, expiresAt: await future(), signedAt: await signingTime(), deadline: await future(3600), ...overrides };
}

async function revokeRequest(l: Ledger, overrides: Partial<RevokeRequest> = {}): Promise<RevokeRequest> {
  const subject = (overrides.subject as string) ?? l.patient.address;
  const purpose = Number(overrides.purpose ?? P);
  const grantee = Number(overrides.grantee ?? ORG.HOSPITAL_A);
  return { subject, signer: subject, purpose, grantee, signedAt: await signingTime(), deadline: await future(3600), ...overrides };
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
      await expectRevert(l.govern(add("RESEARCH")), "ConsentRegistryPurposeNameTaken", ["RESEARCH"]);
      await expectRevert(l.govern(add("")), "ConsentRegistryPurposeNameNotCanonical", [""]);
      await l.govern(...Array.from({ length: NUMBERS.MAX_PURPOSES - 6 }, (_, i) => add(`EXTRA_${i}`)));
      expect(await l.consents.purposeCount()).toBe(64n);
      expect(await l.consents.purposeMask()).toBe((1n << 64n) - 1n);
      await expectRevert(l.govern(add("ONE_TOO_MANY")), "ConsentRegistryCatalogueFull", [64]);
    });
  });

  describe("purpose names", () => {
    it("refuses look-alikes of a catalogued name and every non-canonical spelling", async () => {
      const l = await loadFixture(ledgerFixture);
      const add = (name: string) => ({ target: l.consents, data: l.consents.interface.encodeFunctionData("addPurpose", [name]) });
      const lookAlikes = ["research", "RESEARCH ", " RESEARCH", "Research", "RESEARCH_", "_RESEARCH", "MODEL__TRAINING", "MODEL-TRAINING", "MODEL TRAINING", "RESEАRCH" /* Cyrillic А */, "1RESEARCH", "A".repeat(NUMBERS.MAX_PURPOSE_NAME_LENGTH + 1)];
      for (const name of lookAlikes) await expectRevert(l.govern(add(name)), "ConsentRegistryPurposeNameNotCanonical", [name]);
      expect(await l.consents.purposeCount()).toBe(6n);
      // Canonical names are accepted, up to the length bound; digits may follow the first letter.
      await l.govern(add("PUBLIC_HEALTH"), add("RESEARCH_2"), add("A".repeat(NUMBERS.MAX_PURPOSE_NAME_LENGTH)));
      expect(await l.consents.purposeCount()).toBe(9n);
    });
  });

  describe("grantConsent / revokeConsent (direct)", () => {
    it("grants, reports validity, and revokes in the block that records it", async () => {
      const l = await loadFixture(ledgerFixture);
      const expiresAt = await future();
      const ev = await eventsOf(l.consents.connect(l.patient).grantConsent(l.patient.address, P, ORG.HOSPITAL_A, expiresAt), l.consents);
      expect(ev).toEqual([{ name: "ConsentGranted", args: [l.patient.address, BigInt(P), BigInt(ORG.HOSPITAL_A), expiresAt, l.patient.address, l.patient.address, BigInt(await time.latest())] }]);
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_A)).toBe(true);
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_B)).toBe(false);
      expect(await l.consents.isConsentValid(l.patient.address, Purpose.RESEARCH, ORG.HOSPITAL_A)).toBe(false);
      const rev = await eventsOf(l.consents.connect(l.patient).revokeConsent(l.patient.address, P, ORG.HOSPITAL_A), l.consents);
      expect(rev[0].name).toBe("ConsentRevoked");
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_A)).toBe(false);
      const c = await l.consents.consent(l.patient.address, P, ORG.HOSPITAL_A);
      expect(c.revokedAt).toBe(BigInt(await time.latest()));
      expect(c.signedAt).toBe(BigInt(await time.latest()));
    });

    it("lapses at expiry", async () => {
      const l = await loadFixture(ledgerFixture);
      // The fixture's snapshot may be minutes old on a slow run (coverage): its head time is then far
      // behind the clock the next block takes. A fresh block makes "100 s from now" mean that.
      await time.increase(1);
      const expiresAt = await future(100);
      await (await l.consents.connect(l.patient).grantConsent(l.patient.address, P, ORG.HOSPITAL_A, expiresAt)).wait();
      await time.increaseTo(expiresAt - 1n);
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_A)).toBe(true);
      await time.increaseTo(expiresAt);
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_A)).toBe(false);
    });

    it("a grant to any member covers every ACTIVE organisation, while it is active", async () => {
      const l = await loadFixture(ledgerFixture);
      await (await l.consents.connect(l.patient).grantConsent(l.patient.address, P, NUMBERS.ANY_MEMBER, await future())).wait();
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_B)).toBe(true);
      expect(await l.consents.isConsentValid(l.patient.address, P, 999)).toBe(false);
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_SUSPENDED)).toBe(false);
      await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("reinstateMember", [ORG.HOSPITAL_SUSPENDED]) });
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_SUSPENDED)).toBe(true);
      await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("removeMember", [ORG.HOSPITAL_B]) });
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_B)).toBe(false);
    });

    it("refuses a grant to a removed organisation; accepts one to a suspended organisation, which cannot act on it", async () => {
      const l = await loadFixture(ledgerFixture);
      await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("removeMember", [ORG.HOSPITAL_B]) });
      await expectRevert(l.consents.connect(l.patient).grantConsent(l.patient.address, P, ORG.HOSPITAL_B, await future()), "ConsentRegistryGranteeRemoved", [ORG.HOSPITAL_B]);
      await (await l.consents.connect(l.patient).grantConsent(l.patient.address, P, ORG.HOSPITAL_SUSPENDED, await future())).wait();
      // The patient's named grant stands (valid), but every write of a suspended member is refused.
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_SUSPENDED)).toBe(true);
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

    it("revoking a slot with no grant in force records a cancellation (never granted, or already revoked)", async () => {
      const l = await loadFixture(ledgerFixture);
      let ev = await eventsOf(l.consents.connect(l.patient).revokeConsent(l.patient.address, P, 1), l.consents);
      let now = BigInt(await time.latest());
      expect(ev).toEqual([{ name: "ConsentCancelled", args: [l.patient.address, BigInt(P), 1n, l.patient.address, l.patient.address, now] }]);
      expect([...(await l.consents.consent(l.patient.address, P, 1))]).toEqual([0n, 0n, 0n, now]);
      await (await l.consents.connect(l.patient).grantConsent(l.patient.address, P, 1, await future())).wait();
      await (await l.consents.connect(l.patient).revokeConsent(l.patient.address, P, 1)).wait();
      const revokedAt = BigInt(await time.latest());
      ev = await eventsOf(l.consents.connect(l.patient).revokeConsent(l.patient.address, P, 1), l.consents);
      now = BigInt(await time.latest());
      expect(ev.map((e) => e.name)).toEqual(["ConsentCancelled"]);
      // The revocation's time stays; only the signing time (the bar for pending grants) moves.
      const c = await l.consents.consent(l.patient.address, P, 1);
      expect([c.revokedAt, c.signedAt]).toEqual([revokedAt, now]);
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
      expect(ev).toEqual([{ name: "ConsentGranted", args: [l.patient.address, BigInt(P), BigInt(ORG.HOSPITAL_A), g.expiresAt, l.patient.address, l.hospitalA.address, g.signedAt] }]);
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

    it("rejects a replayed request, a signing time after the block and an expired deadline", async () => {
      const l = await setup();
      const g = await grantRequest(l);
      const sig = await signGrant(l.patient, domain, g);
      await (await l.consents.connect(l.hospitalA).grantConsentBySig(g, sig)).wait();
      const id = consentId(l.patient.address, P, ORG.HOSPITAL_A);
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(g, sig), "ConsentRegistrySuperseded", [id, g.signedAt, g.signedAt]);
      const r = await revokeRequest(l);
      const rsig = await signRevoke(l.patient, domain, r);
      await (await l.consents.connect(l.outsider).revokeConsentBySig(r, rsig)).wait();
      await expectRevert(l.consents.connect(l.outsider).revokeConsentBySig(r, rsig), "ConsentRegistrySuperseded", [id, r.signedAt, r.signedAt]);
      // A request dated after its block would outrank every revocation signed until then.
      const ahead = await grantRequest(l, { signedAt: BigInt(await time.latest()) + 100n });
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(ahead, await signGrant(l.patient, domain, ahead)), "ConsentRegistrySignedInFuture");
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
      const revokedSignedAt = BigInt(await time.latest());
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(pending, sig), "ConsentRegistryGrantRevoked", [consentId(l.patient.address, P, ORG.HOSPITAL_A), pending.signedAt, revokedSignedAt]);
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
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(g, sig), "ConsentRegistrySuperseded");
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
      const sig = await owner.signTypedData(domain, (await import("../../src/sdk/consent-signing")).GRANT_TYPES, g);
      await (await wallet.setRefuse(true)).wait();
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(g, sig), "ConsentRegistryInvalidSignature", [subject]);
      await (await wallet.setRefuse(false)).wait();
      await (await l.consents.connect(l.hospitalA).grantConsentBySig(g, sig)).wait();
      expect(await l.consents.isConsentValid(subject, P, ORG.HOSPITAL_A)).toBe(true);
    });
  });

  describe("signed order: a revocation is never pre-empted", () => {
    let domain: TypedDataDomain;
    const setup = async () => {
      const l = await loadFixture(ledgerFixture);
      domain = await readDomain(l.consents);
      await (await l.consents.connect(l.patient).grantConsent(l.patient.address, P, ORG.HOSPITAL_A, await future())).wait();
      return l;
    };
    const id = (l: Ledger) => consentId(l.patient.address, P, ORG.HOSPITAL_A);
    const valid = (l: Ledger) => l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_A);

    it("a renewal the hospital relays first cannot void a revocation signed after it", async () => {
      const l = await setup();
      const renewal = await grantRequest(l, { expiresAt: await future(365 * DAY) });
      const renewalSig = await signGrant(l.patient, domain, renewal);
      await time.increase(60);
      const revocation = await revokeRequest(l);
      const revocationSig = await signRevoke(l.patient, domain, revocation);
      // The hospital sees the revocation coming and relays the renewal it holds first.
      await (await l.consents.connect(l.hospitalA).grantConsentBySig(renewal, renewalSig)).wait();
      const ev = await eventsOf(l.consents.connect(l.outsider).revokeConsentBySig(revocation, revocationSig), l.consents);
      expect(ev).toEqual([{ name: "ConsentRevoked", args: [l.patient.address, BigInt(P), BigInt(ORG.HOSPITAL_A), l.patient.address, l.outsider.address, revocation.signedAt] }]);
      expect(await valid(l)).toBe(false);
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(renewal, renewalSig), "ConsentRegistryGrantRevoked", [id(l), renewal.signedAt, revocation.signedAt]);
    });

    it("a renewal relayed after the revocation is refused, whenever it is relayed", async () => {
      const l = await setup();
      const renewal = await grantRequest(l, { deadline: await future(30 * DAY) });
      const renewalSig = await signGrant(l.patient, domain, renewal);
      await time.increase(60);
      const revocation = await revokeRequest(l);
      await (await l.consents.connect(l.outsider).revokeConsentBySig(revocation, await signRevoke(l.patient, domain, revocation))).wait();
      await time.increase(7 * DAY);
      await expectRevert(l.consents.connect(l.hospitalA).grantConsentBySig(renewal, renewalSig), "ConsentRegistryGrantRevoked", [id(l), renewal.signedAt, revocation.signedAt]);
      expect(await valid(l)).toBe(false);
    });

    it("a patient cancels a pending signed grant without gas: a signed revocation of a slot never granted", async () => {
      const l = await setup();
      const g = await grantRequest(l, { grantee: ORG.HOSPITAL_B });
      const gSig = await signGrant(l.patient, domain, g);
      await time.increase(10);
      const cancel = await revokeRequest(l, { grantee: ORG.HOSPITAL_B });
      const ev = await eventsOf(l.consents.connect(l.outsider).revokeConsentBySig(cancel, await signRevoke(l.patient, domain, cancel)), l.consents);
      expect(ev).toEqual([{ name: "ConsentCancelled", args: [l.patient.address, BigInt(P), BigInt(ORG.HOSPITAL_B), l.patient.address, l.outsider.address, cancel.signedAt] }]);
      expect([...(await l.consents.consent(l.patient.address, P, ORG.HOSPITAL_B))]).toEqual([0n, 0n, 0n, cancel.signedAt]);
      await expectRevert(l.consents.connect(l.hospitalB).grantConsentBySig(g, gSig), "ConsentRegistryGrantRevoked", [consentId(l.patient.address, P, ORG.HOSPITAL_B), g.signedAt, cancel.signedAt]);
      expect(await l.consents.isConsentValid(l.patient.address, P, ORG.HOSPITAL_B)).toBe(false);
    });

    it("a grant signed after the revocation stands in either relay order; the older revocation is superseded", async () => {
      const l = await setup();
      const revocation = await revokeRequest(l);
      const revocationSig = await signRevoke(l.patient, domain, revocation);
      await time.increase(60);
      const regrant = await grantRequest(l);
      await (await l.consents.connect(l.hospitalA).grantConsentBySig(regrant, await signGrant(l.patient, domain, regrant))).wait();
      await expectRevert(l.consents.connect(l.outsider).revokeConsentBySig(revocation, revocationSig), "ConsentRegistrySuperseded", [id(l), revocation.signedAt, regrant.signedAt]);
      expect(await valid(l)).toBe(true);
    });

    it("a revocation and a grant signed in the same second: the revocation wins in both orders", async () => {
      for (const revocationFirst of [true, false]) {
        const l = await setup();
        await time.increase(5);
        const g = await grantRequest(l);
        const r = await revokeRequest(l, { signedAt: g.signedAt });
        const relayGrant = async () => l.consents.connect(l.hospitalA).grantConsentBySig(g, await signGrant(l.patient, domain, g));
        const relayRevoke = async () => l.consents.connect(l.outsider).revokeConsentBySig(r, await signRevoke(l.patient, domain, r));
        if (revocationFirst) {
          await (await relayRevoke()).wait();
          await expectRevert(relayGrant(), "ConsentRegistryGrantRevoked", [id(l), g.signedAt, r.signedAt]);
        } else {
          await (await relayGrant()).wait();
          await (await relayRevoke()).wait();
        }
        expect(await valid(l)).toBe(false);
      }
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
