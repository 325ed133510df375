/**
 * Multisig governance end to end (issue 16): `medprov deploy --network` makes a Safe of three
 * owners (2 of 3) the AccessManager's governor and admin, with a one-hour delay; an admission is
 * proposed to a file, each owner signs it offline (EIP-712 SafeTx) with their own keystore, and
 * anyone executes it: refused with one signature, scheduled with two, refused before the delay (by
 * chain time), executed after it — the member is then on the chain. Refusals name their code.
 */
import { describe, it, expect, beforeAll, vi } from "vitest";
import { spawn } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { connectLedger, connectSafe, parseDeployment, type LedgerContracts } from "../../src/sdk";
import { ACCESS_ROLES, MEMBER_STATUSES, ROLES } from "../../src/constants";
import { allowed, type Access, type CallerKind } from "../../src/api/access";
import { BIN, checkOwnedCommands } from "../helpers/cli";
import { freePort } from "../helpers/node";
import { T } from "../helpers/cli-coverage";
import { networkHarness } from "../helpers/network-cli";

vi.setConfig({ testTimeout: 300_000 });
const h = networkHarness(() => ({ consortium: { chainId: 31337 } }));
const { f, json, refused } = h;
const DELAY = 3600;

let net: string[];
let key: (who: string) => string[];
let ledger: LedgerContracts;
let owners: string[];
beforeAll(async () => {
  const [, o1, o2, o3, outsider] = h.node.keys;
  owners = [o1, o2, o3].map((w) => w.address);
  const files: Record<string, string> = { o1: h.keystore("o1", o1), o2: h.keystore("o2", o2), o3: h.keystore("o3", o3), outsider: h.keystore("outsider", outsider) };
  net = ["--network", "consortium", "--networks", f("networks.json")];
  key = (who) => [...net, "--keystore", files[who]];
  const manifest = await json([...key("o1"), "deploy", "--safe-owners", ...owners, "--safe-threshold", "2", "--delay", String(DELAY)]);
  ledger = connectLedger(parseDeployment(manifest), h.node.provider);
}, 300_000);

const admitted = async (address: string) => {
  const [orgId] = await ledger.consortium.keyInfo(address);
  if (orgId === 0n) return undefined;
  const [role, status] = await ledger.consortium.member(orgId);
  return { role: ROLES[Number(role)], status: MEMBER_STATUSES[Number(status)] };
};

