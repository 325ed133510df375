/**
 * An outside auditor's attacks on receipt verification (docs/receipt.md), each judged three ways
 * that must agree: by chain (the SDK's Auditor, as `medprov receipt verify` runs it), by index
 * (`POST /verify`, which adds consent at the time) and by the normative verifier printed in
 * docs/receipt.md. The ledger: one version approved at a known second, suspended and reinstated
 * at known seconds; consents granted, revoked and expiring at known seconds; hospital A anchors
 * traces stamped on and beside every one of those boundaries, hospital B a batch of its own and a
 * batch whose anchored size lies. Every case names the reasons it must get; a fast-check property
 * then tampers receipts at random and holds the three verdicts to each other; receipts as JSON text
 * probe strict parsing. Two findings were fixed with these tests: a proof walk that lost bits past
 * 2^31 (merkle.ts) and a confidence above 10000 bps (receipt.ts): see their tests. The last describe
 * records what verification does not check: the hospital's standing at the trace's time.
 */
import { describe, it, expect } from "vitest";
import type { FastifyInstance } from "fastify";
import hre from "hardhat";
import fc from "fast-check";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { concat, hexlify, keccak256, randomBytes, type ContractTransactionResponse } from "ethers";
import { GOVERNANCE_DELAY, ORG, ledgerFixture, type Ledger } from "../helpers/fixture";
import { INDICATIONS, deployed, modelWithVersion } from "../helpers/builders";
import { traceInput } from "../helpers/traces";
import { deploymentOf } from "../helpers/indexing";
import { sessionFor } from "../helpers/api-fixture";
import { readOnly, seeded, serve } from "../helpers/api-build";
import { docVerifier } from "../helpers/third-party-verify";
import { Auditor, batchIdOf, receiptFor, recordToJson, sealTrace, traceLeafValues, type TraceReceipt, type TraceRecord } from "../../src/sdk";
import { TraceTree, traceLeafHash } from "../../src/sdk/traces/merkle";
import { Purpose, RiskClass } from "../../src/constants";

type Json = Record<string, unknown>;

const CDS = Purpose.CLINICAL_DECISION_SUPPORT;
const leafHex = (record: object) => "0x" + Buffer.from(traceLeafHash(traceLeafValues(record))).toString("hex");

/** Anchors `records` (in position order) as one batch of `signer`'s hospital; their receipts. */
async function anchor(l: Ledger, signer: Ledger["hospitalA"], hospital: number, records: TraceRecord[], versionId: string): Promise<TraceReceipt[]> {
  const tree = TraceTree.of(records.map((r) => traceLeafHash(traceLeafValues(r))));
  const times = records.map((r) => r.time);
  const [fromTime, toTime] = [times.reduce((a, b) => (a < b ? a : b)), times.reduce((a, b) => (a > b ? a : b))];
  const firstSeq = records[0].seq;
  const mined = (await (await l.traces.connect(signer).anchorBatch({ treeRoot: tree.treeRoot, firstSeq, count: records.length, fromTime, toTime, versions: [versionId], versionCounts: [records.length] })).wait())!;
  const deployment = await deploymentOf(l);
  return records.map((r, i) => receiptFor({ record: recordToJson(r), proof: tree.getProof(i), leaf: tree.leafHash(i), batchId: batchIdOf(hospital, firstSeq), anchorTx: mined.hash, blockNumber: mined.blockNumber }, deployment));
}

/**
 * The ledger of the attacks. Times are chain seconds from t0 (the version's approval):
 * -50 `anyone` grants CLINICAL_DECISION_SUPPORT to any member; 0 approval; 100 the patient grants it
 * to hospital A until 400; 150 patient2 grants it to A, revoked at 200; 160 the guardian grants
 * RESEARCH (only) to A and the outsider CLINICAL_DECISION_SUPPORT to B (only); 250 `flicker` grants
 * and (next block, same second) revokes; 300 suspended, 350 reinstated; 420 suspended and (next
 * block, same second) reinstated. At 500 hospital A anchors one trace per boundary case.
 */
