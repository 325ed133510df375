/**
 * Sign-In with Ethereum (EIP-4361): single-use nonces that expire, domain/URI/chain checks, a new
 * session id at every sign-in, sessions that expire (at the latest when the signed message does).
 * Sessions are an HTTP concern, so their clock is this server's; no ledger fact is ever judged by it. The caller's role is read on-chain at the
 * current head block and kept only while the head stays there: a suspension or key revocation takes
 * effect on the first request after its block reaches this node (plus at most `headMaxAgeMs`).
 */
import { randomBytes } from "node:crypto";
import { SiweMessage } from "siwe";
import type { Provider } from "ethers";
import type { LedgerContracts } from "../sdk";
import { MEMBER_STATUSES, MemberStatus, ROLES, nameOf } from "../constants";
import { ApiError } from "./errors";
import type { CallerKind } from "./access";

export interface AuthOptions {
  domain: string;
  uri: string;
  chainId: number;
  nonceTtlMs?: number;
  sessionTtlMs?: number;
  /**
   * How far a message's issuedAt may lie before its nonce was issued or after the server's now
   * (clocks differ). Default 5 minutes: with 5-minute nonces, a message is at most 10 minutes old.
   */
  issuedAtSkewMs?: number;
  /**
   * How old the last look at the chain head may be before a request looks again (one eth_blockNumber
   * shared by concurrent requests). 0 looks on every request. Roles are re-read whenever the head moves.
   */
  headMaxAgeMs?: number;
}

export interface Caller {
  kind: CallerKind;
  address?: string;
  orgId?: number;
}

/**
 * Domain, URI (scheme and host of this server's public URL, any path), chain, and an issuedAt no
 * earlier than `skew` before the nonce was issued and no later than `skew` after now.
 */
export function checkSiweMessage(m: SiweMessage, o: { domain: string; uri: string; chainId: number }, nonceIssued: number, skew: number): void {
  const server = new URL(o.uri);
  const refuse = (why: string): never => {
    throw new ApiError("SIWE_INVALID", why);
  };
  if (m.domain !== o.domain) refuse(`the message is for domain ${m.domain}, not ${o.domain}`);
  let uri: URL | undefined;
  try {
    uri = new URL(m.uri);
  } catch {
    uri = undefined;
  }
  if (!uri || uri.protocol !== server.protocol || uri.host !== server.host) refuse(`the message is for URI ${m.uri}; this server is ${server.origin} (scheme and host must match)`);
  if (m.chainId !== o.chainId) refuse(`the message is for chain ${m.chainId}, not ${o.chainId}`);
  const issued = Date.parse(m.issuedAt ?? "");
  if (Number.isNaN(issued)) refuse("the message has no valid issuedAt");
  if (issued < nonceIssued - skew || issued > Date.now() + skew) {
    refuse(`the message says it was issued at ${m.issuedAt}, outside ${new Date(nonceIssued - skew).toISOString()}..${new Date(Date.now() + skew).toISOString()} (its nonce's issue time to now, ± ${skew / 60_000} min)`);
  }
}

/**
 * Reads callers' roles at the chain head: the head looked at most once per `headMaxAge` ms (0: every
 * time), and each address's role once per head block, shared by concurrent requests.
 */
