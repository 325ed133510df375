/**
 * Incidents across ledger generations (docs/consortium.md, "Ledger generations"): a successor's
 * IncidentRegistry numbers on from the ids its predecessor issued through its close
 * (firstIncidentId), so an incident id names one incident across the ledger. The index then holds
 * both generations' incidents apart (before, generation 2's incident 1 took generation 1's row and
 * sat beside its determination), the SDK finds the generation that holds an id, and the evidence
 * route judges an older incident on its own generation's contracts. A successor that numbers from 1
 * again is refused by the indexer by name, never merged. In-process Hardhat.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import type { Ledger } from "../helpers/fixture";
import { inProcess, tempDb } from "../helpers/indexing";
import { AUTH, bearerFor } from "../helpers/api-fixture";
import { fixtureMembers, incidentInGenerationOne, incidentInSuccessor } from "../helpers/generations";
import { deployLedger, deploySuccessor, incidentGeneration, type Deployment } from "../../src/sdk";
import { withSuccessor } from "../../src/core";
import { IndexStore, createIndexer, createQueries } from "../../src/indexer";
import { buildApp, createFastify } from "../../src/api";
import { incidentEvidenceRoutes } from "../../src/api/routes/incident-evidence";

async function indexed(deployment: Deployment) {
  const store = await IndexStore.open(tempDb());
  const indexer = createIndexer({ provider: inProcess, deployment, store });
  return { store, indexer };
}

describe("incidents across ledger generations", () => {
  it("a successor numbers on from its predecessor's incidents: the index holds both apart, the SDK finds each one's generation, and an older incident's evidence is judged on its own contracts", async () => {
    const { l, gen1, r1, first } = await incidentInGenerationOne();
    const { contracts, deployment } = await deploySuccessor(l.deployer, gen1, { members: fixtureMembers(l) });
    const l2: Ledger = { ...l, ...contracts };
    expect(await l2.incidents.firstIncidentId()).toBe(BigInt(first + 1));
    const second = await incidentInSuccessor(l2, deployment);
    expect([first, second.id]).toEqual([1, 2]);

    const { store, indexer } = await indexed(deployment);
    try {
      await indexer.syncOnce();
      const q = createQueries(store);
      const [one, two] = [(await q.incident(1))!, (await q.incident(2))!];
      expect([one.batchId, one.finding, one.determination?.shares]).toEqual([r1.batchId, 2, { developer: 3000, hospital: 1000, clinician: 6000 }]);
      expect([two.batchId, two.finding, two.determination]).toEqual([second.receipt.batchId, 0, null]);

      const provider = hre.ethers.provider;
      expect((await incidentGeneration(deployment, provider, 1))?.generation.generation).toBe(1);
      expect((await incidentGeneration(deployment, provider, 2))?.generation.generation).toBe(2);
      expect(await incidentGeneration(deployment, provider, 3)).toBeUndefined();

      // The API follows generation 2; the evidence of generation 1's incident is still its own.
      const app = createFastify({});
      await app.register(async (child) => {
        await buildApp(child, { queries: q, ledger: l2, deployment, provider, auth: AUTH, rateLimit: 1_000_000 });
        incidentEvidenceRoutes(child, { receipts: { get: async (id) => (id === 1 ? r1 : id === 2 ? second.receipt : undefined) }, ledger: l2, deployment });
      });
      await app.ready();
      try {
        const auth = await bearerFor(app, l.regulator);
        const old = await app.inject({ url: "/incidents/1/evidence", headers: { authorization: auth } });
        expect(old.statusCode, old.body).toBe(200);
        expect(old.json()).toMatchObject({ incident: { id: 1 }, liabilityCase: "ADOPTED_WRONG", determination: { appraiserName: "Appraisal Board" } });
        const now = await app.inject({ url: "/incidents/2/evidence", headers: { authorization: auth } });
        expect(now.statusCode, now.body).toBe(200);
        expect(now.json()).toMatchObject({ incident: { id: 2 }, determination: null });
        expect((await app.inject({ url: "/incidents", headers: { authorization: auth } })).json().incidents.map((i: { incidentId: number }) => i.incidentId)).toEqual([1, 2]);
      } finally {
        await app.close();
      }
    } finally {
      await store.close();
    }
  });

  it("a successor whose registry numbers from 1 again is refused by the indexer by name, not merged into generation 1's incident", async () => {
    const { l, gen1 } = await incidentInGenerationOne();
    // Deployed outside deploySuccessor: its IncidentRegistry is not told the ids generation 1 issued.
    const { contracts, deployment: next } = await deployLedger(l.deployer, { governance: l.governance.address, governanceDelay: gen1.governanceDelay, members: fixtureMembers(l) });
    const sealed = (await hre.ethers.provider.getBlock(next.deploymentBlock - 1))!;
    const deployment = withSuccessor(gen1, next, { toBlock: sealed.number, time: sealed.timestamp });
    const l2: Ledger = { ...l, ...contracts };
    expect((await incidentInSuccessor(l2, deployment)).id).toBe(1);
    const { store, indexer } = await indexed(deployment);
    try {
      await expect(indexer.syncOnce()).rejects.toMatchObject({ code: "INDEX_GENERATIONS", message: expect.stringMatching(/incident 1 is reported by the incident registry at .* and was already reported in block \d+/) });
    } finally {
      await store.close();
    }
  });
});
