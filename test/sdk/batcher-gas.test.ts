/**
 * The batcher estimates anchorBatch's gas once per count of versions and reuses it (with headroom),
 * so a later send is not estimated first. A version suspended between seal and send is then
 * refused by the chain in a mined, reverted transaction instead of by the estimate: the refusal is
 * still named, the version's traces quarantined, the rest sealed again and anchored, and the
 * reverted transaction is acknowledged by the outbox like any answer.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TransactionRequest } from "ethers";
import { ORG } from "../helpers/fixture";
import { h } from "../helpers/builders";
import { traceInput } from "../helpers/traces";
import { twoApprovedVersions } from "../helpers/two-versions";
import { testWallets } from "../helpers/node";
import { BatchRefusedError, Outbox, OutboxSigner, TraceBatcher, anchorGasLimit } from "../../src/sdk";

describe("TraceBatcher: one gas estimate per batch shape", () => {
  it("half again as headroom: a hospital's first batch (~142,700) fits the limit from a later batch's estimate (~125,600)", () => {
    expect(anchorGasLimit(125_644n)).toBe(188_466n);
    expect(anchorGasLimit(125_644n)).toBeGreaterThan(142_708n);
  });

  it("a version suspended after the estimate was reused: the mined revert is named, the version quarantined, the rest anchored", async () => {
    const { l, v1, v2 } = await twoApprovedVersions();
    const dir = mkdtempSync(join(tmpdir(), "medprov-gas-"));
    const outbox = await Outbox.open(join(dir, "outbox"));
    const signer = new OutboxSigner(outbox, testWallets(3)[2].connect(hre.ethers.provider)); // hospital A's key (the fixture's signer #2)
    // The second anchor's send first suspends v2 (after its batch was sealed, checked APPROVED), and
    // every send's gas limit is noted: the second must be the first's, not a new estimate.
    const gasLimits: bigint[] = [];
    const sends = { n: 0 };
    const watched = new Proxy(signer, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (prop !== "sendTransaction") return typeof v === "function" ? v.bind(target) : v;
        return async (tx: TransactionRequest) => {
          gasLimits.push(BigInt(tx.gasLimit!));
          if (++sends.n === 2) await (await l.models.connect(l.regulator).suspendVersion(v2, h("reason"))).wait();
          return target.sendTransaction(tx);
        };
      },
    });
    const b = await TraceBatcher.open({ vaultPath: join(dir, "vault"), ledger: l, signer: watched, maxBatch: 4 });
    await b.append(traceInput(v1), traceInput(v2), traceInput(v1), traceInput(v2));
    expect((await b.flush()).map((x) => [x.firstSeq, x.count])).toEqual([[0n, 4]]);
    const inputs = [traceInput(v2), traceInput(v1), traceInput(v2), traceInput(v1)];
    await b.append(...inputs);
    const err = await b.flush().then(() => undefined, (e) => e);

    expect(err).toBeInstanceOf(BatchRefusedError);
    expect(err.refusals).toEqual([{ firstSeq: 4n, versions: [{ versionId: v2, status: "SUSPENDED" }], quarantined: 2, resealed: 2 }]);
    expect(err.batches.map((x: { firstSeq: bigint; count: number }) => [x.firstSeq, x.count])).toEqual([[4n, 2]]);
    expect(gasLimits[1]).toBe(gasLimits[0]); // reused: the refusal came from the chain, not an estimate
    expect(await l.traces.nextSequence(ORG.HOSPITAL_A)).toBe(6n);
    expect((await b.quarantined()).map((q) => [q.input.traceId, q.versionStatus])).toEqual([[inputs[0].traceId, "SUSPENDED"], [inputs[2].traceId, "SUSPENDED"]]);
    // Three sends, all acknowledged: the first batch, the reverted one (its answer), the re-sealed one.
    const entries = await outbox.entries();
    expect(entries.map((e) => [e.state, e.included?.status])).toEqual([["acknowledged", 1], ["acknowledged", 0], ["acknowledged", 1]]);
    await b.close();
    await outbox.close();
  });
});
