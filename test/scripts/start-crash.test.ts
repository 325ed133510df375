/**
 * Seeding is a resumable plan: `npm start --demo-size small` SIGKILLed (the whole process group,
 * as a crash) at eleven points spread over deployment, seeding and right after it, restarted on the
 * same data directory each time, ends with exactly the ledger of an uninterrupted run — the same
 * events, none duplicated, no revoked consent granted anew — and every receipt verifies.
 */
import { describe, it, expect } from "vitest";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { JsonRpcProvider, type Interface, type ParamType } from "ethers";
import { freePort } from "../helpers/node";
import { readDeployment, type ContractName } from "../../src/sdk";
import { FACTORIES } from "../../src/core";
import { CLI_BUNDLE, START_BUNDLE } from "../helpers/bundles";

const ROOT = join(__dirname, "..", "..");
const run = promisify(execFile);

/** Output lines at which a run is killed, in the order seeding reaches them. */
const KILL_POINTS = [
  "deploying contracts",
  "relaying patients' signed consents 51/",
  "consents recorded",
  "registered dataset cxr-deidentified",
  "models: chest-xray-dx 1.0 and 1.1 approved",
  "models: 10 versions",
  "deployments and post-market reports filed",
  "anchoring decision traces 500/",
  "ecg-arrhythmia 2.0 recalled",
  "incidents reported",
];

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

function start(data: string, chainPort: number, port: number): Run {
  const child = spawn(process.execPath, [START_BUNDLE, "--data", data, "--demo-size", "small", "--deployment", join(data, "deployment.json"), "--chain-port", String(chainPort), "--port", String(port)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  return { child, output: () => output, exited: new Promise((r) => child.once("exit", () => r())) };
}

async function until(r: Run, text: string): Promise<void> {
  for (let i = 0; i < 2400; i++) {
    if (r.output().includes(text)) return;
    if (r.child.exitCode !== null) throw new Error(`npm start exited before "${text}":\n${r.output()}`);
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`no "${text}":\n${r.output()}`);
}

async function killGroup(r: Run): Promise<void> {
  if (r.child.exitCode === null) process.kill(-r.child.pid!, "SIGKILL");
  await r.exited;
}

/** A value with block-time dependent numbers (expiries, report periods, batch windows) taken out. */
const normalized = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(normalized).join(",")}]` : typeof v === "bigint" && v > 1_500_000_000n && v < 3_000_000_000n ? "<time>" : String(v);

/** Arguments that hash a salted or timed record (a batch's root, a report's id, an incident's record hash) differ from run to run. */
const RUN_DEPENDENT = ["root", "reportId", "salt", "recordHash"];

/** One event argument, normalized; a struct's fields each by name. */
const argOf = (input: ParamType, value: unknown): string =>
  input.components ? `[${input.components.map((c, j) => argOf(c, (value as unknown[])[j])).join(",")}]` : RUN_DEPENDENT.includes(input.name) ? `<${input.name}>` : normalized(value);

/** Every event of the deployment, decoded, with times and salt-dependent roots taken out, sorted. */
async function ledgerEvents(data: string, rpc: string): Promise<string[]> {
  const deployment = readDeployment(join(data, "deployment.json"));
  const provider = new JsonRpcProvider(rpc, 31337, { staticNetwork: true, cacheTimeout: -1 });
  const out: string[] = [];
  for (const [name, address] of Object.entries(deployment.addresses) as [ContractName, string][]) {
    const iface = FACTORIES[name].createInterface() as Interface;
    for (const log of await provider.getLogs({ address, fromBlock: deployment.deploymentBlock, toBlock: "latest" })) {
      const e = iface.parseLog(log)!;
      const args = e.fragment.inputs.map((input, i) => argOf(input, e.args[i]));
      out.push(`${name}.${e.name}(${args.join(",")})`);
    }
  }
  provider.destroy();
  return out.sort();
}

async function verify(data: string, rpc: string, file: string): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI_BUNDLE, "--rpc", rpc, "--deployment", join(data, "deployment.json"), "receipt", "verify", file], { cwd: ROOT });
  return stdout;
}

describe("npm start, killed while it deploys and seeds", () => {
  it(`resumes from ${KILL_POINTS.length} kill points to exactly the ledger of an uninterrupted run`, async () => {
    const reference = mkdtempSync(join(tmpdir(), "medprov-ref-"));
    const [refChain, refApi] = [await freePort(), await freePort()];
    const ref = start(reference, refChain, refApi);
    await until(ref, "medprov is running.");
    const expected = await ledgerEvents(reference, `http://127.0.0.1:${refChain}`);
    await killGroup(ref);

    const data = mkdtempSync(join(tmpdir(), "medprov-killed-"));
    const [chainPort, port] = [await freePort(), await freePort()];
    for (const point of KILL_POINTS) {
      const r = start(data, chainPort, port);
      await until(r, point);
      await killGroup(r);
    }
    const last = start(data, chainPort, port);
    await until(last, "medprov is running.");
    const rpc = `http://127.0.0.1:${chainPort}`;
    const actual = await ledgerEvents(data, rpc);
    expect(actual.length).toBe(expected.length);
    expect(actual).toEqual(expected);
    const demo = JSON.parse(readFileSync(join(data, "demo.json"), "utf8"));
    expect(demo.receipts.length).toBeGreaterThan(0);
    for (const file of demo.receipts) expect(await verify(data, rpc, file)).toMatch(/^VALID/);
    await killGroup(last);
  }, 900_000);
});
