/**
 * The indexer's JSON-RPC client: calls made together travel as one batch, each call still gets
 * its own answer or its own error, a batch larger than the node takes is sent again in halves,
 * and a node that cannot batch gets the calls one by one.
 */
import { describe, it, expect, afterEach } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { httpRpc } from "../../src/indexer";

type Call = { id: number; method: string; params: unknown[] };

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/**
 * A JSON-RPC server that echoes params back, fails method "boom", and records every POST it gets.
 * Batches larger than `cap` are refused the way nodes do: one error object (geth, erigon), or an
 * array holding one error with a null id.
 */
async function echoNode(o: { batches: boolean; cap?: number; refuseAs?: "object" | "array" }): Promise<{ url: string; posts: unknown[] }> {
  const posts: unknown[] = [];
  server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const payload = JSON.parse(body) as Call | Call[];
    posts.push(payload);
    const answer = (c: Call) => (c.method === "boom" ? { jsonrpc: "2.0", id: c.id, error: { code: -32000, message: "it broke" } } : { jsonrpc: "2.0", id: c.id, result: c.params });
    let out: unknown;
    if (!Array.isArray(payload)) out = answer(payload);
    else if (!o.batches) out = { jsonrpc: "2.0", id: null, error: { code: -32600, message: "batch requests are not supported" } };
    else if (o.cap && payload.length > o.cap) {
      const refusal = { jsonrpc: "2.0", id: null, error: { code: -32000, message: `batch limit ${o.cap} exceeded: ${payload.length} requests given` } };
      out = o.refuseAs === "array" ? [refusal] : refusal;
    }
    else out = [...payload].reverse().map(answer); // answers in any order: matched by id
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, posts };
}

describe("httpRpc", () => {
  it("sends calls made in the same tick as one batch and hands each call its own answer or error", async () => {
    const node = await echoNode({ batches: true });
    const rpc = httpRpc(node.url, { maxBatch: 3 });
    const calls = [1, 2, 3, 4, 5].map((n) => rpc.send(n === 4 ? "boom" : "echo", [n]));
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => (s.status === "fulfilled" ? s.value : (s.reason as Error).message))).toEqual([[1], [2], [3], "boom: it broke", [5]]);
    // Five calls, at most three a batch: two POSTs, both arrays.
    expect(node.posts.map((p) => (Array.isArray(p) ? p.length : 1))).toEqual([3, 2]);
    // A lone call is a plain request, not a batch of one.
    expect(await rpc.send("echo", ["alone"])).toEqual(["alone"]);
    expect(Array.isArray(node.posts[2])).toBe(false);
  });

  it("with maxBatch 1, every call is a request of its own", async () => {
    const node = await echoNode({ batches: true });
    const rpc = httpRpc(node.url, { maxBatch: 1 });
    expect(await Promise.all([rpc.send("echo", [1]), rpc.send("echo", [2]), rpc.send("echo", [3])])).toEqual([[1], [2], [3]]);
    expect(node.posts.filter(Array.isArray)).toHaveLength(0);
    expect(node.posts).toHaveLength(3);
  });

  it("falls back to one request per call when the node refuses batches", async () => {
    const node = await echoNode({ batches: false });
    const rpc = httpRpc(node.url);
    expect(await Promise.all([rpc.send("echo", ["a"]), rpc.send("echo", ["b"])])).toEqual([["a"], ["b"]]);
    expect(await Promise.all([rpc.send("echo", ["c"]), rpc.send("echo", ["d"])])).toEqual([["c"], ["d"]]);
    // One refused batch, then only single requests.
    expect(node.posts.filter(Array.isArray)).toHaveLength(1);
    expect(node.posts).toHaveLength(5);
  });

  for (const refuseAs of ["object", "array"] as const) {
    it(`a batch over the node's cap (refused with ${refuseAs === "object" ? "one error object" : "an array answering no call"}) is sent again in halves, and later batches stay under the cap`, async () => {
      const node = await echoNode({ batches: true, cap: 3, refuseAs });
      const rpc = httpRpc(node.url, { maxBatch: 8 });
      const sizes = () => node.posts.map((p) => (Array.isArray(p) ? p.length : 1));
      const ten = Array.from({ length: 10 }, (_, i) => i);
      expect(await Promise.all(ten.map((i) => rpc.send("echo", [i])))).toEqual(ten.map((i) => [i]));
      // 8 refused → 4 + 4 refused → 2 + 2 + 2 + 2 answered; the trailing 2 were answered at once.
      expect(sizes().sort()).toEqual([2, 2, 2, 2, 2, 4, 4, 8]);
      const before = node.posts.length;
      expect(await Promise.all([0, 1, 2, 3, 4].map((i) => rpc.send("echo", [i])))).toEqual([[0], [1], [2], [3], [4]]);
      expect(sizes().slice(before)).toEqual([2, 2, 1]);
    });
  }

  it("a batch answer that leaves a call out rejects that call only", async () => {
    const posts: unknown[] = [];
    server = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      const payload = JSON.parse(body) as Call[];
      posts.push(payload);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([{ jsonrpc: "2.0", id: payload[0].id, result: "first" }]));
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const rpc = httpRpc(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const [first, second] = await Promise.allSettled([rpc.send("a", []), rpc.send("b", [])]);
    expect(first).toEqual({ status: "fulfilled", value: "first" });
    expect(second).toMatchObject({ status: "rejected", reason: { name: "RpcCallError", message: /no answer/ } });
  });
});
