import { describe, it, expect } from "vitest";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { expectRevert, eventsOf } from "../helpers/revert";
import { registration, h } from "../helpers/builders";
import { DatasetStatus, LineageBlock, LineageUse, Purpose, Role, purposeMask } from "../../src/constants";
import { datasetIdOf } from "../../src/sdk/ids";
import type { IDatasetRegistry } from "../../typechain-types";

async function register(l: Ledger, r: IDatasetRegistry.RegistrationStruct = registration(), who = l.hospitalA) {
  const id = await l.datasets.connect(who).registerDataset.staticCall(r);
  await (await l.datasets.connect(who).registerDataset(r)).wait();
  return id;
}

describe("DatasetRegistry", () => {
  describe("registerDataset", () => {
    it("records the custodian and emits the whole registration; the SDK derives the same id", async () => {
      const l = await loadFixture(ledgerFixture);
      const r = registration();
      const expected = datasetIdOf(ORG.HOSPITAL_A, r.contentRoot as string, r.cohortRoot as string, r.metadataHash as string);
      expect(await l.datasets.datasetIdOf(ORG.HOSPITAL_A, r.contentRoot, r.cohortRoot, r.metadataHash)).toBe(expected);
      const ev = await eventsOf(l.datasets.connect(l.hospitalA).registerDataset(r), l.datasets);
      expect(ev[0].name).toBe("DatasetRegistered");
      expect(ev[0].args[0]).toBe(expected);
      expect(ev[0].args[1]).toBe(BigInt(ORG.HOSPITAL_A));
      expect((ev[0].args[2] as unknown[])[3]).toBe(r.uri);
      const d = await l.datasets.dataset(expected);
      expect([d.custodian, d.status, d.suspended, d.allowedPurposes, d.grassrootsBps, d.lineageSize]).toEqual([BigInt(ORG.HOSPITAL_A), BigInt(DatasetStatus.ACTIVE), false, r.allowedPurposes, 2500n, 1n]);
    });

    it("records lineage to existing parents and refuses unknown ones", async () => {
      const l = await loadFixture(ledgerFixture);
      const parent = await register(l);
      const child = registration({ parents: [parent] });
      const ev = await eventsOf(l.datasets.connect(l.hospitalB).registerDataset(child), l.datasets);
      expect((ev[0].args[2] as unknown[])[5]).toEqual([parent]);
      const ghost = h("ghost");
      await expectRevert(l.datasets.connect(l.hospitalA).registerDataset(registration({ parents: [ghost] })), "DatasetRegistryUnknownDataset", [ghost]);
      await expectRevert(l.datasets.connect(l.hospitalA).registerDataset(registration({ parents: Array(65).fill(parent) })), "DatasetRegistryInvalidRegistration");
    });

    it("refuses a duplicate, zero roots, purposes outside the catalogue and bad demographic shares", async () => {
      const l = await loadFixture(ledgerFixture);
      const r = registration();
      const id = await register(l, r);
      const reg = (o: Partial<IDatasetRegistry.RegistrationStruct>) => l.datasets.connect(l.hospitalA).registerDataset(registration(o));
      await expectRevert(l.datasets.connect(l.hospitalA).registerDataset(r), "DatasetRegistryAlreadyRegistered", [id]);
      const zero = "0x" + "00".repeat(32);
      for (const k of ["contentRoot", "cohortRoot", "metadataHash"] as const) await expectRevert(reg({ [k]: zero }), "DatasetRegistryInvalidRegistration");
      await expectRevert(reg({ allowedPurposes: 0n }), "DatasetRegistryInvalidPurposes", [0n, 0b111111n]);
      await expectRevert(reg({ allowedPurposes: 1n << 6n }), "DatasetRegistryInvalidPurposes", [64n, 0b111111n]);
      const base = registration().demographics;
      await expectRevert(reg({ demographics: { ...base, ageBps: [1000, 4000, 3000, 1999] } }), "DatasetRegistryInvalidShares", [0, 4, 9999]);
      await expectRevert(reg({ demographics: { ...base, sexBps: [5000, 5000] } }), "DatasetRegistryInvalidShares", [1, 2, 10000]);
      await expectRevert(reg({ demographics: { ...base, regionBps: [4000, 3000, 2000, 1000, 0] } }), "DatasetRegistryInvalidShares", [2, 5, 10000]);
      await expectRevert(reg({ demographics: { ...base, grassrootsBps: 10001 } }), "DatasetRegistryInvalidShares", [3, 1, 10001]);
    });
  });

  describe("recordUse", () => {
    it("any active member records a use for an allowed purpose", async () => {
      const l = await loadFixture(ledgerFixture);
      const id = await register(l);
      for (const [who, org] of [[l.hospitalB, ORG.HOSPITAL_B], [l.developer, ORG.DEVELOPER]] as const) {
        const ev = await eventsOf(l.datasets.connect(who).recordUse(id, Purpose.MODEL_TRAINING), l.datasets);
        expect(ev).toEqual([{ name: "DatasetUsed", args: [id, BigInt(org), BigInt(Purpose.MODEL_TRAINING)] }]);
      }
    });

    it("refuses a purpose the dataset does not allow, an unknown dataset, and a suspended dataset", async () => {
      const l = await loadFixture(ledgerFixture);
      const id = await register(l);
      await expectRevert(l.datasets.connect(l.hospitalA).recordUse(id, Purpose.COMMERCIAL_USE), "DatasetRegistryPurposeNotAllowed", [id, Purpose.COMMERCIAL_USE]);
      const ghost = h("ghost");
      await expectRevert(l.datasets.connect(l.hospitalA).recordUse(ghost, Purpose.RESEARCH), "DatasetRegistryUnknownDataset", [ghost]);
      await (await l.datasets.connect(l.regulator).setSuspended(id, true)).wait();
      await expectRevert(l.datasets.connect(l.hospitalA).recordUse(id, Purpose.RESEARCH), "DatasetRegistryNotUsable", [id, LineageUse.USE, id, LineageBlock.SUSPENDED]);
      await (await l.datasets.connect(l.regulator).setSuspended(id, false)).wait();
      await (await l.datasets.connect(l.hospitalA).recordUse(id, Purpose.RESEARCH)).wait();
    });
  });

  describe("lifecycle", () => {
    it("ACTIVE → RETIRED → DESTROYED by the custodian; no use after retirement or destruction", async () => {
      const l = await loadFixture(ledgerFixture);
      const id = await register(l);
      const retired = await eventsOf(l.datasets.connect(l.hospitalA).retireDataset(id), l.datasets);
      expect(retired).toEqual([{ name: "DatasetStatusChanged", args: [id, BigInt(DatasetStatus.ACTIVE), BigInt(DatasetStatus.RETIRED), "0x" + "00".repeat(32)] }]);
      await expectRevert(l.datasets.connect(l.hospitalA).recordUse(id, Purpose.RESEARCH), "DatasetRegistryNotUsable", [id, LineageUse.USE, id, LineageBlock.RETIRED]);
      const attestation = h("deletion-certificate");
      const destroyed = await eventsOf(l.datasets.connect(l.hospitalA).destroyDataset(id, attestation), l.datasets);
      expect(destroyed[0].args).toEqual([id, BigInt(DatasetStatus.RETIRED), BigInt(DatasetStatus.DESTROYED), attestation]);
      await expectRevert(l.datasets.connect(l.hospitalA).recordUse(id, Purpose.RESEARCH), "DatasetRegistryNotUsable", [id, LineageUse.USE, id, LineageBlock.DESTROYED]);
    });

    it("every forbidden move reverts", async () => {
      const l = await loadFixture(ledgerFixture);
      const id = await register(l);
      const att = h("att");
      await expectRevert(l.datasets.connect(l.hospitalA).destroyDataset(id, att), "DatasetRegistryInvalidTransition", [id, DatasetStatus.ACTIVE, DatasetStatus.DESTROYED]);
      await (await l.datasets.connect(l.hospitalA).retireDataset(id)).wait();
      await expectRevert(l.datasets.connect(l.hospitalA).retireDataset(id), "DatasetRegistryInvalidTransition", [id, DatasetStatus.RETIRED, DatasetStatus.RETIRED]);
      await expectRevert(l.datasets.connect(l.hospitalA).destroyDataset(id, "0x" + "00".repeat(32)), "DatasetRegistryZeroAttestation", [id]);
      await (await l.datasets.connect(l.hospitalA).destroyDataset(id, att)).wait();
      await expectRevert(l.datasets.connect(l.hospitalA).destroyDataset(id, att), "DatasetRegistryInvalidTransition", [id, DatasetStatus.DESTROYED, DatasetStatus.DESTROYED]);
      await expectRevert(l.datasets.connect(l.hospitalA).retireDataset(id), "DatasetRegistryInvalidTransition");
      await expectRevert(l.datasets.connect(l.hospitalA).retireDataset(h("ghost")), "DatasetRegistryUnknownDataset");
    });

    it("only the custodian moves it; only a regulator suspends it", async () => {
      const l = await loadFixture(ledgerFixture);
      const id = await register(l);
      await expectRevert(l.datasets.connect(l.hospitalB).retireDataset(id), "DatasetRegistryNotCustodian", [id, ORG.HOSPITAL_B, ORG.HOSPITAL_A]);
      await expectRevert(l.datasets.connect(l.hospitalA).setSuspended(id, true), "ConsortiumWrongRole", [ORG.HOSPITAL_A, Role.HOSPITAL, Role.REGULATOR]);
      await expectRevert(l.datasets.connect(l.regulator).setSuspended(id, false), "DatasetRegistrySuspensionUnchanged", [id, false]);
      await expectRevert(l.datasets.connect(l.regulator).setSuspended(h("ghost"), true), "DatasetRegistryUnknownDataset");
      const ev = await eventsOf(l.datasets.connect(l.regulator).setSuspended(id, true), l.datasets);
      expect(ev[0]).toEqual({ name: "DatasetSuspensionChanged", args: [id, true, BigInt(ORG.REGULATOR)] });
      // A suspended dataset can still be retired by its custodian.
      await (await l.datasets.connect(l.hospitalA).retireDataset(id)).wait();
    });

    it("a dataset that allows all purposes accepts each", async () => {
      const l = await loadFixture(ledgerFixture);
      const id = await register(l, registration({ allowedPurposes: purposeMask([0, 1, 2, 3, 4, 5]) }));
      for (let p = 0; p < 6; p++) await (await l.datasets.connect(l.hospitalA).recordUse(id, p)).wait();
    });
  });
});
