/**
 * End to end: the real `medprov` CLI, spawned as a process, against a Hardhat JSON-RPC node.
 * Every refusal prints one line naming what was wrong, exits non-zero, and changes nothing.
 */
import { describe, it, expect, beforeAll, vi } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { createServer as createHttpServer } from "node:http";
import { promisify } from "node:util";
import { freePort, type RpcNode, type RpcConsortium } from "../helpers/node";
import { BIN, KEY_INDEX, checkOwnedCommands, cliHarness } from "../helpers/cli";
import { T } from "../helpers/cli-coverage";
import { traceInput } from "../helpers/traces";
import { verifyReceiptIndependently } from "../helpers/third-party-verify";
import { TraceVault, connectLedger } from "../../src/sdk";
import { IndexStore } from "../../src/indexer";
import { Purpose, RiskClass, VERSION_STATUSES } from "../../src/constants";

const run = promisify(execFile);
// A test here runs several whole CLI processes one after another; on a loaded two-core machine that
// can take longer than the suite's two minutes (a guard against hangs, not a measure of speed).
vi.setConfig({ testTimeout: 300_000 });
const h = cliHarness();
const { f, cli, json, refused } = h;

let node: RpcNode;
let c: RpcConsortium;
beforeAll(() => {
  ({ node, c } = h);
});

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

  it(T.keystore, async () => {
    const env = { MEDPROV_KEYSTORE_PASSWORD: "correct horse battery staple" };
    const created = await json("none", ["key", "new", "--out", f("patient.key.json")], env);
    expect(existsSync(f("patient.key.json"))).toBe(true);
    expect(await node.provider.getBalance(created.address)).toBe(0n);
    await json("none", ["--keystore", f("patient.key.json"), "consent", "sign-grant", "--purpose", "CLINICAL_DECISION_SUPPORT", "--grantee", "1", "--expires", "30d", "--out", f("grant.json")], env);
    const relayed = await json("hospital", ["consent", "relay", f("grant.json")]);
    expect(relayed.txHash).toMatch(/^0x/);
    await json("none", ["--keystore", f("patient.key.json"), "consent", "sign-revoke", "--purpose", "CLINICAL_DECISION_SUPPORT", "--grantee", "1", "--out", f("revoke.json")], env);
    const revoked = await json("outsider", ["consent", "relay", f("revoke.json")]);
    const history = await json("none", ["consent", "list", "--subject", created.address]);
    expect(history.map((e: { kind: string; relayer: string }) => [e.kind, e.relayer])).toEqual([["GRANTED", c.keys[1].address], ["REVOKED", c.keys[11].address]]);
    // The same revocation relayed again by the same relayer is a retry: its outbox answers with the first relay, nothing is sent twice.
    const retried = await json("outsider", ["consent", "relay", f("revoke.json")]);
    expect(retried.txHash).toBe(revoked.txHash);
    // Relayed by another member, the chain refuses it: that decision is already in force.
    await refused("hospital", ["consent", "relay", f("revoke.json")], "ConsentRegistrySuperseded");
  });

  it(T.direct, async () => {
    await json("patient", ["delegate", "appoint", c.keys[8].address]);
    const subject = c.keys[6].address;
    await json("patient2", ["consent", "grant", "--purpose", "RESEARCH", "--grantee", "any", "--expires", "10d"]);
    const r = await cli("patient", ["consent", "grant", "--purpose", "MODEL_TRAINING", "--grantee", "1", "--expires", "10d"]);
    expect(r.stdout).toMatch(/granted MODEL_TRAINING to organisation 1/);
    const guardianEnv = { MEDPROV_PRIVATE_KEY: c.keys[8].privateKey };
    const g = await cli("none", ["consent", "revoke", "--purpose", "MODEL_TRAINING", "--grantee", "1", "--subject", subject], guardianEnv);
    expect(g.code, g.stderr).toBe(0);
    // Revoking again ends nothing: it is recorded as a cancellation of grants signed until now, and said so.
    const again = await cli("none", ["consent", "revoke", "--purpose", "MODEL_TRAINING", "--grantee", "1", "--subject", subject], guardianEnv);
    expect([again.code, again.stdout], again.stderr).toEqual([0, expect.stringMatching(/no grant was in force: cancelled pending grants signed until now for MODEL_TRAINING for organisation 1/)]);
  });

  it(T.guardianRemoved, async () => {
    const subject = c.keys[6].address;
    const guardian = c.keys[8];
    const { consents } = connectLedger(c.deployment, node.provider);
    expect(await consents.isDelegate(subject, guardian.address)).toBe(true);
    const r = await cli("patient", ["delegate", "remove", guardian.address]);
    expect(r.stdout).toContain(`removed ${guardian.address}`);
    expect(await consents.isDelegate(subject, guardian.address)).toBe(false);
    await Promise.all([
      refused("none", ["consent", "grant", "--purpose", "RESEARCH", "--grantee", "1", "--expires", "10d", "--subject", subject], "ConsentRegistryNotSubjectOrDelegate", { MEDPROV_PRIVATE_KEY: guardian.privateKey }),
      refused("patient", ["delegate", "remove", guardian.address], "ConsentRegistryUnknownDelegate"),
    ]);
  });

  let versionId: string;
  let submitted: string;
  it(T.register, async () => {
    writeFileSync(f("ds.jsonl"), c.keys.slice(6).map((k, i) => JSON.stringify({ subject: k.address, ageBand: "65+", sex: "FEMALE", region: i % 2 ? "WEST" : "EAST", grassroots: true, note: "free text stays off-chain" })).join("\n"));
    const ds = await json("hospital", ["dataset", "register", f("ds.jsonl"), "--purposes", "RESEARCH,MODEL_TRAINING", "--uri", "s3://a/ds.enc", "--parent", c.datasetId]);
    expect(ds.created).toBe(true);
    expect(JSON.parse(readFileSync(f("ds.jsonl.cohort.json"), "utf8")).cohortRoot).toBe(ds.cohortRoot);
    const again = await json("hospital", ["dataset", "register", f("ds.jsonl"), "--purposes", "RESEARCH,MODEL_TRAINING", "--uri", "s3://a/ds.enc", "--parent", c.datasetId]);
    expect([again.created, again.datasetId]).toEqual([false, ds.datasetId]);
    const used = await json("developer", ["dataset", "use", ds.datasetId, "--purpose", "MODEL_TRAINING"]);
    const { datasets } = connectLedger(c.deployment, node.provider);
    expect((await datasets.queryFilter(datasets.filters.DatasetUsed(ds.datasetId, 2, Purpose.MODEL_TRAINING), used.blockNumber, used.blockNumber)).length).toBe(1);
    const model = await json("developer", ["model", "register", "--name", "triage-bot", "--intended-use", "triage", "--risk", "LOW"]);
    const card = (w: string) => ({ model: model.modelId, weightsHash: "0x" + w.repeat(32), trainingDatasets: [ds.datasetId], evaluation: { auc: 8600, sensitivity: 8000, specificity: 8200, subgroupAucGap: 600, biasTestCases: 150, grassrootsShare: 1200 } });
    writeFileSync(f("card1.json"), JSON.stringify(card("c1")));
    writeFileSync(f("card2.json"), JSON.stringify(card("c2")));
    versionId = (await json("developer", ["model", "version", f("card1.json")])).versionId;
    submitted = (await json("developer", ["model", "version", f("card2.json")])).versionId;
    // The regulator's class decides (issue 20): held to HIGH, the LOW-proposed figures are refused; without --risk the proposal is confirmed.
    await refused("regulator", ["model", "approve", versionId, "--filing-code", "NMPA-CLI-1", "--indications", "EMERGENCY_TRIAGE", "--risk", "HIGH"], "ModelRegistryPolicyNotMet");
    await refused("regulator", ["model", "approve", versionId, "--filing-code", "NMPA-CLI-1", "--indications", "EMERGENCY_TRIAGE", "--risk", "SEVERE"], "MODEL_BAD_RISK_CLASS");
    const approved = await cli("regulator", ["model", "approve", versionId, "--filing-code", "NMPA-CLI-1", "--indications", "EMERGENCY_TRIAGE"]);
    expect(approved.stdout).toContain(`approved ${versionId} as NMPA-CLI-1, held to LOW (the developer's proposal, confirmed)`);
    // The hospital deploys it (the traces below use it; the trace anchor takes deployed versions only).
    const { models } = connectLedger(c.deployment, node.provider);
    const deployed = await json("hospital", ["model", "deploy", versionId]);
    expect((await models.queryFilter(models.filters.DeploymentRecorded(versionId, 1), deployed.blockNumber, deployed.blockNumber)).length).toBe(1);
  });

  it(T.lifecycle, async () => {
    const v = c.versionId; // the consortium's HIGH-risk version, approved at bootstrap
    const { models } = connectLedger(c.deployment, node.provider);
    const status = async () => VERSION_STATUSES[Number(await models.versionStatus(v))];
    expect(await models.isDeployed(v, 1)).toBe(true); // deployed at bootstrap; reports need it
    const end = (await node.provider.getBlock("latest"))!.timestamp;
    const report = (days: number, subgroups: [string, number][]) => ({ periodStart: end - days * 86400, periodEnd: end - (days - 7) * 86400, cases: 800, auc: 9150, subgroups: subgroups.map(([subgroup, auc]) => ({ subgroup, auc, cases: 200 })), reportHash: "0x" + String(days).padStart(2, "0").repeat(32) });
    writeFileSync(f("report-fair.json"), JSON.stringify(report(14, [["female", 9200], ["male", 9100]])));
    writeFileSync(f("report-gap.json"), JSON.stringify(report(28, [["rural", 8200], ["urban", 9300]])));
    // The hospital's reports and the regulator's actions are independent (a report needs a deployment, not an approval).
    const reports = (async () => {
      const fair = await json("hospital", ["model", "report", v, f("report-fair.json")]);
      expect([fair.reportId, fair.alert]).toEqual([expect.stringMatching(/^0x[0-9a-f]{64}$/), undefined]);
      const gap = await cli("hospital", ["model", "report", v, f("report-gap.json")]);
      expect(gap.stdout).toContain("FAIRNESS ALERT: subgroup AUC gap 1100 bps exceeds the policy limit 500 bps");
    })();
    const actions = (async () => {
      for (const [verb, after] of [["suspend", "SUSPENDED"], ["reinstate", "APPROVED"], ["recall", "RECALLED"]] as const) {
        const r = await cli("regulator", ["model", verb, v, "--notice", `notice to ${verb}`]);
        expect(r.stdout, r.stderr).toContain(`${verb === "suspend" ? "suspended" : verb === "reinstate" ? "reinstated" : "recalled"} ${v}`);
        expect(await status()).toBe(after);
      }
    })();
    await Promise.all([reports, actions]);
    expect((await models.queryFilter(models.filters.FairnessAlert(v))).map((e) => Number(e.args.gap))).toEqual([1100]);
    // Recalled is final.
    await refused("regulator", ["model", "reinstate", v, "--notice", "too late"], "ModelRegistryInvalidTransition");
    expect(await status()).toBe("RECALLED");
  });

  let traceId: string;
  it(T.traces, async () => {
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
    // The one check a command without an index cannot make is said in words, not as a bare error code
    // beside VALID (read as a consent failure by a new user).
    expect(ok.stdout).toContain("not checked here: consent at the time (needs an index: POST /verify checks it)");
    expect(ok.stdout).not.toContain("CONSENT_NOT_VALID_AT_TIME");
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

  it(T.flush, async () => {
    const now = (await node.provider.getBlock("latest"))!.timestamp;
    const traces = Array.from({ length: 3 }, () => traceInput(versionId, { time: now }));
    writeFileSync(f("queued.jsonl"), traces.map((t) => JSON.stringify(t)).join("\n"));
    const appended = await json("hospital", ["trace", "append", f("queued.jsonl"), "--vault", f("vault")]);
    expect([appended.queued, appended.batches]).toEqual([3, []]);
    // The same file again queues nothing, and says why (a user trial saw a bare "queued 0").
    const repeated = await cli("hospital", ["trace", "append", f("queued.jsonl"), "--vault", f("vault")]);
    expect([repeated.code, repeated.stdout.trim()], repeated.stderr).toEqual([0, "queued 0 trace(s) (all 3 already in the vault: 3 queued; appending is idempotent)"]);
    const { traces: anchor } = connectLedger(c.deployment, node.provider);
    const next = await anchor.nextSequence(1);
    const flushed = await json("hospital", ["trace", "flush", "--vault", f("vault")]);
    expect(flushed.batches.map((b: { count: number }) => b.count)).toEqual([3]);
    expect(await anchor.nextSequence(1)).toBe(next + 3n);
    expect(await anchor.batchRoot(flushed.batches[0].batchId)).toBe(flushed.batches[0].root);
    await cli("hospital", ["trace", "receipt", traces[1].traceId, "--vault", f("vault"), "--out", f("flushed-receipt.json")]);
    expect(await verifyReceiptIndependently(JSON.parse(readFileSync(f("flushed-receipt.json"), "utf8")), node.url, c.deployment)).toBe(true);
    const again = await cli("hospital", ["trace", "flush", "--vault", f("vault")]);
    expect([again.code, again.stdout.trim()]).toEqual([0, "nothing to anchor"]);
    // Anchored now, and one line of the file twice: each reason counted, nothing queued or sent.
    writeFileSync(f("requeued.jsonl"), [...traces, traces[0]].map((t) => JSON.stringify(t)).join("\n"));
    const requeued = await json("hospital", ["trace", "append", f("requeued.jsonl"), "--vault", f("vault"), "--flush"]);
    expect(requeued).toMatchObject({ queued: 0, skipped: { inVault: 3, inVaultByState: { anchored: 3 }, repeatedInFile: 1 }, batches: [] });
    expect(await anchor.nextSequence(1)).toBe(next + 3n);
    // Every trace of this vault was anchored: none is quarantined (test/sdk/batcher-crash.test.ts lists a recall's).
    expect((await json("hospital", ["trace", "quarantined", "--vault", f("vault")])).quarantined).toEqual([]);
  });

  it(T.policy, async () => {
    const args = ["policy", "set", "--risk", "MEDIUM", "--min-auc", "8600", "--max-gap", "700", "--min-bias-cases", "250", "--min-grassroots", "1500", "--execute"];
    await refused("regulator", args, "AccessManagerUnauthorizedCall");
    const r = await cli("governance", args);
    expect(r.stdout).toContain("executed: set MEDIUM policy");
    const { models } = connectLedger(c.deployment, node.provider);
    const policy = await models.policy(RiskClass.MEDIUM);
    expect([policy.minAuc, policy.maxSubgroupAucGap, policy.minBiasTestCases, policy.minGrassrootsShare]).toEqual([8600n, 700n, 250n, 1500n]);
    await refused("governance", ["policy", "set", "--risk", "MEDIUM", "--min-auc", "86000", "--max-gap", "700", "--min-bias-cases", "250", "--min-grassroots", "1500"], "BAD_POLICY");
  });

  it(T.serve, async () => {
    const port = await freePort();
    const app = "https://patient.example";
    const serve = await h.daemon("hospital", ["serve", "--db", f("serve-index"), "--port", String(port), "--cors-origin", app, "--trust-proxy", "loopback", "--relay"], "medprov: API on");
    let exit: number | null;
    try {
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
      exit = await serve.stop();
    }
    expect(exit).toBe(0);
    expect(serve.output()).toContain("medprov: stopped");
  });

  it(T.serveRefused, async () => {
    // What Fastify's trustProxy accepts is accepted here too (a netmask range, a named range).
    const { proxyArg } = await import("../../src/cli/parse");
    expect(["10.0.0.0/255.0.0.0", "fe80::/10", "uniquelocal"].map(proxyArg)).toEqual(["10.0.0.0/255.0.0.0", "fe80::/10", "uniquelocal"]);
    // A port taken by another process: named, and nothing keeps running (the process exits).
    const busy = createServer();
    const busyPort = await freePort();
    await new Promise<void>((resolve) => busy.listen(busyPort, "127.0.0.1", resolve));
    // LevelDB admits one process per database: a second indexer or API on it is told so by name.
    const held = await IndexStore.open(f("held-index"));
    // An index from before key layouts had numbers: refused by name, with the way out in the message.
    const old = await IndexStore.open(f("old-layout"));
    await old.write([{ type: "put", key: "meta:cursor", value: { block: 1, hash: "0x01" } }, { type: "del", key: "meta:layout" }]);
    await old.close();
    // Every refusal is independent of the others (none writes), so they run side by side.
    try {
      await Promise.all([
        refused("none", ["serve", "--port", "0"], "BAD_NUMBER"),
        refused("none", ["serve", "--port", "70000"], "BAD_NUMBER"),
        refused("none", ["serve", "--cors-origin", "https://patient.example/app"], "BAD_ORIGIN"),
        refused("none", ["serve", "--cors-origin", "*"], "BAD_ORIGIN"),
        refused("none", ["serve", "--public-url", "ftp://medprov.example"], "BAD_URL"),
        refused("none", ["serve", "--trust-proxy", "10.0.0.0/33"], "BAD_PROXY"),
        refused("none", ["serve", "--trust-proxy", "proxy.internal"], "BAD_PROXY"),
        refused("none", ["serve", "--db", f("never-opened"), "--relay"], "KEY_MISSING"),
        refused("none", ["serve", "--db", f("busy-port-index"), "--port", String(busyPort)], "PORT_IN_USE"),
        freePort().then((port) => refused("none", ["serve", "--db", f("held-index"), "--port", String(port)], "INDEX_LOCKED")),
        refused("none", ["index", "--db", f("held-index"), "--once"], "INDEX_LOCKED"),
        refused("none", ["index", "--db", f("old-layout"), "--once"], "INDEX_LAYOUT"),
      ]);
    } finally {
      busy.close();
      await held.close();
    }
    expect(existsSync(f("never-opened"))).toBe(false);
  });

  it(T.keyRefused, async () => {
    const keystore = readFileSync(f("patient.key.json"), "utf8");
    await Promise.all([
      refused("none", ["key", "new", "--out", f("no-password.key.json")], "KEY_NO_PASSWORD"),
      refused("none", ["key", "new", "--out", f("patient.key.json")], "KEY_EXISTS", { MEDPROV_KEYSTORE_PASSWORD: "another password" }),
      refused("none", ["receipt", "verify", f("no-such-receipt.json")], "FILE_NOT_FOUND"),
    ]);
    expect(existsSync(f("no-password.key.json"))).toBe(false);
    expect(readFileSync(f("patient.key.json"), "utf8")).toBe(keystore);
  });

  describe("bad input: one line, non-zero exit, nothing written", () => {
    it(T.traceRefused, async () => {
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

    it(T.unknown, async () => {
      writeFileSync(f("ghost-card.json"), JSON.stringify({ model: "0x" + "ee".repeat(32), weightsHash: "0x" + "dd".repeat(32), trainingDatasets: [c.datasetId], evaluation: { auc: 9000, sensitivity: 9000, specificity: 9000, subgroupAucGap: 100, biasTestCases: 400, grassrootsShare: 3000 } }));
      writeFileSync(f("card-extra.json"), JSON.stringify({ ...JSON.parse(readFileSync(f("card1.json"), "utf8")), secretSauce: 1 }));
      await Promise.all([
        refused("hospital", ["dataset", "use", "0x" + "00".repeat(31) + "01", "--purpose", "RESEARCH"], "DatasetRegistryUnknownDataset"),
        refused("developer", ["model", "version", f("ghost-card.json")], "ModelRegistryUnknownModel"),
        refused("hospital", ["model", "deploy", submitted], "ModelRegistryNotApproved"),
        refused("developer", ["model", "version", f("card-extra.json")], "CARD_UNKNOWN_FIELD"),
        refused("regulator", ["model", "approve", "0x1234", "--filing-code", "X", "--indications", "EMERGENCY_TRIAGE"], "BAD_ID"),
        refused("none", ["index", "--db", f("never-index"), "--once", "--rpc-batch", "0"], "BAD_NUMBER"),
      ]);
      expect(existsSync(f("never-index"))).toBe(false);
    });

    it("unauthorised keys: wrong role, non-member, no key at all", async () => {
      const [, r] = await Promise.all([
        refused("developer", ["dataset", "register", f("ds.jsonl"), "--purposes", "RESEARCH", "--uri", "s3://x"], "ConsortiumWrongRole"),
        refused("outsider", ["model", "approve", submitted, "--filing-code", "NMPA-X", "--indications", "EMERGENCY_TRIAGE"], "ConsortiumUnknownKey"),
        refused("none", ["model", "approve", submitted, "--filing-code", "NMPA-X", "--indications", "EMERGENCY_TRIAGE"], "KEY_MISSING"),
        refused("auditor", ["member", "admit", "--name", "Rogue", "--role", "HOSPITAL", "--key", c.keys[10].address], "AccessManagerUnauthorizedCall"),
      ]);
      expect(r.stderr).toContain("not registered to any consortium member");
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
      // One line of why: ethers' own "failed to detect network … retry in 1s" lines no longer come first.
      expect(down.stderr.trim().split("\n")).toHaveLength(1);
      expect(down.stdout).toBe("");
    });
  });

  it("each RPC call has its own connection: a node that drops a kept-alive connection as a call arrives does not fail the command", async () => {
    // What a client sees when a node's keep-alive timeout (5 s in Node) closes a connection just as
    // the command, idle for seconds (unlocking a keystore, hashing a dataset), writes its next call
    // on it: the connection is reset. Here every connection's second request is reset, so the race
    // is certain instead of rare.
    const served = new WeakSet<object>();
    const proxy = createHttpServer(async (req, res) => {
      if (served.has(req.socket)) return void req.socket.destroy();
      served.add(req.socket);
      let body = "";
      for await (const chunk of req) body += chunk;
      const upstream = await fetch(node.url, { method: "POST", headers: { "content-type": "application/json" }, body });
      res.writeHead(200, { "content-type": "application/json" }).end(await upstream.text());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const rpc = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const list = (url: string) => run(process.execPath, [BIN, "--rpc", url, "--deployment", c.deploymentPath, "--json", "consent", "list", "--subject", c.keys[7].address]).catch((e) => e);
      const [through, direct] = await Promise.all([list(rpc), list(node.url)]);
      expect([through.code ?? 0, through.stderr]).toEqual([0, ""]);
      expect(JSON.parse(through.stdout)).toEqual(JSON.parse(direct.stdout));
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  describe("time is the chain's", () => {
    it("--expires counts from the chain's head block time, not the host clock (the chain runs 10 days ahead)", async () => {
      await node.provider.send("evm_increaseTime", [10 * 86400]);
      await node.provider.send("evm_mine", []);
      const head = (await node.provider.getBlock("latest"))!.timestamp;
      expect(head - Date.now() / 1000).toBeGreaterThan(9 * 86400); // the two clocks really disagree
      // Signing mines nothing, so both commands read this same head.
      const signed = await json("patient2", ["consent", "sign-grant", "--purpose", "COMMERCIAL_USE", "--grantee", "3", "--expires", "30d", "--out", f("chain-time-grant.json")]);
      expect(BigInt(signed.request.expiresAt)).toBe(BigInt(head + 30 * 86400));
      const r = await cli("patient", ["consent", "grant", "--purpose", "COMMERCIAL_USE", "--grantee", "3", "--expires", "12h"]);
      expect(r.stdout, r.stderr).toContain(`until ${new Date((head + 12 * 3600) * 1000).toISOString()}`);
      const { consents } = connectLedger(c.deployment, node.provider);
      expect((await consents.consent(c.keys[6].address, Purpose.COMMERCIAL_USE, 3)).expiresAt).toBe(BigInt(head + 12 * 3600));
      // An absolute expiry is taken as given.
      // consent list prints each line's block time, the chain's (10 days ahead of this host), beside its number; --json rows carry it too.
      const [listed, lines] = await Promise.all([json("patient", ["consent", "list"]), cli("patient", ["consent", "list"])]);
      const row = listed.find((e: { purpose: number; kind: string }) => e.purpose === Purpose.COMMERCIAL_USE && e.kind === "GRANTED");
      const block = (await node.provider.getBlock(row.blockNumber))!;
      expect(row).toMatchObject({ blockTime: block.timestamp, blockTimeIso: new Date(block.timestamp * 1000).toISOString(), expiresAtIso: new Date((head + 12 * 3600) * 1000).toISOString(), signedAtIso: new Date(row.signedAt * 1000).toISOString() });
      expect(block.timestamp - Date.now() / 1000).toBeGreaterThan(9 * 86400);
      expect(lines.stdout).toMatch(new RegExp(`^block ${row.blockNumber} at ${row.blockTimeIso.replace(/\./g, "\\.")}  GRANTED +COMMERCIAL_USE +organisation 3 until `, "m"));
      expect(listed.every((e: { blockTime: number; blockTimeIso: string }) => typeof e.blockTime === "number" && e.blockTimeIso === new Date(e.blockTime * 1000).toISOString())).toBe(true);
      const at = head + 90 * 86400;
      await json("patient2", ["consent", "sign-grant", "--purpose", "COMMERCIAL_USE", "--grantee", "3", "--expires", String(at), "--out", f("absolute-grant.json")]);
      expect(JSON.parse(readFileSync(f("absolute-grant.json"), "utf8")).request.expiresAt).toBe(String(at));
    });
  });

  checkOwnedCommands(h, "cli.test.ts");
});
