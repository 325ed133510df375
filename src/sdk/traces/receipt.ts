/**
 * Self-contained trace receipts (docs/receipt.md): the format and its strict parsing. A receipt
 * carries the record, its salt, its Merkle proof and where it was anchored (transaction and block,
 * both checked against the BatchAnchored event); anyone can check it with ethers, an RPC URL of the chain and the deployment manifest, which alone says which chain and
 * contract count. The checks themselves are in ./checks.ts; the Auditor runs them.
 */
import type { Deployment } from "../deploy";
import { InputError } from "../../core";
import { NUMBERS } from "../../constants";
import { TRACE_RECORD_FIELDS, TRACE_RECORD_FIELDS_V2, traceFieldsOf, traceLeafValues, traceRecordFormat, type TraceField } from "../ids";
import { isStrictAddress, isStrictBytes32, traceLeafHash } from "./merkle";
import type { AnchoredTrace } from "./vault";
import type { TraceRecordJson } from "./record";

/**
 * /3 (issue 18): the record is of format 2 (it names its indication and whether the model's output
 * carried a risk warning); everything else as /2. /2: a format-1 record; the proof is
 * position-bound and the anchored root commits to the batch's size (TraceAnchor 3.x). A receipt's
 * format names its record's format, so a format-1 record keeps getting /2 receipts, which verifiers
 * written for /2 still check. /1 receipts were issued by TraceAnchor 2.x deployments (sorted-pair
 * trees) and are refused as RECEIPT_MALFORMED, naming the release that verifies them.
 */
export const RECEIPT_FORMAT = "medprov-trace-receipt/3";
export const RECEIPT_FORMAT_V1_RECORD = "medprov-trace-receipt/2";
export const RECEIPT_FORMATS = [RECEIPT_FORMAT_V1_RECORD, RECEIPT_FORMAT] as const;
export const RETIRED_RECEIPT_FORMAT = "medprov-trace-receipt/1";

/** The record format a receipt format carries: /2 → 1, /3 → 2. */
export const recordFormatOfReceipt = (format: string): 1 | 2 => (format === RECEIPT_FORMAT ? 2 : 1);

export interface TraceReceipt {
  format: (typeof RECEIPT_FORMATS)[number];
  chainId: number;
  traceAnchor: string;
  batchId: string;
  anchorTx: string;
  blockNumber: number;
  /** Field names of `record`, in leaf order, and their Solidity types. */
  fields: string[];
  leafEncoding: string[];
  record: TraceRecordJson;
  /** keccak256(keccak256(abi.encode(record))): the record's leaf. */
  leaf: string;
  proof: string[];
}

/** The receipt of one anchored trace from a vault (/2 for a format-1 record, /3 for format 2). */
export function receiptFor(anchored: AnchoredTrace, deployment: Pick<Deployment, "chainId" | "addresses">): TraceReceipt {
  const fields = traceFieldsOf(traceRecordFormat(anchored.record));
  return {
    format: fields === TRACE_RECORD_FIELDS_V2 ? RECEIPT_FORMAT : RECEIPT_FORMAT_V1_RECORD,
    chainId: deployment.chainId,
    traceAnchor: deployment.addresses.traces,
    batchId: anchored.batchId,
    anchorTx: anchored.anchorTx,
    blockNumber: anchored.blockNumber,
    fields: fields.map((f) => f.name),
    leafEncoding: fields.map((f) => f.type),
    record: anchored.record,
    leaf: anchored.leaf,
    proof: anchored.proof,
  };
}

/** The receipt's fields, exactly: no other, none missing. */
export const RECEIPT_FIELDS = ["format", "chainId", "traceAnchor", "batchId", "anchorTx", "blockNumber", "fields", "leafEncoding", "record", "leaf", "proof"] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const sameList = (a: unknown, b: readonly string[]) => Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
const UINT64_TEXT = /^(0|[1-9][0-9]*)$/;

/**
 * Integer fields whose meaning bounds them below their Solidity type, as the enums' members bound
 * tier and action: a confidence is in basis points, so at most 10000. Without it a record anchored
 * with, say, 65535 bps verified VALID by the procedure (REVIEW tier) while tierFor threw in the Auditor.
 */
const DOMAIN_MAX: Readonly<Record<string, bigint>> = { confidenceBps: BigInt(NUMBERS.BPS) };

