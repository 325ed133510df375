/**
 * npm's `prepare` (after `npm install` and `npm ci`): compiles the contracts and builds the web app.
 *
 * Skipped when npm runs it for `npx medprov`: on the first `npx medprov` in a directory, npm 11
 * installs the checkout itself into its npx cache to link the bin, and runs `prepare` again
 * (npm_command is then `exec`). That rebuild took seconds on every new checkout path, and vite
 * empties dist/web before writing it, so a running `npm start` answered 404 at `/` meanwhile (a CI
 * run caught it). The checkout was prepared by the `npm install` that made `npx medprov` work.
 * Plain CommonJS: it runs before anything else is known to work.
 */
const { spawnSync } = require("node:child_process");

if (process.env.npm_command === "exec") process.exit(0);
for (const [cmd, args] of [["hardhat", ["compile", "--quiet"]], ["npm", ["run", "build:web"]]]) {
  // npm puts node_modules/.bin on PATH for its scripts.
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
