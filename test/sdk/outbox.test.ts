/**
 * The durable outbox on the in-process Hardhat network: a write is kept before it is broadcast and
 * acknowledged only once durable; one signer's concurrent sends take consecutive nonces; an
 * idempotency key answers a retry with the first outcome; resume re-sends what the node lost and
 * names what another transaction replaced; a second opener of the same path is refused.
 */
import { describe, it, expect, afterEach } from "vitest";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { id, Wallet } from "ethers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { testWallets } from "../helpers/node";
import { Hospital, Outbox, OutboxSigner, Patient, sendWrite, type SignedGrant } from "../../src/sdk";
import { Purpose } from "../../src/constants";

const provider = hre.ethers.provider;
const opened: Outbox[] = [];

async function openOutbox(options: Parameters<typeof Outbox.open>[1] = {}): Promise<Outbox> {
  const outbox = await Outbox.open(join(mkdtempSync(join(tmpdir(), "medprov-outbox-")), "outbox"), options);
  opened.push(outbox);
  return outbox;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
  await provider.send("evm_setAutomine", [true]);
});

/** Hospital A's key as a Wallet (the fixture's signer #2), which an OutboxSigner can wrap. */
const hospitalKey = () => testWallets(20)[2].connect(provider);

/** A new patient's signed MODEL_TRAINING grant to hospital A. */
async function signedGrant(l: Ledger, seed: string): Promise<{ patient: Wallet; signed: SignedGrant }> {
  const patient = new Wallet(id(seed), provider);
  const signed = await new Patient(l, patient).signGrant({ purpose: Purpose.MODEL_TRAINING, grantee: ORG.HOSPITAL_A, expiresAt: (await time.latest()) + 86_400 });
  return { patient, signed };
}

const grantsOf = async (l: Ledger, subject: string) => (await l.consents.queryFilter(l.consents.filters.ConsentGranted(subject))).length;

