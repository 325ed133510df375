/**
 * Signing in and staying signed in (src/api/auth.ts and the /auth routes), in-process over the
 * fixture ledger: SIWE's fresh sessions and refusals (replayed nonce, expired message, wrong
 * domain, URI or chain, another key's signature, a header without its scheme), and roles read at
 * the head — a suspension or key revocation refuses the next request, an unreachable node is a 503.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import type { Signer } from "ethers";
import { ORG } from "../helpers/fixture";
import { AUTH, nonceOf, sessionFor, siweFor, type SiweFields } from "../helpers/api-fixture";
import { build, ledgerSeed, seeded } from "../helpers/api-build";
import { createAuth } from "../../src/api";

/** Signs in to an auth instance directly (no HTTP); the bearer header value. */
async function bearerOf(auth: ReturnType<typeof createAuth>, signer: Signer): Promise<string> {
  const { message, signature } = await siweFor(signer, auth.issueNonce());
  return `Bearer ${(await auth.signIn(message, signature)).session}`;
}

describe("roles read at the head", () => {
  it("a suspended member loses access on its next request", async (t) => {
    const { l, app } = await build(t, ledgerSeed);
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
    const { l } = await seeded(ledgerSeed);
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
    const { l } = await seeded(ledgerSeed);
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
  it("issues a fresh session per sign-in and rejects a replayed nonce", async (t) => {
    const { l, app } = await build(t, ledgerSeed);
    const verify = async (payload: object) => app.inject({ method: "POST", url: "/auth/verify", payload });
    const { message, signature } = await siweFor(l.auditor, await nonceOf(app));
    const m = { message, signature };
    const first = await verify(m);
    expect(first.statusCode).toBe(200);
    const again = await verify(m);
    expect([again.statusCode, again.json().error.code]).toEqual([401, "SIWE_INVALID"]);
    expect(await sessionFor(app, l.auditor)).not.toBe(first.json().session);
  });

  it("rejects an expired message, a wrong domain, URI or chain, and another key's signature", async (t) => {
    const { l, app } = await build(t, ledgerSeed);
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
