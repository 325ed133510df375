/**
 * Shapes shared by the indexer's stages: what a node answers (logs, headers) and what each stage
 * hands the next. Nothing here does anything.
 */

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Anything that speaks JSON-RPC: an ethers JsonRpcProvider, Hardhat's in-process provider, httpRpc. */
export interface RpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/** A log as eth_getLogs answers it. */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  logIndex: string;
  transactionHash: string;
  removed?: boolean;
}

/** The parts of a block header the indexer checks. */
export interface Header {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
  logsBloom: string;
}

/** One range as fetched: its last block, its logs, and the headers needed to check them. */
export interface Fetched {
  to: number;
  logs: RawLog[];
  hs: Map<number, Header>;
}

/** A log of ours that passed the range checks, with its position. */
export interface CheckedLog {
  log: RawLog;
  block: number;
  logIndex: number;
  /** block × 2^20 + log index: exact in a double, rising in chain order. */
  at: number;
}

/** The RPC returned something inconsistent; the range is fetched again. */
export class RpcInconsistency extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RpcInconsistency";
  }
}

export const hex = (n: number) => "0x" + n.toString(16);
