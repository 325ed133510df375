/** Parsers for command-line values; each throws an InputError that says what was expected. */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { compile as compileProxies } from "@fastify/proxy-addr";
import { getAddress, isHexString } from "ethers";
import { DEFAULT_PURPOSES, NUMBERS } from "../constants";
import { InputError, jsonParseProblem } from "../sdk";
import { checkFormat, problemLine, type FormatProblem, type InputFormat } from "../formats";

/** A parser for a whole-number option named `name`. */
export const intArg = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InputError("BAD_NUMBER", `${name} must be a whole number`);
  return Number(v);
};

export const atLeastOne = (name: string) => (v: string) => {
  const n = intArg(name)(v);
  if (n < 1) throw new InputError("BAD_NUMBER", `${name} must be at least 1`);
  return n;
};

/**
 * A trusted reverse proxy: an IP address, a range (CIDR or netmask), or loopback / linklocal /
 * uniquelocal. Checked by the parser Fastify's trustProxy itself uses, so exactly what it accepts.
 */
export function proxyArg(value: string): string {
  try {
    compileProxies(value);
  } catch {
    throw new InputError("BAD_PROXY", `"${value}" is not an IP address, an address range (10.0.0.0/8) or one of loopback, linklocal, uniquelocal`);
  }
  return value;
}

/** A TCP port to listen on. Not 0 (any free port): sign-in messages name the port, so it must be known before listening. */
export const portArg = (name: string) => (v: string) => {
  const n = intArg(name)(v);
  if (n < 1 || n > 65535) throw new InputError("BAD_NUMBER", `${name} must be from 1 to 65535`);
  return n;
};

/** `value` as an http(s) URL, or undefined. */
const httpUrl = (value: string): URL | undefined => (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol) ? new URL(value) : undefined);

/** The URL clients use to reach this service (behind a reverse proxy). */
export function urlArg(value: string): string {
  if (!httpUrl(value)) throw new InputError("BAD_URL", `"${value}" is not an http(s) URL`);
  return value;
}

/** A browser origin for CORS: scheme, host and port only (what a browser sends in `Origin`). */
export function originArg(value: string): string {
  const url = httpUrl(value);
  if (!url || url.origin !== value.replace(/\/$/, "")) throw new InputError("BAD_ORIGIN", `"${value}" is not an origin like https://app.example.org (scheme, host and port, no path)`);
  return url.origin;
}

export function purposeArg(value: string): number {
  const byName = (DEFAULT_PURPOSES as readonly string[]).indexOf(value.toUpperCase());
  if (byName >= 0) return byName;
  if (/^\d+$/.test(value) && Number(value) < NUMBERS.MAX_PURPOSES) return Number(value);
  throw new InputError("BAD_PURPOSE", `purpose "${value}" is not one of ${DEFAULT_PURPOSES.join(", ")} (or a catalogue id)`);
}

export const purposesArg = (value: string) => value.split(",").map((p) => purposeArg(p.trim()));

export function granteeArg(value: string): number {
  if (value.toLowerCase() === "any") return NUMBERS.ANY_MEMBER;
  if (/^\d+$/.test(value) && Number(value) < 2 ** 32) return Number(value);
  throw new InputError("BAD_GRANTEE", `grantee "${value}" must be an organisation id or "any"`);
}

export function orgArg(value: string): number {
  if (/^[1-9]\d*$/.test(value) && Number(value) < 2 ** 32) return Number(value);
  throw new InputError("BAD_ORG", `organisation "${value}" must be a positive id`);
}

export function addressArg(value: string): string {
  try {
    return getAddress(value);
  } catch {
    throw new InputError("BAD_ADDRESS", `"${value}" is not an address`);
  }
}

export function bytes32Arg(value: string): string {
  if (!isHexString(value, 32)) throw new InputError("BAD_ID", `"${value}" must be a 32-byte hex id (0x + 64 hex digits)`);
  return value.toLowerCase();
}

/**
 * An expiry as given on the command line: a moment (an ISO date or unix seconds), or a duration
 * that counts from the chain's "now" (head block time), which the parser cannot know yet.
 */
export type Expiry = { at: bigint } | { after: number };

const UNIT_SECONDS = { d: 86400, h: 3600, m: 60 } as const;

/** "30d", "12h", "90m", an ISO date, or unix seconds. */
export function expiryArg(value: string): Expiry {
  const m = /^(\d+)([dhm])$/.exec(value);
  if (m) return { after: Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS] };
  if (/^\d{9,}$/.test(value)) return { at: BigInt(value) };
  const t = Date.parse(value);
  if (!Number.isNaN(t)) return { at: BigInt(Math.floor(t / 1000)) };
  throw new InputError("BAD_EXPIRY", `expiry "${value}" must be a duration (30d, 12h, 90m), an ISO date or unix seconds`);
}

/** The expiry in unix seconds, a duration counted from `chainTime` (the head block's time). */
export const expiryAt = (e: Expiry, chainTime: number): bigint => ("at" in e ? e.at : BigInt(chainTime + e.after));

