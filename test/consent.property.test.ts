/**
 * Model-based test: random command sequences run against the ConsentRegistry and against a
 * TypeScript model of DESIGN §4.2's rules; after every step the two must agree on every slot's
 * state, on isConsentValid, and on whether (and why) a write was refused.
 */
import { describe, it, expect, beforeAll } from "vitest";
import hre from "hardhat";
import fc from "fast-check";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { TypedDataDomain } from "ethers";
import { ledgerFixture, ORG, type Ledger } from "./helpers/fixture";
import { decodeRevert } from "../src/sdk/errors";
import { readDomain, signGrant, signRevoke } from "../src/sdk/consent-signing";
import { NUMBERS } from "../src/constants";

// Coverage runs instrumented bytecode with per-opcode tracing; fewer sequences suffice there.
const RUNS = Number(process.env.MEDPROV_PROPERTY_RUNS ?? 500);
const PURPOSES = [1, 3, 9]; // 9 is not in the catalogue
const GRANTEES = [NUMBERS.ANY_MEMBER, ORG.HOSPITAL_A, ORG.HOSPITAL_B, 99]; // 99 is not a member

interface Slot { grantedAt: number; expiresAt: number; revokedAt: number; nonce: number }
class ConsentModel {
  now = 0;
  slots = new Map<string, Slot>();
  delegates = new Set<string>();
  slot(s: number, p: number, g: number): Slot {
    return this.slots.get(`${s}/${p}/${g}`) ?? { grantedAt: 0, expiresAt: 0, revokedAt: 0, nonce: 0 };
  }
  live(c: Slot) { return c.grantedAt !== 0 && c.revokedAt === 0 && c.expiresAt > this.now; }
  valid(s: number, p: number, g: number) {
    if (this.live(this.slot(s, p, g))) return true;
    return g !== NUMBERS.ANY_MEMBER && this.live(this.slot(s, p, NUMBERS.ANY_MEMBER)) && g !== 99;
  }
  isActor(s: number, actor: number) { return actor === s || this.delegates.has(`${s}/${actor}`); }
  /** The error the contract must raise for a grant, or null when it must succeed (time = now + 1). */
  grantError(s: number, actor: number, p: number, g: number, expiresAt: number, nonce?: number) {
    if (nonce !== undefined) {
      if (!this.isActor(s, actor)) return "ConsentRegistryNotSubjectOrDelegate";
      if (nonce !== this.slot(s, p, g).nonce) return "ConsentRegistryInvalidNonce";
    } else if (!this.isActor(s, actor)) return "ConsentRegistryNotSubjectOrDelegate";
    if (!PURPOSES.slice(0, 2).includes(p)) return "ConsentRegistryUnknownPurpose";
    if (expiresAt <= this.now + 1) return "ConsentRegistryInvalidExpiry";
    if (g === 99) return "ConsentRegistryUnknownGrantee";
    return null;
  }
  revokeError(s: number, actor: number, p: number, g: number, nonce?: number) {
    if (!this.isActor(s, actor)) return "ConsentRegistryNotSubjectOrDelegate";
    if (nonce !== undefined && nonce !== this.slot(s, p, g).nonce) return "ConsentRegistryInvalidNonce";
    const c = this.slot(s, p, g);
    if (c.grantedAt === 0 || c.revokedAt !== 0) return "ConsentRegistryNotGranted";
    return null;
  }
}

interface Real { l: Ledger; people: HardhatEthersSigner[]; domain: TypedDataDomain }

/** Sends a write at time model.now + 1 and checks success or the predicted error. */
async function step(m: ConsentModel, r: Real, expected: string | null, send: () => Promise<{ wait(): Promise<unknown> }>, apply: () => void) {
  m.now += 1;
  await hre.network.provider.send("evm_setNextBlockTimestamp", [m.now]);
  let error: string | null = null;
  try {
    await (await send()).wait();
  } catch (e) {
    error = decodeRevert(e)?.name ?? `undecoded: ${String(e).slice(0, 200)}`;
    await hre.network.provider.send("evm_mine", [m.now]); // keep chain time in step with the model
  }
  expect(error).toBe(expected);
  if (expected === null) apply();
  await compare(m, r);
}

async function compare(m: ConsentModel, r: Real) {
  for (let s = 0; s < 2; s++) {
    for (const p of PURPOSES.slice(0, 2)) {
      for (const g of GRANTEES) {
        const c = await r.l.consents.consent(r.people[s].address, p, g);
        expect([c.grantedAt, c.expiresAt, c.revokedAt, c.nonce].map(Number)).toEqual(Object.values(m.slot(s, p, g)));
        expect(await r.l.consents.isConsentValid(r.people[s].address, p, g)).toBe(m.valid(s, p, g));
      }
    }
  }
}

const subject = fc.integer({ min: 0, max: 1 });
const actor = fc.integer({ min: 0, max: 3 }); // 0,1 subjects; 2,3 potential delegates
const purpose = fc.constantFrom(...PURPOSES);
const grantee = fc.constantFrom(...GRANTEES);
const via = fc.constantFrom("direct", "signed", "stale");

