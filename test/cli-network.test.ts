/**
 * `medprov deploy --network <name>` end to end (issue 16): a networks file names the chain (here
 * anvil with a zero base fee and gas price, as a free-gas Besu/GoQuorum network), the key comes
 * only from an encrypted keystore or an external signer, the manifest lands in
 * deployments/<name>.json beside the networks file and is never overwritten; `member` and `policy`
 * commands then run against the same named network. Every refusal is one line, a named code, a
 * non-zero exit, and no new block.
 */
import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { connectLedger, parseDeployment } from "../src/sdk";
import { ERROR_CATALOGUE } from "../src/api/errors";
import { MEMBER_STATUSES, ROLES } from "../src/constants";
import { BIN, checkOwnedCommands, commandOf, record, type CliRun } from "./helpers/cli";
import { T } from "./helpers/cli-coverage";
import { startNode, type RpcNode } from "./helpers/node";

vi.setConfig({ testTimeout: 300_000 });
const exec = promisify(execFile);
const PASSWORD = "correct horse battery staple";

let node: RpcNode;
let dir: string;
const f = (name: string) => join(dir, name);
const h = { ran: new Map<string, Set<string>>(), refusedGroups: new Map<string, Set<string>>() };

/** Runs bin/medprov in the test's directory with only the environment given (no key unless named). */
async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MEDPROV_")));
  let r: CliRun;
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { env: { ...base, ...env }, cwd: dir });
    r = { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    r = { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
  if (r.code === 0) record(h.ran, commandOf(args));
  return r;
}
const unlocked = { MEDPROV_KEYSTORE_PASSWORD: PASSWORD };
async function json(args: string[], env: Record<string, string> = unlocked) {
  const r = await cli(["--json", ...args], env);
  if (r.code !== 0) throw new Error(`medprov ${args.join(" ")} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
/** A refusal: non-zero, one line naming `code` (a code of the error catalogue), no block mined. */
async function refused(args: string[], code: string, env: Record<string, string> = unlocked) {
  expect(ERROR_CATALOGUE, code).toHaveProperty(code);
  const before = await node.provider.getBlockNumber();
  const r = await cli(args, env);
  expect(r.code, r.stdout + r.stderr).not.toBe(0);
  expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
  expect(r.stderr).toContain(`[${code}]`);
  expect(await node.provider.getBlockNumber()).toBe(before);
  record(h.refusedGroups, commandOf(args)?.split(" ")[0]);
  return r;
}

let deployer: string;
beforeAll(async () => {
  node = await startNode("anvil", ["--base-fee", "0", "--gas-price", "0"]);
  dir = mkdtempSync(join(tmpdir(), "medprov-network-"));
  const network = (chainId: number) => ({ rpcUrl: node.url, chainId, gasPrice: "0", confirmations: 0, finalityDepth: 0 });
  writeFileSync(f("networks.json"), JSON.stringify({ $schema: "../schemas/networks.json", networks: { consortium: network(31337), "via-signer": network(31337), spare: network(31337), elsewhere: network(2026) } }, null, 2));
  // The CLI's own key command makes the deployer's keystore: a fresh key that holds no ether.
  deployer = (await json(["key", "new", "--out", f("deployer.key.json")])).address;
}, 300_000);
afterAll(async () => node?.stop());

describe("medprov deploy --network", () => {
  it(T.deploy, async () => {
    expect(await node.provider.getBalance(deployer)).toBe(0n);
    const net = ["--network", "consortium", "--networks", f("networks.json"), "--keystore", f("deployer.key.json")];
    const manifest = await json([...net, "deploy", "--governance", deployer, "--delay", "0"]);
    // What the command printed is the file, and the file names live contracts on this chain.
    const written = JSON.parse(readFileSync(f("deployments/consortium.json"), "utf8"));
    expect(written).toEqual(manifest);
    expect(written).toMatchObject({ network: "consortium", chainId: 31337, governance: deployer, governanceDelay: 0 });
    const ledger = connectLedger(parseDeployment(written), node.provider);
    expect(await ledger.consortium.VERSION()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await node.provider.getBalance(deployer)).toBe(0n); // every transaction was priced at zero
    const tx = await node.provider.getTransaction((await node.provider.getBlock(written.deploymentBlock))!.transactions[0]);
    expect(tx!.gasPrice).toBe(0n);

    // Governance on the same named network: admit a hospital (delay 0, so executed at once), set a policy.
    const hospital = node.keys[1].address;
    await json([...net, "member", "admit", "--name", "Hospital A", "--role", "HOSPITAL", "--key", hospital, "--execute"]);
    const [orgId] = await ledger.consortium.keyInfo(hospital);
    const [role, status] = await ledger.consortium.member(orgId);
    expect({ role: ROLES[Number(role)], status: MEMBER_STATUSES[Number(status)] }).toEqual({ role: "HOSPITAL", status: "ACTIVE" });
    await json([...net, "policy", "set", "--risk", "HIGH", "--min-auc", "9100", "--max-gap", "400", "--min-bias-cases", "250", "--min-grassroots", "1500", "--execute"]);
    expect((await ledger.models.policy(1)).minAuc).toBe(9100n);

    // An external signer (here the node's own unlocked account answering eth_signTransaction) deploys too; the key never reaches medprov.
    const signed = await json(["--network", "via-signer", "--networks", f("networks.json"), "--signer", node.url, "--signer-address", node.keys[2].address, "deploy", "--governance", node.keys[2].address], {});
    expect(signed).toMatchObject({ network: "via-signer", governance: node.keys[2].address });
    expect(signed.addresses.manager).not.toBe(manifest.addresses.manager);
  });

  it(T.deployRefused, async () => {
    const file = ["--networks", f("networks.json")];
    const deploy = ["deploy", "--governance", deployer];
    const before = readFileSync(f("deployments/consortium.json"), "utf8");
    await refused([...file, "--network", "spare", "--keystore", f("deployer.key.json"), ...deploy], "KEY_LOCKED", { MEDPROV_KEYSTORE_PASSWORD: "wrong password" });
    await refused([...file, "--network", "fresh", "--keystore", f("deployer.key.json"), ...deploy], "NETWORK_NOT_FOUND");
    await refused(["--networks", f("missing.json"), "--network", "consortium", "--keystore", f("deployer.key.json"), ...deploy], "NETWORKS_NOT_FOUND");
    await refused([...file, "--network", "consortium", "--keystore", f("deployer.key.json"), ...deploy], "DEPLOYMENT_EXISTS");
    expect(readFileSync(f("deployments/consortium.json"), "utf8")).toBe(before);
    // A fresh network name on the wrong chain, a plain key, and two answers to "which chain".
    await refused([...file, "--network", "elsewhere", "--keystore", f("deployer.key.json"), ...deploy], "WRONG_CHAIN");
    await refused([...file, "--network", "spare", ...deploy], "KEY_KEYSTORE_REQUIRED", { MEDPROV_PRIVATE_KEY: node.keys[0].privateKey });
    await refused([...file, "--network", "elsewhere", "--rpc", node.url, "--keystore", f("deployer.key.json"), ...deploy], "BAD_ARGUMENT");
    await refused(["--keystore", f("deployer.key.json"), ...deploy], "NETWORK_REQUIRED");
    // A networks file with a mistake is refused against its published format.
    writeFileSync(f("bad-networks.json"), JSON.stringify({ networks: { consortium: { rpcUrl: node.url, chainId: 31337, gasPrice: -1 } } }));
    await refused(["--networks", f("bad-networks.json"), "--network", "consortium", ...deploy], "NETWORKS_BAD_FIELD");
  });

  checkOwnedCommands(h, "cli-network.test.ts");
});