describe("governance through a Safe", () => {
  it(T.safe, async () => {
    // The Safe, not any one key, governs: 2 of the 3 owners, with the delay on both roles.
    const manifest = JSON.parse(readFileSync(f("deployments/consortium.json"), "utf8"));
    const safe = connectSafe(manifest.safe.safe, h.node.provider);
    expect(manifest.governance).toBe(manifest.safe.safe);
    expect([await safe.getOwners(), await safe.getThreshold()]).toEqual([owners, 2n]);
    for (const role of [ACCESS_ROLES.GOVERNOR, ACCESS_ROLES.ADMIN]) expect(await ledger.manager.hasRole(role, manifest.safe.safe)).toEqual([true, BigInt(DELAY)]);
    for (const o of owners) expect((await ledger.manager.hasRole(ACCESS_ROLES.ADMIN, o))[0]).toBe(false);

    const hospital = h.node.keys[9].address;
    const before = await h.node.provider.getBlockNumber();
    const proposal = await json([...net, "member", "admit", "--name", "Hospital C", "--role", "HOSPITAL", "--key", hospital, "--propose", f("admit.json")]);
    expect(proposal).toMatchObject({ stage: "schedule", safe: manifest.safe.safe, safeTx: { nonce: "0" }, signatures: [] });
    expect(await h.node.provider.getBlockNumber()).toBe(before); // a proposal sends nothing

    await json([...key("o1"), "governance", "sign", f("admit.json")]);
    await refused([...key("o3"), "governance", "execute", f("admit.json")], "SAFE_BELOW_THRESHOLD");
    // Signing is offline: no node answers at this URL.
    await json(["--rpc", "http://127.0.0.1:9", "--keystore", f("o2.key.json"), "governance", "sign", f("admit.json")]);
    const scheduled = await json([...key("o3"), "governance", "execute", f("admit.json")]);
    expect(scheduled.stage).toBe("scheduled");
    const now = (await h.node.provider.getBlock("latest"))!.timestamp;
    expect(scheduled.readyAt).toBe(now + DELAY);
    expect(JSON.parse(readFileSync(f("admit.json"), "utf8"))).toMatchObject({ stage: "execute", readyAt: now + DELAY, safeTx: { nonce: "1" }, signatures: [] });
    expect(await admitted(hospital)).toBeUndefined();

    // The execute step is signed anew (its own nonce), here by owners 1 and 3; before the delay it is refused.
    await json([...key("o3"), "governance", "sign", f("admit.json")]);
    await json([...key("o1"), "governance", "sign", f("admit.json")]);
    copyFileSync(f("admit.json"), f("admit-execute-copy.json"));
    await refused([...key("o2"), "governance", "execute", f("admit.json")], "GOVERNANCE_NOT_READY");
    expect(await admitted(hospital)).toBeUndefined();

    await h.node.provider.send("evm_increaseTime", [DELAY]);
    await h.node.provider.send("evm_mine", []);
    const executed = await json([...key("o2"), "governance", "execute", f("admit.json")]);
    expect(executed.stage).toBe("executed");
    expect(await admitted(hospital)).toEqual({ role: "HOSPITAL", status: "ACTIVE" });
    expect(await safe.nonce()).toBe(2n);
  });

  it(T.safeRefused, async () => {
    await json([...net, "member", "add-key", "1", h.node.keys[10].address, "--propose", f("add-key.json")]);
    // A non-owner's signature is refused at execution, even beside enough owners'.
    await json([...key("o1"), "governance", "sign", f("add-key.json")]);
    await json([...key("o2"), "governance", "sign", f("add-key.json")]);
    copyFileSync(f("add-key.json"), f("add-key-outsider.json"));
    await json([...key("outsider"), "governance", "sign", f("add-key-outsider.json")]);
    await refused([...key("o3"), "governance", "execute", f("add-key-outsider.json")], "SAFE_NOT_OWNER");
    // The same action made to say something else: its Safe transaction is no longer the action it names.
    const tampered = JSON.parse(readFileSync(f("add-key.json"), "utf8"));
    tampered.action.description = "add key to organisation 1";
    tampered.action.data = tampered.action.data.slice(0, -2) + "ff";
    writeFileSync(f("add-key-tampered.json"), JSON.stringify(tampered));
    await refused([...key("o1"), "governance", "sign", f("add-key-tampered.json")], "GOVERNANCE_PROPOSAL_INVALID");
    // Once the Safe moved past the proposal's transaction, a copy of it is stale.
    await json([...key("o3"), "governance", "execute", f("add-key.json")]);
    await refused([...key("o3"), "governance", "execute", f("admit-execute-copy.json")], "SAFE_NONCE_USED");
    await refused([...key("o3"), "governance", "execute", f("missing.json")], "FILE_NOT_FOUND");
  });

  it("two members, each with its own index and API on the same chain (deployed by medprov deploy under Safe governance), have equal state digests, byte-equal public answers, and the same role-scoped answers or refusals for one caller, as the access table says", async () => {
    const digest = async (db: string) => {
      const r = await h.cli([...net, "index", "--once", "--db", f(db)]);
      expect(r.code, r.stderr).toBe(0);
      return /state digest (0x[0-9a-f]{64})/.exec(r.stdout)![1];
    };
    const [a, b] = [await digest("member-a-index"), await digest("member-b-index")];
    expect(a).toBe(b);
    // Each member's own `serve`, with its own data directory: the public answers are the same bytes.
    const serve = async (db: string) => {
      const port = await freePort();
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MEDPROV_")));
      const child = spawn(process.execPath, [BIN, ...net, "serve", "--db", f(db), "--port", String(port)], { cwd: h.dir, env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout!.on("data", (d) => (out += d));
      child.stderr!.on("data", (d) => (out += d));
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; ; i++) {
        if (child.exitCode !== null || i > 1200) throw new Error(`serve did not get ready:\n${out}`);
        if ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      return { url, stop: () => new Promise((r) => (child.once("exit", r), child.kill("SIGTERM"))) };
    };
    const members = [await serve("member-a-serve"), await serve("member-b-serve")];
    try {
      for (const route of ["/members", "/models", "/datasets", "/versions"]) {
        const [x, y] = await Promise.all(members.map(async (m) => (await fetch(m.url + route)).text()));
        expect(x, route).toBe(y);
        expect(x.length, route).toBeGreaterThan(1);
      }
      expect(JSON.parse(await (await fetch(members[0].url + "/members")).text())).toEqual(expect.arrayContaining([expect.objectContaining({ name: "Hospital C" })]));
      await roleScopedAnswersAgree(members.map((m) => m.url));
    } finally {
      await Promise.all(members.map((m) => m.stop()));
    }
  });

  /**
   * The same caller — nobody, Hospital C (a member) or an outsider's key (a patient) — signed in to
   * each member's API gets the same status and the same bytes; and whether it is answered or refused
   * is what the access table (src/api/access.ts, docs/access.md) says for that route and caller.
   */
  async function roleScopedAnswersAgree(apis: string[]) {
    const keystores: Record<string, string> = { HOSPITAL: h.keystore("hospital-c", h.node.keys[9]), patient: f("outsider.key.json") };
    const outsider = h.node.keys[4].address;
    const routes: [string, Access][] = [["/members", "public"], ["/batches", "hospital"], ["/reports/fairness-alerts", "oversight"], [`/consents/${outsider}`, "subject"], [`/consents/${outsider}/history`, "subject"]];
    const tokens = async (kind: string) => Promise.all(apis.map(async (api) => (await json([...net, "--keystore", keystores[kind], "login", "--api", api])).session as string));
    const callers: [CallerKind, (string | undefined)[]][] = [["anonymous", apis.map(() => undefined)], ["HOSPITAL", await tokens("HOSPITAL")], ["patient", await tokens("patient")]];
    for (const [kind, sessions] of callers) {
      for (const [route, access] of routes) {
        const answers = await Promise.all(apis.map(async (api, i) => {
          const r = await fetch(api + route, sessions[i] ? { headers: { authorization: `Bearer ${sessions[i]}` } } : {});
          return { status: r.status, body: await r.text() };
        }));
        const where = `${kind} ${route}`;
        expect(answers[0].status, where).toBe(answers[1].status);
        expect(answers[0].status === 200, `${where}: ${answers[0].body}`).toBe(allowed(access, kind));
        // Sessions differ between the APIs, but no answer names one: the bytes are equal.
        expect(answers[0].body, where).toBe(answers[1].body);
      }
    }
  }

  checkOwnedCommands(h, "governance.test.ts");
});
