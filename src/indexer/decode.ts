/**
 * Event decoding for the indexer's hot path. ethers' `decodeEventLog` builds a tree of coder
 * objects and a frozen `Result` for every log, which was most of the indexer's CPU time; this
 * decoder is compiled once per event from the same ABI and returns plain values. A property test
 * (test/indexer/decode.test.ts) checks it against ethers for every indexed event.
 *
 * Values: integers as bigint, addresses and byte strings as lower-case hex, strings as UTF-8,
 * tuples as objects keyed by component name, arrays as arrays. Reads past the data, offsets out of
 * range and non-canonical padding are errors, as they are for ethers.
 */
import type { EventFragment, ParamType } from "ethers";

export type Decoded = { [name: string]: DecodedValue };
export type DecodedValue = bigint | boolean | string | DecodedValue[] | Decoded;

const WORD = 32;

class Malformed extends Error {}

function word(buf: Buffer, at: number): number {
  if (at + WORD > buf.length) throw new Malformed(`read past the end of the data at ${at}`);
  return at;
}

/** An offset or length word: must fit in a safe integer and land inside the data. */
function size(buf: Buffer, at: number): number {
  word(buf, at);
  for (let i = at; i < at + 24; i++) if (buf[i] !== 0) throw new Malformed(`offset or length at ${at} is too large`);
  const v = buf.readUIntBE(at + 26, 6);
  if (buf.readUInt16BE(at + 24) !== 0 || v > buf.length) throw new Malformed(`offset or length at ${at} is too large`);
  return v;
}

const isDynamic = (t: ParamType): boolean =>
  t.baseType === "string" || t.baseType === "bytes" || (t.isArray() && (t.arrayLength === -1 || isDynamic(t.arrayChildren))) || (t.isTuple() && t.components.some(isDynamic));

/** Size in bytes of a static type's head. */
const staticSize = (t: ParamType): number => (t.isTuple() ? t.components.reduce((n, c) => n + staticSize(c), 0) : t.isArray() ? t.arrayLength * staticSize(t.arrayChildren) : WORD);

type Reader = (buf: Buffer, at: number) => DecodedValue;

/** A reader for one value whose encoding starts at `at` (for a dynamic type: where its offset points). */
function reader(t: ParamType): Reader {
  const base = t.baseType;
  if (t.isTuple()) {
    const parts = sequence(t.components);
    return (buf, at) => {
      const out: Decoded = {};
      parts(buf, at, out);
      return out;
    };
  }
  if (t.isArray()) {
    const elements = repeated(t.arrayChildren);
    if (t.arrayLength === -1) return (buf, at) => elements(buf, at + WORD, size(buf, at));
    const n = t.arrayLength;
    return (buf, at) => elements(buf, at, n);
  }
  if (base === "string" || base === "bytes") {
    return (buf, at) => {
      const n = size(buf, at);
      if (at + WORD + n > buf.length) throw new Malformed(`${base} at ${at} runs past the data`);
      const bytes = buf.subarray(at + WORD, at + WORD + n);
      return base === "string" ? bytes.toString("utf8") : "0x" + bytes.toString("hex");
    };
  }
  return staticWord(t);
}

function staticWord(t: ParamType): Reader {
  const type = t.type;
  if (type === "address") {
    return (buf, at) => {
      word(buf, at);
      for (let i = at; i < at + 12; i++) if (buf[i] !== 0) throw new Malformed(`address at ${at} has dirty high bytes`);
      return "0x" + buf.toString("hex", at + 12, at + WORD);
    };
  }
  if (type === "bool") {
    return (buf, at) => {
      word(buf, at);
      const v = BigInt("0x" + buf.toString("hex", at, at + WORD));
      if (v > 1n) throw new Malformed(`bool at ${at} is ${v}`);
      return v === 1n;
    };
  }
  const fixed = /^bytes(\d+)$/.exec(type);
  if (fixed) {
    const n = Number(fixed[1]);
    return (buf, at) => "0x" + buf.toString("hex", word(buf, at), at + n);
  }
  const int = /^(u?)int(\d+)$/.exec(type);
  if (int) {
    const bits = BigInt(int[2]);
    const signed = int[1] === "";
    const max = 1n << bits;
    return (buf, at) => {
      word(buf, at);
      // Most ledger integers (ids, counts, times) fit in 48 bits: read those without a hex round trip.
      let high = 0;
      for (let i = at; i < at + 26; i++) high |= buf[i];
      let v = high === 0 ? BigInt(buf.readUIntBE(at + 26, 6)) : BigInt("0x" + buf.toString("hex", at, at + WORD));
      if (signed) {
        v = BigInt.asIntN(256, v);
        if (v >= max / 2n || v < -(max / 2n)) throw new Malformed(`${type} at ${at} is out of range`);
      } else if (v >= max) throw new Malformed(`${type} at ${at} is out of range`);
      return v;
    };
  }
  throw new Error(`no decoder for ABI type ${type}`);
}

