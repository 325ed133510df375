/**
 * An evidence pack from a node with a log-range limit (Besu's `--rpc-max-logs-range`): the pack
 * reads its window in eth_getLogs spans no wider than the limit (EvidenceOptions.maxRange, default
 * LIMITS.LOG_RANGE_MAX) and comes out the same as from an unlimited node. One span over the whole
 * window, as before, is refused by such a node on a long chain.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { h } from "../helpers/builders";
import { limitedProvider } from "../helpers/limited-provider";
import { anchorOne, decision, evidenceWorld, incidentOf, evidenceDeployment } from "../helpers/evidence-world";
import { LIMITS } from "../../src/constants";
import { blockRanges, connectLedger } from "../../src/core";
import { buildEvidencePack, verifyEvidencePack } from "../../src/sdk";

async function determinedIncident() {
  const w = await evidenceWorld();
  const receipt = await anchorOne(w.l, await decision(w.l, w.versionId));
  const id = await incidentOf(w.l, receipt, "INCORRECT");
  await (await w.l.incidents.connect(w.appraiser).recordDetermination(id, { developer: 3000, hospital: 1000, clinician: 6000 }, h("ruling"))).wait();
  const deployment = await evidenceDeployment(w.l);
  return { ...w, receipt, id, deployment };
}

const plain = (x: unknown) => JSON.parse(JSON.stringify(x));

describe("evidence pack over a node with a log-range limit", () => {
  it("blockRanges cuts a window into spans of at most the limit, in order, and refuses a span under one block", () => {
    expect(blockRanges(0, 9, 4)).toEqual([[0, 3], [4, 7], [8, 9]]);
    expect(blockRanges(5, 5, 4)).toEqual([[5, 5]]);
    expect(blockRanges(6, 5, 4)).toEqual([]);
    expect(() => blockRanges(0, 9, 0)).toThrow(/at least one whole block/);
  });

  it("reads in spans no wider than maxRange and gives the pack an unlimited node gives", async () => {
    const f = await loadFixture(determinedIncident);
    const head = await hre.ethers.provider.getBlockNumber();
    const expected = await buildEvidencePack(f.l, f.id, f.receipt, { toBlock: head });
    const limited = limitedProvider(10);
    expect(head).toBeGreaterThan(10); // the whole window in one span is refused by this node
    const pack = await buildEvidencePack(connectLedger(f.deployment, limited.provider), f.id, f.receipt, { toBlock: head, maxRange: 10 });
    expect(Math.max(...limited.spans)).toBeLessThanOrEqual(10);
    expect(plain(pack)).toEqual(plain(expected));
    expect(pack.determination?.shares).toEqual({ DEVELOPER: 3000, HOSPITAL: 1000, CLINICIAN: 6000 });
  });

  it("by default reads spans of LIMITS.LOG_RANGE_MAX: a chain longer than that is served by a node refusing wider spans, and the pack verifies against it", async () => {
    const f = await loadFixture(determinedIncident);
    await mine(LIMITS.LOG_RANGE_MAX + 500);
    const limited = limitedProvider(LIMITS.LOG_RANGE_MAX);
    const pack = await buildEvidencePack(connectLedger(f.deployment, limited.provider), f.id, f.receipt);
    expect(pack.assembledAt.block).toBeGreaterThan(LIMITS.LOG_RANGE_MAX);
    expect(Math.max(...limited.spans)).toBe(LIMITS.LOG_RANGE_MAX);
    expect([pack.liabilityCase, pack.proposal?.label, pack.facts.filter((x) => x.met).length]).toEqual(["ADOPTED_WRONG", "PROPOSAL", 16]);
    expect(await verifyEvidencePack(plain(pack), { provider: limited.provider, deployment: f.deployment })).toEqual({ valid: true, reasons: [], skipped: [] });
  });
});
