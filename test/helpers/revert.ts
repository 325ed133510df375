import { expect } from "vitest";
import { decodeRevert } from "../../src/core";

const norm = (v: unknown): unknown =>
  typeof v === "bigint" ? v.toString() : typeof v === "number" ? String(v) : typeof v === "string" ? v.toLowerCase() : Array.isArray(v) ? v.map(norm) : v;

/** Asserts that `action` reverts with the named custom error (and, if given, these arguments). */
export async function expectRevert(action: Promise<unknown>, name: string, args?: readonly unknown[]): Promise<void> {
  let failure: unknown;
  try {
    await action;
  } catch (e) {
    failure = e;
  }
  if (failure === undefined) throw new Error(`expected a revert with ${name}, but the call succeeded`);
  const decoded = decodeRevert(failure);
  expect(decoded?.name, `reverted with ${decoded?.name ?? String(failure).slice(0, 300)}`).toBe(name);
  if (args) expect(norm(decoded!.args)).toEqual(norm(args));
}

/** The named events a transaction emitted on `contract`, with their arguments. */
export async function eventsOf(
  tx: Promise<{ wait(): Promise<{ logs: readonly { address: string; topics: readonly string[]; data: string }[] } | null> }>,
  contract: { interface: { parseLog(l: { topics: readonly string[]; data: string }): { name: string; args: { toObject(deep?: boolean): Record<string, unknown>; toArray(deep?: boolean): unknown[] } } | null }; getAddress(): Promise<string> },
) {
  const receipt = await (await tx).wait();
  const address = (await contract.getAddress()).toLowerCase();
  return (receipt?.logs ?? [])
    .filter((l) => l.address.toLowerCase() === address)
    .map((l) => contract.interface.parseLog(l))
    .filter((x): x is NonNullable<typeof x> => x !== null)
    .map((e) => ({ name: e.name, args: e.args.toArray(true) }));
}
