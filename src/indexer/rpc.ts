/**
 * A minimal JSON-RPC client over fetch for the indexer. ethers' provider decodes response bodies
 * byte by byte in JavaScript, which cost more than the indexing itself on large eth_getLogs
 * answers (bench/index.ts); here the body goes straight to the native JSON parser.
 *
 * Calls made in the same tick go out as one JSON-RPC batch (up to `maxBatch`): the indexer asks
 * for a header per block, and one HTTP request per header cost more than the headers themselves.
 * Nodes cap batches (geth 1,000 calls, Besu `--rpc-http-max-batch-size`, erigon 100) and refuse a
 * larger one with a single error instead of an array, or with an array that answers none of the
 * calls. A refused batch is sent again in halves, and later batches are no larger than those
 * halves: a node without batches ends up with one request per call.
 */
import { LIMITS } from "../constants";
import type { RpcSender } from "./types";

export class RpcCallError extends Error {
  constructor(
    message: string,
    readonly code?: number,
    /** The HTTP status when the node answered with an error status (429: rate-limited). */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = "RpcCallError";
  }
}

interface Answer {
  id?: unknown;
  result?: unknown;
  error?: { code?: number; message?: string };
}

interface Call {
  id: number;
  method: string;
  params: unknown[];
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export function httpRpc(url: string, o: { timeoutMs?: number; maxBatch?: number } = {}): RpcSender {
  /** The largest batch to send: lowered each time the node refuses one. */
  let limit = Math.max(1, o.maxBatch ?? LIMITS.RPC_BATCH_MAX);
  let id = 0;
  let queue: Call[] = [];

  async function post(payload: unknown, what: string): Promise<unknown> {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    if (!response.ok) throw new RpcCallError(`${what}: HTTP ${response.status}`, undefined, response.status);
    try {
      return JSON.parse(text);
    } catch {
      throw new RpcCallError(`${what}: the RPC answered with malformed JSON (${text.length} bytes)`);
    }
  }

  function settle(call: Call, answer: Answer | undefined): void {
    if (!answer || typeof answer !== "object") return call.reject(new RpcCallError(`${call.method}: the RPC gave no answer to this call`));
    if (answer.error) return call.reject(new RpcCallError(`${call.method}: ${answer.error.message ?? "error"}`, answer.error.code));
    if (!("result" in answer)) return call.reject(new RpcCallError(`${call.method}: the RPC answer has no result`));
    call.resolve(answer.result);
  }

  const wire = (c: Call) => ({ jsonrpc: "2.0", id: c.id, method: c.method, params: c.params });

  async function one(call: Call): Promise<void> {
    try {
      settle(call, (await post(wire(call), call.method)) as Answer);
    } catch (e) {
      call.reject(e as Error);
    }
  }

  async function many(calls: Call[]): Promise<void> {
    let answers: unknown;
    try {
      answers = await post(calls.map(wire), `batch of ${calls.length} (${calls[0].method})`);
    } catch (e) {
      for (const c of calls) c.reject(e as Error);
      return;
    }
    const byId = new Map<unknown, Answer>();
    if (Array.isArray(answers)) for (const a of answers as Answer[]) if (a && typeof a === "object") byId.set(a.id, a);
    if (!calls.some((c) => byId.has(c.id))) {
      // Refused as a whole (too large, or no batches at all): halve, and send these calls again.
      limit = Math.min(limit, Math.max(1, Math.floor(calls.length / 2)));
      return dispatch(calls);
    }
    for (const c of calls) settle(c, byId.get(c.id));
  }

  function dispatch(calls: Call[]): void {
    for (let i = 0; i < calls.length; i += limit) {
      const chunk = calls.slice(i, i + limit);
      void (chunk.length === 1 ? one(chunk[0]) : many(chunk));
    }
  }

  function flush(): void {
    const calls = queue;
    queue = [];
    dispatch(calls);
  }

  return {
    send(method: string, params: unknown[]): Promise<unknown> {
      return new Promise((resolve, reject) => {
        if (queue.length === 0) queueMicrotask(flush);
        queue.push({ id: ++id, method, params, resolve, reject });
      });
    },
  };
}