/** Why a record value is not in its one accepted JSON form (docs/receipt.md, "Strict parsing"), or undefined. */
function fieldProblem({ name, type, max: typeMax }: TraceField, v: unknown): string | undefined {
  const max = DOMAIN_MAX[name] ?? typeMax;
  if (type === "bytes32") return isStrictBytes32(v) ? undefined : "must be 0x and 64 lower-case hex digits";
  if (type === "address") return isStrictAddress(v) ? undefined : "must be an address, all lower-case or correctly checksummed";
  if (type === "bool") return typeof v === "boolean" ? undefined : "must be a JSON boolean (true or false)";
  if (type === "uint64") return typeof v === "string" && UINT64_TEXT.test(v) && BigInt(v) <= max! ? undefined : `must be a decimal string (no sign, no leading zero) up to ${max}`;
  return Number.isSafeInteger(v) && (v as number) >= 0 && BigInt(v as number) <= max! ? undefined : `must be a JSON integer from 0 to ${max}`;
}

/**
 * Strict parsing (docs/receipt.md): exactly the receipt's fields and the record's, each in its one
 * accepted form; throws InputError RECEIPT_MALFORMED naming the first field that is not.
 */
export function parseReceipt(raw: unknown): TraceReceipt {
  const bad = (field: string, why: string): never => {
    throw new InputError("RECEIPT_MALFORMED", `receipt ${field} ${why}`, { field });
  };
  if (!isObject(raw)) return bad("(root)", "must be a JSON object");
  for (const k of Object.keys(raw)) if (!(RECEIPT_FIELDS as readonly string[]).includes(k)) bad(k, "is not a receipt field");
  for (const k of RECEIPT_FIELDS) if (!Object.hasOwn(raw, k)) bad(k, "is missing");
  if (raw.format === RETIRED_RECEIPT_FORMAT) bad("format", `is "${RETIRED_RECEIPT_FORMAT}", issued by a TraceAnchor 2.x deployment whose roots do not bind the batch size; this release verifies ${RECEIPT_FORMATS.map((f) => `"${f}"`).join(" and ")} only (verify it with the medprov release that issued it, against that deployment)`);
  if (!(RECEIPT_FORMATS as readonly unknown[]).includes(raw.format)) bad("format", `must be ${RECEIPT_FORMATS.map((f) => `"${f}"`).join(" or ")}`);
  const fields = traceFieldsOf(recordFormatOfReceipt(raw.format as string));
  if (!Number.isSafeInteger(raw.chainId) || (raw.chainId as number) < 1) bad("chainId", "must be a positive JSON integer");
  if (!isStrictAddress(raw.traceAnchor)) bad("traceAnchor", "must be an address, all lower-case or correctly checksummed");
  for (const k of ["batchId", "anchorTx", "leaf"]) if (!isStrictBytes32(raw[k])) bad(k, "must be 0x and 64 lower-case hex digits");
  if (!Number.isSafeInteger(raw.blockNumber) || (raw.blockNumber as number) < 0) bad("blockNumber", "must be a JSON integer, 0 or more");
  const names = fields.map((f) => f.name);
  const types = fields.map((f) => f.type);
  if (!sameList(raw.fields, names)) bad("fields", `must be ${names.join(",")} (for ${raw.format})`);
  if (!sameList(raw.leafEncoding, types)) bad("leafEncoding", `must be ${types.join(",")} (for ${raw.format})`);
  if (!Array.isArray(raw.proof) || !raw.proof.every(isStrictBytes32)) bad("proof", "must be an array of 0x and 64 lower-case hex digits");
  const record = raw.record;
  if (!isObject(record)) return bad("record", "must be an object");
  for (const k of Object.keys(record)) if (!names.includes(k)) bad(`record.${k}`, `is not a field of a ${raw.format} record`);
  for (const f of fields) {
    if (!Object.hasOwn(record, f.name)) bad(`record.${f.name}`, `is missing (a ${raw.format} record has ${names.length} fields)`);
    const why = fieldProblem(f, record[f.name]);
    if (why) bad(`record.${f.name}`, `${why}, got ${JSON.stringify(record[f.name])}`);
  }
  return raw as unknown as TraceReceipt;
}

/** Recomputes the leaf hash of a parsed receipt's record (in the record format its receipt format names). */
export function leafOf(receipt: TraceReceipt): string {
  try {
    return "0x" + Buffer.from(traceLeafHash(traceLeafValues(receipt.record))).toString("hex");
  } catch (e) {
    throw new InputError("RECEIPT_MALFORMED", `receipt record does not fit the leaf encoding: ${(e as Error).message.split("\n")[0]}`);
  }
}

/**
 * The format-1 leaf of a /3 receipt's record (its first 14 fields), to name a format-1 leaf
 * presented as format 2 (LEAF_WRONG_FORMAT); undefined for a /2 receipt.
 */
export function formerFormatLeafOf(receipt: TraceReceipt): string | undefined {
  if (receipt.format !== RECEIPT_FORMAT) return undefined;
  return "0x" + Buffer.from(traceLeafHash(TRACE_RECORD_FIELDS.map((f) => (receipt.record as unknown as Record<string, unknown>)[f.name]))).toString("hex");
}
