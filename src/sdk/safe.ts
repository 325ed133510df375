/**
 * The consortium's governance account as a Safe multisig (@safe-global/safe-smart-account 1.5.0,
 * compiled here: contracts/SafeGovernance.sol): deploying one, the EIP-712 SafeTx each owner signs
 * offline, and executing a SafeTx once enough owners signed. Pure helpers (hashing, checking and
 * ordering signatures) are separate from the two functions that talk to a chain.
 */
import { getAddress, TypedDataEncoder, verifyTypedData, ZeroAddress, type ContractRunner, type Signer } from "ethers";
import { Safe__factory, SafeProxyFactory__factory, type Safe } from "../../typechain-types";
import { InputError, MedprovError } from "../core";
import { sendWrite, type SentWrite } from "./tx";

/** A Safe transaction, every number as a decimal string (JSON files carry it between owners). */
export interface SafeTx {
  to: string;
  value: string;
  data: string;
  /** 0 call (the only operation medprov proposes; 1, delegatecall, would run code as the Safe). */
  operation: 0;
  safeTxGas: string;
  baseGas: string;
  gasPrice: string;
  gasToken: string;
  refundReceiver: string;
  nonce: string;
}

export interface OwnerSignature {
  signer: string;
  signature: string;
}

/** The SafeTx type the Safe contract hashes (Safe.sol SAFE_TX_TYPEHASH). */
export const SAFE_TX_TYPES = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
};

export const safeDomain = (chainId: number, safe: string) => ({ chainId, verifyingContract: safe });

/** A plain call from the Safe at `nonce`: no gas refund, nobody paid (the executor pays its own gas). */
export const safeCall = (to: string, data: string, nonce: bigint | number): SafeTx => ({
  to: getAddress(to), value: "0", data, operation: 0, safeTxGas: "0", baseGas: "0", gasPrice: "0", gasToken: ZeroAddress, refundReceiver: ZeroAddress, nonce: String(nonce),
});

/** The hash owners sign (what Safe.getTransactionHash returns). */
export const safeTxHash = (chainId: number, safe: string, tx: SafeTx): string => TypedDataEncoder.hash(safeDomain(chainId, safe), SAFE_TX_TYPES, tx);

/** An owner's EIP-712 signature of `tx`; the key never leaves `signer`. */
export async function signSafeTx(signer: Signer, chainId: number, safe: string, tx: SafeTx): Promise<OwnerSignature> {
  return { signer: getAddress(await signer.getAddress()), signature: await signer.signTypedData(safeDomain(chainId, safe), SAFE_TX_TYPES, tx) };
}

/**
 * The signatures as execTransaction takes them: each checked to be its signer's over this very
 * transaction and an owner's, one per owner, ordered by owner address (the Safe requires it), and
 * at least `threshold` of them. Throws a named error otherwise, before anything is sent.
 */
export function packSignatures(chainId: number, safe: string, tx: SafeTx, signatures: OwnerSignature[], owners: string[], threshold: number): string {
  const isOwner = new Set(owners.map((o) => getAddress(o)));
  const bySigner = new Map<string, string>();
  for (const s of signatures) {
    let recovered: string;
    try {
      recovered = verifyTypedData(safeDomain(chainId, safe), SAFE_TX_TYPES, tx, s.signature);
    } catch {
      throw new InputError("SAFE_BAD_SIGNATURE", `the signature given for ${s.signer} is not a signature`);
    }
    if (recovered !== getAddress(s.signer)) throw new InputError("SAFE_BAD_SIGNATURE", `the signature given for ${s.signer} is not its signature of this transaction (it recovers ${recovered})`);
    if (!isOwner.has(recovered)) throw new InputError("SAFE_NOT_OWNER", `${recovered} signed but is not an owner of the Safe ${safe}`);
    bySigner.set(recovered, s.signature);
  }
  if (bySigner.size < threshold) {
    throw new InputError("SAFE_BELOW_THRESHOLD", `${bySigner.size} of the ${threshold} owner signatures the Safe requires (owners: ${owners.join(", ")})`, { signed: bySigner.size, threshold });
  }
  const ordered = [...bySigner.entries()].sort(([a], [b]) => (BigInt(a) < BigInt(b) ? -1 : 1));
  return "0x" + ordered.map(([, sig]) => sig.slice(2)).join("");
}

/** Owners, threshold and next nonce of a Safe; SAFE_NOT_FOUND when no Safe answers there. */
export async function readSafe(safe: Safe): Promise<{ owners: string[]; threshold: number; nonce: bigint }> {
  try {
    const [owners, threshold, nonce] = await Promise.all([safe.getOwners(), safe.getThreshold(), safe.nonce()]);
    return { owners: owners.map((o) => getAddress(o)), threshold: Number(threshold), nonce };
  } catch (e) {
    if (e instanceof MedprovError) throw e;
    throw new InputError("SAFE_NOT_FOUND", `no Safe answers at ${await safe.getAddress()}: the deployment's governance account is not a Safe`);
  }
}

/** Executes `tx` from the Safe with the owners' signatures (the executor pays only its own gas). */
export async function execSafeTx(safe: Safe, executor: Signer, tx: SafeTx, packed: string): Promise<SentWrite> {
  const s = safe.connect(executor);
  return sendWrite(s, () => s.execTransaction(tx.to, tx.value, tx.data, tx.operation, tx.safeTxGas, tx.baseGas, tx.gasPrice, tx.gasToken, tx.refundReceiver, packed));
}

export interface SafeDeployment {
  safe: string;
  owners: string[];
  threshold: number;
  singleton: string;
  factory: string;
}

/**
 * Deploys a Safe singleton and proxy factory from this build (a consortium chain has no canonical
 * Safe deployments) and a Safe proxy with `owners` and `threshold`, no modules, no fallback handler.
 */
export async function deploySafe(deployer: Signer, owners: string[], threshold: number): Promise<SafeDeployment> {
  const normalised = owners.map((o) => getAddress(o));
  if (new Set(normalised).size !== normalised.length) throw new InputError("SAFE_BAD_OWNERS", "each Safe owner must be named once");
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > normalised.length) throw new InputError("SAFE_BAD_OWNERS", `the threshold must be 1..${normalised.length} (the number of owners), got ${threshold}`);
  const singleton = await new Safe__factory(deployer).deploy();
  const factory = await new SafeProxyFactory__factory(deployer).deploy();
  await Promise.all([singleton.waitForDeployment(), factory.waitForDeployment()]);
  const setup = singleton.interface.encodeFunctionData("setup", [normalised, threshold, ZeroAddress, "0x", ZeroAddress, ZeroAddress, 0, ZeroAddress]);
  const created = await sendWrite(factory, () => factory.createProxyWithNonce(singleton.target as string, setup, 0));
  const event = created.events.find((e) => e.name === "ProxyCreation");
  if (!event) throw new MedprovError("EVENT_MISSING", "the Safe proxy factory emitted no ProxyCreation");
  return { safe: getAddress(event.args.proxy), owners: normalised, threshold, singleton: singleton.target as string, factory: factory.target as string };
}

/** A client of the Safe at `address`. */
export const connectSafe = (address: string, runner: ContractRunner): Safe => Safe__factory.connect(address, runner);
