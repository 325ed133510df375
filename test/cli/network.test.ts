/**
 * `medprov deploy --network <name>` end to end (issue 16): a networks file names the chain (here
 * anvil with a zero base fee and gas price, as a free-gas Besu/GoQuorum network), the key comes
 * only from an encrypted keystore or an external signer, the manifest lands in
 * deployments/<name>.json beside the networks file and is never overwritten; `member` and `policy`
 * commands then run against the same named network. Every refusal is one line, a named code, a
 * non-zero exit, and no new block.
 */
import { describe, it, expect, beforeAll, vi } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { connectLedger, parseDeployment } from "../../src/sdk";
import { MEMBER_STATUSES, ROLES } from "../../src/constants";
import { checkOwnedCommands } from "../helpers/cli";
import { T } from "../helpers/cli-coverage";
import { networkHarness } from "../helpers/network-cli";

vi.setConfig({ testTimeout: 300_000 });
const h = networkHarness(() => ({ consortium: { chainId: 31337 }, "via-signer": { chainId: 31337 }, spare: { chainId: 31337 }, elsewhere: { chainId: 2026 } }));
const { f, json, refused } = h;
let node: typeof h.node;

let deployer: string;
beforeAll(async () => {
  node = h.node;
  // The CLI's own key command makes the deployer's keystore: a fresh key that holds no ether.
  deployer = (await json(["key", "new", "--out", f("deployer.key.json")])).address;
}, 300_000);

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
    // It also starts with founding members (--founders): admitted in the deploy, no governance round per founder.
    const founders = [
      { name: "Founding Hospital", role: "HOSPITAL", keys: [node.keys[5].address, node.keys[6].address] },
      { name: "Founding Regulator", role: "REGULATOR", keys: [node.keys[7].address] },
    ];
    writeFileSync(f("founders.json"), JSON.stringify({ founders }));
    const signed = await json(["--network", "via-signer", "--networks", f("networks.json"), "--signer", node.url, "--signer-address", node.keys[2].address, "deploy", "--governance", node.keys[2].address, "--founders", f("founders.json")], {});
    expect(signed).toMatchObject({ network: "via-signer", governance: node.keys[2].address, founders: founders.map((m, i) => ({ orgId: i + 1, ...m })) });
    expect(signed.addresses.manager).not.toBe(manifest.addresses.manager);
    const founded = connectLedger(parseDeployment(signed), node.provider);
    expect(Number(await founded.consortium.memberCount())).toBe(2);
    for (const [i, m] of founders.entries()) {
      for (const key of m.keys) expect(Number((await founded.consortium.keyInfo(key))[0])).toBe(i + 1);
      const [role, status] = await founded.consortium.member(i + 1);
      expect({ role: ROLES[Number(role)], status: MEMBER_STATUSES[Number(status)] }).toEqual({ role: m.role, status: "ACTIVE" });
    }
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
    // A founders file off its format, or naming one key for two organisations, is refused before anything is sent.
    const spare = [...file, "--network", "spare", "--keystore", f("deployer.key.json"), ...deploy, "--founders", f("bad-founders.json")];
    writeFileSync(f("bad-founders.json"), JSON.stringify({ founders: [{ name: "Clinic", role: "PATIENT", keys: [node.keys[8].address] }] }));
    await refused(spare, "FOUNDERS_BAD_FIELD");
    const shared = node.keys[8].address;
    writeFileSync(f("bad-founders.json"), JSON.stringify({ founders: [{ name: "Clinic A", role: "HOSPITAL", keys: [shared] }, { name: "Clinic B", role: "HOSPITAL", keys: [shared.toLowerCase()] }] }));
    await refused(spare, "FOUNDERS_DUPLICATE_KEY");
  });

  checkOwnedCommands(h, "network.test.ts");
});
