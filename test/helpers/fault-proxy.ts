/**
 * A JSON-RPC proxy that misbehaves on purpose, for the indexer's distrust-the-RPC test: it fails
 * requests with HTTP 500, stalls past the client's timeout, cuts responses short, and refuses
 * eth_getLogs ranges wider than `maxLogRange` the way hosted providers do. Loopback only.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { prng } from "./workload";

export interface FaultProxy {
  url: string;
  counts: Record<string, number>;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string, o: { seed: number; errorRate: number; stallRate: number; truncateRate: number; stallMs: number; maxLogRange: number }): Promise<FaultProxy> {
  const r = prng(o.seed);
  const counts: Record<string, number> = { forwarded: 0, errors: 0, stalls: 0, truncated: 0, refusals: 0 };
  const server: Server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const parsed = JSON.parse(body);
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    const refusal = calls.find((c) => c.method === "eth_getLogs" && Number(c.params[0].toBlock) - Number(c.params[0].fromBlock) + 1 > o.maxLogRange);
    if (refusal) {
      counts.refusals++;
      const answer = (c: { id: unknown }) => ({ jsonrpc: "2.0", id: c.id, error: { code: -32005, message: "query returned more than 10000 results; try a smaller block range" } });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(Array.isArray(parsed) ? calls.map(answer) : answer(refusal)));
      return;
    }
    const dice = r.next();
    if (dice < o.errorRate) {
      counts.errors++;
      res.writeHead(500).end("upstream exploded");
      return;
    }
    if (dice < o.errorRate + o.stallRate) {
      counts.stalls++;
      await new Promise((resolve) => setTimeout(resolve, o.stallMs));
      res.destroy();
      return;
    }
    const upstreamResponse = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body });
    const text = await upstreamResponse.text();
    if (dice < o.errorRate + o.stallRate + o.truncateRate) {
      counts.truncated++;
      res.writeHead(200, { "content-type": "application/json" }).end(text.slice(0, Math.floor(text.length / 2)));
      return;
    }
    counts.forwarded++;
    res.writeHead(200, { "content-type": "application/json" }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
