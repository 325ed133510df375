/**
 * `npm run bench:web`: the web app's built assets (total bytes and gzipped bytes) and the time from
 * navigation to the auditor page's first render (its "Verify receipts" section drawn, signed in as
 * the demo auditor) against `npm start --demo-size small` on free ports, in headless Chromium.
 * Writes bench-web.md to the report folder (bench/report-dir.ts).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { reportDir } from "./report-dir";
import { freePort } from "../test/helpers/node";

const ROOT = join(__dirname, "..");
const ASSETS = join(ROOT, "dist", "web", "assets");
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const RUNS = 5;

function assetSizes(): { files: number; bytes: number; gzipped: number } {
  const files = readdirSync(ASSETS).map((f) => readFileSync(join(ASSETS, f)));
  const index = readFileSync(join(ROOT, "dist", "web", "index.html"));
  const all = [...files, index];
  return { files: all.length, bytes: all.reduce((n, b) => n + b.length, 0), gzipped: all.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0) };
}

async function main() {
  const size = assetSizes();
  const data = mkdtempSync(join(tmpdir(), "medprov-bench-web-"));
  const [chainPort, port] = [await freePort(), await freePort()];
  const api = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["-r", "tsx/cjs", join(ROOT, "scripts/start.ts"), "--data", data, "--demo-size", "small", "--deployment", join(data, "deployment.json"), "--chain-port", String(chainPort), "--port", String(port)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ARGS });
  try {
    console.log("bench:web: starting the small demo");
    while (!output.includes("medprov is running.")) {
      if (child.exitCode !== null) throw new Error(`npm start exited:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${api}/`);
    await page.getByRole("button", { name: /· auditor$/ }).click();
    await page.getByText("Verify receipts").first().waitFor();
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // A reload with the session kept: navigation start to the auditor page's first section drawn.
      await page.reload();
      await page.getByRole("heading", { name: "Verify receipts" }).waitFor();
      times.push(await page.evaluate(() => performance.now()));
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const report = [
      "# Web app",
      "",
      `Built assets (dist/web): ${size.files} files, ${(size.bytes / 1024).toFixed(1)} KiB, **${(size.gzipped / 1024).toFixed(1)} KiB gzipped** (level 9).`,
      "",
      `Auditor page, navigation start to its first section drawn (headless Chromium, 1280 px, signed in, small demo, ${RUNS} reloads): median **${median.toFixed(0)} ms** (min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)}).`,
      "",
    ].join("\n");
    writeFileSync(join(reportDir(), "bench-web.md"), report);
    console.log(report);
  } finally {
    await browser.close();
    child.kill("SIGINT");
    await new Promise((r) => child.once("exit", r));
  }
}

main().catch((e) => {
  console.error(`bench:web: ${(e as Error).message}`);
  process.exit(1);
});
