/**
 * Every command of the CLI has an end-to-end test: commander's command tree against the table in
 * test/helpers/cli-coverage.ts. A command added without a row fails here; a row whose test does not
 * run its command fails in that test file's last test (checkOwnedCommands).
 */
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { buildProgram } from "../../src/cli/main";
import { commandOf, leafCommands, uncovered } from "../helpers/cli";
import { E2E, REFUSALS, T } from "../helpers/cli-coverage";

const none = { noTest: [], noCommand: [], noRefusal: [], noGroup: [] };

describe("every CLI command has an end-to-end test", () => {
  it("the table names a test for each command in commander's tree, a refusal for each group, and nothing the CLI lacks", () => {
    expect(leafCommands().length).toBeGreaterThanOrEqual(32);
    expect(uncovered(buildProgram())).toEqual(none);
  });

  it("--version answers the package's release (a new user found no way to ask)", () => {
    expect(buildProgram().version()).toBe(JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")).version);
  });

  it("a command added without a test fails the check", () => {
    const program = buildProgram();
    program.commands.find((c) => c.name() === "consent")!.command("export").action(() => undefined);
    program.command("audit").action(() => undefined);
    expect(uncovered(program)).toEqual({ ...none, noTest: ["consent export", "audit"], noRefusal: ["audit"] });
  });

  it("each file the table names checks its own rows, and each test it names is in that file", () => {
    const titles = new Map(Object.entries(T).map(([key, title]) => [title as string, key]));
    for (const { file, test } of [...Object.values(E2E), ...Object.values(REFUSALS)]) {
      const text = readFileSync(join(__dirname, file), "utf8");
      expect(text, file).toContain(`checkOwnedCommands(h, "${file}")`);
      expect(text, `${file}: ${test}`).toContain(`it(T.${titles.get(test)},`);
    }
  });

  it("every command and group says what it does in --help (a description)", () => {
    const walk = (c: Command, path: string[]): string[] => [...(c.description() ? [] : [path.join(" ")]), ...c.commands.flatMap((s) => walk(s, [...path, s.name()]))];
    expect(buildProgram().commands.flatMap((c) => walk(c, [c.name()]))).toEqual([]);
  });

  it("commandOf reads the command an argument list runs, past the global options", () => {
    expect(commandOf(["--json", "--keystore", "k.json", "consent", "sign-grant", "--purpose", "RESEARCH"])).toBe("consent sign-grant");
    expect(commandOf(["--rpc", "http://x", "index", "--once"])).toBe("index");
    expect(commandOf(["member", "revoke-key", "0x00"])).toBe("member revoke-key");
    expect(commandOf(["--help"])).toBeUndefined();
    expect(commandOf(["consent", "--help"])).toBeUndefined();
  });
});
