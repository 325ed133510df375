/**
 * Published input formats (issue 17): schemas/*.json are what src/formats/schemas.ts builds; each
 * file of examples/ validates against its schema and is accepted by the real CLI (the chain then
 * judges it); a file with several mistakes is refused with every problem at once, one line each
 * with its JSON path; and the API serves the same schemas at /schemas/<name>.json.
 */
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliHarness } from "../helpers/cli";
import { freePort } from "../helpers/node";
import { INPUT_FORMATS, INPUT_SCHEMAS, type InputFormat } from "../../src/formats/schemas";
import { checkFormat } from "../../src/formats/validate";
import { OUTPUT_SCHEMAS } from "../../src/formats/evidence-pack";

const ROOT = join(__dirname, "..", "..");
const EXAMPLES: Record<InputFormat, string> = { "model-card": "model-card.json", "trace-record": "traces.jsonl", "dataset-record": "dataset.jsonl", "signed-consent": "signed-consent.json", networks: "networks.json", founders: "founders.json", deployment: "deployment.json" };
const example = (format: InputFormat) => join(ROOT, "examples", EXAMPLES[format]);
const documents = (format: InputFormat): unknown[] => {
  const text = readFileSync(example(format), "utf8");
  return EXAMPLES[format].endsWith(".jsonl") ? text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l)) : [JSON.parse(text)];
};

const h = cliHarness();

/** The problem lines of a refusal: the lines after the first (which says how many). */
const problemLines = (stderr: string) => stderr.trim().split("\n").slice(1);

