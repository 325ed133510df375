/**
 * GET /incidents reads the incident-category catalogue from the index once per request, not once
 * per listed incident; every listed incident still names its category. Counted on the queries the
 * app is given.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { indexFresh } from "../helpers/indexing";
import { AUTH, bearerFor } from "../helpers/api-fixture";
import { closeAfter } from "../helpers/api-build";
import { anchorOne, decision, evidenceWorld, incidentOf, evidenceDeployment } from "../helpers/evidence-world";
import { createQueries } from "../../src/indexer";
import { buildApp, createFastify } from "../../src/api";

async function threeIncidents() {
  const w = await evidenceWorld();
  for (let k = 0; k < 3; k++) await incidentOf(w.l, await anchorOne(w.l, await decision(w.l, w.versionId)), "INCORRECT");
  const deployment = await evidenceDeployment(w.l);
  const { store } = await indexFresh(deployment);
  return { ...w, deployment, store };
}

describe("GET /incidents, catalogue reads", () => {
  it("reads the category catalogue once for a list of three incidents, and once for one incident", async (t) => {
    const f = await loadFixture(threeIncidents);
    const queries = createQueries(f.store);
    let reads = 0;
    const counted = { ...queries, incidentCategories: () => (reads++, queries.incidentCategories()) };
    const app = createFastify({});
    closeAfter(t, app);
    await app.register(buildApp, { queries: counted, ledger: f.l, deployment: f.deployment, provider: hre.ethers.provider, auth: AUTH, rateLimit: 1_000_000 });
    await app.ready();
    const headers = { authorization: await bearerFor(app, f.l.auditor) };
    const list = await app.inject({ url: "/incidents", headers });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().incidents.map((i: { incidentId: number; categoryName: string }) => [i.incidentId, i.categoryName])).toEqual([[1, "MISDIAGNOSIS"], [2, "MISDIAGNOSIS"], [3, "MISDIAGNOSIS"]]);
    expect(reads).toBe(1);
    reads = 0;
    const one = await app.inject({ url: "/incidents/2", headers });
    expect([one.statusCode, one.json().categoryName, reads]).toEqual([200, "MISDIAGNOSIS", 1]);
  });
});
