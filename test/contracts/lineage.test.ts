/**
 * The lineage rule (src/constants/spec.ts LINEAGE_ALLOWS / LINEAGE_INHERITED, docs/lineage.md): for every
 * state a dataset can be in and every use, the contracts do exactly what the spec's table says, and a
 * destroyed or suspended ancestor blocks every descendant. Issue 20: on the contracts before it, a
 * DESTROYED or suspended dataset was accepted as a parent, a suspended one trained a version that was
 * approved, and a child of either was used freely.
 */
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash } from "ethers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { expectRevert } from "../helpers/revert";
import { h, registration, versionInput, INDICATIONS } from "../helpers/builders";
import {
  LINEAGE_BLOCKS, LINEAGE_INHERITED, LINEAGE_USES, LineageBlock, LineageUse, NUMBERS, Purpose, RiskClass, VersionStatus, lineageAllows,
  type LineageBlockName, type LineageUseName,
} from "../../src/constants";
import type { IDatasetRegistry } from "../../typechain-types";
import { datasetLineage } from "../../src/sdk";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

async function register(l: Ledger, o: Partial<IDatasetRegistry.RegistrationStruct> = {}, who: HardhatEthersSigner = l.hospitalA) {
  const r = registration(o);
  const id = await l.datasets.connect(who).registerDataset.staticCall(r);
  await (await l.datasets.connect(who).registerDataset(r)).wait();
  return id;
}

async function model(l: Ledger) {
  const name = `m-${h()}`;
  const modelId = await l.models.connect(l.developer).registerModel.staticCall(name, "diagnosis", RiskClass.HIGH);
  await (await l.models.connect(l.developer).registerModel(name, "diagnosis", RiskClass.HIGH)).wait();
  return modelId;
}

async function version(l: Ledger, modelId: string, training: string[]) {
  const input = versionInput(training);
  const versionId = await l.models.connect(l.developer).registerVersion.staticCall(modelId, input);
  await (await l.models.connect(l.developer).registerVersion(modelId, input)).wait();
  return versionId;
}

/** The states a dataset (held by hospital B) can be put in, and the LineageBlock each one reads as. */
const STATES: Record<string, { block: LineageBlockName; enter: (l: Ledger, id: string) => Promise<void> }> = {
  ACTIVE: { block: "NONE", enter: async () => {} },
  "SUSPENDED by the regulator": { block: "SUSPENDED", enter: async (l, id) => void (await (await l.datasets.connect(l.regulator).setSuspended(id, true)).wait()) },
  RETIRED: { block: "RETIRED", enter: async (l, id) => void (await (await l.datasets.connect(l.hospitalB).retireDataset(id)).wait()) },
  DESTROYED: {
    block: "DESTROYED",
    enter: async (l, id) => {
      await (await l.datasets.connect(l.hospitalB).retireDataset(id)).wait();
      await (await l.datasets.connect(l.hospitalB).destroyDataset(id, h("deletion"))).wait();
    },
  },
  "custodian SUSPENDED": { block: "CUSTODIAN_INACTIVE", enter: async (l) => void (await (await l.consortium.connect(l.regulator).suspendMember(ORG.HOSPITAL_B)).wait()) },
  "custodian REMOVED": {
    block: "CUSTODIAN_INACTIVE",
    enter: (l) => l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("removeMember", [ORG.HOSPITAL_B]) }),
  },
};

/** Tries `use` of dataset `id` (state already entered); `before` ran while it was still ACTIVE. */
async function attempt(l: Ledger, use: LineageUseName, id: string, before: { modelId: string; versionId: string }) {
  switch (use) {
    case "PARENT": return { error: "DatasetRegistryNotUsable", tx: l.datasets.connect(l.hospitalA).registerDataset(registration({ parents: [id] })) };
    case "TRAINING": return { error: "ModelRegistryDatasetNotUsable", tx: l.models.connect(l.developer).registerVersion(before.modelId, versionInput([id])) };
    case "APPROVAL": return { error: "ModelRegistryDatasetNotUsable", tx: l.models.connect(l.regulator).approveVersion(before.versionId, `F-${h()}`, RiskClass.HIGH, INDICATIONS) };
    case "USE": return { error: "DatasetRegistryNotUsable", tx: l.datasets.connect(l.hospitalA).recordUse(id, Purpose.RESEARCH) };
  }
}

