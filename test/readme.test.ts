/**
 * The README is executable (issue 17): `npm start -- --demo-size small` runs in a temporary copy of
 * the repository (its own .medprov/, deployments/ and examples/; code and node_modules linked) on
 * free ports, then every shell block of README.md and every ```sh runnable block of docs/*.md runs
 * in order, one command at a time in one bash (variables carry over). The only rewriting: the
 * default URLs (127.0.0.1:8080, :8545) become the free ports, and MEDPROV_RPC / MEDPROV_API say the
 * same to commands that use the defaults. A command fails the test when its exit code is not the
 * one its comment announces (0 unless "(exits N)") or when its output loses its shape (SHAPES
 * below: a few features per command, never exact bytes); a command without a shape fails too.
 *
 * `npx medprov` is resolved once by npm itself (below, through bin/medprov); the commands then reach
 * the CLI through a small `npx` on PATH that skips npm's few seconds a call and runs bin/medprov's
 * code prebuilt (test/helpers/bundles.ts), without tsx's few seconds a call. `npm start` runs as
 * package.json says (through tsx), so its documented command line is the one under test.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./helpers/node";
import { runnableBlocks, shellBlocks, type DocCommand } from "./helpers/doc-blocks";
import { CLI_BUNDLE } from "./helpers/bundles";

const exec = promisify(execFile);
const ROOT = join(__dirname, "..");
/** Linked into the copy: code and tools. Copied: what the commands write into (examples/ gets cohort manifests). */
const LINKED = ["package.json", "bin", "src", "scripts", "node_modules", "artifacts", "typechain-types", "contracts", "hardhat.config.ts", "tsconfig.json", "schemas", "docs"];
const COPIED = ["examples"];

interface Out {
  stdout: string;
  stderr: string;
  code: number;
  dir: string;
}
const json = (o: Out) => JSON.parse(o.stdout);
const lines = (o: Out) => o.stdout.trim().split("\n");

