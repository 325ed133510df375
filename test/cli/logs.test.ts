/**
 * Logs for people (issue 17): on a terminal, `medprov serve` logs readable lines (pino-pretty), not
 * JSON; piped, log records are JSON on stderr and stdout holds only the command's own lines; with
 * --json, stdout is the machine answer alone. The terminal run is a real pseudo-terminal
 * (test/helpers/pty-run.py presses Ctrl-C as a person does).
 */
import { describe, it, expect } from "vitest";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { cliHarness, BIN } from "../helpers/cli";
import { freePort } from "../helpers/node";
import { logFormatFor } from "../../src/cli/log";

const run = promisify(execFile);
const ROOT = join(__dirname, "..", "..");
const h = cliHarness();
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").replace(/\r/g, "");
const isLogRecord = (line: string) => {
  try {
    const v = JSON.parse(line);
    return typeof v === "object" && v !== null && "level" in v && "msg" in v;
  } catch {
    return false;
  }
};

/** Runs `serve` with pipes until it says it is listening, then SIGTERM; stdout and stderr apart. */
async function servePiped(extra: string[] = []) {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, ...h.base(), ...extra, "serve", "--db", h.f(`logs-${port}`), "--port", String(port)], { env: h.env("none", { MEDPROV_LOG_FORMAT: "" }), cwd: h.c.dir, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const waitFor = async (done: () => boolean) => {
    for (let i = 0; !done(); i++) {
      if (i > 600 || child.exitCode !== null) throw new Error(`serve did not start:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await waitFor(() => /API on|"address"/.test(stdout));
  // One request, so that there is a record to see (none is logged with --json, at warn).
  await fetch(`http://127.0.0.1:${port}/healthz`);
  if (!extra.includes("--json")) await waitFor(() => /request completed/.test(stderr));
  child.kill("SIGTERM");
  return { code: await exited, stdout, stderr };
}

describe("logs for people", () => {
  it("chooses readable lines only for a terminal without --json; MEDPROV_LOG_FORMAT overrides", () => {
    expect(logFormatFor({ isTTY: true })).toBe("pretty");
    expect(logFormatFor({ isTTY: false })).toBe("json");
    expect(logFormatFor({ isTTY: undefined })).toBe("json");
    expect(logFormatFor({ isTTY: true, json: true })).toBe("json");
    expect(logFormatFor({ isTTY: false, override: "pretty" })).toBe("pretty");
    expect(logFormatFor({ isTTY: true, override: "json" })).toBe("json");
  });

  it("on a terminal, serve logs readable lines and no JSON record", async () => {
    const port = await freePort();
    // A person's request while it runs: pty-run presses Ctrl-C once its record is on the terminal.
    let running = true;
    const knock = (async () => {
      while (running) {
        await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const { stdout } = await run("python3", [join(ROOT, "test/helpers/pty-run.py"), "request completed", "120", "--", process.execPath, BIN, ...h.base(), "serve", "--db", h.f("logs-pty"), "--port", String(port)], { cwd: h.c.dir, env: h.env("none", { MEDPROV_LOG_FORMAT: "" }), maxBuffer: 1 << 24 }).finally(() => (running = false));
    await knock;
    const lines = plain(stdout).split("\n");
    expect(lines.some((l) => /INFO.*request completed/.test(l)), stdout).toBe(true);
    expect(lines.filter(isLogRecord)).toEqual([]);
    expect(lines).toContain(`medprov: API on http://127.0.0.1:${port}, indexed to block ${lines.join("\n").match(/indexed to block (\d+)/)![1]}`);
    expect(stdout).toMatch(/EXIT 0\s*$/);
  }, 180_000);

  it("piped, log records are JSON on stderr and stdout holds only the command's lines; --json keeps stdout machine output", async () => {
    const piped = await servePiped();
    expect(piped.code).toBe(0);
    expect(piped.stdout.trim().split("\n").filter(isLogRecord)).toEqual([]);
    expect(piped.stdout).toMatch(/^medprov: API on http:\/\/127\.0\.0\.1:\d+/);
    const records = piped.stderr.trim().split("\n").filter((l) => l.trim());
    expect(records.every(isLogRecord), piped.stderr).toBe(true);
    expect(records.map((l) => JSON.parse(l).msg)).toContain("request completed");

    const json = await servePiped(["--json"]);
    // stdout: the JSON answers only (the address, then {stopped: true}), no log record.
    const objects = json.stdout.trim().split(/\n(?=\{)/).map((t) => JSON.parse(t));
    expect(objects[0]).toMatchObject({ address: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(objects.filter((o) => "level" in o)).toEqual([]);
  }, 180_000);
});
