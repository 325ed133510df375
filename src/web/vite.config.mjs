/**
 * The web app's build: `vite build --config src/web/vite.config.mts` writes dist/web, which the API
 * serves at / (src/web/index.ts). Everything is bundled: no request leaves for another host.
 */
import { defineConfig } from "vite";
import { URL, fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

/** @type {import("vite").UserConfig} */
export default defineConfig({
  root: here,
  base: "/",
  logLevel: "warn",
  build: { outDir: fileURLToPath(new URL("../../dist/web", import.meta.url)), emptyOutDir: true, target: "es2022", reportCompressedSize: false, chunkSizeWarningLimit: 1000, modulePreload: { polyfill: false } },
});
