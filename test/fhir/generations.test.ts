/**
 * FHIR trace batches across ledger generations (issue 16, docs/consortium.md "Ledger generations"):
 * a successor's sequences start again at 0, so its first batch has generation 1's batch id. Each
 * batch's Provenance names the TraceAnchor of the generation it was anchored in (not the current
 * one) and has an id that carries that generation: generation 1's keeps the bare batch id, a later
 * one's is `batch-g<N>-<hospital>-<firstSeq>`. The search answers each generation's batch of an id
 * (or one, with ?generation=), and the read finds each by its own id. Valid R4 by the project's
 * validators. In-process Hardhat, audit API by inject().
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, type Ledger } from "../helpers/fixture";
import { modelWithVersion } from "../helpers/builders";
import { inProcess, tempDb } from "../helpers/indexing";
import { AUTH, bearerFor } from "../helpers/api-fixture";
import { fhirProblems } from "../helpers/fhir-validate";
import { anchorInGeneration, consentToHospitalA, firstGeneration, fixtureMembers } from "../helpers/generations";
import { deploySuccessor, generationsOf } from "../../src/sdk";
import { IndexStore, createIndexer, createQueries } from "../../src/indexer";
import { buildApp, createFastify } from "../../src/api";
import { EXTENSION } from "../../src/fhir";

async function migratedApi() {
  const l = await loadFixture(ledgerFixture);
  const gen1 = await firstGeneration(l);
  await consentToHospitalA(l);
  const [r1] = await anchorInGeneration(l, gen1, (await modelWithVersion(l, { approve: true, deploy: true })).versionId);
  const { contracts, deployment } = await deploySuccessor(l.deployer, gen1, { members: fixtureMembers(l) });
  const l2: Ledger = { ...l, ...contracts };
  await time.increase(60);
  await consentToHospitalA(l2);
  const [r2] = await anchorInGeneration(l2, deployment, (await modelWithVersion(l2, { approve: true, deploy: true })).versionId);
  const store = await IndexStore.open(tempDb());
  const indexer = createIndexer({ provider: inProcess, deployment, store });
  await indexer.syncOnce();
  const app = createFastify({});
  await app.register(buildApp, { queries: createQueries(store), ledger: l2, deployment, provider: hre.ethers.provider, auth: AUTH, indexerStats: indexer.stats });
  await app.ready();
  return { l, app, store, deployment, r1, r2, close: async () => (await app.close(), await store.close()) };
}

const valid = (r: { resourceType: string }) => expect(fhirProblems(r)).toEqual([]);
type Prov = { id: string; policy: string[]; target: { identifier: { value: string } }[]; extension: { url: string; valueInteger?: number; valueString?: string }[] };

describe("FHIR Provenance of trace batches across ledger generations", () => {
  it("batch 1 of generation 1 and batch 1 of generation 2 are two resources, each naming its own generation's TraceAnchor, found by search and by read", async () => {
    const { l, app, deployment, r1, r2, close } = await migratedApi();
    try {
      expect(r2.batchId).toBe(r1.batchId); // the successor's sequences start again at 0
      const [g1, g2] = generationsOf(deployment);
      const anchorOf = (traces: string) => `urn:medprov:trace-anchor:eip155:31337:${traces.toLowerCase()}`;
      const hospital = await bearerFor(app, l.hospitalA);
      const get = (url: string) => app.inject({ url, headers: { authorization: hospital } });

      const both = await get(`/fhir/Provenance?batch=${r1.batchId}`);
      expect(both.statusCode).toBe(200);
      valid(both.json());
      const entries = both.json().entry.map((e: { resource: Prov }) => e.resource) as Prov[];
      const gen2Id = `batch-g2-1-0`; // Hospital A (org 1), first sequence 0
      expect(entries.map((p) => p.id)).toEqual([r1.batchId.slice(2), gen2Id]);
      expect(entries.map((p) => p.policy)).toEqual([[anchorOf(g1.addresses.traces)], [anchorOf(g2.addresses.traces)]]);
      expect(entries.map((p) => p.extension.find((e) => e.url === EXTENSION.generation)?.valueInteger)).toEqual([1, 2]);
      expect(entries.map((p) => p.extension.find((e) => e.url === EXTENSION.transaction)?.valueString)).toEqual([r1.anchorTx, r2.anchorTx]);
      expect(entries.map((p) => p.target[0].identifier.value)).toEqual([r1.batchId, r1.batchId]);
      for (const p of entries) valid(p as never);

      // ?generation= narrows to one generation's batch; a generation that anchored no such batch is a 404.
      const only2 = await get(`/fhir/Provenance?batch=${r1.batchId}&generation=2`);
      expect(only2.json().entry.map((e: { resource: Prov }) => e.resource.id)).toEqual([gen2Id]);
      expect((await get(`/fhir/Provenance?batch=${r1.batchId}&generation=3`)).statusCode).toBe(404);

      // Each entry's id reads back the same resource (its fullUrl resolves).
      for (const [i, id] of [r1.batchId.slice(2), gen2Id].entries()) {
        const read = await get(`/fhir/Provenance/${id}`);
        expect(read.statusCode).toBe(200);
        valid(read.json());
        expect(read.json()).toEqual(entries[i]);
      }
      expect(both.json().entry[1].fullUrl).toMatch(/\/fhir\/Provenance\/batch-g2-1-0$/);
      // Ids of no batch: another generation, another sequence, or beyond TraceAnchor's uint32 hospital.
      for (const id of ["batch-g3-1-0", "batch-g2-1-2", "batch-g2-4294967296-0", "batch-g1-1-0"]) expect((await get(`/fhir/Provenance/${id}`)).statusCode).toBe(404);
      // The batch rule still holds on the new ids: another hospital is refused.
      expect((await app.inject({ url: `/fhir/Provenance/${gen2Id}`, headers: { authorization: await bearerFor(app, l.hospitalB) } })).statusCode).toBe(403);
    } finally {
      await close();
    }
  });
});
