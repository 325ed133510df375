/**
 * Writes the published input formats (src/formats/schemas.ts) to schemas/<name>.json, the folder
 * the API serves at /schemas/<name>.json. `--check` writes nothing and exits 1 when a file differs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { INPUT_SCHEMAS } from "../src/formats/schemas";
import { OUTPUT_SCHEMAS } from "../src/formats/evidence-pack";

/** Input formats and the output formats a third party checks (the evidence pack). */
const ALL = { ...INPUT_SCHEMAS, ...OUTPUT_SCHEMAS };

export const SCHEMAS_DIR = join(__dirname, "..", "schemas");
const check = process.argv.includes("--check");
const stale: string[] = [];
mkdirSync(SCHEMAS_DIR, { recursive: true });
for (const [name, schema] of Object.entries(ALL)) {
  const path = join(SCHEMAS_DIR, `${name}.json`);
  const text = JSON.stringify(schema, null, 2) + "\n";
  if (existsSync(path) && readFileSync(path, "utf8") === text) continue;
  if (check) stale.push(path);
  else writeFileSync(path, text);
}
if (stale.length) {
  console.error(`gen:schemas: out of date (run npm run gen:schemas): ${stale.join(", ")}`);
  process.exit(1);
}
console.log(check ? "gen:schemas: schemas/ is up to date" : `gen:schemas: wrote ${Object.keys(ALL).length} schemas to schemas/`);
