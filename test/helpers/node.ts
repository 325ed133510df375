/**
 * A real Hardhat JSON-RPC node in a child process, and a small consortium on it, for tests that
 * drive the CLI or other processes over RPC.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FetchRequest, HDNodeWallet, JsonRpcProvider, Mnemonic, type Wallet } from "ethers";
import { Agent as HttpAgent } from "node:http";
import { connectLedger, deployLedger, Developer, Governance, Hospital, Regulator, type Deployment } from "../../src/sdk";
import { Purpose } from "../../src/constants";

const ROOT = join(__dirname, "..", "..");
const MNEMONIC = "test test test test test test test test test test test junk";

export interface RpcNode {
  url: string;
  provider: JsonRpcProvider;
  keys: Wallet[];
  stop(): Promise<void>;
}

/** The node's default accounts as wallets (their private keys are public test keys). */
export function testWallets(n = 12): Wallet[] {
  const m = Mnemonic.fromPhrase(MNEMONIC);
  return Array.from({ length: n }, (_, i) => HDNodeWallet.fromMnemonic(m, `m/44'/60'/0'/0/${i}`) as unknown as Wallet);
}

/** A port the OS says is free now: test files run in parallel and each may start a node. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/**
 * A Hardhat node (default) or anvil, Foundry's independent implementation (faster eth_getLogs);
 * `anvilArgs` adds anvil flags (a free-gas chain: --base-fee 0 --gas-price 0).
 */
export async function startNode(kind: "hardhat" | "anvil" = "hardhat", anvilArgs: string[] = []): Promise<RpcNode> {
  const port = await freePort();
  const [bin, args] =
    kind === "anvil"
      ? ["anvil", ["--host", "127.0.0.1", "--port", String(port), "--chain-id", "31337", "--mnemonic", MNEMONIC, "--silent", ...anvilArgs]]
      : ["hardhat", ["node", "--hostname", "127.0.0.1", "--port", String(port)]];
  const child: ChildProcess = spawn(join(ROOT, "node_modules", ".bin", bin), args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  // A connection per call, as the CLI does (src/cli/context.ts): a pooled connection the node's
  // keep-alive timeout closes just as a call is written onto it is reset (ECONNRESET), which failed
  // a slow setup (indexer-process) now and then.
  const request = new FetchRequest(url);
  request.getUrlFunc = FetchRequest.createGetUrlFunc({ agent: new HttpAgent({ keepAlive: false }) });
  const provider = new JsonRpcProvider(request, 31337, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  for (let i = 0; ; i++) {
    try {
      await provider.send("eth_chainId", []);
      break;
    } catch {
      if (i > 150 || child.exitCode !== null) throw new Error(`${kind} did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    provider,
    keys: testWallets().map((w) => w.connect(provider) as Wallet),
    stop: async () => {
      provider.destroy();
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

export interface RpcConsortium {
  deployment: Deployment;
  deploymentPath: string;
  /** keys[1] hospital A (org 1), keys[2] developer (org 2), keys[3] regulator (org 3), keys[4] auditor (org 4), keys[5] hospital B (org 5). */
  keys: Wallet[];
  datasetId: string;
  /** APPROVED, and deployed by both hospitals. */
  versionId: string;
  dir: string;
}

/** Deploys with a zero governance delay (tests of the delay itself use the in-process fixture). */
export async function bootstrapConsortium(node: RpcNode): Promise<RpcConsortium> {
  const [gov, hospital, developer, regulator, auditor, hospitalB] = node.keys;
  const { deployment } = await deployLedger(gov, { governance: gov.address, governanceDelay: 0 });
  const ledger = connectLedger(deployment, node.provider);
  const g = new Governance(ledger, gov);
  for (const [name, role, key] of [["Hospital A", "HOSPITAL", hospital], ["Developer", "MODEL_DEVELOPER", developer], ["Regulator", "REGULATOR", regulator], ["Auditor", "AUDITOR", auditor], ["Hospital B", "HOSPITAL", hospitalB]] as const) {
    await g.execute(g.calls.admitMember(name, role, [key.address]));
  }
  const dir = mkdtempSync(join(tmpdir(), "medprov-rpc-"));
  const records = join(dir, "cohort.jsonl");
  writeFileSync(records, node.keys.slice(6).map((k, i) => JSON.stringify({ subject: k.address, ageBand: "45-64", sex: i % 2 ? "MALE" : "FEMALE", region: "EAST", grassroots: i % 3 === 0, diagnosisCode: `I2${i}` })).join("\n"));
  const ds = await new Hospital(ledger, hospital).registerDataset(records, { purposes: [Purpose.RESEARCH, Purpose.MODEL_TRAINING], uri: "s3://hospital-a/cohort.enc" });
  const { modelId } = await new Developer(ledger, developer).registerModel({ name: "sepsis-early-warning", intendedUse: "treatment recommendation", riskClass: "HIGH" });
  const card = { model: modelId, weightsHash: "0x" + "ab".repeat(32), trainingDatasets: [ds.datasetId], evaluation: { auc: 9200, sensitivity: 8800, specificity: 9000, subgroupAucGap: 300, biasTestCases: 400, grassrootsShare: 2500 } };
  const { versionId } = await new Developer(ledger, developer).registerVersion(card, JSON.stringify(card), TEST_FILING);
  await new Regulator(ledger, regulator).approve(versionId, "NMPA-TEST-0001", undefined, ["PNEUMONIA_DIAGNOSIS"]);
  // Both hospitals run it: the trace anchor takes traces only of versions a hospital deployed.
  for (const h of [hospital, hospitalB]) await new Hospital(ledger, h).deployVersion(versionId);
  const deploymentPath = join(dir, "deployment.json");
  writeFileSync(deploymentPath, JSON.stringify(deployment, null, 2));
  return { deployment, deploymentPath, keys: node.keys, datasetId: ds.datasetId, versionId, dir };
}

/** Filing evidence every default policy accepts (white paper; insurance covering 2020–2100). */
export const TEST_FILING = {
  whitePaperHash: "0x" + "77".repeat(32),
  insurance: { insurerHash: "0x" + "78".repeat(32), policyHash: "0x" + "79".repeat(32), coverageStart: 1_577_836_800, coverageEnd: 4_102_444_800 },
};
