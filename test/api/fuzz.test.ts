/**
 * Every route of the audit API fuzzed from its own OpenAPI document (property-based, fast-check):
 * each operation gets ≥ 50 requests built from its declared parameters and body, mixed with the
 * shapes an outside fuzzer found answered 500 (Infinity, 1e400, numbers past 2^53 or past uint64
 * and uint256, one-element arrays where a string belongs, mis-checksummed addresses, very long and
 * unicode strings, missing and extra fields), from anonymous and signed-in callers. The property:
 * no answer is ≥ 500, and every 4xx is a JSON body {error:{code,message}} (an OperationOutcome
 * carrying the same code and message on /fhir routes) that names the problem.
 */
import { describe, it, expect, type TestContext } from "vitest";
import fc from "fast-check";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG } from "../helpers/fixture";
import { deploymentOf } from "../helpers/indexing";
import { errorOf } from "../helpers/error-body";
import { modelWithVersion } from "../helpers/builders";
import { clock, traceInput } from "../helpers/traces";
import { Patient, TraceBatcher, receiptFor, type TraceReceipt } from "../../src/sdk";
import { Purpose } from "../../src/constants";
import { bearerFor } from "../helpers/api-fixture";
import { seeded, serve } from "../helpers/api-build";

const RUNS = Number(process.env.MEDPROV_FUZZ_RUNS ?? 60);

/** A JSON number written as is (1e400, -0, 9007199254740993): JSON.stringify cannot say these. */
class Raw {
  constructor(readonly text: string) {}
}
function jsonText(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(jsonText).join(",")}]`;
  if (v && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`).join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

const UINT64_OVER = (2n ** 64n).toString();
const UINT256_MAX = (2n ** 256n - 1n).toString();
const UINT256_OVER = (2n ** 256n).toString();
/** Text that looks like a number to someone: what a query string carries. */
const HOSTILE_NUMBER_TEXT = ["Infinity", "-Infinity", "1e400", "-1e400", "NaN", "9007199254740992", "9007199254740993", UINT64_OVER, UINT256_OVER, "1" + "0".repeat(90), "-1", "1.5", "0.0", "-0", "+1", "0x10", "1e3", " 1", "1 ", "", "01", "٣"];
const hostileJsonNumbers = () => fc.constantFrom<unknown>(new Raw("1e400"), new Raw("-1e400"), new Raw("9007199254740993"), new Raw("1e308"), new Raw("-0"), 2 ** 53, -1, 1.5, 0.1, Number.MAX_SAFE_INTEGER + 2, new Raw(UINT256_OVER));
const longString = fc.constantFrom("a".repeat(10_000), "0x" + "ab".repeat(5_000), "ü".repeat(3_000));
const unicode = fc.string({ unit: "binary", maxLength: 40 });
/** Checksummed address with one letter's case flipped: passes a hex pattern, fails EIP-55. */
function misChecksummed(address: string): string {
  const i = [...address].findIndex((c, k) => k > 1 && /[a-fA-F]/.test(c));
  if (i < 0) return address; // no letter to flip (the zero address)
  return address.slice(0, i) + (address[i] === address[i].toUpperCase() ? address[i].toLowerCase() : address[i].toUpperCase()) + address.slice(i + 1);
}

type Schema = { type?: string | string[]; pattern?: string; minimum?: number; maximum?: number; properties?: Record<string, Schema>; required?: string[]; items?: Schema; oneOf?: Schema[]; const?: unknown; maxLength?: number; minItems?: number; maxItems?: number; enum?: unknown[] };

/** A leaf of a real receipt or signed request replaced by a hostile value (a one-element array of itself among them). */
function mutated(base: unknown): fc.Arbitrary<unknown> {
  const paths: string[][] = [];
  const walk = (v: unknown, p: string[]) => {
    if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    if (p.length) paths.push(p);
  };
  walk(base, []);
  const hostile = (orig: unknown) => fc.oneof(
    fc.constant([orig]),
    fc.constant(String(orig).toUpperCase()),
    fc.constantFrom<unknown>(null, "", 0, -1, 1.5, true, {}, [], UINT64_OVER, UINT256_OVER, "9".repeat(78), new Raw("1e400"), new Raw("9007199254740993"), 2 ** 53, "0x", "0x" + "0".repeat(63)),
    typeof orig === "string" && /^0x[0-9a-fA-F]{40}$/.test(orig) ? fc.constant(misChecksummed(orig)) : fc.constant(orig),
    longString,
    unicode,
  );
  return fc.tuple(fc.constantFrom(...paths), fc.nat(4)).chain(([path, dice]) => {
    const orig = path.reduce<any>((o, k) => o?.[k], base);
    return hostile(orig).map((value) => {
      const copy = structuredClone(base) as Record<string, any>;
      const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], copy);
      if (dice === 0) delete parent[path.at(-1)!]; // a missing field

      else parent[path.at(-1)!] = value;
      return copy;
    });
  });
}

