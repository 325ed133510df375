/**
 * Who may call what, in-process (Fastify inject) over the route files' shared ledger (auditSeed).
 * The access table (src/api/access.ts): every role × every route answers the status its rule gives,
 * and scoping within a rule (another patient, another hospital, a delegate). Signing in and staying
 * signed in (src/api/auth.ts and the /auth routes): roles read at the head — a suspension or key
 * revocation refuses the next request, an unreachable node is a 503 — and SIWE's fresh sessions
 * and refusals (replayed nonce, expired message, wrong domain, URI or chain, another key's
 * signature, a header without its scheme).
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import type { Signer } from "ethers";
import { ORG } from "../helpers/fixture";
import { errorOf } from "../helpers/error-body";
import { AUTH, auditSeed, nonceOf, sessionFor, siweFor, type SiweFields } from "../helpers/api-fixture";
import { build, readOnly, seeded } from "../helpers/api-build";
import { Purpose } from "../../src/constants";
import { ACCESS_RULES, allowed, createAuth, type Access, type CallerKind } from "../../src/api";

type World = Awaited<ReturnType<typeof auditSeed>>;

describe("access matrix: every role × every route", () => {
  const roles: CallerKind[] = ["anonymous", "patient", "HOSPITAL", "MODEL_DEVELOPER", "REGULATOR", "AUDITOR", "APPRAISER"];
  const routes = ({ l, ids, receipts }: World): [string, string, Access, unknown?][] => [
    ["GET", "/healthz", "public"],
    ["GET", "/readyz", "public"],
    ["GET", "/metrics", "public"],
    ["GET", "/openapi.json", "public"],
    ["GET", "/members", "public"],
    ["GET", "/models", "public"],
    ["GET", `/models/${ids.modelId}`, "public"],
    ["GET", `/versions/${ids.versionId}`, "public"],
    ["GET", `/datasets/${ids.datasetId}`, "public"],
    ["GET", `/datasets/${ids.datasetId}/lineage`, "public"],
    ["GET", `/versions/${ids.versionId}/deployments`, "members"],
    ["GET", `/versions/${ids.versionId}/reports`, "members"],
    ["GET", `/versions/${ids.versionId}/alerts`, "members"],
    ["GET", `/datasets/${ids.datasetId}/uses`, "hospital"],
    ["GET", `/consents/${l.patient.address}`, "subject"],
    ["GET", `/consents/${l.patient.address}/history`, "subject"],
    ["GET", `/consents/${l.patient.address}/valid?purpose=1&grantee=1`, "subject"],
    ["GET", "/batches", "hospital"],
    ["POST", "/verify", "verify", { receipts: [receipts[0]] }],
    ["GET", `/reports/recall-impact/${ids.versionId}`, "oversight"],
    ["GET", `/reports/revocation-impact/${l.patient.address}`, "oversight"],
    ["GET", "/reports/fairness-alerts", "oversight"],
    ["POST", "/reports/traces", "oversight", { receipts }],
    ["GET", `/fhir/Consent?patient=${l.patient.address}`, "subject"],
    ["GET", `/fhir/Provenance?version=${ids.versionId}`, "public"],
    ["GET", `/fhir/Provenance?batch=${receipts[0].batchId}`, "hospital"],
    ["GET", "/fhir/AuditEvent", "members"],
    // issue 17: lists, the FHIR endpoint's discovery and reads
    ["GET", "/datasets", "public"],
    ["GET", "/versions", "public"],
    ["GET", "/fhir/metadata", "public"],
    ["GET", "/fhir/Organization", "public"],
    ["GET", `/fhir/Organization/${ORG.HOSPITAL_A}`, "public"],
    ["GET", "/fhir/Device", "public"],
    ["GET", `/fhir/Device/${ids.versionId.slice(2)}`, "public"],
    ["GET", "/fhir/CodeSystem", "public"],
    ["GET", "/fhir/CodeSystem/purpose", "public"],
    ["GET", `/fhir/Consent/consent-${l.patient.address.toLowerCase().slice(2)}-${Purpose.CLINICAL_DECISION_SUPPORT}-${ORG.HOSPITAL_A}`, "subject"],
    ["GET", `/fhir/Provenance/${ids.versionId.slice(2)}`, "public"],
    ["GET", `/fhir/Provenance/${receipts[0].batchId.slice(2)}`, "hospital"],
  ];
  it("answers each cell with the status the access table gives", async (t) => {
    const w = await build(t, auditSeed);
    const { l, app } = w;
    const signers: Record<CallerKind, Signer | undefined> = { anonymous: undefined, patient: l.patient, HOSPITAL: l.hospitalA, MODEL_DEVELOPER: l.developer, REGULATOR: l.regulator, AUDITOR: l.auditor, APPRAISER: l.spare[0] };
    let cells = 0;
    for (const role of roles) {
      const session = signers[role] ? await sessionFor(app, signers[role]!) : undefined;
      for (const [method, url, access, payload] of routes(w)) {
        const r = await app.inject({ method: method as "GET", url, payload: payload as object, headers: session ? { authorization: `Bearer ${session}` } : {} });
        const expected = allowed(access, role) ? 200 : role === "anonymous" ? 401 : 403;
        expect(r.statusCode, `${role} ${method} ${url}: ${r.body.slice(0, 200)}`).toBe(expected);
        if (expected !== 200) expect(errorOf(r.json())?.code).toBe(role === "anonymous" ? "UNAUTHENTICATED" : "FORBIDDEN");
        cells++;
      }
    }
    expect(cells).toBe(roles.length * routes(w).length);
    expect(Object.keys(ACCESS_RULES).sort()).toEqual(["hospital", "members", "oversight", "public", "subject", "verify"]);
  });

  it("scopes within a rule: another patient, another hospital, another hospital's batches", async (t) => {
    const { l, app, ids, reindex } = await build(t, auditSeed);
    const other = await sessionFor(app, l.patient2);
    expect((await app.inject({ url: `/consents/${l.patient.address}`, headers: { authorization: `Bearer ${other}` } })).statusCode).toBe(403);
    const b = await sessionFor(app, l.hospitalB);
    expect((await app.inject({ url: `/datasets/${ids.datasetId}/uses`, headers: { authorization: `Bearer ${b}` } })).statusCode).toBe(403);
    expect((await app.inject({ url: "/batches?hospital=1", headers: { authorization: `Bearer ${b}` } })).statusCode).toBe(403);
    expect((await app.inject({ url: "/batches", headers: { authorization: `Bearer ${b}` } })).json().batches).toEqual([]);
    // Hospital B sees only the consent that names it.
    const seen = (await app.inject({ url: `/consents/${l.patient.address}`, headers: { authorization: `Bearer ${b}` } })).json();
    expect(seen.map((c: { grantee: number }) => c.grantee)).toEqual([ORG.HOSPITAL_B]);
    // A delegate (guardian) sees the subject's consents.
    await (await l.consents.connect(l.patient).appointDelegate(l.guardian.address)).wait();
    await reindex();
    const g = await sessionFor(app, l.guardian);
    expect((await app.inject({ url: `/consents/${l.patient.address}`, headers: { authorization: `Bearer ${g}` } })).json()).toHaveLength(2);
  });
});

/** Signs in to an auth instance directly (no HTTP); the bearer header value. */
async function bearerOf(auth: ReturnType<typeof createAuth>, signer: Signer): Promise<string> {
  const { message, signature } = await siweFor(signer, auth.issueNonce());
  return `Bearer ${(await auth.signIn(message, signature)).session}`;
}

