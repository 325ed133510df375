/**
 * The outbox's side facing the chain: broadcasting a kept raw transaction (a node that already
 * has it is success), waiting for its receipt while re-sending it, applying the durability policy,
 * and resuming after a crash.
 */
import { isError, keccak256, Transaction, TransactionResponse, type Provider, type TransactionReceipt } from "ethers";
import { MedprovError } from "../../core";
import type { Inclusion, Outbox, OutboxEntry, OutboxPhase } from "./store";

export interface SettleOptions {
  /** Give up (TX_TIMEOUT, retryable; the entry stays for the next resume) after this long. Default 10 min. */
  timeoutMs?: number;
}

export interface ResumeResult {
  acknowledged: string[];
  replaced: string[];
  /** Entries the node refused outright (insufficient funds, gas or fees too low): settled as never sent. */
  refused: string[];
  /** Entries of another chain than the provider's, left as they are. */
  otherChains: number;
}

/**
 * What nodes answer when they already hold a transaction: geth "already known", Hardhat/Besu
 * "Known transaction", anvil "transaction already imported".
 */
const KNOWN = /already known|known transaction|already imported/i;
const NONCE_USED = /nonce too low/i;
/** Another transaction with this nonce waits in the mempool: whichever is mined decides, so keep waiting. */
const CONTESTED = /replacement transaction underpriced|replacement fee too low/i;
/**
 * The node refused the transaction itself (not a network failure, after which it may hold it): the
 * sender cannot pay, or its gas or fees are too low for the chain. Re-sending the same bytes can
 * only be refused again, and its nonce stays free.
 */
// geth and anvil say "insufficient funds", Hardhat "doesn't have enough funds", Besu "upfront cost exceeds account balance".
const REFUSED = /insufficient funds|doesn't have enough funds|exceeds account balance|intrinsic gas too low|exceeds block gas limit|less than (the )?block base fee|transaction underpriced/i;

/** Whether `e`, thrown by a send of the raw bytes, is the node refusing them for good (see REFUSED). */
export function refusedOutright(e: unknown): boolean {
  const message = `${(e as Error)?.message ?? ""} ${JSON.stringify((e as { info?: unknown })?.info ?? {})}`;
  return isError(e, "INSUFFICIENT_FUNDS") || (REFUSED.test(message) && !CONTESTED.test(message));
}

/**
 * Marks `entry`, which the node refused outright, settled as never sent (its nonce free again),
 * and gives back the error: no caller was told it was written, so nothing acknowledged is dropped,
 * and the sender's later writes and every read are no longer held behind it.
 */
export async function refused(outbox: Outbox, entry: OutboxEntry, e: unknown): Promise<unknown> {
  const reason = `the node refused ${entry.hash} (nonce ${entry.nonce} of ${entry.from}): ${String((e as Error)?.message ?? e).split("\n")[0].slice(0, 200)}`;
  await progress(outbox, "replaced", await outbox.markRefused(entry, reason));
  return e;
}

/** "nonce-used": the node has a transaction of this sender with this nonce in a block (ours or another). */
export type BroadcastOutcome = "accepted" | "known" | "nonce-used";

/**
 * eth_sendRawTransaction alone. ethers' `broadcastTransaction` also asks for the block number (and
 * the network) to build a response that the outbox never uses (it builds its own, {@link responseOf});
 * a provider that speaks JSON-RPC is sent the one request, and answers with the same errors.
 */
function sendRaw(provider: Provider, raw: string): Promise<unknown> {
  const rpc = provider as Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> };
  return typeof rpc.send === "function" ? rpc.send("eth_sendRawTransaction", [raw]) : provider.broadcastTransaction(raw);
}

