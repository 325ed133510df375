/**
 * One audit API per test over a seeded chain that every test of a file shares: fastify/demo's
 * `build(t)` (test/helper.ts there), for Vitest and an in-process Hardhat network.
 *
 * Deploying the ledger and seeding it is the expensive part of an API test, so it runs once per file:
 * `seeded(seed)` is Hardhat's loadFixture — the first call runs `seed` and snapshots the chain, every
 * later call reverts the chain to that snapshot — so each test starts on the same chain whatever the
 * tests before it wrote (a relay, a suspension, a report), and the order they run in cannot matter.
 * What the seed returns is frozen: ids, receipts and signers to read, never to reassign.
 *
 * `build(t, seed)` then gives the test an app of its own over that chain — a fresh index, its own
 * sessions, memo and rate-limit budgets — and closes it with its store when the test finishes; the
 * test takes what it needs from the returned value, not from variables of its file. Building an app
 * costs a few hundred milliseconds (an index, every route's schemas compiled), so a describe whose
 * tests only read may share one instead: `readOnly(seed)`, built on its first test, closed after
 * the describe.
 */
import { afterAll, type TestContext } from "vitest";
import type { Signer } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Ledger } from "./fixture";
import { bearerFor, buildApi } from "./api-fixture";
import type { AppOptions, createFastify } from "../../src/api";

/** A named async function that seeds the chain (loadFixture tells seeds apart by function). */
export type Seed<W> = () => Promise<W>;

/** Plain objects and arrays are frozen all the way down; class instances (contracts, signers) are left as they are. */
function frozen<T>(value: T): T {
  if (Array.isArray(value) || (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)) {
    for (const v of Object.values(value as object)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

/** The chain as `seed` left it (seeded on the first call in this file, reverted to on every later one); its frozen result. */
export async function seeded<W>(seed: Seed<W>): Promise<Readonly<W>> {
  return frozen(await loadFixture(seed));
}

export type Api = Awaited<ReturnType<typeof buildApi>> & {
  /** Signs `signer` in to this app (a new session each call); its `Bearer <session>` header. */
  bearer(signer: Signer): Promise<string>;
};

/** Closes these (an app, then its store) in the order given when test `t` finishes. */
export function closeAfter(t: TestContext, ...closables: { close(): Promise<unknown> }[]): void {
  t.onTestFinished(async () => {
    for (const c of closables) await c.close();
  });
}

/**
 * An app of test `t`'s own over `l`'s chain as it is now (buildApi: a fresh index, the tests' AUTH,
 * `o` over the defaults), closed with its store when `t` finishes. A second app beside `build`'s
 * (a relaying one, one with CORS) comes from here.
 */
export async function serve(t: TestContext, l: Ledger, o: Partial<AppOptions> = {}, fastify: Parameters<typeof createFastify>[0] = {}): Promise<Api> {
  const built = await buildApi(l, o, fastify);
  closeAfter(t, built.app, built.store);
  return { ...built, bearer: (signer) => bearerFor(built.app, signer) };
}

/** The seeded chain (reverted to `seed`'s snapshot) and an app of test `t`'s own over it, closed when `t` finishes. */
export async function build<W extends { l: Ledger }>(t: TestContext, seed: Seed<W>, o: Partial<AppOptions> = {}, fastify: Parameters<typeof createFastify>[0] = {}): Promise<Readonly<W> & Api> {
  const world = await seeded(seed);
  return { ...world, ...(await serve(t, world.l, o, fastify)) };
}

/**
 * A fixture for one describe whose tests only read (no chain write, no reindex): call it in the
 * describe's body; each test's `await api()` reverts the chain to `seed`'s snapshot and answers the
 * describe's one app over it (built on the first call with options `o`, or `o` of the seeded world,
 * then `prepared`; closed after the describe). The index was made of that very snapshot, so it stays
 * true whatever a writing test elsewhere in the file did.
 */
export function readOnly<W extends { l: Ledger }>(seed: Seed<W>, o: Partial<AppOptions> | ((w: Readonly<W>) => Partial<AppOptions>) = {}, prepared?: (api: Readonly<W> & Api) => Promise<unknown>): () => Promise<Readonly<W> & Api> {
  let built: Promise<Readonly<W> & Api> | undefined;
  afterAll(async () => {
    if (!built) return;
    const { app, store } = await built;
    await app.close();
    await store.close();
  });
  const make = async (world: Readonly<W>) => {
    const b = await buildApi(world.l, typeof o === "function" ? o(world) : o);
    const api = { ...world, ...b, bearer: (signer: Signer) => bearerFor(b.app, signer) };
    await prepared?.(api);
    return api;
  };
  return async () => {
    const world = await seeded(seed);
    built ??= make(world);
    return built;
  };
}
