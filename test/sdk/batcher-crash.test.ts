/**
 * Kills a batcher process with SIGKILL at chosen points of a flush (after sealing, while the
 * anchoring transaction is in flight, after the chain accepted it but before the proofs were
 * stored, while storing) and at random moments, restarting it each time. In the end nothing it
 * acknowledged is lost, nothing is anchored twice, and sequence numbers are contiguous.
 * Then a crash right after sealing followed by a recall of one of the batch's versions: the
 * restart quarantines that version's traces (listed by `medprov trace quarantined`), anchors the
 * rest, and receipts stay readable throughout without a key or a transaction.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { startNode, bootstrapConsortium, type RpcNode, type RpcConsortium } from "../helpers/node";
import { traceInput } from "../helpers/traces";
import { processProof, traceLeafHash } from "../../src/sdk/traces/merkle";
import { Developer, Hospital, Regulator, TraceVault, traceLeafValues, connectLedger, type AnchoredTrace, type QuarantinedTrace } from "../../src/sdk";
import { BATCHER_WORKER_BUNDLE, CLI_BUNDLE } from "../helpers/bundles";

const ROOT = join(__dirname, "..", "..");
const TRACES = 400;
const KILLS: (string | number)[] = ["phase seal", "phase anchor", "phase anchored", "phase store", "phase anchored", 900, 1500, 2100, 2700, 3300];

let node: RpcNode;
let c: RpcConsortium;

beforeAll(async () => {
  node = await startNode();
  c = await bootstrapConsortium(node);
}, 120_000);
afterAll(async () => node?.stop());

interface WorkerOptions {
  /** Key index of the hospital (1: hospital A, 5: hospital B). */
  key?: number;
  /** The phase at which the worker kills itself (test/fixtures/batcher-worker.ts). */
  crashAt?: string;
}

/** Runs the worker until `kill` (a line to wait for, or milliseconds), or to the end. Returns acked ids and whether it finished. */
function runWorker(vault: string, input: string, kill?: string | number, o: WorkerOptions = {}): Promise<{ acks: string[]; done: boolean; killed: boolean; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BATCHER_WORKER_BUNDLE, node.url, c.deploymentPath, vault, input], {
      cwd: ROOT,
      env: { ...process.env, MEDPROV_PRIVATE_KEY: c.keys[o.key ?? 1].privateKey, MEDPROV_TEST_CRASH_AT: o.crashAt ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    const acks: string[] = [];
    let done = false;
    let killed = false;
    let buffer = "";
    let stderr = "";
    const killNow = () => {
      if (!killed && child.exitCode === null) {
        killed = true;
        child.kill("SIGKILL");
      }
    };
    if (typeof kill === "number") child.stdout!.once("data", () => setTimeout(killNow, kill));
    child.stdout!.on("data", (d) => {
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (killed) continue; // output after the kill signal does not count as acknowledged
        lines.push(line);
        if (line.startsWith("ack ")) acks.push(line.slice(4));
        if (line === "done") done = true;
        if (typeof kill === "string" && line === kill) killNow();
      }
    });
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (code, signal) => {
      if (o.crashAt && signal === "SIGKILL") killed = true;
      if (!killed && code !== 0) reject(new Error(`worker failed (${code ?? signal}): ${stderr}`));
      else resolve({ acks, done, killed, lines });
    });
  });
}