/** Sends a raw transaction; a node that already holds it (pending) is as good as accepting it. */
export async function broadcastRaw(provider: Provider, raw: string): Promise<BroadcastOutcome> {
  try {
    await sendRaw(provider, raw);
    return "accepted";
  } catch (e) {
    const message = `${(e as Error)?.message ?? ""} ${JSON.stringify((e as { info?: unknown }).info ?? {})}`;
    // ethers names it over JSON-RPC; Hardhat's in-process provider passes the node's words through.
    if (isError(e, "NONCE_EXPIRED") || NONCE_USED.test(message)) return "nonce-used";
    if (KNOWN.test(message) || CONTESTED.test(message)) return "known";
    // Hardhat's automining node mines a reverting transaction and then answers with the revert:
    // whatever the answer, a transaction the chain holds was sent.
    if (await provider.getTransactionReceipt(keccak256(raw)).catch(() => null)) return "accepted";
    throw e;
  }
}

/**
 * The response ethers would have returned for `raw`, built from the kept bytes and their known
 * sender: recovering the sender from the signature costs ~10 ms of pure-JS elliptic-curve work.
 */
export function responseOf(raw: string, from: string, provider: Provider): TransactionResponse {
  const tx = Transaction.from(raw);
  return new TransactionResponse(
    {
      blockNumber: null, blockHash: null, hash: keccak256(raw), index: 0, type: tx.type ?? 0, to: tx.to, from, nonce: tx.nonce,
      gasLimit: tx.gasLimit, gasPrice: tx.gasPrice ?? tx.maxFeePerGas ?? 0n, maxPriorityFeePerGas: tx.maxPriorityFeePerGas, maxFeePerGas: tx.maxFeePerGas,
      maxFeePerBlobGas: tx.maxFeePerBlobGas, data: tx.data, value: tx.value, chainId: tx.chainId, signature: tx.signature!,
      accessList: tx.accessList, blobVersionedHashes: tx.blobVersionedHashes, authorizationList: tx.authorizationList,
    },
    provider,
  );
}

export async function progress(outbox: Outbox, phase: OutboxPhase, entry: OutboxEntry): Promise<void> {
  await outbox.options.onProgress?.({ phase, entry });
}

/** Marks `entry` replaced and returns the named error its writer gets. */
export async function replaced(outbox: Outbox, entry: OutboxEntry): Promise<MedprovError> {
  const reason = `nonce ${entry.nonce} of ${entry.from} was used by another transaction; ${entry.hash} can never be included`;
  await progress(outbox, "replaced", await outbox.markReplaced(entry, reason));
  return new MedprovError("TX_REPLACED", `${reason}: nothing was written; send the write again`, true, { hash: entry.hash, from: entry.from, nonce: entry.nonce });
}

/**
 * Re-sends `entry`: "replaced" when the chain used its nonce for another transaction, "pending"
 * when it is (again) waiting, "included" when it turned out to be mined already.
 */
