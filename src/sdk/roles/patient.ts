/**
 * Patient (or guardian): grants and revokes consent per purpose, directly or by signing EIP-712
 * requests that a hospital (grants) or anyone (revocations) relays, and reads their history.
 */
import type { Signer } from "ethers";
import type { LedgerContracts } from "../deploy";
import { domain as asDomain } from "../errors";
import { readDomain, signGrant, signRevoke, type GrantRequest, type RevokeRequest } from "../consent-signing";
import { sendWrite, type WriteResult } from "../tx";

export interface SignedGrant {
  kind: "grant";
  request: { subject: string; signer: string; purpose: number; grantee: number; expiresAt: string; nonce: string; deadline: string };
  signature: string;
}
export interface SignedRevoke {
  kind: "revoke";
  request: { subject: string; signer: string; purpose: number; grantee: number; nonce: string; deadline: string };
  signature: string;
}

export interface ConsentEvent {
  kind: "GRANTED" | "REVOKED";
  subject: string;
  purpose: number;
  grantee: number;
  expiresAt?: number;
  actor: string;
  relayer: string;
  nonce: number;
  blockNumber: number;
  txHash: string;
}

/** Default signature lifetime: long enough to reach a hospital, short enough not to linger. */
const DEFAULT_DEADLINE_SECONDS = 3600;

export class Patient {
  constructor(
    private readonly ledger: LedgerContracts,
    private readonly signer: Signer,
  ) {}

  /** The subject this patient acts for: itself, unless acting as a delegate (guardian). */
  private async subjectOr(subject?: string) {
    return subject ?? (await this.signer.getAddress());
  }

  private async deadline(seconds = DEFAULT_DEADLINE_SECONDS) {
    const block = await this.signer.provider!.getBlock("latest");
    return BigInt(block!.timestamp + seconds);
  }

  /** Signs a grant for a hospital to relay. Reads the slot's nonce and the live EIP-712 domain. */
  async signGrant(o: { purpose: number; grantee: number; expiresAt: bigint | number; subject?: string; deadlineSeconds?: number }): Promise<SignedGrant> {
    return asDomain(async () => {
      const subject = await this.subjectOr(o.subject);
      const { nonce } = await this.ledger.consents.consent(subject, o.purpose, o.grantee);
      const request: GrantRequest = { subject, signer: await this.signer.getAddress(), purpose: o.purpose, grantee: o.grantee, expiresAt: BigInt(o.expiresAt), nonce, deadline: await this.deadline(o.deadlineSeconds) };
      const signature = await signGrant(this.signer, await readDomain(this.ledger.consents), request);
      return { kind: "grant", request: stringify(request) as SignedGrant["request"], signature };
    });
  }

  /** Signs a revocation that anyone may relay. */
  async signRevoke(o: { purpose: number; grantee: number; subject?: string; deadlineSeconds?: number }): Promise<SignedRevoke> {
    return asDomain(async () => {
      const subject = await this.subjectOr(o.subject);
      const { nonce } = await this.ledger.consents.consent(subject, o.purpose, o.grantee);
      const request: RevokeRequest = { subject, signer: await this.signer.getAddress(), purpose: o.purpose, grantee: o.grantee, nonce, deadline: await this.deadline(o.deadlineSeconds) };
      const signature = await signRevoke(this.signer, await readDomain(this.ledger.consents), request);
      return { kind: "revoke", request: stringify(request) as SignedRevoke["request"], signature };
    });
  }

  /** Grants directly (the patient pays gas). */
  grant(o: { purpose: number; grantee: number; expiresAt: bigint | number; subject?: string }): Promise<WriteResult> {
    const c = this.ledger.consents.connect(this.signer);
    return this.subjectOr(o.subject).then((s) => sendWrite(c, () => c.grantConsent(s, o.purpose, o.grantee, o.expiresAt)));
  }

  /** Revokes directly. */
  revoke(o: { purpose: number; grantee: number; subject?: string }): Promise<WriteResult> {
    const c = this.ledger.consents.connect(this.signer);
    return this.subjectOr(o.subject).then((s) => sendWrite(c, () => c.revokeConsent(s, o.purpose, o.grantee)));
  }

  appointDelegate(delegate: string): Promise<WriteResult> {
    const c = this.ledger.consents.connect(this.signer);
    return sendWrite(c, () => c.appointDelegate(delegate));
  }

  removeDelegate(delegate: string): Promise<WriteResult> {
    const c = this.ledger.consents.connect(this.signer);
    return sendWrite(c, () => c.removeDelegate(delegate));
  }

  /** The subject's full consent history, oldest first, read from the chain's events. */
  async history(subject?: string, fromBlock = 0): Promise<ConsentEvent[]> {
    return consentHistory(this.ledger, await this.subjectOr(subject), fromBlock);
  }
}

/** A subject's consent history from the chain's events, oldest first. */
export async function consentHistory(ledger: LedgerContracts, s: string, fromBlock = 0): Promise<ConsentEvent[]> {
  const c = ledger.consents;
  const [granted, revoked] = await Promise.all([c.queryFilter(c.filters.ConsentGranted(s), fromBlock), c.queryFilter(c.filters.ConsentRevoked(s), fromBlock)]);
  const out: (ConsentEvent & { logIndex: number })[] = [
    ...granted.map((e) => ({ kind: "GRANTED" as const, subject: s, purpose: Number(e.args.purpose), grantee: Number(e.args.grantee), expiresAt: Number(e.args.expiresAt), actor: e.args.actor, relayer: e.args.relayer, nonce: Number(e.args.nonce), blockNumber: e.blockNumber, txHash: e.transactionHash, logIndex: e.index })),
    ...revoked.map((e) => ({ kind: "REVOKED" as const, subject: s, purpose: Number(e.args.purpose), grantee: Number(e.args.grantee), actor: e.args.actor, relayer: e.args.relayer, nonce: Number(e.args.nonce), blockNumber: e.blockNumber, txHash: e.transactionHash, logIndex: e.index })),
  ];
  return out.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex).map(({ logIndex: _, ...rest }) => rest);
}

function stringify<T extends object>(o: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]));
}