describe("lineage rule (docs/lineage.md)", () => {
  it("docs/lineage.md's table is spec.ts's rule, row for row", () => {
    const doc = readFileSync(join(__dirname, "..", "..", "docs", "lineage.md"), "utf8");
    const header = doc.split("\n").find((line) => line.startsWith("| state of the dataset"))!;
    expect(header.split("|").slice(2, 6).map((c) => c.trim())).toEqual([...LINEAGE_USES]);
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` [^|]*\|(.*)\|\s*$/gm)].map(([, block, cells]) => [block, cells.split("|").map((c) => c.trim())] as const);
    expect(rows.map(([block]) => block)).toEqual([...LINEAGE_BLOCKS]);
    for (const [block, cells] of rows) {
      const name = block as LineageBlockName;
      expect(cells.slice(0, 4), block).toEqual(LINEAGE_USES.map((use) => (name !== "UNKNOWN" && lineageAllows(name, use) ? "✓" : "✗")));
      expect(cells[4], block).toBe(name === "NONE" || name === "UNKNOWN" ? "—" : LINEAGE_INHERITED.includes(name) ? "yes" : "no");
    }
  });

  describe("a dataset's own state: the contracts do what spec.ts LINEAGE_ALLOWS says", () => {
    for (const [state, { block, enter }] of Object.entries(STATES)) {
      for (const use of LINEAGE_USES) {
        const allowed = lineageAllows(block, use);
        it(`${state}: ${use} ${allowed ? "allowed" : "refused"}`, async () => {
          const l = await loadFixture(ledgerFixture);
          const id = await register(l, {}, l.hospitalB);
          const modelId = await model(l);
          const versionId = await version(l, modelId, [id]);
          await enter(l, id);
          const [reason, blockedBy] = await l.datasets.usableFor(id, LineageUse[use]);
          expect([Number(reason), blockedBy]).toEqual(allowed ? [LineageBlock.NONE, ZeroHash] : [LineageBlock[block], id]);
          const { error, tx } = await attempt(l, use, id, { modelId, versionId });
          if (allowed) await (await tx).wait();
          else await expectRevert(tx, error, [id, LineageUse[use], id, LineageBlock[block]]);
          if (use === "APPROVAL") expect(await l.models.versionStatus(versionId)).toBe(BigInt(allowed ? VersionStatus.APPROVED : VersionStatus.SUBMITTED));
        });
      }
    }

    it("an unknown dataset reads UNKNOWN and keeps its named errors", async () => {
      const l = await loadFixture(ledgerFixture);
      const ghost = h("ghost");
      expect((await l.datasets.usableFor(ghost, LineageUse.USE)).map(String)).toEqual([String(LineageBlock.UNKNOWN), ghost]);
      await expectRevert(l.datasets.connect(l.hospitalA).registerDataset(registration({ parents: [ghost] })), "DatasetRegistryUnknownDataset", [ghost]);
      await expectRevert(l.models.connect(l.developer).registerVersion(await model(l), versionInput([ghost])), "ModelRegistryDatasetNotForTraining", [ghost]);
    });
  });

  describe("ancestry: destroyed and suspended data do not come back through a child", () => {
    /** P (hospital B) → C (hospital A) → G (hospital A); a version trained on G, still SUBMITTED. */
    async function family(l: Ledger) {
      const p = await register(l, {}, l.hospitalB);
      const c = await register(l, { parents: [p] });
      const g = await register(l, { parents: [c] });
      const modelId = await model(l);
      const v = await version(l, modelId, [g]);
      return { p, c, g, modelId, v };
    }

    for (const [state, block] of [["SUSPENDED by the regulator", "SUSPENDED"], ["DESTROYED", "DESTROYED"]] as const) {
      it(`a grandparent ${state} blocks the grandchild for every use, naming the ancestor`, async () => {
        const l = await loadFixture(ledgerFixture);
        const f = await family(l);
        await STATES[state].enter(l, f.p);
        for (const use of LINEAGE_USES) {
          expect((await l.datasets.usableFor(f.g, LineageUse[use])).map(String)).toEqual([String(LineageBlock[block]), f.p]);
          const { error, tx } = await attempt(l, use, f.g, { modelId: f.modelId, versionId: f.v });
          await expectRevert(tx, error, [f.g, LineageUse[use], f.p, LineageBlock[block]]);
        }
        expect(await l.models.versionStatus(f.v)).toBe(BigInt(VersionStatus.SUBMITTED));
      });
    }

    it("the SDK answers per use in names: allowed, or the reason and the dataset carrying it", async () => {
      const l = await loadFixture(ledgerFixture);
      const f = await family(l);
      await (await l.datasets.connect(l.hospitalA).retireDataset(f.g)).wait();
      await (await l.datasets.connect(l.regulator).setSuspended(f.p, true)).wait();
      expect(await datasetLineage(l, f.c)).toEqual(LINEAGE_USES.map((use) => ({ use, allowed: false, reason: "SUSPENDED", blockedBy: f.p.toLowerCase() })));
      await (await l.datasets.connect(l.regulator).setSuspended(f.p, false)).wait();
      expect(await datasetLineage(l, f.g)).toEqual([
        { use: "PARENT", allowed: false, reason: "RETIRED", blockedBy: f.g.toLowerCase() },
        { use: "TRAINING", allowed: false, reason: "RETIRED", blockedBy: f.g.toLowerCase() },
        { use: "APPROVAL", allowed: true, reason: "NONE" },
        { use: "USE", allowed: false, reason: "RETIRED", blockedBy: f.g.toLowerCase() },
      ]);
    });

    it("lifting the ancestor's suspension frees the descendants again", async () => {
      const l = await loadFixture(ledgerFixture);
      const f = await family(l);
      await (await l.datasets.connect(l.regulator).setSuspended(f.c, true)).wait();
      await expectRevert(l.datasets.connect(l.hospitalA).recordUse(f.g, Purpose.RESEARCH), "DatasetRegistryNotUsable", [f.g, LineageUse.USE, f.c, LineageBlock.SUSPENDED]);
      await (await l.datasets.connect(l.regulator).setSuspended(f.c, false)).wait();
      await (await l.datasets.connect(l.hospitalA).recordUse(f.g, Purpose.RESEARCH)).wait();
      await (await l.models.connect(l.regulator).approveVersion(f.v, "F-FREED", RiskClass.HIGH, INDICATIONS)).wait();
    });

    it("a retired ancestor or an ancestor's inactive custodian is not inherited: the child is its own custodian's data", async () => {
      const l = await loadFixture(ledgerFixture);
      const f = await family(l);
      await (await l.datasets.connect(l.hospitalB).retireDataset(f.p)).wait();
      await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("removeMember", [ORG.HOSPITAL_B]) });
      for (const use of LINEAGE_USES) expect((await l.datasets.usableFor(f.g, LineageUse[use])).map(String)).toEqual([String(LineageBlock.NONE), ZeroHash]);
      await (await l.datasets.connect(l.hospitalA).recordUse(f.c, Purpose.RESEARCH)).wait();
      await (await l.models.connect(l.regulator).approveVersion(f.v, "F-RETIRED-UPSTREAM", RiskClass.HIGH, INDICATIONS)).wait();
    });

    it("every path is walked: a diamond finds the blocked ancestor through either side", async () => {
      const l = await loadFixture(ledgerFixture);
      const top = await register(l, {}, l.hospitalB);
      const left = await register(l, { parents: [top] });
      const right = await register(l, { parents: [await register(l)] });
      const bottom = await register(l, { parents: [left, right] });
      expect((await l.datasets.dataset(bottom)).lineageSize).toBe(5n);
      expect(await l.datasets.parentsOf(bottom)).toEqual([left, right]);
      await STATES.DESTROYED.enter(l, top);
      expect((await l.datasets.usableFor(bottom, LineageUse.TRAINING)).map(String)).toEqual([String(LineageBlock.DESTROYED), top]);
    });
  });

  describe("bounds: the ancestry walk has a gas ceiling", () => {
    it(`a dataset's lineage is at most MAX_LINEAGE_SIZE (${NUMBERS.MAX_LINEAGE_SIZE}) counted per path`, async () => {
      const l = await loadFixture(ledgerFixture);
      const base = await register(l);
      const wide = await register(l, { parents: Array(NUMBERS.MAX_LINEAGE_SIZE - 1).fill(base) });
      expect((await l.datasets.dataset(wide)).lineageSize).toBe(BigInt(NUMBERS.MAX_LINEAGE_SIZE));
      await expectRevert(l.datasets.connect(l.hospitalA).registerDataset(registration({ parents: [wide, base] })), "DatasetRegistryLineageTooLarge", [NUMBERS.MAX_LINEAGE_SIZE + 2, NUMBERS.MAX_LINEAGE_SIZE]);
      // The walk of a full lineage still answers (and finds a block at its far end).
      await (await l.datasets.connect(l.regulator).setSuspended(base, true)).wait();
      expect((await l.datasets.usableFor(wide, LineageUse.USE)).map(String)).toEqual([String(LineageBlock.SUSPENDED), base]);
    });

    it(`a version's training lineages add up to at most MAX_TRAINING_LINEAGE (${NUMBERS.MAX_TRAINING_LINEAGE})`, async () => {
      const l = await loadFixture(ledgerFixture);
      const base = await register(l);
      const wide = await register(l, { parents: Array(NUMBERS.MAX_LINEAGE_SIZE - 1).fill(base) });
      const modelId = await model(l);
      const fits = NUMBERS.MAX_TRAINING_LINEAGE / NUMBERS.MAX_LINEAGE_SIZE;
      const v = await version(l, modelId, Array(fits).fill(wide));
      await expectRevert(l.models.connect(l.developer).registerVersion(modelId, versionInput(Array(fits + 1).fill(wide))), "ModelRegistryLineageTooLarge", [NUMBERS.MAX_TRAINING_LINEAGE + NUMBERS.MAX_LINEAGE_SIZE, NUMBERS.MAX_TRAINING_LINEAGE]);
      await (await l.models.connect(l.regulator).approveVersion(v, "F-WIDE", RiskClass.HIGH, INDICATIONS)).wait();
    });
  });
});
