/**
 * The embedded chain keeps what it answered: writes survive SIGKILL (replayed from the journal
 * onto the last state file, with the same block numbers, times and hashes), state files are never
 * left half-written, history-rewriting calls are refused, and a port in use is a named error.
 */
import { describe, it, expect } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, type TransactionReceipt, type Wallet } from "ethers";
import { freePort, testWallets } from "../helpers/node";
import { LEGACY_STATE, methodKind, pickState, stateFiles } from "../../src/chain";
import { startAnvil } from "../../src/chain/anvil";
import { pinNextBlock } from "../../src/chain/replay";
import { rpcCall } from "../../src/chain/rpc";

const ROOT = join(__dirname, "..", "..");

interface Worker {
  child: ChildProcess;
  line: string;
  /** Resolves on the worker's next stdout line equal to `text`. */
  next(text: string): Promise<void>;
}

function startWorker(dir: string, port: number, dumpEveryMs = 60_000, heartbeatSeconds = 0): Promise<Worker> {
  const child = spawn(process.execPath, ["-r", "tsx/cjs", join(ROOT, "test/fixtures/chain-worker.ts"), dir, String(port), String(dumpEveryMs), String(heartbeatSeconds)], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const waiting: { text: string; from: number; done: () => void }[] = [];
  const next = (text: string) => new Promise<void>((done) => waiting.push({ text, from: out.length, done }));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      for (const w of waiting.splice(0)) (out.slice(w.from).split("\n").includes(w.text) ? w.done() : waiting.push(w));
      const line = out.split("\n").find((l) => l.startsWith("ready") || l.startsWith("failed"));
      if (line) resolve({ child, line, next });
    });
    child.once("exit", (code) => reject(new Error(`worker exited ${code}: ${out}`)));
  });
}

/** Has the worker dump its state now; resolves once the state file is written. */
async function dumpNow(w: Worker): Promise<void> {
  const dumped = w.next("dumped");
  w.child.kill("SIGUSR2");
  await dumped;
}

/** SIGKILLs the worker, as a crash would; its anvil outlives it (the next start ends it by its pid file). */
const kill = (w: Worker) => new Promise<void>((r) => (w.child.exitCode !== null ? r() : (w.child.once("exit", () => r()), w.child.kill("SIGKILL"))));

