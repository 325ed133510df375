import { describe, it, expect } from "vitest";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { concat, hexlify, keccak256, randomBytes, Wallet } from "ethers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { expectRevert, eventsOf } from "../helpers/revert";
import { batch, deployed, h, modelWithVersion } from "../helpers/builders";
import { ClinicianAction, NUMBERS, Tier, VersionStatus, tierFor } from "../../src/constants";
import { batchIdOf, traceLeafValues, traceRecordHash } from "../../src/sdk/ids";
import { TraceTree, batchRootOf, traceLeafHash } from "../../src/sdk/traces/merkle";

type Rec = ReturnType<typeof record>;
function record(hospital: number, seq: number, modelVersion: string, confidenceBps = 9600, time = 1_700_000_000n + BigInt(seq)) {
  return {
    traceId: h("trace"), hospital, seq: BigInt(seq), modelVersion, subject: Wallet.createRandom().address,
    inputHash: h("in"), outputHash: h("out"), confidenceBps, tier: Tier[tierFor(confidenceBps)], action: ClinicianAction.ACCEPTED,
    clinicianHash: h("clin"), finalDecisionHash: h("final"), time, salt: hexlify(randomBytes(32)),
  };
}

/** The position-bound tree over records in the order given (position p = the p-th record). */
const treeOf = (records: Rec[]) => TraceTree.of(records.map((r) => traceLeafHash(traceLeafValues(r))));

/** Anchors `records` (hospital A) as one batch whose window is [fromTime, toTime]; `count` defaults to the records'. */
async function anchorRecords(l: Ledger, records: Rec[], versions: string[], o: { firstSeq?: number; count?: number; fromTime?: bigint; toTime?: bigint } = {}) {
  const tree = treeOf(records);
  const now = BigInt(await time.latest());
  const count = o.count ?? records.length;
  const b = await batch(o.firstSeq ?? 0, versions, { treeRoot: tree.treeRoot, count, fromTime: o.fromTime ?? now, toTime: o.toTime ?? now });
  const batchId = await l.traces.connect(l.hospitalA).anchorBatch.staticCall(b);
  await (await l.traces.connect(l.hospitalA).anchorBatch(b)).wait();
  return { tree, batchId };
}

async function anchored(l: Ledger, n: number, firstSeq = 0, versionId?: string) {
  const v = versionId ?? (await modelWithVersion(l, { approve: true, deploy: true })).versionId;
  const now = BigInt(await time.latest());
  const records = Array.from({ length: n }, (_, i) => record(ORG.HOSPITAL_A, firstSeq + i, v, 9600, now));
  return { versionId: v, records, ...(await anchorRecords(l, records, [v], { firstSeq })) };
}

