/**
 * The embedded chain's JSON-RPC front: the port clients use. Reads are piped to anvil untouched;
 * every write is applied one at a time, and answered only after the journal holds it (with the
 * block it landed in) on disk. History-rewriting calls are refused with a JSON-RPC error.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { MedprovError } from "../core";
import type { ChainJournal, JournalEntry, MinedBlock } from "./journal";
import { methodKind } from "./methods";
import { post, rpcCall, RpcFailure } from "./rpc";

interface Call {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

const MAX_BODY = 64 * 1024 * 1024;
const errorAnswer = (id: unknown, code: number, message: string) => ({ jsonrpc: "2.0", id: id ?? null, error: { code, message } });

export interface ChainFront {
  server: Server;
  /** Runs `fn` with writes held (a state dump must see no write half-applied). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Opens the front to clients, in front of anvil at `anvilUrl` (before: every call answers "starting"). */
  open(anvilUrl: string): void;
  /**
   * Mines an empty block, journalled like any other write, when the head block is `maxAgeSeconds`
   * old or older by `wallNow` (Unix seconds); `mined` runs with writes still held once it did.
   */
  heartbeat(maxAgeSeconds: number, wallNow: number, mined: () => void): Promise<void>;
  close(): Promise<void>;
}

/** Blocks mined after `from` up to the head, with their hashes and times. */
export async function blocksAfter(url: string, from: number): Promise<MinedBlock[]> {
  const head = Number(await rpcCall<string>(url, "eth_blockNumber", []));
  const out: MinedBlock[] = [];
  for (let n = from + 1; n <= head; n++) {
    const b = await rpcCall<{ hash: string; timestamp: string }>(url, "eth_getBlockByNumber", ["0x" + n.toString(16), false]);
    out.push({ number: n, hash: b.hash, time: Number(b.timestamp) });
  }
  return out;
}

/**
 * Whether a sent transaction waits in the pool behind a nonce gap (anvil mines it only once the gap
 * is filled), or is gone from the pool altogether: either way no block is coming for it now.
 */
async function heldBack(url: string, hash: string): Promise<boolean> {
  const tx = await rpcCall<{ from: string; nonce: string; blockNumber: string | null } | null>(url, "eth_getTransactionByHash", [hash]);
  if (!tx) return true;
  if (tx.blockNumber !== null) return false;
  return Number(tx.nonce) > Number(await rpcCall<string>(url, "eth_getTransactionCount", [tx.from, "latest"]));
}

/** How long a transaction anvil has accepted (and so will mine at once) may take to show its receipt under load. */
const MINING_WAIT_MS = 60_000;
const POLL_MS = 25;

/**
 * The block a sent transaction landed in, or none when the node keeps it pending (a nonce gap).
 * Waiting for the receipt is not bounded by a short timeout: a block journalled as "none" while
 * anvil mined it a moment later would be replayed at another time, so with another hash.
 */
