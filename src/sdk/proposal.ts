/**
 * A governance action through the consortium's Safe, carried between owners as a file (like a
 * patient's signed consent): proposed, signed offline by each owner (EIP-712 SafeTx), executed by
 * anyone once the Safe's threshold is met. The AccessManager delays every governance call, so an
 * action takes two Safe transactions: `schedule`, then, after the delay, `execute`. Each is signed
 * on its own, because a Safe transaction's nonce is part of what is signed: signing the execute in
 * advance would reserve the Safe's next nonce for the whole delay, and the Safe could do nothing
 * else meanwhile — not even cancel a scheduled call.
 */
import { getAddress, isHexString, type Signer } from "ethers";
import type { LedgerContracts } from "./deploy";
import { chainNow } from "../core";
import { FACTORIES } from "../core";
import { domain, InputError } from "../core";
import { connectSafe, execSafeTx, packSignatures, readSafe, safeCall, safeTxHash, signSafeTx, type OwnerSignature, type SafeTx } from "./safe";
import type { GovernedCall } from "./roles/governance";
import type { SentWrite } from "./tx";

export const PROPOSAL_FORMAT = "medprov-governance-proposal/1";

export type ProposalStage = "schedule" | "execute";

export interface GovernanceProposal {
  format: typeof PROPOSAL_FORMAT;
  chainId: number;
  safe: string;
  manager: string;
  action: GovernedCall;
  stage: ProposalStage;
  /** Execute stage: when the AccessManager lets it run (chain time, unix seconds), and the same in ISO. */
  readyAt?: number;
  readyAtIso?: string;
  safeTx: SafeTx;
  /** What owners sign (recomputed from the fields above whenever it matters; shown for comparison with a wallet). */
  safeTxHash: string;
  signatures: OwnerSignature[];
}

/** The Safe transaction a stage of `action` is: AccessManager.schedule(target, data, 0) or execute(target, data). */
const MANAGER = FACTORIES.manager.createInterface();

function stageTx(manager: string, stage: ProposalStage, action: GovernedCall, nonce: bigint | number): SafeTx {
  const i = MANAGER;
  const data = stage === "schedule" ? i.encodeFunctionData("schedule", [action.target, action.data, 0]) : i.encodeFunctionData("execute", [action.target, action.data]);
  return safeCall(manager, data, nonce);
}

function make(base: Pick<GovernanceProposal, "chainId" | "safe" | "manager" | "action">, stage: ProposalStage, nonce: bigint, readyAt?: number): GovernanceProposal {
  const safeTx = stageTx(base.manager, stage, base.action, nonce);
  return {
    format: PROPOSAL_FORMAT,
    ...base,
    stage,
    ...(readyAt !== undefined ? { readyAt, readyAtIso: new Date(readyAt * 1000).toISOString() } : {}),
    safeTx,
    safeTxHash: safeTxHash(base.chainId, base.safe, safeTx),
    signatures: [],
  };
}

/** A new proposal of `action` by the Safe `safe` (the deployment's governance account), at the Safe's next nonce. */
export async function proposeThroughSafe(ledger: LedgerContracts, chainId: number, safe: string, action: GovernedCall): Promise<GovernanceProposal> {
  const { nonce } = await readSafe(connectSafe(safe, ledger.manager.runner!));
  return make({ chainId, safe: getAddress(safe), manager: getAddress(ledger.manager.target as string), action }, "schedule", nonce);
}

/**
 * Checks a proposal file: its fields, and that its Safe transaction is exactly its stage of its
 * action (an owner reading the action's description signs what it says, nothing else).
 */
export function parseProposal(raw: unknown, source = "proposal"): GovernanceProposal {
  const fail = (why: string): never => {
    throw new InputError("GOVERNANCE_PROPOSAL_INVALID", `${source}: ${why}`);
  };
  const p = raw as GovernanceProposal;
  if (!p || typeof p !== "object" || p.format !== PROPOSAL_FORMAT) fail(`not a governance proposal (format must be "${PROPOSAL_FORMAT}")`);
  if (!Number.isInteger(p.chainId) || p.chainId <= 0) fail("chainId must be a positive integer");
  if (p.stage !== "schedule" && p.stage !== "execute") fail('stage must be "schedule" or "execute"');
  if (!p.action || !isHexString(p.action.data) || typeof p.action.description !== "string") fail("action must have target, data and description");
  if (!Array.isArray(p.signatures)) fail("signatures must be a list");
  let expected: SafeTx;
  try {
    expected = stageTx(getAddress(p.manager), p.stage, { ...p.action, target: getAddress(p.action.target) }, BigInt(p.safeTx?.nonce));
    getAddress(p.safe);
  } catch {
    return fail("safe, manager, action.target and safeTx.nonce must be addresses and a number");
  }
  if (JSON.stringify({ ...p.safeTx, to: getAddress(p.safeTx.to) }) !== JSON.stringify(expected!)) fail(`safeTx is not the ${p.stage} of the action it names`);
  return p;
}

