/**
 * POST /relay (src/api/routes/relay.ts), in-process over the fixture ledger: registered only when
 * the app has a relayer; a patient's signed consent goes on-chain with the hospital's key, and a
 * replay, a grant signed before the patient's revocation and a malformed body are refused by name.
 */
import { describe, it, expect } from "vitest";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ORG } from "../helpers/fixture";
import { build, ledgerSeed, serve } from "../helpers/api-build";
import { Patient } from "../../src/sdk";
import { Purpose } from "../../src/constants";

describe("POST /relay", () => {
  it("relays a patient's signed consent with the hospital's key, refusing replays and grants signed before a revocation by name", async (t) => {
    const { l, app } = await build(t, ledgerSeed);
    const signed = await new Patient(l, l.patient2).signGrant({ purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_A, expiresAt: (await time.latest()) + 86_400 });
    expect((await app.inject({ method: "POST", url: "/relay", payload: signed })).json().error.code).toBe("RELAY_DISABLED");
    const { app: relaying } = await serve(t, l, { relayer: l.hospitalA, indexerStats: undefined });
    const r = await relaying.inject({ method: "POST", url: "/relay", payload: signed });
    expect(r.statusCode, r.body).toBe(200);
    expect(await l.consents.isConsentValid(l.patient2.address, Purpose.TREATMENT, ORG.HOSPITAL_A)).toBe(true);
    const replay = await relaying.inject({ method: "POST", url: "/relay", payload: signed });
    expect([replay.statusCode, replay.json().error.code]).toEqual([422, "ConsentRegistrySuperseded"]);
    // A renewal the hospital holds, then the patient's revocation: relayed after it, the renewal is void.
    const renewal = await new Patient(l, l.patient2).signGrant({ purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_A, expiresAt: (await time.latest()) + 7 * 86_400 });
    const revocation = await new Patient(l, l.patient2).signRevoke({ purpose: Purpose.TREATMENT, grantee: ORG.HOSPITAL_A });
    expect((await relaying.inject({ method: "POST", url: "/relay", payload: revocation })).statusCode).toBe(200);
    const late = await relaying.inject({ method: "POST", url: "/relay", payload: renewal });
    expect([late.statusCode, late.json().error.code], late.body).toEqual([422, "ConsentRegistryGrantRevoked"]);
    expect(late.json().error.message).toMatch(/at or before the patient's revocation/);
    expect(await l.consents.isConsentValid(l.patient2.address, Purpose.TREATMENT, ORG.HOSPITAL_A)).toBe(false);
    expect((await relaying.inject({ method: "POST", url: "/relay", payload: { ...signed, extra: 1 } })).statusCode).toBe(400);
  });
});
