/**
 * docs/consortium.md's Besu runbook (issue 16) is held to the code it describes: no Besu runs here,
 * so what can be checked without one is — the genesis configuration parses and matches the EVM the
 * contracts are compiled for, free gas, at least four validators; the node settings name the
 * indexer's own limits; the networks example follows its schema; the throughput table is the
 * arithmetic of the gas measured in docs/bench-gas.md.
 */
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LIMITS } from "../../src/constants";
import { checkFormat } from "../../src/formats/validate";
import { buildProgram } from "../../src/cli/main";
import { ERROR_CATALOGUE } from "../../src/api/errors";
import { generationsOf, parseDeployment } from "../../src/sdk";

const ROOT = join(__dirname, "..", "..");
const doc = readFileSync(join(ROOT, "docs/consortium.md"), "utf8");

/** The body of the first fenced block whose info string is `info`. */
function block(info: string): string {
  const m = new RegExp("^```" + info.replace(/ /g, "[ \\t]+") + "[ \\t]*\\n([\\s\\S]*?)^```", "m").exec(doc);
  if (!m) throw new Error(`docs/consortium.md has no \`\`\`${info} block`);
  return m[1];
}

/** `key=value` lines of a TOML block, values as written. */
const toml = (text: string) => Object.fromEntries(text.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")).trim(), l.slice(l.indexOf("=") + 1).trim()]));

describe("docs/consortium.md: the Besu QBFT runbook", () => {
  const config = JSON.parse(block("json qbft-config"));
  const networks = JSON.parse(block("json"));

  it("the genesis configuration is free gas, QBFT with at least four validators, on the chain the networks example names", () => {
    const c = config.genesis.config;
    expect(c.zeroBaseFee).toBe(true);
    expect(c.qbft).toMatchObject({ blockperiodseconds: expect.any(Number), epochlength: expect.any(Number), requesttimeoutseconds: expect.any(Number) });
    expect(c.qbft.requesttimeoutseconds).toBeGreaterThanOrEqual(2 * c.qbft.blockperiodseconds);
    expect(config.blockchain.nodes.count).toBeGreaterThanOrEqual(4);
    // QBFT's mixHash: the bytes of "ctical byzantine fault tolerance".
    expect(Buffer.from(config.genesis.mixHash.slice(2), "hex").toString()).toBe("ctical byzantine fault tolerance");
    expect(config.genesis.alloc).toEqual({});
    expect(c.chainId).toBe(networks.networks["besu-qbft"].chainId);
    expect(networks.networks["besu-qbft"]).toMatchObject({ gasPrice: "0", confirmations: 0, finalityDepth: 0 });
    expect(checkFormat("networks", networks)).toEqual([]);
  });

  it("the genesis activates the EVM the contracts are compiled for", () => {
    const evm = /evmVersion:\s*"(\w+)"/.exec(readFileSync(join(ROOT, "hardhat.config.ts"), "utf8"))![1];
    const forks: Record<string, string[]> = { cancun: ["shanghaiTime", "cancunTime"], shanghai: ["shanghaiTime"], paris: [], london: [] };
    expect(Object.keys(forks), `hardhat.config.ts compiles for ${evm}: say in the runbook which forks it needs`).toContain(evm);
    for (const fork of forks[evm]) expect(config.genesis.config[fork], fork).toBe(0);
    expect(config.genesis.config.londonBlock).toBe(0);
  });

  it("each node's settings are free gas and within the indexer's own limits", () => {
    const node = toml(block("toml"));
    expect(node["min-gas-price"]).toBe("0");
    expect(node["permissions-nodes-config-file-enabled"]).toBe("true");
    expect(Number(node["rpc-max-logs-range"])).toBe(LIMITS.LOG_RANGE_MAX);
    expect(Number(node["rpc-http-max-batch-size"])).toBeGreaterThanOrEqual(LIMITS.RPC_BATCH_MAX);
    expect(doc).toContain(`default ${LIMITS.LOG_RANGE_MAX.toLocaleString("en-US")}`);
    expect(doc).toContain(`at most ${LIMITS.RPC_BATCH_MAX} calls a batch`);
    expect(node["rpc-http-api"]).not.toMatch(/ADMIN|DEBUG/);
  });

  it("the throughput table is the gas measured in docs/bench-gas.md and one transaction a batch", () => {
    const gas = readFileSync(join(ROOT, "docs/bench-gas.md"), "utf8");
    const measured = (traces: string) => new RegExp(`TraceAnchor\\.anchorBatch \\(${traces} traces, 1 version\\) \\| ([\\d,]+)`).exec(gas)![1];
    expect(doc).toContain(`${measured("1,000")} gas for 1,000 traces`);
    expect(doc).toContain(`${measured("100,000")} for 100,000`);
    const rows = [...doc.matchAll(/^\| ([\d,]+) \| ([\d,]+) \| ([\d,]+) traces\/s \|$/gm)].map((m) => m.slice(1).map((v) => Number(v.replace(/,/g, ""))));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const [batch, txs, perSecond] of rows) {
      expect(txs).toBe(1_000_000 / batch);
      expect(perSecond).toBe(500 * batch);
    }
    expect(doc).toContain(`that is ${Math.round((500 * 86_400) / 1e6)} million a day`);
  });
});

describe("docs/consortium.md: ledger generations", () => {
  const section = doc.slice(doc.indexOf("## Ledger generations"), doc.indexOf("## Running the chain"));

  it("the manifest shown is the published example: it follows schemas/deployment.json, and its generations follow each other", () => {
    const shown = JSON.parse(block("json generations-manifest"));
    expect(shown).toEqual(JSON.parse(readFileSync(join(ROOT, "examples/deployment.json"), "utf8")));
    expect(checkFormat("deployment", shown)).toEqual([]);
    const gens = generationsOf(parseDeployment(shown));
    expect(gens.length).toBeGreaterThanOrEqual(2);
    gens.slice(1).forEach((g, i) => expect(g.fromBlock).toBe(gens[i].toBlock! + 1));
    expect(gens.at(-1)!.toBlock).toBeUndefined();
  });

  it("the successor command is a command of the CLI, with options it has", () => {
    const program = buildProgram();
    const words = block("sh generations-successor").trim().split(/\s+/);
    expect(words[0]).toBe("medprov");
    const command = words.find((w, i) => i > 0 && !w.startsWith("-") && !words[i - 1].startsWith("--"))!;
    expect(command).toBe("deploy");
    const deploy = program.commands.find((c) => c.name() === command)!;
    const known = new Set([...program.options, ...deploy.options].map((o) => o.long));
    for (const option of words.filter((w) => w.startsWith("--"))) expect(known, option).toContain(option);
  });

  it("every refusal it names is a catalogue code that the successor's code raises", () => {
    const sources = ["src/cli/commands/deploy.ts", "src/sdk/generations.ts", "src/core/deployment.ts", "src/cli/context.ts"].map((f) => readFileSync(join(ROOT, f), "utf8")).join("\n");
    const codes = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThanOrEqual(4);
    for (const code of codes) {
      expect(ERROR_CATALOGUE, code).toHaveProperty(code);
      expect(sources, code).toContain(`"${code}"`);
    }
    expect(section).toContain("INDEX_GENERATIONS");
    expect(readFileSync(join(ROOT, "src/indexer/generations.ts"), "utf8")).toContain('"INDEX_GENERATIONS"');
  });
});
