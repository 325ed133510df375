/** Trace inputs for tests: valid by default, every identity a hash. */
import { hexlify, randomBytes, Wallet } from "ethers";
import type { TraceInput } from "../../src/sdk";

const rnd = () => hexlify(randomBytes(32));

/** Chain time, set by tests that moved the chain's clock (traces must not postdate the chain). */
export const clock = { now: () => Math.floor(Date.now() / 1000) };

export function traceInput(modelVersion: string, o: Partial<TraceInput> = {}): TraceInput {
  return {
    traceId: rnd(), modelVersion, subject: Wallet.createRandom().address, inputHash: rnd(), outputHash: rnd(),
    confidenceBps: 9600, action: "ACCEPTED", clinicianHash: rnd(), finalDecisionHash: rnd(), time: clock.now() - 1, ...o,
  };
}