async function attackSeed() {
  const l = await ledgerFixture();
  const { versionId: v } = await modelWithVersion(l);
  const t0 = (await time.latest()) + 1000;
  const at = async (t: number, send: () => Promise<ContractTransactionResponse>) => {
    await time.setNextBlockTimestamp(t);
    await (await send()).wait();
  };
  const [anyone, flicker] = [l.spare[1], l.spare[2]];
  const far = t0 + 10 ** 6;
  await at(t0 - 50, () => l.consents.connect(anyone).grantConsent(anyone.address, CDS, 0, far));
  await at(t0, () => l.models.connect(l.regulator).approveVersion(v, "NMPA-ATTACK", RiskClass.HIGH, INDICATIONS));
  await deployed(l, v);
  await at(t0 + 100, () => l.consents.connect(l.patient).grantConsent(l.patient.address, CDS, ORG.HOSPITAL_A, t0 + 400));
  await at(t0 + 150, () => l.consents.connect(l.patient2).grantConsent(l.patient2.address, CDS, ORG.HOSPITAL_A, far));
  await at(t0 + 160, () => l.consents.connect(l.guardian).grantConsent(l.guardian.address, Purpose.RESEARCH, ORG.HOSPITAL_A, far));
  await at(t0 + 161, () => l.consents.connect(l.outsider).grantConsent(l.outsider.address, CDS, ORG.HOSPITAL_B, far));
  await at(t0 + 200, () => l.consents.connect(l.patient2).revokeConsent(l.patient2.address, CDS, ORG.HOSPITAL_A));
  await at(t0 + 250, () => l.consents.connect(flicker).grantConsent(flicker.address, CDS, ORG.HOSPITAL_A, far));
  await at(t0 + 250, () => l.consents.connect(flicker).revokeConsent(flicker.address, CDS, ORG.HOSPITAL_A));
  await at(t0 + 300, () => l.models.connect(l.regulator).suspendVersion(v, keccak256("0x01")));
  await at(t0 + 350, () => l.models.connect(l.regulator).reinstateVersion(v, keccak256("0x02")));
  await at(t0 + 420, () => l.models.connect(l.regulator).suspendVersion(v, keccak256("0x03")));
  await at(t0 + 420, () => l.models.connect(l.regulator).reinstateVersion(v, keccak256("0x04")));
  await time.setNextBlockTimestamp(t0 + 500);

  // [name, subject, seconds from t0, the reasons by chain, whether the index adds CONSENT_NOT_VALID_AT_TIME]
  const plan: [string, string, number, string[], boolean][] = [
    ["decided one second before the version's approval", anyone.address, -1, ["VERSION_NOT_APPROVED_AT_TIME"], false],
    ["decided in the approval's second", anyone.address, 0, [], false],
    ["decided one second before the consent was granted", l.patient.address, 99, [], true],
    ["decided in the grant's second", l.patient.address, 100, [], false],
    ["decided in the consent's last second", l.patient.address, 399, [], false],
    ["decided in the second the consent expired", l.patient.address, 400, [], true],
    ["decided one second before the revocation", l.patient2.address, 199, [], false],
    ["decided in the revocation's second", l.patient2.address, 200, [], true],
    ["decided under a consent for another purpose (RESEARCH)", l.guardian.address, 200, [], true],
    ["decided under a consent to another hospital", l.outsider.address, 200, [], true],
    ["decided in the second a consent was granted and revoked in two blocks", flicker.address, 250, [], true],
    ["decided one second before the suspension", anyone.address, 299, [], false],
    ["decided in the suspension's second", anyone.address, 300, ["VERSION_NOT_APPROVED_AT_TIME"], false],
    ["decided while suspended", anyone.address, 349, ["VERSION_NOT_APPROVED_AT_TIME"], false],
    ["decided in the reinstatement's second", anyone.address, 350, [], false],
    ["decided in the second of a suspension and a reinstatement in two blocks", anyone.address, 420, [], false],
  ];
  const records = plan.map(([, subject, dt], i) => sealTrace(traceInput(v, { subject, time: t0 + dt }), ORG.HOSPITAL_A, BigInt(i)));
  const receiptsA = await anchor(l, l.hospitalA, ORG.HOSPITAL_A, records, v);
  const now = await time.latest();
  const recordsB = [l.outsider.address, l.patient.address, l.outsider.address].map((subject, i) => sealTrace(traceInput(v, { subject, time: now }), ORG.HOSPITAL_B, BigInt(i)));
  // A non-conforming hospital's record: a confidence of 655.35% (a uint16, but no confidence), tier REVIEW.
  recordsB[2].confidenceBps = 65_535;
  const receiptsB = await anchor(l, l.hospitalB, ORG.HOSPITAL_B, recordsB, v);
  const forged = await forgedSize(l, v, now);
  return {
    l, v, t0,
    cases: plan.map(([name, , , chain, consent], i) => ({ name, receipt: receiptsA[i], chain, consent })),
    receiptsA, receiptsB, forged,
  };
}

