import { describe, it, expect } from "vitest";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { concat, hexlify, keccak256, randomBytes, Wallet } from "ethers";
import { ledgerFixture, ORG, type Ledger } from "./helpers/fixture";
import { expectRevert, eventsOf } from "./helpers/revert";
import { batch, h, modelWithVersion } from "./helpers/builders";
import { ClinicianAction, Tier, VersionStatus, tierFor } from "../src/constants";
import { TRACE_LEAF_ENCODING, batchIdOf, traceLeafValues, traceRecordHash } from "../src/sdk/ids";

function record(hospital: number, seq: number, modelVersion: string, confidenceBps = 9600) {
  return {
    traceId: h("trace"), hospital, seq: BigInt(seq), modelVersion, subject: Wallet.createRandom().address,
    inputHash: h("in"), outputHash: h("out"), confidenceBps, tier: Tier[tierFor(confidenceBps)], action: ClinicianAction.ACCEPTED,
    clinicianHash: h("clin"), finalDecisionHash: h("final"), time: 1_700_000_000n + BigInt(seq), salt: hexlify(randomBytes(32)),
  };
}

async function anchored(l: Ledger, n: number, firstSeq = 0) {
  const { versionId } = await modelWithVersion(l, { approve: true });
  const records = Array.from({ length: n }, (_, i) => record(ORG.HOSPITAL_A, firstSeq + i, versionId));
  const tree = StandardMerkleTree.of(records.map(traceLeafValues), [...TRACE_LEAF_ENCODING]);
  const b = await batch(firstSeq, [versionId], { root: tree.root, count: n });
  const batchId = await l.traces.connect(l.hospitalA).anchorBatch.staticCall(b);
  await (await l.traces.connect(l.hospitalA).anchorBatch(b)).wait();
  return { versionId, records, tree, batchId };
}