describe("roles read at the head", () => {
  it("a suspended member loses access on its next request", async (t) => {
    const { l, app } = await build(t, auditSeed);
    const b = await sessionFor(app, l.hospitalB);
    expect((await app.inject({ url: "/batches", headers: { authorization: `Bearer ${b}` } })).statusCode).toBe(200);
    const snapshot = await hre.network.provider.send("evm_snapshot", []);
    await (await l.consortium.connect(l.regulator).suspendMember(ORG.HOSPITAL_B)).wait();
    // The app looks at the head at most every 100 ms (headMaxAgeMs) and re-reads roles when it moved.
    await new Promise((r) => setTimeout(r, 150));
    const r = await app.inject({ url: "/batches", headers: { authorization: `Bearer ${b}` } });
    expect([r.statusCode, r.json().error.code]).toEqual([403, "FORBIDDEN"]);
    await hre.network.provider.send("evm_revert", [snapshot]);
  });

  it("an unreachable chain node is a 503 NOT_READY for signed-in callers, not a 500, and is not remembered", async () => {
    const { l } = await seeded(auditSeed);
    let down = true;
    const flaky = new Proxy(hre.ethers.provider, {
      get: (target, prop, receiver) => (prop === "getBlockNumber" ? () => (down ? Promise.reject(new Error("connect ECONNREFUSED")) : target.getBlockNumber()) : Reflect.get(target, prop, receiver)),
    });
    const auth = createAuth(l, flaky, { ...AUTH, headMaxAgeMs: 0 });
    const bearer = await bearerOf(auth, l.auditor);
    await expect(auth.caller(bearer)).rejects.toMatchObject({ code: "NOT_READY", status: 503 });
    down = false;
    expect(await auth.caller(bearer)).toMatchObject({ kind: "AUDITOR" });
  });

  it("with headMaxAgeMs 0, the very next request after a key revocation or suspension is refused", async () => {
    const { l } = await seeded(auditSeed);
    const auth = createAuth(l, hre.ethers.provider, { ...AUTH, headMaxAgeMs: 0 });
    const bearer = await bearerOf(auth, l.hospitalB);
    expect(await auth.caller(bearer)).toMatchObject({ kind: "HOSPITAL", orgId: ORG.HOSPITAL_B });
    expect(await auth.caller(bearer)).toMatchObject({ kind: "HOSPITAL" }); // same head: answered from the cache
    const snapshot = await hre.network.provider.send("evm_snapshot", []);
    await (await l.consortium.connect(l.hospitalB).revokeKey(l.hospitalB.address)).wait();
    await expect(auth.caller(bearer)).rejects.toMatchObject({ code: "FORBIDDEN", message: /revoked/ });
    await hre.network.provider.send("evm_revert", [snapshot]);
    expect(await auth.caller(bearer)).toMatchObject({ kind: "HOSPITAL" });
    const again = await hre.network.provider.send("evm_snapshot", []);
    await (await l.consortium.connect(l.regulator).suspendMember(ORG.HOSPITAL_B)).wait();
    await expect(auth.caller(bearer)).rejects.toMatchObject({ code: "FORBIDDEN", message: /not active/ });
    await hre.network.provider.send("evm_revert", [again]);
  });
});

