/**
 * The anvil process behind the embedded chain: the real binary (not the npm wrapper, which exits
 * before the node it started), on a loopback port only the journalled front talks to. A pid file
 * lets the next start end a node that outlived a killed parent.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { MedprovError } from "../core";
import { rpcCall } from "./rpc";

const ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64" };

/** Path of the anvil binary shipped in the platform package of @foundry-rs/anvil. */
export function anvilBinary(): string {
  const pkg = `@foundry-rs/anvil-${process.platform}-${ARCH[process.arch] ?? process.arch}`;
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  } catch {
    throw new MedprovError("CHAIN_UNAVAILABLE", `${pkg} is not installed; run npm install (anvil ships as a binary in that package)`);
  }
}

/** A loopback port the OS says is free now. */
export const freeLoopbackPort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

export interface AnvilOptions {
  chainId: number;
  mnemonic: string;
  /** State file to start from. */
  loadState?: string;
  /** Where the pid of the running node is kept. */
  pidFile: string;
}

export interface AnvilProcess {
  url: string;
  child: ChildProcess;
  /** Ends the node and resolves once the process has exited. */
  stop(): Promise<void>;
}

/** True while a process with this pid exists (signal 0 checks without signalling). */
export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Ends an anvil left running by a parent that was killed (its pid file survived it). */
export function endOrphan(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  let cmd = "";
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    /* not running, or no /proc: nothing to end */
  }
  if (pid > 0 && cmd.includes("anvil") && alive(pid)) process.kill(pid, "SIGKILL");
  rmSync(pidFile, { force: true });
}

export async function startAnvil(o: AnvilOptions): Promise<AnvilProcess> {
  endOrphan(o.pidFile);
  const port = await freeLoopbackPort();
  const args = ["--host", "127.0.0.1", "--port", String(port), "--chain-id", String(o.chainId), "--mnemonic", o.mnemonic, "--silent"];
  if (o.loadState) args.push("--load-state", o.loadState);
  let output = "";
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  writeFileSync(o.pidFile, String(child.pid));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await rpcCall(url, "eth_chainId", []);
      break;
    } catch {
      if (child.exitCode !== null || i > 600) {
        child.kill("SIGKILL");
        throw new MedprovError("CHAIN_UNAVAILABLE", `the embedded chain (anvil) did not start: ${output.trim().split("\n").slice(-3).join(" ") || `exit code ${child.exitCode}`}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(o.pidFile, { force: true });
    },
  };
}
