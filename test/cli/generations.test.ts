/**
 * `medprov deploy --network <name> --successor` as a process (issue 16, docs/consortium.md "Ledger
 * generations"): it opens generation 2 under the same governance and closes generation 1 at the
 * block before it, rewriting the network's manifest; it refuses, in one line with a named code, a
 * non-zero exit, no block sent and the manifest unchanged: no existing deployment, a manifest of
 * another chain, a manifest written for another network (not by `medprov deploy` for this one),
 * and governance options (a successor keeps the ledger's). What the migration means for receipts
 * and the index is test/sdk/generations.test.ts's (in-process).
 */
import { describe, it, expect, beforeAll, vi } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { Wallet } from "ethers";
import { generationsOf, parseDeployment } from "../../src/sdk";
import { networkHarness } from "../helpers/network-cli";

vi.setConfig({ testTimeout: 300_000 });
const h = networkHarness(() => ({ consortium: { chainId: 31337 }, fresh: { chainId: 31337 }, copied: { chainId: 31337 }, mislabelled: { chainId: 31337 } }));
const { f, json, refused } = h;

let key: string;
let deployer: string;
beforeAll(async () => {
  const wallet = Wallet.createRandom();
  deployer = wallet.address;
  key = h.keystore("deployer", wallet as unknown as Wallet);
}, 300_000);

const on = (network: string) => ["--network", network, "--networks", f("networks.json"), "--keystore", key];

describe("medprov deploy --successor", () => {
  it("opens generation 2 under the same governance and closes generation 1 at the block before it; refuses a missing, foreign or other-chain manifest and governance options", async () => {
    const first = await json([...on("consortium"), "deploy", "--governance", deployer, "--delay", "0"]);
    expect(generationsOf(parseDeployment(first)).length).toBe(1);

    // Refusals first (each sends nothing and leaves every manifest as it was).
    await refused([...on("fresh"), "deploy", "--successor"], "DEPLOYMENT_NOT_FOUND");
    const original = readFileSync(f("deployments/consortium.json"), "utf8");
    writeFileSync(f("deployments/copied.json"), original); // names network "consortium": someone else's file for this network
    await refused([...on("copied"), "deploy", "--successor"], "DEPLOYMENT_FOREIGN");
    writeFileSync(f("deployments/mislabelled.json"), JSON.stringify({ ...JSON.parse(original), network: "mislabelled", chainId: 2026 }, null, 2));
    await refused([...on("mislabelled"), "deploy", "--successor"], "WRONG_CHAIN");
    await refused([...on("consortium"), "deploy", "--successor", "--governance", deployer], "BAD_ARGUMENT");
    await refused([...on("consortium"), "deploy", "--successor", "--delay", "5"], "BAD_ARGUMENT");
    expect(readFileSync(f("deployments/consortium.json"), "utf8")).toBe(original);
    expect(readFileSync(f("deployments/copied.json"), "utf8")).toBe(original);

    const printed = await json([...on("consortium"), "deploy", "--successor"]);
    const written = parseDeployment(JSON.parse(readFileSync(f("deployments/consortium.json"), "utf8")));
    expect(written).toEqual(parseDeployment(printed));
    const [one, two] = generationsOf(written);
    expect(one).toMatchObject({ generation: 1, fromBlock: first.deploymentBlock, addresses: parseDeployment(first).addresses });
    expect(two).toMatchObject({ generation: 2, fromBlock: one.toBlock! + 1 });
    expect(two.addresses.manager).not.toBe(one.addresses.manager);
    expect(await h.node.provider.getCode(two.addresses.traces)).not.toBe("0x");
    expect([written.governance, written.governanceDelay]).toEqual([deployer, 0]);
    expect(JSON.parse(readFileSync(f("deployments/consortium.json"), "utf8")).network).toBe("consortium"); // kept: the next successor is this network's too
    const third = await json([...on("consortium"), "deploy", "--successor"]);
    expect(generationsOf(parseDeployment(third)).map((g) => [g.generation, g.toBlock === undefined])).toEqual([[1, false], [2, false], [3, true]]);
  });
});
