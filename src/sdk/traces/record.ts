/**
 * The canonical trace record (DESIGN §4.5). A hospital supplies a TraceInput; the batcher seals it
 * into a TraceRecord by adding its hospital, sequence number, derived tier and a random salt.
 * Anything outside the schema is refused, never stripped: a record carrying a patient's name or
 * a medical record number must not reach the vault at all.
 */
import { ZeroHash, getAddress, hexlify, randomBytes } from "ethers";
import { CLINICIAN_ACTIONS, ClinicianAction, DEFAULT_INDICATIONS, NUMBERS, Tier, tierFor, type ClinicianActionName } from "../../constants";
import { InputError, isoOf } from "../../core";
import { TRACE_RECORD_FIELDS_V2, traceFieldsOf } from "../ids";
import { decodeTraceLeaf } from "./merkle";

/** What the hospital supplies for one AI-assisted decision. Identities are hashes or a pseudonymous address. */
export interface TraceInput {
  traceId: string; // bytes32, unique per hospital
  modelVersion: string; // bytes32 version id
  subject: string; // the patient's pseudonymous address
  inputHash: string;
  outputHash: string;
  confidenceBps: number;
  action: ClinicianActionName;
  clinicianHash: string;
  finalDecisionHash: string;
  time: number; // unix seconds
  /**
   * Record format 2 (both or neither): the indication the model was used for, an id of the
   * governed indication catalogue (DEFAULT_INDICATIONS at deployment), and whether the model's
   * output carried a risk warning. An input without them seals into a format-1 record, which
   * reports count as "indication unknown" (docs/reports.md).
   */
  indication?: number;
  riskWarning?: boolean;
}

/** The sealed record; its fields and order are those of ITraceAnchor.TraceRecord. */
export interface TraceRecord {
  traceId: string;
  hospital: number;
  seq: bigint;
  modelVersion: string;
  subject: string;
  inputHash: string;
  outputHash: string;
  confidenceBps: number;
  tier: number;
  action: number;
  clinicianHash: string;
  finalDecisionHash: string;
  time: bigint;
  salt: string;
  /** Format 2 only (see TraceInput). */
  indication?: number;
  riskWarning?: boolean;
}

type FieldCheck = (v: unknown) => unknown;
/** Checksummed addresses cost a keccak each; subjects repeat across traces, so remember them. */
const addressCache = new Map<string, string>();
function checkedAddress(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  let a = addressCache.get(v);
  if (a === undefined) {
    try {
      a = getAddress(v);
    } catch {
      return undefined;
    }
    if (addressCache.size >= 100_000) addressCache.clear();
    addressCache.set(v, a);
  }
  return a;
}

/**
 * A non-zero 32-byte hex string, lower-cased. Hot path (seven fields a trace, ~100k traces/s): one
 * pass over the characters avoids running /^0x[0-9a-fA-F]{64}$/ seven times a trace.
 */
const bytes32: FieldCheck = (v) => {
  if (typeof v !== "string" || v.length !== 66 || v.charCodeAt(0) !== 48 || v.charCodeAt(1) !== 120) return undefined;
  let upper = false;
  for (let i = 2; i < 66; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) continue; // 0-9
    if (c >= 97 && c <= 102) continue; // a-f
    if (c >= 65 && c <= 70) upper = true; // A-F
    else return undefined;
  }
  const lc = upper ? v.toLowerCase() : v;
  return lc === ZeroHash ? undefined : lc;
};
const INPUT_SCHEMA: Record<Exclude<keyof TraceInput, "indication" | "riskWarning">, [FieldCheck, string]> = {
  traceId: [bytes32, "a non-zero 32-byte hex string"],
  modelVersion: [bytes32, "a model version id (32-byte hex)"],
  subject: [checkedAddress, "the patient's pseudonymous address"],
  inputHash: [bytes32, "a 32-byte hash of the model input"],
  outputHash: [bytes32, "a 32-byte hash of the model output"],
  confidenceBps: [(v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= NUMBERS.BPS ? v : undefined), `an integer 0..${NUMBERS.BPS} (basis points)`],
  action: [(v) => (typeof v === "string" && (CLINICIAN_ACTIONS as readonly string[]).includes(v) && v !== "NONE" ? v : undefined), CLINICIAN_ACTIONS.slice(1).join(" | ")],
  clinicianHash: [bytes32, "a 32-byte hash of the clinician's identity"],
  finalDecisionHash: [bytes32, "a 32-byte hash of the final decision"],
  time: [(v) => (Number.isInteger(v) && (v as number) > 0 ? v : undefined), "unix seconds"],
};
/** The fields format 2 adds; an input carries both (format 2) or neither (format 1). */
const FORMAT2_SCHEMA: Record<"indication" | "riskWarning", [FieldCheck, string]> = {
  indication: [(v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) < NUMBERS.MAX_INDICATIONS ? v : undefined), `an indication id 0..${NUMBERS.MAX_INDICATIONS - 1} of the catalogue (${DEFAULT_INDICATIONS.map((n, i) => `${i} ${n}`).join(", ")}, …)`],
  riskWarning: [(v) => (typeof v === "boolean" ? v : undefined), "true or false (did the model's output carry a risk warning)"],
};
export const TRACE_INPUT_FIELDS = [...Object.keys(INPUT_SCHEMA), ...Object.keys(FORMAT2_SCHEMA)] as (keyof TraceInput)[];
const SCHEMA_ENTRIES = Object.entries(INPUT_SCHEMA);
const FORMAT2_ENTRIES = Object.entries(FORMAT2_SCHEMA);
const ALL_SCHEMA = { ...INPUT_SCHEMA, ...FORMAT2_SCHEMA };

