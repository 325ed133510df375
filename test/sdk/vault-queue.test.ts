/**
 * The vault's queue in layout 6: queued traces are kept as runs of encoded slots (qr:), an append
 * one run (or a few), and a seal takes whole runs or shortens the first it takes in part. A vault of
 * layout 5 (one JSON input a q: key) still reads as it is when opened read-only, and a batcher
 * opening it moves its queue into runs in one step and anchors it; a release that knows only
 * layout 5 refuses a layout-6 vault by name (VAULT_FORMAT) rather than seeing an empty queue.
 */
import { describe, it, expect } from "vitest";
import { Level } from "level";
import { clock, traceInput } from "../helpers/traces";
import { vaultDir, vaultWorld } from "../helpers/vault-world";
import { TraceBatcher, TraceVault, VAULT_FORMAT, receiptFor } from "../../src/sdk";
import { TRACE_SLOT_BYTES } from "../../src/sdk/traces/merkle";
import { inputOfSlot } from "../../src/sdk/traces/queue-slot";
import { validateTraceInput } from "../../src/sdk/traces/record";

const VALID = { valid: true, reasons: [], skipped: ["CONSENT_NOT_VALID_AT_TIME"] };

const setup = vaultWorld;

/** The queue's runs as [first queue id, traces in the run]. */
async function runs(path: string): Promise<[number, number][]> {
  const db = new Level<string, Buffer>(path, { valueEncoding: "buffer" });
  const out = (await db.iterator({ gte: "qr:", lt: "qr;" }).all()).map(([k, v]): [number, number] => [Number(k.slice(3)), v.length / TRACE_SLOT_BYTES]);
  await db.close();
  return out;
}

describe("trace vault queue (layout 6)", () => {
  it("an append is one run; a seal takes whole runs and puts the rest of a run it takes in part back under its next queue id", async () => {
    const { l, versionId, deployment, auditor } = await setup();
    const path = vaultDir();
    const inputs = Array.from({ length: 10 }, (_, i) => traceInput(versionId, i % 2 ? { indication: i, riskWarning: i % 3 === 0 } : {}));
    let b = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA, maxBatch: 100 });
    await b.append(...inputs.slice(0, 6));
    await b.append(...inputs.slice(6));
    const queued = await b.storage.queued(10);
    // What the queue holds is each validated input, read back from its slot.
    expect(queued.map((q) => [q.queueId, inputOfSlot(q.slot)])).toEqual(inputs.map((t, i) => [i, validateTraceInput(t, clock.now())]));
    await b.close();
    expect(await runs(path)).toEqual([[0, 6], [6, 4]]);

    // The seal step's queue part alone (no batch): through 3 shortens the first run, through 7 takes the rest of it and half the second.
    const vault = await TraceVault.open(path);
    await vault.seal({ through: 3, quarantined: [], nextSeq: 0n });
    expect(await vault.countQueued()).toBe(6);
    await vault.seal({ through: 7, quarantined: [], nextSeq: 0n });
    await vault.close();
    expect(await runs(path)).toEqual([[8, 2]]);

    // A whole flush through a batcher: contiguous batches of 4 (the second spans both appends), every receipt verifies.
    const path2 = vaultDir();
    const fresh = inputs.map((t) => traceInput(versionId, t.indication === undefined ? {} : { indication: t.indication, riskWarning: t.riskWarning }));
    b = await TraceBatcher.open({ vaultPath: path2, ledger: l, signer: l.hospitalA, maxBatch: 100 });
    await b.append(...fresh.slice(0, 6));
    await b.append(...fresh.slice(6));
    await b.close();
    const batches: [bigint, number][] = [];
    b = await TraceBatcher.open({ vaultPath: path2, ledger: l, signer: l.hospitalA, maxBatch: 4, onBatch: (x) => batches.push([x.firstSeq, x.count]) });
    await b.flush();
    expect(batches).toEqual([[0n, 4], [4n, 4], [8n, 2]]);
    for (const [i, t] of fresh.entries()) {
      const anchored = (await b.find(t.traceId))!;
      expect(anchored.record.seq).toBe(String(i));
      expect(await auditor.verifyReceipt(receiptFor(anchored, deployment))).toEqual(VALID);
    }
    expect(await b.storage.countQueued()).toBe(0);
    await b.close();
    expect(await runs(path2)).toEqual([]);
  });

  it("a layout-5 vault (a JSON input a q: key) reads as it is; a batcher moves its queue into runs in one step and anchors it", async () => {
    const { l, versionId, deployment, auditor } = await setup();
    const path = vaultDir();
    const inputs = [traceInput(versionId), traceInput(versionId, { indication: 3, riskWarning: true }), traceInput(versionId)];
    const first = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA, maxBatch: 100 });
    await first.append(...inputs);
    await first.close();
    // Rewrite it as layout 5 left it: each queued input as JSON under q:<queue id> (a gap at 1, as a failed append leaves).
    const db = new Level<string, unknown>(path, { valueEncoding: "json" });
    const [run] = await db.keys({ gte: "qr:", lt: "qr;" }).all();
    const layout5 = db.batch().del(run).put("meta:format", 5);
    const ids = [0, 2, 3];
    inputs.forEach((t, i) => layout5.put(`q:${String(ids[i]).padStart(16, "0")}`, validateTraceInput(t, clock.now())).put(`id:${t.traceId.toLowerCase()}`, ids[i]));
    await layout5.put("meta:nextQueue", 4).write({ sync: true });
    await db.close();

    const ro = await TraceVault.openReadOnly(path);
    expect(await ro.get("meta:format")).toBe(5); // read as it is
    expect(await ro.countQueued()).toBe(3);
    expect((await ro.state(inputs[1].traceId)).state).toBe("queued");
    await ro.close();

    const b = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA, maxBatch: 100 });
    expect(await b.storage.get("meta:format")).toBe(VAULT_FORMAT);
    expect((await b.storage.queued(10)).map((q) => [q.queueId, inputOfSlot(q.slot)])).toEqual(inputs.map((t, i) => [ids[i], validateTraceInput(t, clock.now())]));
    await b.close();
    expect(await runs(path)).toEqual([[0, 1], [2, 2]]);
    const legacy = new Level<string, unknown>(path, { valueEncoding: "json" });
    expect(await legacy.keys({ gte: "q:", lt: "q;" }).all()).toEqual([]);
    await legacy.close();

    const again = await TraceBatcher.open({ vaultPath: path, ledger: l, signer: l.hospitalA, maxBatch: 100 });
    expect((await again.flush()).map((x) => x.count)).toEqual([3]);
    for (const t of inputs) expect(await auditor.verifyReceipt(receiptFor((await again.find(t.traceId))!, deployment))).toEqual(VALID);
    await again.close();
  });
});