describe("TraceBatcher crash safety", () => {
  it(`loses nothing and anchors nothing twice across ${KILLS.length} SIGKILLs`, async () => {
    const vault = join(c.dir, "vault");
    const input = join(c.dir, "traces.jsonl");
    const traces = Array.from({ length: TRACES }, () => traceInput(c.versionId));
    writeFileSync(input, traces.map((t) => JSON.stringify(t)).join("\n"));

    const acknowledged = new Set<string>();
    let kills = 0;
    for (const point of KILLS) {
      const run = await runWorker(vault, input, point);
      run.acks.forEach((a) => acknowledged.add(a));
      if (run.killed) kills++;
      if (run.done) break;
    }
    const last = await runWorker(vault, input);
    last.acks.forEach((a) => acknowledged.add(a));
    expect(last.done).toBe(true);
    expect(kills).toBeGreaterThanOrEqual(5);

    const v = await TraceVault.open(vault);
    const anchored: AnchoredTrace[] = [];
    for await (const a of v.anchored()) anchored.push(a);
    await v.close();
    const ids = anchored.map((a) => a.record.traceId);
    expect(new Set(ids).size).toBe(ids.length); // nothing anchored twice
    for (const id of acknowledged) expect(ids).toContain(id); // nothing acknowledged lost
    expect(ids.length).toBe(TRACES);
    expect(anchored.map((a) => a.record.seq)).toEqual(Array.from({ length: TRACES }, (_, i) => String(i)));

    const ledger = connectLedger(c.deployment, node.provider);
    expect(await ledger.traces.nextSequence(1)).toBe(BigInt(TRACES));
    const headers = new Map<string, { root: string; firstSeq: bigint; count: bigint }>();
    for (const a of anchored) {
      if (!headers.has(a.batchId)) headers.set(a.batchId, await ledger.traces.batchHeader(a.batchId));
      const { root, firstSeq, count } = headers.get(a.batchId)!;
      // Each record at its own place in its batch's position-bound tree, under the root the chain holds.
      expect(processProof(traceLeafHash(traceLeafValues(a.record)), a.proof, BigInt(a.record.seq) - firstSeq, Number(count))).toBe(root);
    }
    const events = await ledger.traces.queryFilter(ledger.traces.filters.BatchAnchored(), c.deployment.deploymentBlock);
    expect(events.reduce((n, e) => n + Number(e.args.count), 0)).toBe(TRACES);
  }, 300_000);
});

