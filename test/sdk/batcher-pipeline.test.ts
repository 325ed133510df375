/**
 * The batcher sends the next batch's anchor behind the previous one's broadcast, before that one is
 * acknowledged by the outbox (a slow durability step no longer holds the next send back), with the
 * next nonce, so batches still land in sequence order; every batch is acknowledged and stored and
 * every receipt verifies.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG } from "../helpers/fixture";
import { modelWithVersion } from "../helpers/builders";
import { clock, traceInput } from "../helpers/traces";
import { testWallets } from "../helpers/node";
import { Outbox, OutboxSigner, TraceBatcher, type OutboxEntry } from "../../src/sdk";

describe("TraceBatcher pipelining through an outbox", () => {
  it("sends batch n+1 before batch n is acknowledged, in nonce and sequence order, and stores every batch", async () => {
    const l = await loadFixture(ledgerFixture);
    const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
    await time.increase(10);
    const chainNow = await time.latest();
    clock.now = () => chainNow;
    const dir = mkdtempSync(join(tmpdir(), "medprov-pipeline-"));
    const events: { phase: string; nonce: number }[] = [];
    const wallet = testWallets(3)[2].connect(hre.ethers.provider); // hospital A's key (the fixture's signer #2)
    const firstNonce = await hre.ethers.provider.getTransactionCount(wallet.address, "pending");
    let broadcastBehind!: () => void;
    const secondBroadcast = new Promise<void>((resolve) => (broadcastBehind = resolve));
    // The first anchor's durability step waits until the next anchor is broadcast: a batcher that
    // waits for each acknowledgement before the next send would never get there (the safety valve
    // below then lets it finish, and the assertion on the order fails).
    let released = "";
    const outbox = await Outbox.open(join(dir, "outbox"), {
      onProgress: ({ phase, entry }: { phase: string; entry: OutboxEntry }) => {
        events.push({ phase, nonce: entry.nonce });
        if (phase === "broadcast" && entry.nonce === firstNonce + 1) broadcastBehind();
      },
      durability: {
        durable: async (receipt) => {
          const tx = await hre.ethers.provider.getTransaction(receipt.hash);
          if (tx!.nonce !== firstNonce) return;
          released = await Promise.race([secondBroadcast.then(() => "next broadcast"), new Promise<string>((r) => setTimeout(() => r("safety valve"), 30_000))]);
        },
      },
    });
    const batcher = await TraceBatcher.open({ vaultPath: join(dir, "vault"), ledger: l, signer: new OutboxSigner(outbox, wallet), maxBatch: 100 });
    const inputs = Array.from({ length: 450 }, () => traceInput(versionId));
    await batcher.append(...inputs);
    const flushed = await batcher.flush();

    expect(released).toBe("next broadcast");
    expect(flushed.map((b) => [b.firstSeq, b.count])).toEqual([[0n, 100], [100n, 100], [200n, 100], [300n, 100], [400n, 50]]);
    const broadcastAt = (nonce: number) => events.findIndex((e) => e.phase === "broadcast" && e.nonce === nonce);
    const acknowledgedAt = (nonce: number) => events.findIndex((e) => e.phase === "acknowledged" && e.nonce === nonce);
    expect(broadcastAt(firstNonce + 1)).toBeLessThan(acknowledgedAt(firstNonce));
    // Nonces in sequence order: batch i went out with the i-th nonce, and every one is acknowledged.
    const anchoredBy = await Promise.all(flushed.map(async (b) => (await hre.ethers.provider.getTransaction(b.anchorTx))!.nonce));
    expect(anchoredBy).toEqual(flushed.map((_, i) => firstNonce + i));
    expect((await outbox.entries()).filter((e) => e.state === "acknowledged").map((e) => e.nonce)).toEqual(anchoredBy);
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(450n);
    // Every trace stored with its proof, in sequence order.
    const seqs: string[] = [];
    for await (const a of batcher.storage.anchored()) seqs.push(a.record.seq);
    expect(seqs).toEqual(Array.from({ length: 450 }, (_, i) => String(i)));
    await batcher.close();
    await outbox.close();
  }, 120_000);
});
