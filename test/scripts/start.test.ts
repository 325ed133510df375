/**
 * End to end: `npm start` (scripts/start.ts) as a subprocess on a temporary data directory with the
 * small demo; the README walkthrough through the API; Ctrl-C; nothing left running; a second start
 * resumes without reseeding.
 */
import { afterEach, describe, it, expect } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { freePort, startNode } from "../helpers/node";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SiweMessage } from "siwe";
import { JsonRpcProvider, Wallet } from "ethers";
import { alive } from "../../src/chain";
import { START_BUNDLE } from "../helpers/bundles";

const ROOT = join(__dirname, "..", "..");
const started: ChildProcess[] = [];

// A failed assertion must not leave an npm start (and its chain) running: Ctrl-C whatever is still
// up, as a person would, and SIGKILL it if it has not stopped in 30 s.
afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  }
}, 60_000);

function start(data: string, chainPort: number, port: number, extra: string[] = []) {
  const child = spawn(process.execPath, [START_BUNDLE, "--data", data, "--demo-size", "small", "--deployment", join(data, "deployment.json"), "--chain-port", String(chainPort), "--port", String(port), ...extra], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  return { child, output: () => output };
}

async function waitReady(api: string, child: ChildProcess, output: () => string) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`start exited early:\n${output()}`);
    try {
      const r = await fetch(`${api}/readyz`);
      if (r.status === 200 && ((await r.json()) as { ready?: boolean }).ready === true && output().includes("medprov is running.")) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`not ready:\n${output()}`);
}

