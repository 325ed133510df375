/**
 * `npm start` attached to a chain another data directory seeded (`--rpc` with a new `--data`) must
 * not seed it again: that relayed every consent anew, re-granting a revoked one, before failing
 * half-way ("version … is APPROVED and cannot become APPROVED"). grantsSeededElsewhere tells the
 * two cases apart: a chain with grants this directory's outbox never wrote (refused, start.ts
 * DEMO_SEEDED_ELSEWHERE) and a seed this directory began (resumed from its own outbox). In-process
 * Hardhat.
 */
import { describe, it, expect } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture } from "../helpers/fixture";
import { consentToHospitalA } from "../helpers/generations";
import { testWallets } from "../helpers/node";
import { OutboxSigner, Outbox } from "../../src/sdk";
import { grantsSeededElsewhere } from "../../src/demo";
import { Purpose } from "../../src/constants";

const freshOutbox = () => Outbox.open(join(mkdtempSync(join(tmpdir(), "medprov-seeded-")), "outbox"));

describe("demo seeding: a chain seeded from another data directory", () => {
  it("counts the grants a fresh data directory did not write; none when there are none or when its own outbox wrote to the chain", async () => {
    const l = await loadFixture(ledgerFixture);
    const outbox = await freshOutbox();
    try {
      expect(await grantsSeededElsewhere(l, 0, outbox)).toBe(0); // nothing seeded yet: seeding may start
      await consentToHospitalA(l); // a grant written by someone else
      expect(await grantsSeededElsewhere(l, 0, outbox)).toBe(1);
      // This directory's own write (a seed it began, then resumed): its outbox holds it.
      const patient = testWallets(20)[9].connect(hre.ethers.provider);
      const c = l.consents.connect(new OutboxSigner(outbox, patient).withKey("seed:test"));
      await (await c.grantConsent(patient.address, Purpose.RESEARCH, 0, 2 ** 40)).wait();
      expect(await grantsSeededElsewhere(l, 0, outbox)).toBe(0);
    } finally {
      await outbox.close();
    }
  });
});
