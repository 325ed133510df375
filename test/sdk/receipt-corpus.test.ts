/**
 * Sound receipt verification (issues 19, 20): the verifier printed in docs/receipt.md (extracted from the
 * document, ethers only) and `medprov receipt verify` (the SDK's
 * Auditor, run as the real CLI) give the same verdict and the same reasons on every receipt of a
 * generated corpus: more than 200 tampered receipts covering every field, every proof element,
 * every encoding trick, a look-alike TraceAnchor returning a chosen root, a wrong chain id and
 * inputHash/outputHash swapped in record and leaf — none of them VALID in either — plus receipts a
 * non-conforming hospital anchored honestly (each with its one named reason), batches whose
 * anchored count or record positions lie (a one-leaf root claiming 2^32-1 traces, a withheld
 * record, records out of place: every receipt PROOF_INVALID) and equivalent
 * spellings of valid receipts (VALID in both).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { JsonRpcProvider, ZeroHash, getAddress, hexlify, randomBytes } from "ethers";
import { startNode, bootstrapConsortium, type RpcNode, type RpcConsortium } from "../helpers/node";
import { traceInput } from "../helpers/traces";
import { docVerifier, type DocVerdict } from "../helpers/third-party-verify";
import { LookalikeTraceAnchor__factory } from "../../typechain-types";
import {
  Developer, Hospital, Regulator, TraceBatcher, RECEIPT_FIELDS, RECEIPT_FORMAT, VERIFY_REASONS, batchIdOf, connectLedger, receiptFor, recordToJson,
  sealTrace, traceLeafValues, type LedgerContracts, type TraceReceipt,
} from "../../src/sdk";
import { traceFieldsOf } from "../../src/sdk/ids";
import { TraceTree, batchRootOf, traceLeafHash } from "../../src/sdk/traces/merkle";
import { SiweMessage } from "siwe";
import { IndexStore, createIndexer, createQueries, httpRpc } from "../../src/indexer";
import { buildApp, createFastify } from "../../src/api";

const ROOT = join(__dirname, "..", "..");
type Json = Record<string, unknown>;
interface Case {
  name: string;
  /** The fields the case touches (for the coverage check). */
  touches: string[];
  receipt: unknown;
}

let node: RpcNode;
let c: RpcConsortium;
let ledger: LedgerContracts;
beforeAll(async () => {
  node = await startNode();
  c = await bootstrapConsortium(node);
  ledger = connectLedger(c.deployment, node.provider);
}, 120_000);
afterAll(async () => node?.stop());

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
const flip = (hex: string, at = hex.length - 1) => hex.slice(0, at) + (hex[at] === "0" ? "1" : "0") + hex.slice(at + 1);
const upper = (hex: string) => "0x" + hex.slice(2).toUpperCase();
/** An address with one letter's case flipped (a wrong EIP-55 checksum). */
const misChecksum = (a: string) => {
  const i = [...a].findIndex((ch, j) => j > 1 && /[a-fA-F]/.test(ch));
  return a.slice(0, i) + (a[i] === a[i].toUpperCase() ? a[i].toLowerCase() : a[i].toUpperCase()) + a.slice(i + 1);
};
const leafOfRecord = (record: Json) => "0x" + Buffer.from(traceLeafHash(traceLeafValues(record))).toString("hex");
/** The position-bound tree over records, in the order given. */
const treeOf = (records: object[]) => TraceTree.of(records.map((r) => traceLeafHash(traceLeafValues(r))));

