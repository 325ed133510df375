/**
 * Patient (or guardian): grants and revokes consent per purpose, directly or by signing EIP-712
 * requests that a hospital (grants) or anyone (revocations) relays, and reads their history.
 * A signed request is dated by the head block's time (`signedAt`): the ledger orders a slot's
 * signed writes by that date, so a revocation voids every grant signed before it, whichever is
 * relayed first (docs/access.md, "Consent").
 */
import { Wallet, type Signer } from "ethers";
import type { LedgerContracts } from "../deploy";
import { domain as asDomain, InputError } from "../../core";
import { Role } from "../../constants";
import { derivePseudonym, derivePseudonyms, isPatientSecret, joinPseudonymViews, type HospitalRef, type Pseudonym } from "../pseudonyms";
import { chainNow } from "../../core";
import { readDomain, signGrant, signRevoke, type GrantRequest, type RevokeRequest } from "../consent-signing";
import { sendWrite, type SentWrite, type WriteResult } from "../tx";

export interface SignedGrant {
  kind: "grant";
  request: { subject: string; signer: string; purpose: number; grantee: number; expiresAt: string; signedAt: string; deadline: string };
  signature: string;
}
export interface SignedRevoke {
  kind: "revoke";
  request: { subject: string; signer: string; purpose: number; grantee: number; signedAt: string; deadline: string };
  signature: string;
}

export interface ConsentEvent {
  /** CANCELLED: a revocation with no grant in force; it voids grants signed until `signedAt`. */
  kind: "GRANTED" | "REVOKED" | "CANCELLED";
  subject: string;
  purpose: number;
  grantee: number;
  expiresAt?: number;
  actor: string;
  relayer: string;
  /** When the subject (or delegate) decided: the request's signing time, or the block's for a direct write. */
  signedAt: number;
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

  /**
   * The patient as their pseudonym at hospital `memberId` (docs/pseudonyms.md): signs as the
   * subject address derived from `secret` for that hospital. Never funded: its consents are signed
   * and relayed by that hospital.
   */
  static at(ledger: LedgerContracts, secret: string, memberId: number): Patient {
    const key = derivePseudonym(checkedSecret(secret), memberId).privateKey;
    return new Patient(ledger, new Wallet(key, ledger.consents.runner?.provider ?? null));
  }

  /** The subject this patient acts for: itself, unless acting as a delegate (guardian). */
  private async subjectOr(subject?: string) {
    return subject ?? (await this.signer.getAddress());
  }

  /** The signing time (the head block's, never later: the ledger refuses a request dated after its block) and the deadline. */
  private async dates(seconds = DEFAULT_DEADLINE_SECONDS) {
    const { time } = await chainNow(this.signer.provider!);
    return { signedAt: BigInt(time), deadline: BigInt(time + seconds) };
  }

  /** Signs a grant for a hospital to relay, dated now in chain time. Reads the live EIP-712 domain. */
  async signGrant(o: { purpose: number; grantee: number; expiresAt: bigint | number; subject?: string; deadlineSeconds?: number }): Promise<SignedGrant> {
    return asDomain(async () => {
      const subject = await this.subjectOr(o.subject);
      const request: GrantRequest = { subject, signer: await this.signer.getAddress(), purpose: o.purpose, grantee: o.grantee, expiresAt: BigInt(o.expiresAt), ...(await this.dates(o.deadlineSeconds)) };
      const signature = await signGrant(this.signer, await readDomain(this.ledger.consents), request);
      return { kind: "grant", request: stringify(request) as SignedGrant["request"], signature };
    });
  }

  /**
   * Signs a revocation that anyone may relay, dated now in chain time. With no grant in force it
   * is a cancellation: grants signed until now and not yet relayed can then never take effect.
   */
  async signRevoke(o: { purpose: number; grantee: number; subject?: string; deadlineSeconds?: number }): Promise<SignedRevoke> {
    return asDomain(async () => {
      const subject = await this.subjectOr(o.subject);
      const request: RevokeRequest = { subject, signer: await this.signer.getAddress(), purpose: o.purpose, grantee: o.grantee, ...(await this.dates(o.deadlineSeconds)) };
      const signature = await signRevoke(this.signer, await readDomain(this.ledger.consents), request);
      return { kind: "revoke", request: stringify(request) as SignedRevoke["request"], signature };
    });
  }

