import { configDefaults, defineConfig } from "vitest/config";

/**
 * End-to-end suites: they start processes (the CLI, `medprov start`, the indexer), real chain nodes
 * or HTTP servers, or kill them. Everything else is a unit suite on an in-process Hardhat network.
 * `npm test` runs both projects; `npm run test:unit` / `npm run test:e2e` run one.
 */
const E2E = [
  "test/cli*.test.ts",
  "test/start*.test.ts",
  "test/*-crash.test.ts",
  "test/bench-out.test.ts",
  "test/embedded-chain.test.ts",
  "test/fhir-client.test.ts",
  "test/indexer-process.test.ts",
  "test/indexer-rpc.test.ts",
  "test/input-formats.test.ts",
  "test/outbox.test.ts",
  "test/readme.test.ts",
  "test/receipt-corpus.test.ts",
  "test/web.test.ts",
];

export default defineConfig({
  test: {
    setupFiles: ["test/setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file gets its own in-process Hardhat network; two cores, two workers.
    pool: "forks",
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, ...E2E] } },
      { extends: true, test: { name: "e2e", include: E2E } },
    ],
  },
});