/** Encodings of a bytes32 value that must never be read as it. */
const badBytes32 = (v: string): [string, unknown][] => [
  ["extra hex", v + "00"], ["short hex", v.slice(0, -2)], ["empty string", ""], ["one-element array", [v]], ["upper-case hex", upper(v)],
  ["other prefix", "zz" + v.slice(2)], ["no prefix", v.slice(2)], ["a number", 1], ["null", null],
];
/** An address all in upper case, unless that is its EIP-55 checksum (every letter's hash nibble ≥ 8: about 1 address in 4,000), when it is valid. */
const allUpper = (v: string): [string, unknown][] => ("0x" + v.slice(2).toUpperCase() === getAddress(v) ? [] : [["all upper-case", "0x" + v.slice(2).toUpperCase()]]);
const badAddress = (v: string): [string, unknown][] => [
  ...allUpper(v), ["mis-checksummed", misChecksum(getAddress(v))], ["extra hex", v + "00"], ["short hex", v.slice(0, -2)],
  ["empty string", ""], ["one-element array", [v]], ["no prefix", v.slice(2)],
];
const badSmallUint = (v: number, max: bigint): [string, unknown][] => [
  ["as a string", String(v)], ["fraction", v + 0.5], ["negative", -1], ["one past its type", Number(max) + 1], ["one-element array", [v]], ["null", null], ["empty string", ""],
];
const badUint64 = (v: string): [string, unknown][] => [
  ["as a number", Number(v)], ["leading zero", "0" + v], ["plus sign", "+" + v], ["minus zero", "-0"], ["empty string", ""], ["one-element array", [v]],
  ["hex", "0x" + BigInt(v).toString(16)], ["2^64", (2n ** 64n).toString()], ["with a space", " " + v], ["exponent", "1e3"],
];

/** The record fields of a receipt's format (/2: format 1, /3: format 2 with indication and riskWarning). */
const fieldsOf = (r: TraceReceipt) => traceFieldsOf(r.format === RECEIPT_FORMAT ? 2 : 1);

