/** The audit API from the browser: same origin, a bearer session, errors as named values. */

export class ApiFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

let session: string | undefined;
export const setSession = (s: string | undefined) => (session = s);
export const currentSession = () => session;

/**
 * What the page says when the API no longer knows a session it holds. Sessions live in the API's
 * memory: a restarted server (or an hour after sign-in, the signed message's expiry) forgets them.
 */
export const SESSION_ENDED_WORDS = "Your session ended (the server restarted, or the sign-in expired); sign in again.";

/**
 * Whether an answer means the session the request carried is gone: a 401 UNAUTHENTICATED to a
 * request sent with a session. (A 401 without one is a sign-in refused, not a session lost; a 401
 * SIWE_INVALID is a signature refused.) Pure.
 */
export const endsSession = (status: number, code: string | undefined, sentSession: boolean) => sentSession && status === 401 && code === "UNAUTHENTICATED";

let sessionEnded: ((words: string) => void) | undefined;
/** Who hears that the tab's session has ended (the shell: it signs out and says so). */
export const onSessionEnded = (listener: ((words: string) => void) | undefined) => void (sessionEnded = listener);

/** GET or POST a JSON answer; a refusal becomes an ApiFailure with the API's code and words. */
export const api = <T>(path: string, body?: unknown): Promise<T> => apiAs<T>(session, path, body);

/** The same as {@link api} under another session (a patient's other pseudonym: docs/pseudonyms.md). */
export async function apiAs<T>(as: string | undefined, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (as) headers.authorization = `Bearer ${as}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let r: Response;
  try {
    r = await fetch(path, { method: body === undefined ? "GET" : "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiFailure("NETWORK", "the medprov server does not answer; is npm start still running?", 0);
  }
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!r.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (endsSession(r.status, e?.code, as !== undefined)) {
      // Only the tab's own session signs the page out: a late answer to an older session (a
      // switch still polling from before a new sign-in) must not end the new one.
      if (as === session) sessionEnded?.(SESSION_ENDED_WORDS);
      throw new ApiFailure("SESSION_ENDED", SESSION_ENDED_WORDS, r.status);
    }
    throw new ApiFailure(e?.code ?? `HTTP_${r.status}`, e?.message ?? `the server answered ${r.status}`, r.status);
  }
  return json as T;
}

/** An error in words for a person: the API's named code and its message, never a stack. */
export function inWords(e: unknown): { code: string; message: string } {
  if (e instanceof ApiFailure) return { code: e.code, message: e.message };
  const err = e as { code?: string; shortMessage?: string; message?: string; info?: { error?: { message?: string } } };
  // A wallet's refusal (EIP-1193 4001) or an ethers error: its short message.
  if (err?.code === "ACTION_REJECTED" || (err as { code?: unknown })?.code === 4001) return { code: "REJECTED_IN_WALLET", message: "the wallet did not sign" };
  return { code: typeof err?.code === "string" ? err.code : "ERROR", message: err?.shortMessage ?? err?.info?.error?.message ?? String(err?.message ?? e).split("\n")[0] };
}

export interface WebConfig {
  chainId: number;
  siwe: { domain: string; uri: string };
  consentDomain: { name: string; version: string; chainId: number; verifyingContract: string };
  demo: boolean;
}

export interface Member {
  orgId: number;
  name: string;
  roleName: string;
  statusName: string;
}
