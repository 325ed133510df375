/** Sending a write and reading its result back from the receipt. */
import type { BaseContract, ContractTransactionResponse, LogDescription } from "ethers";
import { domain, MedprovError } from "./errors";

export interface WriteResult {
  txHash: string;
  blockNumber: number;
  gasUsed: bigint;
}

export interface SentWrite extends WriteResult {
  /** Events the write emitted on `contract`, decoded with its ABI. */
  events: LogDescription[];
}

/** Sends, waits for the receipt and decodes `contract`'s events; reverts become domain errors. */
export async function sendWrite(contract: BaseContract, send: () => Promise<ContractTransactionResponse>): Promise<SentWrite> {
  return domain(async () => {
    const tx = await send();
    const receipt = await tx.wait();
    if (!receipt) throw new MedprovError("TX_DROPPED", `transaction ${tx.hash} was dropped`, true);
    const address = (await contract.getAddress()).toLowerCase();
    const events = receipt.logs
      .filter((l) => l.address.toLowerCase() === address)
      .map((l) => contract.interface.parseLog(l))
      .filter((e): e is LogDescription => e !== null);
    return { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, events };
  });
}

/** The first event named `name`, or an error saying the contract did not emit it. */
export function eventNamed(write: SentWrite, name: string): LogDescription {
  const e = write.events.find((x) => x.name === name);
  if (!e) throw new MedprovError("EVENT_MISSING", `transaction ${write.txHash} emitted no ${name} event`);
  return e;
}