/** The listed shapes, as values for one leaf whose real value is `orig` (undefined: the leaf removed). */
function leafShapes(orig: unknown): unknown[] {
  return [
    [orig], String(orig).toUpperCase(), null, "", 0, -1, 1.5, true, {}, [], UINT64_OVER, UINT256_OVER, "9".repeat(78), new Raw("1e400"), new Raw("9007199254740993"), 2 ** 53,
    "0x", "0x" + "0".repeat(63), "a".repeat(10_000), ...(typeof orig === "string" && /^0x[0-9a-fA-F]{40}$/.test(orig) ? [misChecksummed(orig)] : []), undefined,
  ];
}

/** `base` with each of its leaves replaced by each of the listed shapes in turn: none of them left to chance. */
function everyLeafShape(base: unknown): unknown[] {
  const paths: string[][] = [];
  const walk = (v: unknown, p: string[]) => {
    if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    if (p.length) paths.push(p);
  };
  walk(base, []);
  return paths.flatMap((path) => leafShapes(path.reduce<any>((o, k) => o?.[k], base)).map((value) => {
    const copy = structuredClone(base) as Record<string, any>;
    const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], copy);
    if (value === undefined) delete parent[path.at(-1)!];
    else parent[path.at(-1)!] = value;
    return copy;
  }));
}

interface Operation {
  method: string;
  path: string;
  params: { in: string; name: string; required?: boolean; schema: Schema }[];
  body?: Schema;
}
/** What the generators draw ledger values from: the seeded world and a bearer per caller (anonymous first). */
type Drawn = Awaited<ReturnType<typeof fuzzSeed>> & { bearers: (string | undefined)[] };

