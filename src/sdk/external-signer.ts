/**
 * A signer whose key lives elsewhere: Clef, Web3Signer, an HSM gateway or a node holding the
 * account, asked over JSON-RPC to sign (eth_signTransaction, eth_signTypedData_v4) and never to
 * send. Transactions are populated, kept in the outbox and broadcast on this member's own node,
 * exactly as with a keystore key; the signing service only ever sees what it is asked to sign.
 */
import { AbstractSigner, JsonRpcProvider, Transaction, TypedDataEncoder, getAddress, hexlify, toUtf8Bytes, type BigNumberish, type Provider, type TransactionLike, type TransactionRequest, type TypedDataDomain, type TypedDataField } from "ethers";
import { InputError, RpcError } from "../core";

const quantity = (v: BigNumberish | null | undefined) => (v === null || v === undefined ? undefined : "0x" + BigInt(v).toString(16));

/** The JSON-RPC form of a transaction to sign (the fields every signing service reads). */
function rpcTransaction(tx: TransactionLike<string>, from: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    from,
    to: tx.to ?? undefined,
    data: tx.data ?? "0x",
    value: quantity(tx.value ?? 0n),
    nonce: quantity(tx.nonce),
    gas: quantity(tx.gasLimit),
    chainId: quantity(tx.chainId),
    type: quantity(tx.type),
    gasPrice: quantity(tx.gasPrice),
    maxFeePerGas: quantity(tx.maxFeePerGas),
    maxPriorityFeePerGas: quantity(tx.maxPriorityFeePerGas),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

export class ExternalSigner extends AbstractSigner {
  constructor(
    private readonly service: JsonRpcProvider,
    readonly address: string,
    provider: Provider | null,
  ) {
    super(provider);
  }

  /** The signer at `url`, signing as `address` (or as the only account it holds). */
  static async at(url: string, address: string | undefined, provider: Provider | null): Promise<ExternalSigner> {
    const service = new JsonRpcProvider(url, undefined, { staticNetwork: true, batchMaxCount: 1 });
    let accounts: string[];
    try {
      accounts = ((await service.send("eth_accounts", [])) as string[]).map((a) => getAddress(a));
    } catch (e) {
      service.destroy();
      throw new RpcError(`cannot reach the external signer at ${url}`, e);
    }
    const chosen = address ? getAddress(address) : accounts.length === 1 ? accounts[0] : undefined;
    if (!chosen) {
      service.destroy();
      throw new InputError("SIGNER_ACCOUNT", `the signer at ${url} holds ${accounts.length} accounts; name one with --signer-address`);
    }
    if (!accounts.includes(chosen)) {
      service.destroy();
      throw new InputError("SIGNER_ACCOUNT", `the signer at ${url} does not hold ${chosen} (it holds: ${accounts.join(", ") || "none"})`);
    }
    return new ExternalSigner(service, chosen, provider);
  }

  async getAddress(): Promise<string> {
    return this.address;
  }

  connect(provider: Provider | null): ExternalSigner {
    return new ExternalSigner(this.service, this.address, provider);
  }

  /** Signs a populated transaction; Clef answers `{ raw, tx }`, others the raw hex. */
  async signTransaction(request: TransactionRequest): Promise<string> {
    const tx = Transaction.from(request as TransactionLike<string>);
    const answer = (await this.service.send("eth_signTransaction", [rpcTransaction(tx, this.address)])) as string | { raw: string };
    const raw = typeof answer === "string" ? answer : answer.raw;
    // The service must have signed what was asked, as this address: anything else is not sent.
    const signed = Transaction.from(raw);
    if (signed.from !== this.address || signed.unsignedHash !== tx.unsignedHash) {
      throw new InputError("SIGNER_MISMATCH", `the signer returned a transaction other than the one asked (from ${signed.from})`);
    }
    return raw;
  }

  signMessage(message: string | Uint8Array): Promise<string> {
    const data = typeof message === "string" ? hexlify(toUtf8Bytes(message)) : hexlify(message);
    return this.service.send("personal_sign", [data, this.address]);
  }

  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    return this.service.send("eth_signTypedData_v4", [this.address, JSON.stringify(TypedDataEncoder.getPayload(domain, types, value))]);
  }

  /** Ends the connection to the signing service. */
  destroy(): void {
    this.service.destroy();
  }
}