/**
 * Hospital B anchors a batch whose root commits to 2^32 − 1 traces over a made-up "tree" of one
 * record and one sibling; the record is at position 0, whose real path has 32 steps. Its receipt
 * carries the one sibling. Neither the contract nor the normative procedure finds the record in
 * such a batch; a verifier whose walk up the tree loses bits past 2^31 would.
 */
async function forgedSize(l: Ledger, v: string, now: number): Promise<TraceReceipt> {
  const count = 2 ** 32 - 1;
  const record = sealTrace(traceInput(v, { subject: l.outsider.address, time: now }), ORG.HOSPITAL_B, 3n);
  const leaf = leafHex(record);
  const sibling = hexlify(randomBytes(32));
  // Node count − 1 is even: a right child, so its sibling goes on the left.
  const treeRoot = keccak256(concat([sibling, leaf]));
  const mined = (await (await l.traces.connect(l.hospitalB).anchorBatch({ treeRoot, firstSeq: 3n, count, fromTime: now, toTime: now, versions: [v], versionCounts: [count] })).wait())!;
  return receiptFor({ record: recordToJson(record), proof: [sibling], leaf, batchId: batchIdOf(ORG.HOSPITAL_B, 3n), anchorTx: mined.hash, blockNumber: mined.blockNumber }, await deploymentOf(l));
}

const codes = (r: { reasons: ({ code: string } | string)[] }) => r.reasons.map((x) => (typeof x === "string" ? x : x.code));

/** A judge of receipts: their reason codes by chain, by index (POST /verify) and by docs/receipt.md's procedure. */
async function judgeOf(w: { l: Ledger; app: FastifyInstance }) {
  const deployment = await deploymentOf(w.l);
  const auditor = () => new Auditor(w.l, deployment, hre.ethers.provider);
  const doc = await docVerifier();
  const manifest = { chainId: deployment.chainId, deploymentBlock: 0, addresses: { traces: deployment.addresses.traces, models: deployment.addresses.models } };
  const authorization = `Bearer ${await sessionFor(w.app, w.l.auditor)}`;
  return async (receipts: unknown[]) => {
    const r = await w.app.inject({ method: "POST", url: "/verify", headers: { authorization }, payload: { receipts } });
    expect(r.statusCode, r.body).toBe(200);
    const index = r.json().results as { valid: boolean; reasons: { code: string }[] }[];
    const byChain = auditor();
    const out = [];
    for (const [i, receipt] of receipts.entries()) {
      const chain = await byChain.verifyReceipt(receipt);
      const normative = await doc.verifyReceipt(receipt, hre.ethers.provider, manifest);
      out.push({ chain: codes(chain), index: codes(index[i]), doc: normative.reasons, valid: { chain: chain.valid, index: index[i].valid, doc: normative.valid } });
    }
    return out;
  };
}
const judge = async (w: { l: Ledger; app: FastifyInstance }, receipts: unknown[]) => (await judgeOf(w))(receipts);

