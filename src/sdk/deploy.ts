/**
 * Deploys a medprov ledger and hands governance to the consortium's governance account.
 * Used by `npm start`, the tests and any real consortium rollout.
 */
import type { Interface, Signer } from "ethers";
import {
  AccessManager__factory,
  ConsentRegistry__factory,
  Consortium__factory,
  DatasetRegistry__factory,
  ModelRegistry__factory,
  TraceAnchor__factory,
  type AccessManager,
  type ConsentRegistry,
  type Consortium,
  type DatasetRegistry,
  type ModelRegistry,
  type TraceAnchor,
} from "../../typechain-types";
import { ACCESS_ROLES, DEFAULT_GOVERNANCE_DELAY, GOVERNED_FUNCTIONS } from "../constants";

export interface DeployOptions {
  /** The account that will govern membership, purposes and policy (a multisig in production). */
  governance: string;
  /** Execution delay, in seconds, enforced on every governance call. */
  governanceDelay?: number;
}

export interface LedgerContracts {
  manager: AccessManager;
  consortium: Consortium;
  consents: ConsentRegistry;
  datasets: DatasetRegistry;
  models: ModelRegistry;
  traces: TraceAnchor;
}

export type ContractName = keyof LedgerContracts;

export interface Deployment {
  chainId: number;
  /** Block that holds the first deployment transaction: the indexer's starting point. */
  deploymentBlock: number;
  governance: string;
  governanceDelay: number;
  addresses: Record<ContractName, string>;
  versions: Partial<Record<ContractName, string>>;
}

/** Deploys the five contracts and the AccessManager, wires governance and renounces the deployer's admin. */
export async function deployLedger(deployer: Signer, options: DeployOptions): Promise<{ contracts: LedgerContracts; deployment: Deployment }> {
  const delay = options.governanceDelay ?? DEFAULT_GOVERNANCE_DELAY;
  const deployerAddress = await deployer.getAddress();
  const provider = deployer.provider;
  if (!provider) throw new Error("deployer signer has no provider");

  const manager = await new AccessManager__factory(deployer).deploy(deployerAddress);
  const managerReceipt = await manager.deploymentTransaction()!.wait();
  const managerAddress = await manager.getAddress();
  const consortium = await new Consortium__factory(deployer).deploy(managerAddress);
  const consents = await new ConsentRegistry__factory(deployer).deploy(managerAddress, await consortium.getAddress());
  const datasets = await new DatasetRegistry__factory(deployer).deploy(await consortium.getAddress(), await consents.getAddress());
  const models = await new ModelRegistry__factory(deployer).deploy(managerAddress, await consortium.getAddress(), await datasets.getAddress());
  const traces = await new TraceAnchor__factory(deployer).deploy(await consortium.getAddress(), await models.getAddress());
  const contracts: LedgerContracts = { manager, consortium, consents, datasets, models, traces };
  await Promise.all(Object.values(contracts).map((c) => c.waitForDeployment()));

  // Route every governed function to GOVERNOR; give GOVERNOR and ADMIN to governance, both delayed.
  const governed: Record<keyof typeof GOVERNED_FUNCTIONS, Consortium | ConsentRegistry | ModelRegistry> = { Consortium: consortium, ConsentRegistry: consents, ModelRegistry: models };
  for (const [name, fns] of Object.entries(GOVERNED_FUNCTIONS) as [keyof typeof GOVERNED_FUNCTIONS, readonly string[]][]) {
    const target = governed[name];
    const selectors = fns.map((fn) => (target.interface as Interface).getFunction(fn)!.selector);
    await (await manager.setTargetFunctionRole(await target.getAddress(), selectors, ACCESS_ROLES.GOVERNOR)).wait();
  }
  await (await manager.grantRole(ACCESS_ROLES.GOVERNOR, options.governance, delay)).wait();
  await (await manager.grantRole(ACCESS_ROLES.ADMIN, options.governance, delay)).wait();
  if (options.governance.toLowerCase() !== deployerAddress.toLowerCase()) {
    await (await manager.renounceRole(ACCESS_ROLES.ADMIN, deployerAddress)).wait();
  }

  const addresses = Object.fromEntries(
    await Promise.all(Object.entries(contracts).map(async ([k, c]) => [k, await c.getAddress()])),
  ) as Record<ContractName, string>;
  const versions: Deployment["versions"] = {
    consortium: await consortium.VERSION(),
    consents: await consents.VERSION(),
    datasets: await datasets.VERSION(),
    models: await models.VERSION(),
    traces: await traces.VERSION(),
  };
  const deployment: Deployment = {
    chainId: Number((await provider.getNetwork()).chainId),
    deploymentBlock: managerReceipt!.blockNumber,
    governance: options.governance,
    governanceDelay: delay,
    addresses,
    versions,
  };
  return { contracts, deployment };
}