/** Checks a hospital's trace input against the schema; throws InputError naming the first problem. */
export function validateTraceInput(raw: unknown, now = Math.floor(Date.now() / 1000)): TraceInput {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new InputError("TRACE_NOT_OBJECT", "a trace record must be a JSON object");
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!Object.hasOwn(ALL_SCHEMA, key)) {
      throw new InputError("TRACE_UNKNOWN_FIELD", `field "${key}" is not part of the trace schema; traces carry only hashes and a pseudonymous subject (allowed: ${TRACE_INPUT_FIELDS.join(", ")})`, { field: key });
    }
  }
  const out: Record<string, unknown> = {};
  // Format 2 when either of its fields is there; then both must be (half a format-2 record is refused, not guessed).
  const entries = "indication" in obj || "riskWarning" in obj ? SCHEMA_ENTRIES.concat(FORMAT2_ENTRIES) : SCHEMA_ENTRIES;
  for (const [key, [check, expected]] of entries) {
    if (!(key in obj)) throw new InputError("TRACE_MISSING_FIELD", `field "${key}" is missing; expected ${expected}`, { field: key });
    const value = check(obj[key]);
    if (value === undefined) throw new InputError("TRACE_BAD_FIELD", `field "${key}" must be ${expected}, got ${JSON.stringify(obj[key])}`, { field: key });
    out[key] = value;
  }
  if ((out.time as number) > now + NUMBERS.MAX_CLOCK_SKEW) {
    // Both times and the gap: "now" is the chain's (its head block's time), which lags a correct
    // wall clock while the chain makes no block, so the refusal must show which clock said no.
    const time = out.time as number;
    throw new InputError(
      "TRACE_FUTURE_TIME",
      `field "time" ${time} (${isoOf(time)}) is ${time - now} s ahead of the chain's time ${now} (${isoOf(now)}); a trace may be at most ${NUMBERS.MAX_CLOCK_SKEW} s ahead`,
      { field: "time" },
    );
  }
  return out as unknown as TraceInput;
}

/** Seals an input: adds hospital, sequence number, the tier its confidence demands, and a salt. */
export function sealTrace(input: TraceInput, hospital: number, seq: bigint, salt: string = hexlify(randomBytes(32))): TraceRecord {
  return {
    traceId: input.traceId,
    hospital,
    seq,
    modelVersion: input.modelVersion,
    subject: input.subject,
    inputHash: input.inputHash,
    outputHash: input.outputHash,
    confidenceBps: input.confidenceBps,
    tier: Tier[tierFor(input.confidenceBps)],
    action: ClinicianAction[input.action],
    clinicianHash: input.clinicianHash,
    finalDecisionHash: input.finalDecisionHash,
    time: BigInt(input.time),
    salt,
    ...(input.indication !== undefined ? { indication: input.indication, riskWarning: input.riskWarning } : {}),
  };
}

/** JSON form of a record, ABI-ready: 64-bit numbers as decimal strings, enums as their numbers. */
export interface TraceRecordJson extends Omit<TraceRecord, "seq" | "time"> {
  seq: string;
  time: string;
}

export const recordToJson = (r: TraceRecord): TraceRecordJson => ({ ...r, seq: r.seq.toString(), time: r.time.toString() });

export const recordFromJson = (j: TraceRecordJson): TraceRecord => ({ ...j, seq: BigInt(j.seq), time: BigInt(j.time) });

/** The JSON form of a record the vault holds ABI-encoded (either format, or a vault slot): 64-bit integers as strings, the subject checksummed. */
export function recordFromEncoding(encoded: Uint8Array): TraceRecordJson {
  const values = decodeTraceLeaf(encoded);
  return Object.fromEntries(
    traceFieldsOf(values.length === TRACE_RECORD_FIELDS_V2.length ? 2 : 1).map((f, i) => {
      const v = values[i];
      if (f.type === "address") return [f.name, checkedAddress(v)];
      if (typeof v === "bigint") return [f.name, f.type === "uint64" ? v.toString() : Number(v)];
      return [f.name, v];
    }),
  ) as unknown as TraceRecordJson;
}
