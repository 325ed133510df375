/**
 * Named networks (`--network <name>`): the chains a member operates on, from a networks file
 * (schemas/networks.json). A name gives the RPC URL, the chain id the node must serve, the gas
 * price of every write (zero on free-gas Besu/GoQuorum networks), confirmations and finality
 * depth, and the deployment manifest's place: deployments/<name>.json beside the networks file.
 */
import { dirname, join } from "node:path";
import { InputError } from "../sdk";
import { readChecked } from "./parse";

export interface NetworkConfig {
  name: string;
  rpcUrl: string;
  chainId: number;
  /** Wei per gas of every transaction; undefined: the node's own fee data. */
  gasPrice?: bigint;
  confirmations: number;
  finalityDepth: number;
  /** deployments/<name>.json beside the networks file. */
  deploymentPath: string;
}

/** Finality depth when a network does not name one: the indexer's own default. */
export const DEFAULT_FINALITY_DEPTH = 64;

interface NetworkEntry {
  rpcUrl: string;
  chainId: number;
  gasPrice?: string;
  confirmations?: number;
  finalityDepth?: number;
}

/** Reads `file` (checked against its published format) and returns network `name`. */
export function readNetwork(file: string, name: string): NetworkConfig {
  let read: { value: unknown };
  try {
    read = readChecked(file, "networks");
  } catch (e) {
    if (e instanceof InputError && e.code === "FILE_NOT_FOUND") throw new InputError("NETWORKS_NOT_FOUND", `cannot read the networks file ${file}; pass --networks <file> (format: schemas/networks.json)`);
    throw e;
  }
  const all = (read.value as { networks: Record<string, NetworkEntry> }).networks;
  const entry = Object.hasOwn(all, name) ? all[name] : undefined;
  if (!entry) throw new InputError("NETWORK_NOT_FOUND", `${file} names no network "${name}" (it has: ${Object.keys(all).join(", ")})`);
  return {
    name,
    rpcUrl: entry.rpcUrl,
    chainId: entry.chainId,
    gasPrice: entry.gasPrice === undefined ? undefined : BigInt(entry.gasPrice),
    confirmations: entry.confirmations ?? 0,
    finalityDepth: entry.finalityDepth ?? DEFAULT_FINALITY_DEPTH,
    deploymentPath: join(dirname(file), "deployments", `${name}.json`),
  };
}
