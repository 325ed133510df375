/**
 * Attacks on receipt verification across ledger generations (docs/consortium.md, "Ledger
 * generations"): a successor starts every hospital's sequence again at 0, so its first batch id is
 * generation 1's. A receipt moved to the other generation (its TraceAnchor, or the other batch's
 * anchoring), and writes into generation 1's contracts after its close (a suspension, a revocation:
 * nothing on-chain closes them), must not change a verdict, and chain (the SDK's Auditor) and index
 * (POST /verify) must agree on each. (The normative verifier of docs/receipt.md takes one TraceAnchor, not
 * a manifest's generations, so it is not asked here.)
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { keccak256 } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ORG, ledgerFixture, type Ledger } from "../helpers/fixture";
import { modelWithVersion } from "../helpers/builders";
import { inProcess, tempDb } from "../helpers/indexing";
import { AUTH, bearerFor } from "../helpers/api-fixture";
import { anchorInGeneration, consentToHospitalA, firstGeneration, fixtureMembers } from "../helpers/generations";
import { Auditor, deploySuccessor, type TraceReceipt } from "../../src/sdk";
import { Purpose } from "../../src/constants";
import { IndexStore, createIndexer, createQueries } from "../../src/indexer";
import { buildApp, createFastify } from "../../src/api";

/** Generation 1 with two of the patient's traces anchored, the migration, generation 2 with two more; then writes into generation 1 after its close. */
async function twoGenerations() {
  const l = await ledgerFixture();
  const gen1 = await firstGeneration(l);
  await consentToHospitalA(l);
  const v1 = (await modelWithVersion(l, { approve: true, deploy: true })).versionId;
  const receipts1 = await anchorInGeneration(l, gen1, v1);
  const { contracts, deployment } = await deploySuccessor(l.deployer, gen1, { members: fixtureMembers(l) });
  const l2: Ledger = { ...l, ...contracts };
  // A minute on: generation 2's batch window never holds generation 1's trace time (on a fast
  // machine both fell in one second, and a moved record was not TIME_OUTSIDE_BATCH).
  await time.increase(60);
  await consentToHospitalA(l2);
  // Past generation 1's close its contracts still take writes; none of them is the ledger's: patient2's
  // grant to hospital A there does not cover the generation-2 traces below, the suspension changes nothing.
  await (await l.consents.connect(l.patient2).grantConsent(l.patient2.address, Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_A, (await time.latest()) + 10 ** 6)).wait();
  await (await l.models.connect(l.regulator).suspendVersion(v1, keccak256("0x01"))).wait();
  const v2 = (await modelWithVersion(l2, { approve: true, deploy: true })).versionId;
  const receipts2 = await anchorInGeneration({ ...l2, patient: l.patient2 }, deployment, v2);
  return { l, l2, migrated: deployment, receipts1, receipts2 };
}

const codes = (r: { reasons: { code: string }[] }) => r.reasons.map((x) => x.code);

describe("receipt verification across ledger generations, under attack", () => {
  it("receipts moved to the other generation are refused, writes to a closed generation change nothing, and chain and index agree on each", async () => {
    const { l, l2, migrated, receipts1, receipts2 } = await loadFixture(twoGenerations);
    expect(receipts2[0].batchId).toBe(receipts1[0].batchId);
    const clone = (r: TraceReceipt): TraceReceipt => JSON.parse(JSON.stringify(r));
    const anchoringOf = (r: TraceReceipt) => ({ traceAnchor: r.traceAnchor, batchId: r.batchId, anchorTx: r.anchorTx, blockNumber: r.blockNumber });
    // [name, receipt, reasons by chain, whether the index adds CONSENT_NOT_VALID_AT_TIME (patient2's record)]
    const named: [string, unknown, string[], boolean?][] = [
      ["generation 1's receipt, as it is", clone(receipts1[0]), []],
      ["generation 2's receipt, as it is (patient2: a grant only in generation 1 after its close)", clone(receipts2[0]), [], true],
      ["generation 1's receipt naming generation 2's TraceAnchor", { ...clone(receipts1[0]), traceAnchor: receipts2[0].traceAnchor }, ["PROOF_INVALID", "ANCHOR_TX_MISMATCH", "ANCHOR_BLOCK_MISMATCH", "VERSION_NOT_IN_BATCH", "TIME_OUTSIDE_BATCH", "VERSION_NOT_APPROVED_AT_TIME"]],
      ["generation 1's record with generation 2's anchoring", { ...clone(receipts1[0]), ...anchoringOf(receipts2[0]) }, ["PROOF_INVALID", "VERSION_NOT_IN_BATCH", "TIME_OUTSIDE_BATCH", "VERSION_NOT_APPROVED_AT_TIME"]],
      ["generation 2's receipt naming generation 1's TraceAnchor", { ...clone(receipts2[0]), traceAnchor: receipts1[0].traceAnchor }, ["PROOF_INVALID", "ANCHOR_TX_MISMATCH", "ANCHOR_BLOCK_MISMATCH", "VERSION_NOT_IN_BATCH", "TIME_OUTSIDE_BATCH", "VERSION_NOT_APPROVED_AT_TIME"], true],
      ["generation 2's record and proof with generation 1's anchoring", { ...clone(receipts2[0]), ...anchoringOf(receipts1[0]) }, ["PROOF_INVALID", "VERSION_NOT_IN_BATCH", "TIME_OUTSIDE_BATCH", "VERSION_NOT_APPROVED_AT_TIME"], true],
    ];
    const store = await IndexStore.open(tempDb());
    const indexer = createIndexer({ provider: inProcess, deployment: migrated, store });
    await indexer.syncOnce();
    const app = createFastify({});
    await app.register(buildApp, { queries: createQueries(store), ledger: l2, deployment: migrated, provider: hre.ethers.provider, auth: AUTH, indexerStats: indexer.stats });
    await app.ready();
    try {
      const r = await app.inject({ method: "POST", url: "/verify", headers: { authorization: await bearerFor(app, l.auditor) }, payload: { receipts: named.map(([, x]) => x) } });
      expect(r.statusCode, r.body).toBe(200);
      const index = r.json().results as { reasons: { code: string }[] }[];
      const auditor = new Auditor(l2, migrated, hre.ethers.provider);
      const chain: string[][] = [];
      for (const [, x] of named) chain.push(codes(await auditor.verifyReceipt(x)));
      const got = named.map(([name], i) => ({ name, chain: chain[i], index: codes(index[i]) }));
      // The index judges consent too: the patient consented to hospital A in each generation, patient2 in none that counts.
      expect(got).toEqual(named.map(([name, , want, consent]) => ({ name, chain: want, index: consent ? [...want, "CONSENT_NOT_VALID_AT_TIME"] : want })));
    } finally {
      await app.close();
      await store.close();
    }
  });
});
