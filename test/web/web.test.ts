/**
 * The web app in a real browser (Debian's chromium, headless, through playwright-core) against
 * `npm start --demo-size small`: a patient switches a MODEL_TRAINING consent off and on (pending
 * until indexed; the chain agrees), an auditor drops a good and a tampered receipt (VALID and the
 * named reason; the CSV says the same), the hospital and regulator pages show the API's figures,
 * and every page at 1280 and 390 px wide has no console error, no failed request and no serious or
 * critical axe-core violation. Screenshots go to test/artifacts/web (not committed).
 * MEDPROV_WEB_DATA=<dir> with MEDPROV_WEB_API and MEDPROV_WEB_RPC reuses a running demo instead.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { chromium, type Browser, type Page } from "playwright-core";
import { freePort } from "../helpers/node";
import { ConsentRegistry__factory } from "../../typechain-types";
import { Purpose } from "../../src/constants";
import { TraceBatcher, connectLedger, readDeployment, receiptFor } from "../../src/sdk";
import { traceInput } from "../helpers/traces";
import { START_BUNDLE } from "../helpers/bundles";
import type { DemoIdentity } from "../../src/demo/identity";
import { SESSION_ENDED_WORDS } from "../../src/web/app/api";
import { words } from "../../src/web/app/format";
import { splitWhy, type PackProposal } from "../../src/web/app/incident-words";

const ROOT = join(__dirname, "..", "..");
const SHOTS = join(ROOT, "test", "artifacts", "web");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const WIDTHS = [1280, 390] as const;

let child: ChildProcess | undefined;
let output = "";
let api = process.env.MEDPROV_WEB_API ?? "";
let rpc = process.env.MEDPROV_WEB_RPC ?? "";
let data = process.env.MEDPROV_WEB_DATA ?? "";
let browser: Browser;

async function startDemo(): Promise<void> {
  data = mkdtempSync(join(tmpdir(), "medprov-web-"));
  const [chainPort, port] = [await freePort(), await freePort()];
  api = `http://127.0.0.1:${port}`;
  rpc = `http://127.0.0.1:${chainPort}`;
  child = spawn(process.execPath, [START_BUNDLE, "--data", data, "--demo-size", "small", "--deployment", join(data, "deployment.json"), "--chain-port", String(chainPort), "--port", String(port)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  for (let i = 0; i < 900 && !output.includes("medprov is running."); i++) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!output.includes("medprov is running.")) throw new Error(`npm start is not running:\n${output}`);
}

/** A page that records console errors and failed requests (a refused API call counts: none is expected). */
async function open(width: number): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && problems.push(`console: ${m.text()}`)));
  page.on("pageerror", (e) => void problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => void problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => void (r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`)));
  page.on("request", (r) => void (!r.url().startsWith(api) && !r.url().startsWith("data:") && problems.push(`request to another host: ${r.url()}`)));
  return { page, problems };
}

/** Whether the demo this file started still runs, and what it last printed: a 404 at `/` from a port another process took once the demo died reads otherwise like a missing web build. */
const demoState = () => (child ? `${child.exitCode === null ? "running" : `exited with ${child.exitCode}`}; last output: ${output.slice(-800)}` : `external at ${api}`);

async function signIn(page: Page, who: string): Promise<void> {
  await page.goto(`${api}/`);
  if (who.startsWith("patient-")) {
    // Any demo patient: the field takes a number, a name, an MRN or an address.
    await page.getByLabel("Patient", { exact: true }).fill(who);
    await page.getByRole("button", { name: "Sign in as this patient" }).click();
  } else await page.getByRole("button", { name: new RegExp(`· ${who}$`) }).click();
  await page.getByTestId("demo-badge").waitFor();
}

/** axe-core's serious and critical violations on the page as it is now. */
async function axe(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const violations = await page.evaluate(async () => (await (window as unknown as { axe: { run: () => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run()).violations);
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
}

const identity = (name: string) => JSON.parse(readFileSync(join(data, "identities.json"), "utf8")).identities.find((i: { name: string }) => i.name === name) as DemoIdentity;
const demoFacts = () => JSON.parse(readFileSync(join(data, "demo.json"), "utf8")) as { receipts: string[]; revokedSubject: string; recalledVersion: string; versions: Record<string, string> };

/** The cohort manifests the demo's hospitals wrote: each hospital's name and the subjects it disclosed. */
function manifests(): { hospital: string; subjects: string[] }[] {
  const out: { hospital: string; subjects: string[] }[] = [];
  for (const dir of readdirSync(data).filter((d) => /^hospital-\d+$/.test(d))) {
    const hospital = identity(dir).organisation!.name;
    for (const f of readdirSync(join(data, dir)).filter((x) => x.endsWith(".cohort.json"))) out.push({ hospital, subjects: (JSON.parse(readFileSync(join(data, dir, f), "utf8")) as { subjects: string[] }).subjects.map((x) => x.toLowerCase()) });
  }
  return out;
}

/** A demo patient (not patient-0, whose consents a test switches) whose pseudonyms at two or more hospitals are each in a disclosed dataset. */
function multiPseudonymPatient(): DemoIdentity & { datasets: { hospital: string }[] } {
  const all = manifests();
  const patients = (JSON.parse(readFileSync(join(data, "identities.json"), "utf8")).identities as DemoIdentity[]).filter((i) => i.role === "PATIENT" && i.name !== "patient-0");
  const withDatasets = patients.map((p) => ({ ...p, datasets: all.filter((m) => (p.pseudonyms ?? []).some((x) => m.subjects.includes(x.address.toLowerCase()))) }));
  const found = withDatasets.find((p) => new Set(p.datasets.map((d) => d.hospital)).size >= 2);
  expect(found, "the demo has a patient in datasets at two hospitals").toBeDefined();
  return found!;
}

/**
 * Hospital 3 records `n` decisions with notes-structuring 1.2 at times spread from its last
 * anchored batch to the chain's now, anchors them through its demo vault, and writes one receipt
 * file each: receipts of one version across time.
 */
async function receiptsAcrossTime(n: number): Promise<string[]> {
  const deployment = readDeployment(join(data, "deployment.json"));
  const provider = new JsonRpcProvider(rpc, 31337, { staticNetwork: true });
  const ledger = connectLedger(deployment, provider);
  const version = demoFacts().versions["notes-structuring@1.2"];
  const from = Number(await ledger.traces.lastToTime(3));
  const head = (await provider.getBlock("latest"))!.timestamp;
  expect(head - from, "seconds since hospital 3's last batch").toBeGreaterThanOrEqual(n);
  const inputs = Array.from({ length: n }, (_, k) => traceInput(version, { time: from + Math.floor(((head - from) * k) / (n - 1)), action: k % 2 ? "MODIFIED" : "ACCEPTED" }));
  const batcher = await TraceBatcher.open({ vaultPath: join(data, "hospital-3", "trace-vault"), ledger, signer: new Wallet(identity("hospital-3").privateKey, provider) });
  const dir = mkdtempSync(join(tmpdir(), "medprov-web-over-time-"));
  const files: string[] = [];
  try {
    await batcher.append(...inputs);
    await batcher.flush();
    const ids = new Set(inputs.map((i) => i.traceId));
    for await (const x of batcher.storage.anchored()) {
      if (!ids.has(x.record.traceId)) continue;
      const file = join(dir, `trace-${files.length}.json`);
      writeFileSync(file, JSON.stringify(receiptFor(x, deployment)));
      files.push(file);
    }
  } finally {
    await batcher.close();
    provider.destroy();
  }
  expect(files).toHaveLength(n);
  return files;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

describe("web app", () => {
  beforeAll(async () => {
    expect(existsSync(join(ROOT, "dist", "web", "index.html")), "the web app is built (npm run build:web; npm install runs it)").toBe(true);
    mkdirSync(SHOTS, { recursive: true });
    [browser] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args: ARGS }), api ? undefined : startDemo()]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      child.kill("SIGINT");
      await new Promise((r) => child!.once("exit", r));
    }
  });

  it("a patient switches a MODEL_TRAINING consent off, sees it pending then recorded, the chain agrees, and switches it back on", async () => {
    const { page, problems } = await open(1280);
    await signIn(page, "patient-0");
    const me = (await page.locator(".who").textContent())!;
    const address = JSON.parse(readFileSync(join(data, "identities.json"), "utf8")).identities.find((i: { name: string }) => i.name === "patient-0").address as string;
    expect(me).toContain("Patient");
    // Several pseudonyms label each grid's switches with their hospital; one needs no label.
    const pseudonyms = identity("patient-0").pseudonyms ?? [];
    const cell = page.getByRole("switch", { name: `Model training by Any member${pseudonyms.length > 1 ? ` at ${pseudonyms[0].hospital.name}` : ""}`, exact: true });
    const consents = ConsentRegistry__factory.connect(JSON.parse(readFileSync(join(data, "deployment.json"), "utf8")).addresses.consents, new JsonRpcProvider(rpc, 31337, { staticNetwork: true }));
    const onChain = () => consents.isConsentValid(address, Purpose.MODEL_TRAINING, 0);

    /** Clicks the switch; resolves once it is settled on `on` (not busy), saying whether it showed pending on the way. */
    const switchTo = async (on: boolean): Promise<boolean> => {
      // A MutationObserver set before the click records a pending cell however briefly it shows.
      await page.evaluate(() => {
        const w = window as unknown as { sawPending: boolean };
        w.sawPending = false;
        new MutationObserver(() => void (document.querySelector(".cell.pending") && (w.sawPending = true))).observe(document.body, { subtree: true, childList: true, attributes: true });
      });
      await cell.click();
      await expect.poll(async () => `${await cell.getAttribute("aria-checked")} ${await cell.getAttribute("aria-busy")} ${await page.locator(".error").count()}`, { timeout: 60_000 }).toBe(`${on} null 0`);
      return page.evaluate(() => (window as unknown as { sawPending: boolean }).sawPending);
    };

    // Whatever the demo left, first make it on (so the test switches it off, then on again).
    if ((await cell.getAttribute("aria-checked")) === "false") await switchTo(true);
    expect(await onChain()).toBe(true);
    const historyRows = await page.locator("#history-table tbody tr").count();
    await page.locator("[data-testid=revocation-impact], section[aria-labelledby=impact-h] .empty").first().waitFor({ timeout: 30_000 });
    const revocationsBefore = await page.locator("[data-testid=revocation-impact] h3", { hasText: "You revoked model training by any member" }).count();

    expect(await switchTo(false)).toBe(true);
    await expect.poll(() => page.locator("#history-table tbody tr").count(), { timeout: 10_000 }).toBe(historyRows + 1);
    expect(await page.locator("#history-table tbody tr").first().textContent()).toContain("Revoked");
    expect(await onChain()).toBe(false);
    // The new revocation joins "where your data went" without a reload.
    await expect.poll(() => page.locator("[data-testid=revocation-impact] h3", { hasText: "You revoked model training by any member" }).count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(revocationsBefore + 1);
    await shot(page, "patient-revoked-1280");

    expect(await switchTo(true)).toBe(true);
    await expect.poll(() => page.locator("#history-table tbody tr").count(), { timeout: 10_000 }).toBe(historyRows + 2);
    expect(await page.locator("#history-table tbody tr").first().textContent()).toContain("Granted");
    expect(await onChain()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);

  it("an auditor drops a good and a tampered receipt: VALID and the named reason, and the CSV says the same", async () => {
    const { page, problems } = await open(390);
    // The members' names are held back until the verdicts are shown: the hospital column says so, never a raw id as a name.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    await page.route("**/members", async (route) => (await released, route.continue()));
    await signIn(page, "auditor");
    await page.evaluate(() => {
      const w = window as unknown as { sawRawId: string };
      w.sawRawId = "";
      new MutationObserver(() => {
        const t = document.querySelector("#verdicts")?.textContent ?? "";
        if (/organisation \d/.test(t)) w.sawRawId = t;
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const demo = JSON.parse(readFileSync(join(data, "demo.json"), "utf8"));
    const good = JSON.parse(readFileSync(demo.receipts[0], "utf8"));
    const h: string = good.record.outputHash;
    const tampered = { ...good, record: { ...good.record, outputHash: h.slice(0, -1) + (h.endsWith("0") ? "1" : "0") } };
    const dir = mkdtempSync(join(tmpdir(), "medprov-web-receipts-"));
    writeFileSync(join(dir, "good.json"), JSON.stringify(good));
    writeFileSync(join(dir, "tampered.json"), JSON.stringify(tampered));
    await page.getByTestId("receipt-files").setInputFiles([join(dir, "good.json"), join(dir, "tampered.json")]);
    const rows = page.locator("#verdicts tbody tr");
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    expect(await rows.nth(0).textContent()).toContain("VALID");
    expect(await rows.nth(1).textContent()).toContain("LEAF_MISMATCH");
    const hospitals = page.locator("#verdicts tbody td[data-label=Hospital]");
    expect(await hospitals.allTextContents()).toEqual(["name loading…", "name loading…"]);
    await shot(page, "auditor-names-loading-390");
    release();
    const name = ((await (await fetch(`${api}/members`)).json()) as { orgId: number; name: string }[]).find((m) => m.orgId === Number(good.record.hospital))!.name;
    await expect.poll(() => hospitals.allTextContents(), { timeout: 30_000 }).toEqual([name, name]);
    expect(await page.evaluate(() => (window as unknown as { sawRawId: string }).sawRawId)).toBe("");
    await page.unroute("**/members");
    await page.setViewportSize({ width: 1280, height: 900 });
    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Download CSV" }).click();
    const csv = readFileSync((await (await download).path())!, "utf8").trim().split("\n");
    expect(csv[0]).toBe("file,traceId,verdict,reasons,messages");
    expect(csv[1]).toMatch(new RegExp(`^"good.json","${good.record.traceId}",VALID,""`));
    expect(csv[2]).toMatch(/^"tampered.json",".*",INVALID,".*LEAF_MISMATCH.*"/);
    // The figures of the valid receipt, per version, as POST /reports/traces gives them.
    await page.getByText("Over all genuine receipts").waitFor({ timeout: 30_000 });
    // Each version by its model's name beside the hash, not the hash alone.
    expect(await page.getByRole("region", { name: "Over all genuine receipts" }).locator("tbody td").first().textContent()).toMatch(/^[a-z][a-z-]+ 0x[0-9a-f]{4}…[0-9a-f]{4}$/);
    await shot(page, "auditor-verified-1280");
    await page.getByRole("combobox", { name: "Model version" }).selectOption(demo.recalledVersion);
    await page.locator(".timeline li").first().waitFor({ timeout: 30_000 });
    expect(await page.locator(".timeline").textContent()).toContain("Recalled");
    // Revocation impact by what the sign-in picker takes: the revoking patient's MRN, at every hospital.
    const revoker = (JSON.parse(readFileSync(join(data, "identities.json"), "utf8")).identities as DemoIdentity[]).find((i) => i.address.toLowerCase() === demo.revokedSubject.toLowerCase())!;
    const subject = page.getByLabel("Patient (subject)", { exact: true });
    await subject.fill("patient-99999");
    await page.getByRole("button", { name: "Show", exact: true }).click();
    expect(await page.getByTestId("subject-unknown").textContent()).toBe("No demo patient is “patient-99999”, and it is not an address (0x and 40 hex digits).");
    await subject.fill(revoker.mrn!);
    await page.getByRole("button", { name: "Show", exact: true }).click();
    expect(await page.getByTestId("subject-resolved").textContent()).toContain(`Showing ${revoker.name} (${revoker.mrn}) at every hospital: ${revoker.address.slice(0, 6)}…${revoker.address.slice(-4)} at `);
    const impact = page.locator("section[aria-labelledby=revocation-h]").getByTestId("revocation-impact");
    await impact.waitFor({ timeout: 30_000 });
    expect(await impact.textContent()).toMatch(/The subject revoked model training by any member on \d+ \w+ \d{4}, \d\d:\d\d:\d\d UTC \(their record at [^)]+\(demo\)\)\./);
    await page.locator("section[aria-labelledby=revocation-h]").screenshot({ path: join(SHOTS, "auditor-revocation-1280.png") });
    await page.setViewportSize({ width: 390, height: 900 });
    await shot(page, "auditor-verified-390");
    await page.locator("section[aria-labelledby=revocation-h]").screenshot({ path: join(SHOTS, "auditor-revocation-390.png") });
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it("the hospital and regulator pages show the API's figures for the demo", async () => {
    const { page, problems } = await open(1280);
    await signIn(page, "hospital-1");
    // The page's own session, to ask the API the same questions.
    const session = await page.evaluate(() => JSON.parse(sessionStorage.getItem("medprov.session")!).session as string);
    const { batches } = (await (await fetch(`${api}/batches?limit=1000`, { headers: { authorization: `Bearer ${session}` } })).json()) as { batches: { firstSeq: string; count: number }[] };
    await page.getByTestId("next-seq").waitFor({ timeout: 30_000 });
    expect(Number((await page.getByTestId("next-seq").textContent())!.replace(/,/g, ""))).toBe(Math.max(...batches.map((b) => Number(b.firstSeq) + b.count)));
    // The server forgets the session, as a restarted npm start does: from here the API answers 401 to
    // it. The page says so in words and returns to sign-in, instead of going on as if signed in.
    await page.route(`${api}/**`, (route) => {
      const headers = route.request().headers();
      if (headers.authorization) headers.authorization = "Bearer forgotten-by-a-restart";
      return route.continue({ headers });
    });
    await page.evaluate(() => (location.hash = "#/verify"));
    const ended = page.getByTestId("session-ended");
    await ended.waitFor({ timeout: 30_000 });
    expect(await ended.textContent()).toBe(SESSION_ENDED_WORDS);
    expect(await page.getByTestId("demo-badge").count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem("medprov.session"))).toBeNull();
    await page.getByRole("button", { name: /· hospital-1$/ }).waitFor({ timeout: 30_000 });
    await shot(page, "session-ended-1280");
    await page.setViewportSize({ width: 390, height: 900 });
    await shot(page, "session-ended-390");
    // The only refusals were the API's 401s to the forgotten session (and the browser's console line for each).
    const refused = (p: string) => p.startsWith("HTTP 401: ") || p === "console: Failed to load resource: the server responded with a status of 401 (Unauthorized)";
    expect(problems.some((p) => p.startsWith("HTTP 401: "))).toBe(true);
    const hospitalProblems = problems.filter((p) => !refused(p));
    await page.close();

    const regulator = await open(1280);
    await signIn(regulator.page, "regulator");
    const { versions } = (await (await fetch(`${api}/versions?status=SUBMITTED&limit=1000`)).json()) as { versions: { versionId: string }[] };
    await regulator.page.getByText("Submitted versions and their evaluation").waitFor({ timeout: 30_000 });
    expect(await regulator.page.locator("table:has(caption:text('Submitted versions')) tbody tr").count()).toBe(versions.length);
    await regulator.page.getByText("Alerts from post-market reports").waitFor({ timeout: 30_000 });
    expect([...hospitalProblems, ...regulator.problems]).toEqual([]);
    await regulator.page.close();
  }, 120_000);

  it("the appraiser lands on the incidents: status, medprov's proposal and the board's determination by name, and each evidence pack downloads as the API's JSON", async () => {
    const { page, problems } = await open(1280);
    await signIn(page, "appraiser");
    const table = page.locator("#incident-list");
    await table.waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => document.querySelectorAll(".loading").length === 0, undefined, { timeout: 60_000 });
    const session = await page.evaluate(() => JSON.parse(sessionStorage.getItem("medprov.session")!).session as string);
    const { incidents } = (await (await fetch(`${api}/incidents`, { headers: { authorization: `Bearer ${session}` } })).json()) as { incidents: { incidentId: number }[] };
    expect(await table.locator("tbody tr").count()).toBe(incidents.length);
    // The demo's first incident: a wrong low-confidence suggestion adopted, ruled 30/10/60 by the board.
    const first = table.locator("tbody tr").first();
    expect(await first.locator("td[data-label='Status']").textContent()).toBe("Determined");
    const proposal = first.locator("td[data-label='Proposed split and duties']");
    expect(await proposal.getByTestId("proposal-split").textContent()).toMatch(/^Proposal Developer \d+% · hospital \d+% · clinician \d+% \(Adopted wrong\)$/);
    expect(await first.locator("td[data-label='Determination']").textContent()).toMatch(/^Developer 30% · hospital 10% · clinician 60%, by Medical Appraisal Board \(demo\) \(organisation 8\), /);
    const download = page.waitForEvent("download");
    await first.getByRole("link", { name: `Download JSON of incident ${incidents[0].incidentId}'s evidence pack` }).click();
    const pack = JSON.parse(readFileSync((await (await download).path())!, "utf8"));
    expect(pack).toMatchObject({ format: "medprov-evidence-pack/1", incident: { id: incidents[0].incidentId }, liabilityCase: "ADOPTED_WRONG", determination: { appraiserName: "Medical Appraisal Board (demo)" } });
    // Beside the split, each party's share and duties as the pack states them, and why the split is what it is.
    const duties = await proposal.locator("[data-testid=duties] li").allTextContents();
    for (const [i, party] of (["DEVELOPER", "HOSPITAL", "CLINICIAN"] as const).entries()) {
      expect(duties[i]).toMatch(new RegExp(`^${words(party)} \\d+%: `));
      for (const [duty, d] of Object.entries(pack.parties[party].duties as Record<string, { met: boolean }>)) expect(duties[i]).toContain(`${words(duty)} ${d.met ? "met" : "NOT met"}`);
    }
    expect(await proposal.getByTestId("split-why").textContent()).toBe(splitWhy(pack.liabilityCase, pack.proposal as PackProposal));
    await shot(page, "appraiser-incidents-1280");
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it("a patient whose data is in a dataset sees, in words, the dataset, the version trained on it and when against their revocation", async () => {
    const { page, problems } = await open(1280);
    const demo = demoFacts();
    const who = JSON.parse(readFileSync(join(data, "identities.json"), "utf8")).identities.find((i: { address: string }) => i.address.toLowerCase() === demo.revokedSubject.toLowerCase()) as { name: string; mrn: string };
    await page.goto(`${api}/`);
    // Picked by MRN this time: the field finds any demo patient and says whom it found.
    await page.getByLabel("Patient", { exact: true }).fill(who.mrn);
    expect(await page.getByTestId("patient-match").textContent()).toContain(who.name);
    await page.getByRole("button", { name: "Sign in as this patient" }).click();
    const impact = page.getByTestId("revocation-impact");
    await impact.waitFor({ timeout: 30_000 });
    const text = (await impact.textContent())!;
    expect(text).toContain("You revoked model training by any member");
    expect(text).toMatch(/Dataset s3:\/\/hospital-1\/cxr-train-split\.tar\.age \(held by [^)]+\(demo\)\) includes your data\./);
    // To the second, on both sides of "before your revocation" (the demo's revocation and training share a minute).
    expect(text).toMatch(/You revoked model training by any member on \d+ \w+ \d{4}, \d\d:\d\d:\d\d UTC/);
    expect(text).toMatch(/Model version chest-xray-dx 0x[0-9a-f]{4}…[0-9a-f]{4} was trained on it by Lumen Imaging AI \(demo\) on \d+ \w+ \d{4}, \d\d:\d\d:\d\d UTC, before your revocation\./);
    await shot(page, "patient-impact-1280");
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it("a patient with pseudonyms at several hospitals sees one grid per hospital, one joined history and every dataset that includes any of them, each labelled with its hospital", async () => {
    const who = multiPseudonymPatient();
    const { page, problems } = await open(1280);
    await signIn(page, who.name);
    const joinedText = page.getByTestId("pseudonyms");
    await joinedText.waitFor({ timeout: 30_000 });
    // Each pseudonym the browser derived from the secret is the demo's pseudonym at that hospital.
    for (const p of who.pseudonyms!) expect(await joinedText.textContent()).toContain(`${p.hospital.name} knows you as ${p.address.slice(0, 6)}…${p.address.slice(-4)}`);
    const grids = page.locator("section[aria-labelledby=consents-h] .alias h3");
    await expect.poll(() => grids.allTextContents(), { timeout: 30_000 }).toEqual([...who.pseudonyms!].sort((a, b) => a.hospital.id - b.hospital.id).map((p) => `At ${p.hospital.name} as ${p.address.slice(0, 6)}…${p.address.slice(-4)}`));
    const history = page.locator("#history-table tbody td[data-label='Your record at']");
    await history.first().waitFor({ timeout: 30_000 });
    expect(new Set(await history.allTextContents())).toEqual(new Set(who.pseudonyms!.map((p) => p.hospital.name)));
    const datasets = page.getByTestId("my-datasets");
    await datasets.waitFor({ timeout: 30_000 });
    const headings = await datasets.locator("article h3").allTextContents();
    expect(headings.map((x) => x.replace(/^.*, held by /, "")).sort()).toEqual(who.datasets.map((d) => d.hospital).sort());
    expect(await datasets.textContent()).toMatch(/disclosed that this dataset includes your data \(your record at [^)]+\(demo\)\)\. It registered it on .* UTC for /);
    await shot(page, "patient-pseudonyms-1280");
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it("the regulator sees the ledger's policy per risk class, each awaiting version against it, and the refused chest-xray-dx marked with the ledger's reason", async () => {
    const { page, problems } = await open(1280);
    await signIn(page, "regulator");
    const policies = (await (await fetch(`${api}/policies`)).json()) as { riskClassName: string; minAucPercent: number; maxSubgroupAucGapPercent: number; minBiasTestCases: number; minGrassrootsSharePercent: number }[];
    const rows = page.locator("#policies tbody tr");
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(policies.length);
    for (const [i, p] of policies.entries()) {
      const cells = await rows.nth(i).locator("td").allTextContents();
      expect(cells).toEqual([p.riskClassName.charAt(0) + p.riskClassName.slice(1).toLowerCase(), `${p.minAucPercent}%`, `${p.maxSubgroupAucGapPercent}%`, p.minBiasTestCases.toLocaleString("en-GB"), `${p.minGrassrootsSharePercent}%`]);
    }
    const rc = demoFacts().versions["chest-xray-dx@2.0-rc"];
    const row = page.locator("#awaiting-table tbody tr", { hasText: `chest-xray-dx ${rc.slice(0, 6)}…${rc.slice(-4)}` });
    expect(await row.getByTestId("refused").textContent()).toBe("REFUSED AUC 88% is below the minimum of 90% and grassroots share 15% is below the minimum of 20% for high-risk models.");
    expect(await row.textContent()).toContain("88% (min 90%)");
    // The submitted version that meets its class's policy is not marked.
    const beta = demoFacts().versions["notes-structuring@1.1-beta"];
    expect(await page.locator("#awaiting-table tbody tr", { hasText: `notes-structuring ${beta.slice(0, 6)}` }).textContent()).toContain("Meets the policy");
    await shot(page, "regulator-policy-1280");
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it("receipts of one version across several periods draw several points, with UTC time ticks whatever the browser's zone", async () => {
    const files = await receiptsAcrossTime(4);
    // A browser far from UTC: a local-time axis would show other hours than the UTC ones expected.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: "Pacific/Auckland", locale: "en-US" });
    const problems: string[] = [];
    page.on("console", (m) => void (m.type() === "error" && problems.push(`console: ${m.text()}`)));
    page.on("pageerror", (e) => void problems.push(`page error: ${e.message}`));
    await signIn(page, "auditor");
    await page.getByTestId("receipt-files").setInputFiles(files);
    await page.getByText("Over all genuine receipts").waitFor({ timeout: 60_000 });
    await page.locator(".chart [role=img] canvas").first().waitFor({ timeout: 30_000 });
    const version = demoFacts().versions["notes-structuring@1.2"];
    const charts = await page.evaluate(() =>
      [...document.querySelectorAll(".chart [role=img]")].map((el) => {
        const u = (el as HTMLElement & { uplot: { data: (number | null)[][]; series: { label: string }[]; axes: { _values?: string[]; _splits?: number[] }[] } }).uplot;
        return { xs: u.data[0], series: u.series.slice(1).map((s, i) => ({ label: s.label, points: u.data[i + 1].filter((v) => v !== null).length })), ticks: u.axes[0]._values ?? [], splits: u.axes[0]._splits ?? [] };
      }),
    );
    expect(charts).toHaveLength(3);
    for (const c of charts) {
      // Labelled by its model's name beside the hash.
      const mine = c.series.find((s) => s.label.endsWith(` ${version.slice(0, 6)}…${version.slice(-4)}`))!;
      expect(mine.label, JSON.stringify(c.series)).toMatch(/^[a-z][a-z-]+ 0x/);
      expect(mine.points, JSON.stringify(c.series)).toBeGreaterThanOrEqual(3);
      expect(c.ticks.length).toBeGreaterThan(0);
      // Each tick is its split's UTC clock time (hh:mm or hh:mm:ss), never local, never am/pm.
      c.ticks.forEach((t, i) => expect(new Date(c.splits[i] * 1000).toISOString().slice(11, 11 + t.length)).toBe(t));
      for (const t of c.ticks) expect(t).toMatch(/^\d\d:\d\d(:\d\d)?$/);
    }
    await shot(page, "auditor-chart-over-time-1280");
    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);

  it("every page at 1280 and 390 px: no console error, no failed request, no serious or critical axe violation", async () => {
    // Per identity, its pages and a text each shows once loaded.
    const identities: [who: string, pages: [hash: string, ready: string][]][] = [
      ["", [["", "Sign in"]]],
      // A patient with pseudonyms at several hospitals: a grid each, and their history and datasets joined.
      [multiPseudonymPatient().name, [["#/patient", "Every change to your consents"]]],
      ["auditor", [["#/auditor", "Revocation impact"]]],
      ["regulator", [["#/regulator", "Alerts from post-market reports"]]],
      ["hospital-1", [["#/hospital", "Deployed versions and their status now"], ["#/verify", "No receipts checked yet."]]],
      ["appraiser", [["#/incidents", "Incidents on the ledger"]]],
    ];
    const found: string[] = [];
    for (const [who, pages] of identities) {
      // One sign-in per identity; the session outlives a reload, so each width is a reload at that size.
      const { page, problems } = await open(WIDTHS[0]);
      if (who) await signIn(page, who);
      for (const [hash, ready] of pages) {
        for (const width of WIDTHS) {
          await page.setViewportSize({ width, height: 900 });
          // The first width opens the page (a hash change after sign-in); the next reloads it at its size (charts size at render).
          if (width === WIDTHS[0]) await page.goto(`${api}/${hash}`);
          else await page.reload();
          const name = `${who || "signin"}${hash.replace("#/", "-")}-${width}`;
          // A page that never gets ready says why: its console errors, failed requests and what it shows.
          await page.getByText(ready).first().waitFor({ timeout: 60_000 }).catch(async (e: Error) => {
            throw new Error(`${name} not ready (${e.message.split("\n")[0]}); problems: ${JSON.stringify(problems)}; page: ${(await page.locator("main").innerText().catch(() => "")).slice(0, 600)}; demo: ${demoState()}`);
          });
          await page.waitForFunction(() => document.querySelectorAll(".loading").length === 0, undefined, { timeout: 30_000 });
          if (hash === "#/auditor") {
            // The timeline's select and the chosen version read whole at every width (the select was clipped at 390 px).
            await page.getByRole("combobox", { name: "Model version" }).selectOption(demoFacts().recalledVersion);
            await page.locator(".timeline li").first().waitFor({ timeout: 30_000 });
            const fit = await page.locator("#version-pick").evaluate((el) => {
              const select = el as HTMLSelectElement;
              const style = getComputedStyle(select);
              const ctx = document.createElement("canvas").getContext("2d")!;
              ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
              // The text's room: the select's inner width less its padding and the arrow (about 1.5 em).
              const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 1.5 * parseFloat(style.fontSize);
              const widest = [...select.options].map((o) => ({ text: o.text, width: Math.ceil(ctx.measureText(o.text).width) })).sort((a, b) => b.width - a.width)[0];
              return { widest, room: Math.floor(room), right: select.getBoundingClientRect().right };
            });
            // Whichever version is chosen, the select shows its whole name.
            expect(fit.widest.width, `${name}: every option's text fits its select ${JSON.stringify(fit)}`).toBeLessThanOrEqual(fit.room);
            expect(fit.right, name).toBeLessThanOrEqual(width);
            const chosen = await page.getByTestId("version-chosen").evaluate((el) => ({ clipped: el.scrollWidth > el.clientWidth, right: el.getBoundingClientRect().right }));
            expect(chosen.clipped, name).toBe(false);
            expect(chosen.right, name).toBeLessThanOrEqual(width);
          }
          if (hash === "#/patient") {
            // The consent grid's caption is read whole at every width: not clipped inside the scrolling table.
            const boxes = await page.locator(".grid-caption").evaluateAll((els) => els.map((el) => ({ right: el.getBoundingClientRect().right, clipped: el.scrollWidth > el.clientWidth, inScroller: !!el.closest(".table-wrap") })));
            expect(boxes.length, name).toBeGreaterThanOrEqual(1);
            for (const box of boxes) {
              expect(box, name).toEqual({ right: expect.any(Number), clipped: false, inScroller: false });
              expect(box.right, name).toBeLessThanOrEqual(width);
            }
          }
          await shot(page, name);
          for (const v of await axe(page)) found.push(`${name}: ${v}`);
        }
      }
      for (const p of problems) found.push(`${who}: ${p}`);
      await page.close();
    }
    expect(found).toEqual([]);
  }, 240_000);
});
