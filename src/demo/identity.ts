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
  /** The hospital's synthetic medical record number for a patient (off-chain only). */
  mrn?: string;
}
