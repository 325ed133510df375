/**
 * Gas does not grow with stored data: each write costs within 5% after 10,000 earlier records
 * of its kind as after one. A BulkWriter contract (a hospital key) writes the 10,000 records in
 * a few transactions.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { SigningKey, computeAddress, keccak256, toBeHex, type TypedDataDomain } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { batch, modelWithVersion, registration } from "../helpers/builders";
import { grantDigest, readDomain, signGrant } from "../../src/sdk/consent-signing";
import { BulkWriter__factory, type BulkWriter } from "../../typechain-types";
import { Purpose } from "../../src/constants";

const EARLIER = 10_000;
const CHUNK = 200;
/** Batches per transaction: each stores a header and a version count too (TraceAnchor 3), so fewer fit a block. */
const ANCHOR_CHUNK = 100;

const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => (await (await tx).wait())!.gasUsed;
const within5 = (after: bigint, before: bigint) => expect(Math.abs(Number(after - before)) / Number(before)).toBeLessThanOrEqual(0.05);

describe("gas does not grow with stored data", () => {
  let l: Ledger;
  let writer: BulkWriter;
  let versionId: string;
  let domain: TypedDataDomain;
  let keyIndex = 1;

  beforeAll(async () => {
    l = await ledgerFixture();
    writer = await new BulkWriter__factory(l.deployer).deploy();
    await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("addKey", [ORG.HOSPITAL_A, await writer.getAddress()]) });
    versionId = (await modelWithVersion(l, { approve: true, deploy: true })).versionId;
    domain = await readDomain(l.consents);
  });

  async function relaySignedGrants(n: number) {
    const expiresAt = BigInt(await time.latest()) + 10n ** 8n;
    for (let done = 0; done < n; done += CHUNK) {
      const reqs = [];
      const sigs = [];
      for (let i = 0; i < Math.min(CHUNK, n - done); i++) {
        const key = new SigningKey(keccak256(toBeHex(keyIndex++, 32)));
        const subject = computeAddress(key.publicKey);
        const req = { subject, signer: subject, purpose: Purpose.RESEARCH, grantee: ORG.HOSPITAL_A, expiresAt, signedAt: BigInt(await time.latest()), deadline: expiresAt };
        reqs.push(req);
        sigs.push(key.sign(grantDigest(domain, req)).serialized);
      }
      await (await writer.relayGrants(await l.consents.getAddress(), reqs, sigs)).wait();
    }
  }

  it(`anchorBatch costs the same after ${EARLIER} batches`, async () => {
    const seq = async () => l.traces.nextSequence(ORG.HOSPITAL_A);
    await (await writer.anchorMany(await l.traces.getAddress(), await seq(), 1, versionId)).wait();
    const before = await gasOf(l.traces.connect(l.hospitalA).anchorBatch(await batch(await seq(), [versionId])));
    for (let i = 0; i < EARLIER; i += ANCHOR_CHUNK) await (await writer.anchorMany(await l.traces.getAddress(), await seq(), ANCHOR_CHUNK, versionId)).wait();
    expect(await seq()).toBeGreaterThan(BigInt(EARLIER));
    const after = await gasOf(l.traces.connect(l.hospitalA).anchorBatch(await batch(await seq(), [versionId])));
    within5(after, before);
  });

  it(`registerDataset costs the same after ${EARLIER} datasets`, async () => {
    const template = registration();
    await (await writer.registerMany(await l.datasets.getAddress(), 0, 1, template)).wait();
    const before = await gasOf(l.datasets.connect(l.hospitalA).registerDataset(registration()));
    for (let i = 0; i < EARLIER; i += CHUNK) await (await writer.registerMany(await l.datasets.getAddress(), i + 1, CHUNK, template)).wait();
    const after = await gasOf(l.datasets.connect(l.hospitalA).registerDataset(registration()));
    within5(after, before);
  });

  it(`direct and relayed grants and revocations cost the same after ${EARLIER} consents`, async () => {
    const expiresAt = BigInt(await time.latest()) + 10n ** 8n;
    const measure = async (who: typeof l.patient, purpose: number) => {
      const direct = await gasOf(l.consents.connect(who).grantConsent(who.address, purpose, ORG.HOSPITAL_B, expiresAt));
      const revoke = await gasOf(l.consents.connect(who).revokeConsent(who.address, purpose, ORG.HOSPITAL_B));
      const req = { subject: who.address, signer: who.address, purpose, grantee: ORG.HOSPITAL_A, expiresAt, signedAt: BigInt(await time.latest()), deadline: expiresAt };
      const relayed = await gasOf(l.consents.connect(l.hospitalA).grantConsentBySig(req, await signGrant(who, domain, req)));
      return [direct, revoke, relayed];
    };
    await relaySignedGrants(1);
    const before = await measure(l.patient, Purpose.TREATMENT);
    await relaySignedGrants(EARLIER);
    const after = await measure(l.patient2, Purpose.TREATMENT);
    after.forEach((g, i) => within5(g, before[i]));
  });
});
