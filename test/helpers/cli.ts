/**
 * Drives the real `medprov` CLI, spawned as a process, against a Hardhat JSON-RPC node with a
 * small consortium (one node and one consortium per test file). It also records which command
 * each test ran to success and which command groups each test saw refused, so that a file can
 * prove it ran every command the table in cli-coverage.ts gives it (see `checkOwnedCommands`).
 */
import { beforeAll, afterAll, expect, it } from "vitest";
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { SiweMessage } from "siwe";
import type { Command } from "commander";
import type { Wallet } from "ethers";
import { startNode, bootstrapConsortium, type RpcNode, type RpcConsortium } from "./node";
import { buildProgram } from "../../src/cli/main";
import { E2E, REFUSALS } from "./cli-coverage";
import { CLI_BUNDLE } from "./bundles";

const exec = promisify(execFile);
/** What the tests spawn as `medprov`: bin/medprov's code, prebuilt (bundles.ts), run with `node`. */
export const BIN = CLI_BUNDLE;

export type Who = "governance" | "hospital" | "developer" | "regulator" | "auditor" | "hospitalB" | "patient" | "patient2" | "outsider" | "none";
export const KEY_INDEX: Record<Exclude<Who, "none">, number> = { governance: 0, hospital: 1, developer: 2, regulator: 3, auditor: 4, hospitalB: 5, patient: 6, patient2: 7, outsider: 11 };

/** The leaf commands of the CLI ("consent grant", "index", …), as commander holds them. */
export function leafCommands(program: Command = buildProgram()): string[] {
  const walk = (c: Command, path: string[]): string[] => (c.commands.length ? c.commands.flatMap((s) => walk(s, [...path, s.name()])) : [path.join(" ")]);
  return program.commands.flatMap((c) => walk(c, [c.name()]));
}

/** What the table in cli-coverage.ts misses of `program`'s commands, and what it names that `program` lacks. */
export function uncovered(program: Command = buildProgram()) {
  const leaves = leafCommands(program);
  const groups = program.commands.map((c) => c.name());
  return {
    noTest: leaves.filter((c) => !(c in E2E)),
    noCommand: Object.keys(E2E).filter((c) => !leaves.includes(c)),
    noRefusal: groups.filter((g) => !(g in REFUSALS)),
    noGroup: Object.keys(REFUSALS).filter((g) => !groups.includes(g)),
  };
}

const PROGRAM = buildProgram();
const GLOBALS_WITH_VALUE = new Set(["--rpc", "--deployment", "--keystore", "--as", "--identities", "--outbox", "--network", "--networks", "--signer", "--signer-address"]);

/** Which leaf command an argument list runs (undefined for --help and the like). */
export function commandOf(args: string[]): string | undefined {
  let i = 0;
  while (i < args.length && args[i].startsWith("-")) i += GLOBALS_WITH_VALUE.has(args[i]) ? 2 : 1;
  // Down to the leaf, as leafCommands names it ("incident category add" is three deep).
  const path: string[] = [];
  for (let c: Command | undefined = PROGRAM; c && c.commands.length; i++) {
    c = c.commands.find((s) => s.name() === args[i]);
    if (!c) return undefined;
    path.push(c.name());
  }
  return path.join(" ");
}

const currentTest = () => (expect.getState().currentTestName ?? "").split(" > ").pop()!;
export const record = (map: Map<string, Set<string>>, key: string | undefined, test = currentTest()) => {
  if (key) map.set(key, (map.get(key) ?? new Set()).add(test));
};

/**
 * Runs at most `n` tasks at once. Tests start independent commands together, but each is a whole
 * Node process: more of them than cores only slows them all (and the other test files) down.
 */
function limiter(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <V>(task: () => Promise<V>): Promise<V> => {
    if (active < n) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve)); // the finishing task hands its slot over
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