describe("SIWE", () => {
  const api = readOnly(auditSeed);
  it("issues a fresh session per sign-in and rejects a replayed nonce", async () => {
    const { l, app } = await api();
    const verify = async (payload: object) => app.inject({ method: "POST", url: "/auth/verify", payload });
    const { message, signature } = await siweFor(l.auditor, await nonceOf(app));
    const m = { message, signature };
    const first = await verify(m);
    expect(first.statusCode).toBe(200);
    const again = await verify(m);
    expect([again.statusCode, again.json().error.code]).toEqual([401, "SIWE_INVALID"]);
    expect(await sessionFor(app, l.auditor)).not.toBe(first.json().session);
  });

  it("rejects an expired message, a wrong domain, URI or chain, and another key's signature", async () => {
    const { l, app } = await api();
    const verify = async (payload: object) => app.inject({ method: "POST", url: "/auth/verify", payload });
    const siwe = async (signer: Signer, o: SiweFields = {}) => siweFor(signer, await nonceOf(app), o);
    const cases = [
      await siwe(l.auditor, { expirationTime: new Date(Date.now() - 60_000).toISOString() }),
      await siwe(l.auditor, { domain: "evil.example" }),
      await siwe(l.auditor, { uri: "https://evil.example" }),
      await siwe(l.auditor, { chainId: 1 }),
      { ...(await siwe(l.auditor)), signature: (await siwe(l.outsider)).signature },
      { message: "hello", signature: "0x" + "11".repeat(65) },
    ];
    for (const c of cases) {
      const r = await verify({ message: c.message, signature: c.signature });
      expect(r.statusCode, r.body).toBe(401);
      expect(r.json().error.code).toBe("SIWE_INVALID");
    }
    const r = await app.inject({ url: "/batches", headers: { authorization: "Bearer forged" } });
    expect([r.statusCode, r.json().error.code]).toEqual([401, "UNAUTHENTICATED"]);
    expect(r.json().error.message).toMatch(/unknown or expired/);
    // A real session without its "Bearer " scheme is told so, not that the session expired.
    const bare = await app.inject({ url: "/batches", headers: { authorization: (await sessionFor(app, l.auditor)).replace(/^Bearer /, "") } });
    expect([bare.statusCode, bare.json().error.code]).toEqual([401, "UNAUTHENTICATED"]);
    expect(bare.json().error.message).toMatch(/must be 'Bearer <session>'/);
  });
});