/** Every way to tamper with one anchored receipt `r` (a second one, `other`, lends real values from elsewhere). */
function tamperings(r: TraceReceipt, other: TraceReceipt, lookalike: string): Case[] {
  const out: Case[] = [];
  const fields = fieldsOf(r);
  const next = `medprov-trace-receipt/${Number(r.format.split("/")[1]) + 1}`;
  const top = (name: string, key: string, value: unknown) => {
    const x = clone(r) as unknown as Json;
    if (value === undefined) delete x[key];
    else x[key] = value;
    out.push({ name: `${key}: ${name}`, touches: [key], receipt: x });
  };
  const rec = (name: string, key: string, value: unknown, o: { recomputeLeaf?: boolean } = {}) => {
    const x = clone(r) as TraceReceipt & Json;
    const record = x.record as unknown as Json;
    if (value === undefined) delete record[key];
    else record[key] = value;
    if (o.recomputeLeaf) x.leaf = leafOfRecord(record);
    out.push({ name: `record.${key}: ${name}${o.recomputeLeaf ? " (leaf recomputed)" : ""}`, touches: [`record.${key}`], receipt: x });
  };
  for (const [n, v] of [["next version", next], ["the retired /1 (sorted trees)", "medprov-trace-receipt/1"], ["older", "medprov-trace-receipt/0"], ["empty", ""], ["array", [r.format]], ["missing", undefined]] as const) top(n, "format", v);
  for (const [n, v] of [["mainnet", 1], ["neighbour", r.chainId + 1], ["as a string", String(r.chainId)], ["zero", 0], ["negative", -r.chainId], ["fraction", r.chainId + 0.5], ["array", [r.chainId]], ["missing", undefined]] as const) top(n, "chainId", v);
  for (const [n, v] of [["look-alike contract", lookalike], ["another ledger contract", c.deployment.addresses.models], ["zero address", "0x" + "00".repeat(20)], ...badAddress(r.traceAnchor), ["missing", undefined]] as [string, unknown][]) top(n, "traceAnchor", v);
  for (const key of ["batchId", "anchorTx", "leaf"] as const) {
    for (const [n, v] of [["one nibble flipped", flip(r[key])], ["another receipt's", other[key]], ["zero", ZeroHash], ...badBytes32(r[key]), ["missing", undefined]] as [string, unknown][]) top(n, key, v);
  }
  for (const [n, v] of [["plus one", r.blockNumber + 1], ["minus one", r.blockNumber - 1], ["another receipt's", other.blockNumber + (other.blockNumber === r.blockNumber ? 1 : 0)], ["as a string", String(r.blockNumber)], ["fraction", r.blockNumber + 0.5], ["negative", -1], ["array", [r.blockNumber]], ["null", null], ["missing", undefined]] as const) top(n, "blockNumber", v);
  const names = fields.map((f) => f.name);
  for (const [n, v] of [["two swapped", [names[1], names[0], ...names.slice(2)]], ["one dropped", names.slice(1)], ["one added", [...names, "patientName"]], ["one renamed", [...names.slice(0, -1), "nonce"]], ["a string", names.join(",")], ["missing", undefined]] as const) top(n, "fields", v);
  const enc = fields.map((f) => f.type);
  for (const [n, v] of [["two swapped", [enc[2], enc[1], ...enc.slice(3)]], ["uint64 read as uint256", enc.map((t) => (t === "uint64" ? "uint256" : t))], ["one dropped", enc.slice(1)], ["one added", [...enc, "bytes32"]], ["missing", undefined]] as const) top(n, "leafEncoding", v);
  for (const [n, v] of [["an array", Object.values(r.record)], ["null", null], ["a string", JSON.stringify(r.record)], ["missing", undefined], ["with an extra field", { ...r.record, patientName: "Zhang San" }]] as const) top(n, "record", v);
  r.proof.forEach((p, i) => {
    const withAt = (v: unknown) => r.proof.map((q, j) => (j === i ? v : q));
    const before = out.length;
    top(`element ${i} flipped`, "proof", withAt(flip(p)));
    top(`element ${i} dropped`, "proof", r.proof.filter((_, j) => j !== i));
    top(`element ${i} from another receipt`, "proof", withAt(other.proof[0]));
    for (const [n, v] of badBytes32(p)) top(`element ${i}: ${n}`, "proof", withAt(v));
    out.slice(before).forEach((x) => x.touches.push(`proof[${i}]`));
  });
  for (const [n, v] of [["empty", []], ["reversed", [...r.proof].reverse()], ["one element added", [...r.proof, ZeroHash]], ["another receipt's", other.proof], ["a string", r.proof[0]], ["missing", undefined]] as const) top(n, "proof", v);

  for (const f of fields) {
    const v = (r.record as unknown as Json)[f.name];
    if (f.type === "bool") {
      rec("flipped", f.name, !v);
      rec("flipped", f.name, !v, { recomputeLeaf: true });
      for (const [n, bad] of [["as a number", v ? 1 : 0], ["as a string", String(v)], ["null", null], ["one-element array", [v]]] as [string, unknown][]) rec(n, f.name, bad);
    } else if (f.type === "bytes32") {
      rec("one nibble flipped", f.name, flip(v as string));
      rec("one nibble flipped", f.name, flip(v as string), { recomputeLeaf: true });
      for (const [n, bad] of badBytes32(v as string)) rec(n, f.name, bad);
    } else if (f.type === "address") {
      rec("another patient", f.name, getAddress(hexlify(randomBytes(20))));
      rec("another patient", f.name, getAddress(hexlify(randomBytes(20))), { recomputeLeaf: true });
      for (const [n, bad] of badAddress(v as string)) rec(n, f.name, bad);
    } else if (f.type === "uint64") {
      rec("plus one", f.name, (BigInt(v as string) + 1n).toString());
      rec("plus one", f.name, (BigInt(v as string) + 1n).toString(), { recomputeLeaf: true });
      for (const [n, bad] of badUint64(v as string)) rec(n, f.name, bad);
    } else {
      const changed = (v as number) === Number(f.max) ? (v as number) - 1 : (v as number) + 1;
      rec("changed", f.name, changed);
      rec("changed", f.name, changed, { recomputeLeaf: true });
      for (const [n, bad] of badSmallUint(v as number, f.max!)) rec(n, f.name, bad);
    }
    rec("missing", f.name, undefined);
  }
  // Swapped in both the record and its leaf: the leaf matches the record, only the anchored root can tell.
  const swapped = clone(r);
  [swapped.record.inputHash, swapped.record.outputHash] = [r.record.outputHash, r.record.inputHash];
  swapped.leaf = leafOfRecord(swapped.record as unknown as Json);
  out.push({ name: "inputHash and outputHash swapped in record and leaf", touches: ["record.inputHash", "record.outputHash", "leaf"], receipt: swapped });
  // The record and proof of one batch under another batch's id, transaction and block.
  out.push({ name: "record and proof moved to another batch", touches: ["batchId", "anchorTx", "blockNumber"], receipt: { ...clone(r), batchId: other.batchId, anchorTx: other.anchorTx, blockNumber: other.blockNumber } });
  return out;
}

