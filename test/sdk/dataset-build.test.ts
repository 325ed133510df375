import { describe, it, expect } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { buildDataset, sharesBps, verifyCohortManifest, InputError } from "../../src/sdk";

const dir = () => mkdtempSync(join(tmpdir(), "medprov-ds-"));
const subjects = Array.from({ length: 3 }, () => Wallet.createRandom().address);

describe("buildDataset", () => {
  it("a directory of JSON files and the same records as JSONL give the same roots and shares", async () => {
    const records = subjects.flatMap((s, i) => [0, 1].map((j) => ({ subject: s, ageBand: ["18-44", "65+"][j], sex: ["FEMALE", "MALE", "FEMALE"][i], region: "WEST", grassroots: i === 0, lab: `hb-${i}${j}` })));
    const d = join(dir(), "records");
    mkdirSync(d);
    records.forEach((r, i) => writeFileSync(join(d, `${String(i).padStart(3, "0")}.json`), JSON.stringify(r)));
    const jsonl = join(dir(), "records.jsonl");
    writeFileSync(jsonl, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const a = await buildDataset(d);
    const b = await buildDataset(jsonl);
    expect([a.contentRoot, a.cohortRoot, a.recordCount]).toEqual([b.contentRoot, b.cohortRoot, 6]);
    expect(a.subjects).toEqual([...subjects].sort());
    expect(a.demographics).toEqual({ ageBps: [0, 5000, 0, 5000], sexBps: [6667, 3333, 0], regionBps: [0, 0, 10000, 0], grassrootsBps: 3333 });
    expect(verifyCohortManifest({ cohortRoot: a.cohortRoot, cohortTree: a.cohortTree }, a.cohortRoot)).toEqual(a.subjects);
    expect(() => verifyCohortManifest({ cohortRoot: a.cohortRoot, cohortTree: a.cohortTree }, b.contentRoot)).toThrow(InputError);
  });

  it("names the bad record", async () => {
    const f = join(dir(), "bad.jsonl");
    const cases: [string, string][] = [
      [`{"subject":"${subjects[0]}","ageBand":"18-44","sex":"FEMALE","region":"WEST"}\n{"subject":"MRN-001"}`, "line 2: subject must be the patient's pseudonymous address"],
      [`{"subject":"${subjects[0]}","ageBand":"child","sex":"FEMALE","region":"WEST"}`, 'line 1: ageBand "child"'],
      [`{"subject":"${subjects[0]}"}`, "demographic summary is required"],
      [`{not json`, "line 1: not valid JSON"],
    ];
    for (const [text, message] of cases) {
      writeFileSync(f, text);
      await expect(buildDataset(f)).rejects.toThrow(message);
    }
    await expect(buildDataset(join(dir(), "missing"))).rejects.toThrow("does not exist");
  });

  it("shares always add up to 10,000 bps", () => {
    for (const counts of [[1, 1, 1], [2, 0, 1, 0], [7, 7, 7, 7], [1, 0, 0]]) expect(sharesBps(counts).reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(sharesBps([0, 0])).toEqual([0, 0]);
  });
});
