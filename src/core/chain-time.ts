/**
 * "Now" is the chain's: the head block's timestamp, never the host clock (DESIGN §5). Every
 * expiry given as a duration, every "valid now" and every "since" is measured from here, and
 * answers that depend on it carry the block they were read at.
 */
import type { Provider } from "ethers";
import { MedprovError } from "./errors";

export interface ChainNow {
  /** Unix seconds of the head block. */
  time: number;
  /** Number of the head block. */
  block: number;
}

/** The head block's time and number. */
export async function chainNow(provider: Provider): Promise<ChainNow> {
  const head = await provider.getBlock("latest");
  if (!head) throw new MedprovError("CHAIN_UNAVAILABLE", "the node returned no head block", true);
  return { time: head.timestamp, block: head.number };
}

/** ISO 8601 (UTC) beside Unix seconds, for answers people read. */
/** Largest |seconds| a JavaScript Date holds (year 275760); toISOString throws past it. */
const DATE_LIMIT_SECONDS = 8_640_000_000_000;

/**
 * Unix seconds as ISO 8601, for people. Total: a uint64 the chain accepted may lie past Date's end,
 * and printing it must not crash a command whose write already succeeded, so it reads as the number.
 */
export const isoOf = (unixSeconds: number | bigint): string =>
  Math.abs(Number(unixSeconds)) <= DATE_LIMIT_SECONDS ? new Date(Number(unixSeconds) * 1000).toISOString() : `${unixSeconds} (past any calendar date)`;