/**
 * Format confusions (issue 18): the format-1 receipt `r` presented as /3 (an indication and a warning
 * added, its format-1 leaf and proof kept: LEAF_WRONG_FORMAT), and the format-2 receipt `r2` presented
 * as /2 (its two fields dropped, its leaf and proof kept).
 */
function formatConfusions(r: TraceReceipt, r2: TraceReceipt): Case[] {
  const asV2 = { ...clone(r), format: RECEIPT_FORMAT, fields: r2.fields, leafEncoding: r2.leafEncoding, record: { ...clone(r.record), indication: 1, riskWarning: false } };
  const { indication: _i, riskWarning: _w, ...v1Record } = clone(r2.record);
  const asV1 = { ...clone(r2), format: r.format, fields: r.fields, leafEncoding: r.leafEncoding, record: v1Record };
  return [
    { name: "format-1 leaf presented as /3 (indication and warning added)", touches: ["format", "record.indication", "record.riskWarning"], receipt: asV2 },
    { name: "format-1 leaf presented as /3, leaf recomputed as format 2", touches: ["format", "leaf"], receipt: { ...asV2, leaf: leafOfRecord(asV2.record as unknown as Json) } },
    { name: "format-2 receipt presented as /2 (its two fields dropped)", touches: ["format", "fields", "leafEncoding"], receipt: asV1 },
  ];
}

/** Receipts a non-conforming hospital anchored itself: consistent with their batch root, each breaking one rule. */
async function nonConforming(v1: string, v2: string, now: number) {
  const hospitalB = 5;
  const base = (seq: number, o: Partial<ReturnType<typeof traceInput>> = {}) => sealTrace(traceInput(v1, { time: now - 10, ...o }), hospitalB, BigInt(seq));
  const records = [
    { expect: [], record: base(0) },
    { expect: ["TIME_OUTSIDE_BATCH"], record: base(1, { time: now - 100 }) },
    { expect: ["HOSPITAL_MISMATCH"], record: { ...base(2), hospital: 1 } },
    { expect: ["PROOF_INVALID", "SEQUENCE_OUTSIDE_BATCH"], record: base(99) }, // no position in the batch, so no proof fits
    { expect: ["VERSION_NOT_IN_BATCH"], record: base(4, { modelVersion: v2 }) },
    { expect: ["ACCEPTED_AT_TAKEOVER"], record: base(5, { confidenceBps: 6000, action: "ACCEPTED" }) },
    { expect: ["TIER_MISMATCH"], record: { ...base(6, { confidenceBps: 8500 }), tier: 1 } },
  ];
  return (await anchorAsB(records.map((x) => x.record), { firstSeq: 0, count: records.length, fromTime: now - 50, toTime: now }, v1)).map((receipt, i) => ({ expect: records[i].expect, receipt }));
}

/**
 * Hospital B (org 5) anchors a tree over `leaves` (records, in their tree order) under a header it
 * chooses, then hands out a receipt per record, each with its proof from that tree.
 */