describe("TraceAnchor", () => {
  describe("anchorBatch", () => {
    it("anchors contiguous batches, binds the count into the root, stores the header, and derives the batch id like the SDK", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
      const b0 = await batch(0, [versionId], { count: 10 });
      const ev = await eventsOf(l.traces.connect(l.hospitalA).anchorBatch(b0), l.traces);
      const root = batchRootOf(10, String(b0.treeRoot));
      expect(ev[0].name).toBe("BatchAnchored");
      expect(ev[0].args.slice(0, 5)).toEqual([batchIdOf(ORG.HOSPITAL_A, 0), BigInt(ORG.HOSPITAL_A), root, 0n, 10n]);
      expect(ev[0].args[7]).toEqual([versionId]);
      expect(ev[0].args[8]).toEqual([10n]); // versionCounts
      expect(await l.traces.batchRootOf(10, b0.treeRoot)).toBe(root);
      expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(10n);
      expect(await l.traces.batchRoot(batchIdOf(ORG.HOSPITAL_A, 0))).toBe(root);
      expect([...(await l.traces.batchHeader(batchIdOf(ORG.HOSPITAL_A, 0)))]).toEqual([root, BigInt(ORG.HOSPITAL_A), 0n, 10n, BigInt(b0.fromTime), BigInt(b0.toTime)]);
      expect(await l.traces.batchVersionCount(batchIdOf(ORG.HOSPITAL_A, 0), versionId)).toBe(10n);
      expect(await l.traces.lastToTime(ORG.HOSPITAL_A)).toBe(BigInt(b0.toTime));
      await (await l.traces.connect(l.hospitalA).anchorBatch(await batch(10, [versionId], { count: 1 }))).wait();
      // Hospitals have independent sequences.
      await (await l.traces.connect(l.hospitalB).anchorBatch(await batch(0, [versionId]))).wait();
      expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(11n);
    });

    it("refuses a batch that skips or repeats a sequence number", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
      await (await l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [versionId], { count: 10 }))).wait();
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(11, [versionId])), "TraceAnchorSequenceGap", [ORG.HOSPITAL_A, 10, 11]);
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(9, [versionId])), "TraceAnchorSequenceGap", [ORG.HOSPITAL_A, 10, 9]);
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [versionId])), "TraceAnchorSequenceGap", [ORG.HOSPITAL_A, 10, 0]);
    });

    it("refuses malformed batches", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
      const zero = "0x" + "00".repeat(32);
      const cases: [Parameters<typeof batch>[2], string, unknown[]][] = [
        [{ treeRoot: zero }, "TraceAnchorEmptyBatch", [zero, 10]],
        [{ count: 0 }, "TraceAnchorEmptyBatch", [expect.any(String), 0]],
        [{ versions: [] }, "TraceAnchorVersionListLength", [0, 64]],
        [{ versions: Array(65).fill(versionId) }, "TraceAnchorVersionListLength", [65, 64]],
        [{ versions: [versionId, versionId], versionCounts: [5, 5] }, "TraceAnchorDuplicateVersion", [versionId]],
      ];
      for (const [o, name, args] of cases) await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [versionId], o)), name, args);
    });

    it("windows never run backwards and stay within MAX_TRACE_AGE before and MAX_CLOCK_SKEW after block time (issue 20: 1970 and backwards windows passed)", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
      const anchor = async (from: bigint, to: bigint) => l.traces.connect(l.hospitalA).anchorBatch(await batch(await l.traces.nextSequence(ORG.HOSPITAL_A), [versionId], { fromTime: from, toTime: to }));
      // The next block is mined one second after the latest: bounds are computed from it.
      const next = async () => BigInt(await time.latest()) + 1n;
      const [age, skew] = [BigInt(NUMBERS.MAX_TRACE_AGE), BigInt(NUMBERS.MAX_CLOCK_SKEW)];
      const refused = async (from: bigint, to: bigint, previous: bigint) => {
        const t = await next();
        await time.setNextBlockTimestamp(t);
        await expectRevert(anchor(from, to), "TraceAnchorInvalidWindow", [from, to, previous, t - age, t + skew]);
      };
      let t = await next();
      await refused(0n, 1n, 0n); // 1970
      await refused(t - age - 10n, t, 0n); // older than the bound
      await refused(t, t - 1n, 0n); // inverted
      await refused(t, t + skew + 10n, 0n); // ahead of the chain
      t = await next();
      await time.setNextBlockTimestamp(t);
      await (await anchor(t - age, t + skew)).wait(); // both bounds inclusive
      expect(await l.traces.lastToTime(ORG.HOSPITAL_A)).toBe(t + skew);
      await refused(t, t + 1n, t + skew); // starts before the previous window ended
      await time.increase(Number(skew));
      t = await next();
      await time.setNextBlockTimestamp(t);
      await (await anchor(t, t)).wait(); // starts exactly where the previous ended (same second): fine
      // Another hospital's windows are its own.
      await (await l.traces.connect(l.hospitalB).anchorBatch(await batch(0, [versionId], { fromTime: t - 100n, toTime: t - 50n }))).wait();
      expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(20n);
    });

    it("refuses per-version counts that do not match the versions or do not add up to the count", async () => {
      const l = await loadFixture(ledgerFixture);
      const a = (await modelWithVersion(l, { approve: true, deploy: true })).versionId;
      const b = (await modelWithVersion(l, { approve: true, deploy: true })).versionId;
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
      expect([await l.traces.batchVersionCount(batchIdOf(ORG.HOSPITAL_A, 0), a), await l.traces.batchVersionCount(batchIdOf(ORG.HOSPITAL_A, 0), b)]).toEqual([7n, 3n]);
    });

    it("refuses versions that are not APPROVED when the batch is anchored", async () => {
      const l = await loadFixture(ledgerFixture);
      const ok = (await modelWithVersion(l, { approve: true, deploy: true })).versionId;
      const submitted = (await modelWithVersion(l)).versionId;
      const ghost = h("ghost");
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [ok, submitted])), "TraceAnchorVersionNotApproved", [submitted, VersionStatus.SUBMITTED]);
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [ghost])), "TraceAnchorVersionNotApproved", [ghost, VersionStatus.NONE]);
      await (await l.models.connect(l.regulator).suspendVersion(ok, h())).wait();
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [ok])), "TraceAnchorVersionNotApproved", [ok, VersionStatus.SUSPENDED]);
      await (await l.models.connect(l.regulator).recallVersion(ok, h())).wait();
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [ok])), "TraceAnchorVersionNotApproved", [ok, VersionStatus.RECALLED]);
    });

    it("refuses traces of a version the hospital never recorded as deployed (issue 20)", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await modelWithVersion(l, { approve: true });
      await deployed(l, versionId, [l.hospitalB]);
      expect(await l.models.isDeployed(versionId, ORG.HOSPITAL_B)).toBe(true);
      expect(await l.models.isDeployed(versionId, ORG.HOSPITAL_A)).toBe(false);
      await expectRevert(l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [versionId])), "TraceAnchorVersionNotDeployed", [versionId, ORG.HOSPITAL_A]);
      await (await l.traces.connect(l.hospitalB).anchorBatch(await batch(0, [versionId]))).wait();
      await deployed(l, versionId, [l.hospitalA]);
      await (await l.traces.connect(l.hospitalA).anchorBatch(await batch(0, [versionId]))).wait();
    });
  });

  describe("the root commits to the batch's size and each record's place (issue 20)", () => {
    it("a one-leaf root claiming 2^32-1 traces yields no verifiable record, at any position", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
      const now = BigInt(await time.latest());
      const only = record(ORG.HOSPITAL_A, 0, versionId, 9600, now);
      const count = 2 ** 32 - 1;
      const { tree, batchId } = await anchorRecords(l, [only], [versionId], { count });
      // The chain cannot see the tree: the sequence moves. But the anchored root is keccak(count, treeRoot),
      // so the lone record is not "the batch" any more, and no proof makes it a leaf of a 2^32-1 tree.
      expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(BigInt(count));
      expect(await l.traces.batchRoot(batchId)).toBe(batchRootOf(count, tree.treeRoot));
      expect(await l.traces.batchRoot(batchId)).not.toBe(tree.root);
      expect(await l.traces.verifyTraceRecord(batchId, only, [])).toBe(false);
      expect(await l.traces.verifyTrace(batchId, 0, traceRecordHash(only), [])).toBe(false);
      // A path of the right length for position 0 of a 2^32-1 tree (31 siblings) made of anything does not reach it either.
      expect(await l.traces.verifyTraceRecord(batchId, only, Array.from({ length: 31 }, () => h("sibling")))).toBe(false);
    });

    it("a record verifies only at its own position, and a holder of the batch's records detects a withheld one", async () => {
      const l = await loadFixture(ledgerFixture);
      const { records, tree, batchId } = await anchored(l, 5);
      for (let i = 0; i < records.length; i++) {
        for (let j = 0; j < records.length; j++) {
          // Record i's leaf with record i's proof, claimed at sequence j: only j = i holds.
          expect(await l.traces.verifyTrace(batchId, j, traceRecordHash(records[i]), tree.getProof(i)), `${i} at ${j}`).toBe(i === j);
        }
      }
      // Records in another order, or with one left out, make another root: the holder of the batch's records sees it.
      expect(treeOf(records).root).toBe(await l.traces.batchRoot(batchId));
      expect(treeOf([records[1], records[0], ...records.slice(2)]).root).not.toBe(await l.traces.batchRoot(batchId));
      expect(treeOf(records.filter((_, i) => i !== 3)).root).not.toBe(await l.traces.batchRoot(batchId));
    });
  });

  describe("verifyTrace", () => {
    it("the SDK's record hash and tree equal the contract's, and every leaf's proof verifies", async () => {
      const l = await loadFixture(ledgerFixture);
      const { records, tree, batchId } = await anchored(l, 7);
      for (let i = 0; i < records.length; i++) {
        const proof = tree.getProof(i);
        expect(await l.traces.traceRecordHash(records[i])).toBe(traceRecordHash(records[i]));
        // leaf = keccak256(keccak256(abi.encode(record))): the contract adds the outer hash.
        expect(keccak256(traceRecordHash(records[i]))).toBe(tree.leafHash(i));
        expect(await l.traces.verifyTrace(batchId, records[i].seq, traceRecordHash(records[i]), proof)).toBe(true);
        expect(await l.traces.verifyTraceRecord(batchId, records[i], proof)).toBe(true);
      }
    });

    it("a tampered record, a proof from another batch, a proof of the wrong length and an unknown batch do not verify", async () => {
      const l = await loadFixture(ledgerFixture);
      const a = await anchored(l, 4, 0);
      const b = await anchored(l, 4, 4, a.versionId);
      const proof = a.tree.getProof(1);
      expect(await l.traces.verifyTraceRecord(a.batchId, { ...a.records[1], confidenceBps: 9599 }, proof)).toBe(false);
      expect(await l.traces.verifyTraceRecord(a.batchId, { ...a.records[1], salt: hexlify(randomBytes(32)) }, proof)).toBe(false);
      expect(await l.traces.verifyTraceRecord(b.batchId, a.records[1], proof)).toBe(false);
      expect(await l.traces.verifyTraceRecord(a.batchId, b.records[1], b.tree.getProof(1))).toBe(false);
      expect(await l.traces.verifyTraceRecord(h("ghost"), a.records[1], proof)).toBe(false);
      expect(await l.traces.verifyTraceRecord(a.batchId, a.records[1], [...proof, h("extra")])).toBe(false);
      expect(await l.traces.verifyTraceRecord(a.batchId, a.records[1], proof.slice(1))).toBe(false);
    });

    it("verifyTraceRecord checks the record against its batch's header: hospital, sequence, window, versions (issue 20: all four passed)", async () => {
      const l = await loadFixture(ledgerFixture);
      const { versionId: v1 } = await modelWithVersion(l, { approve: true, deploy: true });
      const { versionId: v2 } = await modelWithVersion(l, { approve: true, deploy: true });
      const now = BigInt(await time.latest());
      // A non-conforming hospital's tree: each leaf in its place, four of them contradicting the header it anchors.
      const records = [
        record(ORG.HOSPITAL_A, 0, v1, 9600, now),
        record(ORG.HOSPITAL_B, 1, v1, 9600, now), // another hospital
        record(ORG.HOSPITAL_A, 99, v1, 9600, now), // a sequence outside the batch, at position 2
        record(ORG.HOSPITAL_A, 3, v1, 9600, now - 500n), // before the window
        record(ORG.HOSPITAL_A, 4, v2, 9600, now), // a version the batch does not declare
      ];
      const { tree, batchId } = await anchorRecords(l, records, [v1], { fromTime: now - 10n, toTime: now });
      expect(await l.traces.verifyTraceRecord(batchId, records[0], tree.getProof(0))).toBe(true);
      for (let i = 1; i < records.length; i++) {
        // The Merkle part holds at its position; the header check refuses it.
        expect(await l.traces.verifyTrace(batchId, i, traceRecordHash(records[i]), tree.getProof(i)), `leaf ${i}`).toBe(true);
        expect(await l.traces.verifyTraceRecord(batchId, records[i], tree.getProof(i)), `record ${i}`).toBe(false);
      }
      const late = record(ORG.HOSPITAL_A, 5, v1, 9600, now + 1n); // after the window
      const { batchId: lateBatch, tree: lateTree } = await anchorRecords(l, [late], [v1], { firstSeq: 5, fromTime: now, toTime: now });
      expect(await l.traces.verifyTrace(lateBatch, 5, traceRecordHash(late), lateTree.getProof(0))).toBe(true);
      expect(await l.traces.verifyTraceRecord(lateBatch, late, lateTree.getProof(0))).toBe(false);
    });

    it("an internal node presented as a leaf does not verify", async () => {
      const l = await loadFixture(ledgerFixture);
      const { tree, batchId, records } = await anchored(l, 4);
      const proof = tree.getProof(0);
      // Leaf 0 is node 3, a left child: its parent is keccak(leaf0 ‖ leaf1).
      const internal = keccak256(concat([tree.leafHash(0), proof[0]]));
      expect(keccak256(concat([internal, proof[1]]))).toBe(tree.treeRoot);
      expect(await l.traces.verifyTrace(batchId, records[0].seq, internal, proof.slice(1))).toBe(false);
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