/** What each command's output must look like; the first rule whose pattern matches the command applies. */
const SHAPES: [RegExp, (o: Out) => void][] = [
  [/identities\.json"\)\.warning/, (o) => expect(o.stdout).toMatch(/^DEMO ONLY: .*31337/)],
  [/identities\.json"\)\.identities/, (o) => {
    expect(lines(o)).toHaveLength(9);
    expect(o.stdout).toMatch(/^hospital-1 HOSPITAL 0x[0-9a-fA-F]{40}$/m);
    expect(o.stdout).toMatch(/^auditor AUDITOR 0x[0-9a-fA-F]{40}$/m);
  }],
  [/^npm run walkthrough$/, (o) => {
    expect(o.stdout).toMatch(/signed in as the auditor 0x[0-9a-fA-F]{40}/);
    expect(o.stdout).toContain("LEAF_MISMATCH");
    expect(o.stdout).toMatch(/== GET \/reports\/recall-impact\/0x[0-9a-f]{64}/);
  }],
  [/receipt verify .*accepted-at-takeover/, (o) => {
    expect(o.stdout).toMatch(/^INVALID +\S+accepted-at-takeover\.json\n {2}ACCEPTED_AT_TAKEOVER: /m);
    expect(o.stdout).not.toMatch(/^VALID/m);
  }],
  [/receipt verify/, (o) => expect(o.stdout).toMatch(/^VALID +\S+\.json/)],
  [/incident evidence 1 .*--out evidence-1\.json/, (o) => {
    // The demo's first incident: a wrong low-confidence suggestion adopted, ruled on by the appraisal board.
    expect(o.stdout).toMatch(/^incident 1: SEVERE MISDIAGNOSIS, finding INCORRECT; decision at \d{4}-/m);
    expect(o.stdout).toMatch(/^clinician: duties not proved$/m);
    expect(o.stdout).toMatch(/^PROPOSAL \(ADOPTED_WRONG, not a determination\): developer [\d.]+% \/ hospital [\d.]+% \/ clinician [\d.]+%$/m);
    expect(o.stdout).toMatch(/^determination by Medical Appraisal Board \(demo\) \(organisation 8\) at \d{4}-.*: developer 30% \/ hospital 10% \/ clinician 60%$/m);
    expect(o.stdout).toMatch(/^evidence pack written to evidence-1\.json$/m);
    expect(JSON.parse(readFileSync(join(o.dir, "evidence-1.json"), "utf8"))).toMatchObject({ format: "medprov-evidence-pack/1", incident: { id: 1 }, liabilityCase: "ADOPTED_WRONG" });
  }],
  [/^curl -s http:\/\/\S+\/models$/, (o) => {
    expect(Array.isArray(json(o))).toBe(true);
    expect(json(o).length).toBeGreaterThan(0);
  }],
  [/\/fhir\/Provenance\?version=/, (o) => expect(json(o)).toMatchObject({ resourceType: "Bundle", entry: expect.any(Array) })],
  [/dataset register/, (o) => expect(o.stdout).toMatch(/^(registered|already registered:) dataset 0x[0-9a-f]{64}\n {2}\d+ records, \d+ subjects; cohort manifest /)],
  [/model register/, (o) => expect(o.stdout).toMatch(/^(registered|already registered:) model 0x[0-9a-f]{64}$/)],
  [/^printf .* > white-paper\.md; printf .* > liability-policy\.pdf$/, (o) => {
    expect(o.stdout).toBe("");
    expect(readFileSync(join(o.dir, "white-paper.md"), "utf8")).toMatch(/white paper/);
  }],
  [/--json model version examples\/model-card\.json .*> version\.json/, (o) => {
    expect(o.stdout).toBe("");
    const version = JSON.parse(readFileSync(join(o.dir, "version.json"), "utf8"));
    expect(version.versionId).toMatch(/^0x[0-9a-f]{64}$/);
    // A write's events by name and arguments, not ethers' ABI fragments (409 lines once).
    for (const e of version.events ?? []) expect(Object.keys(e).sort()).toEqual(["args", "event"]);
    expect(JSON.stringify(version)).not.toMatch(/"fragment"|"baseType"/);
  }],
  [/model approve/, (o) => expect(o.stdout).toMatch(/^approved 0x[0-9a-f]{64} as NMPA-2026-001, held to HIGH for PNEUMONIA_DIAGNOSIS \(tx 0x[0-9a-f]{64}\)$/)],
  [/indication list/, (o) => {
    expect(o.stdout).toMatch(/^0 CHEST_RADIOGRAPH_FINDINGS$/m);
    expect(o.stdout).toMatch(/^1 PNEUMONIA_DIAGNOSIS$/m);
  }],
  [/model deploy/, (o) => expect(o.stdout).toMatch(/^recorded deployment of 0x[0-9a-f]{64} \(tx 0x[0-9a-f]{64}\)$/)],
  [/^sed .* > traces\.jsonl/, (o) => {
    const traces = readFileSync(join(o.dir, "traces.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(traces.length).toBeGreaterThan(0);
    for (const t of traces) expect(Math.abs(t.time - Date.now() / 1000)).toBeLessThan(3600);
  }],
  [/trace append/, (o) => expect(o.stdout).toMatch(/^queued \d+ trace\(s\)\nanchored \d+ trace\(s\) from sequence \d+ as batch \S+ \(tx 0x[0-9a-f]{64}\)/)],
  [/trace receipt/, (o) => {
    expect(o.stdout).toMatch(/^receipt written to receipt\.json$/);
    expect(JSON.parse(readFileSync(join(o.dir, "receipt.json"), "utf8"))).toMatchObject({ record: expect.any(Object), proof: expect.any(Array) });
  }],
  // The example's subject consented to hospital 1's decision support in the demo: the index's check at the trace's time passes too.
  [/-X POST \S+\/verify /, (o) => expect(json(o)).toMatchObject({ results: [{ valid: true, reasons: [] }] })],
  [/trace quarantined/, (o) => expect(o.stdout).toMatch(/^(no quarantined traces|0x[0-9a-f]{64} +[A-Z_]+)/)],
  [/consent sign-grant/, (o) => expect(o.stdout).toMatch(/^signed grant written to grant\.json; /)],
  [/consent relay/, (o) => expect(o.stdout).toMatch(/^relayed grant for 0x[0-9a-fA-F]{40} \(tx 0x[0-9a-f]{64}\)$/)],
  [/consent list/, (o) => expect(o.stdout).toMatch(/^block \d+ at \d{4}-\d{2}-\d{2}T[\d:.]+Z +GRANTED +RESEARCH +organisation 2 until \d{4}-/m)],
  [/medprov index /, (o) => expect(o.stdout).toMatch(/^indexed to block \d+ \(head \d+, lag \d+\), \d+ events\nstate digest 0x[0-9a-f]{64}$/)],
  [/^echo .* > bad-card\.json$/, (o) => expect(o.stdout).toBe("")],
  [/model version bad-card\.json/, (o) => {
    expect(o.stderr).toMatch(/^medprov: bad-card\.json has \d+ problems \(format: schemas\/model-card\.json\) \[CARD_[A-Z_]+\]$/m);
    expect(o.stderr).toMatch(/^ {2}\/evaluation\/auc: must be .*got 0\.92$/m);
    expect(o.stderr).toMatch(/^ {2}\/trainingDatasets: field "trainingDatasets" is missing$/m);
  }],
  [/\/schemas\/trace-record\.json/, (o) => expect(json(o)).toMatchObject({ title: "medprov trace record", required: expect.arrayContaining(["traceId"]) })],
  [/^TOKEN=\$\(npx medprov --as auditor login /, (o) => expect(o.stdout).toBe("")],
  [/Bearer \$TOKEN" \S+\/reports\/fairness-alerts$/, (o) => expect(Array.isArray(json(o))).toBe(true)],
  [/login .*--out hospital-1\.token/, (o) => {
    expect(o.stdout).toMatch(/^signed in to http:\/\/127\.0\.0\.1:\d+ as 0x[0-9a-fA-F]{40} until \d{4}-\d\d-\d\dT[\d:.]+Z; bearer token written to hospital-1\.token$/);
    expect(readFileSync(join(o.dir, "hospital-1.token"), "utf8")).toMatch(/^[A-Za-z0-9_-]{20,}\n$/);
  }],
  [/-w "%\{http_code\}\\n"/, (o) => expect(o.stdout.trim()).toBe("403")],
  [/\/batches$/, (o) => expect(JSON.stringify(json(o))).toMatch(/"batchId":"0x[0-9a-f]{64}"/)],
];

/** The rule for a command, matched on its code (the trailing comment dropped). */
const shapeOf = (text: string) => SHAPES.find(([pattern]) => pattern.test(text.replace(/\s+#\s.*$/, "")))?.[1];

let dir: string;
let api: string;
let chain: string;
let start: ChildProcess | undefined;
let output = "";
let npxHelp: Promise<{ stdout: string }>;
/** When the web app's build was written before npx ran (npm 11's npx installs the checkout into its cache, running `prepare`). */
let webBuiltAt: number;
const webBuildTime = () => statSync(join(ROOT, "dist", "web", "index.html")).mtimeMs;
let env: NodeJS.ProcessEnv;

/** A temporary copy of the repository to run the documentation in, and a PATH whose `npx medprov` is the CLI (prebuilt). */
function prepareCopy(): NodeJS.ProcessEnv {
  dir = mkdtempSync(join(tmpdir(), "medprov-readme-"));
  for (const entry of LINKED) symlinkSync(join(ROOT, entry), join(dir, entry));
  for (const entry of COPIED) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  mkdirSync(join(dir, "deployments"));
  const bin = join(dir, ".test-bin");
  mkdirSync(bin);
  const realNpx = join(process.execPath, "..", "npx");
  writeFileSync(join(bin, "npx"), `#!/bin/sh\nif [ "$1" = "medprov" ]; then shift; exec "${process.execPath}" "${CLI_BUNDLE}" "$@"; fi\nexec "${realNpx}" "$@"\n`);
  chmodSync(join(bin, "npx"), 0o755);
  return { ...process.env, PATH: `${bin}:${process.env.PATH}`, MEDPROV_RPC: chain, MEDPROV_API: api, MEDPROV_PRIVATE_KEY: "", MEDPROV_LOG_FORMAT: "" };
}

/** Runs the commands in one bash, each with its own output files; returns each command's outcome. */
async function runAll(commands: DocCommand[]): Promise<Out[]> {
  const outDir = join(dir, ".test-out");
  mkdirSync(outDir);
  const rewrite = (text: string) => text.replaceAll("http://127.0.0.1:8080", api).replaceAll("http://127.0.0.1:8545", chain);
  const script = ["set +e", `cd "${dir}"`, ...commands.map((c, i) => `{ ${rewrite(c.text)}\n} > "${outDir}/${i}.out" 2> "${outDir}/${i}.err"; echo $? > "${outDir}/${i}.rc"`)].join("\n");
  writeFileSync(join(outDir, "script.sh"), script);
  await exec("bash", [join(outDir, "script.sh")], { env, cwd: dir, maxBuffer: 1 << 24, timeout: 600_000 });
  return commands.map((_, i) => {
    const read = (ext: string) => (existsSync(join(outDir, `${i}.${ext}`)) ? readFileSync(join(outDir, `${i}.${ext}`), "utf8") : "");
    return { stdout: read("out").replace(/\n$/, ""), stderr: read("err"), code: Number(read("rc").trim() || NaN), dir };
  });
}

async function waitReady() {
  for (let i = 0; i < 1200; i++) {
    if (start!.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (output.includes("medprov is running.")) {
      const r = await fetch(`${api}/readyz`).catch(() => undefined);
      if (r?.status === 200) return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`npm start not ready:\n${output}`);
}

beforeAll(async () => {
  const [port, chainPort] = [await freePort(), await freePort()];
  api = `http://127.0.0.1:${port}`;
  chain = `http://127.0.0.1:${chainPort}`;
  env = prepareCopy();
  // What `npm start -- --demo-size small --port … --chain-port …` runs, in the copy.
  start = spawn(process.execPath, ["-r", "tsx/cjs", "scripts/start.ts", "--demo-size", "small", "--port", String(port), "--chain-port", String(chainPort)], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  start.stdout!.on("data", (d) => (output += d));
  start.stderr!.on("data", (d) => (output += d));
  // Meanwhile, npm's own resolution of `npx medprov` in the copy (real npx, not the PATH shortcut).
  webBuiltAt = webBuildTime();
  npxHelp = exec("npx", ["medprov", "--help"], { cwd: dir, env: process.env });
  await waitReady();
}, 600_000);

afterAll(async () => {
  if (start && start.exitCode === null) {
    start.kill("SIGINT");
    await new Promise((r) => start!.once("exit", r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the README is executable", () => {
  it("the blocks' rules hold: shown-only blocks hold only install, test and start lines; every command has a shape", () => {
    const { run, shownOnly } = runnableBlocks(ROOT);
    for (const c of shownOnly.flatMap((b) => b.commands)) expect(c.text, `${c.file}:${c.line}`).toMatch(/^npm (install && npm (start|test)|start -- --reset)\b/);
    const commands = run.flatMap((b) => b.commands);
    expect(commands.length).toBeGreaterThan(20);
    expect(run.some((b) => b.file === "docs/access.md")).toBe(true);
    expect(commands.filter((c) => !shapeOf(c.text)).map((c) => `${c.file}:${c.line} ${c.text}`)).toEqual([]);
    // The extractor itself: flags, comment lines, announced exit codes.
    const [b] = shellBlocks("```sh runnable\n# a comment\nfalse   # (exits 1)\n\necho ok\n```\n", "x.md");
    expect(b).toMatchObject({ flags: ["runnable"], commands: [{ line: 3, expectedExit: 1 }, { line: 5, text: "echo ok", expectedExit: 0 }] });
  });

  it("npx medprov resolves to this package's CLI, and does not rebuild the checkout on the way", async () => {
    expect((await npxHelp).stdout).toMatch(/^Usage: medprov \[options\] \[command\]/);
    // A rebuild empties dist/web first: a running npm start answered 404 at / meanwhile (scripts/prepare.cjs).
    expect(webBuildTime(), "dist/web/index.html rewritten by npx medprov").toBe(webBuiltAt);
  });

  it("every command of README.md and of docs/*.md's runnable blocks runs against npm start's demo, with its exit code and output shape", async () => {
    expect(output).toContain(`demo identities (demo only) in .medprov/identities.json`);
    const { run } = runnableBlocks(ROOT);
    const commands = run.flatMap((b) => b.commands);
    const outs = await runAll(commands);
    const failures: string[] = [];
    commands.forEach((c, i) => {
      const o = outs[i];
      const where = `${c.file}:${c.line}  ${c.text}\n--- exit ${o.code}\n--- stdout\n${o.stdout.slice(0, 1500)}\n--- stderr\n${o.stderr.slice(0, 1500)}`;
      if (o.code !== c.expectedExit) return failures.push(`exit ${o.code}, expected ${c.expectedExit}: ${where}`);
      try {
        shapeOf(c.text)!(o);
      } catch (e) {
        failures.push(`output shape: ${(e as Error).message.split("\n")[0]}: ${where}`);
      }
    });
    expect(failures).toEqual([]);
  }, 600_000);
});
