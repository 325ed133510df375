/**
 * Deterministic ids, computed exactly as the contracts compute them. Pure: no chain needed.
 * A test checks every function here against the contract's own view.
 */
import { AbiCoder, keccak256, type BytesLike } from "ethers";
import { TraceAnchor__factory } from "../../typechain-types";
import { NUMBERS, SOLIDITY_ENUMS } from "../constants";

const abi = AbiCoder.defaultAbiCoder();
const hashOf = (types: readonly string[], values: readonly unknown[]) => keccak256(abi.encode(types, values));

export const consentId = (subject: string, purpose: number, grantee: number) =>
  hashOf(["address", "uint8", "uint32"], [subject, purpose, grantee]);

export const datasetIdOf = (custodian: number, contentRoot: BytesLike, cohortRoot: BytesLike, metadataHash: BytesLike) =>
  hashOf(["uint32", "bytes32", "bytes32", "bytes32"], [custodian, contentRoot, cohortRoot, metadataHash]);

export const modelIdOf = (developer: number, name: string) => hashOf(["uint32", "string"], [developer, name]);

export const versionIdOf = (modelId: BytesLike, weightsHash: BytesLike) => hashOf(["bytes32", "bytes32"], [modelId, weightsHash]);

export const reportIdOf = (versionId: BytesLike, hospital: number, periodStart: bigint | number, periodEnd: bigint | number) =>
  hashOf(["bytes32", "uint32", "uint64", "uint64"], [versionId, hospital, periodStart, periodEnd]);

export const batchIdOf = (hospital: number, firstSeq: bigint | number) => hashOf(["uint32", "uint64"], [hospital, firstSeq]);

/** A trace record field: its name, ABI type and, for integers, the largest value its Solidity type admits. */
export interface TraceField {
  name: string;
  type: string;
  /** uintN: 2^N − 1; an enum: its last member's number (Solidity refuses larger ones); otherwise undefined. */
  max?: bigint;
}

/**
 * The trace record's fields and Solidity types, read from the contract ABI (TraceRecord struct),
 * so the off-chain leaf encoding cannot drift from the on-chain one.
 */
export const TRACE_RECORD_FIELDS: readonly TraceField[] = (() => {
  type Component = { name: string; type: string; internalType?: string };
  const fn = (TraceAnchor__factory.abi as readonly { type: string; name?: string; inputs?: readonly { components?: readonly Component[] }[] }[]).find((x) => x.type === "function" && x.name === "traceRecordHash");
  const components = fn?.inputs?.[0]?.components ?? [];
  const enums = SOLIDITY_ENUMS as Record<string, readonly string[]>;
  return components.map((c) => {
    const e = /^enum (\w+)$/.exec(c.internalType ?? "");
    const bits = /^uint(\d+)$/.exec(c.type);
    const max = e ? BigInt(enums[e[1]].length - 1) : bits ? (1n << BigInt(bits[1])) - 1n : undefined;
    return max === undefined ? { name: c.name, type: c.type } : { name: c.name, type: c.type, max };
  });
})();

/** Leaf encoding for `@openzeppelin/merkle-tree`'s StandardMerkleTree (record format 1). */
export const TRACE_LEAF_ENCODING: readonly string[] = TRACE_RECORD_FIELDS.map((f) => f.type);

/**
 * Record format 2 (issue 18): format 1's fields, then the indication the trace was used for (an id
 * of the governed indication catalogue, below MAX_INDICATIONS so it fits an approval's uint64
 * bitmask) and whether the model's output carried a risk warning. 16 static words (512 bytes), so
 * its leaf preimage has a length no format-1 preimage (448 bytes) has: the two leaf encodings are
 * domain-separated by length, and 512 bytes still fit the four keccak blocks 448 bytes took
 * (a block is 136 bytes; 543 is the most four hold), so a format-2 leaf costs no more to hash.
 */
export const TRACE_RECORD_FIELDS_V2: readonly TraceField[] = [
  ...TRACE_RECORD_FIELDS,
  { name: "indication", type: "uint8", max: BigInt(NUMBERS.MAX_INDICATIONS - 1) },
  { name: "riskWarning", type: "bool", max: 1n },
];
export const TRACE_LEAF_ENCODING_V2: readonly string[] = TRACE_RECORD_FIELDS_V2.map((f) => f.type);

/** A record's format: 2 when it carries an indication (and a risk-warning flag), else 1. */
export const traceRecordFormat = (record: object): 1 | 2 => ((record as { indication?: unknown }).indication === undefined ? 1 : 2);

/** The fields of a record format, in leaf order. */
export const traceFieldsOf = (format: 1 | 2): readonly TraceField[] => (format === 2 ? TRACE_RECORD_FIELDS_V2 : TRACE_RECORD_FIELDS);

/** Values of a record in leaf order (its format's fields). */
export function traceLeafValues(record: object): unknown[] {
  return traceFieldsOf(traceRecordFormat(record)).map((f) => (record as Record<string, unknown>)[f.name]);
}

/** keccak256(abi.encode(record)) — the inner hash the contract double-hashes into a leaf (either format). */
export const traceRecordHash = (record: object) => hashOf(traceRecordFormat(record) === 2 ? TRACE_LEAF_ENCODING_V2 : TRACE_LEAF_ENCODING, traceLeafValues(record));
