/**
 * The CLI run in this process against the in-process Hardhat network: a JSON-RPC bridge over HTTP
 * on a free port (the CLI speaks to a URL), and `medprov` run by its own `main` with its output
 * captured. For commands whose behaviour is what they read and print, not the process's exit.
 * Runs are one at a time (stdout is captured).
 */
import hre from "hardhat";
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import { main } from "../../src/cli/main";

type RpcRequest = { id: unknown; method: string; params?: unknown[] };

async function answer(r: RpcRequest) {
  try {
    return { jsonrpc: "2.0", id: r.id, result: await hre.network.provider.request({ method: r.method, params: r.params ?? [] }) };
  } catch (e) {
    return { jsonrpc: "2.0", id: r.id, error: { code: (e as { code?: number }).code ?? -32603, message: (e as Error).message, data: (e as { data?: unknown }).data } };
  }
}

/** Hardhat's in-process network at an http:// URL (single and batched requests). */
export async function rpcBridge(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      const parsed = JSON.parse(body) as RpcRequest | RpcRequest[];
      const out = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Runs `medprov <args>` in this process; its exit code (process.exitCode), stdout and stderr. */
export async function medprov(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [write, writeErr] = [process.stdout.write, process.stderr.write];
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    await main(["node", "medprov", ...args]);
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout: out.join(""), stderr: err.join("") };
}
