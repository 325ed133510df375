/**
 * `npm start`: a local consortium on the embedded default — a local chain, the contracts, a
 * realistic demo, the indexer and the audit API — then prints where to look. A second start on
 * the same data directory resumes (the chain keeps every answered write: src/chain) instead of
 * reseeding. Ctrl-C (or SIGTERM, or the terminal closing) stops everything, waits for the chain's
 * own process to exit, and leaves nothing running; `--reset` starts over.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative, resolve } from "node:path";
import { Command } from "commander";
import { JsonRpcProvider } from "ethers";
import { MedprovError, Outbox, connectLedger, parseReceipt, readDeployment, writeFileDurably, type Deployment } from "../src/sdk";
import { IncidentReceipts, incidentReceiptsDir, startService } from "../src/api";
import { httpRpc, loadCohortManifests } from "../src/indexer";
import { startEmbeddedChain, type EmbeddedChain } from "../src/chain";
import { DEFAULT_GOVERNANCE_DELAY } from "../src/constants";
import { DEMO_MNEMONIC, DEMO_SIZES, demoAccounts, demoMembers, deployDemo, grantsSeededElsewhere, seedDemo, type DemoAccounts, type Progress } from "../src/demo/seed";
import { DEMO_CHAIN_ID, demoIdentities, writeDemoIdentities } from "../src/demo/identities";
import { cliExportsLine } from "../src/demo/cli-env";
import { serviceLogger } from "../src/cli/log";
import { webBuildExists } from "../src/web";

const program = new Command("medprov-start")
  .description("run a local medprov consortium with a demo, the indexer and the audit API")
  .option("--data <dir>", "data directory (chain state, trace vaults, index)", process.env.MEDPROV_DATA ?? ".medprov")
  .option("--rpc <url>", "attach to an existing JSON-RPC node instead of starting one")
  .option("--chain-port <port>", "port of the embedded chain", "8545")
  .option("--port <port>", "port of the API", "8080")
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .option("--deployment <file>", "deployment manifest to write or reuse", "deployments/localhost.json")
  .option("--demo-size <size>", "full (300 patients, 20,000 traces) or small", "full")
  .option("--no-demo", "deploy only; seed nothing")
  .option("--reset", "delete the data directory and the deployment manifest first, and start over")
  .parse();
const o = program.opts<{ data: string; rpc?: string; chainPort: string; port: string; host: string; deployment: string; demoSize: string; demo: boolean; reset?: boolean }>();

const tty = process.stdout.isTTY;
const progress: Progress = (step, done, total) => {
  const line = total ? `  ${step} ${done}/${total}` : `  ${step}`;
  if (tty && total && done !== total) process.stdout.write(`\r${line}`);
  else process.stdout.write(`${tty ? "\r" : ""}${line}\n`);
};

/** Refuses a busy port before anything is started, deployed or sent. */
function portFree(host: string, port: number, what: string, options: string): Promise<void> {
  return new Promise((ok, fail) => {
    const srv = createServer()
      .once("error", (e: NodeJS.ErrnoException) => fail(new MedprovError("PORT_IN_USE", e.code === "EADDRINUSE" ? `port ${port} (${what}) is already in use: stop what holds it or choose another with ${options}` : `cannot listen on ${host}:${port} (${what}): ${e.message}`)))
      .listen(port, host, () => srv.close(() => ok()));
  });
}

/**
 * Refuses busy ports before anything is created, started or sent, naming every busy one at once (one
 * at a time, a user who freed the API's port would only then learn that the chain's is taken too).
 */
async function portsFree(ports: { host: string; port: number; what: string; option: string }[]): Promise<void> {
  const refusals = await Promise.all(ports.map((p) => portFree(p.host, p.port, p.what, p.option).then(() => undefined, (e: Error) => e.message)));
  const busy = refusals.filter((r): r is string => r !== undefined);
  if (busy.length) throw new MedprovError("PORT_IN_USE", busy.join("; "));
}

