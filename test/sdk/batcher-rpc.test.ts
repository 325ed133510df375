/**
 * How many JSON-RPC requests anchoring a batch costs, through an outbox (issue 13, "Bench"). Every
 * request the batcher, its ledger reads and its OutboxSigner make goes through one counting
 * EIP-1193 provider in front of the in-process Hardhat node; the bound is on behaviour (requests a
 * batch), not on time. Each request is a round trip on a real node, and on the in-process one an
 * estimate is a full execution of the transaction.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HardhatEthersProvider } from "@nomicfoundation/hardhat-ethers/internal/hardhat-ethers-provider";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { modelWithVersion } from "../helpers/builders";
import { clock, traceInput } from "../helpers/traces";
import { testWallets } from "../helpers/node";
import { Outbox, OutboxSigner, TraceBatcher, type LedgerContracts } from "../../src/sdk";

/** A provider that forwards every request to the Hardhat node and counts them by method. */
function countingProvider() {
  const counts = new Map<string, number>();
  const node = hre.network.provider;
  const eip1193 = {
    request: (args: { method: string; params?: unknown[] }) => {
      counts.set(args.method, (counts.get(args.method) ?? 0) + 1);
      return node.request(args);
    },
    send: (method: string, params?: unknown[]) => eip1193.request({ method, params }),
    on: node.on.bind(node),
    removeListener: node.removeListener.bind(node),
  };
  const provider = new HardhatEthersProvider(eip1193 as unknown as typeof node, "hardhat");
  const total = () => [...counts.values()].reduce((a, b) => a + b, 0);
  return { provider, counts, total, reset: () => counts.clear() };
}

/** The ledger's contracts read through `provider` (the batcher's status and sequence reads count too). */
function ledgerOn(l: Ledger, provider: HardhatEthersProvider): LedgerContracts {
  const { manager, consortium, consents, datasets, models, traces, incidents } = l;
  return {
    manager: manager.connect(provider), consortium: consortium.connect(provider), consents: consents.connect(provider), datasets: datasets.connect(provider),
    models: models.connect(provider), traces: traces.connect(provider), incidents: incidents.connect(provider),
  } as LedgerContracts;
}

describe("TraceBatcher: JSON-RPC requests per anchored batch, through an outbox", () => {
  // Before: 11 a batch (the status read; the chain id twice, the pending count and a gas estimate
  // for each send; three fee reads; the send with a block number beside it; the receipt).
  it("anchors each batch with at most 6 requests once the first has been sent: status, three fee reads, send, receipt", async () => {
    const l = await loadFixture(ledgerFixture);
    const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
    await time.increase(10);
    const now = await time.latest();
    clock.now = () => now;
    const rpc = countingProvider();
    const dir = mkdtempSync(join(tmpdir(), "medprov-rpc-"));
    const outbox = await Outbox.open(join(dir, "outbox"));
    const wallet = testWallets(3)[2].connect(rpc.provider); // hospital A's key (the fixture's signer #2)
    const batcher = await TraceBatcher.open({ vaultPath: join(dir, "vault"), ledger: ledgerOn(l, rpc.provider), signer: new OutboxSigner(outbox, wallet), maxBatch: 50 });
    rpc.reset();
    await batcher.append(...Array.from({ length: 50 }, () => traceInput(versionId)));
    const first = await batcher.flush();
    const firstCost = { total: rpc.total(), byMethod: Object.fromEntries(rpc.counts) };
    rpc.reset();
    // Four batches in one flush (the append starts it in the background; flush() joins it).
    await batcher.append(...Array.from({ length: 200 }, () => traceInput(versionId)));
    const later = await batcher.flush();
    const laterCost = { total: rpc.total(), byMethod: Object.fromEntries(rpc.counts) };

    expect(first.map((b) => b.count)).toEqual([50]);
    expect(later.map((b) => b.count)).toEqual([50, 50, 50, 50]);
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(250n);
    expect((await outbox.entries()).filter((e) => e.state === "acknowledged")).toHaveLength(5);
    // The first send of a process asks once what later ones reuse: the chain id, the pending
    // count, and a gas estimate (which also hears a refusal before anything is signed); its
    // flush also reads the head block, the version's deployment and the hospital's next sequence.
    expect(firstCost.byMethod).toMatchObject({ eth_chainId: 1, eth_getTransactionCount: 1, eth_estimateGas: 1, eth_sendRawTransaction: 1 });
    expect(firstCost.total).toBeLessThanOrEqual(12);
    // Then per batch: its versions' status (once a seal), fee data (three reads), the send, one receipt read.
    expect(laterCost.byMethod).toMatchObject({ eth_sendRawTransaction: 4, eth_getTransactionReceipt: 4, eth_call: 4 });
    for (const method of ["eth_chainId", "eth_getTransactionCount", "eth_estimateGas", "eth_blockNumber"]) expect(laterCost.byMethod[method]).toBeUndefined();
    expect(laterCost.total).toBeLessThanOrEqual(1 + 4 * 6);
    await batcher.close();
    await outbox.close();
  });
});
