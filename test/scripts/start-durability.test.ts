/**
 * `npm start` keeps what it acknowledged: a relayed revocation answered 200 survives a SIGKILL of
 * the whole process group at the next instant; a kill right after "seeded" loses no block (every
 * receipt still verifies); Ctrl-C pressed in a real pseudo-terminal five times in a row always
 * resumes, with every state file whole; a busy port is one line naming it, and nothing is sent.
 */
import { describe, it, expect, afterEach } from "vitest";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { JsonRpcProvider } from "ethers";
import { freePort } from "../helpers/node";
import { connectLedger, Patient, readDeployment } from "../../src/sdk";
import { NUMBERS, Purpose } from "../../src/constants";
import { demoPatient } from "../../src/demo/seed";
import { pickState, stateFiles } from "../../src/chain";
import { CLI_BUNDLE, START_BUNDLE } from "../helpers/bundles";

const ROOT = join(__dirname, "..", "..");
const run = promisify(execFile);

interface Started {
  child: ChildProcess;
  output: () => string;
  api: string;
  rpc: string;
}

/** Every npm start of the running test, so a failing test leaves no process group behind. */
const started = new Set<Started>();
afterEach(async () => {
  await Promise.all([...started].map(killGroup));
  started.clear();
});

/** npm start in its own process group, so the test can SIGKILL all of it, as a crash would. */
function start(data: string, chainPort: number, port: number, extra: string[] = []): Started {
  const child = spawn(process.execPath, [START_BUNDLE, "--data", data, "--demo-size", "small", "--deployment", join(data, "deployment.json"), "--chain-port", String(chainPort), "--port", String(port), ...extra], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const s = { child, output: () => output, api: `http://127.0.0.1:${port}`, rpc: `http://127.0.0.1:${chainPort}` };
  started.add(s);
  return s;
}

async function ready(s: Started): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (s.child.exitCode !== null) throw new Error(`start exited early:\n${s.output()}`);
    if (s.output().includes("medprov is running.")) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not ready:\n${s.output()}`);
}

function killGroup(s: Started): Promise<void> {
  return new Promise<void>((resolve) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
    s.child.once("exit", () => resolve());
    try {
      process.kill(-s.child.pid!, "SIGKILL");
    } catch {
      resolve(); // the group is already gone
    }
  });
}

const stopGently = (s: Started) =>
  new Promise<number | null>((resolve) => {
    s.child.once("exit", (code) => resolve(code));
    s.child.kill("SIGINT");
  });

async function verifyReceipt(data: string, rpc: string, file: string): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI_BUNDLE, "--rpc", rpc, "--deployment", join(data, "deployment.json"), "receipt", "verify", file], { cwd: ROOT });
  return stdout;
}

describe("npm start keeps what it acknowledged", () => {
  it("a relayed revocation answered 200, then SIGKILL at once: still revoked after restart; a kill right after seeding loses nothing", async () => {
    const data = mkdtempSync(join(tmpdir(), "medprov-durable-"));
    const [chainPort, port] = [await freePort(), await freePort()];
    const first = start(data, chainPort, port);
    await ready(first);
    await killGroup(first); // right after "seeded" and the banner

    const second = start(data, chainPort, port);
    await ready(second);
    expect(second.output()).toContain("demo already seeded; resuming");
    const demo = JSON.parse(readFileSync(join(data, "demo.json"), "utf8"));
    for (const file of demo.receipts) expect(await verifyReceipt(data, second.rpc, file)).toMatch(/^VALID/);

    // A patient signs a MODEL_TRAINING revocation; npm start's API relays it (hospital 1).
    const provider = new JsonRpcProvider(second.rpc, 31337, { staticNetwork: true, cacheTimeout: -1 });
    const ledger = connectLedger(readDeployment(join(data, "deployment.json")), provider);
    const patient = demoPatient(3, provider);
    const signed = await new Patient(ledger, patient).signRevoke({ purpose: Purpose.MODEL_TRAINING, grantee: NUMBERS.ANY_MEMBER });
    const answer = await fetch(`${second.api}/relay`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(signed) });
    expect(answer.status).toBe(200);
    const relayed = (await answer.json()) as { txHash: string };
    await killGroup(second); // the next instant
    provider.destroy();

    const third = start(data, chainPort, port);
    await ready(third);
    const p3 = new JsonRpcProvider(third.rpc, 31337, { staticNetwork: true, cacheTimeout: -1 });
    const l3 = connectLedger(readDeployment(join(data, "deployment.json")), p3);
    const slot = await l3.consents.consent(patient.address, Purpose.MODEL_TRAINING, NUMBERS.ANY_MEMBER);
    expect(slot.revokedAt).toBeGreaterThan(0n);
    expect(await l3.consents.isConsentValid(patient.address, Purpose.MODEL_TRAINING, 1)).toBe(false);
    // The client retries (it never saw the answer, say): the outbox answers with the first relay, nothing is sent twice.
    const retry = await fetch(`${third.api}/relay`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(signed) });
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { txHash: string }).txHash).toBe(relayed.txHash);
    const revocations = await l3.consents.queryFilter(l3.consents.filters.ConsentRevoked(patient.address), 0);
    expect(revocations.filter((e) => Number(e.args.purpose) === Purpose.MODEL_TRAINING)).toHaveLength(1);
    p3.destroy();
    expect(await stopGently(third)).toBe(0);
  }, 600_000);

  it("Ctrl-C in a real terminal, five times in a row: every restart resumes and every state file is whole", async () => {
    const data = mkdtempSync(join(tmpdir(), "medprov-tty-"));
    const [chainPort, port] = [await freePort(), await freePort()];
    for (let i = 0; i < 5; i++) {
      const { stdout } = await run("python3", [join(ROOT, "test/helpers/pty-run.py"), "medprov is running.", "300", "--", process.execPath, START_BUNDLE, "--data", data, "--demo-size", "small", "--deployment", join(data, "deployment.json"), "--chain-port", String(chainPort), "--port", String(port)], { cwd: ROOT, maxBuffer: 1 << 24 });
      expect(stdout).toContain("medprov is running.");
      expect(stdout).toContain("medprov: stopped");
      expect(stdout).toMatch(/EXIT 0\s*$/);
      if (i > 0) expect(stdout).toContain("demo already seeded; resuming");
      expect(pickState(data).damaged).toEqual([]);
      expect(stateFiles(data).length).toBeGreaterThan(0);
      const pidFile = join(data, "chain.pid");
      expect(existsSync(pidFile)).toBe(false); // the chain's own process was waited for
    }
  }, 600_000);

  it("npm start -- --reset starts over (README): the data directory and the manifest are deleted first", async () => {
    const data = mkdtempSync(join(tmpdir(), "medprov-reset-"));
    writeFileSync(join(data, "demo.json"), JSON.stringify({ consortium: "0x0" }));
    writeFileSync(join(data, "deployment.json"), "{}");
    writeFileSync(join(data, "chain-state.7.json"), "{ cut off");
    const s = start(data, await freePort(), await freePort(), ["--reset", "--no-demo"]);
    await ready(s);
    expect(s.output()).toContain(`reset: removed ${data}`);
    expect(s.output()).toContain("deploying to chain 31337");
    expect(existsSync(join(data, "demo.json"))).toBe(false);
    expect(pickState(data).damaged).toEqual([]);
    expect(await stopGently(s)).toBe(0);
  }, 120_000);

  it("a busy chain or API port: one line naming it, exit non-zero, nothing deployed", async () => {
    for (const which of ["chain", "api"] as const) {
      const data = mkdtempSync(join(tmpdir(), "medprov-busy-"));
      const [chainPort, port] = [await freePort(), await freePort()];
      const busy = which === "chain" ? chainPort : port;
      const blocker = createServer().listen(busy, "127.0.0.1");
      await new Promise((r) => blocker.once("listening", r));
      const s = start(data, chainPort, port);
      const code = await new Promise<number | null>((r) => s.child.once("close", (c) => r(c))); // close: its output is all read
      blocker.close();
      expect(code).not.toBe(0);
      const errors = s.output().split("\n").filter((l) => l.includes(`port ${busy}`));
      expect(errors).toHaveLength(1);
      // That line is all: no "stopping… stopped" for a start that was refused before anything ran.
      expect(s.output().trim().split("\n")).toEqual(errors);
      expect(errors[0]).toMatch(which === "chain" ? /already in use.*--chain-port.*--rpc.* \[PORT_IN_USE\]$/ : /already in use.*--port.* \[PORT_IN_USE\]$/);
      expect(existsSync(join(data, "deployment.json"))).toBe(false);
      expect(s.output()).not.toContain("deploying");
    }
  }, 120_000);

  it("a bad option is one line naming it, with no stack trace, before anything starts", async () => {
    const data = mkdtempSync(join(tmpdir(), "medprov-badopt-"));
    const s = start(data, await freePort(), await freePort(), ["--demo-size", "tiny"]);
    const code = await new Promise<number | null>((r) => s.child.once("exit", (c) => r(c)));
    expect(code).toBe(1);
    // Before: the MedprovError escaped main() and Node printed its source line, stack and version.
    expect(s.output().trim().split("\n")).toEqual(["medprov: --demo-size must be one of full, small [BAD_ARGUMENT]"]);
  }, 60_000);
});