/**
 * A 0x-hex string's bytes. Buffer.from stops at the first non-hex character, so a length that does
 * not match the string is how malformed hex shows (cheaper than a regular expression on the hot path).
 */
function bytesOf(hex: string): Buffer {
  const b = typeof hex === "string" && hex.startsWith("0x") ? Buffer.from(hex.slice(2), "hex") : undefined;
  if (!b || 2 * b.length !== hex.length - 2) throw new Malformed("log data or topic is not 0x-prefixed hex");
  return b;
}

const HEX_WORD = /^0x[0-9a-fA-F]{64}$/;
/** The hex of an address topic's 12 zero bytes, and of the 26 above a 48-bit integer. */
const [ADDRESS_PAD, INT48_PAD] = ["0".repeat(24), "0".repeat(52)];

/**
 * A reader for an indexed value, from its topic's hex. The common cases (a bytes32 id, an address,
 * a small unsigned integer) are read straight from the string, which spares a Buffer per topic
 * on the hot path; anything else, including every malformed topic, takes the Buffer path above.
 */
function topicWord(t: ParamType): (topic: string, position: number) => DecodedValue {
  const read = staticWord(t);
  const viaBuffer = (hex: string, position: number) => {
    const topic = bytesOf(hex);
    if (topic.length !== WORD) throw new Malformed(`topic ${position} is not 32 bytes`);
    return read(topic, 0);
  };
  const int = /^uint(\d+)$/.exec(t.type);
  const bits = int ? Number(int[1]) : 0;
  const direct: ((hex: string) => DecodedValue | undefined) | undefined =
    t.type === "bytes32"
      ? (hex) => hex.toLowerCase()
      : t.type === "address"
        ? (hex) => (hex.startsWith(ADDRESS_PAD, 2) ? "0x" + hex.slice(26).toLowerCase() : undefined)
        : int && bits <= 48
          ? (hex) => {
              if (!hex.startsWith(INT48_PAD, 2)) return undefined;
              const v = parseInt(hex.slice(54), 16);
              return v < 2 ** bits ? BigInt(v) : undefined;
            }
          : undefined;
  if (!direct) return viaBuffer;
  return (hex, position) => (typeof hex === "string" && HEX_WORD.test(hex) ? direct(hex) : undefined) ?? viaBuffer(hex, position);
}

/** Decodes `n` elements of one type laid out as a head/tail sequence starting at `at`. */
function repeated(t: ParamType): (buf: Buffer, at: number, n: number) => DecodedValue[] {
  const dynamic = isDynamic(t);
  const width = dynamic ? WORD : staticSize(t);
  const read = reader(t);
  return (buf, at, n) => {
    if (at + n * width > buf.length) throw new Malformed(`array of ${n} at ${at} runs past the data`);
    const out = new Array<DecodedValue>(n);
    for (let i = 0, head = at; i < n; i++, head += width) out[i] = dynamic ? read(buf, at + size(buf, head)) : read(buf, head);
    return out;
  };
}

/**
 * Decodes a head/tail sequence (a tuple's components, or an event's data) starting at `at`, each
 * value set on `out` under its component's name, in order.
 */
function sequence(types: readonly ParamType[]): (buf: Buffer, at: number, out: Decoded) => void {
  const steps = types.map((t) => ({ name: t.name, dynamic: isDynamic(t), width: isDynamic(t) ? WORD : staticSize(t), read: reader(t) }));
  return (buf, at, out) => {
    let head = at;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      out[s.name] = s.dynamic ? s.read(buf, at + size(buf, head)) : s.read(buf, head);
      head += s.width;
    }
  };
}

/**
 * Compiles a decoder for one event. Indexed value types come from the topics; an event with an
 * indexed dynamic type (whose topic is only a hash) is not supported and throws here, at start-up.
 */
export function eventDecoder(fragment: EventFragment): (topics: readonly string[], data: string) => Decoded {
  const indexed = fragment.inputs.filter((p) => p.indexed);
  for (const p of indexed) if (isDynamic(p) || p.isTuple()) throw new Error(`${fragment.name}.${p.name}: indexed ${p.type} is not decodable from its topic`);
  const topicReaders = indexed.map((p) => ({ name: p.name, read: topicWord(p) }));
  const readBody = sequence(fragment.inputs.filter((p) => !p.indexed));
  const topicCount = indexed.length + (fragment.anonymous ? 0 : 1);
  return (topics, data) => {
    if (topics.length !== topicCount) throw new Malformed(`${fragment.name} has ${topicCount} topics, the log ${topics.length}`);
    const out: Decoded = {};
    topicReaders.forEach((r, i) => (out[r.name] = r.read(topics[i + (fragment.anonymous ? 0 : 1)], i + 1)));
    readBody(bytesOf(data), 0, out);
    return out;
  };
}