export async function blockOf(url: string, hash: string): Promise<MinedBlock[]> {
  for (let waited = 0; waited <= MINING_WAIT_MS; waited += POLL_MS) {
    const r = await rpcCall<{ blockNumber: string; blockHash: string } | null>(url, "eth_getTransactionReceipt", [hash]);
    if (r) {
      const b = await rpcCall<{ timestamp: string }>(url, "eth_getBlockByHash", [r.blockHash, false]);
      return [{ number: Number(r.blockNumber), hash: r.blockHash, time: Number(b.timestamp) }];
    }
    if (waited % 1000 === 0 && (await heldBack(url, hash))) return [];
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
  return [];
}

/** One write, applied to anvil and journalled with the blocks it produced (run with writes held). */
async function applyWrite(anvilUrl: string, journal: ChainJournal, call: Call): Promise<unknown> {
  const method = String(call.method);
  const params = Array.isArray(call.params) ? call.params : [];
  const kind = methodKind(method);
  const before = Number(await rpcCall<string>(anvilUrl, "eth_blockNumber", []));
  let result: unknown;
  try {
    result = await rpcCall(anvilUrl, method, params);
  } catch (e) {
    if (e instanceof RpcFailure) return { jsonrpc: "2.0", id: call.id ?? null, error: { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } };
    throw e;
  }
  const blocks = kind === "transaction" && typeof result === "string" ? await blockOf(anvilUrl, result) : await blocksAfter(anvilUrl, before);
  const entry: JournalEntry = { method, params, blocks, ...(kind === "transaction" ? { result } : {}) };
  await journal.append(entry);
  return { jsonrpc: "2.0", id: call.id ?? null, result };
}

/** ChainFront.heartbeat over the anvil at `open()` (undefined while the front is closed). */
function heartbeatOf(open: () => string | undefined, journal: ChainJournal, exclusive: ChainFront["exclusive"]): ChainFront["heartbeat"] {
  const stale = async (maxAgeSeconds: number, wallNow: number) => {
    const url = open();
    return url !== undefined && wallNow - Number((await rpcCall<{ timestamp: string }>(url, "eth_getBlockByNumber", ["latest", false])).timestamp) >= maxAgeSeconds;
  };
  return async (maxAgeSeconds, wallNow, mined) => {
    if (!(await stale(maxAgeSeconds, wallNow))) return;
    await exclusive(async () => {
      // Looked at again with writes held: a write that just landed made the block this would.
      if (!(await stale(maxAgeSeconds, wallNow))) return;
      await applyWrite(open()!, journal, { method: "evm_mine", params: [] });
      mined();
    });
  };
}

export function createFront(journal: ChainJournal, onError: (e: Error) => void): ChainFront {
  let tail: Promise<unknown> = Promise.resolve();
  let ready = false;
  let anvilUrl = "";
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };

  /** Applies one write and journals it; the answer is returned only once the journal is synced. */
  function write(call: Call): Promise<unknown> {
    const method = String(call.method);
    if (methodKind(method) === "refused") return Promise.resolve(errorAnswer(call.id, -32601, `${method} is not available on the durable embedded chain: acknowledged history is kept (start over with \`npm start -- --reset\`)`));
    return exclusive(() => applyWrite(anvilUrl, journal, call));
  }

  async function answer(calls: Call[]): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const call of calls) {
      if (typeof call?.method !== "string") out.push(errorAnswer(call?.id, -32600, "invalid request"));
      else if (methodKind(call.method) === "read") out.push(JSON.parse((await post(anvilUrl, JSON.stringify(call))).body.toString("utf8")));
      else out.push(await write(call));
    }
    return out;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) throw new MedprovError("BAD_REQUEST", "request body too large");
      chunks.push(c as Buffer);
    }
    const body = Buffer.concat(chunks);
    const send = (status: number, data: Buffer | string) => void res.writeHead(status, { "content-type": "application/json" }).end(data);
    let parsed: Call | Call[];
    try {
      parsed = JSON.parse(body.toString("utf8")) as Call | Call[];
    } catch {
      return send(200, JSON.stringify(errorAnswer(null, -32700, "parse error")));
    }
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    if (!ready) return send(503, JSON.stringify(Array.isArray(parsed) ? calls.map((c) => errorAnswer(c?.id, -32000, "the embedded chain is starting")) : errorAnswer(parsed?.id, -32000, "the embedded chain is starting")));
    if (calls.every((c) => typeof c?.method === "string" && methodKind(c.method) === "read")) {
      const r = await post(anvilUrl, body);
      return send(r.status, r.body);
    }
    const answers = await answer(calls);
    send(200, JSON.stringify(Array.isArray(parsed) ? answers : answers[0]));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      onError(e);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify(errorAnswer(null, -32603, `embedded chain: ${e.message}`)));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  return {
    server,
    exclusive,
    heartbeat: heartbeatOf(() => (ready ? anvilUrl : undefined), journal, exclusive),
    open: (url) => {
      anvilUrl = url;
      ready = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        ready = false;
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => exclusive(async () => undefined)),
  };
}