describe("published input formats", () => {
  it("schemas/ holds exactly what src/formats/schemas.ts builds (npm run gen:schemas --check)", () => {
    expect(readdirSync(join(ROOT, "schemas")).sort()).toEqual([...INPUT_FORMATS, ...Object.keys(OUTPUT_SCHEMAS)].map((f) => `${f}.json`).sort());
    for (const f of INPUT_FORMATS) expect(JSON.parse(readFileSync(join(ROOT, "schemas", `${f}.json`), "utf8")), f).toEqual(INPUT_SCHEMAS[f]);
    expect(execFileSync(process.execPath, ["-r", "tsx/cjs", join(ROOT, "scripts/gen-schemas.ts"), "--check"], { cwd: ROOT, encoding: "utf8" })).toContain("up to date");
  });

  it("every example validates against its schema, and the checker can fail", () => {
    for (const f of INPUT_FORMATS) {
      expect(documents(f).length, f).toBeGreaterThan(0);
      for (const d of documents(f)) expect(checkFormat(f, d), f).toEqual([]);
    }
    const [trace] = documents("trace-record") as Record<string, unknown>[];
    expect(checkFormat("trace-record", { ...trace, patientName: "Li Si" }).map((p) => p.path)).toEqual(["/patientName"]);
    // A mixed-case address must be its EIP-55 checksum; all lower case carries none.
    const subject = trace.subject as string;
    expect(checkFormat("trace-record", { ...trace, subject: subject.toLowerCase() })).toEqual([]);
    const flipped = subject.slice(0, -1) + (subject.at(-1) === subject.at(-1)!.toUpperCase() ? subject.at(-1)!.toLowerCase() : subject.at(-1)!.toUpperCase());
    if (flipped !== subject && /[a-fA-F]$/.test(subject)) expect(checkFormat("trace-record", { ...trace, subject: flipped }).map((p) => p.path)).toEqual(["/subject"]);
    const [consent] = documents("signed-consent") as { request: Record<string, unknown> }[];
    expect(checkFormat("signed-consent", { ...consent, request: { ...consent.request, signedAt: (2n ** 64n).toString() } }).map((p) => p.path)).toEqual(["/request/signedAt"]);
  });

  it("the CLI accepts every example: the dataset and the model card are registered, the traces queued, the signed consent reaches the chain", async () => {
    // The dataset under its own name (the name is part of its metadata hash), so the card's training dataset id is this one.
    copyFileSync(example("dataset-record"), h.f("dataset.jsonl"));
    const ds = await h.json("hospital", ["dataset", "register", h.f("dataset.jsonl"), "--purposes", "RESEARCH,MODEL_TRAINING", "--uri", "s3://example/dataset.enc"]);
    const card = documents("model-card")[0] as { trainingDatasets: string[] };
    expect(ds.datasetId).toBe(card.trainingDatasets[0]);
    // The card's model is HIGH risk: its policy requires a white paper and insurance in force (issue 18).
    writeFileSync(h.f("white-paper.txt"), "algorithm safety white paper");
    const filing = ["--white-paper", h.f("white-paper.txt"), "--insurer", "Example Mutual", "--insurance-policy", h.f("white-paper.txt"), "--coverage-start", "2020-01-01", "--coverage-end", "2100-01-01"];
    const version = await h.json("developer", ["model", "version", example("model-card"), ...filing]);
    expect(version.versionId).toMatch(/^0x[0-9a-f]{64}$/);
    // Traces name an approved version the hospital deployed (here: the card's), stamped within the chain's window (the example's own times age).
    await h.json("regulator", ["model", "approve", version.versionId, "--filing-code", "EXAMPLE-1", "--indications", "PNEUMONIA_DIAGNOSIS"]);
    await h.json("hospital", ["model", "deploy", version.versionId]);
    const now = (await h.node.provider.getBlock("latest"))!.timestamp;
    writeFileSync(h.f("traces.jsonl"), documents("trace-record").map((t) => JSON.stringify({ ...(t as object), modelVersion: version.versionId, time: now })).join("\n") + "\n");
    const queued = await h.json("hospital", ["trace", "append", h.f("traces.jsonl"), "--vault", h.f("example-vault")]);
    expect(queued.queued).toBe(documents("trace-record").length);
    // The example was signed on the demo chain with a one-hour deadline: past the format check, the chain
    // judges it — relayed while its deadline lasts (this chain's registry sits at the demo's address), else
    // refused by the contract's own error (an expired signature), never by a format code.
    const relayed = await h.cli("hospital", ["consent", "relay", example("signed-consent")]);
    if (relayed.code !== 0) expect(relayed.stderr).toMatch(/\[ConsentRegistry[A-Za-z]+\]/);
    else expect(relayed.stdout).toMatch(/^relayed grant for 0x/);
  }, 120_000);

  it("a file with three mistakes is refused with three problem lines, each with its JSON path; nothing is written", async () => {
    const card = documents("model-card")[0] as Record<string, Record<string, unknown>>;
    const bad = { ...card, weightsHash: "0x1234", evaluation: { ...card.evaluation, auc: 12_000 }, version: "2.0" };
    writeFileSync(h.f("bad-card.json"), JSON.stringify(bad));
    const before = await h.blockNumber();
    const r = await h.cli("developer", ["model", "version", h.f("bad-card.json")]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(/bad-card\.json has 3 problems \(format: schemas\/model-card\.json\) \[CARD_[A-Z_]+\]$/);
    expect(problemLines(r.stderr)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^ {2}\/evaluation\/auc: must be .*0\.\.10000 \(basis points\), got 12000$/),
      expect.stringMatching(/^ {2}\/version: field "version" is not part of the format/),
      expect.stringMatching(/^ {2}\/weightsHash: must be a 32-byte hex hash of the weights, got "0x1234"$/),
    ]));
    expect(problemLines(r.stderr)).toHaveLength(3);

    // JSONL: every line's problems, each prefixed with its line; --json lists them as data.
    const [trace] = documents("trace-record") as Record<string, unknown>[];
    const { confidenceBps: _drop, ...missing } = trace;
    writeFileSync(h.f("bad-traces.jsonl"), [JSON.stringify(trace), JSON.stringify({ ...trace, action: "IGNORED" }), "{ not json", JSON.stringify(missing)].join("\n"));
    const t = await h.cli("hospital", ["--json", "trace", "append", h.f("bad-traces.jsonl"), "--vault", h.f("bad-vault")]);
    expect(t.code).toBe(1);
    expect(JSON.parse(t.stderr).error.problems).toEqual([
      expect.stringMatching(/^line 2: \/action: must be what the clinician did/),
      expect.stringMatching(/^line 3: \/: not valid JSON/),
      expect.stringMatching(/^line 4: \/confidenceBps: field "confidenceBps" is missing$/),
    ]);

    // Dataset records: every record line against schemas/dataset-record.json before anything is hashed.
    writeFileSync(h.f("bad-ds.jsonl"), [JSON.stringify({ subject: "0x1", ageBand: "45-64", sex: "MALE", region: "EAST" }), JSON.stringify({ subject: h.wallet("patient").address, ageBand: "old", sex: "MALE", region: "SOUTH", grassroots: "yes" })].join("\n"));
    const d = await h.cli("hospital", ["dataset", "register", h.f("bad-ds.jsonl"), "--purposes", "RESEARCH", "--uri", "s3://x"]);
    expect(problemLines(d.stderr)).toEqual([expect.stringMatching(/^ {2}line 1: \/subject: /), expect.stringMatching(/^ {2}line 2: \/ageBand: /), expect.stringMatching(/^ {2}line 2: \/region: /), expect.stringMatching(/^ {2}line 2: \/grassroots: /)]);
    expect(await h.blockNumber()).toBe(before);
  }, 120_000);

  it("the API serves each schema at /schemas/<name>.json, and 404 names the formats for any other", async () => {
    const port = await freePort();
    const d = await h.daemon("none", ["serve", "--db", h.f("formats-index"), "--port", String(port)], "API on");
    try {
      for (const f of INPUT_FORMATS) {
        const r = await fetch(`http://127.0.0.1:${port}/schemas/${f}.json`);
        expect(r.status, f).toBe(200);
        expect(await r.json()).toEqual(JSON.parse(readFileSync(join(ROOT, "schemas", `${f}.json`), "utf8")));
      }
      const missing = await fetch(`http://127.0.0.1:${port}/schemas/patient.json`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { message: string } }).error.message).toContain("model-card");
    } finally {
      await d.stop();
    }
  }, 120_000);
});
