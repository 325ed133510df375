/**
 * The patient's pseudonyms from the CLI (issue 16, docs/pseudonyms.md), as spawned processes: the
 * key is the patient's secret; `patient pseudonyms` derives one address per hospital; `--at` signs
 * as one of them; each hospital relays its own; `consent list --pseudonyms` joins them with the
 * hospital beside each line. Hospitals here: organisation 1 (Hospital A) and 5 (Hospital B).
 */
import { describe, it, expect } from "vitest";
import { cliHarness, checkOwnedCommands } from "../helpers/cli";
import { T as ALL } from "../helpers/cli-coverage";
import { derivePseudonym } from "../../src/sdk";

const T = { pseudonyms: ALL.pseudonyms, pseudonymsRefused: ALL.pseudonymsRefused };
const h = cliHarness();
const [A, B] = [1, 5];

describe("medprov patient pseudonyms and consent --at / --pseudonyms", () => {
  it(T.pseudonyms, async () => {
    const secret = h.wallet("patient").privateKey;
    const [pA, pB] = [derivePseudonym(secret, A).address, derivePseudonym(secret, B).address];
    // Spawns are slow on a busy machine: what does not depend on another runs side by side.
    const [listed, signed] = await Promise.all([
      h.json("patient", ["patient", "pseudonyms"]),
      h.json("patient", ["consent", "sign-grant", "--at", String(A), "--purpose", "RESEARCH", "--grantee", "any", "--expires", "30d", "--out", h.f("pseudo-a.json")]),
      h.json("patient", ["consent", "sign-grant", "--at", String(B), "--purpose", "TREATMENT", "--grantee", String(B), "--expires", "30d", "--out", h.f("pseudo-b.json")]),
    ]);
    expect(listed).toEqual([{ hospital: { id: A, name: "Hospital A" }, address: pA }, { hospital: { id: B, name: "Hospital B" }, address: pB }]);
    expect(JSON.stringify(listed)).not.toContain(derivePseudonym(secret, A).privateKey.slice(2)); // keys stay out of the output
    expect([signed.request.subject, signed.request.signer]).toEqual([pA, pA]);
    // Each hospital relays its own pseudonym's request.
    await Promise.all([h.json("hospital", ["consent", "relay", h.f("pseudo-a.json")]), h.json("hospitalB", ["consent", "relay", h.f("pseudo-b.json")])]);

    const joined = await h.cli("patient", ["consent", "list", "--pseudonyms"]);
    expect(joined.code, joined.stderr).toBe(0);
    const lines = joined.stdout.trim().split("\n").sort((x, y) => (x.includes("Hospital A") ? -1 : 1) - (y.includes("Hospital A") ? -1 : 1));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^block \\d+ at \\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z +GRANTED +RESEARCH +any member until \\d{4}-.*  at Hospital A as ${pA}$`));
    expect(lines[1]).toMatch(new RegExp(`^block \\d+ at \\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z +GRANTED +TREATMENT +organisation ${B} until .*  at Hospital B as ${pB}$`));
  });

  it(T.pseudonymsRefused, async () => {
    await Promise.all([
      h.refused("none", ["patient", "pseudonyms"], "KEY_MISSING"),
      h.refused("patient", ["consent", "sign-grant", "--at", "2", "--purpose", "RESEARCH", "--grantee", "any", "--expires", "30d", "--out", h.f("never.json")], "PSEUDONYM_NOT_HOSPITAL"),
    ]);
  });
});

checkOwnedCommands(h, "pseudonyms.test.ts");
