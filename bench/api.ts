/**
 * API throughput with autocannon, in one run against a server holding the demo data (the full demo
 * that `npm start` serves; BENCH_DEMO=small for a quicker run):
 * a hello-world Fastify route for reference, a consent-history query, a report, and POST /verify.
 * Run: npm run bench:api (writes bench/out/bench-api.md). Loopback only; each load is bounded in time.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import Fastify from "fastify";
import { JsonRpcProvider } from "ethers";
import { SiweMessage } from "siwe";
import { startService } from "../src/api";
import { httpRpc } from "../src/indexer";
import { DEMO_MNEMONIC, DEMO_SIZES, demoAccounts, deployDemo, seedDemo } from "../src/demo/seed";
import { reportDir } from "./report-dir";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 100;
const RECEIPTS_PER_REQUEST = 20;
const DEMO = process.env.BENCH_DEMO ?? "full";

async function load(title: string, o: autocannon.Options) {
  const r = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...o });
  return { title, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, bytes: Math.round(r.throughput.total / Math.max(1, r.requests.total)) };
}

/** CPU seconds used so far by another process (Linux /proc), or undefined where that cannot be read. */
function cpuOf(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return undefined;
  }
}

/**
 * Waits until this process (LevelDB compacting what seeding wrote) and the node are nearly idle, so
 * the first rows are not measured against leftover background work. Gives up after a minute.
 */
async function settle(nodePid: number | undefined): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const [self, node] = [process.cpuUsage(), cpuOf(nodePid)];
    await new Promise((r) => setTimeout(r, 1000));
    const used = process.cpuUsage(self);
    const selfBusy = (used.user + used.system) / 1e6;
    const nodeBusy = node === undefined ? 0 : (cpuOf(nodePid) ?? node) - node;
    if (selfBusy < 0.05 && nodeBusy < 0.05) return void process.stderr.write(`settled after ${i + 1} s\n`);
  }
  process.stderr.write("still busy after 60 s; measuring anyway\n");
}

