import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { JsonRpcProvider } from "ethers";
import { deployLedger, deploySafe, InputError, readDeployment, writeFileDurably, type Deployment, type FoundingMember, type SafeDeployment } from "../../sdk";
import { DEFAULT_GOVERNANCE_DELAY } from "../../constants";
import { addressArg, atLeastOne, intArg, readChecked } from "../parse";
import type { CliContext } from "../context";
import type { NetworkConfig } from "../network";
import type { Run } from "../run";

/** What deployments/<name>.json holds: the manifest, under the network's name. */
export type NamedDeployment = Deployment & { network: string; safe?: SafeDeployment; founders?: (FoundingMember & { orgId: number })[] };

/** Refuses before anything is sent when the network already has a deployment: medprov never replaces one. */
function refuseExisting(network: NetworkConfig): void {
  const path = network.deploymentPath;
  if (!existsSync(path)) return;
  let held = "a file that is not a readable deployment";
  try {
    const d = readDeployment(path);
    held = `the deployment on chain ${d.chainId} with manager ${d.addresses.manager} (from block ${d.deploymentBlock})`;
  } catch {
    // named as unreadable above
  }
  throw new InputError("DEPLOYMENT_EXISTS", `${path} already holds ${held}; medprov never overwrites a deployment: move it away to deploy a new one`, { path });
}

/**
 * The founding members of a founders file (schemas/founders.json), checked before anything is sent:
 * a key may act for one organisation only, so a key listed twice would stop the deploy half way.
 */
export function readFounders(path: string): FoundingMember[] {
  const { founders } = readChecked(path, "founders").value as { founders: FoundingMember[] };
  const owner = new Map<string, string>();
  for (const f of founders) {
    for (const key of f.keys.map(addressArg)) {
      const first = owner.get(key);
      if (first !== undefined) throw new InputError("FOUNDERS_DUPLICATE_KEY", `${path}: key ${key} is listed for both ${first} and ${f.name}; a key acts for one organisation`, { key });
      owner.set(key, f.name);
    }
  }
  return founders.map((f) => ({ ...f, keys: f.keys.map(addressArg) }));
}

/** Waits until the head is `confirmations` blocks past `block` (0: at once), so the manifest names contracts that stay. */
async function confirmed(provider: JsonRpcProvider, block: number, confirmations: number): Promise<void> {
  while ((await provider.getBlockNumber()) < block + confirmations) await new Promise((r) => setTimeout(r, 1000));
}

/** Writes the manifest, never over another: a deploy racing this one leaves its manifest aside, named by its manager. */
function writeManifest(network: NetworkConfig, manifest: NamedDeployment): void {
  const text = JSON.stringify(manifest, null, 2) + "\n";
  try {
    writeFileDurably(network.deploymentPath, text, { exclusive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const aside = network.deploymentPath.replace(/\.json$/, `.${manifest.addresses.manager}.json`);
    writeFileDurably(aside, text);
    throw new InputError("DEPLOYMENT_EXISTS", `${network.deploymentPath} appeared while deploying; this deployment's manifest is ${aside}`, { path: aside });
  }
}

export function deployCommands(program: Command, run: Run) {
  program
    .command("deploy")
    .description("deploy a new ledger to a named network (--network) and write deployments/<name>.json, never over an existing one")
    .option("--safe-owners <addresses...>", "deploy a Safe multisig with these owners (one per founding organisation) to govern")
    .option("--safe-threshold <n>", "owner signatures the Safe requires", atLeastOne("--safe-threshold"))
    .option("--governance <address>", "an existing account that governs instead (a Safe already deployed)", addressArg)
    .option("--delay <seconds>", "execution delay of every governance call", intArg("--delay"), DEFAULT_GOVERNANCE_DELAY)
    .option("--founders <file>", "admit these founding organisations in the deployment (format: schemas/founders.json)")
    .action(run(async (ctx: CliContext, o) => {
      const network = ctx.network;
      if (!network) throw new InputError("NETWORK_REQUIRED", "deploy writes deployments/<name>.json for a named network: pass --network <name> (networks file: --networks)");
      refuseExisting(network);
      const owners: string[] | undefined = o.safeOwners?.map(addressArg);
      if (!owners === !o.governance) throw new InputError("BAD_ARGUMENT", "name the governance: --safe-owners <addresses…> --safe-threshold <n> (a new Safe), or --governance <address>");
      if (owners && o.safeThreshold === undefined) throw new InputError("BAD_ARGUMENT", "--safe-owners needs --safe-threshold <n>");
      const members = o.founders ? readFounders(o.founders) : [];
      await ctx.chainId(); // the node serves the network's chain (WRONG_CHAIN) and answers (RPC_UNAVAILABLE)
      const deployer = await ctx.writer();
      const safe = owners ? await deploySafe(deployer, owners, o.safeThreshold) : undefined;
      const { deployment } = await deployLedger(deployer, { governance: safe?.safe ?? o.governance, governanceDelay: o.delay, members });
      await confirmed(ctx.provider, await ctx.provider.getBlockNumber(), network.confirmations);
      const manifest: NamedDeployment = { network: network.name, ...deployment, ...(safe ? { safe } : {}), ...(members.length ? { founders: members.map((m, i) => ({ orgId: i + 1, ...m })) } : {}) };
      writeManifest(network, manifest);
      ctx.print(manifest, [
        `deployed medprov to ${network.name} (chain ${deployment.chainId}, from block ${deployment.deploymentBlock})`,
        safe ? `governance: Safe ${safe.safe}, ${safe.threshold} of ${safe.owners.length} owners (${safe.owners.join(", ")}), delay ${deployment.governanceDelay} s` : `governance ${deployment.governance}, delay ${deployment.governanceDelay} s`,
        ...members.map((m, i) => `founding member ${i + 1}: ${m.name} (${m.role}), keys ${m.keys.join(", ")}`),
        `manifest ${network.deploymentPath}`,
      ]);
    }));
}
