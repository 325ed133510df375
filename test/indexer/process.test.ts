/**
 * The indexer against a real JSON-RPC node: killed with SIGKILL again and again during a large
 * backfill, and fed by a proxy that fails, stalls, truncates and refuses. Either way it ends with
 * the same state digest as a clean rebuild: no gap, no duplicate.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { startNode, bootstrapConsortium, type RpcNode, type RpcConsortium } from "../helpers/node";
import { startFaultProxy } from "../helpers/fault-proxy";
import { registration } from "../helpers/builders";
import { tempDb } from "../helpers/indexing";
import { prng } from "../helpers/workload";
import { BulkWriter__factory } from "../../typechain-types";
import { Governance, connectLedger } from "../../src/sdk";
import { INDEXED, IndexStore, createIndexer, httpRpc } from "../../src/indexer";
import { CLI_BUNDLE } from "../helpers/bundles";

const run = promisify(execFile);
const BIN = CLI_BUNDLE;
const KILLS = 10;

let node: RpcNode;
let c: RpcConsortium;
let events = 0;

beforeAll(async () => {
  // anvil, not a Hardhat node: the 9,000 bulk anchors below take it seconds, not minutes; what is
  // under test is the indexer process against a JSON-RPC node, and anvil is one.
  node = await startNode("anvil");
  c = await bootstrapConsortium(node);
  const [gov, hospital] = c.keys;
  const ledger = connectLedger(c.deployment, node.provider);
  const writer = await new BulkWriter__factory(gov).deploy();
  await writer.waitForDeployment();
  const g = new Governance(ledger, gov);
  await g.execute(g.calls.addKey(1, await writer.getAddress()));
  // Many events over many blocks: anchors and dataset registrations in bulk.
  for (let i = 0; i < 60; i++) {
    const seq = await ledger.traces.nextSequence(1);
    await (await writer.anchorMany(c.deployment.addresses.traces, seq, 150, c.versionId)).wait();
    if (i % 10 === 0) await (await writer.registerMany(c.deployment.addresses.datasets, i, 20, registration())).wait();
  }
  void hospital;
  // Every event of the indexed contracts (the AccessManager's and, until its events are indexed, the IncidentRegistry's are not).
  const indexed = Object.keys(INDEXED).map((k) => c.deployment.addresses[k as keyof typeof c.deployment.addresses]);
  events = (await node.provider.send("eth_getLogs", [{ fromBlock: "0x0", toBlock: "latest", address: indexed }])).length;
}, 600_000); // 9,000 bulk anchors each store a header and a version count (TraceAnchor 3): about 220 s on a Hardhat node on 2 busy cores
afterAll(async () => node?.stop());

const indexArgs = (db: string, ...more: string[]) => [BIN, "--rpc", node.url, "--deployment", c.deploymentPath, "--json", "index", "--db", db, "--once", ...more];

async function digestOf(db: string, ...more: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, indexArgs(db, ...more));
  return JSON.parse(stdout).digest;
}

describe("indexer process", () => {
  it(`survives ${KILLS} SIGKILLs during a large backfill and ends with the clean rebuild's digest`, async () => {
    expect(events).toBeGreaterThan(9_000);
    const db = tempDb();
    const r = prng(99);
    let kills = 0;
    for (let i = 0; i < KILLS; i++) {
      const killAfterRanges = 1 + r.int(4);
      const outcome = await new Promise<"killed" | "finished">((resolve, reject) => {
        // One block per range: many commits, so kills land between and inside them.
        const child = spawn(process.execPath, [BIN, "--rpc", node.url, "--deployment", c.deploymentPath, "index", "--db", db, "--once", "--max-range", "1"], { stdio: ["ignore", "pipe", "pipe"] });
        let ranges = 0;
        let stderr = "";
        child.stderr!.on("data", (d: Buffer) => {
          stderr += d;
          ranges += (d.toString().match(/indexed range/g) ?? []).length;
          if (ranges >= killAfterRanges && child.exitCode === null) child.kill("SIGKILL");
        });
        child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve("killed") : code === 0 ? resolve("finished") : reject(new Error(stderr))));
      });
      if (outcome === "killed") kills++;
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS - 2);
    const resumed = await digestOf(db);
    const clean = await digestOf(tempDb(), "--rebuild", "--rpc-batch", "1"); // and without JSON-RPC batches
    expect(resumed).toBe(clean);
  }, 600_000);

  it("follows the head and shuts down cleanly on SIGINT and SIGTERM", async () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const db = tempDb();
      const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, "--rpc", node.url, "--deployment", c.deploymentPath, "index", "--db", db, "--poll", "200"], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let signalled = false;
        child.stdout!.on("data", (d) => (stdout += d));
        child.stderr!.on("data", (d: Buffer) => {
          if (!signalled && d.toString().includes("indexed range")) {
            signalled = true;
            setTimeout(() => child.kill(signal), 300);
          }
        });
        child.on("exit", (code) => resolve({ code, stdout }));
      });
      expect(result.code, signal).toBe(0);
      expect(result.stdout).toMatch(/state digest 0x[0-9a-f]{64}/);
      // The database was closed properly: it opens again at once.
      const reopened = await IndexStore.open(db);
      expect((await reopened.cursor())!.block).toBeGreaterThan(0);
      await reopened.close();
    }
  }, 120_000);

  it("a faulty RPC (errors, stalls, truncated answers, range refusals) yields no gap and no duplicate", async () => {
    const proxy = await startFaultProxy(node.url, { seed: 7, errorRate: 0.12, stallRate: 0.04, truncateRate: 0.1, stallMs: 1500, maxLogRange: 7 });
    const faulty = httpRpc(proxy.url, { timeoutMs: 700 });
    const store = await IndexStore.open(tempDb());
    const indexer = createIndexer({ provider: faulty, deployment: c.deployment, store, maxRange: 64, retries: 30 });
    await indexer.syncOnce();
    const reference = await IndexStore.open(tempDb());
    const clean = createIndexer({ provider: node.provider, deployment: c.deployment, store: reference });
    await clean.syncOnce();
    expect(await store.digest()).toBe(await reference.digest());
    // As many events applied as through a faultless node: none lost, none twice. (Fewer than the logs of
    // the indexed contracts: the catalogue and filing events of issue 18 have no handler yet.)
    expect(indexer.stats().events).toBe(clean.stats().events);
    expect(clean.stats().events).toBeGreaterThan(9_000);
    for (const k of ["errors", "stalls", "truncated", "refusals"]) expect(proxy.counts[k], k).toBeGreaterThan(0);
    await Promise.all([store.close(), reference.close(), proxy.close()]);
  }, 300_000);
});
