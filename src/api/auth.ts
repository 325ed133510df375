/**
 * Sign-In with Ethereum (EIP-4361): single-use nonces that expire, domain/URI/chain checks, a new
 * session id at every sign-in, sessions that expire. The caller's role is looked up on-chain on
 * every request, so a suspended member or a revoked key loses access on its next request.
 */
import { randomBytes } from "node:crypto";
import { SiweMessage } from "siwe";
import type { LedgerContracts } from "../sdk";
import { MemberStatus, ROLES } from "../constants";
import { ApiError } from "./errors";
import type { CallerKind } from "./access";

export interface AuthOptions {
  domain: string;
  uri: string;
  chainId: number;
  nonceTtlMs?: number;
  sessionTtlMs?: number;
}

export interface Caller {
  kind: CallerKind;
  address?: string;
  orgId?: number;
}

export function createAuth(ledger: LedgerContracts, o: AuthOptions) {
  const nonces = new Map<string, number>();
  const sessions = new Map<string, { address: string; expires: number }>();
  const nonceTtl = o.nonceTtlMs ?? 5 * 60_000;
  const sessionTtl = o.sessionTtlMs ?? 60 * 60_000;

  const sweep = (m: Map<string, number | { expires: number }>) => {
    const now = Date.now();
    for (const [k, v] of m) if ((typeof v === "number" ? v : v.expires) < now) m.delete(k);
  };

  return {
    issueNonce(): string {
      sweep(nonces);
      const nonce = randomBytes(12).toString("hex");
      nonces.set(nonce, Date.now() + nonceTtl);
      return nonce;
    },

    /** Checks a signed SIWE message; consumes its nonce; returns a fresh session id. */
    async signIn(message: string, signature: string): Promise<{ session: string; address: string; expiresAt: string }> {
      let parsed: SiweMessage;
      try {
        parsed = new SiweMessage(message);
      } catch {
        throw new ApiError("SIWE_INVALID", "the message is not an EIP-4361 sign-in message");
      }
      const expiry = nonces.get(parsed.nonce);
      if (expiry === undefined || expiry < Date.now()) throw new ApiError("SIWE_INVALID", "the nonce is unknown, used or expired; request a new one");
      nonces.delete(parsed.nonce); // single use, even when the rest fails
      if (parsed.domain !== o.domain) throw new ApiError("SIWE_INVALID", `the message is for domain ${parsed.domain}, not ${o.domain}`);
      if (parsed.uri !== o.uri) throw new ApiError("SIWE_INVALID", `the message is for URI ${parsed.uri}, not ${o.uri}`);
      if (parsed.chainId !== o.chainId) throw new ApiError("SIWE_INVALID", `the message is for chain ${parsed.chainId}, not ${o.chainId}`);
      const result = await parsed.verify({ signature, domain: o.domain, nonce: parsed.nonce, time: new Date().toISOString() }, { suppressExceptions: true });
      if (!result.success) throw new ApiError("SIWE_INVALID", `the signature or validity window does not check out (${result.error?.type ?? "invalid"})`);
      const session = randomBytes(24).toString("base64url");
      const expires = Date.now() + sessionTtl;
      sessions.set(session, { address: parsed.address.toLowerCase(), expires });
      sweep(sessions);
      return { session, address: parsed.address, expiresAt: new Date(expires).toISOString() };
    },

    signOut(session: string): void {
      sessions.delete(session);
    },

    /** Resolves the caller of a request from its bearer session, with the role read on-chain now. */
    async caller(authorization: string | undefined): Promise<Caller> {
      if (!authorization) return { kind: "anonymous" };
      const token = /^Bearer (.+)$/.exec(authorization)?.[1];
      const s = token ? sessions.get(token) : undefined;
      if (!s || s.expires < Date.now()) throw new ApiError("UNAUTHENTICATED", "the session is unknown or expired; sign in again");
      const [orgId, revoked] = await ledger.consortium.keyInfo(s.address);
      if (orgId === 0n) return { kind: "patient", address: s.address };
      if (revoked) throw new ApiError("FORBIDDEN", "this key was revoked by its organisation");
      const [role, status] = await ledger.consortium.member(orgId);
      if (Number(status) !== MemberStatus.ACTIVE) throw new ApiError("FORBIDDEN", `organisation ${orgId} is not active`);
      return { kind: ROLES[Number(role)] as CallerKind, address: s.address, orgId: Number(orgId) };
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;
