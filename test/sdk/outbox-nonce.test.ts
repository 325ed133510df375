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
import { id, Wallet } from "ethers";
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
