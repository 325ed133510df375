// ESLint (flat config): typescript-eslint's recommended rules over the TypeScript sources, tests,
// scripts and benches. Not type-aware, so it stays fast enough to run before every `npm test`.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "artifacts/", "cache/", "typechain-types/", "coverage/", "dist/", "bench/out/", "**/*.js", "**/*.cjs"] },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names are deliberately unused (a field left out of a spread, a loop's element).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", destructuredArrayIgnorePattern: "^_" }],
      // `a ? f() : g()` and `x && f()` as statements are the house style for one-line branches.
      "@typescript-eslint/no-unused-expressions": ["error", { allowTernary: true, allowShortCircuit: true }],
      // Untyped CommonJS-only modules loaded on purpose: the keccak addon's loader (node-gyp-build)
      // and classic-level's chained batch (a test wraps its write).
      "@typescript-eslint/no-require-imports": ["error", { allow: ["^node-gyp-build$", "^classic-level/chained-batch$"] }],
    },
  },
  {
    // Tests read the API's and the commands' JSON answers, whose shapes they are checking.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
