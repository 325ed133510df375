/**
 * Indexer catch-up speed: a Hardhat JSON-RPC node holding ≥ 100,000 ledger events, indexed from
 * scratch; compared with a bare loop that only fetches the same logs with eth_getLogs. Memory at
 * half and at all of the events shows whether it stays flat: peak RSS of the timed runs, and the
 * live JS heap (after full collections) of separate, untimed runs.
 * Run: npm run bench:index (writes bench/out/bench-index.md). BENCH_EVENTS overrides the event count,
 * BENCH_ROUNDS the number of rounds (5).
 */
import { writeFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { startNode, bootstrapConsortium } from "../test/helpers/node";
import { registration } from "../test/helpers/builders";
import { tempDb } from "../test/helpers/indexing";
import { BulkWriter__factory } from "../typechain-types";
import { Governance, connectLedger, sendWrite } from "../src/sdk";
import { IndexStore, createIndexer, httpRpc } from "../src/indexer";
import { INDEXED, decodersByTopic } from "../src/indexer/handlers";
import { reportDir } from "./report-dir";

/** User + system CPU time of this process (every thread: JavaScript, libuv, LevelDB) since `since`. */
const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
// Full collections on demand, to measure what stays alive rather than garbage not yet collected.
v8.setFlagsFromString("--expose-gc");
const collect = vm.runInNewContext("gc") as () => void;
const TARGET = Number(process.env.BENCH_EVENTS ?? 100_000);
const PER_TX = 250;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const NOTES = `What it takes: logs are decoded by a decoder compiled once per event from the ABI (src/indexer/decode.ts,
property-tested equal to ethers' decodeEventLog, which built a tree of coder objects and a frozen Result per log and was
most of the time); a fetch-based JSON-RPC client that sends calls made together as one JSON-RPC batch; eth_getLogs ranges
sized by log density (about 10,000 logs a call, so what is alive is bounded by the ranges in flight, not by the chain:
compare the live heap of the two runs; peak RSS also counts garbage not yet collected and LevelDB's native memory, up to
two 64 MB memtables); the logs past a range's cut kept for the next range rather than asked for again; the next range's
logs and headers fetched while the current range is applied, and applied while the previous range's atomic batch is being
written; a range's new keys handed to LevelDB's native batch as they are made, so they die young instead of being copied
by every young-generation collection until the commit; per anchoring, one record keyed by its checkpoint (bc:) and three
small entries pointing to it (b:, bh:, bv:).
What remains is CPU: anvil and the indexer share this machine's cores. The bare loop's time is mostly this process
parsing the answer; the index run adds decoding (the second row), applying events, writing four keys per anchoring, and
LevelDB's own threads (the batch writes and compactions), which is why its CPU column exceeds its time.
Writing the events is the slow part of this script (each block is one transaction of ${PER_TX} anchorings through a test contract).`;

async function main() {
  // anvil: Hardhat's node answers eth_getLogs far more slowly per log, which would measure the node, not the indexer.
  const node = await startNode("anvil");
  try {
    const c = await bootstrapConsortium(node);
    const ledger = connectLedger(c.deployment, node.provider);
    const writer = await new BulkWriter__factory(c.keys[0]).deploy();
    await writer.waitForDeployment();
    const g = new Governance(ledger, c.keys[0]);
    await g.execute(g.calls.addKey(1, await writer.getAddress()));
    const indexedAddresses = Object.keys(INDEXED).map((name) => c.deployment.addresses[name as keyof typeof c.deployment.addresses]);
    let events = 0;
    let halfBlock = 0;
    process.stderr.write(`writing ${TARGET.toLocaleString("en")} events`);
    for (let i = 0; events < TARGET; i++) {
      const seq = await ledger.traces.nextSequence(1);
      await sendWrite(writer, () => writer.anchorMany(c.deployment.addresses.traces, seq, PER_TX, c.versionId));
      if (i % 20 === 0) await sendWrite(writer, () => writer.registerMany(c.deployment.addresses.datasets, i, 10, registration()));
      events += PER_TX + (i % 20 === 0 ? 10 : 0);
      if (!halfBlock && events >= TARGET / 2) halfBlock = await node.provider.getBlockNumber();
      if (i % 40 === 0) process.stderr.write(".");
    }
    process.stderr.write("\n");
    const head = await node.provider.getBlockNumber();

    /** The bare loop: every log of the indexed contracts by eth_getLogs, 5,000 blocks a call, handed to `each`. */
    async function fetchAll(each: (logs: { topics: string[]; data: string }[]) => void): Promise<{ ms: number; cpuMs: number }> {
      collect();
      const started = performance.now();
      const cpu = process.cpuUsage();
      for (let from = c.deployment.deploymentBlock; from <= head; from += 5000) {
        each((await httpRpc(node.url).send("eth_getLogs", [{ fromBlock: "0x" + from.toString(16), toBlock: "0x" + Math.min(head, from + 4999).toString(16), address: indexedAddresses }])) as { topics: string[]; data: string }[]);
      }
      return { ms: performance.now() - started, cpuMs: cpuMs(cpu) };
    }
    const decoders = decodersByTopic();

    /** Indexes into a fresh store, to `upTo` (by pretending the head is there) or to the real head. */
    async function indexTo<T>(upTo: number | undefined, measure: (sync: () => Promise<{ events: number }>) => Promise<T>): Promise<T> {
      const db = tempDb();
      const store = await IndexStore.open(db);
      const indexer = createIndexer({ provider: httpRpc(node.url), deployment: c.deployment, store, confirmations: upTo ? head - upTo : 0 });
      try {
        return await measure(() => indexer.syncOnce());
      } finally {
        await store.close();
        rmSync(db, { recursive: true, force: true });
      }
    }

    /** Timed: time, CPU and peak RSS growth (RSS includes garbage not yet collected and LevelDB's native memory). */
    const timedRun = (upTo?: number) =>
      indexTo(upTo, async (sync) => {
        collect();
        const baseline = process.memoryUsage().rss;
        let peak = baseline;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
        const started = performance.now();
        const cpu = process.cpuUsage();
        const stats = await sync();
        const ms = performance.now() - started;
        const cpuUsed = cpuMs(cpu);
        clearInterval(sampler);
        return { ms, cpuMs: cpuUsed, events: stats.events, peakMb: Math.round((Math.max(peak, process.memoryUsage().rss) - baseline) / 2 ** 20) };
      });

    /** Untimed: the JS heap that stays alive (after a full collection every 50 ms) at its largest, and after the run. */
    const liveRun = (upTo?: number) =>
      indexTo(upTo, async (sync) => {
        collect();
        const baseline = process.memoryUsage().heapUsed;
        let peak = baseline;
        const sampler = setInterval(() => {
          collect();
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        }, 50);
        await sync();
        clearInterval(sampler);
        collect();
        const mb = (bytes: number) => Math.round((bytes - baseline) / 2 ** 20);
        return { liveMb: mb(peak), retainedMb: mb(process.memoryUsage().heapUsed) };
      });

    // Rounds interleave the runs, so a slow moment of the machine (anvil shares its cores) falls on
    // one round of each rather than on one kind of run; each row shows its median round.
    type Timed = { ms: number; cpuMs: number; events: number; peakMb?: number };
    const runs = { bare: [] as Timed[], decoded: [] as Timed[], half: [] as Timed[], full: [] as Timed[] };
    for (let round = 0; round < ROUNDS; round++) {
      let bare = 0;
      runs.bare.push({ ...(await fetchAll((logs) => (bare += logs.length))), events: bare });
      // The same loop, also decoding every log with the indexer's decoders: what indexing costs before the store.
      let decoded = 0;
      runs.decoded.push({ ...(await fetchAll((logs) => {
        for (const l of logs) if (decoders.get(l.topics[0])?.decode(l.topics, l.data)) decoded++;
      })), events: decoded });
      runs.half.push(await timedRun(halfBlock));
      runs.full.push(await timedRun());
      process.stderr.write(`round ${round + 1}/${ROUNDS}: bare ${runs.bare[round].ms.toFixed(0)} ms, index ${runs.full[round].ms.toFixed(0)} ms\n`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const summary = (rs: Timed[]) => ({ ms: median(rs.map((r) => r.ms)), cpuMs: median(rs.map((r) => r.cpuMs)), events: rs[0].events, peakMb: Math.max(...rs.map((r) => r.peakMb ?? 0)) });
    const bare = summary(runs.bare);
    const decoded = summary(runs.decoded);
    const half = { ...summary(runs.half), ...(await liveRun(halfBlock)) };
    const full = { ...summary(runs.full), ...(await liveRun()) };
    const ratios = runs.full.map((r, i) => r.ms / runs.bare[i].ms);
    const row = (name: string, r: { ms: number; cpuMs: number; events: number }, ratio: string, memory: string) =>
      `| ${name} | ${r.events.toLocaleString("en")} | ${(r.ms / 1000).toFixed(2)} s | ${Math.round((r.events * 1000) / r.ms).toLocaleString("en")} | ${ratio} | ${(r.cpuMs / 1000).toFixed(2)} s | ${memory} |`;
    const header = `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length}× ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, against anvil (Foundry) over JSON-RPC on loopback (${head} blocks, ${PER_TX} events a block). Each row is the median of ${ROUNDS} interleaved rounds; peak RSS growth is the largest round's.`;
    const table = [
      "| run | events | time | events/s | ratio to bare eth_getLogs | CPU of this process (all threads) | peak RSS growth | live JS heap growth, largest / after the run |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      row("bare eth_getLogs loop", bare, "1.00×", " | "),
      row("eth_getLogs loop + decoding every log", decoded, `${(decoded.ms / bare.ms).toFixed(2)}×`, " | "),
      row("index, first half", half, "", `${half.peakMb} MB | ${half.liveMb} MB / ${half.retainedMb} MB`),
      row("index, all", full, `${(full.ms / bare.ms).toFixed(2)}× (rounds: ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×)`, `${full.peakMb} MB | ${full.liveMb} MB / ${full.retainedMb} MB`),
    ].join("\n");
    const body = `# Indexer catch-up\n\nRegenerate with \`npm run bench:index\`. Targets: ≥ 10,000 events/s and ≤ 1.5× the bare fetch time; memory flat as events grow.\n\n${header}\n\n${table}\n\n${NOTES}\n`;
    console.log(body);
    writeFileSync(join(reportDir(), "bench-index.md"), body);
  } finally {
    await node.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
