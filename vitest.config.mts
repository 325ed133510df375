import { relative } from "node:path";
import { configDefaults, defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * End-to-end suites: they start processes (the CLI, `medprov start`, the indexer), real chain nodes
 * or HTTP servers, or kill them. Everything else is a unit suite on an in-process Hardhat network.
 * `npm test` runs both projects; `npm run test:unit` / `npm run test:e2e` run one.
 */
const E2E = [
  "test/cli/*.test.ts",
  "test/scripts/*.test.ts",
  "test/*/*-crash.test.ts",
  "test/bench/bench-out.test.ts",
  "test/chain/embedded-chain.test.ts",
  "test/fhir/client.test.ts",
  "test/indexer/process.test.ts",
  "test/indexer/rpc.test.ts",
  "test/formats/input-formats.test.ts",
  "test/docs/accountability.test.ts",
  "test/sdk/outbox.test.ts",
  "test/readme.test.ts",
  "test/sdk/receipt-corpus.test.ts",
  "test/web/web.test.ts",
];

/**
 * The slowest files, slowest first (seconds on 2 cores in a clean-clone CI run, 2026-11-30, after the tests started their processes prebuilt). Vitest's
 * own order runs one project after the other and, with no duration cache (a fresh clone), larger
 * files first: the long poles then start last and leave one core idle at the end. Starting them
 * first lets the short files fill in beside them.
 */
const SLOWEST = [
  "test/scripts/start-crash.test.ts", // 168
  "test/scripts/start-durability.test.ts", // 112
  "test/cli/cli.test.ts", // 110
  "test/web/web.test.ts", // 98
  "test/contracts/gas-growth.test.ts", // 87
  "test/contracts/consent.property.test.ts", // 83
  "test/readme.test.ts", // 81
  "test/indexer/process.test.ts", // 76
  "test/scripts/start.test.ts", // 62
  "test/cli/governance.test.ts", // 51
  "test/sdk/batcher-crash.test.ts", // 49
  "test/cli/incident.test.ts", // 46
  "test/sdk/pseudonyms.test.ts", // 35
  "test/cli/member.test.ts", // 32
  "test/sdk/receipt-corpus.test.ts", // 31
  "test/cli/login.test.ts", // 30
  "test/cli/network.test.ts", // 29
];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOWEST.indexOf(relative(process.cwd(), f.moduleId).replace(/\\/g, "/"));
      return i === -1 ? SLOWEST.length : i;
    };
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    setupFiles: ["test/setup.ts"],
    // The CLI and npm start bundled once per run: spawning them skips tsx (test/helpers/bundles.ts).
    globalSetup: ["test/helpers/build-bundles.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file gets its own in-process Hardhat network; two cores, two workers.
    pool: "forks",
    maxWorkers: 2,
    sequence: { sequencer: SlowestFirst },
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, ...E2E] } },
      { extends: true, test: { name: "e2e", include: E2E } },
    ],
  },
});