describe("Outbox", () => {
  it("keeps the signed transaction before broadcasting it and returns from sendWrite only once acknowledged", async () => {
    const l = await loadFixture(ledgerFixture);
    const seen: string[] = [];
    const outbox = await openOutbox({
      onProgress: async ({ phase, entry }) => {
        seen.push(phase);
        if (phase === "signed") {
          expect((await outbox.get(entry.hash))?.state).toBe("signed"); // on disk...
          expect(await provider.getTransaction(entry.hash)).toBeNull(); // ...before the node has it
        }
      },
    });
    const { patient, signed } = await signedGrant(l, "patient-keep");
    const result = await new Hospital(l, new OutboxSigner(outbox, hospitalKey())).relayGrant(signed);
    seen.push("returned");
    expect(seen).toEqual(["signed", "broadcast", "included", "acknowledged", "returned"]);
    const entry = (await outbox.entries()).find((e) => e.hash === result.txHash)!;
    expect(entry).toMatchObject({ state: "acknowledged", from: hospitalKey().address, included: { blockNumber: result.blockNumber, status: 1 } });
    expect(entry.createdIso).toBe(new Date(entry.created * 1000).toISOString());
    expect(entry.acknowledgedIso).toBe(new Date(entry.acknowledged! * 1000).toISOString());
    expect(await outbox.pending()).toEqual([]);
    expect(await grantsOf(l, patient.address)).toBe(1);
  });

  it("waits for the durability hook: the entry is included, not acknowledged, until the hook returns", async () => {
    const l = await loadFixture(ledgerFixture);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: (state: string | undefined) => void;
    const inHook = new Promise<string | undefined>((r) => (entered = r));
    let returned = false;
    const outbox = await openOutbox({
      durability: {
        durable: async (receipt) => {
          entered((await outbox.get(receipt.hash))?.state);
          await gate;
        },
      },
    });
    const { signed } = await signedGrant(l, "patient-hook");
    const write = new Hospital(l, new OutboxSigner(outbox, hospitalKey())).relayGrant(signed).then((r) => ((returned = true), r));
    expect(await inHook).toBe("included");
    expect(returned).toBe(false);
    release();
    const result = await write;
    expect((await outbox.get(result.txHash))?.state).toBe("acknowledged");
  });

  it("with a confirmations policy, acknowledges only once that many blocks hold the receipt", async () => {
    const l = await loadFixture(ledgerFixture);
    let ackHead = -1;
    let acknowledged = false;
    const outbox = await openOutbox({
      durability: { confirmations: 3 },
      onProgress: async ({ phase }) => {
        if (phase === "acknowledged") {
          acknowledged = true;
          ackHead = await provider.getBlockNumber();
        }
        // Blocks keep coming after inclusion, as on a live chain.
        if (phase === "included") void (async () => { while (!acknowledged) await provider.send("evm_mine", []); })();
      },
    });
    const { signed } = await signedGrant(l, "patient-confirm");
    const result = await new Hospital(l, new OutboxSigner(outbox, hospitalKey())).relayGrant(signed);
    expect(ackHead).toBeGreaterThanOrEqual(result.blockNumber + 2);
  });

  it("gives one signer's concurrent sends distinct, consecutive nonces", async () => {
    const l = await loadFixture(ledgerFixture);
    const outbox = await openOutbox();
    const key = hospitalKey();
    const first = await provider.getTransactionCount(key.address);
    const grants = await Promise.all(Array.from({ length: 12 }, (_, i) => signedGrant(l, `patient-burst-${i}`)));
    const signer = new OutboxSigner(outbox, key);
    const results = await Promise.all(grants.map(({ signed }) => new Hospital(l, signer).relayGrant(signed)));
    const nonces = (await Promise.all(results.map((r) => outbox.get(r.txHash)))).map((e) => e!.nonce).sort((a, b) => a - b);
    expect(nonces).toEqual(Array.from({ length: 12 }, (_, i) => first + i));
    expect(await provider.getTransactionCount(key.address)).toBe(first + 12);
    for (const { patient } of grants) expect(await grantsOf(l, patient.address)).toBe(1);
  });

  it("answers a retry under the same idempotency key with the first outcome, signing nothing new", async () => {
    const l = await loadFixture(ledgerFixture);
    const outbox = await openOutbox();
    const key = hospitalKey();
    const signer = new OutboxSigner(outbox, key);
    const { patient, signed } = await signedGrant(l, "patient-idempotent");
    const relayKey = id(signed.signature);
    const first = await new Hospital(l, signer.withKey(relayKey)).relayGrant(signed);
    const count = await provider.getTransactionCount(key.address);
    // The same request retried, and two more retries racing each other.
    const retries = await Promise.all([0, 1, 2].map(() => new Hospital(l, signer.withKey(relayKey)).relayGrant(signed)));
    for (const r of retries) expect(r).toEqual(first);
    expect(await provider.getTransactionCount(key.address)).toBe(count);
    expect(await grantsOf(l, patient.address)).toBe(1);
    expect((await outbox.entries()).filter((e) => e.key === relayKey)).toHaveLength(1);
    // The key names one logical write: another function under it is refused, not answered with the grant.
    await expect(new Hospital(l, signer.withKey(relayKey)).deployVersion(id("some version"))).rejects.toMatchObject({ code: "OUTBOX_KEY_CONFLICT" });
  });

  it("numbers a keyed signer's sends (key, key#1…), so a re-run step of several writes is answered write by write", async () => {
    const l = await loadFixture(ledgerFixture);
    const outbox = await openOutbox();
    const key = hospitalKey();
    const base = new OutboxSigner(outbox, key);
    const [a, b] = [await signedGrant(l, "patient-step-a"), await signedGrant(l, "patient-step-b")];
    const step = new Hospital(l, base.withKey("seed:step"));
    // A send refused before anything was kept (a tampered signature fails estimation) does not use up a name.
    await expect(step.relayGrant({ ...a.signed, signature: b.signed.signature })).rejects.toMatchObject({ name: "LedgerRevertError" });
    const first = [await step.relayGrant(a.signed), await step.relayGrant(b.signed)];
    expect((await outbox.entries()).map((e) => e.key)).toEqual(["seed:step", "seed:step#1"]);
    const count = await provider.getTransactionCount(key.address);
    const rerun = new Hospital(l, base.withKey("seed:step"));
    expect([await rerun.relayGrant(a.signed), await rerun.relayGrant(b.signed)]).toEqual(first);
    expect(await provider.getTransactionCount(key.address)).toBe(count);
  });

  it("counts a reverted receipt as included: the revert is the answer, acknowledged and raised by name", async () => {
    const l = await loadFixture(ledgerFixture);
    const outbox = await openOutbox();
    const d = l.datasets.connect(new OutboxSigner(outbox, hospitalKey()));
    // An explicit gas limit skips estimation, so the unknown dataset is refused by the mined transaction itself.
    await expect(sendWrite(d, () => d.recordUse(id("no such dataset"), Purpose.RESEARCH, { gasLimit: 200_000 }))).rejects.toMatchObject({ name: "LedgerRevertError", code: "DatasetRegistryUnknownDataset" });
    const [entry] = await outbox.entries();
    expect(entry).toMatchObject({ state: "acknowledged", included: { status: 0 } });
  });

  it("leaves writes of other signers alone", async () => {
    const l = await loadFixture(ledgerFixture);
    const outbox = await openOutbox();
    const { signed } = await signedGrant(l, "patient-plain");
    const result = await new Hospital(l, l.hospitalA).relayGrant(signed);
    expect(result.blockNumber).toBeGreaterThan(0);
    expect(await outbox.entries()).toEqual([]);
  });

  it("refuses a second opener of the same path with OUTBOX_LOCKED, naming the path", async () => {
    const outbox = await openOutbox();
    await expect(Outbox.open(outbox.path)).rejects.toMatchObject({ code: "OUTBOX_LOCKED", message: expect.stringContaining(outbox.path) });
    await expect(Outbox.open(outbox.path)).rejects.toThrow(/another medprov process writes with it/);
  });
});

