/**
 * End to end: a member's own `medprov serve` and `medprov index` take the cohort manifests that
 * `medprov dataset register` writes (matched to datasets by root, whatever the file is called),
 * load them at start and again when a new dataset is indexed, and say which files matched nothing
 * and which datasets have no manifest — so revocation impact is never silently empty.
 */
import { describe, it, expect, beforeAll, vi } from "vitest";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexlify, randomBytes } from "ethers";
import { IndexStore, createQueries } from "../../src/indexer";
import { Purpose } from "../../src/constants";
import { checkOwnedCommands, cliHarness } from "../helpers/cli";
import { T } from "../helpers/cli-coverage";
import { freePort, type RpcConsortium } from "../helpers/node";

// Each test runs several whole CLI processes; on a loaded two-core machine that can take longer than
// the suite's two minutes (a guard against hangs, not a measure of speed).
vi.setConfig({ testTimeout: 300_000 });
const h = cliHarness();
const { f, cli, json, refused } = h;

let c: RpcConsortium;
let subject: string;
beforeAll(() => {
  ({ c } = h);
  subject = c.keys[6].address;
});

/** Writes a JSONL dataset under `dir` whose cohort includes the patient; `tag` makes its content unique. */
function records(dir: string, tag: string): string {
  mkdirSync(f(dir), { recursive: true });
  const path = join(dir, `${tag}.jsonl`);
  writeFileSync(f(path), c.keys.slice(6, 10).map((k, i) => JSON.stringify({ subject: k.address, ageBand: "45-64", sex: i % 2 ? "MALE" : "FEMALE", region: "NORTHEAST", grassroots: i === 0, note: `${tag} ${i}` })).join("\n"));
  return path;
}

const register = async (who: "hospital" | "hospitalB", path: string) => (await json(who, ["dataset", "register", f(path), "--purposes", "RESEARCH,MODEL_TRAINING", "--uri", `s3://custodian/${path}.enc`])).datasetId as string;

