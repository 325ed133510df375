/**
 * `medprov login` and `medprov --as` (issue 17): Sign-In with Ethereum from the CLI with a demo
 * identity from the file npm start writes, the bearer token used the way curl uses it (an
 * Authorization header on a plain HTTP request), and the refusals: a demo key on a chain other
 * than 31337, an unknown identity, an API that is not there (exit 3: try again).
 */
import { describe, it, expect, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliHarness, checkOwnedCommands } from "../helpers/cli";
import { T as ALL } from "../helpers/cli-coverage";
import { freePort } from "../helpers/node";
import { demoAccounts } from "../../src/demo/seed";
import { DEMO_CHAIN_ID, demoIdentities, pickIdentity } from "../../src/demo/identities";
import { derivePseudonym } from "../../src/sdk";

const T = { login: ALL.login, loginRefused: ALL.loginRefused };
const h = cliHarness();
const identities = () => {
  const path = h.f("identities.json");
  writeFileSync(path, JSON.stringify(demoIdentities(demoAccounts(), 3)));
  return ["--identities", path];
};
const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

/** The API of `medprov serve` on a free port, for this file. */
async function serve() {
  const port = await freePort();
  const d = await h.daemon("none", ["serve", "--db", h.f(`index-${port}`), "--port", String(port)], "API on");
  stops.push(d.stop);
  return `http://127.0.0.1:${port}`;
}

/** An anvil serving another chain id (1337): a real node, not the demo chain. */
async function otherChain(): Promise<string> {
  const port = await freePort();
  const child = spawn(join(__dirname, "..", "..", "node_modules", ".bin", "anvil"), ["--host", "127.0.0.1", "--port", String(port), "--chain-id", "1337", "--silent"], { stdio: "ignore" });
  stops.push(() => new Promise((r) => (child.kill("SIGTERM"), child.once("exit", r))));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    try {
      await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }) });
      return url;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error("anvil did not start");
}

describe("medprov login and --as", () => {
  it("demo identities name every role with its organisation, and are refused off the demo chain", () => {
    const file = demoIdentities(demoAccounts(), 2);
    expect(file.warning).toMatch(/DEMO ONLY/);
    expect(file.identities.map((i) => i.name)).toEqual(["governance", "hospital-1", "hospital-2", "hospital-3", "developer-1", "developer-2", "regulator", "auditor", "appraiser", "guardian", "patient-0", "patient-1"]);
    expect(pickIdentity(file, "auditor", DEMO_CHAIN_ID)).toMatchObject({ role: "AUDITOR", organisation: { id: 7 } });
    expect(pickIdentity(file, "appraiser", DEMO_CHAIN_ID)).toMatchObject({ role: "APPRAISER", organisation: { id: 8, name: "Medical Appraisal Board (demo)" } });
    expect(pickIdentity(file, "hospital-1", DEMO_CHAIN_ID).address).toBe(h.wallet("hospital").address);
    expect(() => pickIdentity(file, "auditor", 1)).toThrow(/chain 31337 only; this chain is 1/);
  });

  it(T.login, async () => {
    const api = await serve();
    // Printed token: the only line on stdout, so TOKEN=$(medprov login) works.
    const printed = await h.cli("none", [...identities(), "--as", "hospital-1", "login", "--api", api]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout.trim().split("\n")).toHaveLength(1);
    expect(printed.stderr).toContain(`as ${h.wallet("hospital").address}`);
    const token = printed.stdout.trim();
    const batches = await fetch(`${api}/batches`, { headers: { authorization: `Bearer ${token}` } });
    expect(batches.status).toBe(200); // a hospital's own batches: signed in as organisation 1
    expect((await fetch(`${api}/batches`)).status).toBe(401);

    // --out: the token in a file only its owner reads.
    const out = h.f("token");
    const written = await h.json("none", [...identities(), "--as", "hospital-1", "login", "--api", api, "--out", out]);
    expect(written).toMatchObject({ address: h.wallet("hospital").address, out });
    expect(statSync(out).mode & 0o077).toBe(0);
    const fromFile = readFileSync(out, "utf8").trim();
    expect((await fetch(`${api}/batches`, { headers: { authorization: `Bearer ${fromFile}` } })).status).toBe(200);

    // --at: a patient signs in as their pseudonym at hospital 1 (derived from the secret), and reads that pseudonym's own answers.
    const secret = "0x" + "5e".repeat(32);
    const pseudonym = derivePseudonym(secret, 1).address;
    const atHospital = await h.json("none", ["login", "--api", api, "--at", "1", "--out", h.f("patient-token")], { MEDPROV_PRIVATE_KEY: secret });
    expect(atHospital.address).toBe(pseudonym);
    const patientAuth = { authorization: `Bearer ${readFileSync(h.f("patient-token"), "utf8").trim()}` };
    expect((await fetch(`${api}/consents/${pseudonym}/history`, { headers: patientAuth })).status).toBe(200);
    expect((await fetch(`${api}/consents/${derivePseudonym(secret, 2).address}/history`, { headers: patientAuth })).status).toBe(403);

    // --as signs writes too: the demo's hospital-1 key records a dataset use.
    const used = await h.json("none", [...identities(), "--as", "hospital-1", "dataset", "use", h.c.datasetId, "--purpose", "RESEARCH"]);
    expect(used.txHash).toMatch(/^0x[0-9a-f]{64}$/);
  }, 120_000);

  it(T.loginRefused, async () => {
    const other = await otherChain();
    const api = await serve();
    await h.refused("none", ["--rpc", other, ...identities(), "--as", "hospital-1", "login", "--api", api], "DEMO_KEY_WRONG_CHAIN");
    await h.refused("none", [...identities(), "--as", "nurse", "login", "--api", api], "UNKNOWN_IDENTITY");
    await h.refused("none", ["--identities", h.f("missing.json"), "--as", "auditor", "login", "--api", api], "IDENTITIES_NOT_FOUND");
    const gone = await h.refused("none", [...identities(), "--as", "auditor", "login", "--api", `http://127.0.0.1:${await freePort()}`], "API_UNREACHABLE");
    expect(gone.code).toBe(3);
  }, 120_000);
});

checkOwnedCommands(h, "login.test.ts");