async function anchorAsB(leaves: ReturnType<typeof sealTrace>[], header: { firstSeq: number; count: number; fromTime: number; toTime: number }, version: string): Promise<TraceReceipt[]> {
  const tree = treeOf(leaves);
  const tx = await ledger.traces.connect(c.keys[5]).anchorBatch({ treeRoot: tree.treeRoot, ...header, versions: [version], versionCounts: [header.count] });
  const mined = (await tx.wait())!;
  const batchId = batchIdOf(5, header.firstSeq);
  return leaves.map((record, i) => receiptFor({ record: recordToJson(record), proof: tree.getProof(i), leaf: tree.leafHash(i), batchId, anchorTx: mined.hash, blockNumber: mined.blockNumber }, c.deployment));
}

/**
 * Batches whose anchored size or record positions lie (issue 20), anchored by hospital B after its
 * non-conforming batch (sequence 7 on, windows at `now`): a one-leaf tree claiming 2^32-1 traces
 * (before, its receipt verified and the sequence moved with no gap to see); a tree of three records
 * anchored as four (one withheld); a tree with two records swapped. Every receipt must be refused.
 */
async function sizeAndPositionForgeries(v1: string, now: number): Promise<Case[]> {
  const rec = (seq: bigint) => sealTrace(traceInput(v1, { time: now }), 5, seq);
  const out: Case[] = [];
  const huge = 2 ** 32 - 1;
  const [lone] = await anchorAsB([rec(7n)], { firstSeq: 7, count: huge, fromTime: now, toTime: now }, v1);
  out.push({ name: `a one-leaf tree anchored as ${huge} traces`, touches: [], receipt: lone });
  let first = 7n + BigInt(huge);
  const kept = [rec(first), rec(first + 1n), rec(first + 3n)]; // first + 2 withheld
  const withheld = await anchorAsB(kept, { firstSeq: Number(first), count: 4, fromTime: now, toTime: now }, v1);
  withheld.forEach((receipt, i) => out.push({ name: `record ${i} of a 3-leaf tree anchored as 4 (one withheld)`, touches: [], receipt }));
  first += 4n;
  const swapped = [rec(first), rec(first + 1n), rec(first + 2n)];
  const outOfPlace = await anchorAsB([swapped[1], swapped[0], swapped[2]], { firstSeq: Number(first), count: 3, fromTime: now, toTime: now }, v1);
  outOfPlace.slice(0, 2).forEach((receipt, i) => out.push({ name: `record ${i === 0 ? 1 : 0} anchored at position ${i} (records swapped)`, touches: [], receipt }));
  return out;
}

/** A receipt's record moved to a neighbour's place in the same batch: the neighbour's sequence and proof, the leaf recomputed. */
function positionTamperings(r: TraceReceipt, neighbour: TraceReceipt): Case[] {
  const moved = clone(r);
  moved.record.seq = neighbour.record.seq;
  moved.leaf = leafOfRecord(moved.record as unknown as Json);
  return [
    { name: "record claimed at the neighbour's sequence with the neighbour's proof (leaf recomputed)", touches: ["record.seq", "leaf", "proof"], receipt: { ...moved, proof: neighbour.proof } },
    { name: "record claimed at the neighbour's sequence with its own proof (leaf recomputed)", touches: ["record.seq", "leaf"], receipt: moved },
    { name: "the neighbour's proof for this record", touches: ["proof"], receipt: { ...clone(r), proof: neighbour.proof } },
  ];
}