  /** Grants directly (the patient pays gas). */
  grant(o: { purpose: number; grantee: number; expiresAt: bigint | number; subject?: string }): Promise<WriteResult> {
    const c = this.ledger.consents.connect(this.signer);
    return this.subjectOr(o.subject).then((s) => sendWrite(c, () => c.grantConsent(s, o.purpose, o.grantee, o.expiresAt)));
  }

  /** Revokes directly (a cancellation when no grant is in force). */
  revoke(o: { purpose: number; grantee: number; subject?: string }): Promise<SentWrite> {
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

/** A subject's consent history from the chain's events, oldest first (up to `toBlock` when given: a closed ledger generation's last block). */
export async function consentHistory(ledger: LedgerContracts, s: string, fromBlock = 0, toBlock?: number): Promise<ConsentEvent[]> {
  const c = ledger.consents;
  const [granted, revoked, cancelled] = await Promise.all([c.queryFilter(c.filters.ConsentGranted(s), fromBlock, toBlock), c.queryFilter(c.filters.ConsentRevoked(s), fromBlock, toBlock), c.queryFilter(c.filters.ConsentCancelled(s), fromBlock, toBlock)]);
  const common = (e: (typeof revoked)[number]) => ({ subject: s, purpose: Number(e.args.purpose), grantee: Number(e.args.grantee), actor: e.args.actor, relayer: e.args.relayer, signedAt: Number(e.args.signedAt), blockNumber: e.blockNumber, txHash: e.transactionHash, logIndex: e.index });
  const out: (ConsentEvent & { logIndex: number })[] = [
    ...granted.map((e) => ({ kind: "GRANTED" as const, ...common(e as unknown as (typeof revoked)[number]), expiresAt: Number(e.args.expiresAt) })),
    ...revoked.map((e) => ({ kind: "REVOKED" as const, ...common(e) })),
    ...cancelled.map((e) => ({ kind: "CANCELLED" as const, ...common(e as unknown as (typeof revoked)[number]) })),
  ];
  return out.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex).map(({ logIndex: _, ...rest }) => rest);
}

/** The consortium's hospitals by organisation id, from its MemberAdmitted events (removed ones too: their consents stay history). */
export async function consortiumHospitals(ledger: LedgerContracts, fromBlock = 0, toBlock?: number): Promise<HospitalRef[]> {
  const admitted = await ledger.consortium.queryFilter(ledger.consortium.filters.MemberAdmitted(), fromBlock, toBlock);
  return admitted.filter((e) => Number(e.args.role) === Role.HOSPITAL).map((e) => ({ id: Number(e.args.orgId), name: e.args.name })).sort((a, b) => a.id - b.id);
}

export interface HospitalPseudonym extends Pseudonym {
  hospital: HospitalRef;
}

/** The patient's pseudonym at every hospital of the consortium, with the hospital beside each. The secret never leaves this process. */
export async function patientPseudonyms(ledger: LedgerContracts, secret: string, fromBlock = 0, toBlock?: number): Promise<HospitalPseudonym[]> {
  checkedSecret(secret); // before any call: a bad secret is named, whatever the chain says
  const hospitals = await consortiumHospitals(ledger, fromBlock, toBlock);
  const derived = derivePseudonyms(secret, hospitals.map((h) => h.id));
  return derived.map((p, i) => ({ ...p, hospital: hospitals[i] }));
}

/**
 * The patient's own joined view: the consent history of every one of their pseudonyms, oldest
 * first, each event with its hospital and pseudonym beside it. One SDK call for a patient's app.
 */
export async function joinedConsentHistory(ledger: LedgerContracts, secret: string, fromBlock = 0, toBlock?: number): Promise<(ConsentEvent & { hospital: HospitalRef; pseudonym: string })[]> {
  const pseudonyms = await patientPseudonyms(ledger, secret, fromBlock, toBlock);
  const views = await Promise.all(pseudonyms.map(async (p) => ({ hospital: p.hospital, address: p.address, rows: await consentHistory(ledger, p.address, fromBlock, toBlock) })));
  return joinPseudonymViews(views, (a, b) => a.blockNumber - b.blockNumber);
}

/** The secret, or PSEUDONYM_SECRET_INVALID by name. */
function checkedSecret(secret: string): string {
  if (!isPatientSecret(secret)) throw new InputError("PSEUDONYM_SECRET_INVALID", "a patient secret is 32 bytes of hex (0x + 64 digits), like a private key");
  return secret;
}

function stringify<T extends object>(o: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]));
}
