/**
 * Self-contained trace receipts (docs/receipt.md) and their verification. A receipt carries the
 * record, its salt, its Merkle proof and where it was anchored; anyone can check it with
 * `@openzeppelin/merkle-tree`, ethers and an RPC URL of the chain.
 */
import { getAddress, isHexString } from "ethers";
import type { Deployment } from "../deploy";
import { InputError } from "../errors";
import { TRACE_LEAF_ENCODING, TRACE_RECORD_FIELDS, traceLeafValues } from "../ids";
import { traceLeafHash } from "./merkle";
import type { AnchoredTrace } from "./vault";
import type { TraceRecordJson } from "./record";

export const RECEIPT_FORMAT = "medprov-trace-receipt/1";

export interface TraceReceipt {
  format: typeof RECEIPT_FORMAT;
  chainId: number;
  traceAnchor: string;
  batchId: string;
  anchorTx: string;
  blockNumber: number;
  /** Field names of `record`, in leaf order, and their Solidity types. */
  fields: string[];
  leafEncoding: string[];
  record: TraceRecordJson;
  /** StandardMerkleTree leaf hash of the record. */
  leaf: string;
  proof: string[];
}

/** The receipt of one anchored trace from a vault. */
export function receiptFor(anchored: AnchoredTrace, deployment: Pick<Deployment, "chainId" | "addresses">): TraceReceipt {
  return {
    format: RECEIPT_FORMAT,
    chainId: deployment.chainId,
    traceAnchor: deployment.addresses.traces,
    batchId: anchored.batchId,
    anchorTx: anchored.anchorTx,
    blockNumber: anchored.blockNumber,
    fields: TRACE_RECORD_FIELDS.map((f) => f.name),
    leafEncoding: [...TRACE_LEAF_ENCODING],
    record: anchored.record,
    leaf: anchored.leaf,
    proof: anchored.proof,
  };
}

const isB32 = (v: unknown) => typeof v === "string" && isHexString(v, 32);

/** Checks a parsed receipt's shape; throws InputError RECEIPT_MALFORMED naming the field. */
export function parseReceipt(raw: unknown): TraceReceipt {
  const bad = (field: string, why: string): never => {
    throw new InputError("RECEIPT_MALFORMED", `receipt ${field} ${why}`, { field });
  };
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) bad("(root)", "must be a JSON object");
  const r = raw as Record<string, unknown>;
  if (r.format !== RECEIPT_FORMAT) bad("format", `must be "${RECEIPT_FORMAT}"`);
  if (!Number.isInteger(r.chainId)) bad("chainId", "must be an integer");
  try {
    getAddress(String(r.traceAnchor));
  } catch {
    bad("traceAnchor", "must be an address");
  }
  for (const k of ["batchId", "anchorTx", "leaf"]) if (!isB32(r[k])) bad(k, "must be a 32-byte hex string");
  if (!Array.isArray(r.proof) || !r.proof.every(isB32)) bad("proof", "must be an array of 32-byte hex strings");
  const names = TRACE_RECORD_FIELDS.map((f) => f.name);
  if (JSON.stringify(r.fields) !== JSON.stringify(names)) bad("fields", `must be ${names.join(",")}`);
  if (JSON.stringify(r.leafEncoding) !== JSON.stringify(TRACE_LEAF_ENCODING)) bad("leafEncoding", `must be ${TRACE_LEAF_ENCODING.join(",")}`);
  const record = r.record as Record<string, unknown>;
  if (!record || typeof record !== "object") bad("record", "must be an object");
  for (const k of Object.keys(record)) if (!names.includes(k)) bad(`record.${k}`, "is not a trace record field");
  for (const f of names) if (!(f in record)) bad(`record.${f}`, "is missing");
  return raw as TraceReceipt;
}

/** Recomputes the leaf hash of a receipt's record (throws if a value does not fit its type). */
export function leafOf(receipt: TraceReceipt): string {
  try {
    return "0x" + Buffer.from(traceLeafHash(traceLeafValues(receipt.record))).toString("hex");
  } catch (e) {
    throw new InputError("RECEIPT_MALFORMED", `receipt record does not fit the leaf encoding: ${(e as Error).message.split("\n")[0]}`);
  }
}