describe("receipt verification under attack: chain, index and the normative procedure agree", () => {
  const api = readOnly(attackSeed);

  it("a batch whose root claims 2^32 − 1 traces over a one-sibling tree: PROOF_INVALID by chain and by index, as by the contract and the normative procedure", async () => {
    const w = await api();
    const [v] = await judge(w, [w.forged]);
    const onChain = await w.l.traces.verifyTraceRecord(w.forged.batchId, { ...w.forged.record }, w.forged.proof);
    expect(onChain).toBe(false);
    expect({ doc: v.doc, chain: v.chain, index: v.index }).toEqual({ doc: ["PROOF_INVALID"], chain: ["PROOF_INVALID"], index: ["PROOF_INVALID"] });
  });

  it("every boundary of approval, suspension, grant, revocation and expiry, same second and same block included: the named reasons, the same by chain, by index and by the procedure", async () => {
    const w = await api();
    const verdicts = await judge(w, w.cases.map((c) => c.receipt));
    const got = w.cases.map((c, i) => ({ name: c.name, ...verdicts[i] }));
    const want = w.cases.map((c) => ({ name: c.name, chain: c.chain, doc: c.chain, index: c.consent ? [...c.chain, "CONSENT_NOT_VALID_AT_TIME"] : c.chain, valid: { chain: c.chain.length === 0, doc: c.chain.length === 0, index: c.chain.length === 0 && !c.consent } }));
    expect(got).toEqual(want);
  });

  it("hospital B's own batch: its patient's trace VALID; a subject whose consent names hospital A only is not consented at B; a confidence above 10000 bps, anchored as it is, RECEIPT_MALFORMED by all three", async () => {
    const w = await api();
    const [ok, other, overconfident] = await judge(w, w.receiptsB);
    expect(ok).toEqual({ chain: [], index: [], doc: [], valid: { chain: true, index: true, doc: true } });
    expect(other).toEqual({ chain: [], index: ["CONSENT_NOT_VALID_AT_TIME"], doc: [], valid: { chain: true, index: false, doc: true } });
    // Before: the Auditor threw (tierFor's RangeError: `medprov receipt verify` stopped), POST /verify said
    // RECEIPT_MALFORMED by its catch-all, and the normative procedure said VALID (REVIEW at ≥ 9500).
    expect(overconfident).toEqual({ chain: ["RECEIPT_MALFORMED"], index: ["RECEIPT_MALFORMED"], doc: ["RECEIPT_MALFORMED"], valid: { chain: false, index: false, doc: false } });
    const chain = await new Auditor(w.l, await deploymentOf(w.l), hre.ethers.provider).verifyReceipt(w.receiptsB[2]);
    expect(chain.reasons[0].message).toMatch(/record\.confidenceBps .*10000/);
  });

  /** Each receipt must be INVALID by all three; by chain and by the procedure with the same reasons; by index with those (and consent). */
  function expectAgreedInvalid(named: [string, unknown][], verdicts: Awaited<ReturnType<typeof judge>>) {
    const got = named.map(([name], i) => ({ name, valid: verdicts[i].valid, doc: verdicts[i].doc, index: verdicts[i].index.filter((c) => c !== "CONSENT_NOT_VALID_AT_TIME") }));
    const want = named.map(([name], i) => ({ name, valid: { chain: false, index: false, doc: false }, doc: verdicts[i].chain, index: verdicts[i].chain }));
    expect(got).toEqual(want);
  }

  it("tampered receipts (another leaf's proof, another batch, each field altered with the leaf recomputed, proofs one too long or short): INVALID by all three, for the same reasons", async () => {
    const w = await api();
    const base = w.receiptsA[1]; // VALID: decided in the approval's second
    const other = w.receiptsA[3];
    const [b0] = w.receiptsB;
    const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
    /** The receipt with record fields changed and its leaf recomputed (so only the anchoring can tell). */
    const altered = (patch: Json, r: TraceReceipt = base) => {
      const record = { ...clone(r.record), ...patch };
      return { ...clone(r), record, leaf: leafHex(record) };
    };
    const named: [string, unknown][] = [
      ["another leaf's proof", { ...clone(base), proof: other.proof }],
      ["another leaf's leaf and proof", { ...clone(base), leaf: other.leaf, proof: other.proof }],
      ["another hospital's batch id", { ...clone(base), batchId: b0.batchId }],
      ["another hospital's batch: id, transaction and block", { ...clone(base), batchId: b0.batchId, anchorTx: b0.anchorTx, blockNumber: b0.blockNumber }],
      ["the record claimed by the other hospital, in its batch", { ...altered({ hospital: ORG.HOSPITAL_B }), batchId: b0.batchId, anchorTx: b0.anchorTx, blockNumber: b0.blockNumber }],
      ["time one second later", altered({ time: String(BigInt(base.record.time) + 1n) })],
      ["time outside the window", altered({ time: String(BigInt(base.record.time) + 10_000n) })],
      ["another subject (consented)", altered({ subject: w.l.patient.address })],
      ["another model version", altered({ modelVersion: keccak256("0xbeef") })],
      ["another hospital", altered({ hospital: ORG.HOSPITAL_B })],
      ["the next sequence", altered({ seq: String(BigInt(base.record.seq) + 1n) })],
      ["a sequence past the batch", altered({ seq: "16" })],
      ["the largest sequence", altered({ seq: (2n ** 64n - 1n).toString() })],
      ["a lower confidence, tier kept", altered({ confidenceBps: 7000 })],
      ["takeover tier, accepted", altered({ confidenceBps: 7000, tier: 3 })],
      ["a sibling added to the proof", { ...clone(base), proof: [...base.proof, base.proof[0]] }],
      ["the proof's last sibling dropped", { ...clone(base), proof: base.proof.slice(0, -1) }],
      ["an empty proof", { ...clone(base), proof: [] }],
      ["the proof's siblings reversed", { ...clone(base), proof: [...base.proof].reverse() }],
      ["the neighbour's sequence with the neighbour's proof", { ...altered({ seq: other.record.seq }), proof: other.proof }],
      ["the forged size batch's record moved to position 1", { ...altered({ seq: "4" }, w.forged) }],
    ];
    expectAgreedInvalid(named, await judge(w, named.map(([, r]) => r)));
  });

  it("property: receipts tampered at random (fields from other receipts and edge values, leaf recomputed or not, proofs and anchoring swapped) get the same verdict and reasons by chain, by index and by the procedure", async () => {
    const w = await api();
    const judgeNow = await judgeOf(w);
    const all: TraceReceipt[] = [...w.receiptsA, ...w.receiptsB, w.forged];
    const pool = (k: string) => [...new Set(all.map((r) => JSON.stringify((r.record as unknown as Json)[k])))].map((x) => JSON.parse(x));
    const edges: Record<string, unknown[]> = {
      seq: ["0", "1", "15", "16", "3", (2n ** 64n - 1n).toString()], time: ["0", String(w.t0 + 100), String(w.t0 + 400), (2n ** 64n - 1n).toString()],
      hospital: [0, 1, 2, 6, 2 ** 32 - 1], confidenceBps: [0, 7999, 8000, 9499, 9500, 10000, 10001, 65535], tier: [1, 2, 3], action: [1, 2, 3, 4],
      subject: [w.l.patient.address, w.l.patient.address.toLowerCase(), w.l.outsider.address], modelVersion: [keccak256("0x01")],
    };
    const fieldArb = fc.constantFrom(...Object.keys(w.receiptsA[0].record)).chain((k) => fc.tuple(fc.constant(k), fc.constantFrom(...pool(k), ...(edges[k] ?? [])), fc.boolean()));
    const mutation = fc.oneof(
      fieldArb.map(([k, value, recompute]) => (r: Json) => {
        const record = { ...(r.record as Json), [k]: value };
        return { ...r, record, leaf: recompute ? leafHex(record) : r.leaf };
      }),
      fc.nat(all.length - 1).map((j) => (r: Json) => ({ ...r, proof: all[j].proof })),
      fc.nat(all.length - 1).map((j) => (r: Json) => ({ ...r, leaf: all[j].leaf })),
      fc.nat(all.length - 1).map((j) => (r: Json) => ({ ...r, batchId: all[j].batchId })),
      fc.nat(all.length - 1).map((j) => (r: Json) => ({ ...r, batchId: all[j].batchId, anchorTx: all[j].anchorTx, blockNumber: all[j].blockNumber })),
      fc.constant((r: Json) => ({ ...r, proof: (r.proof as string[]).slice(1) })),
      fc.constant((r: Json) => ({ ...r, proof: [...(r.proof as string[]), keccak256("0x")] })),
      fc.constant((r: Json) => ({ ...r, proof: [...(r.proof as string[])].reverse() })),
    );
    const tampered = fc.tuple(fc.nat(all.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([i, ms]) => ms.reduce((r, m) => m(r), JSON.parse(JSON.stringify(all[i])) as Json));
    await fc.assert(
      fc.asyncProperty(fc.array(tampered, { minLength: 10, maxLength: 10 }), async (receipts) => {
        const verdicts = await judgeNow(receipts);
        for (const v of verdicts) {
          expect(v.doc).toEqual(v.chain);
          expect(v.index.filter((c) => c !== "CONSENT_NOT_VALID_AT_TIME")).toEqual(v.chain);
          expect(v.valid.doc).toBe(v.valid.chain);
          expect(v.valid.index).toBe(v.valid.chain && !v.index.includes("CONSENT_NOT_VALID_AT_TIME"));
        }
      }),
      { numRuns: 20 },
    );
  });

  it("receipts as JSON text: extra keys, upper- and mixed-case hex, numbers as strings and strings as numbers, huge numbers and __proto__ are RECEIPT_MALFORMED by chain and by index; 1.0, 1e0 and \\u escapes read as the canonical value; a duplicate key is read as its last occurrence by all three", async () => {
    const w = await api();
    const judgeNow = await judgeOf(w);
    const base = w.receiptsA[1];
    const text = JSON.stringify(base);
    const recordText = JSON.stringify(base.record);
    const withRecord = (rec: string) => text.replace(recordText, rec);
    const upperHex = (h: string) => "0x" + h.slice(2).toUpperCase();
    const mixedHex = (h: string) => h.slice(0, 10) + h.slice(10, 20).toUpperCase() + h.slice(20);
    const malformed: [string, string][] = [
      ["an extra top-level key", text.replace("{", '{"note":"x",')],
      ["an extra record key", withRecord(recordText.replace("{", '{"purpose":2,'))],
      ["a record key in another case", withRecord(recordText.replace('"subject"', '"Subject"'))],
      ["upper-case batch id", text.replace(base.batchId, upperHex(base.batchId))],
      ["mixed-case leaf", text.replace(base.leaf, mixedHex(base.leaf))],
      ["mixed-case proof element", text.replace(base.proof[0], mixedHex(base.proof[0]))],
      ["upper-case model version", withRecord(recordText.replace(base.record.modelVersion, upperHex(base.record.modelVersion)))],
      ["an all upper-case subject", withRecord(recordText.replace(base.record.subject, upperHex(base.record.subject)))],
      ["hospital as a string", withRecord(recordText.replace(`"hospital":${base.record.hospital}`, `"hospital":"${base.record.hospital}"`))],
      ["seq as a number", withRecord(recordText.replace(`"seq":"${base.record.seq}"`, `"seq":${base.record.seq}`))],
      ["time as a number", withRecord(recordText.replace(`"time":"${base.record.time}"`, `"time":${base.record.time}`))],
      ["time with a leading zero", withRecord(recordText.replace(`"time":"${base.record.time}"`, `"time":"0${base.record.time}"`))],
      ["time past 2^64 - 1", withRecord(recordText.replace(`"time":"${base.record.time}"`, `"time":"${2n ** 64n}"`))],
      ["hospital past uint32", withRecord(recordText.replace(`"hospital":${base.record.hospital}`, `"hospital":${2 ** 32}`))],
      ["confidence past uint16", withRecord(recordText.replace(`"confidenceBps":${base.record.confidenceBps}`, '"confidenceBps":65536'))],
      ["chain id 1e400", text.replace(`"chainId":${base.chainId}`, '"chainId":1e400')],
      ["block number past 2^53", text.replace(`"blockNumber":${base.blockNumber}`, '"blockNumber":9007199254740993')],
      ["chain id as a string", text.replace(`"chainId":${base.chainId}`, `"chainId":"${base.chainId}"`)],
      ["a one-element array for the leaf", text.replace(`"leaf":"${base.leaf}"`, `"leaf":["${base.leaf}"]`)],
      ["a null proof", text.replace(/"proof":\[[^\]]*\]/, '"proof":null')],
      ["the retired format /1", text.replace("medprov-trace-receipt/2", "medprov-trace-receipt/1")],
      ["format /3 with a format-1 record", text.replace("medprov-trace-receipt/2", "medprov-trace-receipt/3")],
    ];
    const parsed = malformed.map(([, t]) => JSON.parse(t));
    const verdicts = await judgeNow(parsed);
    expect(malformed.map(([name], i) => [name, verdicts[i].chain, verdicts[i].index, verdicts[i].doc])).toEqual(malformed.map(([name]) => [name, ["RECEIPT_MALFORMED"], ["RECEIPT_MALFORMED"], ["RECEIPT_MALFORMED"]]));

    // Spellings JSON.parse cannot tell from the canonical one, so they verify as it does (docs/receipt.md's "exactly one
    // accepted spelling" holds for parsed values only: a parser that keeps 1.0 apart from 1 would refuse these).
    const spellings: [string, string][] = [
      ["hospital as 1.0", withRecord(recordText.replace(`"hospital":${base.record.hospital}`, `"hospital":${base.record.hospital}.0`))],
      ["hospital as 1e0", withRecord(recordText.replace(`"hospital":${base.record.hospital}`, `"hospital":${base.record.hospital}e0`))],
      ["seq with a unicode escape", withRecord(recordText.replace(`"seq":"${base.record.seq}"`, `"seq":"\\u00${(48 + Number(base.record.seq)).toString(16)}"`))],
    ];
    const equivalent = await judgeNow(spellings.map(([, t]) => JSON.parse(t)));
    expect(spellings.map(([name], i) => [name, equivalent[i].valid])).toEqual(spellings.map(([name]) => [name, { chain: true, index: true, doc: true }]));

    // __proto__ as a key: JSON.parse makes it an own key (not a receipt field); the API refuses the whole body (prototype poisoning).
    const proto = text.replace("{", '{"__proto__":{"valid":true},');
    const byChain = await new Auditor(w.l, await deploymentOf(w.l), hre.ethers.provider).verifyReceipt(JSON.parse(proto));
    expect(codes(byChain)).toEqual(["RECEIPT_MALFORMED"]);
    expect((await docVerifier()).wellFormed(JSON.parse(proto))).toBe(false);
    const authorization = `Bearer ${await sessionFor(w.app, w.l.auditor)}`;
    const poisoned = await w.app.inject({ method: "POST", url: "/verify", headers: { authorization, "content-type": "application/json" }, payload: `{"receipts":[${proto}]}` });
    // The refusal names the key (src/api/server.ts parseJsonBody), not "not valid JSON".
    expect([poisoned.statusCode, poisoned.json().error]).toEqual([400, { code: "BAD_REQUEST", message: 'the body has a "__proto__" key, which is refused (prototype poisoning)' }]);

    // A duplicate key: every verifier here reads its last occurrence (JSON.parse, as Fastify's parser does), so they agree.
    const forgedRecord = JSON.stringify({ ...base.record, subject: w.l.patient.address });
    const duplicated = text.replace(`"record":${recordText}`, `"record":${forgedRecord},"record":${recordText}`);
    const dupReversed = text.replace(`"record":${recordText}`, `"record":${recordText},"record":${forgedRecord}`);
    const [last, first] = await judgeNow([JSON.parse(duplicated), JSON.parse(dupReversed)]);
    expect(last).toEqual({ chain: [], index: [], doc: [], valid: { chain: true, index: true, doc: true } });
    expect(first.chain).toEqual(["LEAF_MISMATCH", "PROOF_INVALID"]);
    const raw = await w.app.inject({ method: "POST", url: "/verify", headers: { authorization, "content-type": "application/json" }, payload: `{"receipts":[${duplicated},${dupReversed}]}` });
    expect(raw.json().results.map((r: { valid: boolean }) => r.valid)).toEqual([true, false]);
  });
});

