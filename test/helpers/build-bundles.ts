/**
 * vitest globalSetup: bundles the CLI, `npm start` and the crash workers once per run (see bundles.ts for why).
 * Packages stay external (resolved from node_modules at run time, as under tsx); `__dirname` in
 * the sources (src/web finds dist/web by it) is replaced by the source file's own directory, so the
 * bundle finds what the source would. Written to a temporary name and renamed: two vitest runs in
 * one worktree never see a half-written bundle.
 */
import { readFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { build, type Plugin } from "esbuild";
import { BUNDLES } from "./bundles";

const ROOT = join(__dirname, "..", "..");

const sourceDirname: Plugin = {
  name: "source-dirname",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes("node_modules")) return undefined;
      const text = readFileSync(args.path, "utf8");
      return { contents: text.replace(/\b__dirname\b/g, JSON.stringify(dirname(args.path))), loader: "ts" };
    });
  },
};

async function bundle(entry: string, outfile: string) {
  const tmp = `${outfile}.${process.pid}.tmp`;
  await build({ entryPoints: [join(ROOT, entry)], outfile: tmp, bundle: true, platform: "node", format: "cjs", target: "node20", packages: "external", logLevel: "warning", plugins: [sourceDirname], tsconfig: join(ROOT, "tsconfig.json") });
  renameSync(tmp, outfile);
}

export default async function setup() {
  await Promise.all(BUNDLES.map(([entry, outfile]) => bundle(entry, outfile)));
}
