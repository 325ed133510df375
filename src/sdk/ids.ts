/**
 * Deterministic ids, computed exactly as the contracts compute them. Pure: no chain needed.
 * A test checks every function here against the contract's own view.
 */
import { AbiCoder, keccak256, type BytesLike, type ParamType } from "ethers";
import { TraceAnchor__factory } from "../../typechain-types";

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

/**
 * The trace record's fields and Solidity types, read from the contract ABI (TraceRecord struct),
 * so the off-chain leaf encoding cannot drift from the on-chain one.
 */
export const TRACE_RECORD_FIELDS: readonly { name: string; type: string }[] = (() => {
  const fragment = TraceAnchor__factory.createInterface().getFunction("traceRecordHash");
  const components = (fragment.inputs[0] as ParamType).components ?? [];
  return components.map((c) => ({ name: c.name, type: c.type }));
})();

/** Leaf encoding for `@openzeppelin/merkle-tree`'s StandardMerkleTree. */
export const TRACE_LEAF_ENCODING: readonly string[] = TRACE_RECORD_FIELDS.map((f) => f.type);

/** Values of a record in leaf order. */
export function traceLeafValues(record: object): unknown[] {
  return TRACE_RECORD_FIELDS.map((f) => (record as Record<string, unknown>)[f.name]);
}

/** keccak256(abi.encode(record)) — the inner hash the contract double-hashes into a leaf. */
export const traceRecordHash = (record: object) => hashOf(TRACE_LEAF_ENCODING, traceLeafValues(record));
