/** Shared pieces of the incident tests (issue 18): anchoring one trace and getting its receipt. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256, toUtf8Bytes, type Signer } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Ledger } from "./fixture";
import { clock, traceInput } from "./traces";
import { deploymentOf } from "./indexing";
import { TraceBatcher, receiptFor, type TraceInput, type TraceReceipt } from "../../src/sdk";

export const hashOf = (s: string) => keccak256(toUtf8Bytes(s));

/** `signer`'s hospital anchors one trace of `versionId` about `subject` now; its receipt. */
export async function anchorOne(l: Ledger, signer: Signer, versionId: string, subject: string, o: Partial<TraceInput> = {}): Promise<TraceReceipt> {
  const now = await time.latest();
  clock.now = () => now;
  const batcher = await TraceBatcher.open({ vaultPath: join(mkdtempSync(join(tmpdir(), "medprov-inc-")), "vault"), ledger: l, signer });
  await batcher.append(traceInput(versionId, { subject, time: now, ...o }));
  await batcher.flush();
  const receipts: TraceReceipt[] = [];
  for await (const x of batcher.storage.anchored()) receipts.push(receiptFor(x, await deploymentOf(l)));
  await batcher.close();
  return receipts[0];
}
