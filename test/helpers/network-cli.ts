/**
 * The CLI against a free-gas chain named in a networks file (anvil with a zero base fee and gas
 * price, as a Besu/GoQuorum network with min-gas-price 0), with nothing deployed: the tests of
 * `medprov deploy --network` and of Safe governance start from an empty chain. Commands run in a
 * temporary directory with no MEDPROV_* variable but those a test gives; a refusal must be one line
 * naming a code of the error catalogue, a non-zero exit, and no new block.
 */
import { beforeAll, afterAll, expect } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { encryptKeystoreJsonSync, type Wallet } from "ethers";
import { ERROR_CATALOGUE } from "../../src/api/errors";
import { BIN, commandOf, record, type CliRun } from "./cli";
import { startNode, type RpcNode } from "./node";

const exec = promisify(execFile);
export const PASSWORD = "correct horse battery staple";
export const unlocked = { MEDPROV_KEYSTORE_PASSWORD: PASSWORD };

export function networkHarness(networks: (url: string) => Record<string, { chainId: number }>) {
  const n = {
    node: undefined as unknown as RpcNode,
    dir: "",
    f: (name: string) => join(n.dir, name),
    /** Commands that exited 0 and groups refused, by test (for checkOwnedCommands). */
    ran: new Map<string, Set<string>>(),
    refusedGroups: new Map<string, Set<string>>(),

    /** Writes `wallet` as a keystore file quickly (a low scrypt cost: test keys only) and returns its path. */
    keystore(name: string, wallet: Wallet): string {
      const path = n.f(`${name}.key.json`);
      writeFileSync(path, encryptKeystoreJsonSync({ address: wallet.address, privateKey: wallet.privateKey }, PASSWORD, { scrypt: { N: 1 << 10 } }));
      return path;
    },

    async cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MEDPROV_")));
      let r: CliRun;
      try {
        const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { env: { ...base, ...env }, cwd: n.dir });
        r = { code: 0, stdout, stderr };
      } catch (e) {
        const err = e as { code: number; stdout: string; stderr: string };
        r = { code: err.code, stdout: err.stdout, stderr: err.stderr };
      }
      if (r.code === 0) record(n.ran, commandOf(args));
      return r;
    },

    async json(args: string[], env: Record<string, string> = unlocked) {
      const r = await n.cli(["--json", ...args], env);
      if (r.code !== 0) throw new Error(`medprov ${args.join(" ")} failed: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },

    /** A refusal: non-zero, one line naming `code` (a code of the error catalogue), no block mined. */
    async refused(args: string[], code: string, env: Record<string, string> = unlocked) {
      expect(ERROR_CATALOGUE, code).toHaveProperty(code);
      const before = await n.node.provider.getBlockNumber();
      const r = await n.cli(args, env);
      expect(r.code, r.stdout + r.stderr).not.toBe(0);
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).toContain(`[${code}]`);
      expect(await n.node.provider.getBlockNumber()).toBe(before);
      record(n.refusedGroups, commandOf(args)?.split(" ")[0]);
      return r;
    },
  };
  beforeAll(async () => {
    n.node = await startNode("anvil", ["--base-fee", "0", "--gas-price", "0"]);
    n.dir = mkdtempSync(join(tmpdir(), "medprov-network-"));
    const all = Object.fromEntries(Object.entries(networks(n.node.url)).map(([name, { chainId }]) => [name, { rpcUrl: n.node.url, chainId, gasPrice: "0", confirmations: 0, finalityDepth: 0 }]));
    writeFileSync(n.f("networks.json"), JSON.stringify({ $schema: "../schemas/networks.json", networks: all }, null, 2));
  }, 300_000);
  afterAll(async () => n.node?.stop());
  return n;
}
