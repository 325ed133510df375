/**
 * Kills a batcher process with SIGKILL at chosen points of a flush (after sealing, while the
 * anchoring transaction is in flight, after the chain accepted it but before the proofs were
 * stored, while storing) and at random moments, restarting it each time. In the end nothing it
 * acknowledged is lost, nothing is anchored twice, and sequence numbers are contiguous.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { startNode, bootstrapConsortium, type RpcNode, type RpcConsortium } from "./helpers/node";
import { traceInput } from "./helpers/traces";
import { TraceVault, TRACE_LEAF_ENCODING, traceLeafValues, connectLedger, type AnchoredTrace } from "../src/sdk";

const ROOT = join(__dirname, "..");
const TRACES = 400;
const KILLS: (string | number)[] = ["phase seal", "phase anchor", "phase anchored", "phase store", "phase anchored", 900, 1500, 2100, 2700, 3300];

let node: RpcNode;
let c: RpcConsortium;

beforeAll(async () => {
  node = await startNode();
  c = await bootstrapConsortium(node);
}, 120_000);
afterAll(async () => node?.stop());

/** Runs the worker until `kill` (a line to wait for, or milliseconds), or to the end. Returns acked ids and whether it finished. */
function runWorker(vault: string, input: string, kill?: string | number): Promise<{ acks: string[]; done: boolean; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "tsx/cjs", join(ROOT, "test/fixtures/batcher-worker.ts"), node.url, c.deploymentPath, vault, input], {
      cwd: ROOT,
      env: { ...process.env, MEDPROV_PRIVATE_KEY: c.keys[1].privateKey },
      stdio: ["ignore", "pipe", "pipe"],
    });
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
        if (line.startsWith("ack ")) acks.push(line.slice(4));
        if (line === "done") done = true;
        if (typeof kill === "string" && line === kill) killNow();
      }
    });
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (code, signal) => {
      if (!killed && code !== 0) reject(new Error(`worker failed (${code ?? signal}): ${stderr}`));
      else resolve({ acks, done, killed });
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
    const roots = new Map<string, string>();
    for (const a of anchored) {
      if (!roots.has(a.batchId)) roots.set(a.batchId, await ledger.traces.batchRoot(a.batchId));
      expect(StandardMerkleTree.verify(roots.get(a.batchId)!, [...TRACE_LEAF_ENCODING], traceLeafValues(a.record), a.proof)).toBe(true);
    }
    const events = await ledger.traces.queryFilter(ledger.traces.filters.BatchAnchored(), c.deployment.deploymentBlock);
    expect(events.reduce((n, e) => n + Number(e.args.count), 0)).toBe(TRACES);
  }, 300_000);
});