/** A receipt forged against the look-alike: a changed record, its own one-leaf root, a real BatchAnchored event there. */
async function lookalikeForgeries(r: TraceReceipt, lookalike: ReturnType<typeof LookalikeTraceAnchor__factory.connect>, unknownBatch: string): Promise<Case[]> {
  const out: Case[] = [];
  for (const batchId of [r.batchId, unknownBatch]) {
    const record = { ...clone(r.record), action: 3 };
    const leaf = leafOfRecord(record as unknown as Json);
    // A one-leaf batch there, consistent in every respect (its root commits to the count 1).
    const tx = await lookalike.connect(c.keys[0]).forge(batchId, record.hospital, batchRootOf(1, leaf), BigInt(record.seq), 1, BigInt(record.time), BigInt(record.time), [record.modelVersion], [1]);
    const mined = (await tx.wait())!;
    const forged = { ...clone(r), record, leaf, proof: [], batchId, anchorTx: mined.hash, blockNumber: mined.blockNumber };
    const at = await lookalike.getAddress();
    out.push({ name: `look-alike TraceAnchor, ${batchId === r.batchId ? "the real batch id" : "an unknown batch id"}`, touches: ["traceAnchor", "record.action"], receipt: { ...forged, traceAnchor: at } });
    out.push({ name: `look-alike's root presented as the real TraceAnchor's, ${batchId === r.batchId ? "the real batch id" : "an unknown batch id"}`, touches: ["record.action", "proof"], receipt: forged });
  }
  return out;
}

async function cliVerdicts(receipts: unknown[]): Promise<{ valid: boolean; reasons: { code: string }[] }[]> {
  const file = join(c.dir, "corpus.jsonl");
  writeFileSync(file, receipts.map((r) => JSON.stringify(r)).join("\n"));
  const run = promisify(execFile);
  const args = [join(ROOT, "bin", "medprov"), "--json", "--rpc", node.url, "--deployment", c.deploymentPath, "receipt", "verify", file];
  const { stdout } = await run(process.execPath, args, { cwd: c.dir, maxBuffer: 64 * 1024 * 1024 }).catch((e: { code: number; stdout: string; stderr: string }) => {
    if (e.code !== 1) throw new Error(`receipt verify failed (${e.code}): ${e.stderr}`);
    return e;
  });
  return JSON.parse(stdout).results;
}

/**
 * `POST /verify`'s verdicts: the API reads batches and histories from its own index (not the RPC),
 * so it is held to the same corpus. The auditor (org 4, keys[4]) signs in; one request a receipt
 * chunk within the route's 500-receipt limit.
 */
async function apiVerdicts(receipts: unknown[]): Promise<{ valid: boolean; reasons: { code: string }[] }[]> {
  const store = await IndexStore.open(join(c.dir, "corpus-index"));
  const app = createFastify();
  try {
    await createIndexer({ provider: httpRpc(node.url), deployment: c.deployment, store }).syncOnce();
    const auth = { domain: "medprov.test", uri: "https://medprov.test", chainId: Number((await node.provider.getNetwork()).chainId) };
    await app.register(buildApp, { queries: createQueries(store), ledger, deployment: c.deployment, provider: node.provider, auth, rateLimit: 1_000_000 });
    await app.ready();
    const auditor = c.keys[4];
    const nonce = (await app.inject({ method: "POST", url: "/auth/nonce" })).json().nonce;
    const message = new SiweMessage({ domain: auth.domain, address: auditor.address, statement: "Sign in to medprov", uri: auth.uri, version: "1", chainId: auth.chainId, nonce, issuedAt: new Date(Date.now() - 1000).toISOString() }).prepareMessage();
    const session = (await app.inject({ method: "POST", url: "/auth/verify", payload: { message, signature: await auditor.signMessage(message) } })).json().session;
    const out: { valid: boolean; reasons: { code: string }[] }[] = [];
    for (let i = 0; i < receipts.length; i += 500) {
      const r = await app.inject({ method: "POST", url: "/verify", headers: { authorization: `Bearer ${session}` }, payload: { receipts: receipts.slice(i, i + 500) } });
      if (r.statusCode !== 200) throw new Error(`POST /verify answered ${r.statusCode}: ${r.body.slice(0, 300)}`);
      out.push(...r.json().results);
    }
    return out;
  } finally {
    await app.close();
    await store.close();
  }
}

