/** Trace batches, receipt verification, and the trace report over verified receipts. */
import { Auditor, InputError, MedprovError, generationAtBlock, inGeneration, toDomainError, type Generation, type LedgerFacts, type VerifyResult } from "../../sdk";
import { LIMITS } from "../../constants";
import type { Kit } from "../app";
import { ApiError, errorSchema } from "../errors";
import { MAX_TIME } from "../inputs";
import { traceReport } from "../trace-report";
import type { IndicationLookup } from "../../sdk";
import * as sch from "../schemas";

const { S } = sch;

/** Most receipts one request may carry, and a body limit that fits them (a real receipt is ~2.1 KB; 4 KB each leaves room for deep proofs). */
export const MAX_RECEIPTS = 500;
export const RECEIPTS_BODY_LIMIT = 2 * 1024 * 1024;

export function traceRoutes(kit: Kit): void {
  const { app, o, q, route, ownOnly, say, now } = kit;
  app.get(
    "/batches",
    route("hospital", {
      querystring: S.obj({ hospital: { type: "integer", minimum: 1, maximum: LIMITS.ORG_ID_MAX }, version: S.hex32, fromTime: { type: "integer", minimum: 0, maximum: MAX_TIME }, toTime: { type: "integer", minimum: 0, maximum: MAX_TIME }, after: { type: "string", pattern: "^[0-9]{18}$" }, limit: { type: "integer", minimum: 1, maximum: LIMITS.PAGE_MAX } }),
      response: { 200: S.obj({ batches: S.arr(sch.batch), next: { type: ["string", "null"] } }) },
    }, ["traces"]),
    async (req) => {
      const f = { ...(req.query as { hospital?: number; version?: string; fromTime?: number; toTime?: number; after?: string; limit?: number }) };
      if (f.fromTime !== undefined && f.toTime !== undefined && f.fromTime > f.toTime) throw new ApiError("CONTRADICTORY_PARAMETERS", `fromTime ${f.fromTime} is after toTime ${f.toTime}: no batch can fall in that window`);
      if (f.hospital !== undefined) ownOnly(req.caller, f.hospital, "its own batches");
      if (req.caller.kind === "HOSPITAL") f.hospital = req.caller.orgId;
      const page = await q.batches(f);
      // The index holds only logs inside a generation's range, so every batch has one.
      const generation = (b: { block: number }) => generationAtBlock(o.deployment, b.block)!.generation;
      return { batches: await say(sch.W.batch, page.batches.map((b) => ({ ...b, generation: generation(b) }))), next: page.next };
    },
  );

  // Verification reads batches and status histories from this member's own index, not the RPC.
  // Each over the receipt's generation's blocks (batch ids and versions may repeat in a successor).
  const blocksOf = (g: Generation) => ({ from: g.fromBlock, to: g.toBlock });
  const indexFacts: LedgerFacts = {
    batch: async (id, g) => {
      const b = await q.batchInBlocks(id, blocksOf(g));
      return b ? { root: String(b.root), hospital: Number(b.hospital), firstSeq: BigInt(String(b.firstSeq)), count: Number(b.count), fromTime: BigInt(Number(b.fromTime)), toTime: BigInt(Number(b.toTime)), versions: b.versions as string[], txHash: String(b.tx), blockNumber: Number(b.block) } : undefined;
    },
    hospitalRanges: (hospital, g) => q.batchRanges(hospital, blocksOf(g)),
    versionHistory: async (id, g) => (await q.versionHistory(id)).filter((h) => inGeneration(g, Number(h.block))).map((h) => ({ time: Number(h.time), status: Number(h.status) })),
  };
  /**
   * A version's approved indications, for the report's off-indication figures: the bitmask its
   * on-chain approval carried (VersionApproved.indications), or "unknown" for a version the index
   * holds no approval of (the report then leaves its format-2 traces unjudged: approvalUnknown).
   */
  const indexIndications: IndicationLookup = {
    approvedIndications: async (versionId) => {
      const v = await q.version(versionId);
      return v?.indications === undefined ? "unknown" : BigInt(v.indications);
    },
  };
  // The count is checked in the handler (a named code); the schema's bound only stops a flood early.
  const receiptsBody = S.obj({ receipts: { type: "array", minItems: 1, items: { type: "object" } } }, ["receipts"]);
  /** Verifies receipts with the checks at the trace's time, consent from the index. */
  async function verifyAll(receipts: unknown[]): Promise<VerifyResult[]> {
    if (receipts.length > MAX_RECEIPTS) throw new ApiError("TOO_MANY_RECEIPTS", `at most ${MAX_RECEIPTS} receipts a request; got ${receipts.length} (send them in several requests)`);
    const auditor = new Auditor(o.ledger, o.deployment, o.provider, async (subject, purpose, grantee, time) => q.consentValidAt(subject, purpose, grantee, { time: Number(time) }), indexFacts);
    const results: VerifyResult[] = [];
    for (const receipt of receipts) results.push(await verifyOne(auditor, receipt));
    const late = await unindexedReceipt(receipts, results, async () => (await q.cursor())?.block ?? -1, async () => (await now()).block);
    if (late) throw new ApiError("INDEX_NOT_READY", `receipt ${late.index} names batch ${late.batchId} in block ${late.block}, which this member's index has not read yet (it has read to block ${late.indexed}; the chain is at ${late.head}): it cannot say whether that batch was anchored; ask again when GET /readyz answers ready`);
    return results;
  }
  const receiptRoute = (access: "verify" | "oversight", response: unknown, tags: string[]) => ({ ...route(access, { body: receiptsBody, response: { 200: response, 413: errorSchema } }, tags), bodyLimit: RECEIPTS_BODY_LIMIT });
  app.post("/verify", receiptRoute("verify", S.obj({ results: S.arr(sch.verifyResult) }), ["verify"]), async (req) => ({
    results: await verifyAll((req.body as { receipts: unknown[] }).receipts),
  }));
  app.post("/reports/traces", receiptRoute("oversight", sch.traceReport, ["reports"]), async (req) => {
    const receipts = (req.body as { receipts: unknown[] }).receipts;
    return traceReport(receipts, await verifyAll(receipts), indexIndications);
  });
}

