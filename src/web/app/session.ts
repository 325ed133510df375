/**
 * Sign-in with Ethereum (EIP-4361) from the browser: an injected EIP-1193 wallet when there is one,
 * else a demo account's public test key (marked "demo identity" on every page). The session is the
 * API's; the role is the ledger's (read at the chain's head by the server), never the demo file's.
 */
import { BrowserProvider, Wallet, getAddress, type Eip1193Provider, type Signer } from "ethers";
import { api, setSession, type WebConfig } from "./api";
import type { DemoIdentity } from "../../demo/identity";

export type { DemoIdentity };

export interface Me {
  address: string;
  /** PATIENT, HOSPITAL, MODEL_DEVELOPER, REGULATOR or AUDITOR: from the ledger (GET /auth/me). */
  role: string;
  orgId: number;
  /** The organisation's registered name (members only). */
  orgName?: string;
  /** Who this is for a person: the demo account's name, or "your wallet". */
  label: string;
  /** Signed in with a demo account's public test key. */
  demo: boolean;
  signer: Signer;
  /** A demo patient's one secret (docs/pseudonyms.md): their other pseudonyms derive from it. */
  secret?: string;
}

const KEY = "medprov.session";
declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
}

/** The EIP-4361 message text, field by field as the standard lays it out. Pure. */
export function siweMessage(o: { domain: string; uri: string; chainId: number; address: string; nonce: string; issuedAt: string; expirationTime: string; statement: string }): string {
  return [
    `${o.domain} wants you to sign in with your Ethereum account:`,
    o.address,
    "",
    o.statement,
    "",
    `URI: ${o.uri}`,
    "Version: 1",
    `Chain ID: ${o.chainId}`,
    `Nonce: ${o.nonce}`,
    `Issued At: ${o.issuedAt}`,
    `Expiration Time: ${o.expirationTime}`,
  ].join("\n");
}

export const hasWallet = () => typeof window !== "undefined" && window.ethereum !== undefined;

async function walletSigner(): Promise<Signer> {
  const provider = new BrowserProvider(window.ethereum!);
  await provider.send("eth_requestAccounts", []);
  return provider.getSigner();
}

/** A SIWE session for `signer` (nonce, signed message, session), without making it this tab's. */
export async function sessionFor(config: WebConfig, signer: Signer): Promise<{ address: string; session: string }> {
  const address = getAddress(await signer.getAddress());
  const { nonce } = await api<{ nonce: string }>("/auth/nonce", {});
  const now = Date.now();
  const message = siweMessage({ ...config.siwe, chainId: config.chainId, address, nonce, issuedAt: new Date(now).toISOString(), expirationTime: new Date(now + 60 * 60_000).toISOString(), statement: "Sign in to medprov." });
  const signature = await signer.signMessage(message);
  const { session } = await api<{ session: string }>("/auth/verify", { message, signature });
  return { address, session };
}

async function establish(config: WebConfig, signer: Signer, label: string, demo?: { key: string; secret?: string }): Promise<Me> {
  const { address, session } = await sessionFor(config, signer);
  setSession(session);
  const role = await whoAmI();
  sessionStorage.setItem(KEY, JSON.stringify({ session, address, label, demoKey: demo?.key, demoSecret: demo?.secret }));
  return { address, ...role, label, demo: demo !== undefined, signer, secret: demo?.secret };
}

/** The session's role and organisation, as the API judges every request: the ledger's at the chain's head. */
async function whoAmI(): Promise<{ role: string; orgId: number; orgName?: string }> {
  const me = await api<{ address: string; role: string; orgId: number; orgName: string | null }>("/auth/me");
  return { role: me.role, orgId: me.orgId, orgName: me.orgName ?? undefined };
}

export const signInWithWallet = async (config: WebConfig) => establish(config, await walletSigner(), "your wallet");
export const signInAsDemo = (config: WebConfig, who: DemoIdentity) => establish(config, new Wallet(who.privateKey), who.name, { key: who.privateKey, secret: who.secret });

/** The session kept for this tab, if any, with its role read again (the ledger may have changed it). */
export async function restore(): Promise<Me | undefined> {
  const text = sessionStorage.getItem(KEY);
  if (!text) return undefined;
  const s = JSON.parse(text) as { session: string; address: string; label: string; demoKey?: string; demoSecret?: string };
  setSession(s.session);
  const signer = s.demoKey ? new Wallet(s.demoKey) : hasWallet() ? await new BrowserProvider(window.ethereum!).getSigner(s.address) : undefined;
  if (!signer) return undefined;
  return { address: s.address, ...(await whoAmI()), label: s.label, demo: s.demoKey !== undefined, signer, secret: s.demoSecret };
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  setSession(undefined);
}
