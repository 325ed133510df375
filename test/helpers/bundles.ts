/**
 * The CLI and `npm start` as prebuilt JavaScript, for the tests that spawn them many times.
 *
 * bin/medprov and `npm start` run the TypeScript through tsx, which costs 2–4 s of transpiling and
 * module resolution per process on the two busy CI cores; the suite spawns a few hundred of them.
 * test/helpers/build-bundles.ts (vitest's globalSetup) bundles the same sources once per run with
 * esbuild (the transpiler tsx uses), so a spawn costs only Node's start-up and module loading. The
 * processes are still real: exit codes, output lines, signals and SIGKILLs are the CLI's own.
 * bin/medprov itself stays under test: readme.test runs the README's `npx medprov` through it.
 */
import { join } from "node:path";

export const BUNDLE_DIR = join(__dirname, "..", "artifacts", "bin");
/** What bin/medprov runs: src/cli/main.ts's `main()`. */
export const CLI_BUNDLE = join(BUNDLE_DIR, "medprov.cjs");
/** What `npm start` runs: scripts/start.ts. */
export const START_BUNDLE = join(BUNDLE_DIR, "start.cjs");
/** The crash tests' worker processes (test/fixtures/<name>.ts), killed many times each. */
export const BATCHER_WORKER_BUNDLE = join(BUNDLE_DIR, "batcher-worker.cjs");
export const OUTBOX_WORKER_BUNDLE = join(BUNDLE_DIR, "outbox-worker.cjs");

/** Each bundle and its entry point (relative to the repository). */
export const BUNDLES: [entry: string, outfile: string][] = [
  ["test/helpers/cli-entry.ts", CLI_BUNDLE],
  ["scripts/start.ts", START_BUNDLE],
  ["test/fixtures/batcher-worker.ts", BATCHER_WORKER_BUNDLE],
  ["test/fixtures/outbox-worker.ts", OUTBOX_WORKER_BUNDLE],
];
