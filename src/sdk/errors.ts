/**
 * Reverts decoded by name. Registries call the Consortium, whose errors bubble up unchanged,
 * so decoding uses the union of every medprov (and AccessManager) error, not one contract's ABI.
 */
import { Interface, isError, type ErrorDescription } from "ethers";
import {
  AccessManager__factory,
  ConsentRegistry__factory,
  Consortium__factory,
  DatasetRegistry__factory,
  ModelRegistry__factory,
  TraceAnchor__factory,
} from "../../typechain-types";

const factories = [
  Consortium__factory,
  ConsentRegistry__factory,
  DatasetRegistry__factory,
  ModelRegistry__factory,
  TraceAnchor__factory,
  AccessManager__factory,
];

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
