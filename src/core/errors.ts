/**
 * Reverts decoded by name. Registries call the Consortium, whose errors bubble up unchanged,
 * so decoding uses the union of every medprov (and AccessManager) error, not one contract's ABI.
 */
import { Interface, Transaction, isError, type ErrorDescription } from "ethers";
import { explain } from "./explain";
import { FACTORIES } from "./contracts";

const factories = Object.values(FACTORIES);

/** Every custom error a medprov transaction can revert with, once each. */
export const LEDGER_ERRORS = new Interface(
  [...new Map(factories.flatMap((f) => f.abi.filter((x) => x.type === "error")).map((e) => [JSON.stringify(e), e])).values()],
);

export interface DecodedRevert {
  name: string;
  args: readonly unknown[];
  description: ErrorDescription;
}

/** Finds revert data in whatever ethers threw (CALL_EXCEPTION from estimate, call or receipt). */
function revertData(error: unknown): string | undefined {
  if (isError(error, "CALL_EXCEPTION") && typeof error.data === "string") return error.data;
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e && typeof e === "object"; depth++) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith("0x")) return data;
    if (data && typeof data === "object" && typeof (data as { data?: unknown }).data === "string") return (data as { data: string }).data;
    e = (e as { error?: unknown; info?: unknown }).error ?? (e as { info?: { error?: unknown } }).info?.error;
  }
  return undefined;
}

/** The named medprov error behind a failed call or transaction, or undefined when it is not one. */
export function decodeRevert(error: unknown): DecodedRevert | undefined {
  const data = revertData(error);
  if (!data || data.length < 10) return undefined;
  const description = LEDGER_ERRORS.parseError(data);
  if (!description) return undefined;
  return { name: description.name, args: description.args.toArray(), description };
}

/**
 * Base of every error medprov code raises on purpose. `code` is stable (tests, API and CLI key on
 * it); `retryable` says whether trying again unchanged can succeed.
 */
export class MedprovError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "MedprovError";
  }
}

/** Input that does not fit a schema or a file format; nothing was sent. */
export class InputError extends MedprovError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, false, details);
    this.name = "InputError";
  }
}

/** The ledger refused a call with a named custom error. `code` is the error's name. */
export class LedgerRevertError extends MedprovError {
  constructor(readonly revert: DecodedRevert) {
    super(revert.name, explain(revert.name, revert.args), false, { args: revert.args.map(String) });
    this.name = "LedgerRevertError";
  }
}

/** The RPC could not be reached or answered badly; trying again may work. */
export class RpcError extends MedprovError {
  constructor(message: string, cause?: unknown) {
    super("RPC_UNAVAILABLE", message, true);
    this.name = "RpcError";
    this.cause = cause;
  }
}

/** The sender of the transaction an INSUFFICIENT_FUNDS error carries (a request or the raw signed bytes), if it says. */
function payer(transaction: unknown): string | undefined {
  try {
    if (typeof transaction === "string") return Transaction.from(transaction).from ?? undefined;
    const from = (transaction as { from?: unknown } | undefined)?.from;
    return typeof from === "string" ? from : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The node refused to take a transaction its signer cannot pay gas for. Ethers' own message quotes
 * the whole raw transaction; a person needs whose key it was and the way out: nothing was sent.
 */
function insufficientFunds(error: { transaction?: unknown }): MedprovError {
  const who = payer(error.transaction);
  return new MedprovError(
    "INSUFFICIENT_FUNDS",
    `${who ? `the signing key ${who}` : "the signing key"} cannot pay this transaction's gas (the node refused it: insufficient funds); fund it, or — for a patient's consent — sign the request (consent sign-grant / sign-revoke) and have a member hospital relay it`,
  );
}

/** Turns whatever ethers threw into a domain error; keeps MedprovErrors as they are. */
export function toDomainError(error: unknown): Error {
  if (error instanceof MedprovError) return error;
  const decoded = decodeRevert(error);
  if (decoded) return new LedgerRevertError(decoded);
  if (isError(error, "INSUFFICIENT_FUNDS")) return insufficientFunds(error);
  if (isError(error, "NETWORK_ERROR") || isError(error, "TIMEOUT") || isError(error, "SERVER_ERROR")) {
    return new RpcError(`the chain's RPC did not answer: ${(error as Error).message.split("\n")[0]}`, error);
  }
  const code = (error as { code?: string })?.code;
  if (code === "ECONNREFUSED" || code === "ECONNRESET") return new RpcError(`cannot reach the chain's RPC (${code})`, error);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * JSON.parse's complaint about a text, on one line: its message quotes the start of the text, raw
 * line breaks included, and a refusal is one line (the CLI prints it as is).
 */
export const jsonParseProblem = (e: unknown): string => String((e as Error)?.message ?? e).replace(/\r?\n/g, "\\n");

/** Runs `action`, rethrowing failures as domain errors. */
export async function domain<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (e) {
    throw toDomainError(e);
  }
}
