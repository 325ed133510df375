import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    setupFiles: ["test/setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file gets its own in-process Hardhat network; two cores, two workers.
    pool: "forks",
    maxWorkers: 2,
  },
});
