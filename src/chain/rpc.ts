/** Minimal JSON-RPC over HTTP for the embedded chain's own calls to anvil (keep-alive, no retries). */
import { Agent, request } from "node:http";

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** POSTs a raw body and resolves with the raw answer (status and bytes). */
export function post(url: string, body: Buffer | string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** One call; a JSON-RPC error becomes an RpcFailure with the node's code and message. */
export async function rpcCall<T = unknown>(url: string, method: string, params: unknown[]): Promise<T> {
  const { body } = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }));
  const answer = JSON.parse(body.toString("utf8")) as { result?: T; error?: { code: number; message: string; data?: unknown } };
  if (answer.error) throw new RpcFailure(answer.error.code, answer.error.message, answer.error.data);
  return answer.result as T;
}
