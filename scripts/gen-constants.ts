/**
 * Writes contracts/generated/MedprovConstants.sol from src/constants/spec.ts.
 * `--check` exits non-zero when the committed file differs (used by CI and a test).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderSolidityConstants } from "../src/constants/render";

const target = join(__dirname, "..", "contracts", "generated", "MedprovConstants.sol");
const wanted = renderSolidityConstants();
if (process.argv.includes("--check")) {
  const have = readFileSync(target, "utf8");
  if (have !== wanted) {
    console.error(`${target} is out of date with src/constants/spec.ts; run npm run gen:constants`);
    process.exit(1);
  }
} else {
  writeFileSync(target, wanted);
  console.log(`wrote ${target}`);
}