/** Ends an anvil a killed worker left behind, so the test leaves nothing running. */
function endLeftover(dir: string): void {
  const pid = join(dir, "chain.pid");
  if (existsSync(pid)) {
    try {
      process.kill(Number(readFileSync(pid, "utf8")), "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

async function sendSome(url: string, from: Wallet, n: number): Promise<TransactionReceipt[]> {
  const provider = new JsonRpcProvider(url, 31337, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
  const signer = from.connect(provider);
  const receipts: TransactionReceipt[] = [];
  for (let i = 0; i < n; i++) {
    const tx = await signer.sendTransaction({ to: testWallets()[9].address, value: 1000n + BigInt(i) });
    receipts.push((await provider.getTransactionReceipt(tx.hash))!);
  }
  provider.destroy();
  return receipts;
}

async function expectKept(url: string, receipts: TransactionReceipt[]) {
  const provider = new JsonRpcProvider(url, 31337, { staticNetwork: true, cacheTimeout: -1 });
  for (const r of receipts) {
    const again = await provider.getTransactionReceipt(r.hash);
    expect(again, `transaction ${r.hash} lost`).not.toBeNull();
    expect(again!.blockNumber).toBe(r.blockNumber);
    expect(again!.blockHash).toBe(r.blockHash);
  }
  provider.destroy();
}

describe("embedded chain", () => {
  it("classifies methods: reads pass, writes are journalled, history rewrites are refused", () => {
    expect(methodKind("eth_getLogs")).toBe("read");
    expect(methodKind("eth_call")).toBe("read");
    expect(methodKind("eth_sendRawTransaction")).toBe("transaction");
    expect(methodKind("evm_mine")).toBe("mine");
    expect(methodKind("evm_increaseTime")).toBe("clock");
    expect(methodKind("evm_revert")).toBe("refused");
    expect(methodKind("anvil_setBalance")).toBe("state");
  });

  it("keeps every answered write across SIGKILLs, with the same blocks and hashes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "medprov-chain-"));
    const port = await freePort();
    const [a, b] = testWallets();
    // no timed dumps here: the test says when a state file is written, so what the journal alone
    // holds at each kill is known
    let w = await startWorker(dir, port);
    expect(w.line).toMatch(/^ready/);
    const url = `http://127.0.0.1:${port}`;
    const first = await sendSome(url, a, 5);
    await dumpNow(w);
    const second = await sendSome(url, b, 4);
    await kill(w); // right after the last answer: these 4 are only in the journal
    expect(readdirSync(dir).some((f) => f.endsWith(".partial"))).toBe(false);
    w = await startWorker(dir, port);
    expect(w.line).toMatch(/^ready .* replayed [1-9]\d* diverged 0$/);
    await expectKept(url, [...first, ...second]);
    const third = await sendSome(url, a, 2);
    expect(third[0].blockNumber).toBe(second[3].blockNumber + 1);
    await kill(w);
    w = await startWorker(dir, port);
    expect(w.line).toMatch(/^ready .* replayed [1-9]\d* diverged 0$/);
    await expectKept(url, [...first, ...second, ...third]);
    // a clean stop dumps everything: the next start has nothing to replay
    w.child.kill("SIGTERM");
    await new Promise((r) => w.child.once("exit", r));
    expect(stateFiles(dir).length).toBeGreaterThan(0);
    expect(stateFiles(dir).length).toBeLessThanOrEqual(2);
    w = await startWorker(dir, port);
    expect(w.line).toMatch(/replayed 0 diverged 0$/);
    await expectKept(url, [...first, ...second, ...third]);
    await kill(w);
    expect(existsSync(join(dir, "chain.pid"))).toBe(true); // left by the kill; the next start ends any orphan
    endLeftover(dir);
  });

  it("an idle chain mines an empty block when its head is heartbeatSeconds old, journalled (kept across a SIGKILL, same hashes) but not dumped for itself", async () => {
    const dir = mkdtempSync(join(tmpdir(), "medprov-chain-"));
    const port = await freePort();
    let w = await startWorker(dir, port, 100, 2);
    const url = `http://127.0.0.1:${port}`;
    const provider = new JsonRpcProvider(url, 31337, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const [sent] = await sendSome(url, testWallets()[0], 1);
      const newestSeq = () => Math.max(...stateFiles(dir).map((f) => f.seq));
      while (stateFiles(dir).length === 0 || newestSeq() < 1) await new Promise((r) => setTimeout(r, 50)); // the write's own dump
      const dumpedAt = newestSeq();
      // No client writes from here: the chain's head still moves on.
      while ((await provider.getBlockNumber()) < sent.blockNumber + 2) await new Promise((r) => setTimeout(r, 200));
      const beats = await Promise.all([1, 2].map((k) => provider.getBlock(sent.blockNumber + k)));
      for (const b of beats) expect(b!.transactions).toEqual([]);
      expect(beats[1]!.timestamp - beats[0]!.timestamp).toBeGreaterThanOrEqual(2);
      expect(newestSeq()).toBe(dumpedAt); // twenty dump ticks passed: heartbeats alone wrote no state file
      await kill(w);
      endLeftover(dir);
      w = await startWorker(dir, port);
      expect(w.line).toMatch(/^ready .* replayed [1-9]\d* diverged 0$/);
      for (const b of beats) expect((await provider.getBlock(b!.number))!.hash).toBe(b!.hash);
    } finally {
      provider.destroy();
      await kill(w);
      endLeftover(dir);
    }
  });

  it("replay pins a block to its recorded second however late the block comes", async () => {
    // Blocks mined within one second share its time. Replaying the second of them must give it that
    // time even when a clock tick passes before it is mined (a loaded machine): it once came one
    // second late, and every later replayed block diverged.
    const dir = mkdtempSync(join(tmpdir(), "medprov-chain-"));
    const node = await startAnvil({ chainId: 31337, mnemonic: "test test test test test test test test test test test junk", pidFile: join(dir, "anvil.pid") });
    try {
      await rpcCall(node.url, "evm_mine", []);
      const time = Number((await rpcCall<{ timestamp: string }>(node.url, "eth_getBlockByNumber", ["latest", false])).timestamp);
      await pinNextBlock(node.url, time, { last: time });
      await new Promise((r) => setTimeout(r, 1_200));
      await rpcCall(node.url, "evm_mine", []);
      const next = await rpcCall<{ timestamp: string }>(node.url, "eth_getBlockByNumber", ["latest", false]);
      expect(Number(next.timestamp)).toBe(time);
      await expect(pinNextBlock(node.url, time - 1, { last: time })).rejects.toThrow(/before the chain's last block time/);
    } finally {
      await node.stop();
    }
  });

  it("a damaged state file is reported with what to do; a damaged newest one falls back to the older", () => {
    const dir = mkdtempSync(join(tmpdir(), "medprov-chain-"));
    writeFileSync(join(dir, LEGACY_STATE), '{"block":{"number":"0x1"},"accounts":{"0x'); // cut off, as anvil's own writes were
    expect(() => pickState(dir)).toThrow(/is damaged.*npm start -- --reset/);
    const whole = JSON.stringify({ block: { number: "0x1" }, accounts: {} });
    writeFileSync(join(dir, "chain-state.3.json"), whole);
    writeFileSync(join(dir, "chain-state.9.json"), whole.slice(0, 10));
    const picked = pickState(dir);
    expect(picked.state?.seq).toBe(3);
    expect(picked.damaged).toEqual([join(dir, "chain-state.9.json")]);
  });

  it("refuses calls that would rewrite acknowledged history", async () => {
    const dir = mkdtempSync(join(tmpdir(), "medprov-chain-"));
    const port = await freePort();
    const w = await startWorker(dir, port);
    const provider = new JsonRpcProvider(`http://127.0.0.1:${port}`, 31337, { staticNetwork: true });
    await expect(provider.send("evm_snapshot", [])).rejects.toThrow(/not available on the durable embedded chain/);
    provider.destroy();
    await kill(w);
    endLeftover(dir);
  });

  it("a port in use is a named error, and nothing starts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "medprov-chain-"));
    const port = await freePort();
    const blocker = createServer().listen(port, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const w = await startWorker(dir, port).catch((e: Error) => ({ line: e.message, child: undefined }));
    blocker.close();
    expect(w.line).toMatch(/failed CHAIN_PORT_IN_USE port \d+ is already in use.*--chain-port.*--rpc/);
    expect(existsSync(join(dir, "chain.pid"))).toBe(false);
  });
});