/** The proposal with `signer`'s signature of its current Safe transaction (replacing an earlier one of the same owner). Offline. */
export async function signProposal(p: GovernanceProposal, signer: Signer): Promise<GovernanceProposal> {
  const own = await signSafeTx(signer, p.chainId, getAddress(p.safe), p.safeTx);
  return { ...p, safeTxHash: safeTxHash(p.chainId, getAddress(p.safe), p.safeTx), signatures: [...p.signatures.filter((s) => getAddress(s.signer) !== own.signer), own] };
}

export interface ProposalExecution {
  sent: SentWrite;
  /** After `schedule`: the same action at its execute stage, to be signed again once more. */
  next?: GovernanceProposal;
}

/** Refuses what the chain would refuse, with a named error and nothing sent: another chain, a stale or early nonce, an early execute. */
async function precheck(ledger: LedgerContracts, p: GovernanceProposal, safeNonce: bigint): Promise<void> {
  const provider = ledger.manager.runner!.provider!;
  const chainId = Number((await provider.getNetwork()).chainId);
  if (chainId !== p.chainId) throw new InputError("WRONG_CHAIN", `the proposal is for chain ${p.chainId}, the node serves chain ${chainId}`);
  const nonce = BigInt(p.safeTx.nonce);
  if (safeNonce > nonce) throw new InputError("SAFE_NONCE_USED", `the Safe has already executed its transaction ${nonce}: this proposal is stale; propose the action again`);
  if (safeNonce < nonce) throw new InputError("SAFE_NONCE_AHEAD", `the Safe's next transaction is ${safeNonce}, this proposal's is ${nonce}: execute the earlier proposals first`);
  if (p.stage === "execute") {
    const id = await ledger.manager.hashOperation(p.safe, p.action.target, p.action.data);
    const readyAt = Number(await ledger.manager.getSchedule(id));
    if (readyAt === 0) throw new InputError("GOVERNANCE_NOT_SCHEDULED", `${p.action.description} is not scheduled (or was cancelled or already executed)`);
    const now = await chainNow(provider);
    if (now.time < readyAt) throw new InputError("GOVERNANCE_NOT_READY", `${p.action.description} is executable after ${new Date(readyAt * 1000).toISOString()} (chain time now ${new Date(now.time * 1000).toISOString()})`, { readyAt });
  }
  // The call as the Safe would make it: a refusal of the manager or of the governed contract comes back by name.
  await domain(() => provider.call({ from: p.safe, to: p.safeTx.to, data: p.safeTx.data }));
}

/** Executes the proposal's current Safe transaction with its signatures (SAFE_BELOW_THRESHOLD when too few). */
export async function executeProposal(ledger: LedgerContracts, p: GovernanceProposal, executor: Signer): Promise<ProposalExecution> {
  const safe = connectSafe(p.safe, executor);
  const { owners, threshold, nonce } = await readSafe(safe);
  const packed = packSignatures(p.chainId, getAddress(p.safe), p.safeTx, p.signatures, owners, threshold);
  await precheck(ledger, p, nonce);
  const sent = await execSafeTx(safe, executor, p.safeTx, packed);
  if (sent.events.some((e) => e.name === "ExecutionFailure")) throw new InputError("SAFE_EXECUTION_FAILED", `the Safe ran ${p.action.description} and the call failed (tx ${sent.txHash})`);
  if (p.stage === "execute") return { sent };
  const readyAt = Number(await ledger.manager.getSchedule(await ledger.manager.hashOperation(p.safe, p.action.target, p.action.data)));
  return { sent, next: make({ chainId: p.chainId, safe: p.safe, manager: p.manager, action: p.action }, "execute", nonce + 1n, readyAt) };
}
