import { describe, it, expect } from "vitest";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG, GOVERNANCE_DELAY } from "../helpers/fixture";
import { expectRevert, eventsOf } from "../helpers/revert";
import hre from "hardhat";
import { ACCESS_ROLES, MemberStatus, Role } from "../../src/constants";
import { deployLedger } from "../../src/sdk/deploy";

describe("Consortium", () => {
  describe("admitMember", () => {
    it("admits members with sequential ids, one role each, after the governance delay", async () => {
      const l = await loadFixture(ledgerFixture);
      expect(await l.consortium.memberCount()).toBe(7n);
      expect(await l.consortium.member(ORG.REGULATOR)).toEqual([BigInt(Role.REGULATOR), BigInt(MemberStatus.ACTIVE)]);
      expect(await l.consortium.keyInfo(l.hospitalB.address)).toEqual([BigInt(ORG.HOSPITAL_B), false]);
    });

    it("cannot be executed before the delay has passed", async () => {
      const l = await loadFixture(ledgerFixture);
      const data = l.consortium.interface.encodeFunctionData("admitMember", ["Late", Role.AUDITOR, [l.outsider.address]]);
      const target = await l.consortium.getAddress();
      await (await l.manager.connect(l.governance).schedule(target, data, 0)).wait();
      await expectRevert(l.manager.connect(l.governance).execute(target, data), "AccessManagerNotReady");
      await time.increase(GOVERNANCE_DELAY);
      await (await l.manager.connect(l.governance).execute(target, data)).wait();
      expect((await l.consortium.keyInfo(l.outsider.address))[0]).toBe(8n);
    });

    it("is refused to the governance account calling directly, and to everyone else", async () => {
      const l = await loadFixture(ledgerFixture);
      const admit = (caller: typeof l.outsider) => l.consortium.connect(caller).admitMember("X", Role.HOSPITAL, [l.outsider.address]);
      // Governance itself must schedule first: the delay cannot be skipped by calling directly.
      await expectRevert(admit(l.governance), "AccessManagerNotScheduled");
      for (const caller of [l.regulator, l.outsider, l.deployer]) await expectRevert(admit(caller), "AccessManagedUnauthorized", [caller.address]);
    });

    it("founding members are admitted at deployment, without moving the clock; later admissions still wait out the delay", async () => {
      const [deployer, governance, hospital, regulator, outsider] = await hre.ethers.getSigners();
      const before = await time.latest();
      const { contracts: c } = await deployLedger(deployer, {
        governance: governance.address,
        governanceDelay: GOVERNANCE_DELAY,
        members: [{ name: "Founding Hospital", role: "HOSPITAL", keys: [hospital.address] }, { name: "Founding Regulator", role: "REGULATOR", keys: [regulator.address] }],
      });
      expect(await time.latest()).toBeLessThan(before + 60); // no governance delay travelled
      expect(await c.consortium.memberCount()).toBe(2n);
      expect(await c.consortium.member(2)).toEqual([BigInt(Role.REGULATOR), BigInt(MemberStatus.ACTIVE)]);
      expect(await c.consortium.keyInfo(hospital.address)).toEqual([1n, false]);
      // the deployer kept no power; governance holds both roles with the delay
      for (const role of [ACCESS_ROLES.ADMIN, ACCESS_ROLES.GOVERNOR]) {
        expect((await c.manager.hasRole(role, deployer.address))[0]).toBe(false);
        expect(await c.manager.hasRole(role, governance.address)).toEqual([true, BigInt(GOVERNANCE_DELAY)]);
      }
      await expectRevert(c.consortium.connect(deployer).admitMember("X", Role.AUDITOR, [outsider.address]), "AccessManagedUnauthorized", [deployer.address]);
      const data = c.consortium.interface.encodeFunctionData("admitMember", ["Late", Role.AUDITOR, [outsider.address]]);
      await (await c.manager.connect(governance).schedule(await c.consortium.getAddress(), data, 0)).wait();
      await expectRevert(c.manager.connect(governance).execute(await c.consortium.getAddress(), data), "AccessManagerNotReady");
    });

    it("refuses a second registration of a key, role NONE and empty input", async () => {
      const l = await loadFixture(ledgerFixture);
      const target = l.consortium;
      const enc = (...a: Parameters<typeof l.consortium.admitMember>) => ({ target, data: l.consortium.interface.encodeFunctionData("admitMember", a as never) });
      await expectRevert(l.govern(enc("Dup", Role.AUDITOR, [l.hospitalB.address])), "ConsortiumKeyAlreadyUsed", [l.hospitalB.address, ORG.HOSPITAL_B]);
      await expectRevert(l.govern(enc("None", Role.NONE, [l.outsider.address])), "ConsortiumInvalidMember");
      await expectRevert(l.govern(enc("", Role.AUDITOR, [l.outsider.address])), "ConsortiumInvalidMember");
      await expectRevert(l.govern(enc("NoKeys", Role.AUDITOR, [])), "ConsortiumInvalidMember");
    });
  });

  describe("keys", () => {
    it("adds a key only through governance; a revoked key is never reused", async () => {
      const l = await loadFixture(ledgerFixture);
      await expectRevert(l.consortium.connect(l.hospitalA).addKey(ORG.HOSPITAL_A, l.outsider.address), "AccessManagedUnauthorized");
      const events = await (async () => {
        await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("addKey", [ORG.HOSPITAL_A, l.outsider.address]) });
        return l.consortium.keyInfo(l.outsider.address);
      })();
      expect(events).toEqual([BigInt(ORG.HOSPITAL_A), false]);
      await expectRevert(
        l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("addKey", [ORG.HOSPITAL_B, l.hospitalAOld.address]) }),
        "ConsortiumKeyAlreadyUsed",
      );
    });

    it("lets an organisation revoke its own key at once, but not another organisation's", async () => {
      const l = await loadFixture(ledgerFixture);
      await expectRevert(l.consortium.connect(l.hospitalA).revokeKey(l.hospitalB.address), "AccessManagedUnauthorized", [l.hospitalA.address]);
      await expectRevert(l.consortium.connect(l.hospitalAOld).revokeKey(l.hospitalA.address), "AccessManagedUnauthorized", [l.hospitalAOld.address]);
      const ev = await eventsOf(l.consortium.connect(l.hospitalB).revokeKey(l.hospitalB.address), l.consortium);
      expect(ev).toEqual([{ name: "KeyRevoked", args: [BigInt(ORG.HOSPITAL_B), l.hospitalB.address, l.hospitalB.address] }]);
      await expectRevert(l.consortium.connect(l.governance).revokeKey(l.hospitalB.address), "ConsortiumKeyRevoked", [l.hospitalB.address, ORG.HOSPITAL_B]);
      await expectRevert(l.consortium.revokeKey(l.outsider.address), "ConsortiumUnknownKey", [l.outsider.address]);
    });

    it("cannot add keys to a removed member", async () => {
      const l = await loadFixture(ledgerFixture);
      await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("removeMember", [ORG.HOSPITAL_B]) });
      await expectRevert(
        l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("addKey", [ORG.HOSPITAL_B, l.outsider.address]) }),
        "ConsortiumMemberNotActive",
        [ORG.HOSPITAL_B, MemberStatus.REMOVED],
      );
    });
  });

  describe("status", () => {
    it("a regulator suspends a non-regulator at once; only governance reinstates", async () => {
      const l = await loadFixture(ledgerFixture);
      const ev = await eventsOf(l.consortium.connect(l.regulator).suspendMember(ORG.HOSPITAL_B), l.consortium);
      expect(ev[0]).toEqual({ name: "MemberStatusChanged", args: [BigInt(ORG.HOSPITAL_B), BigInt(MemberStatus.ACTIVE), BigInt(MemberStatus.SUSPENDED), l.regulator.address] });
      await expectRevert(l.consortium.connect(l.regulator).reinstateMember(ORG.HOSPITAL_B), "AccessManagedUnauthorized");
      await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("reinstateMember", [ORG.HOSPITAL_B]) });
      expect((await l.consortium.member(ORG.HOSPITAL_B))[1]).toBe(BigInt(MemberStatus.ACTIVE));
    });

    it("refuses suspension by non-regulators, of regulators, and of a non-active member", async () => {
      const l = await loadFixture(ledgerFixture);
      for (const caller of [l.hospitalA, l.auditor, l.developer, l.outsider]) {
        await expectRevert(l.consortium.connect(caller).suspendMember(ORG.HOSPITAL_B), "AccessManagedUnauthorized", [caller.address]);
      }
      await expectRevert(l.consortium.connect(l.regulator).suspendMember(ORG.REGULATOR), "AccessManagedUnauthorized");
      await expectRevert(l.consortium.connect(l.regulator).suspendMember(ORG.HOSPITAL_SUSPENDED), "ConsortiumInvalidStatusChange", [ORG.HOSPITAL_SUSPENDED, MemberStatus.SUSPENDED, MemberStatus.SUSPENDED]);
      await expectRevert(l.consortium.connect(l.regulator).suspendMember(99), "ConsortiumUnknownMember", [99]);
    });

    it("a suspended regulator key cannot suspend", async () => {
      const l = await loadFixture(ledgerFixture);
      await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("suspendMember", [ORG.REGULATOR]) });
      await expectRevert(l.consortium.connect(l.regulator).suspendMember(ORG.HOSPITAL_B), "AccessManagedUnauthorized");
    });

    it("every forbidden status change reverts; REMOVED is final", async () => {
      const l = await loadFixture(ledgerFixture);
      const call = (fn: "reinstateMember" | "removeMember" | "suspendMember", org: number) => ({ target: l.consortium, data: l.consortium.interface.encodeFunctionData(fn as "removeMember", [org]) });
      await expectRevert(l.govern(call("reinstateMember", ORG.HOSPITAL_A)), "ConsortiumInvalidStatusChange", [ORG.HOSPITAL_A, MemberStatus.ACTIVE, MemberStatus.ACTIVE]);
      await l.govern(call("removeMember", ORG.HOSPITAL_SUSPENDED));
      await expectRevert(l.govern(call("removeMember", ORG.HOSPITAL_SUSPENDED)), "ConsortiumInvalidStatusChange");
      await expectRevert(l.govern(call("reinstateMember", ORG.HOSPITAL_SUSPENDED)), "ConsortiumInvalidStatusChange");
      await expectRevert(l.govern(call("suspendMember", ORG.HOSPITAL_SUSPENDED)), "ConsortiumInvalidStatusChange");
    });
  });

  describe("requireMember", () => {
    it("names the reason a key may not act", async () => {
      const l = await loadFixture(ledgerFixture);
      expect(await l.consortium.requireMember(l.hospitalA.address, Role.HOSPITAL)).toBe(BigInt(ORG.HOSPITAL_A));
      await expectRevert(l.consortium.requireMember(l.outsider.address, Role.HOSPITAL), "ConsortiumUnknownKey", [l.outsider.address]);
      await expectRevert(l.consortium.requireMember(l.hospitalAOld.address, Role.HOSPITAL), "ConsortiumKeyRevoked", [l.hospitalAOld.address, ORG.HOSPITAL_A]);
      await expectRevert(l.consortium.requireMember(l.suspendedHospital.address, Role.HOSPITAL), "ConsortiumMemberNotActive", [ORG.HOSPITAL_SUSPENDED, MemberStatus.SUSPENDED]);
      await expectRevert(l.consortium.requireMember(l.auditor.address, Role.HOSPITAL), "ConsortiumWrongRole", [ORG.AUDITOR, Role.AUDITOR, Role.HOSPITAL]);
    });
  });
});
