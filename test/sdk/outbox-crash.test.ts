/**
 * The outbox against a real node (anvil) and real crashes: a relaying process is SIGKILLed after
 * signing before the broadcast, after the broadcast before the receipt, and after the receipt
 * before the acknowledgement, and restarted each time; in the end every relayed grant landed
 * exactly once, nothing acknowledged is missing and no nonce was wasted. A node that dropped its
 * mempool gets the kept transaction again, from `resume` after a restart and from a waiting
 * `sendWrite`.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { id, Wallet } from "ethers";
import { startNode, bootstrapConsortium, type RpcNode, type RpcConsortium } from "../helpers/node";
import { chainNow, connectLedger, Hospital, Outbox, OutboxSigner, Patient, type LedgerContracts, type SignedGrant } from "../../src/sdk";
import { Purpose } from "../../src/constants";
import { OUTBOX_WORKER_BUNDLE } from "../helpers/bundles";

const ROOT = join(__dirname, "..", "..");
const WRITES = 8;

let node: RpcNode;
let c: RpcConsortium;
let ledger: LedgerContracts;

beforeAll(async () => {
  node = await startNode("anvil");
  c = await bootstrapConsortium(node);
  ledger = connectLedger(c.deployment, node.provider);
}, 120_000);
afterAll(async () => node?.stop());

interface Run {
  acks: Map<number, string>;
  resumed?: { acknowledged: string[]; replaced: string[] };
  stoppedAt?: string;
  done: boolean;
}

/** Runs the worker until it reports being at `stopAt` (then `whileStopped`, then SIGKILL), or to the end. */
function runWorker(outboxPath: string, stopAt: string, whileStopped: () => Promise<void> = async () => undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OUTBOX_WORKER_BUNDLE, node.url, c.deploymentPath, outboxPath, String(WRITES), stopAt], {
      cwd: ROOT,
      env: { ...process.env, MEDPROV_PRIVATE_KEY: c.keys[1].privateKey },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const run: Run = { acks: new Map(), done: false };
    let buffer = "";
    let stderr = "";
    child.stdout!.on("data", (d) => {
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const [word, ...rest] = line.split(" ");
        if (word === "ack") run.acks.set(Number(rest[0]), rest[1]);
        if (word === "resumed") run.resumed = JSON.parse(rest.join(" "));
        if (word === "done") run.done = true;
        if (word === "at") {
          run.stoppedAt = rest[0];
          whileStopped().then(() => child.kill("SIGKILL"), reject);
        }
      }
    });
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (code, signal) => {
      if (signal !== "SIGKILL" && code !== 0) reject(new Error(`worker failed (${code ?? signal}): ${stderr}`));
      else resolve(run);
    });
  });
}

/** The outbox's single unacknowledged entry after a kill, and whether the node has it mined. */
async function leftBehind(outboxPath: string) {
  const outbox = await Outbox.open(outboxPath);
  const pending = await outbox.pending();
  await outbox.close();
  expect(pending).toHaveLength(1);
  return { entry: pending[0], mined: (await node.provider.getTransactionReceipt(pending[0].hash)) !== null };
}