/** Polls until `read` gives a value `ok` accepts; the test's own timeout bounds it. */
async function until<V>(read: () => Promise<V>, ok: (v: V) => boolean): Promise<V> {
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

type Impact = { purpose: number; datasets: { datasetId: string; versions: { versionId: string; registered: string }[] }[] }[];
const impactDatasets = (impact: Impact) => impact.flatMap((r) => r.datasets.map((d) => d.datasetId));

let first: string;
describe("cohort manifests for a member's own indexer and API", () => {
  it(T.serveManifests, async () => {
    // A custodian registers a dataset (its manifest lands beside the records), and the patient in it
    // grants then revokes MODEL_TRAINING.
    const [datasetId] = await Promise.all([register("hospital", records("custodian-a", "cohort-a")), json("patient", ["consent", "grant", "--purpose", "MODEL_TRAINING", "--grantee", "any", "--expires", "30d"])]);
    first = datasetId.toLowerCase();
    expect(existsSync(f("custodian-a/cohort-a.jsonl.cohort.json"))).toBe(true);
    await json("patient", ["consent", "revoke", "--purpose", "MODEL_TRAINING", "--grantee", "any"]);

    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;
    const serve = await h.daemon("none", ["serve", "--db", f("serve-index"), "--port", String(port), "--manifests", c.dir], "medprov: API on");
    let exit: number | null;
    try {
      // Both manifests under the directory: the consortium's own dataset's and the one registered above.
      expect(serve.output()).toContain("medprov: cohort manifests: 2 loaded");
      const headers = await h.signIn(api, "auditor");
      const impact = async () => (await (await fetch(`${api}/reports/revocation-impact/${subject}`, { headers })).json()) as Impact;
      const now = await impact();
      expect(now.map((r) => r.purpose)).toEqual([Purpose.MODEL_TRAINING]);
      expect(impactDatasets(now).sort()).toEqual([c.datasetId.toLowerCase(), first].sort());
      // The consortium's version was trained on its dataset before the revocation.
      expect(now[0].datasets.find((d) => d.datasetId === c.datasetId.toLowerCase())!.versions).toEqual([expect.objectContaining({ versionId: c.versionId.toLowerCase(), registered: "BEFORE_REVOCATION" })]);

      // Follow mode: a dataset registered while serve runs is indexed, and its manifest loaded, without a restart.
      const later = (await register("hospitalB", records("custodian-b", "cohort-b"))).toLowerCase();
      const after = await until(impact, (v) => impactDatasets(v).includes(later));
      expect(impactDatasets(after).sort()).toEqual([c.datasetId.toLowerCase(), first, later].sort());
      await serve.waitFor(`cohort-b.jsonl.cohort.json → ${later}`);
    } finally {
      exit = await serve.stop();
    }
    expect(exit).toBe(0);
  });

  it(T.indexManifests, async () => {
    // The file `dataset register` wrote, under another name; a manifest of data nobody registered; a broken file.
    const handedOver = mkdtempSync(join(tmpdir(), "medprov-manifests-"));
    copyFileSync(f("custodian-a/cohort-a.jsonl.cohort.json"), join(handedOver, "from-hospital-a.cohort.json"));
    const root = () => hexlify(randomBytes(32));
    writeFileSync(join(handedOver, "stranger.cohort.json"), JSON.stringify({ contentRoot: root(), cohortRoot: root(), subjects: [], cohortTree: { format: "standard-v1", leafEncoding: ["address"], tree: [], values: [] } }));
    writeFileSync(join(handedOver, "broken.cohort.json"), "{ not json");
    const r = await json("none", ["index", "--db", f("index-a"), "--once", "--manifests", handedOver]);
    expect(r.manifests.loaded).toEqual([{ file: "from-hospital-a.cohort.json", datasetId: first, subjects: 4 }]);
    expect(r.manifests.unmatched).toEqual(["stranger.cohort.json"]);
    expect(r.manifests.invalid).toEqual([expect.objectContaining({ file: "broken.cohort.json", code: "BAD_JSON" })]);
    expect(r.manifests.missing).toContain(c.datasetId.toLowerCase());
    expect(r.manifests.missing).not.toContain(first);

    // The whole directory `dataset register` wrote into, in a person's words; then the index itself answers.
    const human = await cli("none", ["index", "--db", f("index-b"), "--once", "--manifests", c.dir]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain("cohort manifests: 3 loaded");
    expect(human.stdout).not.toContain("no manifest for");
    const store = await IndexStore.open(f("index-b"));
    try {
      const [impact] = await createQueries(store).revocationImpact(subject);
      expect(impact.datasets.map((d) => d.datasetId)).toContain(first);
    } finally {
      await store.close();
    }

    // Follow mode: the manifest of a dataset registered while the indexer runs is loaded then, not at exit.
    const follow = await h.daemon("none", ["index", "--db", f("index-c"), "--poll", "200", "--manifests", c.dir], "cohort manifests loaded");
    let exit: number | null;
    let later: string;
    try {
      later = (await register("hospital", records("custodian-c", "cohort-c"))).toLowerCase();
      await follow.waitFor(`"datasetId":"${later}","subjects":4`); // a pino line of a pass while running
    } finally {
      exit = await follow.stop();
    }
    expect(exit).toBe(0);
    expect(follow.output()).toContain(`cohort-c.jsonl.cohort.json → ${later}`);

    // A directory that is not there is refused by name before any database is created.
    await Promise.all([
      refused("none", ["index", "--db", f("never-index"), "--once", "--manifests", f("no-such-dir")], "MANIFESTS_NOT_FOUND"),
      refused("none", ["serve", "--db", f("never-serve"), "--port", String(await freePort()), "--manifests", f("no-such-dir")], "MANIFESTS_NOT_FOUND"),
    ]);
    expect([existsSync(f("never-index")), existsSync(f("never-serve"))]).toEqual([false, false]);
  });

  checkOwnedCommands(h, "manifests.test.ts");
});