async function main() {
  const data = mkdtempSync(join(tmpdir(), "medprov-bench-api-"));
  const chainPort = 23_000 + Math.floor(Math.random() * 5000);
  const anvil = spawn(join(__dirname, "..", "node_modules", ".bin", "anvil"), ["--host", "127.0.0.1", "--port", String(chainPort), "--chain-id", "31337", "--mnemonic", DEMO_MNEMONIC, "--silent"], { stdio: "ignore" });
  const rpc = `http://127.0.0.1:${chainPort}`;
  for (let i = 0; ; i++) {
    try {
      await httpRpc(rpc, { timeoutMs: 500 }).send("eth_chainId", []);
      break;
    } catch {
      if (i > 100) throw new Error("anvil did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const provider = new JsonRpcProvider(rpc, 31337, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  const accounts = demoAccounts(provider);
  const deployment = await deployDemo(provider, accounts, 3600, () => undefined);
  if (!DEMO_SIZES[DEMO]) throw new Error(`BENCH_DEMO must be one of ${Object.keys(DEMO_SIZES).join(", ")}`);
  process.stderr.write(`seeding the ${DEMO} demo…\n`);
  const demo = await seedDemo(provider, deployment, accounts, DEMO_SIZES[DEMO], data, () => undefined);
  // The load comes from one loopback client: lift the per-IP rate limit for the measurement.
  const service = await startService({ rpc, deployment, db: join(data, "index"), port: chainPort + 1, logger: false, rateLimit: 1e9 });
  const api = service.address;
  const hello = Fastify();
  hello.get("/", async () => ({ hello: "world" }));
  // The same bytes as the consent-history answer, from a bare route: what the response's size costs alone.
  let sameBytes: unknown = null;
  hello.get("/same-bytes", async () => sameBytes);
  const helloUrl = await hello.listen({ port: 0, host: "127.0.0.1" });
  await settle(anvil.pid);
  try {
    const url = new URL(api);
    const { nonce } = (await (await fetch(`${api}/auth/nonce`, { method: "POST" })).json()) as { nonce: string };
    const message = new SiweMessage({ domain: url.host, address: accounts.auditor.address, uri: url.origin, version: "1", chainId: 31337, nonce, issuedAt: new Date().toISOString() }).prepareMessage();
    const { session } = (await (await fetch(`${api}/auth/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message, signature: await accounts.auditor.signMessage(message) }) })).json()) as { session: string };
    if (!session) throw new Error("could not sign in as the auditor");
    const headers = { authorization: `Bearer ${session}`, "content-type": "application/json" };
    sameBytes = await (await fetch(`${api}/consents/${demo.revokedSubject}/history`, { headers })).json();
    const receipts = demo.receipts.map((f) => JSON.parse(readFileSync(f, "utf8")));
    const batch = Array.from({ length: RECEIPTS_PER_REQUEST }, (_, i) => receipts[i % receipts.length]);
    const routes: [string, autocannon.Options][] = [
      ["hello-world Fastify route", { url: helloUrl }],
      ["bare Fastify route answering the consent-history JSON (no plugins, no query)", { url: `${helloUrl}/same-bytes` }],
      ["GET /healthz (the API's hooks: security headers, rate limit, metrics; no query, no session)", { url: `${api}/healthz` }],
      ["GET /consents/:subject/history", { url: `${api}/consents/${demo.revokedSubject}/history`, headers }],
      ["GET /reports/recall-impact/:id", { url: `${api}/reports/recall-impact/${demo.recalledVersion}`, headers }],
      [`POST /verify (${RECEIPTS_PER_REQUEST} receipts a request)`, { url: `${api}/verify`, method: "POST", headers, body: JSON.stringify({ receipts: batch }) }],
    ];
    // Two placements of the load generator: on the server's thread (both share one core's worth of
    // event loop) and on a worker thread (the server's thread serves only). Both are on this machine.
    const tables: string[] = [];
    for (const [placement, workers] of [["client on the server's thread", 0], ["client on a worker thread", 1]] as const) {
      const rows = [];
      for (const [title, o] of routes) {
        // BENCH_ONLY=<regex> runs a subset (for profiling); the report is written only for a full run.
        if (!process.env.BENCH_ONLY || new RegExp(process.env.BENCH_ONLY).test(title)) rows.push(await load(title, { ...o, ...(workers ? { workers } : {}) }));
      }
      if (process.env.BENCH_ONLY) {
        console.log(placement, rows);
        continue;
      }
      const helloRps = rows[0].rps;
      tables.push([
        `**${placement}**`,
        "",
        "| route | req/s | vs hello-world | p50 ms | p99 ms | receipts/s | bytes a response | non-2xx or errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ...rows.map((r) => `| ${r.title} | ${r.rps.toLocaleString("en")} | ${((100 * r.rps) / helloRps).toFixed(0)}% | ${r.p50} | ${r.p99} | ${r.title.startsWith("POST /verify") ? (r.rps * RECEIPTS_PER_REQUEST).toLocaleString("en") : ""} | ${r.bytes.toLocaleString("en")} | ${r.errors} |`),
      ].join("\n"));
    }
    if (process.env.BENCH_ONLY) return;
    const notes = [
      "An authenticated request resolves the caller's role on-chain at the current head block (one shared eth_blockNumber at",
      "most every 100 ms; key and organisation read again whenever the head moves). Index reads are memoised until the index",
      "next changes, and so is the text of a memoised answer (Fastify's schema-compiled serializer remembers each object it",
      "serialized); no event arrives during the run, so these rows measure that memoised path, and a block with ledger events",
      "empties the memos once. Two rows separate what the route costs from what the HTTP exchange costs: the bare route",
      "answering the same consent-history JSON shows what the response's size alone costs against hello-world, and /healthz",
      "is this server with its hooks but no query and no session. Helmet's eleven headers are computed once by helmet and",
      "set by one hook (src/api/security-headers.ts: @fastify/helmet rebuilds helmet on every request); CORS is not",
      "registered because no origin is configured (the default). Verification reads batches and status histories from the",
      "index and hashes leaves and proofs with the native keccak.",
    ].join("\n");
    const body = `# API throughput\n\nRegenerate with \`npm run bench:api\`. Targets: consent history ≥ 50% of hello-world req/s with p99 ≤ 20 ms at ${CONNECTIONS} connections; verification ≥ 2,000 receipts/s.\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length}× ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}; autocannon, ${CONNECTIONS} connections, ${SECONDS} s a route, client and server on the same ${os.cpus().length} cores; the ${DEMO} demo (${DEMO_SIZES[DEMO].patients} patients, ${DEMO_SIZES[DEMO].traces.toLocaleString("en")} traces) on anvil.\n\n${tables.join("\n\n")}\n\n${notes}\n`;
    console.log(body);
    writeFileSync(join(reportDir(), "bench-api.md"), body);
  } finally {
    await hello.close();
    await service.close();
    provider.destroy();
    anvil.kill("SIGTERM");
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