describe("Outbox crash safety", () => {
  it("lands every write exactly once across SIGKILLs at each step, wasting no nonce", async () => {
    const outboxPath = join(mkdtempSync(join(tmpdir(), "medprov-outbox-crash-")), "outbox");
    const hospital = c.keys[1].address;
    const firstNonce = await node.provider.getTransactionCount(hospital);
    const acknowledged = new Map<number, string>();
    const lockedWhileRunning = async () => {
      await expect(Outbox.open(outboxPath)).rejects.toMatchObject({ code: "OUTBOX_LOCKED" });
    };

    // Killed after signing, before broadcasting: the node never saw it.
    const signed = await runWorker(outboxPath, "signed:1", lockedWhileRunning);
    expect(signed).toMatchObject({ stoppedAt: "signed:1", done: false });
    const notSent = await leftBehind(outboxPath);
    expect(notSent.mined).toBe(false);
    expect(await node.provider.getTransaction(notSent.entry.hash)).toBeNull();

    // Restarted (resume re-broadcasts it), then killed after the broadcast, before the receipt was read.
    const broadcast = await runWorker(outboxPath, "broadcast:3");
    expect(broadcast.resumed?.acknowledged).toEqual([notSent.entry.hash]);
    expect(broadcast.stoppedAt).toBe("broadcast:3");
    const unread = await leftBehind(outboxPath);
    expect(unread).toMatchObject({ mined: true, entry: { state: "signed", key: "relay:3" } });

    // Restarted, then killed with the receipt in hand, before the acknowledgement was written.
    const included = await runWorker(outboxPath, "included:5");
    expect(included.resumed?.acknowledged).toEqual([unread.entry.hash]);
    expect(included.stoppedAt).toBe("included:5");
    const unacknowledged = await leftBehind(outboxPath);
    expect(unacknowledged).toMatchObject({ mined: true, entry: { key: "relay:5" } });

    const last = await runWorker(outboxPath, "none");
    expect(last.resumed?.acknowledged).toEqual([unacknowledged.entry.hash]);
    expect(last.done).toBe(true);
    for (const run of [signed, broadcast, included, last]) {
      for (const [i, hash] of run.acks) {
        if (acknowledged.has(i)) expect(hash).toBe(acknowledged.get(i)); // a retry answers with the first outcome
        acknowledged.set(i, hash);
      }
    }
    expect([...acknowledged.keys()].sort()).toEqual(Array.from({ length: WRITES }, (_, i) => i));

    // Exactly once on the chain, each acknowledged transaction among them, and no nonce wasted.
    for (let i = 0; i < WRITES; i++) {
      const patient = new Wallet(id(`outbox-crash-patient-${i}`)).address;
      const events = await ledger.consents.queryFilter(ledger.consents.filters.ConsentGranted(patient));
      expect(events.map((e) => e.transactionHash)).toEqual([acknowledged.get(i)]);
    }
    expect(await node.provider.getTransactionCount(hospital)).toBe(firstNonce + WRITES);
    const outbox = await Outbox.open(outboxPath);
    const entries = await outbox.entries();
    await outbox.close();
    expect(entries.map((e) => [e.state, e.nonce, e.key])).toEqual(Array.from({ length: WRITES }, (_, i) => ["acknowledged", firstNonce + i, `relay:${i}`]));
  }, 300_000);
});

describe("Outbox and a node that lost its mempool", () => {
  /** Hospital B's relays of new patients' grants (hospital A's nonces belong to the crash test). */
  async function signedGrant(seed: string): Promise<SignedGrant> {
    const expiresAt = (await chainNow(node.provider)).time + 86_400;
    return new Patient(ledger, new Wallet(id(seed), node.provider)).signGrant({ purpose: Purpose.RESEARCH, grantee: 5, expiresAt });
  }
  const grants = async (seed: string) => (await ledger.consents.queryFilter(ledger.consents.filters.ConsentGranted(new Wallet(id(seed)).address))).length;

  it("re-broadcasts the kept transaction when the restarted process resumes", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "medprov-outbox-drop-")), "outbox");
    const outbox = await Outbox.open(path);
    const signed = await signedGrant("dropped-then-resumed");
    await node.provider.send("evm_setAutomine", [false]);
    const consents = ledger.consents.connect(new OutboxSigner(outbox, c.keys[5]));
    const tx = await consents.grantConsentBySig(signed.request, signed.signature);
    await outbox.close();
    await node.provider.send("anvil_dropAllTransactions", []);
    expect(await node.provider.getTransaction(tx.hash)).toBeNull();
    await node.provider.send("evm_setAutomine", [true]);

    const reopened = await Outbox.open(path);
    expect(await reopened.resume(node.provider)).toEqual({ acknowledged: [tx.hash], replaced: [], refused: [], otherChains: 0 });
    await reopened.close();
    expect((await node.provider.getTransactionReceipt(tx.hash))?.status).toBe(1);
    expect(await grants("dropped-then-resumed")).toBe(1);
  });

  it("re-sends while sendWrite waits, so the write is acknowledged anyway", async () => {
    let broadcast!: (hash: string) => void;
    const sent = new Promise<string>((r) => (broadcast = r));
    const outbox = await Outbox.open(join(mkdtempSync(join(tmpdir(), "medprov-outbox-drop-")), "outbox"), { rebroadcastMs: 50, onProgress: ({ phase, entry }) => void (phase === "broadcast" && broadcast(entry.hash)) });
    const signed = await signedGrant("dropped-while-waiting");
    await node.provider.send("evm_setAutomine", [false]);
    const write = new Hospital(ledger, new OutboxSigner(outbox, c.keys[5])).relayGrant(signed);
    const hash = await sent;
    await node.provider.send("anvil_dropAllTransactions", []);
    await node.provider.send("evm_setAutomine", [true]);
    await node.provider.send("evm_mine", []); // in case a re-send landed between the two calls above
    const result = await write;
    expect(result.txHash).toBe(hash);
    expect((await outbox.get(hash))?.state).toBe("acknowledged");
    await outbox.close();
    expect(await grants("dropped-while-waiting")).toBe(1);
  });
});