describe("Outbox.resume", () => {
  /** Sends through the outbox with automine off, so the transaction waits in the node's mempool. */
  async function sendUnmined(l: Ledger, outbox: Outbox, seed: string) {
    await provider.send("evm_setAutomine", [false]);
    const { patient, signed } = await signedGrant(l, seed);
    const c = l.consents.connect(new OutboxSigner(outbox, hospitalKey()));
    const tx = await c.grantConsentBySig(signed.request, signed.signature);
    return { patient, hash: tx.hash, nonce: tx.nonce };
  }

  it("re-broadcasts an entry the node lost, and acknowledges it once mined", async () => {
    const l = await loadFixture(ledgerFixture);
    const outbox = await openOutbox();
    const { patient, hash } = await sendUnmined(l, outbox, "patient-lost");
    await provider.send("hardhat_dropTransaction", [hash]);
    expect(await provider.getTransaction(hash)).toBeNull();
    await provider.send("evm_setAutomine", [true]);
    expect(await outbox.resume(provider)).toEqual({ acknowledged: [hash], replaced: [], refused: [], otherChains: 0 });
    expect((await provider.getTransactionReceipt(hash))?.status).toBe(1);
    expect(await grantsOf(l, patient.address)).toBe(1);
    expect(await outbox.pending()).toEqual([]);
  });

  it("puts a lost earlier entry back before the next send, so its nonce leaves no gap even without a resume", async () => {
    const l = await loadFixture(ledgerFixture);
    const outbox = await openOutbox();
    const lost = await sendUnmined(l, outbox, "patient-gap-first");
    await provider.send("hardhat_dropTransaction", [lost.hash]);
    await provider.send("evm_setAutomine", [true]);
    const { patient, signed } = await signedGrant(l, "patient-gap-second");
    const c = l.consents.connect(new OutboxSigner(outbox, hospitalKey()));
    const next = await sendWrite(c, () => c.grantConsentBySig(signed.request, signed.signature), { timeoutMs: 30_000 });
    expect((await outbox.get(next.txHash))?.nonce).toBe(lost.nonce + 1);
    expect((await provider.getTransactionReceipt(lost.hash))?.status).toBe(1);
    expect(await grantsOf(l, lost.patient.address)).toBe(1);
    expect(await grantsOf(l, patient.address)).toBe(1);
  });

  it("times out with TX_TIMEOUT (retryable) and keeps the entry for the next resume", async () => {
    const l = await loadFixture(ledgerFixture);
    const outbox = await openOutbox();
    const { hash } = await sendUnmined(l, outbox, "patient-slow");
    await expect(outbox.resume(provider, { timeoutMs: 200 })).rejects.toMatchObject({ code: "TX_TIMEOUT", retryable: true });
    expect((await outbox.pending()).map((e) => e.hash)).toEqual([hash]);
    await provider.send("evm_mine", []);
    expect((await outbox.resume(provider)).acknowledged).toEqual([hash]);
  });

  it("marks an entry whose nonce another transaction consumed as replaced, with the reason", async () => {
    const l = await loadFixture(ledgerFixture);
    const outbox = await openOutbox();
    const { hash, nonce } = await sendUnmined(l, outbox, "patient-replaced");
    await provider.send("hardhat_dropTransaction", [hash]);
    await hospitalKey().sendTransaction({ to: hospitalKey().address, value: 0n, nonce }); // the same key, outside the outbox
    await provider.send("evm_mine", []);
    expect(await outbox.resume(provider)).toEqual({ acknowledged: [], replaced: [hash], refused: [], otherChains: 0 });
    const [listed] = await outbox.entries();
    expect(listed).toMatchObject({ hash, state: "replaced", replaced: { code: "NONCE_CONSUMED", reason: expect.stringContaining(`nonce ${nonce}`) } });
    expect(listed.replaced!.atIso).toBe(new Date(listed.replaced!.at * 1000).toISOString());
  });

  it("fails a waiting sendWrite with TX_REPLACED when its nonce is taken while it waits", async () => {
    const l = await loadFixture(ledgerFixture);
    let broadcast!: (hash: string) => void;
    const sent = new Promise<string>((r) => (broadcast = r));
    const outbox = await openOutbox({ rebroadcastMs: 20, onProgress: ({ phase, entry }) => void (phase === "broadcast" && broadcast(entry.hash)) });
    await provider.send("evm_setAutomine", [false]);
    const { signed } = await signedGrant(l, "patient-raced");
    const write = new Hospital(l, new OutboxSigner(outbox, hospitalKey())).relayGrant(signed);
    const hash = await sent;
    const { nonce } = (await outbox.get(hash))!;
    // The same key, outside the outbox, outbids it for the nonce (the outbox keeps re-sending, so dropping would not do).
    const fee = await provider.getFeeData();
    await hospitalKey().sendTransaction({ to: hospitalKey().address, value: 0n, nonce, maxFeePerGas: fee.maxFeePerGas! * 4n, maxPriorityFeePerGas: fee.maxPriorityFeePerGas! * 4n });
    await provider.send("evm_mine", []);
    await expect(write).rejects.toMatchObject({ code: "TX_REPLACED", retryable: true });
    expect((await outbox.get(hash))?.state).toBe("replaced");
  });
});