/** Reads and parses a JSON file; the error names the file and the problem. */
export function readJson(path: string): { value: unknown; text: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InputError("FILE_NOT_FOUND", `cannot read ${path}`);
  }
  try {
    return { value: JSON.parse(text), text };
  } catch (e) {
    throw new InputError("BAD_JSON", `${path} is not valid JSON: ${jsonParseProblem(e)}`);
  }
}

/** Reads a JSON file holding one object, or a JSONL file holding one object a line. */
export function readJsonOrLines(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InputError("FILE_NOT_FOUND", `cannot read ${path}`);
  }
  const lines = path.endsWith(".jsonl") ? text.split("\n").filter((l) => l.trim() !== "") : [text];
  return lines.map((line, i) => {
    try {
      return JSON.parse(line);
    } catch (e) {
      throw new InputError("BAD_JSON", `${path}${lines.length > 1 ? ` line ${i + 1}` : ""} is not valid JSON: ${jsonParseProblem(e)}`);
    }
  });
}

/** Most problems listed for one input; the rest are counted. */
const MAX_PROBLEMS = 100;
const CODE_PREFIX: Record<InputFormat, string> = { "model-card": "CARD", "trace-record": "TRACE", "dataset-record": "DATASET", "signed-consent": "SIGNED_REQUEST", networks: "NETWORKS", founders: "FOUNDERS", deployment: "DEPLOYMENT" }; // a manifest is read by parseDeployment (DEPLOYMENT_INVALID), never through here
const KIND: Record<string, string> = { required: "MISSING_FIELD", additionalProperties: "UNKNOWN_FIELD" };

/**
 * Every problem of an input file at once, against its published format (schemas/<format>.json). One
 * problem is one line; several are a line saying how many, then one line each (run.ts prints
 * `details.problems`). The code names the first: CARD_MISSING_FIELD, TRACE_UNKNOWN_FIELD, …
 */
export class FormatCollector {
  private readonly problems: FormatProblem[] = [];
  private more = 0;
  constructor(
    private readonly file: string,
    private readonly format: InputFormat,
  ) {}

  add(problems: FormatProblem[]): void {
    for (const p of problems) {
      if (this.problems.length < MAX_PROBLEMS) this.problems.push(p);
      else this.more++;
    }
  }

  check(value: unknown, where = ""): void {
    this.add(checkFormat(this.format, value, where));
  }

  /** Throws the collected problems, if any. */
  done(): void {
    if (this.problems.length === 0) return;
    const first = this.problems[0];
    const code = first.keyword === "json" ? "BAD_JSON" : `${CODE_PREFIX[this.format]}_${KIND[first.keyword] ?? "BAD_FIELD"}`;
    const schema = `schemas/${this.format}.json`;
    const lines = this.problems.map(problemLine);
    if (lines.length === 1 && this.more === 0) throw new InputError(code, `${this.file}: ${lines[0]} (format: ${schema})`, { problems: [] });
    const total = this.problems.length + this.more;
    throw new InputError(code, `${this.file} has ${total} problems (format: ${schema})`, { problems: [...lines, ...(this.more ? [`… and ${this.more} more`] : [])] });
  }
}

/** A JSON file holding one input of `format`, checked against it. */
export function readChecked(path: string, format: InputFormat): { value: unknown; text: string } {
  const read = readJson(path);
  const problems = new FormatCollector(path, format);
  problems.check(read.value);
  problems.done();
  return read;
}

/** A JSON file (one input) or JSONL (one a line) of `format`; every line is checked before any is used. */
export function readCheckedLines(path: string, format: InputFormat): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InputError("FILE_NOT_FOUND", `cannot read ${path}`);
  }
  const jsonl = path.endsWith(".jsonl");
  const problems = new FormatCollector(path, format);
  const values: unknown[] = [];
  (jsonl ? text.split("\n") : [text]).forEach((line, i) => {
    if (jsonl && line.trim() === "") return;
    const where = jsonl ? `line ${i + 1}` : "";
    try {
      values.push(JSON.parse(line));
    } catch (e) {
      problems.add([{ where, path: "", keyword: "json", message: `not valid JSON (${jsonParseProblem(e)})` }]);
      return;
    }
    problems.check(values[values.length - 1], where);
  });
  problems.done();
  return values;
}

/** Checks every record of a dataset (a JSONL file or a directory of *.json records) before anything is hashed or sent. */
export function checkDatasetRecords(path: string): void {
  let files: { name: string; text: string }[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path).filter((f) => f.endsWith(".json")).sort().map((f) => ({ name: f, text: readFileSync(join(path, f), "utf8") }))
      : [{ name: "", text: readFileSync(path, "utf8") }];
  } catch {
    return; // buildDataset names a path that is not there (DATASET_NOT_FOUND)
  }
  const problems = new FormatCollector(path, "dataset-record");
  for (const { name, text } of files) {
    const lines = name ? [text] : text.split("\n");
    lines.forEach((line, i) => {
      if (line.trim() === "") return;
      const where = name || `line ${i + 1}`;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (e) {
        return problems.add([{ where, path: "", keyword: "json", message: `not valid JSON (${jsonParseProblem(e)})` }]);
      }
      problems.check(record, where);
    });
  }
  problems.done();
}
