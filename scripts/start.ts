/**
 * `npm start`: a local consortium on the embedded default — a local chain, the contracts, a
 * realistic demo, the indexer and the audit API — then prints where to look. A second start on
 * the same data directory resumes (the chain's state is kept there) instead of reseeding. Ctrl-C
 * stops everything and leaves no process behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Command } from "commander";
import { JsonRpcProvider } from "ethers";
import { readDeployment, type Deployment } from "../src/sdk";
import { startService } from "../src/api";
import { createQueries, httpRpc } from "../src/indexer";
import { DEFAULT_GOVERNANCE_DELAY } from "../src/constants";
import { DEMO_MNEMONIC, DEMO_SIZES, demoAccounts, deployDemo, seedDemo, type Progress } from "../src/demo/seed";

const ROOT = resolve(__dirname, "..");

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
  .parse();
const o = program.opts<{ data: string; rpc?: string; chainPort: string; port: string; host: string; deployment: string; demoSize: string; demo: boolean }>();

const tty = process.stdout.isTTY;
const progress: Progress = (step, done, total) => {
  const line = total ? `  ${step} ${done}/${total}` : `  ${step}`;
  if (tty && total && done !== total) process.stdout.write(`\r${line}`);
  else process.stdout.write(`${tty ? "\r" : ""}${line}\n`);
};

async function startChain(dataDir: string): Promise<{ url: string; child?: ChildProcess }> {
  if (o.rpc) return { url: o.rpc };
  // anvil keeps its state in the data directory, so a restart resumes the same chain (Hardhat's node cannot).
  const child = spawn(join(ROOT, "node_modules", ".bin", "anvil"), ["--host", "127.0.0.1", "--port", o.chainPort, "--chain-id", "31337", "--mnemonic", DEMO_MNEMONIC, "--state", join(dataDir, "chain-state.json"), "--state-interval", "5", "--silent"], { stdio: ["ignore", "inherit", "inherit"] });
  return { url: `http://127.0.0.1:${o.chainPort}`, child };
}

async function waitFor(url: string, child?: ChildProcess) {
  for (let i = 0; ; i++) {
    try {
      return Number(await httpRpc(url, { timeoutMs: 1000 }).send("eth_chainId", []));
    } catch {
      if (i > 200 || child?.exitCode != null) throw new Error("the local chain did not start");
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

async function main() {
  const dataDir = resolve(o.data);
  mkdirSync(dataDir, { recursive: true });
  const size = DEMO_SIZES[o.demoSize];
  if (!size) throw new Error(`--demo-size must be one of ${Object.keys(DEMO_SIZES).join(", ")}`);
  console.log(`medprov: data in ${dataDir}`);
  const chain = await startChain(dataDir);
  let provider: JsonRpcProvider | undefined;
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("\nmedprov: stopping…");
    await service?.close().catch(() => undefined);
    provider?.destroy();
    if (chain.child && chain.child.exitCode === null) {
      chain.child.kill("SIGTERM");
      await new Promise((r) => chain.child!.once("exit", r));
    }
    console.log("medprov: stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  try {
    const chainId = await waitFor(chain.url, chain.child);
    provider = new JsonRpcProvider(chain.url, chainId, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
    const accounts = demoAccounts(provider);
    const deploymentPath = resolve(o.deployment);
    let deployment = await deployed(provider, deploymentPath);
    const marker = join(dataDir, "demo.json");
    if (!deployment) {
      console.log(`medprov: deploying to chain ${chainId}`);
      deployment = await deployDemo(provider, accounts, DEFAULT_GOVERNANCE_DELAY, progress);
      mkdirSync(dirname(deploymentPath), { recursive: true });
      writeFileSync(deploymentPath, JSON.stringify(deployment, null, 2) + "\n");
    } else console.log(`medprov: reusing the deployment in ${o.deployment}`);
    const seeded = existsSync(marker) && JSON.parse(readFileSync(marker, "utf8")).consortium === deployment.addresses.consortium;
    let demo = seeded ? JSON.parse(readFileSync(marker, "utf8")) : undefined;
    if (seeded) console.log("medprov: demo already seeded; resuming");
    else if (o.demo) {
      console.log(`medprov: seeding the ${o.demoSize} demo`);
      const r = await seedDemo(provider, deployment, accounts, size, dataDir, progress);
      demo = { consortium: deployment.addresses.consortium, ...r };
      writeFileSync(marker, JSON.stringify(demo, null, 2));
    }
    console.log("medprov: starting the indexer and the API");
    // The demo API is run by hospital 1, which relays patients' signed consents (POST /relay).
    service = await startService({ rpc: chain.url, deployment, db: join(dataDir, "index"), host: o.host, port: Number(o.port), logger: { level: "warn" }, relayer: accounts.hospitals[0] });
    // Custodians' cohort manifests (written beside each dataset) enable the revocation-impact report.
    const q = createQueries(service.store);
    const datasets = await q.datasets();
    for (const h of readdirSync(dataDir).filter((d) => d.startsWith("hospital-"))) {
      for (const f of readdirSync(join(dataDir, h)).filter((x) => x.endsWith(".cohort.json"))) {
        const manifest = JSON.parse(readFileSync(join(dataDir, h, f), "utf8"));
        const d = datasets.find((x) => String(x.cohortRoot).toLowerCase() === String(manifest.cohortRoot).toLowerCase() && String(x.contentRoot).toLowerCase() === String(manifest.contentRoot).toLowerCase());
        if (d) await q.addCohortManifest(String(d.datasetId), manifest);
      }
    }
    const api = service.address;
    const lines = [
      "",
      "medprov is running.",
      `  API       ${api}   (OpenAPI ${api}/openapi.json, Swagger UI ${api}/docs, health ${api}/readyz)`,
      `  chain     ${chain.url}   (chain id ${chainId})`,
      `  manifest  ${o.deployment}`,
      "",
      "Demo accounts (local test keys — never use them elsewhere):",
      `  governance ${accounts.governance.address}`,
      ...accounts.hospitals.map((k, i) => `  hospital ${i + 1} ${k.address}   vault ${join(o.data, `hospital-${i + 1}`, "trace-vault")}`),
      ...accounts.developers.map((k, i) => `  developer ${i + 4} ${k.address}`),
      `  regulator  ${accounts.regulator.address}`,
      `  auditor    ${accounts.auditor.address}   key: MEDPROV_PRIVATE_KEY=${accounts.auditor.privateKey}`,
      "",
      "Try:",
      ...(demo?.receipts?.length ? [`  npx medprov receipt verify ${demo.receipts[0]}`] : []),
      ...(demo?.recalledVersion ? [`  curl -s ${api}/versions/${demo.recalledVersion}`] : []),
      `  curl -s ${api}/models`,
      "  (the README's walkthrough signs in as the auditor for the reports)",
      "",
      "Ctrl-C stops everything.",
    ];
    console.log(lines.join("\n"));
  } catch (e) {
    console.error(`medprov: ${(e as Error).message}`);
    await stop(1);
  }
}

void main();
