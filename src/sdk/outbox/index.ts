/**
 * The durable outbox every ledger write goes through (DESIGN §5 "Acknowledged means durable").
 *
 * A write through an OutboxSigner is: take the sender's lane (one send at a time per key) → nonce =
 * max(the node's pending count, one past the outbox's highest), the count asked only when this
 * process has not learned it or an unsettled entry has nobody waiting on it here (it is put back
 * first) → populate (the chain id asked once per provider) → sign → keep the entry
 * {hash, raw, from, nonce, chainId, created, state: "signed"} synced → broadcast (a node that
 * already has it, or has mined it, is success) → TransactionResponse. `sendWrite` then waits
 * for the receipt (re-sending the same bytes meanwhile), marks it included, applies the
 * durability policy and marks it acknowledged, all synced, before it returns. A crash anywhere
 * loses nothing: `resume` finishes every unacknowledged entry, and an idempotency key makes the
 * caller's retry return the first outcome instead of writing twice.
 *
 * Each synced state change is one fsync; with the default policy ("included") a write costs two
 * (signed, acknowledged). `bench/anchor.ts` measures it.
 *
 * How to integrate (for the lead):
 * - Everywhere: one `Outbox.open(join(dataDir, "outbox"), { durability })` per process (a second
 *   process on the same path gets OUTBOX_LOCKED), then `await outbox.resume(provider)` before the
 *   first write, and `new OutboxSigner(outbox, wallet)` wherever a Wallet signed before; role
 *   facades and `sendWrite` need no change. `outbox.close()` on shutdown.
 * - CLI: open the outbox under the data directory in the command context, resume, wrap the
 *   keystore's wallet; print "done" only after `sendWrite` returned (it returns when acknowledged).
 *   `outbox.pending()` is what a "medprov outbox" listing would print.
 * - Relay route: `new Hospital(ledger, relayer.withKey(keccak256(signed.signature)))` (or the
 *   request's EIP-712 digest); a retried POST /relay then answers with the first transaction's
 *   result and never relays twice. Concurrent relays no longer race for a nonce.
 * - Seeding: give every seeded write a stable key naming its step (`seed:grant:<patient>:<purpose>`),
 *   so a re-run after a kill returns the earlier outcome; keys are checked against the sender,
 *   target and function (OUTBOX_KEY_CONFLICT), not the arguments, so a re-signed request under
 *   the same key is the same logical write. Write "seeded" after the last write is acknowledged.
 * - Embedded chain: pass `durability: { durable: async (receipt) => saveNodeState() }` (for anvil,
 *   `anvil_dumpState` written aside and renamed) so a receipt is acknowledged only once the node
 *   can no longer lose its block; a QBFT chain needs nothing (the default, "included").
 * - Batcher: pass it an OutboxSigner. Its anchor write then survives a crash between broadcast
 *   and receipt through `resume`; its own "already anchored?" check stays as it is.
 */
export { Outbox, OUTBOX_FORMAT, outboxHolding, type OutboxEntry, type OutboxListing, type OutboxState, type OutboxOptions, type OutboxPhase, type DurabilityPolicy, type Inclusion } from "./store";
export { OutboxSigner } from "./signer";
export type { ResumeResult, SettleOptions } from "./chain";