describe("a hospital's standing at the trace's time", () => {
  it("a trace stamped while its hospital was suspended, anchored after the reinstatement: VALID by chain, by index and by the procedure under a consent naming the hospital; only a consent to any member is judged against the hospital's status then", async (t) => {
    const w = await seeded(attackSeed);
    const { l } = w;
    await (await l.consortium.connect(l.regulator).suspendMember(ORG.HOSPITAL_B)).wait();
    const suspendedAt = await time.latest();
    await time.increase(50);
    await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("reinstateMember", [ORG.HOSPITAL_B]) });
    expect(await time.latest()).toBeGreaterThan(suspendedAt + GOVERNANCE_DELAY);
    // Stamped 50 s into the suspension (the window may reach back 7 days): B's next sequence follows its forged batch.
    const next = await l.traces.nextSequence(ORG.HOSPITAL_B);
    const during = [l.outsider.address, l.spare[1].address].map((subject, i) => sealTrace(traceInput(w.v, { subject, time: suspendedAt + 50 }), ORG.HOSPITAL_B, next + BigInt(i)));
    const receipts = await anchor(l, l.hospitalB, ORG.HOSPITAL_B, during, w.v);
    const served = await serve(t, l);
    const [named, anyMember] = await judge({ l, app: served.app }, receipts);
    // Verification checks no standing of the hospital at the trace's time (docs/receipt.md lists none): the
    // contract refused every write while the hospital was suspended, but not a later anchoring of what it stamped then.
    expect(named).toEqual({ chain: [], index: [], doc: [], valid: { chain: true, index: true, doc: true } });
    // A consent to "any member" covers a member only while it is ACTIVE (as ConsentRegistry.isConsentValid judges it).
    expect(anyMember).toEqual({ chain: [], index: ["CONSENT_NOT_VALID_AT_TIME"], doc: [], valid: { chain: true, index: false, doc: true } });
  });
});
