/**
 * The API's refusals and its clocks: the error catalogue walked code by code, strict integer and
 * relay inputs, /readyz when the indexer stopped or the chain node is gone, SIWE's issuedAt window,
 * session end and URI scheme, and "now" taken from the chain (two days ahead of this host).
 */
import { describe, it, expect, type TestContext } from "vitest";
import hre from "hardhat";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { time, mine } from "@nomicfoundation/hardhat-network-helpers";
import { SiweMessage } from "siwe";
import { ZeroAddress, ZeroHash, type Provider, type Signer } from "ethers";
import type { FastifyInstance } from "fastify";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { deploymentOf, inProcess, tempDb } from "../helpers/indexing";
import { build, closeAfter, seeded, serve } from "../helpers/api-build";
import { fhirProblems } from "../helpers/fhir-validate";
import { LEDGER_ERRORS, LedgerRevertError, decodeRevert, MedprovError, Patient } from "../../src/sdk";
import { Purpose } from "../../src/constants";
import { IndexStore, createIndexer, createQueries } from "../../src/indexer";
import { buildApp, createAuth, createFastify, ERROR_CATALOGUE, errorReply, superviseIndexer, type AppOptions } from "../../src/api";
import { LISTEN_ERRORS } from "../../src/api/server";

const AUTH = { domain: "medprov.test", uri: "https://medprov.test", chainId: 31337 };
const DAY = 86_400;

/** The fixture ledger, the patient's CLINICAL_DECISION_SUPPORT consent to hospital A for 30 days. */
async function strictSeed() {
  const l = await ledgerFixture();
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_A, (await time.latest()) + 30 * DAY)).wait();
  return { l };
}

/** The seeded chain behind an app of test `t`'s own (with its indexer's stats), and the auditor signed in to it. */
async function world(t: TestContext) {
  const w = await build(t, strictSeed);
  return { ...w, auditor: await signIn(w.app, w.l.auditor) };
}

/** Another app of test `t`'s own over a fresh index, with only the options `o` gives (no indexer stats unless given). */
const appWith = async (t: TestContext, l: Ledger, o: Partial<AppOptions> = {}) => (await serve(t, l, { indexerStats: undefined, ...o })).app;

/** An app over `store`, an index the test drives itself; closed when `t` finishes. */
async function appOver(t: TestContext, l: Ledger, store: IndexStore, o: Partial<AppOptions> = {}) {
  const a = createFastify();
  closeAfter(t, a);
  await a.register(buildApp, { queries: createQueries(store), ledger: l, deployment: await deploymentOf(l), provider: hre.ethers.provider, auth: AUTH, ...o });
  await a.ready();
  return a;
}

async function siwe(signer: Signer, nonce: string, o: Partial<{ uri: string; issuedAt: string; expirationTime: string }> = {}) {
  const message = new SiweMessage({ domain: AUTH.domain, address: await signer.getAddress(), statement: "Sign in to medprov", uri: o.uri ?? AUTH.uri, version: "1", chainId: AUTH.chainId, nonce, issuedAt: o.issuedAt ?? new Date(Date.now() - 1000).toISOString(), expirationTime: o.expirationTime }).prepareMessage();
  return { message, signature: await signer.signMessage(message) };
}

async function signIn(a: FastifyInstance, signer: Signer): Promise<string> {
  const nonce = (await a.inject({ method: "POST", url: "/auth/nonce" })).json().nonce;
  const r = await a.inject({ method: "POST", url: "/auth/verify", payload: await siwe(signer, nonce) });
  expect(r.statusCode, r.body).toBe(200);
  return `Bearer ${r.json().session}`;
}

/** A provider whose every call fails the way a dead node's does (connection refused). */
const deadProvider = (): Provider =>
  new Proxy(hre.ethers.provider, {
    get: (target, prop, receiver) => {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function" || !["getBlockNumber", "getBlock", "call", "send", "estimateGas", "broadcastTransaction", "getTransactionCount"].includes(String(prop))) return v;
      return () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" }));
    },
  });


