/**
 * `--json` prints a write's decoded events by their ABI types. ethers' Result.toObject(true) turns a
 * one-element array of unnamed items into {"_": item}, so `medprov --json model version card.json`
 * (one training dataset, as in examples/model-card.json) printed "trainingDatasets": {"_": "0x…"}
 * (found by a new-user trial). Arrays stay arrays, tuples are objects by component name, integers
 * decimal strings.
 */
import { describe, expect, it } from "vitest";
import { Interface } from "ethers";
import { cliJson } from "../../src/cli/context";

const events = new Interface(["event VersionRegistered(bytes32 indexed versionId, (bytes32 parent, bytes32[] trainingDatasets, (uint16 auc) evaluation) input)"]);
const id = (n: number) => "0x" + String(n).repeat(64);

function printed(datasets: string[]) {
  const log = events.encodeEventLog("VersionRegistered", [id(1), [id(0), datasets, [9200]]]);
  const parsed = events.parseLog(log)!;
  return JSON.parse(cliJson({ events: [parsed] })).events[0];
}

describe("--json output of a decoded event", () => {
  it.each([[[id(2)]], [[id(2), id(3)]], [[]]])("keeps a bytes32[] of %j as an array", (datasets) => {
    const e = printed(datasets);
    expect(e.event).toBe("VersionRegistered");
    expect(e.args.input.trainingDatasets).toEqual(datasets);
  });

  it("names tuple components and prints integers as decimal strings", () => {
    expect(printed([id(2)]).args).toEqual({ versionId: id(1), input: { parent: id(0), trainingDatasets: [id(2)], evaluation: { auc: "9200" } } });
  });
});
