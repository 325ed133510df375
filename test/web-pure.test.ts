/**
 * The web app's pure parts, without a browser: a consent slot's state at chain time, the request a
 * switch signs (signed after the slot's last write, never by the browser's clock), receipt files,
 * time buckets for the charts, the verdicts' CSV and the SIWE message the API accepts.
 */
import { describe, it, expect } from "vitest";
import { SiweMessage } from "siwe";
import { Wallet } from "ethers";
import { cellState, consentRequest } from "../src/web/app/consent-cells";
import { buckets, receiptsOf } from "../src/web/app/receipts";
import { verdictCsv, when } from "../src/web/app/format";
import { siweMessage } from "../src/web/app/session";
import { GRANT_TYPES, REVOKE_TYPES } from "../src/sdk";

describe("web app: pure parts", () => {
  it("a slot is on until its expiry, and off as never given, revoked or expired", () => {
    const row = { purpose: 3, grantee: 0, grantedAt: 100, expiresAt: 200, revokedAt: 0, signedAt: 100 };
    expect(cellState(undefined, 150)).toEqual({ on: false, why: "never", at: 0 });
    expect(cellState(row, 150)).toEqual({ on: true, until: 200 });
    expect(cellState(row, 200)).toEqual({ on: false, why: "expired", at: 200 });
    expect(cellState({ ...row, revokedAt: 160 }, 170)).toEqual({ on: false, why: "revoked", at: 160 });
  });

  it("a switch signs the SDK's typed request at the chain's now, after the slot's last signature", () => {
    const subject = Wallet.createRandom().address;
    const grant = consentRequest({ subject, purpose: 3, grantee: 0, on: true, now: 1000, lastSignedAt: 1000, lifetime: 86400 });
    expect(grant.kind).toBe("grant");
    expect(grant.types).toBe(GRANT_TYPES);
    expect(grant.request).toEqual({ subject, signer: subject, purpose: 3, grantee: 0, signedAt: "1001", deadline: "4600", expiresAt: "87400" });
    const revoke = consentRequest({ subject, purpose: 3, grantee: 0, on: false, now: 2000, lastSignedAt: 1001, lifetime: 86400 });
    expect(revoke.types).toBe(REVOKE_TYPES);
    expect(revoke.request).toEqual({ subject, signer: subject, purpose: 3, grantee: 0, signedAt: "2000", deadline: "5600" });
  });

  it("a receipt file holds one receipt, a list, or {receipts}; anything else is named unreadable", () => {
    expect(receiptsOf("a.json", '{"record":{"traceId":"0x1"}}')).toEqual([{ file: "a.json", receipt: { record: { traceId: "0x1" } } }]);
    expect(receiptsOf("b.json", "[{},{}]").map((l) => l.file)).toEqual(["b.json #1", "b.json #2"]);
    expect(receiptsOf("c.json", '{"receipts":[{}]}')).toHaveLength(1);
    expect(receiptsOf("d.json", "not json")).toEqual([{ file: "d.json", unreadable: "the file is not JSON" }]);
  });

  it("buckets split the receipts' times evenly, one bucket when they share a time", () => {
    expect(buckets([{ time: 5 }, { time: 5 }], 8)).toEqual([{ from: 5, to: 5 + 1, items: [{ time: 5 }, { time: 5 }] }]);
    const b = buckets([0, 10, 20, 30].map((time) => ({ time })), 2);
    expect(b.map((x) => x.items.map((i) => i.time))).toEqual([[0, 10], [20, 30]]);
  });

  it("the CSV has a row per record with the verdict and the reasons quoted", () => {
    const csv = verdictCsv([
      { file: "good.json", traceId: "0x1", valid: true, reasons: [] },
      { file: 'odd "name".json', traceId: "0x2", valid: false, reasons: [{ code: "LEAF_MISMATCH", message: "the record hashes to x, not y" }] },
    ]);
    expect(csv).toBe('file,traceId,verdict,reasons,messages\n"good.json","0x1",VALID,"",""\n"odd ""name"".json","0x2",INVALID,"LEAF_MISMATCH","the record hashes to x, not y"\n');
  });

  it("times are the chain's, in UTC, with 0 and uint64 max as never", () => {
    expect(when(1795988220)).toBe("29 Nov 2026, 21:37 UTC");
    expect(when(0)).toBe("never");
    expect(when("18446744073709551615")).toBe("never");
  });

  it("the SIWE message parses as EIP-4361 with the fields it was given", () => {
    const address = Wallet.createRandom().address;
    const text = siweMessage({ domain: "127.0.0.1:8080", uri: "http://127.0.0.1:8080", chainId: 31337, address, nonce: "abcdef0123456789", issuedAt: "2026-11-29T21:00:00.000Z", expirationTime: "2026-11-29T22:00:00.000Z", statement: "Sign in to medprov." });
    const m = new SiweMessage(text);
    expect([m.domain, m.address, m.uri, m.chainId, m.nonce, m.issuedAt, m.expirationTime, m.statement]).toEqual(["127.0.0.1:8080", address, "http://127.0.0.1:8080", 31337, "abcdef0123456789", "2026-11-29T21:00:00.000Z", "2026-11-29T22:00:00.000Z", "Sign in to medprov."]);
  });
});
