import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import type { JsonRpcProvider } from "ethers";
import { deployLedger, deploySafe, deploySuccessor, generationsOf, InputError, parseDeployment, readDeployment, writeFileDurably, type Deployment, type FoundingMember, type SafeDeployment } from "../../sdk";
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
  throw new InputError("DEPLOYMENT_EXISTS", `${path} already holds ${held}; medprov never overwrites a deployment: move it away to deploy a new one, or open its next generation with --successor`, { path });
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

/**
 * The network's own manifest, for a successor: it must exist, be one `medprov deploy` wrote for
 * this network (its `network` field), and be on the network's chain. Returns it with its text (to
 * refuse a manifest changed while deploying) and its other fields (kept as they are).
 */
function ownManifest(network: NetworkConfig): { text: string; raw: Record<string, unknown>; deployment: Deployment } {
  const path = network.deploymentPath;
  if (!existsSync(path)) throw new InputError("DEPLOYMENT_NOT_FOUND", `--successor opens the next generation of ${path}, which does not exist: deploy the first generation with \`medprov deploy --network ${network.name}\``, { path });
  const text = readFileSync(path, "utf8");
  const deployment = readDeployment(path);
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (raw.network !== network.name) {
    const whose = typeof raw.network === "string" ? `for network "${raw.network}"` : "without a network name (not by `medprov deploy`)";
    throw new InputError("DEPLOYMENT_FOREIGN", `${path} was written ${whose}, not by \`medprov deploy --network ${network.name}\`; a successor is opened only on the network's own manifest`, { path });
  }
  if (deployment.chainId !== network.chainId) throw new InputError("WRONG_CHAIN", `${path} is a deployment on chain ${deployment.chainId}, but network ${network.name} is chain ${network.chainId}`, { path });
  return { text, raw, deployment };
}

/** Replaces the manifest with its successor's, unless it changed since it was read (then the new one is left aside). */
function replaceManifest(network: NetworkConfig, before: string, manifest: NamedDeployment): void {
  const text = JSON.stringify(manifest, null, 2) + "\n";
  if (readFileSync(network.deploymentPath, "utf8") !== before) {
    const aside = network.deploymentPath.replace(/\.json$/, `.${manifest.addresses.manager}.json`);
    writeFileDurably(aside, text);
    throw new InputError("DEPLOYMENT_EXISTS", `${network.deploymentPath} changed while the successor was deployed; the successor's manifest is ${aside}`, { path: aside });
  }
  writeFileDurably(network.deploymentPath, text);
}

/** `deploy --successor`: generation N+1 under the same governance, generation N closed at the block before it. */
async function deploySuccessorGeneration(ctx: CliContext, network: NetworkConfig, o: { founders?: string; safeOwners?: string[]; governance?: string; delay?: number }): Promise<void> {
  if (o.safeOwners || o.governance || o.delay !== undefined) throw new InputError("BAD_ARGUMENT", "--successor keeps the ledger's governance and delay: drop --safe-owners, --governance and --delay");
  const own = ownManifest(network);
  const members = o.founders ? readFounders(o.founders) : [];
  await ctx.chainId(); // the node serves the network's chain (WRONG_CHAIN) and answers (RPC_UNAVAILABLE)
  const { deployment } = await deploySuccessor(await ctx.writer(), own.deployment, { members });
  await confirmed(ctx.provider, await ctx.provider.getBlockNumber(), network.confirmations);
  const manifest = { ...own.raw, ...deployment } as NamedDeployment;
  parseDeployment(manifest, network.deploymentPath); // what is written reads back
  replaceManifest(network, own.text, manifest);
  const [closed, opened] = generationsOf(deployment).slice(-2);
  ctx.print(manifest, [
    `closed generation ${closed.generation} at block ${closed.toBlock} (sealed ${closed.sealedAtIso}); its history stays readable there`,
    `opened generation ${opened.generation} on ${network.name} from block ${opened.fromBlock}: manager ${opened.addresses.manager}, traces ${opened.addresses.traces}`,
    `governance ${deployment.governance}, delay ${deployment.governanceDelay} s (unchanged)`,
    ...members.map((m, i) => `member ${i + 1} re-admitted: ${m.name} (${m.role}), keys ${m.keys.join(", ")}`),
    `manifest ${network.deploymentPath}; re-establish what must keep acting (docs/consortium.md, "Ledger generations")`,
  ]);
}

export function deployCommands(program: Command, run: Run) {
  program
    .command("deploy")
    .description("deploy a new ledger to a named network (--network) and write deployments/<name>.json, never over an existing one")
    .option("--safe-owners <addresses...>", "deploy a Safe multisig with these owners (one per founding organisation) to govern")
    .option("--safe-threshold <n>", "owner signatures the Safe requires", atLeastOne("--safe-threshold"))
    .option("--governance <address>", "an existing account that governs instead (a Safe already deployed)", addressArg)
    .option("--delay <seconds>", `execution delay of every governance call (default: ${DEFAULT_GOVERNANCE_DELAY})`, intArg("--delay"))
    .option("--founders <file>", "admit these founding organisations in the deployment (format: schemas/founders.json); with --successor, the members re-admitted in the new generation, in member-id order")
    .option("--successor", "open the next ledger generation: deploy new contracts under the same governance and close the current generation at the block before them (docs/consortium.md, \"Ledger generations\")")
    .action(run(async (ctx: CliContext, o) => {
      const network = ctx.network;
      if (!network) throw new InputError("NETWORK_REQUIRED", "deploy writes deployments/<name>.json for a named network: pass --network <name> (networks file: --networks)");
      if (o.successor) return deploySuccessorGeneration(ctx, network, o);
      refuseExisting(network);
      const owners: string[] | undefined = o.safeOwners?.map(addressArg);
      if (!owners === !o.governance) throw new InputError("BAD_ARGUMENT", "name the governance: --safe-owners <addresses…> --safe-threshold <n> (a new Safe), or --governance <address>");
      if (owners && o.safeThreshold === undefined) throw new InputError("BAD_ARGUMENT", "--safe-owners needs --safe-threshold <n>");
      const members = o.founders ? readFounders(o.founders) : [];
      await ctx.chainId(); // the node serves the network's chain (WRONG_CHAIN) and answers (RPC_UNAVAILABLE)
      const deployer = await ctx.writer();
      const safe = owners ? await deploySafe(deployer, owners, o.safeThreshold) : undefined;
      const { deployment } = await deployLedger(deployer, { governance: safe?.safe ?? o.governance, governanceDelay: o.delay ?? DEFAULT_GOVERNANCE_DELAY, members });
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
