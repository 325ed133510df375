/**
 * The nonce an OutboxSigner learned (so that a send needs no pending-count request): when the same
 * key sent elsewhere meanwhile, the node calls that nonce used; the kept entry is named replaced
 * (it can never land) and the write is signed again once with the node's count, so it lands once.
 */
import { describe, it, expect, afterAll } from "vitest";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { id, keccak256, Wallet } from "ethers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { testWallets } from "../helpers/node";
import { Hospital, Outbox, OutboxSigner, Patient } from "../../src/sdk";
import { Purpose } from "../../src/constants";

const provider = hre.ethers.provider;
const opened: Outbox[] = [];
afterAll(async () => void (await Promise.all(opened.map((o) => o.close()))));

/** Hospital A's key as a Wallet (the fixture's signer #2), which an OutboxSigner can wrap. */
const hospitalKey = () => testWallets(3)[2].connect(provider);

async function relay(l: Ledger, signer: OutboxSigner, seed: string) {
  const patient = new Wallet(id(seed), provider);
  const signed = await new Patient(l, patient).signGrant({ purpose: Purpose.MODEL_TRAINING, grantee: ORG.HOSPITAL_A, expiresAt: (await time.latest()) + 86_400 });
  const result = await new Hospital(l, signer).relayGrant(signed);
  return { patient, result };
}

describe("OutboxSigner's learned nonce", () => {
  it("a nonce taken by the same key outside the outbox: the entry is named replaced and the write signed again, landing once", async () => {
    const l = await loadFixture(ledgerFixture);
    const outbox = await Outbox.open(join(mkdtempSync(join(tmpdir(), "medprov-outbox-")), "outbox"));
    opened.push(outbox);
    const signer = new OutboxSigner(outbox, hospitalKey());
    const first = await relay(l, signer, "learned-first"); // the signer now knows its next nonce
    const learned = (await outbox.get(first.result.txHash))!.nonce + 1;
    await (await hospitalKey().sendTransaction({ to: hospitalKey().address, value: 0n, nonce: learned })).wait(); // the same key, elsewhere
    const second = await relay(l, signer, "learned-second");

    const entries = await outbox.entries();
    expect(entries.map((e) => [e.nonce, e.state])).toEqual([
      [learned - 1, "acknowledged"],
      [learned, "replaced"],
      [learned + 1, "acknowledged"],
    ]);
    expect(entries[1].replaced).toMatchObject({ code: "NONCE_CONSUMED", reason: expect.stringContaining(`nonce ${learned}`) });
    expect(entries[2].hash).toBe(second.result.txHash);
    expect((await l.consents.queryFilter(l.consents.filters.ConsentGranted(second.patient.address))).length).toBe(1);
  });

  it("a nonce the same key holds pending elsewhere (in the node's pool, not yet mined): the entry is named replaced and the write signed again behind it, landing once", async () => {
    const l = await loadFixture(ledgerFixture);
    const outbox = await Outbox.open(join(mkdtempSync(join(tmpdir(), "medprov-outbox-")), "outbox"));
    opened.push(outbox);
    const signer = new OutboxSigner(outbox, hospitalKey());
    const first = await relay(l, signer, "contested-first");
    const learned = (await outbox.get(first.result.txHash))!.nonce + 1;
    await provider.send("evm_setAutomine", [false]);
    try {
      const other = await hospitalKey().sendTransaction({ to: hospitalKey().address, value: 0n, nonce: learned }); // pending, not mined
      const second = relay(l, signer, "contested-second");
      // The relay waits for its receipt; mine until it has one (the other send, then the relay behind it).
      let settled: Awaited<typeof second> | undefined;
      void second.then((r) => (settled = r), () => undefined);
      for (let i = 0; i < 50 && !settled; i++) {
        await provider.send("evm_mine", []);
        await new Promise((r) => setTimeout(r, 50));
      }
      const { result, patient } = await second;
      expect((await other.wait())!.status).toBe(1);
      const entries = await outbox.entries();
      expect(entries.map((e) => [e.nonce, e.state])).toEqual([
        [learned - 1, "acknowledged"],
        [learned, "replaced"],
        [learned + 1, "acknowledged"],
      ]);
      expect(entries[2].hash).toBe(result.txHash);
      expect((await l.consents.queryFilter(l.consents.filters.ConsentGranted(patient.address))).length).toBe(1);
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
  });
});

describe("a write the node refuses outright", () => {
  it("insufficient funds: the entry is settled REFUSED with its nonce free, resume no longer re-sends it (nor one an older release left), and the key's next write, once funded, takes that nonce and lands", async () => {
    await loadFixture(ledgerFixture);
    const outbox = await Outbox.open(join(mkdtempSync(join(tmpdir(), "medprov-outbox-")), "outbox"));
    opened.push(outbox);
    const unfunded = new Wallet(id("refused-unfunded"), provider);
    const signer = new OutboxSigner(outbox, unfunded);
    const to = hospitalKey().address;
    await expect(signer.sendTransaction({ to, value: 1n, gasLimit: 21_000n })).rejects.toThrow(/funds/i);
    const [first] = await outbox.entries();
    expect([first.nonce, first.state, first.replaced?.code]).toEqual([0, "replaced", "REFUSED"]);
    // One an older release kept unsettled (signed, its broadcast refused): resume settles it instead of failing on it.
    const raw = await unfunded.signTransaction({ to, value: 2n, gasLimit: 21_000n, nonce: 0, chainId: 31337n, gasPrice: 10n ** 9n });
    const stuck = { hash: keccak256(raw), raw, from: unfunded.address, nonce: 0, chainId: "31337", to, selector: "0x", created: 0, state: "signed" as const };
    await outbox.recordSigned(stuck);
    const resumed = await outbox.resume(provider);
    expect([resumed.refused, resumed.acknowledged]).toEqual([[stuck.hash], []]);
    expect(outbox.unsettledEntries()).toEqual([]);

    await (await (await hre.ethers.getSigners())[0].sendTransaction({ to: unfunded.address, value: 10n ** 18n })).wait();
    const landed = await (await signer.sendTransaction({ to, value: 3n, gasLimit: 21_000n })).wait();
    expect(landed!.status).toBe(1);
    expect((await provider.getTransaction(landed!.hash))!.nonce).toBe(0); // no gap left by the refused ones
  });
});