/** Codes raised as `new X("CODE"` (or through a local `bad("CODE"` helper) in a source tree. */
function codesIn(dir: string): Set<string> {
  const codes = new Set<string>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts")) for (const m of readFileSync(p, "utf8").matchAll(/(?:new (?:MedprovError|InputError|FatalIndexerError|ApiError|RpcError)|\bbad|super)\(\s*"([A-Z][A-Z0-9_]+)"/g)) codes.add(m[1]);
    }
  };
  walk(dir);
  return codes;
}

describe("error catalogue", () => {
  it("maps every code the SDK, the indexer and the API raise", () => {
    const raised = new Set([...["sdk", "indexer", "api"].flatMap((d) => [...codesIn(join(__dirname, "..", "..", "src", d))]), ...Object.values(LISTEN_ERRORS).map(([code]) => code), "RPC_UNAVAILABLE"]);
    expect(raised.size).toBeGreaterThan(40);
    const missing = [...raised].filter((c) => !(c in ERROR_CATALOGUE));
    expect(missing, "codes without an HTTP status in src/api/errors.ts").toEqual([]);
  });

  it("answers each code with its status; every unavailable one is a 503 with Retry-After; no client mistake is a 5xx", () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      const r = errorReply(new MedprovError(code, `because ${code}`));
      expect([code, r.status, r.body.error.code]).toEqual([code, entry.status, code]);
      if ("retryAfter" in entry) expect([code, r.status, Number(r.headers["retry-after"])]).toEqual([code, 503, entry.retryAfter]);
      else expect(r.headers["retry-after"]).toBeUndefined();
    }
    for (const code of ["RPC_UNAVAILABLE", "CHAIN_UNAVAILABLE", "TX_TIMEOUT", "INDEX_NOT_READY", "NOT_READY", "RPC_INCONSISTENT", "REORG_TOO_DEEP"]) expect(errorReply(new MedprovError(code, "x", true)).status, code).toBe(503);
    for (const code of ["RECEIPT_MALFORMED", "TRACE_BAD_FIELD", "INVALID_INTEGER", "OUT_OF_RANGE", "ADDRESS_CHECKSUM", "UINT_OVERFLOW", "CONTRADICTORY_PARAMETERS", "MANIFEST_INVALID"]) expect(errorReply(new MedprovError(code, "x")).status, code).toBe(400);
    // A retryable code nobody catalogued yet is still "try again", never a 500; an unexpected error is a hidden 500.
    expect(errorReply(new MedprovError("SOMETHING_NEW", "x", true)).status).toBe(503);
    expect(errorReply(new Error("boom")).body).toEqual({ error: { code: "INTERNAL", message: "internal error" } });
    // ethers' and Node's connection failures are the RPC's unavailability.
    expect(errorReply(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })).status).toBe(503);
  });

  it("answers every ledger revert with 422 and its name", () => {
    const names = LEDGER_ERRORS.fragments.filter((f) => f.type === "error").map((f) => (f as unknown as { name: string }).name);
    expect(names.length).toBeGreaterThan(40);
    const zero = (type: string): unknown => (type === "address" ? ZeroAddress : type === "bool" ? false : type === "string" ? "" : type.startsWith("bytes") ? ZeroHash.slice(0, 2 + 2 * (Number(type.slice(5)) || 32)) : 0);
    for (const name of names) {
      const fragment = LEDGER_ERRORS.getError(name)!;
      const data = LEDGER_ERRORS.encodeErrorResult(fragment, fragment.inputs.map((i) => zero(i.type)));
      const r = errorReply(new LedgerRevertError(decodeRevert({ data })!));
      expect([name, r.status, r.body.error.code]).toEqual([name, 422, name]);
    }
  });

  it("an RPC outage is a 503 with Retry-After on reads and on relays, not a 500", async (t) => {
    const { l } = await seeded(strictSeed);
    const dead = await appWith(t, l, { provider: deadProvider(), relayer: l.hospitalA.connect(deadProvider() as never) });
    // A signed-in read: the caller's role cannot be read from the chain.
    const read = await dead.inject({ url: `/consents/${l.patient.address}/valid?purpose=1&grantee=1`, headers: { authorization: await signIn(dead, l.auditor) } });
    expect([read.statusCode, read.json().error.code, read.headers["retry-after"]]).toEqual([503, "NOT_READY", "5"]);
    const session = await dead.inject({ url: "/batches", headers: { authorization: "Bearer none" } });
    expect(session.statusCode).toBe(401); // an unknown session is the caller's problem, whatever the node does
    const signed = await new Patient(l, l.patient2).signGrant({ purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_A, expiresAt: (await time.latest()) + DAY });
    const relay = await dead.inject({ method: "POST", url: "/relay", payload: signed });
    expect([relay.statusCode, relay.json().error.code, relay.headers["retry-after"]]).toEqual([503, "RPC_UNAVAILABLE", "5"]);
  });
});