function createRoleReader(ledger: Pick<LedgerContracts, "consortium">, provider: Provider, headMaxAge: number): (address: string) => Promise<Caller> {
  let head = { block: -1, seenAt: 0 };
  let looking: Promise<number> | undefined;
  /** Roles (or the refusal) per address, valid for `rolesAt` only. */
  const roles = new Map<string, Promise<Caller>>();
  let rolesAt = -1;

  const headIsFresh = () => headMaxAge > 0 && Date.now() - head.seenAt < headMaxAge;

  async function headBlock(): Promise<number> {
    if (headIsFresh()) return head.block;
    const look = async () => {
      const seenAt = Date.now();
      const block = await provider.getBlockNumber();
      if (seenAt >= head.seenAt) head = { block, seenAt }; // the newest look wins, even if the head went back (a reorg)
      return block;
    };
    if (headMaxAge === 0) return look();
    looking ??= look().finally(() => (looking = undefined));
    return looking;
  }

  /** A member's role as of `block` (so a cached answer is exactly the chain's at that block). */
  async function roleAt(address: string, block: number): Promise<Caller> {
    const [orgId, revoked] = await ledger.consortium.keyInfo(address, { blockTag: block });
    if (orgId === 0n) return { kind: "patient", address };
    if (revoked) throw new ApiError("FORBIDDEN", "this key was revoked by its organisation");
    const [role, status] = await ledger.consortium.member(orgId, { blockTag: block });
    if (Number(status) !== MemberStatus.ACTIVE) throw new ApiError("FORBIDDEN", `organisation ${orgId} is not active (it is ${nameOf(MEMBER_STATUSES, Number(status)).toLowerCase()})`);
    return { kind: ROLES[Number(role)] as CallerKind, address, orgId: Number(orgId) };
  }

  /**
   * The caller's role at the chain head: read once per head block and address, shared by concurrent
   * requests. Not async: while the last look at the head is fresh, every request gets the same stored
   * promise without a new one wrapped around it (this runs on every signed-in request).
   */
  function roleOf(address: string): Promise<Caller> {
    if (headIsFresh()) return roleAtHead(address, head.block);
    return headBlock().then((block) => roleAtHead(address, block));
  }

  function roleAtHead(address: string, block: number): Promise<Caller> {
    if (block !== rolesAt) {
      roles.clear();
      rolesAt = block;
    }
    let role = roles.get(address);
    if (!role) {
      // A head seen before the chain went back (a reorg, a dev chain's revert) no longer exists: look again once.
      role = roleAt(address, block).catch(async (e) => {
        if (e instanceof ApiError) throw e;
        head = { block: -1, seenAt: 0 };
        return roleAt(address, await headBlock());
      });
      roles.set(address, role);
      // A failed read (RPC down) must not stick; a refusal (ApiError) is the chain's answer and may.
      const mine = role;
      role.catch((e) => (e instanceof ApiError || roles.get(address) !== mine ? undefined : roles.delete(address)));
    }
    return role;
  }

  return roleOf;
}

export function createAuth(ledger: Pick<LedgerContracts, "consortium">, provider: Provider, o: AuthOptions) {
  const nonces = new Map<string, { issued: number; expires: number }>();
  const sessions = new Map<string, { address: string; expires: number }>();
  const nonceTtl = o.nonceTtlMs ?? 5 * 60_000;
  const sessionTtl = o.sessionTtlMs ?? 60 * 60_000;
  const skew = o.issuedAtSkewMs ?? 5 * 60_000;

  const roleOf = createRoleReader(ledger, provider, o.headMaxAgeMs ?? 100);

  const sweep = (m: Map<string, { expires: number }>) => {
    const now = Date.now();
    for (const [k, v] of m) if (v.expires < now) m.delete(k);
  };

  return {
    issueNonce(): string {
      sweep(nonces);
      const nonce = randomBytes(12).toString("hex");
      nonces.set(nonce, { issued: Date.now(), expires: Date.now() + nonceTtl });
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
      const nonce = nonces.get(parsed.nonce);
      if (nonce === undefined || nonce.expires < Date.now()) throw new ApiError("SIWE_INVALID", "the nonce is unknown, used or expired; request a new one");
      nonces.delete(parsed.nonce); // single use, even when the rest fails
      checkSiweMessage(parsed, o, nonce.issued, skew);
      const result = await parsed.verify({ signature, domain: o.domain, nonce: parsed.nonce, time: new Date().toISOString() }, { suppressExceptions: true });
      if (!result.success) throw new ApiError("SIWE_INVALID", `the signature or validity window does not check out (${result.error?.type ?? "invalid"})`);
      const session = randomBytes(24).toString("base64url");
      // The session never outlives the message the person signed.
      const expires = Math.min(Date.now() + sessionTtl, parsed.expirationTime ? Date.parse(parsed.expirationTime) : Infinity);
      sessions.set(session, { address: parsed.address.toLowerCase(), expires });
      sweep(sessions);
      return { session, address: parsed.address, expiresAt: new Date(expires).toISOString() };
    },

    /** Resolves the caller of a request from its bearer session, with its role at the chain's head. */
    caller(authorization: string | undefined): Promise<Caller> {
      if (!authorization) return Promise.resolve({ kind: "anonymous" });
      const token = /^Bearer (.+)$/i.exec(authorization)?.[1];
      if (!token) return Promise.reject(new ApiError("UNAUTHENTICATED", "the Authorization header must be 'Bearer <session>' (the session from POST /auth/verify)"));
      const s = sessions.get(token);
      if (!s || s.expires < Date.now()) return Promise.reject(new ApiError("UNAUTHENTICATED", "the session is unknown or expired; sign in again"));
      return roleOf(s.address).catch((e) => {
        if (e instanceof ApiError) throw e;
        // Not the caller's fault: the role cannot be read while the chain node does not answer.
        throw new ApiError("NOT_READY", "the chain node did not answer, so the caller's role could not be read; try again shortly");
      });
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;
