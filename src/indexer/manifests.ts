/**
 * Custodians' cohort manifests (the `*.cohort.json` files `medprov dataset register` writes beside
 * each dataset) loaded into an index, so the revocation-impact report knows who is in which
 * dataset. A manifest is matched to datasets by its roots, never by its file name: the file is
 * named after the data it describes, not after an id that exists only once it is registered.
 * One home for `medprov index`, `medprov serve` and `npm start`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { InputError, MedprovError } from "../core";
import { K, lc } from "./keys";
import { createQueries } from "./queries";
import type { IndexStore, Json } from "./store";

export const MANIFEST_SUFFIX = ".cohort.json";

/** What one pass over a manifest directory found. File paths are relative to the directory. */
export interface ManifestReport {
  /** Each dataset that received a manifest in this pass, with the file and the subjects it lists. */
  loaded: { file: string; datasetId: string; subjects: number }[];
  /** Manifests whose roots match no indexed dataset (not registered, or not indexed yet). */
  unmatched: string[];
  /** Files that are not a usable manifest, with the reason by name. */
  invalid: { file: string; code: string; message: string }[];
  /** Indexed datasets that still have no manifest: the revocation-impact report cannot see their subjects. */
  missing: string[];
}

interface Roots {
  contentRoot: string;
  cohortRoot: string;
}

const isRoot = (v: unknown): v is string => typeof v === "string" && /^0x[0-9a-fA-F]{64}$/.test(v);

/** Every `*.cohort.json` under `dir` (recursively), sorted; a directory that cannot be read is named. */
export function manifestFiles(dir: string): string[] {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
    entries = readdirSync(dir, { recursive: true, encoding: "utf8" });
  } catch {
    throw new InputError("MANIFESTS_NOT_FOUND", `cannot read the manifest directory ${dir}`);
  }
  return entries.filter((f) => f.endsWith(MANIFEST_SUFFIX)).sort();
}

/** The manifest's roots, or the reason it has none (pure: the parsed JSON in, a value out). */
export function manifestRoots(value: unknown): Roots | { code: string; message: string } {
  const m = value as Partial<Roots> & { cohortTree?: unknown } | null;
  if (!m || typeof m !== "object" || !isRoot(m.contentRoot) || !isRoot(m.cohortRoot) || m.cohortTree === undefined) {
    return { code: "MANIFEST_INVALID", message: "not a cohort manifest: contentRoot, cohortRoot (32-byte hex) and cohortTree are required" };
  }
  return { contentRoot: lc(m.contentRoot), cohortRoot: lc(m.cohortRoot) };
}

/** The datasets whose on-chain content and cohort roots are both the manifest's (pure). */
export function datasetsMatching(roots: Roots, datasets: readonly Record<string, Json>[]): string[] {
  return datasets.filter((d) => lc(String(d.cohortRoot)) === roots.cohortRoot && lc(String(d.contentRoot)) === roots.contentRoot).map((d) => lc(String(d.datasetId)));
}

/**
 * Loads every manifest under `dir` into the index: each is checked against the cohort root of
 * every dataset it matches (two custodians may register the same data), then recorded. Loading
 * again is harmless (the same keys are written). Throws only when `dir` cannot be read.
 */
export async function loadCohortManifests(store: IndexStore, dir: string): Promise<ManifestReport> {
  const files = manifestFiles(dir);
  const queries = createQueries(store);
  const datasets = await queries.datasets();
  const report: ManifestReport = { loaded: [], unmatched: [], invalid: [], missing: [] };
  for (const file of files) {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(join(dir, file), "utf8"));
    } catch (e) {
      report.invalid.push({ file, code: "BAD_JSON", message: `not readable JSON: ${(e as Error).message}` });
      continue;
    }
    const roots = manifestRoots(value);
    if (!("cohortRoot" in roots)) {
      report.invalid.push({ file, ...roots });
      continue;
    }
    const matches = datasetsMatching(roots, datasets);
    if (matches.length === 0) report.unmatched.push(file);
    for (const datasetId of matches) {
      try {
        const r = await queries.addCohortManifest(datasetId, value as { cohortTree: unknown });
        report.loaded.push({ file, datasetId: r.datasetId, subjects: r.subjects });
      } catch (e) {
        if (!(e instanceof MedprovError)) throw e;
        report.invalid.push({ file, code: e.code, message: e.message });
      }
    }
  }
  for (const d of datasets) {
    const id = lc(String(d.datasetId));
    if ((await store.get(K.manifest(id))) === undefined) report.missing.push(id);
  }
  return report;
}

/** Changes when an indexed dataset appears or a manifest file is added, replaced or removed. */
async function snapshot(store: IndexStore, dir: string): Promise<string> {
  const datasets = (await createQueries(store).datasets()).map((d) => String(d.datasetId)).sort();
  const files = manifestFiles(dir).map((f) => {
    const s = statSync(join(dir, f), { throwIfNoEntry: false });
    return `${f}:${s?.mtimeMs}:${s?.size}`;
  });
  return JSON.stringify([datasets, files]);
}

/**
 * Follow mode: loads the manifests now (the answer is that first pass), then in the background
 * again whenever a new dataset is indexed or the manifest files change, until `signal` aborts
 * (`stopped` settles then). Each later pass's report goes to `onReport`; a pass that fails (the
 * directory went away) goes to `onError` and is tried again at the next look.
 */
export async function followCohortManifests(o: {
  store: IndexStore;
  dir: string;
  signal: AbortSignal;
  onReport: (report: ManifestReport) => void;
  onError?: (e: unknown) => void;
  /** How often to look for new datasets and files. Default 1000 ms. */
  intervalMs?: number;
}): Promise<{ first: ManifestReport; stopped: Promise<void> }> {
  let seen: string | undefined = await snapshot(o.store, o.dir); // taken before loading: a change during the pass is seen next time
  const first = await loadCohortManifests(o.store, o.dir);
  const sleep = () =>
    new Promise<void>((resolve) => {
      const wake = () => (clearTimeout(t), resolve());
      const t = setTimeout(() => (o.signal.removeEventListener("abort", wake), resolve()), o.intervalMs ?? 1_000);
      o.signal.addEventListener("abort", wake, { once: true });
    });
  const stopped = (async () => {
    for (await sleep(); !o.signal.aborted; await sleep()) {
      try {
        const now = await snapshot(o.store, o.dir);
        if (now === seen) continue;
        seen = now;
        o.onReport(await loadCohortManifests(o.store, o.dir));
      } catch (e) {
        if (o.signal.aborted) break; // the store closed under us: stopping, not failing
        seen = undefined; // look again in full next time
        o.onError?.(e);
      }
    }
  })();
  return { first, stopped };
}

/** The report as lines a person reads. */
export function describeManifestReport(r: ManifestReport): string[] {
  return [
    `cohort manifests: ${r.loaded.length} loaded${r.loaded.length ? ` (${r.loaded.map((l) => `${l.file} → ${l.datasetId}`).join(", ")})` : ""}`,
    ...r.unmatched.map((f) => `  ${f} matches no indexed dataset (not registered, or not indexed yet)`),
    ...r.invalid.map((i) => `  ${i.file} not loaded: ${i.message} [${i.code}]`),
    ...(r.missing.length ? [`  no manifest for ${r.missing.length} dataset(s), so revocation impact cannot see their subjects: ${r.missing.join(", ")}`] : []),
  ];
}