describe("strict inputs", () => {
  it("integer query parameters refuse Infinity, 1e400, coercions and out-of-range values, naming the parameter", async (t) => {
    const { l, app, auditor } = await world(t);
    const valid = (q: string) => app.inject({ url: `/consents/${l.patient.address}/valid?${q}`, headers: { authorization: auditor } });
    const cases: [string, string, string][] = [
      ["purpose=Infinity&grantee=1", "INVALID_INTEGER", "purpose"],
      ["purpose=1&grantee=-Infinity", "INVALID_INTEGER", "grantee"],
      ["purpose=1&grantee=1&time=1e400", "INVALID_INTEGER", "time"],
      ["purpose=1&grantee=1&time=Infinity", "INVALID_INTEGER", "time"],
      ["purpose=0x1&grantee=1", "INVALID_INTEGER", "purpose"],
      ["purpose=1e0&grantee=1", "INVALID_INTEGER", "purpose"],
      ["purpose=%201&grantee=1", "INVALID_INTEGER", "purpose"],
      ["purpose=1.0&grantee=1", "INVALID_INTEGER", "purpose"],
      ["purpose=64&grantee=1", "OUT_OF_RANGE", "purpose"],
      ["purpose=1&grantee=4294967296", "OUT_OF_RANGE", "grantee"],
      ["purpose=1&grantee=1&block=9007199254740992", "OUT_OF_RANGE", "block"],
      ["purpose=1&grantee=1&block=9007199254740993", "OUT_OF_RANGE", "block"],
      ["purpose=1&grantee=1&block=-1", "OUT_OF_RANGE", "block"],
      ["purpose=1&grantee=1&time=253402300800", "OUT_OF_RANGE", "time"],
      ["purpose=1&purpose=2&grantee=1", "REPEATED_PARAMETER", "purpose"],
      ["purpose=1&grantee=1&block=1&time=1", "CONTRADICTORY_PARAMETERS", "block or time"],
    ];
    for (const [q, code, named] of cases) {
      const r = await valid(q);
      expect([q, r.statusCode, r.json().error.code], r.body).toEqual([q, 400, code]);
      expect(r.json().error.message).toContain(named);
    }
    for (const q of ["limit=Infinity", "limit=1e400", "limit=0", "limit=1001", "hospital=1e400", "fromTime=-Infinity"]) {
      const r = await app.inject({ url: `/batches?${q}`, headers: { authorization: auditor } });
      expect([q, r.statusCode], r.body).toEqual([q, 400]);
    }
    expect((await valid("purpose=1&grantee=1&block=1")).statusCode).toBe(200);
    expect((await app.inject({ url: "/batches?limit=1000", headers: { authorization: auditor } })).statusCode).toBe(200);
  });

  it("/batches refuses a window that ends before it starts (fromTime after toTime), naming both", async (t) => {
    const { app, auditor } = await world(t);
    const r = await app.inject({ url: "/batches?fromTime=200&toTime=100", headers: { authorization: auditor } });
    expect([r.statusCode, r.json().error.code], r.body).toEqual([400, "CONTRADICTORY_PARAMETERS"]);
    expect(r.json().error.message).toMatch(/fromTime.*toTime/);
    expect((await app.inject({ url: "/batches?fromTime=100&toTime=100", headers: { authorization: auditor } })).statusCode).toBe(200);
  });

  it("/relay refuses numbers that overflow uint64 or uint256 and mis-checksummed addresses, by name", async (t) => {
    const { l } = await seeded(strictSeed);
    const relaying = await appWith(t, l, { relayer: l.hospitalA });
    const signed = await new Patient(l, l.patient2).signGrant({ purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_B, expiresAt: (await time.latest()) + DAY });
    const flip = (a: string) => a.replace(/[a-f]/, (c) => c.toUpperCase()) === a ? a.replace(/[A-F]/, (c) => c.toLowerCase()) : a.replace(/[a-f]/, (c) => c.toUpperCase());
    const cases: [object, string, string][] = [
      [{ expiresAt: (2n ** 64n).toString() }, "UINT_OVERFLOW", "request.expiresAt"],
      [{ signedAt: (2n ** 64n).toString() }, "UINT_OVERFLOW", "request.signedAt"],
      [{ deadline: (2n ** 256n).toString() }, "UINT_OVERFLOW", "request.deadline"],
      [{ deadline: "9".repeat(78) }, "UINT_OVERFLOW", "request.deadline"],
      [{ signer: flip(signed.request.signer) }, "ADDRESS_CHECKSUM", "request.signer"],
      [{ subject: flip(signed.request.subject) }, "ADDRESS_CHECKSUM", "request.subject"],
    ];
    for (const [change, code, named] of cases) {
      const r = await relaying.inject({ method: "POST", url: "/relay", payload: { ...signed, request: { ...signed.request, ...change } } });
      expect([r.statusCode, r.json().error.code], r.body).toEqual([400, code]);
      expect(r.json().error.message).toContain(named);
    }
    // A signedAt that fits uint64 but lies past any calendar date: the chain's refusal, in words, not a 500.
    for (const signedAt of ["18446744073709551615", "9007199254740992"]) {
      const r = await relaying.inject({ method: "POST", url: "/relay", payload: { ...signed, request: { ...signed.request, signedAt } } });
      expect([r.statusCode, r.json().error.code], r.body).toEqual([422, "ConsentRegistrySignedInFuture"]);
      expect(r.json().error.message).toContain(`signed at ${signedAt} (past any calendar date)`);
    }
    // Lower-case addresses are not checksummed at all, and are accepted as such.
    const lower = { ...signed, request: { ...signed.request, subject: signed.request.subject.toLowerCase(), signer: signed.request.signer.toLowerCase() } };
    expect((await relaying.inject({ method: "POST", url: "/relay", payload: lower })).statusCode).toBe(200);
  });
});

