/** Sending a write and reading its result back from the receipt. */
import type { BaseContract, ContractTransactionResponse, LogDescription, TransactionReceipt } from "ethers";
import { decodeRevert, domain, MedprovError } from "../core";
import { outboxHolding } from "./outbox/store";

export interface WriteResult {
  txHash: string;
  blockNumber: number;
  gasUsed: bigint;
}

export interface SentWrite extends WriteResult {
  /** Events the write emitted on `contract`, decoded with its ABI. */
  events: LogDescription[];
}

/**
 * Sends, waits for the receipt and decodes `contract`'s events; reverts become domain errors.
 * A transaction sent through an OutboxSigner returns only once the outbox acknowledged it (its
 * receipt durable per the outbox's policy; see outbox/index.ts); others as soon as mined.
 */
export async function sendWrite(contract: BaseContract, send: () => Promise<ContractTransactionResponse>, o: { timeoutMs?: number } = {}): Promise<SentWrite> {
  return domain(async () => {
    const tx = await send();
    const outbox = outboxHolding(tx.hash);
    const receipt = outbox ? await outbox.acknowledged(tx.hash, tx.provider, { timeoutMs: o.timeoutMs }) : await mined(tx, o.timeoutMs);
    if (receipt.status === 0 && outbox) await replayRevert(tx, receipt.blockNumber);
    // A reverted receipt goes through ethers' own path so that its CALL_EXCEPTION (and our naming of it) is unchanged.
    if (receipt.status === 0) await tx.wait();
    const address = (await contract.getAddress()).toLowerCase();
    const events = receipt.logs
      .filter((l) => l.address.toLowerCase() === address)
      .map((l) => contract.interface.parseLog(l))
      .filter((e): e is LogDescription => e !== null);
    return { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, events };
  });
}

/**
 * A mined revert carries no reason. Replayed as a call on the state its block started from, it
 * usually reverts the same way and names the ledger error; when it does not (a transaction earlier
 * in the block changed the state), ethers' unnamed CALL_EXCEPTION follows.
 */
async function replayRevert(tx: ContractTransactionResponse, blockNumber: number): Promise<void> {
  try {
    await tx.provider.call({ from: tx.from, to: tx.to, data: tx.data, value: tx.value, gasLimit: tx.gasLimit, blockTag: blockNumber - 1 });
  } catch (e) {
    if (decodeRevert(e)) throw e;
  }
}

/**
 * The receipt of a sent transaction, polled for. ethers' `wait()` re-checks on new-block events, and
 * an automining development chain (anvil, Hardhat) produces no further block to wake it when its
 * first check raced the mining; on a real chain polling costs one call per interval.
 */
async function mined(tx: ContractTransactionResponse, timeoutMs = 10 * 60_000): Promise<TransactionReceipt> {
  const until = Date.now() + timeoutMs;
  for (let delay = 5; Date.now() < until; delay = Math.min(delay * 2, 500)) {
    const receipt = await tx.provider.getTransactionReceipt(tx.hash);
    if (receipt) return receipt;
    await new Promise((r) => setTimeout(r, delay));
  }
  throw new MedprovError("TX_TIMEOUT", `transaction ${tx.hash} was not mined within ${Math.round(timeoutMs / 1000)} s; it may still be: check it before sending again`, true);
}

/** The first event named `name`, or an error saying the contract did not emit it. */
export function eventNamed(write: SentWrite, name: string): LogDescription {
  const e = write.events.find((x) => x.name === name);
  if (!e) throw new MedprovError("EVENT_MISSING", `transaction ${write.txHash} emitted no ${name} event`);
  return e;
}
