/**
 * OutboxSigner: an ethers signer that sends every transaction through an Outbox, so existing call
 * sites (`contract.connect(signer).fn(...)`, `sendWrite(contract, () => ...)`) keep their shape.
 */
import { AbstractSigner, keccak256, resolveAddress, Transaction, type Provider, type Signer, type TransactionRequest, type TransactionResponse, type TypedDataDomain, type TypedDataField } from "ethers";
import { MedprovError } from "../../core";
import { broadcastRaw, progress, refused, refusedOutright, replaced, resend, responseOf } from "./chain";
import type { Outbox, OutboxEntry } from "./store";

export class OutboxSigner extends AbstractSigner {
  /**
   * `inner` holds the key and must sign offline (a Wallet, or one decrypted from a keystore); it
   * is never asked to send. A signer made by `withKey` names its sends `key`, `key#1`, `key#2`…
   */
  constructor(
    readonly outbox: Outbox,
    readonly inner: Signer,
    readonly key?: string,
    private readonly keyUses = { sent: 0 },
  ) {
    super(inner.provider);
  }

  getAddress(): Promise<string> {
    return this.inner.getAddress();
  }

  connect(provider: Provider | null): OutboxSigner {
    return new OutboxSigner(this.outbox, this.inner.connect(provider), this.key, this.keyUses);
  }

  /**
   * The same signer, its sends named by an idempotency key (one logical write, such as relaying one
   * patient-signed request). Sending again under a key the outbox holds returns that transaction
   * (and so its outcome) instead of signing a new one; only a replaced one is signed anew.
   */
  withKey(key: string): OutboxSigner {
    return new OutboxSigner(this.outbox, this.inner, key);
  }

  signTransaction(tx: TransactionRequest): Promise<string> {
    return this.inner.signTransaction(tx);
  }

