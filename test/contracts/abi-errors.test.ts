/**
 * Each published contract ABI (Hardhat's artifacts, which the SDK, typechain and any third party use)
 * decodes every revert a call to that contract can end in, including the errors that bubble up from
 * the contracts it calls: a registry's call to the Consortium can revert with ConsortiumUnknownKey,
 * and a reader holding only ConsentRegistry's ABI must still read it by name.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Interface, type ErrorFragment } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG } from "../helpers/fixture";
import { batch, registration } from "../helpers/builders";
import { Patient } from "../../src/sdk";
import { Purpose, RiskClass } from "../../src/constants";

const DEPLOYABLES = ["Consortium", "ConsentRegistry", "DatasetRegistry", "ModelRegistry", "TraceAnchor", "IncidentRegistry"] as const;
/** The interface type of each deployable, as other contracts hold it. */
const INTERFACE_OF: Record<string, string> = { IConsortium: "Consortium", IConsentRegistry: "ConsentRegistry", IDatasetRegistry: "DatasetRegistry", IModelRegistry: "ModelRegistry", ITraceAnchor: "TraceAnchor", IIncidentRegistry: "IncidentRegistry" };

const abiOf = async (name: string) => new Interface((await hre.artifacts.readArtifact(name)).abi);
const errorSelectors = (i: Interface) => new Set(i.fragments.filter((f) => f.type === "error").map((f) => (f as unknown as { selector: string }).selector));

/**
 * What a deployable calls on each contract it holds (state variables typed with another deployable's
 * interface): callee → the functions it calls there.
 */
function calls(name: string): Map<string, Set<string>> {
  const source = readFileSync(join(__dirname, "..", "..", "contracts", `${name}.sol`), "utf8");
  const out = new Map<string, Set<string>>();
  for (const [, type, variable] of source.matchAll(/^\s*(I[A-Za-z]+) public immutable (\w+);/gm)) {
    if (!INTERFACE_OF[type]) continue;
    out.set(INTERFACE_OF[type], new Set([...source.matchAll(new RegExp(`\\b${variable}\\.(\\w+)\\(`, "g"))].map((m) => m[1])));
  }
  return out;
}
/**
 * Plain getters of stored values, and views that answer with a reason instead of reverting
 * (DatasetRegistry.usableFor: the lineage rule's answer, which ModelRegistry turns into its own error):
 * they revert with no custom error. Anything else may bring all of its contract's errors.
 */
const GETTERS = new Set(["purposeMask", "dataset", "versionStatus", "isDeployed", "exists", "usableFor", "batchHeader", "verifyTrace", "batchVersionCount"]);

describe("published ABIs decode every revert a call can produce", () => {
  it("each contract's ABI holds the errors of every contract it calls", async () => {
    let pairs = 0;
    for (const caller of DEPLOYABLES) {
      const mine = errorSelectors(await abiOf(caller));
      for (const [callee, functions] of calls(caller)) {
        if ([...functions].every((f) => GETTERS.has(f))) continue;
        const theirs = (await abiOf(`I${callee}`)).fragments.filter((f) => f.type === "error") as unknown as { name: string; selector: string }[];
        expect(theirs.length).toBeGreaterThan(0);
        const missing = theirs.filter((e) => !mine.has(e.selector)).map((e) => e.name);
        expect(missing, `${caller} calls ${[...functions].join(", ")} on ${callee}, but its ABI cannot decode`).toEqual([]);
        pairs++;
      }
    }
    expect(pairs).toBe(5); // every registry calls the Consortium (the incident registry's TraceAnchor calls are views)
  });

  it("real bubbled reverts decode by name with the called contract's ABI alone", async () => {
    const l = await loadFixture(ledgerFixture);
    /** The raw revert data of a call, straight from the node (no ABI involved in getting it). */
    const revertOf = async (tx: Promise<{ to?: string | null; data?: string; from?: string | null }>) => {
      const { to, data, from } = await tx;
      try {
        await hre.network.provider.request({ method: "eth_call", params: [{ from, to, data }, "latest"] });
      } catch (e) {
        const raw = (e as { data?: unknown }).data;
        if (typeof raw === "string") return raw;
        throw e;
      }
      throw new Error("did not revert");
    };
    const signed = await new Patient(l, l.patient).signGrant({ purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_A, expiresAt: (await time.latest()) + 3600 });
    const cases: [string, Promise<{ to?: string | null; data?: string; from?: string | null }>, string][] = [
      ["ConsentRegistry", l.consents.connect(l.outsider).grantConsentBySig.populateTransaction(signed.request, signed.signature).then((t) => ({ ...t, from: l.outsider.address })), "ConsortiumUnknownKey"],
      ["ConsentRegistry", l.consents.grantConsentBySig.populateTransaction(signed.request, signed.signature).then((t) => ({ ...t, from: l.suspendedHospital.address })), "ConsortiumMemberNotActive"],
      ["DatasetRegistry", l.datasets.registerDataset.populateTransaction(registration()).then((t) => ({ ...t, from: l.developer.address })), "ConsortiumWrongRole"],
      ["DatasetRegistry", l.datasets.registerDataset.populateTransaction(registration()).then((t) => ({ ...t, from: l.hospitalAOld.address })), "ConsortiumKeyRevoked"],
      ["ModelRegistry", l.models.registerModel.populateTransaction("m", "diagnosis", RiskClass.HIGH).then((t) => ({ ...t, from: l.outsider.address })), "ConsortiumUnknownKey"],
      ["IncidentRegistry", l.incidents.recordDetermination.populateTransaction(1, { developer: 10000, hospital: 0, clinician: 0 }, "0x" + "11".repeat(32)).then((t) => ({ ...t, from: l.auditor.address })), "ConsortiumWrongRole"],
      ["TraceAnchor", batch(0, ["0x" + "11".repeat(32)]).then((b) => l.traces.anchorBatch.populateTransaction(b)).then((t) => ({ ...t, from: l.developer.address })), "ConsortiumWrongRole"],
    ];
    for (const [contract, tx, expected] of cases) {
      const data = await revertOf(tx);
      expect([contract, (await abiOf(contract)).parseError(data)?.name]).toEqual([contract, expected]);
    }
  });

  it("every medprov error carries values: a revert says which condition failed and with what", async () => {
    const bare: string[] = [];
    for (const name of DEPLOYABLES) {
      const ours = (await abiOf(name)).fragments.filter((f): f is ErrorFragment => f.type === "error" && /^(Consortium|Consent|Dataset|Model|TraceAnchor|Incident)/.test((f as ErrorFragment).name));
      expect(ours.length).toBeGreaterThan(0);
      bare.push(...ours.filter((e) => e.inputs.length === 0).map((e) => `${name}: ${e.name}`));
    }
    expect(bare).toEqual([]);
  });
});
