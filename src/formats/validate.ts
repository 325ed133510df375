/**
 * Checks an input against its published format and reports every problem at once (ajv with
 * allErrors), each with its JSON path and what was expected in words, instead of stopping at the
 * first: a person fixing a file sees the whole list in one run.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { getAddress } from "ethers";
import { INPUT_SCHEMAS, type InputFormat } from "./schemas";

export interface FormatProblem {
  /** Where in the input: "line 3" for a JSONL line or a file name, else "" (a single document). */
  where: string;
  /** JSON Pointer of the offending value ("" is the whole document). */
  path: string;
  /** The ajv keyword that failed: required, additionalProperties, type, pattern, … */
  keyword: string;
  message: string;
}

/** Mixed-case hex must be the EIP-55 checksum; all-lower or all-upper hex carries none (as ethers reads it). */
function eip55(v: string): boolean {
  const hex = v.slice(2);
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return true;
  try {
    return getAddress(v) === v;
  } catch {
    return false;
  }
}

const uintBelow = (bits: number) => (v: string) => /^(0|[1-9][0-9]*)$/.test(v) && BigInt(v) < 2n ** BigInt(bits);

let ajv: Ajv | undefined;
const compiled = new Map<InputFormat, ValidateFunction>();

function validatorOf(format: InputFormat): ValidateFunction {
  if (!ajv) {
    // verbose: errors carry the failing value and its schema, whose description says what was expected.
    ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
    ajv.addFormat("eip55-address", { type: "string", validate: eip55 });
    ajv.addFormat("uint64", { type: "string", validate: uintBelow(64) });
    ajv.addFormat("uint256", { type: "string", validate: uintBelow(256) });
  }
  let v = compiled.get(format);
  if (!v) compiled.set(format, (v = ajv.compile(INPUT_SCHEMAS[format])));
  return v;
}

const shown = (v: unknown) => {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 80 ? `${text.slice(0, 77)}…` : text;
};

/** One ajv error as a person reads it; undefined for errors that only repeat another (if/then, anyOf branches). */
function toProblem(e: ErrorObject, where: string): FormatProblem | undefined {
  const described = (e.parentSchema as { description?: string } | undefined)?.description;
  switch (e.keyword) {
    case "if":
      return undefined;
    case "required":
      return { where, path: `${e.instancePath}/${e.params.missingProperty}`, keyword: e.keyword, message: `field "${e.params.missingProperty}" is missing` };
    case "additionalProperties": {
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      return { where, path: `${e.instancePath}/${e.params.additionalProperty}`, keyword: e.keyword, message: `field "${e.params.additionalProperty}" is not part of the format (allowed: ${allowed.join(", ")})` };
    }
    case "not":
      if ((e.schema as { required?: string[] }).required) return { where, path: `${e.instancePath}/${(e.schema as { required: string[] }).required[0]}`, keyword: e.keyword, message: described ?? "is not allowed here" };
      return { where, path: e.instancePath, keyword: e.keyword, message: `must be ${described ?? "something else"}, got ${shown(e.data)}` };
    default:
      return { where, path: e.instancePath, keyword: e.keyword, message: described ? `must be ${described}, got ${shown(e.data)}` : `${e.message ?? "is invalid"}, got ${shown(e.data)}` };
  }
}

/** Every problem of `value` against `format`, one per path (a value failing two rules is reported once). */
export function checkFormat(format: InputFormat, value: unknown, where = ""): FormatProblem[] {
  const validate = validatorOf(format);
  if (validate(value)) return [];
  const seen = new Set<string>();
  const problems: FormatProblem[] = [];
  for (const e of validate.errors ?? []) {
    // anyOf reports each branch and then itself; the anyOf error alone, with its description, says it.
    if ((validate.errors ?? []).some((o) => o.keyword === "anyOf" && o !== e && e.schemaPath.startsWith(o.schemaPath.replace(/\/anyOf$/, "/anyOf/")))) continue;
    const p = toProblem(e, where);
    if (!p || seen.has(p.path)) continue;
    seen.add(p.path);
    problems.push(p);
  }
  return problems;
}

/** A problem as one line: `line 3: /evaluation/auc: must be …`. */
export const problemLine = (p: FormatProblem) => `${p.where ? `${p.where}: ` : ""}${p.path || "/"}: ${p.message}`;