  signMessage(message: string | Uint8Array): Promise<string> {
    return this.inner.signMessage(message);
  }

  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    return this.inner.signTypedData(domain, types, value);
  }

  /** Populates, signs, keeps (synced), then broadcasts; see outbox/index.ts. */
  override async sendTransaction(request: TransactionRequest): Promise<TransactionResponse> {
    const provider = this.provider;
    if (!provider) throw new MedprovError("OUTBOX_NO_PROVIDER", "an OutboxSigner needs a provider to send: connect its wallet to one");
    const from = await this.getAddress();
    const chainId = (await chainIdOf(provider)).toString();
    return this.outbox.inLane(chainId, from, async () => {
      // In the lane, so a keyed signer's sends are numbered in order; a send that failed before
      // anything was kept does not use up its name (its retry is the same write).
      const uses = this.keyUses.sent;
      const key = this.key === undefined ? undefined : uses === 0 ? this.key : `${this.key}#${uses}`;
      const prior = key === undefined ? undefined : await this.priorUnder(key, from, request, provider);
      const response = prior ?? (await this.signKeepSend(request, { from, chainId, key, provider }));
      this.keyUses.sent = uses + 1;
      return response;
    });
  }

  /** The transaction already sent under `key`, put back on the wire if the node lost it; undefined when there is none to reuse. */
  private async priorUnder(key: string, from: string, request: TransactionRequest, provider: Provider): Promise<TransactionResponse | undefined> {
    const prior = await this.outbox.byKey(key);
    if (!prior || prior.state === "replaced") return undefined;
    const to = request.to == null ? null : await resolveAddress(request.to, provider);
    const selector = typeof request.data === "string" ? request.data.slice(0, 10) : "0x";
    if (prior.from.toLowerCase() !== from.toLowerCase() || (prior.to ?? "").toLowerCase() !== (to ?? "").toLowerCase() || prior.selector !== selector) {
      throw new MedprovError("OUTBOX_KEY_CONFLICT", `idempotency key "${key}" already names transaction ${prior.hash} (${prior.from} → ${prior.to}, call ${prior.selector}); this is another write: give it its own key`, false, { key, hash: prior.hash });
    }
    if (prior.state === "signed" && (await resend(prior, provider)) === "replaced") {
      await replaced(this.outbox, prior);
      return undefined;
    }
    return responseOf(prior.raw, prior.from, provider);
  }

  /**
   * The next nonce: the one this process learned (no request) when every entry of the sender is
   * settled or being waited on here (see Outbox.knownNonce), else the node's pending count, after
   * putting back entries this outbox signed that the node does not count (a crash before their
   * broadcast, a lost mempool): the nonce taken would otherwise leave a gap that never fills.
   */
  private async nextNonce(o: { from: string; chainId: string; provider: Provider }): Promise<{ nonce: number; learned: boolean }> {
    const { outbox } = this;
    const known = outbox.knownNonce(o.chainId, o.from);
    if (known !== undefined) return { nonce: known, learned: true };
    const pending = await o.provider.getTransactionCount(o.from, "pending");
    if (outbox.nextNonce(o.chainId, o.from) > pending) {
      for (const entry of outbox.unsettledEntries(o.chainId, o.from)) if (entry.nonce >= pending) await broadcastRaw(o.provider, entry.raw);
    }
    return { nonce: Math.max(pending, outbox.nextNonce(o.chainId, o.from)), learned: false };
  }

  /**
   * The transaction to sign. A plain call (to, data, value, gas limit) is filled here with the
   * provider's fee data and the chain id asked once; anything else (fees or a type set, access
   * lists, blobs…) goes through ethers' own populate.
   */
  private async populateFor(request: TransactionRequest, nonce: number, o: { chainId: string; provider: Provider }): Promise<Transaction> {
    const plain = Object.entries(request).every(([k, v]) => v == null || PLAIN_FIELDS.has(k));
    if (!plain) {
      const populated = await this.populateTransaction({ ...request, nonce, chainId: BigInt(o.chainId) });
      delete populated.from;
      return Transaction.from(populated);
    }
    const to = request.to == null ? null : await resolveAddress(request.to, o.provider);
    const call = { to, data: request.data ?? "0x", value: request.value ?? 0n, nonce, chainId: BigInt(o.chainId) };
    const [gasLimit, fees] = await Promise.all([request.gasLimit ?? this.estimateGas({ ...call, from: await this.getAddress() }), o.provider.getFeeData()]);
    if (fees.maxFeePerGas != null && fees.maxPriorityFeePerGas != null) {
      return Transaction.from({ ...call, gasLimit, type: 2, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas });
    }
    if (fees.gasPrice == null) throw new MedprovError("OUTBOX_NO_FEE_DATA", "the node gave neither EIP-1559 fees nor a gas price; pass them with the transaction");
    return Transaction.from({ ...call, gasLimit, type: 0, gasPrice: fees.gasPrice });
  }

  private async signKeepSend(request: TransactionRequest, o: { from: string; chainId: string; key?: string; provider: Provider }): Promise<TransactionResponse> {
    const { outbox } = this;
    const { nonce, learned } = await this.nextNonce(o);
    const unsigned = await this.populateFor(request, nonce, o);
    const raw = await this.inner.signTransaction(unsigned);
    // The fields come from what was signed, not from parsing `raw`: recovering its sender is ~10 ms.
    const entry: OutboxEntry = { hash: keccak256(raw), raw, from: o.from, nonce: unsigned.nonce, chainId: o.chainId, to: unsigned.to, selector: unsigned.data.slice(0, 10), ...(o.key !== undefined ? { key: o.key } : {}), created: Math.floor(Date.now() / 1000), state: "signed" };
    await outbox.recordSigned(entry);
    await progress(outbox, "signed", entry);
    const outcome = await broadcastRaw(o.provider, raw).catch(async (e) => Promise.reject(refusedOutright(e) ? await refused(outbox, entry, e) : e));
    if (outcome === "nonce-used" && !(await o.provider.getTransactionReceipt(entry.hash))) {
      const error = await replaced(outbox, entry);
      // The nonce this process learned was stale (the key sent elsewhere meanwhile): ask the node, once.
      if (learned) return this.signKeepSend(request, o);
      throw error;
    }
    outbox.learnNonce(o.chainId, o.from, entry.nonce + 1);
    await progress(outbox, "broadcast", entry);
    return responseOf(raw, o.from, o.provider);
  }
}

/** The request fields {@link OutboxSigner} fills itself; a request with any other set goes through ethers' populate. */
const PLAIN_FIELDS = new Set(["to", "data", "value", "gasLimit", "nonce"]);

/** Per provider, its chain id, asked once: a provider's chain does not change under it (ethers' static networks assume the same). */
const CHAIN_IDS = new WeakMap<Provider, Promise<bigint>>();

function chainIdOf(provider: Provider): Promise<bigint> {
  let chainId = CHAIN_IDS.get(provider);
  if (!chainId) {
    chainId = provider.getNetwork().then((n) => n.chainId);
    chainId.catch(() => CHAIN_IDS.delete(provider));
    CHAIN_IDS.set(provider, chainId);
  }
  return chainId;
}