describe("receipt verification: the documented procedure `medprov receipt verify` and `POST /verify` agree", () => {
  it("on 200+ tampered receipts (0 VALID), honest non-conforming ones (their one reason) and equivalent spellings (VALID)", async () => {
    const developer = new Developer(ledger, c.keys[2]);
    const { modelId } = await developer.registerModel({ name: "corpus", intendedUse: "triage", riskClass: "LOW" });
    const card = { model: modelId, weightsHash: "0x" + "ef".repeat(32), trainingDatasets: [c.datasetId], evaluation: { auc: 9200, sensitivity: 8800, specificity: 9000, subgroupAucGap: 300, biasTestCases: 400, grassrootsShare: 2500 } };
    const { versionId: v2 } = await developer.registerVersion(card, JSON.stringify(card));
    await new Regulator(ledger, c.keys[3]).approve(v2, "NMPA-CORPUS-2", undefined, ["EMERGENCY_TRIAGE"]);
    await new Hospital(ledger, c.keys[1]).deployVersion(v2); // hospital A traces it (bootstrap deployed c.versionId)
    // Traces are stamped up to 100 s before "now": move the chain's clock past the approvals first.
    await node.provider.send("evm_increaseTime", [200]);
    await node.provider.send("evm_mine", []);
    const now = (await node.provider.getBlock("latest"))!.timestamp;

    // Honest receipts from the SDK's batcher: two batches of hospital A, mixing versions.
    const batcher = await TraceBatcher.open({ vaultPath: join(c.dir, "corpus-vault"), ledger, signer: c.keys[1], maxBatch: 6 });
    // In time order (windows never run backwards); traces 4 and 8 of record format 2 (receipts /3), the rest format 1 (/2).
    await batcher.append(...Array.from({ length: 10 }, (_, i) => traceInput(i % 3 ? c.versionId : v2, { time: now - 9 + i, ...(i % 4 === 0 && i > 0 ? { indication: i % 8, riskWarning: i === 4 } : {}) }))); 
    await batcher.flush();
    const honest: TraceReceipt[] = [];
    for await (const a of batcher.storage.anchored()) honest.push(receiptFor(a, c.deployment));
    await batcher.close();
    const [r, other, r2] = [honest[2], honest[7], honest[4]];
    expect(r.batchId).not.toBe(other.batchId);
    expect([r.format, r2.format, honest[8].format]).toEqual(["medprov-trace-receipt/2", RECEIPT_FORMAT, RECEIPT_FORMAT]);
    expect(r.proof.length).toBeGreaterThanOrEqual(2);

    const lookalike = await new LookalikeTraceAnchor__factory(c.keys[0]).deploy();
    await lookalike.waitForDeployment();
    const rules = await nonConforming(c.versionId, v2, now);
    const tampered = [
      ...tamperings(r, other, await lookalike.getAddress()), ...positionTamperings(r, honest[3]), ...(await lookalikeForgeries(r, lookalike, batchIdOf(1, 12345))),
      ...(await sizeAndPositionForgeries(c.versionId, now)),
      // The format-2 receipt: every tampering of its format, fields and record (the rest are the /2 receipt's, above).
      ...tamperings(r2, other, await lookalike.getAddress()).filter((x) => x.touches.some((k) => k.startsWith("record") || ["format", "fields", "leafEncoding"].includes(k))).map((x) => ({ ...x, name: `/3: ${x.name}` })),
      ...formatConfusions(r, r2),
    ];
    const sizeCases = tampered.filter((x) => /anchored as|records swapped/.test(x.name));
    expect(sizeCases).toHaveLength(6);
    const equivalent: Case[] = [
      ...honest.map((x, i) => ({ name: `honest receipt ${i}`, touches: [], receipt: x })),
      { name: "subject all lower-case", touches: ["record.subject"], receipt: { ...clone(r), record: { ...r.record, subject: r.record.subject.toLowerCase() } } },
      { name: "traceAnchor all lower-case", touches: ["traceAnchor"], receipt: { ...clone(r), traceAnchor: r.traceAnchor.toLowerCase() } },
      { name: "fields in another key order", touches: [], receipt: Object.fromEntries(Object.entries(clone(r)).reverse()) },
    ];

    const all = [...tampered, ...rules.map((x, i) => ({ name: `non-conforming ${i}: ${x.expect.join(",") || "none"}`, touches: [], receipt: x.receipt })), ...equivalent];
    const { verifyReceipt } = await docVerifier();
    const provider = new JsonRpcProvider(node.url);
    const doc: DocVerdict[] = [];
    for (const x of all) doc.push(await verifyReceipt(x.receipt, provider, c.deployment));
    provider.destroy();
    const sdk = await cliVerdicts(all.map((x) => x.receipt));
    expect(sdk).toHaveLength(all.length);
    const api = await apiVerdicts(all.map((x) => x.receipt));
    expect(api).toHaveLength(all.length);

    // The same verdict and the same reasons, receipt by receipt.
    const disagreements = all.map((x, i) => ({ name: x.name, doc: doc[i].reasons, sdk: sdk[i].reasons.map((y) => y.code) })).filter((d) => JSON.stringify(d.doc) !== JSON.stringify(d.sdk));
    expect(disagreements).toEqual([]);
    // The API judges consent too (from its index); apart from that reason, it gives the document's.
    const apiDisagreements = all.map((x, i) => ({ name: x.name, doc: doc[i].reasons, api: api[i].reasons.map((y) => y.code).filter((code) => code !== "CONSENT_NOT_VALID_AT_TIME") })).filter((d) => JSON.stringify(d.doc) !== JSON.stringify(d.api));
    expect(apiDisagreements).toEqual([]);
    const wronglyValid = tampered.filter((_, i) => doc[i].valid || sdk[i].valid || api[i].valid).map((x) => x.name);
    expect(wronglyValid).toEqual([]);
    expect(tampered.length).toBeGreaterThanOrEqual(200);
    // A lie about a batch's size or a record's place is caught by the proof itself.
    for (const x of sizeCases) expect(doc[all.indexOf(x)].reasons, x.name).toEqual(["PROOF_INVALID"]);
    rules.forEach((x, i) => expect(doc[tampered.length + i].reasons, `non-conforming ${i}`).toEqual(x.expect));
    equivalent.forEach((x, i) => expect(sdk[tampered.length + rules.length + i], x.name).toMatchObject({ valid: true, reasons: [] }));

    // Coverage: every receipt field, every record field and every proof element was tampered with;
    // every reason but the two this chain cannot produce (gap, consent without an index) was given.
    const touched = new Set(tampered.flatMap((x) => x.touches));
    for (const k of [...RECEIPT_FIELDS, ...fieldsOf(r2).map((f) => `record.${f.name}`), ...r.proof.map((_, i) => `proof[${i}]`)]) expect(touched, k).toContain(k);
    expect(doc[all.findIndex((x) => x.name.startsWith("format-1 leaf presented as /3 (indication"))].reasons).toEqual(["LEAF_WRONG_FORMAT", "PROOF_INVALID"]);
    const given = new Set(doc.flatMap((d) => d.reasons));
    expect(VERIFY_REASONS.filter((x) => !given.has(x))).toEqual(["SEQUENCE_GAP", "CONSENT_NOT_VALID_AT_TIME"]);
    const byFirstReason = tampered.reduce<Record<string, number>>((m, _, i) => ((m[doc[i].reasons[0]] = (m[doc[i].reasons[0]] ?? 0) + 1), m), {});
    console.log(`receipt corpus: ${tampered.length} tampered (first reason: ${JSON.stringify(byFirstReason)}), ${rules.length} non-conforming, ${equivalent.length} equivalent; ${disagreements.length} disagreements, ${wronglyValid.length} wrongly VALID`);
  }, 300_000);
});
