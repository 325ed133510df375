/**
 * What a shell must export for the CLI to find a consortium `npm start` ran with other places than
 * the README's: the CLI's defaults (src/cli/main.ts) are the README's ports, manifest and identities.
 */
import { resolve } from "node:path";

export const CLI_DEFAULTS = {
  MEDPROV_RPC: "http://127.0.0.1:8545",
  MEDPROV_API: "http://127.0.0.1:8080",
  MEDPROV_DEPLOYMENT: "deployments/localhost.json",
  MEDPROV_IDENTITIES: ".medprov/identities.json",
} as const;

export type CliEnv = { [K in keyof typeof CLI_DEFAULTS]?: string };

/** URLs compare as text; files by where they resolve (./x and x are one file). */
const same = (k: keyof typeof CLI_DEFAULTS, value: string) => (k === "MEDPROV_RPC" || k === "MEDPROV_API" ? value === CLI_DEFAULTS[k] : resolve(value) === resolve(CLI_DEFAULTS[k]));

/** The banner's lines: "Not the README's defaults: export …" naming every value that differs, then a blank; none when all are the defaults. */
export function cliExportsLine(used: CliEnv): string[] {
  const differ = (Object.keys(CLI_DEFAULTS) as (keyof typeof CLI_DEFAULTS)[]).filter((k) => used[k] !== undefined && !same(k, used[k]!));
  if (differ.length === 0) return [];
  return [`Not the README's defaults: export ${differ.map((k) => `${k}=${used[k]}`).join(" ")}   (so the CLI, the walkthrough and the README's commands find this consortium)`, ""];
}
