/**
 * End to end: the real `medprov` CLI, spawned as a process, against a Hardhat JSON-RPC node.
 * Every refusal prints one line naming what was wrong, exits non-zero, and changes nothing.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { startNode, bootstrapConsortium, freePort, type RpcNode, type RpcConsortium } from "./helpers/node";
import { traceInput } from "./helpers/traces";
import { verifyReceiptIndependently } from "./helpers/third-party-verify";
import { TraceVault } from "../src/sdk";
import { IndexStore } from "../src/indexer";

const run = promisify(execFile);
const BIN = join(__dirname, "..", "bin", "medprov");

let node: RpcNode;
let c: RpcConsortium;
const f = (name: string) => join(c.dir, name);

beforeAll(async () => {
  node = await startNode();
  c = await bootstrapConsortium(node);
}, 120_000);
afterAll(async () => node?.stop());

type Who = "governance" | "hospital" | "developer" | "regulator" | "auditor" | "hospitalB" | "patient" | "patient2" | "outsider" | "none";
const KEY_INDEX: Record<Exclude<Who, "none">, number> = { governance: 0, hospital: 1, developer: 2, regulator: 3, auditor: 4, hospitalB: 5, patient: 6, patient2: 7, outsider: 11 };

async function cli(who: Who, args: string[], env: Record<string, string> = {}) {
  const keyEnv = who === "none" ? {} : { MEDPROV_PRIVATE_KEY: c.keys[KEY_INDEX[who]].privateKey };
  const base = { ...process.env, MEDPROV_PRIVATE_KEY: "", ...keyEnv, ...env };
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, "--rpc", node.url, "--deployment", c.deploymentPath, ...args], { env: base, cwd: c.dir });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const json = async (who: Who, args: string[], env?: Record<string, string>) => {
  const r = await cli(who, ["--json", ...args], env);
  if (r.code !== 0) throw new Error(`medprov ${args.join(" ")} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

const blockNumber = () => node.provider.getBlockNumber();

/** Runs a command that must be refused: non-zero exit, one line naming `code`, no new block. */
async function refused(who: Who, args: string[], code: string, env?: Record<string, string>) {
  const before = await blockNumber();
  const r = await cli(who, args, env);
  expect(r.code, r.stdout + r.stderr).not.toBe(0);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toContain(`[${code}]`);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(await blockNumber()).toBe(before);
  return r;
}

