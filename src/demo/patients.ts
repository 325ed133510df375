/**
 * The demo's patients (pure): each holds one secret (from a public label: these are test keys) and
 * is registered at one to three of the demo's hospitals, under a different pseudonymous subject
 * address at each (docs/pseudonyms.md). Which hospitals, and each hospital's medical record number,
 * come from hashes of the patient's label, not from its index: neither an MRN nor the order of
 * anything on chain says which patient or which other hospital an address belongs to.
 */
import { Wallet, keccak256, toUtf8Bytes, type JsonRpcProvider } from "ethers";
import { derivePseudonym } from "../sdk";

/** The demo hospitals' organisation ids are 1, 2, 3 (demoMembers' order); a hospital index h is id h + 1. */
export const DEMO_HOSPITALS = 3;

/** Patient i's secret: from a public label, so anyone can rebuild it (a demo key, chain 31337 only). */
export const demoPatientSecret = (i: number): string => keccak256(toUtf8Bytes(`medprov-demo-patient-${i}`));

const draw = (label: string) => BigInt(keccak256(toUtf8Bytes(label)));

/**
 * Patient i's hospitals (indices 0–2), their first hospital first: three in four patients have one,
 * one in five two, one in twenty all three. Patient 0, the walkthrough's, is at hospital 1 first
 * (the chest X-ray datasets and the revocation story are there).
 */
export function demoPatientHospitals(i: number): number[] {
  const r = draw(`medprov-demo-hospitals-${i}`);
  const first = i === 0 ? 0 : Number(r % 3n);
  const roll = Number((r >> 8n) % 100n);
  const count = roll < 75 ? 1 : roll < 95 ? 2 : 3;
  const step = 1 + Number((r >> 16n) % 2n);
  return Array.from({ length: count }, (_, k) => (first + k * step) % DEMO_HOSPITALS);
}

/** Patient i's pseudonym at hospital index h (organisation h + 1): the subject address that hospital knows, with its key. */
export function demoPseudonym(i: number, h: number, provider: JsonRpcProvider | null = null): Wallet {
  return new Wallet(derivePseudonym(demoPatientSecret(i), h + 1).privateKey, provider);
}

/**
 * Patient i's signing key at their first hospital: what `--as patient-<i>` and the web app's demo
 * sign-in use (never funded: they sign, hospitals relay). The other hospitals' pseudonyms come from
 * the same secret (`demoPseudonym`, `medprov patient pseudonyms`).
 */
export const demoPatient = (i: number, provider: JsonRpcProvider | null = null): Wallet => demoPseudonym(i, demoPatientHospitals(i)[0], provider);

/** Hospital h's own medical record number for patient i: nine digits from a hash, unrelated across hospitals and to i. Off-chain only. */
export const demoMrn = (i: number, h: number): string => `H${h + 1}-${String(draw(`medprov-demo-mrn-${h}-${i}`) % 1_000_000_000n).padStart(9, "0")}`;