/** The request generators over one world's ids, receipts, signed requests and callers. */
function fuzzKit({ l, ids, receipts, signed, bearers }: Drawn) {
  function addresses(): string[] {
    return [l.patient.address, l.patient.address.toLowerCase(), misChecksummed(l.patient.address), misChecksummed(l.hospitalA.address), "0x" + "00".repeat(20), l.outsider.address];
  }
  function hashes(): string[] {
    return [ids.versionId, ids.datasetId, ids.modelId, receipts[0].batchId, ids.versionId.toUpperCase().replace("0X", "0x"), "0x" + "00".repeat(32), "0x" + "ff".repeat(32)];
  }

  /** Values for a string with a pattern: known ledger ids first, then near-misses. */
  function patterned(pattern: string): fc.Arbitrary<unknown> {
    if (pattern === "^0x[0-9a-fA-F]{40}$") return fc.constantFrom<unknown>(...addresses());
    if (pattern === "^0x[0-9a-fA-F]{64}$") return fc.constantFrom<unknown>(...hashes());
    if (pattern === "^[0-9]{1,78}$") return fc.constantFrom<unknown>("0", "1", "86400", UINT64_OVER, (2n ** 64n - 1n).toString(), UINT256_MAX, UINT256_OVER, "9".repeat(78));
    if (pattern === "^[0-9]{18}$") return fc.constantFrom<unknown>("0".repeat(18), "9".repeat(18), "000000000010000003");
    if (pattern === "^0x[0-9a-fA-F]{130}$") return fc.constantFrom<unknown>("0x" + "11".repeat(65), "0x" + "00".repeat(65), "0x" + "ff".repeat(65), signed[0].signature);
    return fc.stringMatching(new RegExp(pattern), { size: "small" });
  }

  /** A JSON value for a schema: mostly well-formed, often hostile. */
  function valueFor(s: Schema, depth = 0): fc.Arbitrary<unknown> {
    const hostile = fc.oneof(hostileJsonNumbers(), longString, unicode, fc.constantFrom<unknown>(null, true, {}, [], "", [[]]));
    const wrapInArray = (a: fc.Arbitrary<unknown>) => a.map((x) => [x]);
    if (s.oneOf) return fc.oneof(...s.oneOf.map((b) => valueFor(b, depth)));
    if (s.const !== undefined) return fc.oneof({ weight: 5, arbitrary: fc.constant(s.const) }, { weight: 1, arbitrary: fc.oneof(hostile, wrapInArray(fc.constant(s.const))) });
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    let good: fc.Arbitrary<unknown>;
    if (type === "integer") {
      const min = s.minimum ?? -(2 ** 31);
      const max = Math.min(s.maximum ?? 2 ** 40, Number.MAX_SAFE_INTEGER);
      good = fc.oneof(fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 40) }), fc.constantFrom(min, max), hostileJsonNumbers());
    } else if (type === "number") good = fc.oneof(fc.double(), hostileJsonNumbers());
    else if (type === "boolean") good = fc.boolean();
    else if (type === "string") good = s.pattern ? patterned(s.pattern) : fc.oneof(fc.string({ maxLength: 20 }), longString, unicode);
    else if (type === "array") {
      if (depth > 3) return fc.constant([]);
      good = fc.array(valueFor(s.items ?? {}, depth + 1), { maxLength: 3 });
    } else if (type === "object" && s.properties) {
      if (depth > 3) return fc.constant({});
      const props = Object.fromEntries(Object.entries(s.properties).map(([k, p]) => [k, valueFor(p, depth + 1)]));
      const required = s.required ?? [];
      good = fc.tuple(fc.record(props, { requiredKeys: required }), fc.record(props, { requiredKeys: [] }), fc.option(fc.constantFrom("extra", "__proto__x", "constructor"), { nil: undefined }), fc.nat(9)).map(([full, partial, extra, dice]) => {
        const o: Record<string, unknown> = { ...(dice < 7 ? full : partial) };
        if (extra) o[extra] = 1;
        return o;
      });
    } else good = fc.oneof(fc.object({ maxDepth: 2 }), fc.string());
    return fc.oneof({ weight: 6, arbitrary: good }, { weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: wrapInArray(good) });
  }

  /** A query or path value: what a URL can carry (text, or a key given twice). */
  function textFor(s: Schema): fc.Arbitrary<string | string[]> {
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    const hostile = fc.oneof(fc.constantFrom(...HOSTILE_NUMBER_TEXT), longString, unicode, fc.constantFrom(...addresses().map(misChecksummed)));
    let good: fc.Arbitrary<string>;
    if (type === "integer") {
      const min = s.minimum ?? 0;
      const max = Math.min(s.maximum ?? 2 ** 40, Number.MAX_SAFE_INTEGER);
      good = fc.oneof(fc.integer({ min, max: Math.min(max, 2 ** 40) }), fc.constantFrom(min, max, max + 1, min - 1)).map(String);
    } else if (s.pattern) good = patterned(s.pattern).map(String);
    else good = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("0", "1700000000", new Date(0).toISOString(), "2026-01-01T00:00:00Z", "yesterday"));
    return fc.oneof({ weight: 5, arbitrary: good }, { weight: 3, arbitrary: hostile }, { weight: 1, arbitrary: fc.array(good, { minLength: 2, maxLength: 2 }) });
  }

  /** Requests for one operation: path and query from its parameters, a body from its schema (or a real one mutated). */
  function requestFor(op: Operation) {
    const params = op.params.map((p) => fc.tuple(fc.constant(p), p.in === "path" ? textFor(p.schema).map((v) => (Array.isArray(v) ? v[0] : v)) : fc.option(textFor(p.schema), { nil: undefined, freq: p.required ? 8 : 3 })));
    const extraQuery = fc.option(fc.constantFrom("extra=1", "purpose=1&purpose=2", "__proto__=1"), { nil: undefined, freq: 6 });
    let body: fc.Arbitrary<unknown> = fc.constant(undefined);
    if (op.body) {
      const real = op.path === "/relay" ? signed : op.path === "/verify" || op.path === "/reports/traces" ? [{ receipts }, { receipts: [receipts[0], receipts[0]] }] : [];
      const fromReal = op.path === "/relay" ? fc.constantFrom(...real).chain(mutated) : real.length ? fc.constantFrom(...receipts).chain(mutated).map((r) => ({ receipts: [r, receipts[1]] })) : undefined;
      body = fromReal ? fc.oneof({ weight: 3, arbitrary: fromReal }, { weight: 1, arbitrary: fc.constantFrom(...real) }, { weight: 2, arbitrary: valueFor(op.body) }) : valueFor(op.body);
    }
    return fc.record({ params: fc.tuple(...params), extraQuery, body, caller: fc.nat(bearers.length - 1) }).map(({ params: ps, extraQuery: extra, body: b, caller }) => {
      let url = op.path;
      const query: string[] = [];
      for (const [p, v] of ps) {
        if (v === undefined) continue;
        if (p.in === "path") url = url.replace(`{${p.name}}`, encodeURIComponent(v as string));
        else for (const one of Array.isArray(v) ? v : [v]) query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(one)}`);
      }
      if (extra) query.push(extra);
      if (query.length) url += `?${query.join("&")}`;
      return { method: op.method.toUpperCase(), url, body: b === undefined ? undefined : jsonText(b), bearer: bearers[caller] };
    });
  }

  return { requestFor };
}

/** An approved version deployed by hospital A, the patient's consent to it, two anchored traces and a patient's signed grant and revocation. */
async function fuzzSeed() {
  const l = await ledgerFixture();
  const ids = await modelWithVersion(l, { approve: true });
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_A, (await time.latest()) + 10 ** 6)).wait();
  await (await l.models.connect(l.hospitalA).recordDeployment(ids.versionId)).wait();
  await time.increase(10);
  const now = await time.latest();
  clock.now = () => now;
  const batcher = await TraceBatcher.open({ vaultPath: join(mkdtempSync(join(tmpdir(), "medprov-fuzz-")), "vault"), ledger: l, signer: l.hospitalA });
  await batcher.append(traceInput(ids.versionId, { subject: l.patient.address, time: now }), traceInput(ids.versionId, { time: now, action: "MODIFIED" }));
  await batcher.flush();
  const deployment = await deploymentOf(l);
  const receipts: TraceReceipt[] = [];
  for await (const a of batcher.storage.anchored()) receipts.push(receiptFor(a, deployment));
  await batcher.close();
  const patient = new Patient(l, l.patient2);
  const signed = [
    await patient.signGrant({ purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_A, expiresAt: now + 86_400 }),
    await patient.signRevoke({ purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_A }),
  ];
  return { l, ids, receipts, signed };
}

/** The seeded chain behind an app of test `t`'s own that relays with hospital A's key, a bearer per role, and the generators over them. */
async function fuzzWorld(t: TestContext) {
  const w = await seeded(fuzzSeed);
  const { app } = await serve(t, w.l, { relayer: w.l.hospitalA, rateLimit: 1_000_000 });
  const bearers: (string | undefined)[] = [undefined];
  for (const s of [w.l.patient, w.l.hospitalA, w.l.hospitalB, w.l.developer, w.l.regulator, w.l.auditor]) bearers.push(await bearerFor(app, s));
  return { ...w, app, bearers, ...fuzzKit({ ...w, bearers }) };
}

describe("API fuzz, driven by /openapi.json", () => {
  it("covers every route the OpenAPI document lists", async (t) => {
    const { app } = await fuzzWorld(t);
    const doc = (await app.inject({ url: "/openapi.json" })).json();
    const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.length).toBeGreaterThanOrEqual(28);
    expect(routes).toContain("POST /relay");
  });

  it(`no answer ≥ 500 and every 4xx names its problem (${RUNS} requests a route)`, async (t) => {
    const { app, requestFor } = await fuzzWorld(t);
    const doc = (await app.inject({ url: "/openapi.json" })).json();
    const operations: Operation[] = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method, path, params: op.parameters ?? [], body: op.requestBody?.content?.["application/json"]?.schema })),
    );
    /** One example per (operation, status, kind), so a report lists every distinct failure. */
    const failures = new Map<string, { count: number; example: string }>();
    const fail = (key: string, example: string) => {
      const f = failures.get(key) ?? { count: 0, example };
      f.count++;
      failures.set(key, f);
    };
    let requests = 0;
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(requestFor(op), async (req) => {
          requests++;
          const r = await app.inject({ method: req.method as "GET", url: req.url, payload: req.body, headers: { ...(req.body !== undefined ? { "content-type": "application/json" } : {}), ...(req.bearer ? { authorization: req.bearer } : {}) } });
          const where = `${req.method} ${req.url.slice(0, 160)} ${req.body?.slice(0, 200) ?? ""} → ${r.statusCode} ${r.body.slice(0, 200)}`;
          const key = `${op.method.toUpperCase()} ${op.path} ${r.statusCode}`;
          if (r.statusCode >= 500) return void fail(key, where);
          if (r.statusCode >= 400) {
            let e: { code?: unknown; message?: unknown } | undefined;
            try {
              e = errorOf(r.json()); // an OperationOutcome on /fhir routes
            } catch {
              e = undefined;
            }
            if (typeof e?.code !== "string" || !/^[A-Za-z_]+$/.test(e.code) || typeof e.message !== "string" || e.message.length < 8) fail(`${key} unnamed`, where);
          }
        }),
        { numRuns: RUNS, seed: 19 },
      );
    }
    expect(requests).toBeGreaterThanOrEqual(operations.length * 50);
    const total = [...failures.values()].reduce((n, f) => n + f.count, 0);
    expect(Object.fromEntries([...failures].map(([k, f]) => [k, `${f.count}× e.g. ${f.example}`])), `${total} of ${requests} requests failed`).toEqual({});
  });

  it("every path and query parameter of every route, given each listed shape in turn (the others valid): no answer ≥ 500, every 4xx named", async (t) => {
    const { l, ids, app, bearers } = await fuzzWorld(t);
    const doc = (await app.inject({ url: "/openapi.json" })).json();
    const good = (sc: Schema): string => {
      if (sc.pattern === "^0x[0-9a-fA-F]{40}$") return l.patient.address;
      if (sc.pattern === "^0x[0-9a-fA-F]{64}$") return ids.versionId;
      if (sc.pattern === "^[0-9]{18}$") return "0".repeat(18);
      return String(Math.max(sc.minimum ?? 1, 1));
    };
    const shapes = [...HOSTILE_NUMBER_TEXT, "a".repeat(5_000), "ü".repeat(100), misChecksummed(l.patient.address), l.patient.address.toUpperCase().replace("0X", "0x"), "0x" + "0".repeat(63)];
    const failures: string[] = [];
    let requests = 0;
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(methods)) {
        const params: Operation["params"] = op.parameters ?? [];
        for (const target of params) {
          for (const shape of shapes) {
            let url = path;
            const query: string[] = [];
            for (const p of params) {
              const v = p === target ? shape : good(p.schema);
              if (p.in === "path") url = url.replace(`{${p.name}}`, encodeURIComponent(v));
              else if (p === target || p.required) query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(v)}`);
            }
            if (query.length) url += `?${query.join("&")}`;
            requests++;
            const r = await app.inject({ method: method.toUpperCase() as "GET", url, headers: { authorization: bearers.at(-1)! } });
            const e = r.statusCode >= 400 && r.statusCode < 500 ? errorOf(r.json()) : undefined;
            if (r.statusCode >= 500 || (r.statusCode >= 400 && (typeof e?.code !== "string" || typeof e.message !== "string" || e.message.length < 8))) failures.push(`${method.toUpperCase()} ${url.slice(0, 200)} → ${r.statusCode} ${r.body.slice(0, 200)}`);
          }
        }
      }
    }
    expect(requests).toBeGreaterThan(500);
    expect(failures.slice(0, 5), `${failures.length} of ${requests} requests failed`).toEqual([]);
  });

  it("every leaf of a real /relay, /verify and /reports/traces body, replaced by each listed shape in turn: no answer ≥ 500, every 4xx named", async (t) => {
    const { app, bearers, signed, receipts } = await fuzzWorld(t);
    const bodies: [string, unknown][] = [
      ...signed.flatMap((x) => everyLeafShape(x).map((b): [string, unknown] => ["/relay", b])),
      ...["/verify", "/reports/traces"].flatMap((url) => everyLeafShape(receipts[0]).map((r): [string, unknown] => [url, { receipts: [r, receipts[1]] }])),
    ];
    expect(bodies.length).toBeGreaterThan(1000);
    const failures: string[] = [];
    for (const [url, body] of bodies) {
      const payload = jsonText(body);
      const r = await app.inject({ method: "POST", url, payload, headers: { "content-type": "application/json", authorization: bearers.at(-1)! } }); // the auditor may call all three
      const e = r.statusCode >= 400 && r.statusCode < 500 ? errorOf(r.json()) : undefined;
      if (r.statusCode >= 500 || (r.statusCode >= 400 && (typeof e?.code !== "string" || typeof e.message !== "string" || e.message.length < 8))) failures.push(`${url} ${payload.slice(0, 300)} → ${r.statusCode} ${r.body.slice(0, 200)}`);
    }
    expect(failures.slice(0, 5), `${failures.length} of ${bodies.length} requests failed`).toEqual([]);
  });
});
