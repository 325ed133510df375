/**
 * Answers in words (issue 17): every number a person would have to look up gets its meaning beside
 * it, as a sibling field; the number stays, so machines keep reading what they read. One rule per
 * kind, by the field's name `f`:
 *
 * - an enum value          → `fName`     ("APPROVED"), from the names in src/constants
 * - an organisation id     → `fName`     (the member's registered name; "any member" for 0)
 * - a purpose id           → `fName`     (the on-chain catalogue's name)
 * - a purpose bitmask      → `fNames`    (["RESEARCH", "MODEL_TRAINING"])
 * - chain time, Unix s     → `fIso`      (ISO 8601 UTC; null for 0 = "never" and beyond year 9999)
 * - basis points           → `fPercent`  (8800 → 88; a field `xBps` gets `xPercent`)
 * - demographic bands, bps → `xPercent`  ({ "0-17": 25, … } by band name)
 * - a bytes32 label        → `fText`     ("region:EAST"; null when it is not text)
 *
 * A `Spec` says which fields of a row are of which kind; the same spec extends the row's response
 * schema (`schemaInWords`), so the allowlist and the answer cannot drift apart.
 */
import { decodeBytes32String } from "ethers";
import { AGE_BANDS, DEFAULT_PURPOSES, NUMBERS, REGION_BANDS, SEX_BANDS, nameOf, purposesOf } from "../constants";
import { isoOf } from "../sdk";
import { MAX_TIME } from "./inputs";

/** Names a reader needs that live in the index: members' names and the purpose catalogue. */
export interface Names {
  orgName(orgId: number): string | null;
  purposeName(purpose: number): string;
}

export type Kind =
  | { enum: readonly string[] }
  | "org"
  | "purpose"
  | "purposes"
  | "time"
  | "bps"
  | { bands: readonly string[] }
  | "label"
  | { each: Spec }
  | { nested: Spec };
export type Spec = Record<string, Kind>;

const strOrNull = { type: ["string", "null"] } as const;
const num = { type: "number" } as const;

/** The sibling field's name and the JSON Schema of its value, for a field of a kind. */
function sibling(field: string, kind: Kind): [string, JsonSchema] | undefined {
  const base = field.replace(/Bps$/, "");
  if (kind === "org" || kind === "purpose" || (typeof kind === "object" && "enum" in kind)) return [`${field}Name`, kind === "org" ? strOrNull : { type: "string" }];
  if (kind === "purposes") return [`${field}Names`, { type: "array", items: { type: "string" } }];
  if (kind === "time") return [`${field}Iso`, strOrNull];
  if (kind === "bps") return [`${base}Percent`, num];
  if (kind === "label") return [`${field}Text`, strOrNull];
  if (typeof kind === "object" && "bands" in kind) return [`${base}Percent`, { type: "object", additionalProperties: false, properties: Object.fromEntries(kind.bands.map((b) => [b, num])) }];
  return undefined;
}

/** Chain time as ISO 8601, or null where there is no time to show (0, or "never" = uint64 max). */
export function isoOrNull(t: unknown): string | null {
  const n = Number(t);
  return Number.isFinite(n) && n > 0 && n <= MAX_TIME ? isoOf(n) : null;
}

/** Basis points as a percentage (8800 → 88); bps arrive as numbers or decimal strings. */
export const percentOf = (bps: unknown): number => Number(bps) / (NUMBERS.BPS / 100);

/** A bytes32 label as text ("region:EAST"), or null when the bytes are not a short UTF-8 string. */
export function labelText(hex: unknown): string | null {
  try {
    return decodeBytes32String(String(hex));
  } catch {
    return null;
  }
}

function valueOf(kind: Kind, v: unknown, names: Names): unknown {
  if (kind === "org") return names.orgName(Number(v));
  if (kind === "purpose") return names.purposeName(Number(v));
  if (kind === "purposes") return purposesOf(BigInt(String(v ?? 0))).map((p) => names.purposeName(p));
  if (kind === "time") return isoOrNull(v);
  if (kind === "bps") return percentOf(v);
  if (kind === "label") return labelText(v);
  if (typeof kind === "object" && "enum" in kind) return nameOf(kind.enum, Number(v));
  if (typeof kind === "object" && "bands" in kind) return Object.fromEntries(kind.bands.map((b, i) => [b, percentOf((v as unknown[])[i] ?? 0)]));
  return undefined;
}

/** A row with its words beside its numbers (a new object: index rows are never mutated). */
export function inWords<T>(spec: Spec, row: T, names: Names): T {
  if (row === null || typeof row !== "object") return row;
  const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  for (const [field, kind] of Object.entries(spec)) {
    const v = out[field];
    if (v === undefined || v === null) continue;
    if (typeof kind === "object" && "each" in kind) out[field] = Array.isArray(v) ? v.map((x) => inWords(kind.each, x, names)) : v;
    else if (typeof kind === "object" && "nested" in kind) out[field] = inWords(kind.nested, v, names);
    else out[sibling(field, kind)![0]] = valueOf(kind, v, names);
  }
  return out as T;
}

/** Every row of a list in words. */
export const allInWords = <T>(spec: Spec, rows: readonly T[], names: Names): T[] => rows.map((r) => inWords(spec, r, names));

/** The parts of a JSON Schema that the response schemas are built from. */
export interface JsonSchema {
  type?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: unknown;
  required?: unknown;
}
/** An object's schema: its properties named. */
export type ObjectSchema = JsonSchema & { properties: Record<string, JsonSchema> };

/** A response schema extended with the sibling fields of `spec` (recursively into nested objects and arrays). */
export function schemaInWords<S extends ObjectSchema>(schema: S, spec: Spec): S {
  const properties: Record<string, JsonSchema> = { ...schema.properties };
  for (const [field, kind] of Object.entries(spec)) {
    const p = properties[field];
    if (typeof kind === "object" && "each" in kind) properties[field] = { ...p, items: schemaInWords(p.items as ObjectSchema, kind.each) };
    else if (typeof kind === "object" && "nested" in kind) properties[field] = schemaInWords(p as ObjectSchema, kind.nested);
    else {
      const [name, sch] = sibling(field, kind)!;
      properties[name] = sch;
    }
  }
  return { ...schema, properties };
}

// ── the specs of the API's rows ──
const en = (names: readonly string[]): Kind => ({ enum: names });
export { en as enumKind };

export const DEMOGRAPHICS: Spec = { ageBps: { bands: AGE_BANDS }, sexBps: { bands: SEX_BANDS }, regionBps: { bands: REGION_BANDS }, grassrootsBps: "bps" };

/** Names from the index's member and purpose rows; unknown ids read "organisation 7" / "purpose 9". */
export function namesFrom(members: readonly Record<string, unknown>[], purposes: readonly Record<string, unknown>[]): Names {
  const orgs = new Map(members.map((m) => [Number(m.orgId), String(m.name)]));
  const cat = new Map(purposes.map((p) => [Number(p.id), String(p.name)]));
  return {
    orgName: (id) => (id === NUMBERS.ANY_MEMBER ? "any member" : (orgs.get(id) ?? null)),
    purposeName: (p) => cat.get(p) ?? (p < DEFAULT_PURPOSES.length ? DEFAULT_PURPOSES[p] : `purpose ${p}`),
  };
}