const commands = [
  fc.record({ s: subject, a: actor, p: purpose, g: grantee, ttl: fc.integer({ min: -2, max: 50 }), via }).map((c) => ({
    check: () => true,
    async run(m: ConsentModel, r: Real) {
      const expiresAt = m.now + c.ttl;
      const subjectAddr = r.people[c.s].address;
      if (c.via === "direct") {
        await step(m, r, m.grantError(c.s, c.a, c.p, c.g, expiresAt), () => r.l.consents.connect(r.people[c.a]).grantConsent(subjectAddr, c.p, c.g, expiresAt), () => apply());
        return;
      }
      const current = m.slot(c.s, c.p, c.g).nonce;
      const nonce = c.via === "stale" ? current + 1 : current;
      const req = { subject: subjectAddr, signer: r.people[c.a].address, purpose: c.p, grantee: c.g, expiresAt, nonce, deadline: m.now + 1000 };
      const sig = await signGrant(r.people[c.a], r.domain, req);
      await step(m, r, m.grantError(c.s, c.a, c.p, c.g, expiresAt, nonce), () => r.l.consents.connect(r.l.hospitalA).grantConsentBySig(req, sig), () => apply());
      function apply() {
        const prev = m.slot(c.s, c.p, c.g);
        m.slots.set(`${c.s}/${c.p}/${c.g}`, { grantedAt: m.now, expiresAt, revokedAt: 0, nonce: prev.nonce + 1 });
      }
    },
    toString: () => `grant(${JSON.stringify(c)})`,
  })),
  fc.record({ s: subject, a: actor, p: purpose, g: grantee, via }).map((c) => ({
    check: () => true,
    async run(m: ConsentModel, r: Real) {
      const subjectAddr = r.people[c.s].address;
      const apply = () => {
        const prev = m.slot(c.s, c.p, c.g);
        m.slots.set(`${c.s}/${c.p}/${c.g}`, { ...prev, revokedAt: m.now, nonce: prev.nonce + 1 });
      };
      if (c.via === "direct") {
        await step(m, r, m.revokeError(c.s, c.a, c.p, c.g), () => r.l.consents.connect(r.people[c.a]).revokeConsent(subjectAddr, c.p, c.g), apply);
        return;
      }
      const current = m.slot(c.s, c.p, c.g).nonce;
      const nonce = c.via === "stale" ? Math.max(0, current - 1) : current;
      const req = { subject: subjectAddr, signer: r.people[c.a].address, purpose: c.p, grantee: c.g, nonce, deadline: m.now + 1000 };
      const sig = await signRevoke(r.people[c.a], r.domain, req);
      // Anyone may relay a revocation: use an outsider with no membership at all.
      await step(m, r, m.revokeError(c.s, c.a, c.p, c.g, nonce), () => r.l.consents.connect(r.l.outsider).revokeConsentBySig(req, sig), apply);
    },
    toString: () => `revoke(${JSON.stringify(c)})`,
  })),
  fc.record({ s: subject, d: fc.integer({ min: 2, max: 3 }), appoint: fc.boolean() }).map((c) => ({
    check: () => true,
    async run(m: ConsentModel, r: Real) {
      const key = `${c.s}/${c.d}`;
      const who = r.people[c.d].address;
      if (c.appoint) {
        await step(m, r, null, () => r.l.consents.connect(r.people[c.s]).appointDelegate(who), () => m.delegates.add(key));
      } else {
        const err = m.delegates.has(key) ? null : "ConsentRegistryUnknownDelegate";
        await step(m, r, err, () => r.l.consents.connect(r.people[c.s]).removeDelegate(who), () => m.delegates.delete(key));
      }
    },
    toString: () => `delegate(${JSON.stringify(c)})`,
  })),
  fc.integer({ min: 1, max: 40 }).map((dt) => ({
    check: () => true,
    async run(m: ConsentModel, r: Real) {
      m.now += dt;
      await hre.network.provider.send("evm_mine", [m.now]);
      await compare(m, r);
    },
    toString: () => `wait(${dt})`,
  })),
];

describe("ConsentRegistry (model-based)", () => {
  let real: Real;
  let snapshot: string;
  beforeAll(async () => {
    const l = await ledgerFixture();
    real = { l, people: [l.patient, l.patient2, l.guardian, l.spare[0]], domain: await readDomain(l.consents) };
    snapshot = await hre.network.provider.send("evm_snapshot", []);
  });

  it(`agrees with the TypeScript model over ${RUNS} random command sequences`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 10 }), async (cmds) => {
        await hre.network.provider.send("evm_revert", [snapshot]);
        snapshot = await hre.network.provider.send("evm_snapshot", []);
        const block = await hre.ethers.provider.getBlock("latest");
        const model = new ConsentModel();
        model.now = block!.timestamp + 10;
        await hre.network.provider.send("evm_mine", [model.now]);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      }),
      { numRuns: RUNS },
    );
  }, 600_000);
});