async function interrupt(child: ChildProcess): Promise<number | null> {
  child.kill("SIGINT");
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

describe("npm start", () => {
  it("runs the consortium, answers the walkthrough, stops cleanly, and resumes", async () => {
    const data = mkdtempSync(join(tmpdir(), "medprov-start-"));
    const chainPort = await freePort();
    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;
    const first = start(data, chainPort, port);
    await waitReady(api, first.child, first.output);
    const out = first.output();
    expect(out).toContain("medprov is running.");
    expect(out).toContain("approval refused by policy as intended");
    const demo = JSON.parse(readFileSync(join(data, "demo.json"), "utf8"));
    // The demo's chain keeps the wall clock's time (its members were admitted at deployment, not by
    // travelling over the governance delay), so a trace a hospital stamps "now" is judged against the
    // right history. Before, seeding moved the chain two days ahead.
    const rpc = new JsonRpcProvider(`http://127.0.0.1:${chainPort}`, 31337, { staticNetwork: true });
    const head = await rpc.getBlock("latest");
    rpc.destroy();
    expect(Math.abs(head!.timestamp - Date.now() / 1000)).toBeLessThan(600);

    // Sign in as the auditor (its demo key is printed at start).
    const auditor = new Wallet(/MEDPROV_PRIVATE_KEY=(0x[0-9a-f]{64})/.exec(out)![1]);
    const { nonce } = (await (await fetch(`${api}/auth/nonce`, { method: "POST" })).json()) as { nonce: string };
    const message = new SiweMessage({ domain: `127.0.0.1:${port}`, address: auditor.address, statement: "medprov walkthrough", uri: api, version: "1", chainId: 31337, nonce, issuedAt: new Date().toISOString() }).prepareMessage();
    const signIn = await fetch(`${api}/auth/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message, signature: await auditor.signMessage(message) }) });
    expect(signIn.status).toBe(200);
    const headers = { authorization: `Bearer ${((await signIn.json()) as { session: string }).session}`, "content-type": "application/json" };

    // Verify a receipt, then flip one byte.
    const receipt = JSON.parse(readFileSync(demo.receipts[0], "utf8"));
    const h: string = receipt.record.outputHash;
    const flipped = { ...receipt, record: { ...receipt.record, outputHash: h.slice(0, -1) + (h.endsWith("0") ? "1" : "0") } };
    const verified: any = await (await fetch(`${api}/verify`, { method: "POST", headers, body: JSON.stringify({ receipts: [receipt, flipped] }) })).json();
    expect(verified.results[0]).toEqual({ valid: true, reasons: [], skipped: [] });
    expect(verified.results[1].reasons.map((r: { code: string }) => r.code)).toContain("LEAF_MISMATCH");

    // The MODEL_TRAINING revocation after training, and the recalled version's reach.
    const revocation: any = await (await fetch(`${api}/reports/revocation-impact/${demo.revokedSubject}`, { headers })).json();
    const marks = revocation.flatMap((r: { datasets: { versions: { registered: string }[] }[] }) => r.datasets.flatMap((d) => d.versions.map((v) => v.registered)));
    expect(marks).toContain("BEFORE_REVOCATION");
    expect(marks).toContain("AFTER_REVOCATION");
    const recall: any = await (await fetch(`${api}/reports/recall-impact/${demo.recalledVersion}`, { headers })).json();
    expect(recall.status).toBe(4);
    expect(recall.traces).toBeGreaterThan(0);
    const alerts: any = await (await fetch(`${api}/reports/fairness-alerts`, { headers })).json();
    expect(alerts.length).toBeGreaterThanOrEqual(1);

    expect(await interrupt(first.child)).toBe(0);
    expect(first.output()).toContain("medprov: stopped");
    // Nothing is left listening: the chain and the API ports are free.
    await expect(fetch(`http://127.0.0.1:${chainPort}`, { method: "POST", body: "{}" })).rejects.toThrow();
    await expect(fetch(`${api}/healthz`)).rejects.toThrow();
    expect(alive(first.child.pid!)).toBe(false);

    const second = start(data, chainPort, port);
    await waitReady(api, second.child, second.output);
    expect(second.output()).toContain("demo already seeded; resuming");
    expect(second.output()).not.toContain("seeding the");
    const again: any = await (await fetch(`${api}/versions/${demo.recalledVersion}`)).json();
    expect(again.version.status).toBe(4);
    expect(await interrupt(second.child)).toBe(0);
  }, 600_000);

  it("attaches to a node it did not start (--rpc), and leaves that node running on Ctrl-C", async () => {
    const node = await startNode("anvil");
    try {
      const data = mkdtempSync(join(tmpdir(), "medprov-attach-"));
      const port = await freePort();
      const api = `http://127.0.0.1:${port}`;
      const run = start(data, await freePort(), port, ["--rpc", node.url]);
      await waitReady(api, run.child, run.output);
      const models: any = await (await fetch(`${api}/models`)).json();
      expect(models.length).toBeGreaterThan(0);
      const deployment = JSON.parse(readFileSync(join(data, "deployment.json"), "utf8"));
      expect(await node.provider.getCode(deployment.addresses.traces)).not.toBe("0x");
      expect(await interrupt(run.child)).toBe(0);
      const seeded = await node.provider.getBlockNumber();
      expect(seeded).toBeGreaterThan(0); // the attached node is not ours to stop

      // The same chain and manifest from a fresh data directory: the demo is there already, seeded
      // from another directory. Refused in one line naming why, non-zero, nothing sent to the chain,
      // and no "stopping… stopped" for a consortium that never ran.
      const fresh = mkdtempSync(join(tmpdir(), "medprov-elsewhere-"));
      const again = start(fresh, await freePort(), await freePort(), ["--rpc", node.url, "--deployment", join(data, "deployment.json")]);
      const code = await new Promise<number | null>((resolve) => again.child.once("close", resolve)); // close: its output is all read
      expect(code, again.output()).toBe(1);
      expect(again.output()).not.toMatch(/stopping|stopped|seeding the/);
      const lines = again.output().trim().split("\n");
      expect(lines.filter((l) => l.includes("seeded from another data directory"))).toEqual([expect.stringMatching(/^medprov: the chain already holds the demo of .*deployment\.json \(\d+ consent grants\), seeded from another data directory than .*; nothing was written: .* \[DEMO_SEEDED_ELSEWHERE\]$/)]);
      expect(lines.at(-1)).toContain("[DEMO_SEEDED_ELSEWHERE]");
      expect(await node.provider.getBlockNumber()).toBe(seeded);
    } finally {
      await node.stop();
    }
  }, 600_000);
});
