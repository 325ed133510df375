/**
 * Opening a ledger generation (docs/consortium.md, "Ledger generations"): deploys a successor
 * ledger under the same governance and closes the current generation at the block before the
 * successor's first, so the two block ranges follow each other with neither gap nor overlap.
 * History stays in the old generation; what must keep acting is re-established in the new one
 * (members here, as founding members; the rest by the documented steps).
 */
import type { ContractRunner, Provider, Signer } from "ethers";
import { FACTORIES, InputError, currentGeneration, withSuccessor, type Deployment, type Generation } from "../core";
import { deployLedger, type FoundingMember } from "./deploy";
import type { LedgerContracts } from "../core";

export interface SuccessorOptions {
  /**
   * Members admitted in the new generation as it is deployed, in member-id order (the previous
   * generation's members, so ids — and every org id in its history — mean the same organisation).
   */
  members?: FoundingMember[];
}

/**
 * Deploys generation N+1 of `previous` with its governance and delay, and returns the manifest
 * with generation N closed at the block before N+1's first (its sealedAt: that block's time).
 * Refuses (WRONG_CHAIN) a signer on another chain than the ledger's.
 */
export async function deploySuccessor(deployer: Signer, previous: Deployment, options: SuccessorOptions = {}): Promise<{ contracts: LedgerContracts; deployment: Deployment }> {
  const provider = deployer.provider;
  if (!provider) throw new Error("deployer signer has no provider");
  const chainId = Number((await provider.getNetwork()).chainId);
  const current = currentGeneration(previous);
  if (chainId !== current.chainId) throw new InputError("WRONG_CHAIN", `the signer's node serves chain ${chainId}; generation ${current.generation} of this ledger is on chain ${current.chainId}`);
  if (!previous.governance) throw new InputError("DEPLOYMENT_INVALID", "the deployment names no governance account; a successor is deployed under the same governance");
  // Incident ids go on from those generation N issued through its close (the block before N+1's first).
  const incidentsBefore = (firstBlock: number) => incidentIdsIssued(current, provider, firstBlock - 1);
  const { contracts, deployment } = await deployLedger(deployer, { governance: previous.governance, governanceDelay: previous.governanceDelay, members: options.members ?? [], incidentsBefore });
  const toBlock = deployment.deploymentBlock - 1;
  const sealed = await provider.getBlock(toBlock);
  if (!sealed) throw new InputError("RPC_UNAVAILABLE", `the node did not return block ${toBlock}`);
  return { contracts, deployment: withSuccessor(previous, deployment, { toBlock, time: sealed.timestamp }) };
}

/**
 * The incident ids a generation's IncidentRegistry had issued at block `atBlock` (its close), which
 * its successor numbers on from, so ids stay unique across generations: an incident reported on the
 * old registry after its close is one nothing counts.
 */
export async function incidentIdsIssued(g: Pick<Generation, "addresses" | "versions">, provider: Provider, atBlock: number): Promise<bigint> {
  const { first, count } = await incidentIdRange({ address: g.addresses.incidents, version: g.versions.incidents }, provider, atBlock);
  return first - 1n + count;
}

/**
 * The incident ids an IncidentRegistry (its address, and its version as the manifest records it)
 * issued, at `blockTag` else the head: `count` ids from `first`. A 1.0.0 registry (before
 * firstIncidentId) numbered from 1.
 */
export async function incidentIdRange(registry: { address: string; version?: string }, runner: ContractRunner, blockTag?: number): Promise<{ first: bigint; count: bigint }> {
  const r = FACTORIES.incidents.connect(registry.address, runner);
  const [first, count] = await Promise.all([registry.version === "1.0.0" ? 1n : r.firstIncidentId({ blockTag }), r.incidentCount({ blockTag })]);
  return { first, count };
}