/**
 * One receipt's verdict. A receipt whose values have the wrong JSON types can make the verifier
 * throw rather than name a reason: that is still the receipt's fault (RECEIPT_MALFORMED), unless
 * the failure is the chain's or the index's (unavailable: the whole request is a 503).
 */
async function verifyOne(auditor: Auditor, receipt: unknown): Promise<VerifyResult> {
  try {
    return await auditor.verifyReceipt(receipt);
  } catch (e) {
    const d = toDomainError(e);
    if (d instanceof MedprovError && d.retryable) throw d;
    if (d instanceof MedprovError && !(d instanceof InputError)) throw d;
    return { valid: false, reasons: [{ code: "RECEIPT_MALFORMED", message: `the receipt does not fit the receipt format: ${(d as Error).message.split("\n")[0].slice(0, 200)}` }], skipped: [] };
  }
}

/** A receipt the index cannot judge yet: its batch is unknown to the index, in a block the chain has and the index has not read. */
export interface UnindexedReceipt {
  index: number;
  batchId: string;
  block: number;
  indexed: number;
  head: number;
}

/**
 * The first receipt whose BATCH_UNKNOWN is the index's lag, not the receipt's fault. The index reads
 * behind the head (it polls, and waits for confirmations), so a batch anchored in a block it has not
 * read is not "never anchored": saying so would call a true receipt INVALID. A block past the chain's
 * head is the receipt's claim alone, and its BATCH_UNKNOWN stands. The head is asked only when a
 * receipt names a block past the index.
 */
export async function unindexedReceipt(receipts: readonly unknown[], results: readonly VerifyResult[], indexedBlock: () => Promise<number>, headBlock: () => Promise<number>): Promise<UnindexedReceipt | undefined> {
  const unknown = results.flatMap((r, index) => {
    const claim = receipts[index] as { blockNumber?: unknown; batchId?: unknown } | null;
    const block = claim?.blockNumber;
    return r.reasons.some((x) => x.code === "BATCH_UNKNOWN") && typeof block === "number" && Number.isSafeInteger(block) ? [{ index, batchId: String(claim!.batchId), block }] : [];
  });
  if (unknown.length === 0) return undefined;
  const indexed = await indexedBlock();
  const past = unknown.filter((u) => u.block > indexed);
  if (past.length === 0) return undefined;
  const head = await headBlock();
  const late = past.find((u) => u.block <= head);
  return late && { ...late, indexed, head };
}