describe("FHIR base URL", () => {
  it("names --public-url's origin when configured, whatever Host a client sends; else the host the request reached", async (t) => {
    const { l, app } = await world(t);
    const fullUrls = async (a: FastifyInstance) => (await a.inject({ url: "/fhir/Organization?_count=1", headers: { host: "evil.example" } })).json().entry.map((e: { fullUrl: string }) => e.fullUrl);
    const configured = await appWith(t, l, { publicOrigin: "https://medprov.hospital.example" });
    expect(await fullUrls(configured)).toEqual(["https://medprov.hospital.example/fhir/Organization/1"]);
    expect(await fullUrls(app)).toEqual(["http://evil.example/fhir/Organization/1"]);
  });
});

describe("/readyz", () => {
  it("is not ready, with the reason, while the chain node does not answer", async (t) => {
    const { l, app, indexer } = await world(t);
    const ready = await app.inject({ url: "/readyz" });
    expect([ready.statusCode, ready.json()]).toEqual([200, { ready: true, lag: 0 }]);
    const dead = await appWith(t, l, { provider: deadProvider(), indexerStats: indexer.stats });
    const r = await dead.inject({ url: "/readyz" });
    expect([r.statusCode, r.json().ready, r.json().reason.code]).toEqual([503, false, "RPC_UNAVAILABLE"]);
    expect(r.json().reason.message).toMatch(/ECONNREFUSED/);
  });

  it("is not ready, with the reason, once the indexer's loop has stopped (a reorg deeper than finality)", async (t) => {
    const { l } = await seeded(strictSeed);
    const snapshot = await hre.network.provider.send("evm_snapshot", []);
    for (let i = 0; i < 6; i++) await (await l.consents.connect(l.patient2).grantConsent(l.patient2.address, 1, 1, (await time.latest()) + 1000)).wait();
    const store = await IndexStore.open(tempDb());
    closeAfter(t, store);
    const shallow = createIndexer({ provider: inProcess, deployment: await deploymentOf(l), store, finality: 3, pollMs: 10 });
    await shallow.syncOnce();
    const stop = new AbortController();
    const supervised = superviseIndexer(shallow, stop.signal);
    const a = await appOver(t, l, store, { indexerStats: shallow.stats, indexerHealth: supervised.health });
    expect((await a.inject({ url: "/readyz" })).statusCode).toBe(200);
    await hre.network.provider.send("evm_revert", [snapshot]);
    for (let i = 0; i < 8; i++) await (await l.consents.connect(l.guardian).grantConsent(l.guardian.address, 1, 1, (await time.latest()) + 1000)).wait();
    await supervised.running; // the loop ends by itself: the reorg is fatal
    const r = await a.inject({ url: "/readyz" });
    expect([r.statusCode, r.json().reason.code]).toEqual([503, "REORG_TOO_DEEP"]);
    expect(r.json().reason.message).toMatch(/rebuild the index/);
    stop.abort();
  });
});

