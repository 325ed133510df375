/**
 * `npm run coverage` runs the contract suites under solidity-coverage, which drives Hardhat's Mocha
 * test task in-process. hardhat.config.ts (MEDPROV_COVERAGE=1) resolves `vitest` to this file, so
 * the same suites run there: describe/it/hooks are Mocha's, `expect` is Vitest's own (@vitest/expect
 * on chai), so every matcher and asymmetric matcher the suites use behaves as under Vitest.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const chai = require("chai");
const { JestAsymmetricMatchers, JestChaiExpect, JestExtend, getState, setState } = require("@vitest/expect");

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

type Fn = () => unknown;
type Mocha = { timeout(ms: number): unknown };
declare const describe: (name: string, fn: Fn) => Mocha;
declare const it: (name: string, fn: Fn) => Mocha;
declare const before: (fn: Fn) => unknown;
declare const after: (fn: Fn) => unknown;
declare const beforeEach: (fn: Fn) => unknown;
declare const afterEach: (fn: Fn) => unknown;

function expect(value: unknown, message?: string) {
  const state = getState(expect);
  setState({ assertionCalls: (state?.assertionCalls ?? 0) + 1 }, expect);
  return chai.expect(value, message);
}
Object.assign(expect, chai.expect);
setState({ assertionCalls: 0, isExpectingAssertions: false, isExpectingAssertionsError: null, expectedAssertionsNumber: null, expectedAssertionsNumberErrorGen: null, testPath: undefined, currentTestName: undefined, environment: "node", snapshotState: undefined }, expect);

/** Vitest's `it(name, fn, timeout)` as Mocha's `it(name, fn).timeout(timeout)`. */
function test(name: string, fn: Fn, timeout?: number) {
  const t = it(name, fn);
  if (timeout) t.timeout(timeout);
  return t;
}

module.exports = {
  describe: (name: string, fn: Fn) => describe(name, fn),
  it: test,
  test,
  expect,
  beforeAll: (fn: Fn) => before(fn),
  afterAll: (fn: Fn) => after(fn),
  beforeEach: (fn: Fn) => beforeEach(fn),
  afterEach: (fn: Fn) => afterEach(fn),
};