describe("medprov CLI", () => {
  it("--help lists every command group, and each subcommand documents its options", async () => {
    const top = await cli("none", ["--help"]);
    for (const g of ["consent", "delegate", "dataset", "model", "trace", "receipt", "member", "key"]) expect(top.stdout).toContain(g);
    expect(top.stdout).toContain("MEDPROV_PRIVATE_KEY");
    const grant = await cli("none", ["consent", "grant", "--help"]);
    for (const o of ["--purpose", "--grantee", "--expires", "--subject"]) expect(grant.stdout).toContain(o);
    const reg = await cli("none", ["dataset", "register", "--help"]);
    for (const o of ["--purposes", "--uri", "--parent"]) expect(reg.stdout).toContain(o);
  });

  it("a patient signs without gas (new keystore), a hospital relays, anyone relays the revocation", async () => {
    const env = { MEDPROV_KEYSTORE_PASSWORD: "correct horse battery staple" };
    const created = await json("none", ["key", "new", "--out", f("patient.key.json")], env);
    expect(existsSync(f("patient.key.json"))).toBe(true);
    expect(await node.provider.getBalance(created.address)).toBe(0n);
    await json("none", ["--keystore", f("patient.key.json"), "consent", "sign-grant", "--purpose", "CLINICAL_DECISION_SUPPORT", "--grantee", "1", "--expires", "30d", "--out", f("grant.json")], env);
    const relayed = await json("hospital", ["consent", "relay", f("grant.json")]);
    expect(relayed.txHash).toMatch(/^0x/);
    await json("none", ["--keystore", f("patient.key.json"), "consent", "sign-revoke", "--purpose", "CLINICAL_DECISION_SUPPORT", "--grantee", "1", "--out", f("revoke.json")], env);
    await json("outsider", ["consent", "relay", f("revoke.json")]);
    const history = await json("none", ["consent", "list", "--subject", created.address]);
    expect(history.map((e: { kind: string; relayer: string }) => [e.kind, e.relayer])).toEqual([["GRANTED", c.keys[1].address], ["REVOKED", c.keys[11].address]]);
    // The same revocation again: the nonce moved on.
    await refused("outsider", ["consent", "relay", f("revoke.json")], "ConsentRegistryInvalidNonce");
  });

  it("direct grant and revoke, with a guardian acting for the subject", async () => {
    await json("patient", ["delegate", "appoint", c.keys[8].address]);
    const subject = c.keys[6].address;
    await json("patient2", ["consent", "grant", "--purpose", "RESEARCH", "--grantee", "any", "--expires", "10d"]);
    const r = await cli("patient", ["consent", "grant", "--purpose", "MODEL_TRAINING", "--grantee", "1", "--expires", "10d"]);
    expect(r.stdout).toMatch(/granted MODEL_TRAINING to organisation 1/);
    const guardianEnv = { MEDPROV_PRIVATE_KEY: c.keys[8].privateKey };
    const g = await cli("none", ["consent", "revoke", "--purpose", "MODEL_TRAINING", "--grantee", "1", "--subject", subject], guardianEnv);
    expect(g.code, g.stderr).toBe(0);
    await refused("none", ["consent", "revoke", "--purpose", "MODEL_TRAINING", "--grantee", "1", "--subject", subject], "ConsentRegistryNotGranted", guardianEnv);
  });

  let versionId: string;
  let submitted: string;
  it("registers a dataset from JSONL (idempotently), a model and versions, and approves one", async () => {
    writeFileSync(f("ds.jsonl"), c.keys.slice(6).map((k, i) => JSON.stringify({ subject: k.address, ageBand: "65+", sex: "FEMALE", region: i % 2 ? "WEST" : "EAST", grassroots: true, note: "free text stays off-chain" })).join("\n"));
    const ds = await json("hospital", ["dataset", "register", f("ds.jsonl"), "--purposes", "RESEARCH,MODEL_TRAINING", "--uri", "s3://a/ds.enc", "--parent", c.datasetId]);
    expect(ds.created).toBe(true);
    expect(JSON.parse(readFileSync(f("ds.jsonl.cohort.json"), "utf8")).cohortRoot).toBe(ds.cohortRoot);
    const again = await json("hospital", ["dataset", "register", f("ds.jsonl"), "--purposes", "RESEARCH,MODEL_TRAINING", "--uri", "s3://a/ds.enc", "--parent", c.datasetId]);
    expect([again.created, again.datasetId]).toEqual([false, ds.datasetId]);
    await json("developer", ["dataset", "use", ds.datasetId, "--purpose", "MODEL_TRAINING"]);
    const model = await json("developer", ["model", "register", "--name", "triage-bot", "--intended-use", "triage", "--risk", "LOW"]);
    const card = (w: string) => ({ model: model.modelId, weightsHash: "0x" + w.repeat(32), trainingDatasets: [ds.datasetId], evaluation: { auc: 8600, sensitivity: 8000, specificity: 8200, subgroupAucGap: 600, biasTestCases: 150, grassrootsShare: 1200 } });
    writeFileSync(f("card1.json"), JSON.stringify(card("c1")));
    writeFileSync(f("card2.json"), JSON.stringify(card("c2")));
    versionId = (await json("developer", ["model", "version", f("card1.json")])).versionId;
    submitted = (await json("developer", ["model", "version", f("card2.json")])).versionId;
    const approved = await cli("regulator", ["model", "approve", versionId, "--filing-code", "NMPA-CLI-1"]);
    expect(approved.stdout).toContain("approved");
  });

  let traceId: string;
  it("appends and anchors traces, writes a receipt that verifies — here and with only merkle-tree and ethers", async () => {
    const now = (await node.provider.getBlock("latest"))!.timestamp;
    const traces = Array.from({ length: 5 }, () => traceInput(versionId, { time: now }));
    traceId = traces[2].traceId;
    writeFileSync(f("traces.jsonl"), traces.map((t) => JSON.stringify(t)).join("\n"));
    const appended = await json("hospital", ["trace", "append", f("traces.jsonl"), "--vault", f("vault"), "--flush"]);
    expect(appended.queued).toBe(5);
    expect(appended.batches[0].count).toBe(5);
    await cli("hospital", ["trace", "receipt", traceId, "--vault", f("vault"), "--out", f("receipt.json")]);
    const ok = await cli("none", ["receipt", "verify", f("receipt.json")]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^VALID/);
    expect(await verifyReceiptIndependently(JSON.parse(readFileSync(f("receipt.json"), "utf8")), node.url, c.deployment)).toBe(true);
  });

  it("a receipt with one flipped byte is INVALID with its named reason, and exits 1", async () => {
    const receipt = JSON.parse(readFileSync(f("receipt.json"), "utf8"));
    const h: string = receipt.record.inputHash;
    receipt.record.inputHash = h.slice(0, 10) + (h[10] === "a" ? "b" : "a") + h.slice(11);
    writeFileSync(f("tampered.json"), JSON.stringify(receipt));
    const r = await cli("none", ["receipt", "verify", f("tampered.json")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("INVALID");
    expect(r.stdout).toContain("LEAF_MISMATCH");
    expect(await verifyReceiptIndependently(receipt, node.url, c.deployment)).toBe(false);
  });

  it("governance sets a risk class's thresholds (zero delay on this test chain, so --execute directly)", async () => {
    const args = ["policy", "set", "--risk", "MEDIUM", "--min-auc", "8600", "--max-gap", "700", "--min-bias-cases", "250", "--min-grassroots", "1500", "--execute"];
    await refused("regulator", args, "AccessManagerUnauthorizedCall");
    const r = await cli("governance", args);
    expect(r.stdout).toContain("executed: set MEDIUM policy");
    await refused("governance", ["policy", "set", "--risk", "MEDIUM", "--min-auc", "86000", "--max-gap", "700", "--min-bias-cases", "250", "--min-grassroots", "1500"], "BAD_POLICY");
  });

  it("serve runs this member's indexer and API: CORS for the configured origin, relays with --relay, stops on SIGTERM", async () => {
    const port = await freePort();
    const app = "https://patient.example";
    const env = { ...process.env, MEDPROV_PRIVATE_KEY: c.keys[KEY_INDEX.hospital].privateKey };
    const child = spawn(process.execPath, [BIN, "--rpc", node.url, "--deployment", c.deploymentPath, "serve", "--db", f("serve-index"), "--port", String(port), "--cors-origin", app, "--trust-proxy", "loopback", "--relay"], { env, cwd: c.dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      for (let i = 0; !out.includes("medprov: API on"); i++) {
        if (i > 300 || child.exitCode !== null) throw new Error(`serve did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const api = `http://127.0.0.1:${port}`;
      const health = await fetch(`${api}/healthz`, { headers: { origin: app } });
      expect([health.status, health.headers.get("access-control-allow-origin")]).toEqual([200, app]);
      expect((await fetch(`${api}/readyz`)).status).toBe(200);
      await json("patient2", ["consent", "sign-grant", "--purpose", "RESEARCH", "--grantee", "1", "--expires", "30d", "--out", f("serve-grant.json")]);
      const relayed = await fetch(`${api}/relay`, { method: "POST", headers: { "content-type": "application/json" }, body: readFileSync(f("serve-grant.json"), "utf8") });
      expect(relayed.status, await relayed.clone().text()).toBe(200);
      const { txHash } = (await relayed.json()) as { txHash: string };
      expect((await node.provider.getTransaction(txHash))?.from.toLowerCase()).toBe(c.keys[KEY_INDEX.hospital].address.toLowerCase());
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(out).toContain("medprov: stopped");
  });

  it("serve refuses a bad port, origin or public URL, --relay without a key, a port or a database in use, an index of another layout, in one line each", async () => {
    await refused("none", ["serve", "--port", "0"], "BAD_NUMBER");
    await refused("none", ["serve", "--port", "70000"], "BAD_NUMBER");
    await refused("none", ["serve", "--cors-origin", "https://patient.example/app"], "BAD_ORIGIN");
    await refused("none", ["serve", "--cors-origin", "*"], "BAD_ORIGIN");
    await refused("none", ["serve", "--public-url", "ftp://medprov.example"], "BAD_URL");
    await refused("none", ["serve", "--trust-proxy", "10.0.0.0/33"], "BAD_PROXY");
    await refused("none", ["serve", "--trust-proxy", "proxy.internal"], "BAD_PROXY");
    // What Fastify's trustProxy accepts is accepted here too (a netmask range, a named range).
    const { proxyArg } = await import("../src/cli/parse");
    expect(["10.0.0.0/255.0.0.0", "fe80::/10", "uniquelocal"].map(proxyArg)).toEqual(["10.0.0.0/255.0.0.0", "fe80::/10", "uniquelocal"]);
    await refused("none", ["serve", "--db", f("never-opened"), "--relay"], "KEY_MISSING");
    expect(existsSync(f("never-opened"))).toBe(false);
    // A port taken by another process: named, and nothing keeps running (the process exits).
    const busy = createServer();
    const busyPort = await freePort();
    await new Promise<void>((resolve) => busy.listen(busyPort, "127.0.0.1", resolve));
    try {
      await refused("none", ["serve", "--db", f("busy-port-index"), "--port", String(busyPort)], "PORT_IN_USE");
    } finally {
      busy.close();
    }
    // LevelDB admits one process per database: a second indexer or API on it is told so by name.
    const held = await IndexStore.open(f("held-index"));
    try {
      await refused("none", ["serve", "--db", f("held-index"), "--port", String(await freePort())], "INDEX_LOCKED");
      await refused("none", ["index", "--db", f("held-index"), "--once"], "INDEX_LOCKED");
    } finally {
      await held.close();
    }
    // An index from before key layouts had numbers: refused by name, with the way out in the message.
    const old = await IndexStore.open(f("old-layout"));
    await old.write([{ type: "put", key: "meta:cursor", value: { block: 1, hash: "0x01" } }, { type: "del", key: "meta:layout" }]);
    await old.close();
    await refused("none", ["index", "--db", f("old-layout"), "--once"], "INDEX_LAYOUT");
  });

  describe("bad input: one line, non-zero exit, nothing written", () => {
    it("malformed JSON, missing, extra and mistyped trace fields leave the vault untouched", async () => {
      const vault = f("vault");
      const count = async () => {
        const v = await TraceVault.open(vault);
        const n = await v.countQueued();
        await v.close();
        return n;
      };
      const before = await count();
      writeFileSync(f("bad.json"), "{ not json");
      await refused("hospital", ["trace", "append", f("bad.json"), "--vault", vault], "BAD_JSON");
      const t = traceInput(versionId);
      const { inputHash: _drop, ...missing } = t;
      for (const [name, body, code] of [
        ["missing", missing, "TRACE_MISSING_FIELD"],
        ["extra", { ...t, patientName: "Li Si" }, "TRACE_UNKNOWN_FIELD"],
        ["mrn", { ...t, medicalRecordNumber: "MRN-88231" }, "TRACE_UNKNOWN_FIELD"],
        ["type", { ...t, confidenceBps: "high" }, "TRACE_BAD_FIELD"],
      ] as const) {
        writeFileSync(f(`${name}.json`), JSON.stringify(body));
        const r = await refused("hospital", ["trace", "append", f(`${name}.json`), "--vault", vault], code);
        if (name === "extra") expect(r.stderr).toContain('"patientName"');
      }
      expect(await count()).toBe(before);
    });

    it("unknown dataset, unknown model, unapproved version, malformed model card", async () => {
      await refused("hospital", ["dataset", "use", "0x" + "00".repeat(31) + "01", "--purpose", "RESEARCH"], "DatasetRegistryUnknownDataset");
      writeFileSync(f("ghost-card.json"), JSON.stringify({ model: "0x" + "ee".repeat(32), weightsHash: "0x" + "dd".repeat(32), trainingDatasets: [c.datasetId], evaluation: { auc: 9000, sensitivity: 9000, specificity: 9000, subgroupAucGap: 100, biasTestCases: 400, grassrootsShare: 3000 } }));
      await refused("developer", ["model", "version", f("ghost-card.json")], "ModelRegistryUnknownModel");
      await refused("hospital", ["model", "deploy", submitted], "ModelRegistryNotApproved");
      writeFileSync(f("card-extra.json"), JSON.stringify({ ...JSON.parse(readFileSync(f("card1.json"), "utf8")), secretSauce: 1 }));
      await refused("developer", ["model", "version", f("card-extra.json")], "CARD_UNKNOWN_FIELD");
      await refused("regulator", ["model", "approve", "0x1234", "--filing-code", "X"], "BAD_ID");
      await refused("none", ["index", "--db", f("never-index"), "--once", "--rpc-batch", "0"], "BAD_NUMBER");
      expect(existsSync(f("never-index"))).toBe(false);
    });

    it("unauthorised keys: wrong role, non-member, no key at all", async () => {
      await refused("developer", ["dataset", "register", f("ds.jsonl"), "--purposes", "RESEARCH", "--uri", "s3://x"], "ConsortiumWrongRole");
      const r = await refused("outsider", ["model", "approve", submitted, "--filing-code", "NMPA-X"], "ConsortiumUnknownKey");
      expect(r.stderr).toContain("not registered to any consortium member");
      await refused("none", ["model", "approve", submitted, "--filing-code", "NMPA-X"], "KEY_MISSING");
      await refused("auditor", ["member", "admit", "--name", "Rogue", "--role", "HOSPITAL", "--key", c.keys[10].address], "AccessManagerUnauthorizedCall");
    });

    it("an expired signature is refused when relayed", async () => {
      await json("patient2", ["consent", "sign-grant", "--purpose", "TREATMENT", "--grantee", "2", "--expires", "30d", "--out", f("late.json")]);
      await node.provider.send("evm_increaseTime", [7200]);
      await node.provider.send("evm_mine", []);
      await refused("hospital", ["consent", "relay", f("late.json")], "ConsentRegistryExpiredSignature");
    });

    it("a stack trace appears only with --debug; an unreachable chain exits 3", async () => {
      const r = await cli("hospital", ["--debug", "dataset", "use", "0x" + "00".repeat(31) + "02", "--purpose", "RESEARCH"]);
      expect(r.stderr).toMatch(/\n\s+at /);
      const down = await run(process.execPath, [BIN, "--rpc", "http://127.0.0.1:9", "--deployment", c.deploymentPath, "consent", "list", "--subject", c.keys[6].address]).catch((e) => e);
      expect(down.code).toBe(3);
      expect(down.stderr).toContain("RPC_UNAVAILABLE");
    });
  });
});