/** Spawned CLI processes of one test file that may run at once (the machines have two cores). */
const CONCURRENT_PROCESSES = 2;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** One node and one consortium for the calling test file, with the ways to run the CLI against it. */
export function cliHarness() {
  const slots = limiter(CONCURRENT_PROCESSES);
  const h = {
    node: undefined as unknown as RpcNode,
    c: undefined as unknown as RpcConsortium,
    /** Commands that exited 0, with the tests that ran them. */
    ran: new Map<string, Set<string>>(),
    /** Command groups refused in one line, with the tests that saw it. */
    refusedGroups: new Map<string, Set<string>>(),
    f: (name: string) => join(h.c.dir, name),
    wallet: (who: Exclude<Who, "none">): Wallet => h.c.keys[KEY_INDEX[who]],
    env(who: Who, env: Record<string, string> = {}) {
      const keyEnv = who === "none" ? {} : { MEDPROV_PRIVATE_KEY: h.wallet(who).privateKey };
      return { ...process.env, MEDPROV_PRIVATE_KEY: "", ...keyEnv, ...env };
    },
    base: () => ["--rpc", h.node.url, "--deployment", h.c.deploymentPath],

    async cli(who: Who, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
      const r = await slots(async (): Promise<CliRun> => {
        try {
          const { stdout, stderr } = await exec(process.execPath, [BIN, ...h.base(), ...args], { env: h.env(who, env), cwd: h.c.dir });
          return { code: 0, stdout, stderr };
        } catch (e) {
          const err = e as { code: number; stdout: string; stderr: string };
          return { code: err.code, stdout: err.stdout, stderr: err.stderr };
        }
      });
      if (r.code === 0) record(h.ran, commandOf(args));
      return r;
    },

    async json(who: Who, args: string[], env?: Record<string, string>) {
      const r = await h.cli(who, ["--json", ...args], env);
      if (r.code !== 0) throw new Error(`medprov ${args.join(" ")} failed: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },

    blockNumber: () => h.node.provider.getBlockNumber(),

    /**
     * Runs a command that must be refused: non-zero exit, one line naming `code`, no new block.
     * Refusals may run in parallel with each other, never with a command that writes.
     */
    async refused(who: Who, args: string[], code: string, env?: Record<string, string>) {
      const before = await h.blockNumber();
      const r = await h.cli(who, args, env);
      expect(r.code, r.stdout + r.stderr).not.toBe(0);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(`[${code}]`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await h.blockNumber()).toBe(before);
      record(h.refusedGroups, commandOf(args)?.split(" ")[0]);
      return r;
    },

    /**
     * Starts a long-running command (serve, index without --once) and waits until its output
     * contains `ready`. `stop()` sends SIGTERM and resolves with the exit code; exiting 0 counts as
     * the command having run.
     */
    async daemon(who: Who, args: string[], ready: string | RegExp) {
      const child = spawn(process.execPath, [BIN, ...h.base(), ...args], { env: h.env(who), cwd: h.c.dir, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout!.on("data", (d) => (out += d));
      child.stderr!.on("data", (d) => (out += d));
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      const test = currentTest();
      const matches = (re: string | RegExp) => (typeof re === "string" ? out.includes(re) : re.test(out));
      const waitFor = async (what: string | RegExp) => {
        for (let i = 0; !matches(what); i++) {
          if (i > 600 || child.exitCode !== null) throw new Error(`medprov ${args.join(" ")}: no ${what} in:\n${out}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      try {
        await waitFor(ready);
      } catch (e) {
        child.kill("SIGTERM");
        throw e;
      }
      return {
        output: () => out,
        /** Waits (without a deadline of its own) until the output contains `what`. */
        waitFor,
        async stop() {
          child.kill("SIGTERM");
          const code = await exited;
          if (code === 0) record(h.ran, commandOf(args), test);
          return code;
        },
      };
    },

    /** A SIWE session for `who` on an API at `api` (listening on 127.0.0.1). */
    async signIn(api: string, who: Exclude<Who, "none">) {
      const wallet = h.wallet(who);
      const { nonce } = (await (await fetch(`${api}/auth/nonce`, { method: "POST" })).json()) as { nonce: string };
      const message = new SiweMessage({ domain: new URL(api).host, address: wallet.address, statement: "medprov CLI test", uri: api, version: "1", chainId: h.c.deployment.chainId, nonce, issuedAt: new Date().toISOString() }).prepareMessage();
      const r = await fetch(`${api}/auth/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message, signature: await wallet.signMessage(message) }) });
      if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${await r.text()}`);
      return { authorization: `Bearer ${((await r.json()) as { session: string }).session}` };
    },
  };
  beforeAll(async () => {
    h.node = await startNode();
    h.c = await bootstrapConsortium(h.node);
  }, 300_000);
  afterAll(async () => h.node?.stop());
  return h;
}

export type CliHarness = ReturnType<typeof cliHarness>;

/**
 * The last test of a CLI test file: every command the table gives this file ran to success in the
 * test the table names, and every command group it gives this file was refused there in one line.
 */
export function checkOwnedCommands(h: Pick<CliHarness, "ran" | "refusedGroups">, file: string) {
  it(`ran every command ${file} owns end to end (test/helpers/cli-coverage.ts), and saw each of its groups refuse in one line`, () => {
    const notRun = Object.entries(E2E).filter(([cmd, e]) => e.file === file && !h.ran.get(cmd)?.has(e.test)).map(([cmd, e]) => `${cmd} (in "${e.test}")`);
    const notRefused = Object.entries(REFUSALS).filter(([group, e]) => e.file === file && !h.refusedGroups.get(group)?.has(e.test)).map(([group, e]) => `${group} (in "${e.test}")`);
    expect({ notRun, notRefused }).toEqual({ notRun: [], notRefused: [] });
  });
}