describe("TraceAnchor", () => {
  describe("anchorBatch", () => {
    it("anchors contiguous batches and derives the batch id like the SDK", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await modelWithVersion(l, { approve: true });
      const b0 = await batch(0, [versionId], { count: 10 });
      const ev = await eventsOf(l.traces.connect(l.hospitalA).anchorBatch(b0), l.traces);
      expect(ev[0].name).toBe("BatchAnchored");
      expect(ev[0].args.slice(0, 5)).toEqual([batchIdOf(ORG.HOSPITAL_A, 0), BigInt(ORG.HOSPITAL_A), b0.root, 0n, 10n]);
      expect(ev[0].args[7]).toEqual([versionId]);
      expect(ev[0].args[8]).toEqual([10n]); // versionCounts
      expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(10n);
      expect(await l.traces.batchRoot(batchIdOf(ORG.HOSPITAL_A, 0))).toBe(b0.root);
      await (await l.traces.connect(l.hospitalA).anchorBatch(await batch(10, [versionId], { count: 1 }))).wait();
      // Hospitals have independent sequences.
      await (await l.traces.connect(l.hospitalB).anchorBatch(await batch(0, [versionId]))).wait();
      expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(11n);
    });

    it("refuses a batch that skips or repeats a sequence number", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await modelWithVersion(l, { approve: true });
      await (await l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [versionId], { count: 10 }))).wait();
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(11, [versionId])), "TraceAnchorSequenceGap", [ORG.HOSPITAL_A, 10, 11]);
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(9, [versionId])), "TraceAnchorSequenceGap", [ORG.HOSPITAL_A, 10, 9]);
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [versionId])), "TraceAnchorSequenceGap", [ORG.HOSPITAL_A, 10, 0]);
    });

    it("refuses malformed batches", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await modelWithVersion(l, { approve: true });
      const now = BigInt(await time.latest());
      for (const o of [
        { root: "0x" + "00".repeat(32) },
        { count: 0 },
        { fromTime: now, toTime: now - 1n },
        { toTime: now + 10_000n },
        { versions: [] },
        { versions: Array(65).fill(versionId) },
      ]) {
        await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [versionId], o)), "TraceAnchorInvalidBatch");
      }
    });

    it("refuses per-version counts that do not match the versions or do not add up to the count", async () => {
      const l = await loadFixture(ledgerFixture);
      const a = (await modelWithVersion(l, { approve: true })).versionId;
      const b = (await modelWithVersion(l, { approve: true })).versionId;
      const anchor = async (o: Parameters<typeof batch>[2]) => l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [a, b], { count: 10, ...o }));
      await expectRevert(anchor({ versionCounts: [10] }), "TraceAnchorVersionCountsMismatch", [2, 1, 0, 10]);
      await expectRevert(anchor({ versionCounts: [5, 4, 1] }), "TraceAnchorVersionCountsMismatch", [2, 3, 0, 10]);
      await expectRevert(anchor({ versionCounts: [6, 5] }), "TraceAnchorVersionCountsMismatch", [2, 2, 11, 10]);
      await expectRevert(anchor({ versionCounts: [5, 4] }), "TraceAnchorVersionCountsMismatch", [2, 2, 9, 10]);
      await expectRevert(anchor({ versionCounts: [10, 0] }), "TraceAnchorZeroVersionCount", [b]);
      await expectRevert(anchor({ versionCounts: [2 ** 32 - 1, 11] }), "TraceAnchorVersionCountsMismatch", [2, 2, 2 ** 32 + 10, 10]); // the sum does not wrap
      const ev = await eventsOf(anchor({ versionCounts: [7, 3] }), l.traces);
      expect([ev[0].args[7], ev[0].args[8]]).toEqual([[a, b], [7n, 3n]]);
      expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(10n);
    });

    it("refuses versions that are not APPROVED when the batch is anchored", async () => {
      const l = await loadFixture(ledgerFixture);
      const ok = (await modelWithVersion(l, { approve: true })).versionId;
      const submitted = (await modelWithVersion(l)).versionId;
      const ghost = h("ghost");
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [ok, submitted])), "TraceAnchorVersionNotApproved", [submitted, VersionStatus.SUBMITTED]);
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [ghost])), "TraceAnchorVersionNotApproved", [ghost, VersionStatus.NONE]);
      await (await l.models.connect(l.regulator).suspendVersion(ok, h())).wait();
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [ok])), "TraceAnchorVersionNotApproved", [ok, VersionStatus.SUSPENDED]);
      await (await l.models.connect(l.regulator).recallVersion(ok, h())).wait();
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [ok])), "TraceAnchorVersionNotApproved", [ok, VersionStatus.RECALLED]);
    });
  });

  describe("verifyTrace", () => {
    it("the SDK's record hash equals the contract's, and every leaf's proof verifies", async () => {
      const l = await loadFixture(ledgerFixture);
      const { records, tree, batchId } = await anchored(l, 7);
      for (const [i, values] of tree.entries()) {
        const proof = tree.getProof(i);
        expect(await l.traces.traceRecordHash(records[i])).toBe(traceRecordHash(records[i]));
        // StandardMerkleTree leaf = keccak256(keccak256(abi.encode(record))): the contract adds the outer hash.
        expect(keccak256(traceRecordHash(records[i]))).toBe(tree.leafHash(values));
        expect(await l.traces.verifyTrace(batchId, traceRecordHash(records[i]), proof)).toBe(true);
        expect(await l.traces.verifyTraceRecord(batchId, records[i], proof)).toBe(true);
      }
    });

    it("a tampered record, a proof from another batch and an unknown batch do not verify", async () => {
      const l = await loadFixture(ledgerFixture);
      const a = await anchored(l, 4, 0);
      const b = await anchored(l, 4, 4);
      const proof = a.tree.getProof(1);
      expect(await l.traces.verifyTraceRecord(a.batchId, { ...a.records[1], confidenceBps: 9599 }, proof)).toBe(false);
      expect(await l.traces.verifyTraceRecord(a.batchId, { ...a.records[1], salt: hexlify(randomBytes(32)) }, proof)).toBe(false);
      expect(await l.traces.verifyTraceRecord(b.batchId, a.records[1], proof)).toBe(false);
      expect(await l.traces.verifyTraceRecord(a.batchId, b.records[1], b.tree.getProof(1))).toBe(false);
      expect(await l.traces.verifyTraceRecord(h("ghost"), a.records[1], proof)).toBe(false);
    });

    it("an internal node presented as a leaf does not verify", async () => {
      const l = await loadFixture(ledgerFixture);
      const { tree, batchId } = await anchored(l, 4);
      const proof = tree.getProof(0);
      const leaf = tree.leafHash([...tree.at(0)!]);
      const [x, y] = [leaf, proof[0]].sort();
      const internal = keccak256(concat([x, y]));
      // A single-hash verifier would accept it: the internal node plus the rest of the proof reaches the root.
      const [p, q] = [internal, proof[1]].sort();
      expect(keccak256(concat([p, q]))).toBe(tree.root);
      expect(await l.traces.verifyTrace(batchId, internal, proof.slice(1))).toBe(false);
    });

    it("a single critical trace can be anchored alone", async () => {
      const l = await loadFixture(ledgerFixture);
      const { tree, batchId, records } = await anchored(l, 1);
      expect(tree.getProof(0)).toEqual([]);
      expect(await l.traces.verifyTraceRecord(batchId, records[0], [])).toBe(true);
    });
  });

  describe("tierFor", () => {
    it("agrees with the TypeScript rule at every boundary and across the range", async () => {
      const l = await loadFixture(ledgerFixture);
      const values = [0, 1, 7999, 8000, 8001, 9499, 9500, 9501, 10000, ...Array.from({ length: 100 }, (_, i) => i * 101)];
      for (const v of values) expect(Number(await l.traces.tierFor(v))).toBe(Tier[tierFor(v)]);
    });
  });
});