describe("SIWE", () => {
  /** The auditor signs in with message fields `o` to `auth` (default: the tests' AUTH over the seeded chain). */
  const verify = async (o: Parameters<typeof siwe>[2], auth?: ReturnType<typeof createAuth>) => {
    const { l } = await seeded(strictSeed);
    const a = auth ?? createAuth(l, hre.ethers.provider, AUTH);
    const { message, signature } = await siwe(l.auditor, a.issueNonce(), o);
    return a.signIn(message, signature);
  };
  it("refuses an issuedAt outside its window (before the nonce, or in the future)", async () => {
    await expect(verify({ issuedAt: "2000-01-01T00:00:00.000Z" })).rejects.toMatchObject({ code: "SIWE_INVALID", message: /issued at 2000-01-01/ });
    await expect(verify({ issuedAt: "2100-01-01T00:00:00.000Z" })).rejects.toMatchObject({ code: "SIWE_INVALID", message: /issued at 2100-01-01/ });
    await expect(verify({ issuedAt: new Date(Date.now() - 60 * 60_000).toISOString() })).rejects.toMatchObject({ code: "SIWE_INVALID" });
    await expect(verify({ issuedAt: new Date(Date.now() - 2_000).toISOString() })).resolves.toMatchObject({ session: expect.any(String) });
  });

  it("ends the session no later than the message's expirationTime", async () => {
    const expirationTime = new Date(Date.now() + 6_000).toISOString();
    const s = await verify({ expirationTime });
    expect(s.expiresAt).toBe(expirationTime);
    const long = await verify({});
    expect(Date.parse(long.expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000); // without one, the server's hour
  });

  it("refuses a URI whose scheme or host is not the server's public URL, accepts another path on it", async () => {
    const { l } = await seeded(strictSeed);
    const plain = createAuth(l, hre.ethers.provider, { ...AUTH, uri: "http://medprov.test" });
    await expect(verify({ uri: "https://medprov.test" }, plain)).rejects.toMatchObject({ code: "SIWE_INVALID", message: /scheme and host/ });
    await expect(verify({ uri: "http://medprov.test:8443" }, plain)).rejects.toMatchObject({ code: "SIWE_INVALID" });
    await expect(verify({ uri: "http://medprov.test/app/sign-in" }, plain)).resolves.toMatchObject({ session: expect.any(String) });
  });
});

describe("chain time: a chain whose clock runs two days ahead of this host", () => {
  it("/valid without time or block answers at the head block, with its number and ISO time", async (t) => {
    const { l, app, auditor } = await world(t);
    await hre.network.provider.send("evm_increaseTime", [2 * DAY]);
    await mine(1);
    const head = await hre.ethers.provider.getBlock("latest");
    expect(head!.timestamp).toBeGreaterThan(Date.now() / 1000 + 1.9 * DAY);
    const r = (await valid()).json();
    expect(r).toEqual({ valid: true, purpose: Purpose.CLINICAL_DECISION_SUPPORT, purposeName: "CLINICAL_DECISION_SUPPORT", grantee: ORG.HOSPITAL_A, granteeName: "Hospital A", time: head!.timestamp, block: head!.number, timeIso: new Date(head!.timestamp * 1000).toISOString() });
    expect(await l.consents.isConsentValid(l.patient.address, Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_A)).toBe(true);
    function valid() {
      return app.inject({ url: `/consents/${l.patient.address}/valid?purpose=${Purpose.CLINICAL_DECISION_SUPPORT}&grantee=${ORG.HOSPITAL_A}`, headers: { authorization: auditor } });
    }
  });

  it("FHIR Consent.status is computed at chain time: a consent the chain holds expired is inactive", async (t) => {
    const { l, app, indexer, auditor } = await world(t);
    const expiresAt = (await time.latest()) + 3600;
    await (await l.consents.connect(l.patient2).grantConsent(l.patient2.address, Purpose.RESEARCH, ORG.HOSPITAL_B, expiresAt)).wait();
    await hre.network.provider.send("evm_increaseTime", [2 * 3600]);
    await mine(1);
    await indexer.syncOnce();
    expect(await l.consents.isConsentValid(l.patient2.address, Purpose.RESEARCH, ORG.HOSPITAL_B)).toBe(false);
    const b = (await app.inject({ url: `/fhir/Consent?patient=${l.patient2.address}`, headers: { authorization: auditor } })).json();
    expect(fhirProblems(b)).toEqual([]);
    const research = b.entry.map((e: { resource: any }) => e.resource).find((c: any) => c.provision.purpose[0].code === "HRESCH");
    expect(research.status).toBe("inactive");
    expect(b.timestamp).toBe(new Date((await time.latest()) * 1000).toISOString());
  });

  it("?since= takes Unix seconds or ISO 8601 and compares with block times", async (t) => {
    const { app, auditor } = await world(t);
    const all = (await app.inject({ url: "/fhir/AuditEvent", headers: { authorization: auditor } })).json();
    expect(all.timestamp).toBe(new Date((await time.latest()) * 1000).toISOString()); // a search's "now" is the head block's too
    const times: string[] = all.entry.map((e: { resource: { recorded: string } }) => e.resource.recorded);
    const pivot = times[Math.floor(times.length / 2)];
    const expected = times.filter((t) => t >= pivot).length;
    for (const since of [String(Date.parse(pivot) / 1000), pivot, pivot.replace("Z", "+00:00")]) {
      const r = await app.inject({ url: `/fhir/AuditEvent?since=${encodeURIComponent(since)}`, headers: { authorization: auditor } });
      expect([since, r.statusCode, r.json().total]).toEqual([since, 200, expected]);
    }
    // A FHIR date is a day (UTC) since issue 17; a time without its zone still means nothing on a ledger.
    for (const since of ["2026-01-01T00:00:00", "yesterday", "1e9", "-1"]) {
      const r = await app.inject({ url: `/fhir/AuditEvent?since=${since}`, headers: { authorization: auditor } });
      expect([since, r.statusCode], r.body).toEqual([since, 400]);
      expect(r.json().issue[0].diagnostics).toContain("since");
    }
  });
});