const BIN = CLI_BUNDLE;
/** The real CLI, as hospital B (or with no key). */
async function cli(args: string[], key?: number) {
  const env = { ...process.env, MEDPROV_PRIVATE_KEY: key === undefined ? "" : c.keys[key].privateKey };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, "--rpc", node.url, "--deployment", c.deploymentPath, ...args], { env, cwd: c.dir });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe("TraceBatcher: a crash after sealing, then a recall", () => {
  it("quarantines the recalled version's traces with their reason, anchors the rest and later traces, and receipts stay readable", async () => {
    const ledger = connectLedger(c.deployment, node.provider);
    const [developer, regulator] = [new Developer(ledger, c.keys[2]), new Regulator(ledger, c.keys[3])];
    const { modelId } = await developer.registerModel({ name: "crash-then-recall", intendedUse: "triage", riskClass: "LOW" });
    const card = { model: modelId, weightsHash: "0x" + "cd".repeat(32), trainingDatasets: [c.datasetId], evaluation: { auc: 9200, sensitivity: 8800, specificity: 9000, subgroupAucGap: 300, biasTestCases: 400, grassrootsShare: 2500 } };
    const { versionId: recalled } = await developer.registerVersion(card, JSON.stringify(card));
    await regulator.approve(recalled, "NMPA-TEST-RECALL", undefined, ["EMERGENCY_TRIAGE"]);
    await new Hospital(ledger, c.keys[5]).deployVersion(recalled); // hospital B runs it (traces need a deployment)
    const HOSPITAL_B = 5;
    const vault = join(c.dir, "vault-recall");
    const file = (name: string, traces: { traceId: string }[]) => (writeFileSync(join(c.dir, name), traces.map((t) => JSON.stringify(t)).join("\n")), join(c.dir, name));
    // Stamped with the chain's time: after the batches above, the node's clock may run ahead of this host's.
    const now = (await node.provider.getBlock("latest"))!.timestamp;
    const mixed = (n: number) => Array.from({ length: n }, (_, i) => traceInput(i % 2 ? recalled : c.versionId, { time: now }));

    const earlier = mixed(10);
    expect((await runWorker(vault, file("earlier.jsonl", earlier), undefined, { key: 5 })).done).toBe(true);
    const later = mixed(30); // the worker seals the first 15, then kills itself before sending
    const crashed = await runWorker(vault, file("later.jsonl", later), undefined, { key: 5, crashAt: "anchor" });
    expect([crashed.killed, crashed.done]).toEqual([true, false]);
    expect(await ledger.traces.nextSequence(HOSPITAL_B)).toBe(10n);
    await regulator.recall(recalled, "field safety notice");

    // With the refused batch still sealed, a receipt of an earlier trace is cut without a key and sends nothing.
    const head = await node.provider.getBlockNumber();
    const receiptFile = join(c.dir, "earlier-receipt.json");
    const r = await cli(["trace", "receipt", earlier[1].traceId, "--vault", vault, "--out", receiptFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(await node.provider.getBlockNumber()).toBe(head);

    const resumed = await runWorker(vault, file("later.jsonl", later), undefined, { key: 5 });
    expect(resumed.done).toBe(true);
    expect(resumed.lines).toContain("error BATCH_REFUSED"); // reported, not swallowed

    const listed = await cli(["--json", "trace", "quarantined", "--vault", vault]);
    expect(listed.code, listed.stderr).toBe(0);
    const quarantined: QuarantinedTrace[] = JSON.parse(listed.stdout).quarantined;
    const recalledIds = later.filter((t) => t.modelVersion === recalled).map((t) => t.traceId.toLowerCase());
    expect(quarantined.map((q) => q.input.traceId).sort()).toEqual([...recalledIds].sort());
    for (const q of quarantined) expect([q.code, q.versionStatus, typeof q.time, q.iso]).toEqual(["VERSION_NOT_APPROVED", "RECALLED", "number", new Date(q.time! * 1000).toISOString()]);
    expect(quarantined.filter((q) => q.stage === "anchor").map((q) => q.sealedSeq)).toEqual(["11", "13", "15", "17", "19", "21", "23"]);
    const human = await cli(["trace", "quarantined", "--vault", vault]);
    expect(human.stdout.trim().split("\n")).toHaveLength(recalledIds.length);
    expect(human.stdout).toContain("VERSION_NOT_APPROVED (RECALLED)");

    const v = await TraceVault.openReadOnly(vault);
    const anchored: AnchoredTrace[] = [];
    for await (const a of v.anchored()) anchored.push(a);
    await v.close();
    const expected = [...earlier, ...later.filter((t) => t.modelVersion !== recalled)].map((t) => t.traceId.toLowerCase());
    expect(anchored.map((a) => a.record.traceId).sort()).toEqual(expected.sort());
    expect(anchored.map((a) => a.record.seq)).toEqual(expected.map((_, i) => String(i)));
    expect(await ledger.traces.nextSequence(HOSPITAL_B)).toBe(BigInt(expected.length));
    const outs = [];
    for (const t of [later[0], later[28]]) {
      outs.push(join(c.dir, `receipt-${t.traceId}.json`));
      expect((await cli(["trace", "receipt", t.traceId, "--vault", vault, "--out", outs[outs.length - 1]])).code).toBe(0);
    }
    const verified = await cli(["receipt", "verify", receiptFile, ...outs]);
    expect([verified.code, verified.stdout.match(/^VALID/gm)?.length], verified.stdout + verified.stderr).toEqual([0, 3]);
    const refusedReceipt = await cli(["trace", "receipt", later[1].traceId, "--vault", vault]);
    expect([refusedReceipt.code, refusedReceipt.stderr]).toEqual([1, expect.stringContaining("[TRACE_QUARANTINED]")]);
    expect(JSON.parse(readFileSync(receiptFile, "utf8")).record.traceId).toBe(earlier[1].traceId.toLowerCase());

    // The same refusal met by `medprov trace flush`: anchors what it can, one line naming it, exit 1.
    const last = [traceInput(c.versionId, { time: now }), traceInput(c.versionId, { time: now })];
    await runWorker(vault, file("last.jsonl", last), undefined, { key: 5, crashAt: "anchor" });
    await regulator.suspend(c.versionId, "under review");
    const flushed = await cli(["trace", "flush", "--vault", vault], 5);
    expect(flushed.code).toBe(1);
    expect(flushed.stderr.trim().split("\n")).toHaveLength(1);
    expect(flushed.stderr).toContain("[BATCH_REFUSED]");
    expect(flushed.stderr).toContain(`${c.versionId} is SUSPENDED`);
    expect(JSON.parse((await cli(["--json", "trace", "quarantined", "--vault", vault])).stdout).quarantined).toHaveLength(recalledIds.length + 2);
    await regulator.reinstate(c.versionId, "review closed");
  }, 300_000);
});
