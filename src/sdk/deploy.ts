/**
 * Deploys a medprov ledger and hands governance to the consortium's governance account.
 * Used by `npm start`, the tests and any real consortium rollout.
 */
import type { Interface, Signer } from "ethers";
import type {
  AccessManager,
  ConsentRegistry,
  Consortium,
  IncidentRegistry,
  ModelRegistry,
} from "../../typechain-types";
import { FACTORIES } from "../core";
import type { ContractName, Deployment, LedgerContracts } from "../core";
import { ACCESS_ROLES, DEFAULT_GOVERNANCE_DELAY, GOVERNED_FUNCTIONS, ROLES, type RoleName } from "../constants";

export type { ContractName, Deployment, LedgerContracts };

export interface DeployOptions {
  /** The account that will govern membership, purposes and policy (a multisig in production). */
  governance: string;
  /** Execution delay, in seconds, enforced on every governance call. */
  governanceDelay?: number;
  /**
   * Founding members, admitted by the deployer before governance is handed over: a consortium
   * starts with its members instead of waiting out the governance delay (and no clock is moved).
   */
  members?: FoundingMember[];
  /**
   * For a successor generation (deploySuccessor): the incident ids earlier generations issued up to
   * the block before `deploymentBlock` (the new ledger's first, known once its first contract is
   * mined), from which the new IncidentRegistry numbers on. None (0) for a first generation.
   */
  incidentsBefore?: (deploymentBlock: number) => Promise<bigint>;
}

export interface FoundingMember {
  name: string;
  role: RoleName;
  keys: string[];
}


/** The deployer governs for a moment, without delay, to admit the founding members, then gives it up. */
async function admitFounders(manager: AccessManager, consortium: Consortium, deployer: string, members: FoundingMember[]): Promise<void> {
  if (members.length === 0) return;
  await (await manager.grantRole(ACCESS_ROLES.GOVERNOR, deployer, 0)).wait();
  for (const m of members) await (await consortium.admitMember(m.name, ROLES.indexOf(m.role), m.keys)).wait();
  await (await manager.renounceRole(ACCESS_ROLES.GOVERNOR, deployer)).wait();
}

/** Deploys the six contracts and the AccessManager, wires governance and renounces the deployer's admin. */
export async function deployLedger(deployer: Signer, options: DeployOptions): Promise<{ contracts: LedgerContracts; deployment: Deployment }> {
  const delay = options.governanceDelay ?? DEFAULT_GOVERNANCE_DELAY;
  const deployerAddress = await deployer.getAddress();
  const provider = deployer.provider;
  if (!provider) throw new Error("deployer signer has no provider");

  const manager = await new FACTORIES.manager(deployer).deploy(deployerAddress);
  const managerReceipt = await manager.deploymentTransaction()!.wait();
  const managerAddress = await manager.getAddress();
  const incidentsBefore = (await options.incidentsBefore?.(managerReceipt!.blockNumber)) ?? 0n;
  const consortium = await new FACTORIES.consortium(deployer).deploy(managerAddress);
  const consents = await new FACTORIES.consents(deployer).deploy(managerAddress, await consortium.getAddress());
  const datasets = await new FACTORIES.datasets(deployer).deploy(await consortium.getAddress(), await consents.getAddress());
  const models = await new FACTORIES.models(deployer).deploy(managerAddress, await consortium.getAddress(), await datasets.getAddress());
  const traces = await new FACTORIES.traces(deployer).deploy(await consortium.getAddress(), await models.getAddress());
  const incidents = await new FACTORIES.incidents(deployer).deploy(managerAddress, await consortium.getAddress(), await traces.getAddress(), incidentsBefore);
  const contracts: LedgerContracts = { manager, consortium, consents, datasets, models, traces, incidents };
  await Promise.all(Object.values(contracts).map((c) => c.waitForDeployment()));

  // Route every governed function to GOVERNOR; give GOVERNOR and ADMIN to governance, both delayed.
  const governed: Record<keyof typeof GOVERNED_FUNCTIONS, Consortium | ConsentRegistry | ModelRegistry | IncidentRegistry> = {
    Consortium: consortium, ConsentRegistry: consents, ModelRegistry: models, IncidentRegistry: incidents,
  };
  for (const [name, fns] of Object.entries(GOVERNED_FUNCTIONS) as [keyof typeof GOVERNED_FUNCTIONS, readonly string[]][]) {
    const target = governed[name];
    const selectors = fns.map((fn) => (target.interface as Interface).getFunction(fn)!.selector);
    await (await manager.setTargetFunctionRole(await target.getAddress(), selectors, ACCESS_ROLES.GOVERNOR)).wait();
  }
  await admitFounders(manager, consortium, deployerAddress, options.members ?? []);
  await (await manager.grantRole(ACCESS_ROLES.GOVERNOR, options.governance, delay)).wait();
  await (await manager.grantRole(ACCESS_ROLES.ADMIN, options.governance, delay)).wait();
  if (options.governance.toLowerCase() !== deployerAddress.toLowerCase()) {
    await (await manager.renounceRole(ACCESS_ROLES.ADMIN, deployerAddress)).wait();
  }

  const addresses = Object.fromEntries(
    await Promise.all(Object.entries(contracts).map(async ([k, c]) => [k, await c.getAddress()])),
  ) as Record<ContractName, string>;
  const versioned = ["consortium", "consents", "datasets", "models", "traces", "incidents"] as const;
  const versions: Deployment["versions"] = Object.fromEntries(await Promise.all(versioned.map(async (k) => [k, await contracts[k].VERSION()])));
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
