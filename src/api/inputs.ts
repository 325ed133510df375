/**
 * Strict inputs, before the schema validator gets to coerce them. Ajv's coercion reads
 * "Infinity", "1e400", "0x10" and " 1" as numbers (and then skips `maximum` for some of them), and
 * a body pattern of decimal digits says nothing of uint64 or uint256; ethers then throws on an
 * overflow or a bad checksum deep inside a write. Each check here names the field and the rule.
 */
import { getAddress } from "ethers";
import type { FastifyRequest } from "fastify";
import type { SignedGrant, SignedRevoke } from "../sdk";
import { LIMITS } from "../constants";
import { ApiError } from "./errors";

/** Largest block number (and any count) a JavaScript number holds exactly. */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Last second FHIR and ISO 8601 can write (9999-12-31T23:59:59Z): the bound of every time parameter. */
export const MAX_TIME = LIMITS.TIME_MAX;

type Prop = { type?: string | string[]; minimum?: number; maximum?: number; format?: string };
const DECIMAL = /^(0|-?[1-9][0-9]*)$/;

/**
 * Checks every integer query parameter the route declares: one value, plain decimal digits, a safe
 * integer within the schema's minimum and maximum. Runs as a preValidation hook.
 */
export function checkQueryIntegers(req: FastifyRequest): void {
  const schema = req.routeOptions.schema?.querystring as { properties?: Record<string, Prop> } | undefined;
  const query = req.query as Record<string, unknown> | undefined;
  if (!schema?.properties || !query) return;
  for (const [name, p] of Object.entries(schema.properties)) {
    const raw = query[name];
    if (raw === undefined) continue;
    if (Array.isArray(raw)) throw new ApiError("REPEATED_PARAMETER", `query parameter ${name} was given ${raw.length} times; give it once`);
    if (p.type !== "integer") continue;
    const text = String(raw);
    const min = p.minimum ?? -MAX_SAFE;
    const max = p.maximum ?? MAX_SAFE;
    if (!DECIMAL.test(text)) throw new ApiError("INVALID_INTEGER", `query parameter ${name} must be a whole number in decimal digits (${min}..${max}); got "${text.slice(0, 40)}"`);
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new ApiError("OUT_OF_RANGE", `query parameter ${name} must be between ${min} and ${max}; got ${text.slice(0, 40)}`);
  }
}

/**
 * A time given as Unix seconds or as an ISO 8601 date-time with its offset (2026-05-01T12:00:00Z),
 * in Unix seconds. Names the parameter when it is neither.
 */
export function parseTime(name: string, text: string): number {
  if (DECIMAL.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0 || n > MAX_TIME) throw new ApiError("OUT_OF_RANGE", `${name} must be between 0 and ${MAX_TIME} (Unix seconds); got ${text.slice(0, 40)}`);
    return n;
  }
  // A date alone or a time without offset would be read in the host's zone: refuse them.
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
  const ms = iso.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms) || ms < 0) throw new ApiError("INVALID_TIME", `${name} must be Unix seconds or an ISO 8601 date-time with offset (e.g. 2026-05-01T12:00:00Z); got "${text.slice(0, 40)}"`);
  return Math.floor(ms / 1000);
}

/** An address as given: lower- or upper-case hex, or mixed case with a valid EIP-55 checksum. */
export function strictAddress(field: string, value: string): string {
  const hex = value.slice(2);
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return getAddress(value.toLowerCase());
  let checksummed: string | undefined;
  try {
    checksummed = getAddress(value);
  } catch {
    checksummed = undefined;
  }
  if (checksummed !== value) throw new ApiError("ADDRESS_CHECKSUM", `${field} ${value} is mixed-case but fails its EIP-55 checksum (${getAddress(value.toLowerCase())} is the checksummed form)`);
  return value;
}

/** A decimal string that must fit `uint<bits>`. */
export function strictUint(field: string, value: string, bits: number): string {
  if (BigInt(value) >= 1n << BigInt(bits)) throw new ApiError("UINT_OVERFLOW", `${field} ${value.slice(0, 40)}${value.length > 40 ? "…" : ""} does not fit uint${bits} (at most ${(1n << BigInt(bits)) - 1n})`);
  return BigInt(value).toString();
}

/** A signed grant or revocation whose numbers fit the contract's types and whose addresses check out. */
export function parseSignedRequest(body: SignedGrant | SignedRevoke): SignedGrant | SignedRevoke {
  const r = body.request;
  const common = {
    subject: strictAddress("request.subject", r.subject),
    signer: strictAddress("request.signer", r.signer),
    purpose: r.purpose,
    grantee: r.grantee,
    signedAt: strictUint("request.signedAt", r.signedAt, 64),
    deadline: strictUint("request.deadline", r.deadline, 256),
  };
  if (body.kind === "grant") return { kind: "grant", request: { ...common, expiresAt: strictUint("request.expiresAt", body.request.expiresAt, 64) }, signature: body.signature };
  return { kind: "revoke", request: common, signature: body.signature };
}
