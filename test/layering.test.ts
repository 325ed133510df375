/**
 * The layers stay layers: constants ← core ← sdk / indexer / fhir ← api ← cli, each folder entered by
 * its door (index.ts). Read from the import statements of every source file, so a new import
 * that crosses a line fails here, with the file and the import named.
 */
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = join(__dirname, "..", "src");


/** Which top-level folders of src each folder may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  constants: [],
  core: ["constants"],
  chain: ["constants", "core"],
  sdk: ["constants", "core"],
  indexer: ["constants", "core"],
  fhir: ["constants", "core"],
  formats: ["constants", "core"],
  api: ["constants", "core", "sdk", "indexer", "fhir", "formats"],
  demo: ["constants", "core", "sdk", "chain"],
  cli: ["constants", "core", "sdk", "indexer", "fhir", "formats", "api", "chain", "demo"],
  web: ["constants"],
};
/** The api serves the web app's build through src/web's server door. */
ALLOWED.api.push("web");

/**
 * Pure modules the browser app (src/web/app) may import by path, past their folder's door (whose
 * other modules need Node): one definition of the EIP-712 consent types for the SDK and the browser,
 * one derivation of a patient's pairwise pseudonyms, and a demo identity for the demo's identities
 * file and the sign-in page.
 */
const BROWSER_SAFE = ["sdk/consent-signing", "sdk/pseudonyms", "demo/identity"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Every relative import of a file, resolved to a path under src without extension (or to outside src). */
function importsOf(file: string): { spec: string; target: string }[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^"'`;]*?from\s+["'](\.[^"']+)["']/g), ...text.matchAll(/\b(?:import|require)\(\s*["'](\.[^"']+)["']\s*\)/g)].map((m) => m[1]);
  return specs.map((spec) => ({ spec, target: relative(SRC, resolve(dirname(file), spec)).replace(/\\/g, "/").replace(/\/index$/, "") }));
}

const folderOf = (srcPath: string) => srcPath.split("/")[0];

/** Where the file sits: its top-level folder under src. */
const layerOf = (file: string) => folderOf(relative(SRC, file).replace(/\\/g, "/"));

/** The layer an import reaches: its top-level folder. */
const layerOfTarget = folderOf;

function violations(): string[] {
  const out: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = layerOf(file);
    const rel = relative(SRC, file);
    for (const { spec, target } of importsOf(file)) {
      if (target.startsWith("..")) continue; // outside src (typechain-types, package.json)
      const to = layerOfTarget(target);
      if (to === from) continue;
      if (from === "web" && BROWSER_SAFE.includes(target)) continue;
      if (!(ALLOWED[from] ?? []).includes(to)) out.push(`${rel}: imports ${spec} (${from} may not reach ${to})`);
      // Another folder is entered by its door.
      else if (target !== to) out.push(`${rel}: imports ${spec} (enter ${to} by its door, src/${to}/index.ts)`);
    }
  }
  return out;
}

describe("layering", () => {
  it("no source file imports across a layer line or past another folder's door", () => {
    expect(violations()).toEqual([]);
  });

  it("the check sees a violation: an indexer file reaching the SDK's trace pipeline is named", () => {
    const fake = join(SRC, "indexer", "fake.ts");
    const from = layerOf(fake);
    const target = relative(SRC, resolve(dirname(fake), "../sdk/traces/batcher"));
    expect(from).toBe("indexer");
    expect(ALLOWED[from]).not.toContain(layerOfTarget(target));
    expect(layerOfTarget("core/errors")).toBe("core");
  });
});
