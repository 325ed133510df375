/**
 * Off-chain limits: the API's pages and ranges, and spans of time the tools use. The contracts'
 * limits are NUMBERS in spec.ts (mirrored in Solidity); these are TypeScript's alone.
 */
import { NUMBERS } from "./spec";

export const LIMITS = {
  /** Rows per page when a request names no limit. */
  PAGE_DEFAULT: 100,
  /** Most rows per page (a request's `limit` and FHIR `_count`). */
  PAGE_MAX: 1_000,
  /** Organisation ids are uint32 on-chain. */
  ORG_ID_MAX: 2 ** 32 - 1,
  /** Purpose ids index a uint64 bitmask: 0..63. */
  PURPOSE_ID_MAX: NUMBERS.MAX_PURPOSES - 1,
  /** Latest time an answer shows as a date: 9999-12-31T23:59:59Z (ISO 8601 and FHIR end there). */
  TIME_MAX: 253_402_300_799,
  /** API requests per client per minute (reads; writes get a fifth of it). */
  RATE_LIMIT_PER_MINUTE: 6_000,
  /** Largest eth_getLogs block range the indexer asks for (`index --max-range`): Besu's default `--rpc-max-logs-range`. */
  LOG_RANGE_MAX: 5_000,
  /** Most calls in one JSON-RPC batch (`--rpc-batch`): under Besu's (1,024), geth's (1,000) and erigon's (100) default caps. */
  RPC_BATCH_MAX: 100,
} as const;

/** Spans of chain time, in seconds. */
export const SECONDS = { MINUTE: 60, HOUR: 3_600, DAY: 86_400, YEAR: 365 * 86_400 } as const;
