import { subtask, type HardhatUserConfig } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-ethers";
import "@typechain/hardhat";
import "solidity-coverage";

// No machine here reaches the solc download mirror: compile with the solc-js build that npm installed.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async ({ solcVersion }, _hre, runSuper) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc");
  if (solc.version().split("+")[0] !== solcVersion) return runSuper();
  return { compilerPath: require.resolve("solc/soljson.js"), isSolcJs: true, version: solcVersion, longVersion: solc.version() };
});

const config: HardhatUserConfig = {
  solidity: {
    version: "0.8.28",
    settings: { optimizer: { enabled: true, runs: 1000 }, evmVersion: "cancun" },
  },
  networks: {
    hardhat: { hardfork: "cancun", allowBlocksWithSameTimestamp: true },
  },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
};

export default config;

// `npm run coverage`: solidity-coverage runs Hardhat's Mocha test task in this process; map the
// suites' `vitest` imports onto Mocha so the same tests measure coverage (see test/coverage/).
if (process.env.MEDPROV_COVERAGE === "1") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require("node:module");
  const shim = require.resolve("./test/coverage/vitest-shim.ts");
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === "vitest" ? shim : resolve.call(this, request, ...rest);
  };
}
