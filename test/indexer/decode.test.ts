/**
 * The indexer's compiled event decoder against ethers' decodeEventLog: for every event the index
 * reads, random arguments encoded by ethers decode to the same values; malformed logs are refused.
 */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import type { EventFragment, Interface, ParamType, Result } from "ethers";
import { INDEXED } from "../../src/indexer/handlers";
import { eventDecoder, type DecodedValue } from "../../src/indexer/decode";

const hex = (bytes: Uint8Array) => "0x" + Buffer.from(bytes).toString("hex");
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map(hex);

function arbitrary(t: ParamType): fc.Arbitrary<unknown> {
  if (t.isTuple()) return fc.tuple(...t.components.map(arbitrary));
  if (t.isArray()) return fc.array(arbitrary(t.arrayChildren), t.arrayLength === -1 ? { maxLength: 6 } : { minLength: t.arrayLength, maxLength: t.arrayLength });
  if (t.type === "address") return bytesOf(20);
  if (t.type === "bool") return fc.boolean();
  if (t.type === "string") return fc.string({ maxLength: 40, unit: "grapheme" });
  if (t.type === "bytes") return fc.uint8Array({ maxLength: 70 }).map(hex);
  const fixed = /^bytes(\d+)$/.exec(t.type);
  if (fixed) return bytesOf(Number(fixed[1]));
  const int = /^(u?)int(\d+)$/.exec(t.type)!;
  const bits = BigInt(int[2]);
  return int[1] ? fc.bigInt({ min: 0n, max: (1n << bits) - 1n }) : fc.bigInt({ min: -(1n << (bits - 1n)), max: (1n << (bits - 1n)) - 1n });
}

/** ethers' Result as the decoder's plain form. */
function normal(v: unknown, t: ParamType): DecodedValue {
  if (t.isTuple()) return Object.fromEntries(t.components.map((c, i) => [c.name, normal((v as Result)[i], c)]));
  if (t.isArray()) return [...(v as Result)].map((x) => normal(x, t.arrayChildren));
  if (typeof v === "string" && t.type === "address") return v.toLowerCase();
  return v as DecodedValue;
}

const events: { iface: Interface; fragment: EventFragment }[] = [];
for (const iface of Object.values(INDEXED)) iface!.forEachEvent((fragment) => events.push({ iface: iface!, fragment }));

describe("indexer event decoder", () => {
  it(`decodes each of the ${events.length} indexed events exactly as ethers does`, () => {
    expect(events.length).toBeGreaterThan(20);
    for (const { iface, fragment } of events) {
      const decode = eventDecoder(fragment);
      fc.assert(
        fc.property(fc.tuple(...fragment.inputs.map(arbitrary)), (values) => {
          const { data, topics } = iface.encodeEventLog(fragment, values);
          const theirs = iface.decodeEventLog(fragment, data, topics);
          const ours = decode(topics, data);
          const expected = Object.fromEntries(fragment.inputs.map((p, i) => [p.name, normal(theirs[i], p)]));
          expect(ours, fragment.format()).toEqual(expected);
        }),
        { numRuns: 40 },
      );
    }
  });

  it("refuses truncated data, out-of-range offsets, dirty address bytes and wrong topic counts", () => {
    const { iface, fragment } = events.find((e) => e.fragment.name === "BatchAnchored")!;
    const values = fragment.inputs.map((p) => fc.sample(arbitrary(p), { numRuns: 1, seed: 7 })[0]);
    const { data, topics } = iface.encodeEventLog(fragment, values);
    const decode = eventDecoder(fragment);
    expect(() => decode(topics, data.slice(0, data.length - 64))).toThrow();
    expect(() => decode(topics.slice(0, -1), data)).toThrow(/topics/);
    const dyn = fragment.inputs.filter((p) => !p.indexed).findIndex((p) => p.type.endsWith("[]"));
    const badOffset = data.slice(0, 2 + 64 * dyn) + "ff".repeat(32) + data.slice(2 + 64 * (dyn + 1));
    expect(() => decode(topics, badOffset)).toThrow(/too large/);
    expect(() => decode(topics, data + "0")).toThrow(/hex/);
    expect(() => decode(topics, data.slice(0, -2) + "zz")).toThrow(/hex/);
    expect(() => decode([topics[0], topics[1].slice(0, -1) + "g", ...topics.slice(2)], data)).toThrow(/hex/);
    // Topics read straight from their hex: a uint32 one past its range, an address with dirty high
    // bytes, a short topic; and the same values in upper-case hex decode as in lower case.
    const keyRevoked = events.find((e) => e.fragment.name === "KeyRevoked")!;
    const kr = keyRevoked.iface.encodeEventLog(keyRevoked.fragment, keyRevoked.fragment.inputs.map((p) => fc.sample(arbitrary(p), { numRuns: 1, seed: 9 })[0]));
    const decodeKr = eventDecoder(keyRevoked.fragment);
    const withTopic = (i: number, t: string) => kr.topics.map((x, j) => (j === i ? t : x));
    expect(() => decodeKr(withTopic(1, "0x" + (1n << 32n).toString(16).padStart(64, "0")), kr.data)).toThrow(/out of range/);
    expect(() => decodeKr(withTopic(2, "0x01" + kr.topics[2].slice(4)), kr.data)).toThrow(/dirty/);
    expect(() => decodeKr(withTopic(3, kr.topics[3].slice(0, -2)), kr.data)).toThrow(/32 bytes/);
    expect(decodeKr(kr.topics.map((t) => "0x" + t.slice(2).toUpperCase()), kr.data)).toEqual(decodeKr(kr.topics, kr.data));
    const withAddress = events.find((e) => e.fragment.inputs.some((p) => !p.indexed && p.type === "address"))!;
    const at = withAddress.fragment.inputs.filter((p) => !p.indexed).findIndex((p) => p.type === "address");
    const enc = withAddress.iface.encodeEventLog(withAddress.fragment, withAddress.fragment.inputs.map((p) => fc.sample(arbitrary(p), { numRuns: 1, seed: 3 })[0]));
    const dirty = enc.data.slice(0, 2 + 64 * at) + "ab" + enc.data.slice(4 + 64 * at);
    expect(() => eventDecoder(withAddress.fragment)(enc.topics, dirty)).toThrow(/dirty/);
    // An integer one past its type's range, for narrow types (read from the low 6 bytes) and wide ones.
    for (const narrow of [true, false]) {
      const fits = (p: { indexed: boolean | null; type: string }) => !p.indexed && /^uint(\d+)$/.test(p.type) && Number(p.type.slice(4)) < 48 === narrow && p.type !== "uint256";
      const e = events.find((x) => x.fragment.inputs.some(fits))!;
      const body = e.fragment.inputs.filter((p) => !p.indexed);
      const i = body.findIndex(fits);
      const good = e.iface.encodeEventLog(e.fragment, e.fragment.inputs.map((p) => fc.sample(arbitrary(p), { numRuns: 1, seed: 5 })[0]));
      const over = (1n << BigInt(body[i].type.slice(4))).toString(16).padStart(64, "0");
      expect(() => eventDecoder(e.fragment)(good.topics, good.data.slice(0, 2 + 64 * i) + over + good.data.slice(2 + 64 * (i + 1))), body[i].type).toThrow(/out of range/);
    }
  });
});
