/**
 * The embedded chain's state files: anvil's state dump, named by the last journal entry whose
 * effects it holds (`chain-state.<seq>.json`). Each is written aside, flushed to disk and renamed
 * into place, so a kill or a power cut leaves either the previous file or the new one, never half
 * of one; the two newest are kept, so a damaged newest file still leaves a start point.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { MedprovError, writeFileDurably } from "../core";

const NAME = /^chain-state\.(\d+)\.json$/;
/** The file anvil itself wrote before the journal existed (its own --state option). */
export const LEGACY_STATE = "chain-state.json";

export interface StateFile {
  path: string;
  /** Last journal entry whose effects the file holds. */
  seq: number;
}

/** State files in a directory, newest first. */
export function stateFiles(dir: string): StateFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => NAME.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ path: join(dir, m[0]), seq: Number(m[1]) }))
    .sort((a, b) => b.seq - a.seq);
}

const parses = (path: string) => {
  try {
    const state = JSON.parse(readFileSync(path, "utf8")) as { block?: unknown; accounts?: unknown };
    return typeof state === "object" && state !== null && state.block !== undefined && state.accounts !== undefined;
  } catch {
    return false;
  }
};

/**
 * The state to start from: the newest file that parses (with the damaged newer ones named), a
 * legacy anvil state file when there is nothing newer, or none on a fresh directory.
 */
export function pickState(dir: string): { state?: StateFile; damaged: string[] } {
  const damaged: string[] = [];
  for (const f of stateFiles(dir)) {
    if (parses(f.path)) return { state: f, damaged };
    damaged.push(f.path);
  }
  const legacy = join(dir, LEGACY_STATE);
  if (existsSync(legacy)) {
    if (parses(legacy)) return { state: { path: legacy, seq: 0 }, damaged };
    throw new MedprovError(
      "CHAIN_STATE_DAMAGED",
      `${legacy} is damaged (cut off while it was written by an earlier release); the chain cannot be recovered from it: start over with \`npm start -- --reset\``,
    );
  }
  if (damaged.length > 0) {
    throw new MedprovError("CHAIN_STATE_DAMAGED", `every chain state file is damaged (${damaged.join(", ")}); start over with \`npm start -- --reset\``);
  }
  return { damaged };
}

/** Writes the state holding journal entries up to `seq`; returns the files now kept. */
export function writeState(dir: string, seq: number, json: Buffer): StateFile[] {
  writeFileDurably(join(dir, `chain-state.${seq}.json`), json);
  const files = stateFiles(dir);
  for (const old of files.slice(2)) rmSync(old.path, { force: true });
  if (existsSync(join(dir, LEGACY_STATE))) rmSync(join(dir, LEGACY_STATE), { force: true });
  return files.slice(0, 2);
}

/** Removes what a kill during a write left behind (`*.partial`). */
export function removePartials(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f.endsWith(".partial")) rmSync(join(dir, f), { force: true });
}
