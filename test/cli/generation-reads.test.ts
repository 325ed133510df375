/**
 * The CLI's history reads follow every ledger generation (issue 16, docs/consortium.md "Ledger
 * generations"), in manifest order and each over its own blocks, as the indexer does: `consent
 * list` (a subject's history, and the patient's joined view over their pseudonyms), `patient
 * pseudonyms`, `indication list`, and `incident list` / `incident show` (ids run on across
 * generations; each incident read on its own generation's registry). Written in generation 1, migrated to a successor (which
 * re-admits five of the seven members), written again in generation 2: the output holds both, each
 * row naming its generation. The CLI runs in-process (its own `main`) against in-process Hardhat.
 */
import { describe, it, expect } from "vitest";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexlify, randomBytes } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG, type Ledger } from "../helpers/fixture";
import { firstGeneration, fixtureMembers, incidentInGenerationOne, incidentInSuccessor } from "../helpers/generations";
import { medprov, rpcBridge } from "../helpers/cli-in-process";
import { Hospital, Patient, deploySuccessor, derivePseudonym } from "../../src/sdk";
import { DEFAULT_INDICATIONS, Purpose } from "../../src/constants";

/** The pseudonym of `secret` at Hospital A signs a grant, and Hospital A relays it, in `l`'s generation. */
async function pseudonymGrants(l: Ledger, secret: string, purpose: number, grantee: number) {
  const signed = await Patient.at(l, secret, ORG.HOSPITAL_A).signGrant({ purpose, grantee, expiresAt: (await time.latest()) + 10 ** 6 });
  await new Hospital(l, l.hospitalA).relayGrant(signed);
}

describe("CLI reads across ledger generations", () => {
  it("consent list, consent list --pseudonyms, patient pseudonyms and indication list show generation 1's rows and generation 2's, each labelled", async () => {
    const l = await loadFixture(ledgerFixture);
    const secret = hexlify(randomBytes(32));
    const pA = derivePseudonym(secret, ORG.HOSPITAL_A).address;
    const gen1 = await firstGeneration(l);
    await pseudonymGrants(l, secret, Purpose.RESEARCH, 0);
    // Generation 2 re-admits members 1–5 only: the suspended hospital (6) and developer B (7) stay behind.
    const { contracts, deployment } = await deploySuccessor(l.deployer, gen1, { members: fixtureMembers(l).slice(0, 5) });
    await pseudonymGrants({ ...l, ...contracts }, secret, Purpose.TREATMENT, ORG.HOSPITAL_A);
    const path = join(mkdtempSync(join(tmpdir(), "medprov-genread-")), "deployment.json");
    writeFileSync(path, JSON.stringify(deployment, null, 2));

    const bridge = await rpcBridge();
    const cli = async (args: string[], json = false) => {
      const r = await medprov(["--rpc", bridge.url, "--deployment", path, ...(json ? ["--json"] : []), ...args], { MEDPROV_PRIVATE_KEY: secret, MEDPROV_OUTBOX: join(tmpdir(), "medprov-genread-outbox") });
      expect(r.code, r.stderr).toBe(0);
      return json ? JSON.parse(r.stdout) : r.stdout.trim().split("\n");
    };
    try {
      const history = await cli(["consent", "list", "--subject", pA], true);
      expect(history.map((e: { generation: number; kind: string; purpose: number; subject: string }) => [e.generation, e.kind, e.purpose, e.subject])).toEqual([[1, "GRANTED", Purpose.RESEARCH, pA], [2, "GRANTED", Purpose.TREATMENT, pA]]);

      const joined = await cli(["consent", "list", "--pseudonyms"]);
      expect(joined).toHaveLength(2);
      expect(joined[0]).toMatch(new RegExp(`^gen 1  block \\d+ at \\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z +GRANTED +RESEARCH +any member until \\d{4}-.*  at Hospital A as ${pA}$`));
      expect(joined[1]).toMatch(new RegExp(`^gen 2  block \\d+ at \\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z +GRANTED +TREATMENT +organisation ${ORG.HOSPITAL_A} until .*  at Hospital A as ${pA}$`));

      const pseudonyms = await cli(["patient", "pseudonyms"], true);
      expect(pseudonyms).toEqual([
        { hospital: { id: ORG.HOSPITAL_A, name: "Hospital A" }, address: pA, generations: [1, 2] },
        { hospital: { id: ORG.HOSPITAL_B, name: "Hospital B" }, address: derivePseudonym(secret, ORG.HOSPITAL_B).address, generations: [1, 2] },
        { hospital: { id: ORG.HOSPITAL_SUSPENDED, name: "Hospital Suspended" }, address: derivePseudonym(secret, ORG.HOSPITAL_SUSPENDED).address, generations: [1] },
      ]);
      expect((await cli(["patient", "pseudonyms"]))[2]).toBe(`organisation ${ORG.HOSPITAL_SUSPENDED}  ${derivePseudonym(secret, ORG.HOSPITAL_SUSPENDED).address}  Hospital Suspended  (generation 1)`);

      // Each generation's catalogue: a successor starts from the defaults again.
      const indications = await cli(["indication", "list"]);
      expect(indications).toEqual([1, 2].flatMap((g) => DEFAULT_INDICATIONS.map((name, id) => `gen ${g}  ${id} ${name}`)));
    } finally {
      await bridge.close();
    }
  });

  it("incident list and incident show read each generation's incidents, ids running on, organisations named across generations", async () => {
    const { l, gen1, first } = await incidentInGenerationOne();
    const { contracts, deployment } = await deploySuccessor(l.deployer, gen1, { members: fixtureMembers(l) });
    const second = await incidentInSuccessor({ ...l, ...contracts }, deployment);
    const path = join(mkdtempSync(join(tmpdir(), "medprov-genread-")), "deployment.json");
    writeFileSync(path, JSON.stringify(deployment, null, 2));
    const bridge = await rpcBridge();
    const cli = async (args: string[], json = false) => {
      const r = await medprov(["--rpc", bridge.url, "--deployment", path, ...(json ? ["--json"] : []), ...args], {});
      expect(r.code, r.stderr).toBe(0);
      return json ? JSON.parse(r.stdout) : r.stdout.trim().split("\n");
    };
    try {
      const listed = await cli(["incident", "list"], true);
      expect(listed.map((i: { generation: number; incidentId: number; hospital: number }) => [i.generation, i.incidentId, i.hospital])).toEqual([[1, first, ORG.HOSPITAL_A], [2, second.id, ORG.HOSPITAL_A]]);
      const lines = await cli(["incident", "list"]);
      expect(lines[0]).toMatch(/^gen 1 {2}1 \S+ Hospital A \(organisation 1\) SEVERE MISDIAGNOSIS finding INCORRECT determined 3000\/1000\/6000 bps$/);
      expect(lines[1]).toMatch(/^gen 2 {2}2 \S+ Hospital A \(organisation 1\) SEVERE MISDIAGNOSIS finding NONE not determined$/);
      // Generation 1's incident from its own registry; its appraiser (organisation 8) was not re-admitted in generation 2 and is still named.
      const shown = (await cli(["incident", "show", "1"])).join("\n");
      expect(shown).toContain("finding: INCORRECT");
      expect(shown).toMatch(/determination by Appraisal Board \(organisation 8\) at .*: developer 3000 \/ hospital 1000 \/ clinician 6000 bps/);
      expect((await cli(["incident", "show", "2"])).join("\n")).toContain("determination: none yet");
    } finally {
      await bridge.close();
    }
  });
});
