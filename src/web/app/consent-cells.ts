/** What a consent slot is now, and the signed request that changes it. Pure. */
import { GRANT_TYPES, REVOKE_TYPES } from "../../sdk/consent-signing";
import { ApiFailure } from "./api";

export interface ConsentRow {
  purpose: number;
  grantee: number;
  grantedAt: number;
  expiresAt: number;
  revokedAt: number;
  signedAt: number;
}

export type CellState = { on: true; until: number } | { on: false; why: "never" | "revoked" | "expired"; at: number };

/** A slot's state at chain time `now`: on until its expiry, or off and why. */
export function cellState(row: ConsentRow | undefined, now: number): CellState {
  if (!row || Number(row.grantedAt) === 0) return { on: false, why: "never", at: 0 };
  if (Number(row.revokedAt) !== 0) return { on: false, why: "revoked", at: Number(row.revokedAt) };
  if (Number(row.expiresAt) <= now) return { on: false, why: "expired", at: Number(row.expiresAt) };
  return { on: true, until: Number(row.expiresAt) };
}

/**
 * The request that switches a slot to `on`, signed at the chain's `now` (never the browser's clock).
 * A write must be signed after the slot's last one, so signedAt is at least one second past it.
 */
export function consentRequest(o: { subject: string; purpose: number; grantee: number; on: boolean; now: number; lastSignedAt: number; lifetime: number }) {
  const signedAt = Math.max(o.now, o.lastSignedAt + 1);
  const common = { subject: o.subject, signer: o.subject, purpose: o.purpose, grantee: o.grantee, signedAt: String(signedAt), deadline: String(o.now + 3600) };
  return o.on
    ? { kind: "grant" as const, types: GRANT_TYPES, request: { ...common, expiresAt: String(o.now + o.lifetime) } }
    : { kind: "revoke" as const, types: REVOKE_TYPES, request: common };
}

/**
 * A relay refusal in the patient's words. The ledger's explanation is written for the relaying
 * hospital ("ask the patient to sign again"); the patient who switched the cell reads what to do.
 */
export function forThePatient(e: unknown): unknown {
  if (e instanceof ApiFailure && e.code === "ConsentRegistryExpiredSignature") {
    return new ApiFailure(e.code, "your signature expired before the chain recorded it (its deadline counts from the chain's time): switch it again to sign anew", e.status);
  }
  return e;
}
