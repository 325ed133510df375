/**
 * How the indexer treats a failed RPC call, decided by kind rather than by the call site:
 * a range refusal shrinks the eth_getLogs range at once; a rate limit keeps the range and waits
 * longer each time; anything else is retried with a short exponential backoff, up to `retries`.
 * Nodes and providers word these differently, so the HTTP status or JSON-RPC code decides where
 * they carry the meaning, and the message only where they do not.
 */
import { MedprovError } from "../core";
import type { Logger, RpcSender } from "./types";

export type RpcFailureKind = "range-refusal" | "rate-limit" | "retryable";

/** Providers' words for "slow down" (Alchemy, Infura, QuickNode, Cloudflare, nginx limits). */
const RATE_LIMIT = /rate.?limit|too many requests|requests per second|request rate|exceeded .*capacity|compute units|throttl/i;
/** Nodes' and providers' words for "ask for fewer blocks" (geth, Besu, erigon, Infura, Alchemy). */
const RANGE_REFUSAL = /block range|range (is )?too (large|wide|big)|range limit|more than \d+ (results|logs|blocks)|too many (logs|results|blocks)|response size|query timeout|limit exceeded|exceed(s|ed)? (the )?max/i;
/** EIP-1474 "limit exceeded": a rate limit or a range refusal, whichever its message says; on eth_getLogs a range refusal by default. */
const LIMIT_EXCEEDED = -32005;

/** What an RPC error says, for any error a sender may throw (RpcCallError, ethers' errors, a plain Error). */
export function classifyRpcError(method: string, e: unknown): RpcFailureKind {
  const err = e as { message?: unknown; code?: unknown; httpStatus?: unknown; status?: unknown } | undefined;
  const message = String(err?.message ?? e);
  if (err?.httpStatus === 429 || err?.status === 429 || /\bHTTP 429\b/.test(message) || RATE_LIMIT.test(message)) return "rate-limit";
  if (method !== "eth_getLogs") return "retryable";
  if (RANGE_REFUSAL.test(message) || err?.code === LIMIT_EXCEEDED) return "range-refusal";
  return "retryable";
}

/** Backoff before attempt `attempt + 1`: short for a failure, longer (up to 30 s) for a rate limit. */
export function backoffMs(kind: RpcFailureKind, attempt: number): number {
  return kind === "rate-limit" ? Math.min(1_000 * 2 ** attempt, 30_000) : Math.min(100 * 2 ** attempt, 5_000);
}

/** A range refusal, passed to the fetch stage so it asks for fewer blocks. */
export class RangeRefusal extends Error {
  constructor(cause: unknown) {
    super(String((cause as Error)?.message ?? cause).split("\n")[0], { cause });
    this.name = "RangeRefusal";
  }
}

export interface RpcCaller {
  <T>(method: string, params: unknown[]): Promise<T>;
}

export interface RpcPolicyOptions {
  retries: number;
  log: Logger;
  /** Counts every failed call (the indexer's rpcErrors figure). */
  onError(): void;
  sleep?(ms: number): Promise<void>;
}

/**
 * Calls with the policy above. Throws {@link RangeRefusal} for a refused eth_getLogs range (at
 * once: the caller shrinks), RPC_UNAVAILABLE (retryable) once the attempts run out.
 */
export function rpcWithPolicy(provider: RpcSender, o: RpcPolicyOptions): RpcCaller {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return async function rpc<T>(method: string, params: unknown[]): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await provider.send(method, params)) as T;
      } catch (e) {
        o.onError();
        const kind = classifyRpcError(method, e);
        if (kind === "range-refusal") throw new RangeRefusal(e);
        const message = String((e as Error)?.message ?? e).split("\n")[0];
        if (attempt + 1 >= o.retries) throw new MedprovError("RPC_UNAVAILABLE", `${method} failed ${o.retries} times: ${message}`, true);
        const wait = backoffMs(kind, attempt);
        o.log.warn({ method, attempt, kind, waitMs: wait, err: message }, kind === "rate-limit" ? "rpc rate-limited; waiting" : "rpc call failed; retrying");
        await sleep(wait);
      }
    }
  };
}
