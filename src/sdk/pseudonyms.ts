/**
 * Pairwise pseudonyms (DESIGN §5, docs/pseudonyms.md): a patient holds one 32-byte secret and
 * appears at each hospital under a different subject address, whose private key is derived from the
 * secret and the hospital's on-chain organisation id. The patient's own app derives all of them
 * (and signs EIP-712 consents as each); a member sees only its own, and two of them share nothing
 * that links them short of the secret.
 *
 * Browser-safe and pure: only ethers' hashing and key primitives, no Node API, no SDK door (which
 * loads the contract factories). The web app imports this file by path (test/layering.test.ts).
 */
import { AbiCoder, computeAddress, getBytes, hexlify, keccak256 } from "ethers";

/** Domain-separates this derivation from every other use of the secret; a new version gets a new tag. */
export const PSEUDONYM_DOMAIN = "medprov/pseudonym/v1";

/** The order of secp256k1's group: a private key is an integer in [1, n). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export interface Pseudonym {
  /** The hospital's organisation id on the Consortium contract. */
  memberId: number;
  /** The subject address this patient has at that hospital. */
  address: string;
  /** Its private key: signs the patient's consents as this pseudonym; never leaves the patient's app. */
  privateKey: string;
}

/** True for a 32-byte hex secret (0x + 64 hex digits), the only kind derivePseudonym takes. */
export function isPatientSecret(secret: unknown): secret is string {
  return typeof secret === "string" && /^0x[0-9a-fA-F]{64}$/.test(secret);
}

/**
 * The pseudonym of `secret` at organisation `memberId`:
 * key = keccak256(abi.encode(PSEUDONYM_DOMAIN, secret, memberId, counter)) for the first counter
 * (0, 1, …) that gives a valid secp256k1 key — counter 0 but for a chance of about 2^-128.
 * Deterministic: the same secret and id give the same address on every device.
 */
export function derivePseudonym(secret: string, memberId: number): Pseudonym {
  if (!isPatientSecret(secret)) throw new RangeError("a patient secret is 32 bytes of hex (0x + 64 digits)");
  if (!Number.isInteger(memberId) || memberId < 1 || memberId > 0xffffffff) throw new RangeError(`a member id is an organisation id 1…2^32-1, got ${memberId}`);
  const coder = AbiCoder.defaultAbiCoder();
  for (let counter = 0; ; counter++) {
    const key = keccak256(coder.encode(["string", "bytes32", "uint32", "uint32"], [PSEUDONYM_DOMAIN, secret, memberId, counter]));
    const k = BigInt(key);
    if (k > 0n && k < SECP256K1_N) return { memberId, address: computeAddress(key), privateKey: key };
  }
}

/** The patient's pseudonyms at each of `memberIds`, in that order. */
export function derivePseudonyms(secret: string, memberIds: readonly number[]): Pseudonym[] {
  return memberIds.map((id) => derivePseudonym(secret, id));
}

/** A fresh random secret (the browser's or Node's crypto.getRandomValues). Keep it like a private key. */
export function newPatientSecret(): string {
  return hexlify(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

/** Whether `address` is one of `secret`'s pseudonyms among `memberIds`: which member's, or undefined. */
export function pseudonymOwner(secret: string, memberIds: readonly number[], address: string): number | undefined {
  const wanted = hexlify(getBytes(address)).toLowerCase();
  return derivePseudonyms(secret, memberIds).find((p) => p.address.toLowerCase() === wanted)?.memberId;
}

export interface HospitalRef {
  id: number;
  name: string;
}

/** One pseudonym's rows as one hospital knows them (fetched from the chain, an index or a member's API). */
export interface PseudonymRows<T> {
  hospital: HospitalRef;
  address: string;
  rows: readonly T[];
}

/**
 * The patient's joined view: every pseudonym's rows, each marked with its hospital and pseudonym,
 * in `order` (stable: ties keep the hospitals' order). Only the patient can build it — nobody else
 * knows which addresses to join. The web app calls this with rows from each member's API.
 */
export function joinPseudonymViews<T extends object>(views: readonly PseudonymRows<T>[], order: (a: T, b: T) => number): (T & { hospital: HospitalRef; pseudonym: string })[] {
  return views.flatMap((v) => v.rows.map((row) => ({ ...row, hospital: v.hospital, pseudonym: v.address }))).sort(order);
}
