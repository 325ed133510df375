/**
 * A queued trace as the vault keeps it (layout 6): the very vault slot its sealed record will
 * take (merkle.ts TRACE_SLOT_BYTES), encoded when it is appended, with the three words a seal adds
 * — hospital, sequence number and salt — left zero. Sealing copies the slot and writes those three
 * words: no JSON is written or parsed a trace, and no hex is converted twice (layout 5 kept each
 * queued input as JSON under its own key, parsed and encoded it again when sealing). Pure functions.
 */
import { ZeroHash } from "ethers";
import { CLINICIAN_ACTIONS, type ClinicianActionName } from "../../constants";
import { TRACE_RECORD_FIELDS, traceLeafValues } from "../ids";
import { TRACE_SLOT_BYTES, encodeTraceSlot } from "./merkle";
import { recordFromEncoding, sealTrace, type TraceInput } from "./record";

/** Byte offset of a format-1 field's word in a slot (format 2 only appends words, so these hold for both). */
const wordAt = (name: string): number => {
  const i = TRACE_RECORD_FIELDS.findIndex((f) => f.name === name);
  if (i < 0) throw new Error(`trace records have no field ${name}`);
  return 32 * i;
};
const TRACE_ID = wordAt("traceId");
const HOSPITAL = wordAt("hospital");
const SEQ = wordAt("seq");
const VERSION = wordAt("modelVersion");
const TIME = wordAt("time");
const SALT = wordAt("salt");

/** Encodes a validated input into `into` at `offset` as a queued slot (hospital, sequence number and salt zero). */
export function encodeQueuedSlot(input: TraceInput, into: Buffer, offset: number): void {
  encodeTraceSlot(traceLeafValues(sealTrace(input, 0, 0n, ZeroHash)), into, offset);
}

/** The trace id of a slot (queued or sealed), as the vault's id: keys spell it (lower-case hex). */
export const slotTraceId = (slot: Buffer, at = 0): string => "0x" + slot.toString("hex", at + TRACE_ID, at + TRACE_ID + 32);

/** The model version of a slot (lower-case hex). */
export const slotVersion = (slot: Buffer, at = 0): string => "0x" + slot.toString("hex", at + VERSION, at + VERSION + 32);

/** True when the slots at `a` in `x` and at `b` in `y` name the same model version (no string made). */
export const sameVersion = (x: Buffer, a: number, y: Buffer, b: number): boolean => x.compare(y, b + VERSION, b + VERSION + 32, a + VERSION, a + VERSION + 32) === 0;

/** The time of a slot, Unix seconds (a uint64 the encoder held to the input's safe integer). */
export const slotTime = (slot: Buffer, at = 0): number => Number(slot.readBigUInt64BE(at + TIME + 24));

/** Writes the words a seal adds into the slot at `at`: the hospital, the sequence number, and the 32-byte salt from `salts` at `saltAt`. */
export function sealSlot(slot: Buffer, at: number, hospital: number, seq: bigint, salts: Buffer, saltAt: number): void {
  slot.writeUInt32BE(hospital, at + HOSPITAL + 28);
  slot.writeBigUInt64BE(seq, at + SEQ + 24);
  salts.copy(slot, at + SALT, saltAt, saltAt + 32);
}

/** The hospital's input a queued slot holds (what a quarantine keeps, so it can be looked at again). */
export function inputOfSlot(slot: Buffer): TraceInput {
  const r = recordFromEncoding(slot.subarray(0, TRACE_SLOT_BYTES));
  return {
    traceId: r.traceId, modelVersion: r.modelVersion, subject: r.subject, inputHash: r.inputHash, outputHash: r.outputHash, confidenceBps: r.confidenceBps,
    action: CLINICIAN_ACTIONS[r.action] as ClinicianActionName, clinicianHash: r.clinicianHash, finalDecisionHash: r.finalDecisionHash, time: Number(r.time),
    ...(r.indication !== undefined ? { indication: r.indication, riskWarning: r.riskWarning } : {}),
  };
}

/**
 * batcher.ts batchHeader's answer read from encoded records (`count`, `stride` bytes each: vault
 * slots, or format-1 records of 448 bytes) instead of decoded ones: the time window, and each version
 * with how many records reference it, in first-seen order. A version's hex is made once a run of
 * records that share it, not once a record.
 */
export function headerOfSlots(encoded: Buffer, count: number, stride: number): { fromTime: bigint; toTime: bigint; versions: string[]; versionCounts: number[] } {
  let fromTime = slotTime(encoded, 0);
  let toTime = fromTime;
  const counts = new Map<string, number>();
  let version = slotVersion(encoded, 0);
  let run = 0;
  for (let i = 0; i < count; i++) {
    const at = stride * i;
    const time = slotTime(encoded, at);
    if (time < fromTime) fromTime = time;
    if (time > toTime) toTime = time;
    if (i > 0 && !sameVersion(encoded, at, encoded, at - stride)) {
      counts.set(version, (counts.get(version) ?? 0) + run);
      version = slotVersion(encoded, at);
      run = 0;
    }
    run++;
  }
  counts.set(version, (counts.get(version) ?? 0) + run);
  return { fromTime: BigInt(fromTime), toTime: BigInt(toTime), versions: [...counts.keys()], versionCounts: [...counts.values()] };
}