function reset(dataDir: string, deploymentPath: string): void {
  const pid = join(dataDir, "chain.pid");
  if (existsSync(pid)) {
    const n = Number(readFileSync(pid, "utf8"));
    try {
      process.kill(n, 0);
      throw new MedprovError("DATA_IN_USE", `${dataDir} is in use by a running npm start (chain process ${n}); stop it first`);
    } catch (e) {
      if (e instanceof MedprovError) throw e;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(deploymentPath, { force: true });
  console.log(`medprov: reset: removed ${dataDir} and ${deploymentPath}`);
}

async function waitFor(url: string): Promise<number> {
  for (let i = 0; ; i++) {
    try {
      return Number(await httpRpc(url, { timeoutMs: 1000 }).send("eth_chainId", []));
    } catch (e) {
      if (i > 200) throw new MedprovError("CHAIN_UNAVAILABLE", `the chain at ${url} does not answer: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function deployed(provider: JsonRpcProvider, path: string): Promise<Deployment | undefined> {
  if (!existsSync(path)) return undefined;
  const d = readDeployment(path);
  const code = await provider.getCode(d.addresses.consortium);
  return code !== "0x" ? d : undefined;
}

async function deployOrReuse(provider: JsonRpcProvider, accounts: DemoAccounts, chainId: number, outbox: Outbox): Promise<Deployment> {
  const path = resolve(o.deployment);
  const existing = await deployed(provider, path);
  if (existing) {
    console.log(`medprov: reusing the deployment in ${o.deployment}`);
    return existing;
  }
  console.log(`medprov: deploying to chain ${chainId}`);
  const deployment = await deployDemo(provider, accounts, DEFAULT_GOVERNANCE_DELAY, progress, outbox);
  writeFileDurably(path, JSON.stringify(deployment, null, 2) + "\n");
  return deployment;
}

interface DemoMarker {
  consortium: string;
  /** The demo size seeded (markers written before it was recorded: the size asked for now). */
  size?: string;
  receipts?: string[];
  recalledVersion?: string;
  /** The seeded incidents, each with its trace's receipt file (src/demo/incidents.ts). */
  incidents?: { incidentId: number; receipt: string; what: string }[];
}

/**
 * Files the seeded incidents' trace receipts with the API's incident-receipt store, as hospital 1
 * would with POST /incidents/:id/receipt, so that each patient concerned sees their incident. The
 * store is written directly (the API is not up yet) and is idempotent: every start files them again.
 */
async function fileIncidentReceipts(demo: DemoMarker | undefined, dataDir: string): Promise<void> {
  const store = new IncidentReceipts(incidentReceiptsDir(join(dataDir, "index")));
  for (const i of demo?.incidents ?? []) await store.put(i.incidentId, parseReceipt(JSON.parse(readFileSync(i.receipt, "utf8"))));
}

/** Seeds once per deployment; the marker is written (durably) only after the last seeded write was answered. */
async function seedOnce(provider: JsonRpcProvider, deployment: Deployment, accounts: DemoAccounts, dataDir: string, outbox: Outbox): Promise<DemoMarker | undefined> {
  const marker = join(dataDir, "demo.json");
  const existing = existsSync(marker) ? (JSON.parse(readFileSync(marker, "utf8")) as DemoMarker) : undefined;
  if (existing?.consortium === deployment.addresses.consortium) {
    console.log("medprov: demo already seeded; resuming");
    return existing;
  }
  if (!o.demo) return undefined;
  const elsewhere = await grantsSeededElsewhere(connectLedger(deployment, provider), deployment.deploymentBlock, outbox);
  if (elsewhere > 0) {
    throw new MedprovError("DEMO_SEEDED_ELSEWHERE", `the chain already holds the demo of ${o.deployment} (${elsewhere} consent grants), seeded from another data directory than ${dataDir}; nothing was written: start with that directory (--data <dir>), add --no-demo to serve the chain as it is, or use a new chain (without --rpc; npm start -- --reset starts over)`);
  }
  console.log(`medprov: seeding the ${o.demoSize} demo`);
  const r = await seedDemo(provider, deployment, accounts, DEMO_SIZES[o.demoSize], dataDir, progress, outbox);
  const demo = { consortium: deployment.addresses.consortium, size: o.demoSize, ...r };
  writeFileDurably(marker, JSON.stringify(demo, null, 2));
  return demo;
}

/** A path as a person would type it from here: relative when below the working directory. */
const shown = (path: string) => (path.startsWith(process.cwd() + "/") ? relative(process.cwd(), path) : path);

/**
 * The demo's organisations by the names `medprov --as` takes (hospital-1, developer-1, …), each with
 * its key, organisation name and id, in admission order (ids 1, 2, …).
 */
function demoOrganisations(accounts: DemoAccounts): { as: string; address: string; line: string }[] {
  const names = [...accounts.hospitals.map((_, i) => `hospital-${i + 1}`), ...accounts.developers.map((_, i) => `developer-${i + 1}`), "regulator", "auditor", "appraiser"];
  return demoMembers(accounts).map((m, i) => ({ as: names[i], address: m.keys[0], line: `  ${names[i].padEnd(12)} ${m.keys[0]}   ${m.name}, organisation ${i + 1}` }));
}

/** Who governs: the manifest's Safe with its threshold and owners by name (a demo deployed before Safes: its governance account). */
function governanceLine(accounts: DemoAccounts): string {
  const m = JSON.parse(readFileSync(o.deployment, "utf8")) as Deployment & { safe?: { safe: string; owners: string[]; threshold: number } };
  if (!m.safe) return `  governance ${m.governance}`;
  const byAddress = new Map(demoOrganisations(accounts).map((org) => [org.address.toLowerCase(), org.as]));
  const owners = m.safe.owners.map((a) => byAddress.get(a.toLowerCase()) ?? a).join(", ");
  return `  governance   Safe ${m.safe.safe}   (${m.safe.threshold} of ${m.safe.owners.length}: ${owners}; docs/consortium.md)`;
}


function banner(api: string, chainUrl: string, chainId: number, accounts: DemoAccounts, demo: DemoMarker | undefined, identities: string | undefined): string {
  const vault = (i: number) => join(o.data, `hospital-${i + 1}`, "trace-vault");
  return [
    "",
    "medprov is running.",
    ...(webBuildExists() ? [`  web app   ${api}/   (sign in as a demo identity)`] : []),
    `  API       ${api}   (OpenAPI ${api}/openapi.json, Swagger UI ${api}/docs, health ${api}/readyz)`,
    `  chain     ${chainUrl}   (chain id ${chainId})`,
    `  manifest  ${o.deployment}`,
    "",
    "Demo accounts (local test keys — never use them elsewhere):",
    governanceLine(accounts),
    `  ${"deployer".padEnd(12)} ${accounts.governance.address}`,
    ...demoOrganisations(accounts).map((org, i) => {
      if (i < accounts.hospitals.length && existsSync(vault(i))) return `${org.line}   vault ${vault(i)}`;
      return org.as === "auditor" ? `${org.line}   key: MEDPROV_PRIVATE_KEY=${accounts.auditor.privateKey}` : org.line;
    }),
    ...(identities ? [`  every account with its role, organisation and key (demo only, chain ${DEMO_CHAIN_ID} only): ${shown(identities)}`, "  act as one by the names above: npx medprov --as hospital-1 …   (also governance, guardian, patient-N)"] : []),
    "",
    ...cliExportsLine({ MEDPROV_RPC: chainUrl, MEDPROV_API: api, MEDPROV_DEPLOYMENT: o.deployment, MEDPROV_IDENTITIES: identities }),
    "Try:",
    ...(demo?.receipts?.length ? [`  npx medprov receipt verify ${demo.receipts[0]}`] : []),
    ...(demo?.recalledVersion ? [`  curl -s ${api}/versions/${demo.recalledVersion}`] : []),
    ...(demo?.incidents?.length ? [`  npx medprov incident evidence ${demo.incidents[0].incidentId} --receipt ${shown(demo.incidents[0].receipt)}   (${demo.incidents[0].what}: the evidence pack; docs/accountability.md)`] : []),
    `  curl -s ${api}/models`,
    ...(identities ? ["  npx medprov --as auditor login --api " + api + "   (a bearer token for curl)"] : []),
    "  (the README's walkthrough signs in as the auditor for the reports)",
    "",
    "Ctrl-C stops everything.",
  ].join("\n");
}

async function main() {
  const dataDir = resolve(o.data);
  if (!DEMO_SIZES[o.demoSize]) throw new MedprovError("BAD_ARGUMENT", `--demo-size must be one of ${Object.keys(DEMO_SIZES).join(", ")}`);
  if (o.reset) reset(dataDir, resolve(o.deployment));
  let chain: EmbeddedChain | undefined;
  let provider: JsonRpcProvider | undefined;
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  let outbox: Outbox | undefined;
  let stopping = false;
  /** Closes what did start (the chain's own process is waited for); says nothing unless that fails. */
  const teardown = async () => {
    await service?.close().catch(() => undefined);
    provider?.destroy();
    await outbox?.close().catch(() => undefined);
    await chain?.stop().catch((e: Error) => console.error(`medprov: ${e.message}`));
  };
  // Ctrl-C, SIGTERM, the terminal closing: a person stopping what runs is told it stopped.
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nmedprov: stopping…");
    await teardown();
    console.log("medprov: stopped");
    process.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop());
  try {
    // Before the data directory is made: a refused start leaves nothing behind.
    await portsFree([{ host: o.host, port: Number(o.port), what: "the API", option: "--port <port>" }, ...(o.rpc ? [] : [{ host: "127.0.0.1", port: Number(o.chainPort), what: "the local chain", option: "--chain-port <port>, or attach to the node that holds it with --rpc <url>" }])]);
    mkdirSync(dataDir, { recursive: true });
    console.log(`medprov: data in ${dataDir}`);
    if (!o.rpc) chain = await startEmbeddedChain({ dir: dataDir, port: Number(o.chainPort), chainId: 31337, mnemonic: DEMO_MNEMONIC, log: (l) => console.log(`medprov: ${l}`) });
    const chainUrl = chain?.url ?? o.rpc!;
    const chainId = await waitFor(chainUrl);
    provider = new JsonRpcProvider(chainUrl, chainId, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
    const accounts = demoAccounts(provider);
    // Every write of this process goes through one outbox; what a killed run left unfinished is finished first.
    outbox = await Outbox.open(join(dataDir, "outbox"));
    await outbox.resume(provider);
    const deployment = await deployOrReuse(provider, accounts, chainId, outbox);
    const demo = await seedOnce(provider, deployment, accounts, dataDir, outbox);
    await fileIncidentReceipts(demo, dataDir);
    // The demo's keys are public test keys: written down for people only on the local demo chain.
    const identities = chainId === DEMO_CHAIN_ID ? writeDemoIdentities(dataDir, demoIdentities(accounts, demo ? DEMO_SIZES[demo.size ?? o.demoSize]?.patients ?? 0 : 0)) : undefined;
    if (identities) console.log(`medprov: demo identities (demo only) in ${shown(identities)}`);
    console.log("medprov: starting the indexer and the API");
    // The demo API is run by hospital 1, which relays patients' signed consents (POST /relay).
    service = await startService({ rpc: chainUrl, deployment, db: join(dataDir, "index"), host: o.host, port: Number(o.port), logger: serviceLogger("warn"), relayer: accounts.hospitals[0], outbox, demoIdentities: identities });
    // Custodians' cohort manifests (written beside each dataset) enable the revocation-impact report.
    for (let h = 1; h <= accounts.hospitals.length; h++) {
      const dir = join(dataDir, `hospital-${h}`);
      if (existsSync(dir)) await loadCohortManifests(service.store, dir);
    }
    console.log(banner(service.address, chainUrl, chainId, accounts, demo, identities));
  } catch (e) {
    // A refused or failed start is its one line of why and a non-zero exit: no "stopping… stopped"
    // for a consortium that never ran (what did start, the chain say, is closed quietly).
    if (stopping) return; // Ctrl-C during start-up: stop() ends the process
    stopping = true;
    console.error(refusal(e as Error));
    await teardown();
    process.exit(1);
  }
}

/** One line of why, with the error's code (DEMO_SEEDED_ELSEWHERE, PORT_IN_USE) as the CLI prints it. */
const refusal = (e: Error) => `medprov: ${e.message}${e instanceof MedprovError ? ` [${e.code}]` : ""}`;

// A mistake found before anything started (a bad option, --reset while another start runs) is one
// line, as every other refusal here; the try above closes what did start.
main().catch((e: Error) => {
  console.error(refusal(e));
  process.exit(1);
});
