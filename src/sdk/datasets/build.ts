/**
 * Builds a dataset registration from records on disk: a directory of `*.json` files (one record
 * each) or a JSONL file (one record a line). Each record carries the subject's pseudonymous
 * address and, optionally, demographic bands; the content root commits to every record's bytes,
 * the cohort root to the set of subjects. Pure apart from reading the files.
 */
import { readdirSync, readFileSync, statSync, createReadStream } from "node:fs";
import { basename, join } from "node:path";
import { createInterface } from "node:readline";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getAddress, keccak256, toUtf8Bytes } from "ethers";
import { AGE_BANDS, NUMBERS, REGION_BANDS, SEX_BANDS } from "../../constants";
import { InputError } from "../../core";

export interface DatasetRecordMeta {
  subject: string;
  ageBand?: string;
  sex?: string;
  region?: string;
  grassroots?: boolean;
}

export interface BuiltDataset {
  source: string;
  recordCount: number;
  contentRoot: string;
  cohortRoot: string;
  metadataHash: string;
  subjects: string[];
  demographics: { ageBps: number[]; sexBps: number[]; regionBps: number[]; grassrootsBps: number };
  cohortTree: ReturnType<StandardMerkleTree<[string]>["dump"]>;
}

/** Shares in bps that add up to exactly 10,000 (largest remainder), one per band. */
export function sharesBps(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return counts.map(() => 0);
  const raw = counts.map((c) => (c * NUMBERS.BPS) / total);
  const floor = raw.map(Math.floor);
  let left = NUMBERS.BPS - floor.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) if (left-- > 0) floor[i]++;
  return floor;
}

async function* readRecordTexts(path: string): AsyncGenerator<{ text: string; where: string }> {
  if (statSync(path).isDirectory()) {
    const files = readdirSync(path).filter((f) => f.endsWith(".json")).sort();
    if (files.length === 0) throw new InputError("DATASET_EMPTY", `${path} holds no *.json record files`);
    for (const f of files) yield { text: readFileSync(join(path, f), "utf8").trim(), where: f };
    return;
  }
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() !== "") yield { text: line.trim(), where: `line ${n}` };
  }
}

function bandIndex(bands: readonly string[], value: unknown, field: string, where: string): number {
  const i = bands.indexOf(String(value));
  if (i < 0) throw new InputError("DATASET_BAD_RECORD", `${where}: ${field} "${value}" is not one of ${bands.join(", ")}`, { field });
  return i;
}

/** Reads every record, hashes it, and returns the roots, cohort and demographic summary. */
export async function buildDataset(path: string, onRecord?: (n: number) => void): Promise<BuiltDataset> {
  const recordHashes: string[] = [];
  const subjects = new Set<string>();
  const counts = { age: AGE_BANDS.map(() => 0), sex: SEX_BANDS.map(() => 0), region: REGION_BANDS.map(() => 0), grassroots: 0, withBands: 0 };
  try {
    statSync(path);
  } catch {
    throw new InputError("DATASET_NOT_FOUND", `${path} does not exist`);
  }
  for await (const { text, where } of readRecordTexts(path)) {
    let record: DatasetRecordMeta;
    try {
      record = JSON.parse(text);
    } catch (e) {
      throw new InputError("DATASET_BAD_RECORD", `${where}: not valid JSON (${(e as Error).message})`);
    }
    try {
      subjects.add(getAddress(String(record.subject)));
    } catch {
      throw new InputError("DATASET_BAD_RECORD", `${where}: subject must be the patient's pseudonymous address, got "${record.subject}"`, { field: "subject" });
    }
    if (record.ageBand !== undefined || record.sex !== undefined || record.region !== undefined) {
      counts.age[bandIndex(AGE_BANDS, record.ageBand, "ageBand", where)]++;
      counts.sex[bandIndex(SEX_BANDS, record.sex, "sex", where)]++;
      counts.region[bandIndex(REGION_BANDS, record.region, "region", where)]++;
      if (record.grassroots === true) counts.grassroots++;
      counts.withBands++;
    }
    recordHashes.push(keccak256(toUtf8Bytes(text)));
    onRecord?.(recordHashes.length);
  }
  if (recordHashes.length === 0) throw new InputError("DATASET_EMPTY", `${path} holds no records`);
  if (counts.withBands !== 0 && counts.withBands !== recordHashes.length) {
    throw new InputError("DATASET_BAD_RECORD", `${counts.withBands} of ${recordHashes.length} records carry demographic bands; give them for every record or none`);
  }
  if (counts.withBands === 0) {
    throw new InputError("DATASET_NO_DEMOGRAPHICS", `records carry no ageBand/sex/region/grassroots fields; the demographic summary is required`);
  }
  const content = StandardMerkleTree.of(recordHashes.map((h) => [h]), ["bytes32"]);
  const sortedSubjects = [...subjects].sort();
  const cohort = StandardMerkleTree.of(sortedSubjects.map((s) => [s] as [string]), ["address"]);
  const metadataHash = keccak256(toUtf8Bytes(JSON.stringify({ source: basename(path), records: recordHashes.length, contentRoot: content.root, cohortRoot: cohort.root })));
  return {
    source: path,
    recordCount: recordHashes.length,
    contentRoot: content.root,
    cohortRoot: cohort.root,
    metadataHash,
    subjects: sortedSubjects,
    demographics: {
      ageBps: sharesBps(counts.age),
      sexBps: sharesBps(counts.sex),
      regionBps: sharesBps(counts.region),
      grassrootsBps: Math.round((counts.grassroots * NUMBERS.BPS) / recordHashes.length),
    },
    cohortTree: cohort.dump(),
  };
}

/** Where the custodian's cohort manifest is written: beside the data. */
export const manifestPathFor = (source: string) => `${source.replace(/\/+$/, "")}.cohort.json`;

/** Checks a cohort manifest against an on-chain cohort root; returns its subjects. */
export function verifyCohortManifest(manifest: { cohortRoot: string; cohortTree: BuiltDataset["cohortTree"] }, onChainRoot: string): string[] {
  const tree = StandardMerkleTree.load(manifest.cohortTree as ReturnType<StandardMerkleTree<[string]>["dump"]>);
  tree.validate();
  if (tree.root !== onChainRoot.toLowerCase() && tree.root !== onChainRoot) {
    throw new InputError("COHORT_MISMATCH", `cohort manifest root ${tree.root} does not match the on-chain cohort root ${onChainRoot}`);
  }
  return [...tree.entries()].map(([, [s]]) => s);
}