export async function resend(entry: OutboxEntry, provider: Provider): Promise<"pending" | "included" | "replaced"> {
  if ((await broadcastRaw(provider, entry.raw)) !== "nonce-used") return "pending";
  // Our own transaction, mined since we last looked, also makes its nonce "used".
  if (await provider.getTransactionReceipt(entry.hash)) return "included";
  return "replaced";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls for the receipt (see tx.ts: an automining chain may give no later block to wake a
 * listener), re-sending the raw transaction every `rebroadcastMs` so a node that lost its mempool
 * gets it back, then applies the durability policy. Reverted receipts are returned like others.
 */
export async function settleEntry(outbox: Outbox, entry: OutboxEntry, provider: Provider, o: SettleOptions = {}): Promise<TransactionReceipt> {
  if (entry.state === "replaced") throw new MedprovError("TX_REPLACED", entry.replaced!.reason, true, { hash: entry.hash });
  const timeoutMs = o.timeoutMs ?? 10 * 60_000;
  const rebroadcastMs = outbox.options.rebroadcastMs ?? 3000;
  const until = Date.now() + timeoutMs;
  let sentAt = Date.now();
  for (let delay = 5; ; delay = Math.min(delay * 2, 500)) {
    const receipt = await provider.getTransactionReceipt(entry.hash);
    if (receipt) {
      if (entry.state === "acknowledged") return receipt;
      const durable = await makeDurable(outbox, entry, receipt, provider, until);
      if (durable) return durable;
    } else if (Date.now() - sentAt >= rebroadcastMs) {
      sentAt = Date.now();
      if ((await resend(entry, provider)) === "replaced") throw await replaced(outbox, entry);
    }
    if (Date.now() >= until) {
      throw new MedprovError("TX_TIMEOUT", `transaction ${entry.hash} was not acknowledged within ${Math.round(timeoutMs / 1000)} s; it stays in the outbox ${outbox.path} and the next resume finishes it`, true, { hash: entry.hash });
    }
    await sleep(delay);
  }
}

const inclusionOf = (r: TransactionReceipt): Inclusion => ({ blockNumber: r.blockNumber, blockHash: r.blockHash, status: r.status ?? 1 });

/**
 * Included → durable → acknowledged, each synced. With the default policy nothing is waited for,
 * so inclusion and acknowledgement are one write. Undefined when the receipt left its block
 * while confirmations were awaited (a reorganisation): the caller keeps waiting and re-sending.
 */
async function makeDurable(outbox: Outbox, entry: OutboxEntry, receipt: TransactionReceipt, provider: Provider, until: number): Promise<TransactionReceipt | undefined> {
  const policy = outbox.options.durability ?? {};
  const confirmations = policy.confirmations ?? 1;
  if (confirmations <= 1 && !policy.durable) {
    await progress(outbox, "included", entry);
    await progress(outbox, "acknowledged", await outbox.markAcknowledged(entry, inclusionOf(receipt)));
    return receipt;
  }
  const included = await outbox.markIncluded(entry, inclusionOf(receipt));
  await progress(outbox, "included", included);
  let kept = receipt;
  if (confirmations > 1) {
    for (let delay = 50; (await provider.getBlockNumber()) < receipt.blockNumber + confirmations - 1; delay = Math.min(delay * 2, 1000)) {
      if (Date.now() >= until) throw new MedprovError("TX_TIMEOUT", `transaction ${entry.hash} was included in block ${receipt.blockNumber} but did not reach ${confirmations} confirmations in time; the next resume finishes it`, true, { hash: entry.hash });
      await sleep(delay);
    }
    const again = await provider.getTransactionReceipt(entry.hash);
    if (!again || again.blockHash !== receipt.blockHash) return undefined;
    kept = again;
  }
  await policy.durable?.(kept);
  await progress(outbox, "acknowledged", await outbox.markAcknowledged(included, inclusionOf(kept)));
  return kept;
}

/** See Outbox.resume. */
export async function resumeOutbox(outbox: Outbox, provider: Provider, o: SettleOptions = {}): Promise<ResumeResult> {
  const chainId = (await provider.getNetwork()).chainId.toString();
  const result: ResumeResult = { acknowledged: [], replaced: [], refused: [], otherChains: outbox.unsettledEntries().length - outbox.unsettledEntries(chainId).length };
  const waiting: OutboxEntry[] = [];
  const senders = [...new Set(outbox.unsettledEntries(chainId).map((e) => e.from))];
  for (const from of senders) {
    // In the sender's lane, so no new send takes a nonce while its older ones are put back.
    await outbox.inLane(chainId, from, async () => {
      for (const entry of outbox.unsettledEntries(chainId, from)) {
        const landed = entry.state === "included" || (await provider.getTransactionReceipt(entry.hash)) !== null;
        const outcome = landed ? "included" : await resend(entry, provider).catch(async (e) => (refusedOutright(e) ? (await refused(outbox, entry, e), "refused" as const) : Promise.reject(e)));
        if (outcome === "refused") result.refused.push(entry.hash);
        else if (outcome === "replaced") {
          await replaced(outbox, entry);
          result.replaced.push(entry.hash);
        } else waiting.push(entry);
      }
    });
  }
  const settled = await Promise.allSettled(waiting.map((entry) => settleEntry(outbox, entry, provider, o)));
  const isReplaced = (s: PromiseSettledResult<unknown>) => s.status === "rejected" && (s.reason as MedprovError)?.code === "TX_REPLACED";
  settled.forEach((s, i) => (s.status === "fulfilled" ? result.acknowledged : isReplaced(s) ? result.replaced : []).push(waiting[i].hash));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected" && !isReplaced(s));
  if (failed) throw failed.reason;
  return result;
}
