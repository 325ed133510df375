/**
 * A minimal JSON-RPC client over fetch for the indexer. ethers' provider decodes response bodies
 * byte by byte in JavaScript, which cost more than the indexing itself on large eth_getLogs
 * answers (bench/index.ts); here the body goes straight to the native JSON parser.
 */
import type { RpcSender } from "./sync";

export class RpcCallError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = "RpcCallError";
  }
}

export function httpRpc(url: string, o: { timeoutMs?: number } = {}): RpcSender {
  let id = 0;
  return {
    async send(method: string, params: unknown[]): Promise<unknown> {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
        signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
      });
      const text = await response.text();
      if (!response.ok) throw new RpcCallError(`${method}: HTTP ${response.status}`);
      let body: { result?: unknown; error?: { code?: number; message?: string } };
      try {
        body = JSON.parse(text);
      } catch {
        throw new RpcCallError(`${method}: the RPC answered with malformed JSON (${text.length} bytes)`);
      }
      if (body.error) throw new RpcCallError(`${method}: ${body.error.message ?? "error"}`, body.error.code);
      if (!("result" in body)) throw new RpcCallError(`${method}: the RPC answer has no result`);
      return body.result;
    },
  };
}
