/**
 * What a demo identity is, as a type only: the Node side (identities.ts, which writes and reads the
 * file) and the browser app (which signs in with one) share this one definition. Imports nothing, so
 * the browser may import it by path (test/layering.test.ts BROWSER_SAFE).
 */
export interface DemoIdentity {
  /** What `medprov --as` takes: governance, hospital-1…3, developer-1…2, regulator, auditor, guardian, patient-0…. */
  name: string;
  /** The consortium role (HOSPITAL, MODEL_DEVELOPER, REGULATOR, AUDITOR), GOVERNANCE, or PATIENT / GUARDIAN (no organisation). */
  role: string;
  organisation: { id: number; name: string } | null;
  address: string;
  privateKey: string;
  /** A patient's synthetic medical record number at their first hospital (off-chain only). */
  mrn?: string;
  /**
   * A patient's one secret (docs/pseudonyms.md): `address`/`privateKey` are the pseudonym it derives
   * for their first hospital; `medprov --as patient-<i> patient pseudonyms` derives the others.
   */
  secret?: string;
  /** A patient's pseudonym at each of their hospitals, with that hospital's MRN for them. */
  pseudonyms?: { hospital: { id: number; name: string }; address: string; mrn: string }[];
}
