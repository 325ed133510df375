/**
 * FHIR search mechanics, pure: date search parameters (with prefixes and partial dates), result
 * pages with `self`/`next` links, and Bundles whose entries carry their fullUrl.
 */
import type { Bundle, BundleLink, Resource } from "@medplum/fhirtypes";
import { instant } from "./resources";

/** A refused search parameter; the API answers it as a 400 OperationOutcome. */
export class SearchParamError extends Error {
  constructor(readonly param: string, message: string) {
    super(message);
    this.name = "SearchParamError";
  }
}

const PREFIXES = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"] as const;
type Prefix = (typeof PREFIXES)[number];
/** A FHIR date, dateTime or instant (a time needs its zone: a local time means nothing on a ledger). */
const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

/**
 * The instants [lower, upper) a FHIR date stands for, in Unix seconds: "2026" is the whole year,
 * "2026-05-01" the whole day (UTC), a date-time its second (or minute). Unix seconds are accepted
 * too, except four digits, which FHIR reads as a year.
 */
export function dateRange(param: string, text: string): { lower: number; upper: number } {
  // Four digits are a year (FHIR's "2026"); other runs of digits are Unix seconds.
  if (/^(0|[1-9]\d{0,11})$/.test(text) && text.length !== 4) return { lower: Number(text), upper: Number(text) + 1 };
  const m = FHIR_DATE.exec(text);
  const bad = () => new SearchParamError(param, `${param} must be a FHIR date (2026, 2026-05, 2026-05-01, 2026-05-01T12:00:00Z; a time needs its zone) or Unix seconds, optionally after a prefix (ge, gt, le, lt, eq, ne, sa, eb); got "${text.slice(0, 40)}"`);
  if (!m) throw bad();
  const [, y, mo, d, h, , s] = m;
  const utc = (yy: number, mm: number, dd: number) => Date.UTC(yy, mm - 1, dd) / 1000;
  let lower: number;
  let upper: number;
  if (h !== undefined) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw bad();
    lower = Math.floor(ms / 1000);
    upper = lower + (s === undefined ? 60 : 1);
  } else if (d !== undefined) [lower, upper] = [utc(+y, +mo, +d), utc(+y, +mo, +d + 1)];
  else if (mo !== undefined) [lower, upper] = [utc(+y, +mo, 1), utc(+y, +mo + 1, 1)];
  else [lower, upper] = [utc(+y, 1, 1), utc(+y + 1, 1, 1)];
  // Date.UTC rolls 2026-02-31 over into March: a date that does not exist is refused.
  if ((mo !== undefined && (+mo < 1 || +mo > 12)) || (d !== undefined && new Date(lower * 1000).getUTCDate() !== +d)) throw bad();
  return { lower, upper };
}

/** A date search parameter as a test on a time (Unix seconds): prefix and precision as FHIR defines them. */
export function dateFilter(param: string, value: string): (t: number) => boolean {
  const prefix = (PREFIXES as readonly string[]).includes(value.slice(0, 2)) ? (value.slice(0, 2) as Prefix) : "eq";
  const { lower, upper } = dateRange(param, prefix === "eq" && !value.startsWith("eq") ? value : value.slice(2));
  const tests: Record<Prefix, (t: number) => boolean> = {
    eq: (t) => t >= lower && t < upper,
    ne: (t) => t < lower || t >= upper,
    gt: (t) => t >= upper,
    sa: (t) => t >= upper,
    lt: (t) => t < lower,
    eb: (t) => t < lower,
    ge: (t) => t >= lower,
    le: (t) => t < upper,
  };
  return tests[prefix];
}

/** A result set to page through: each match with a stable key (its place in chain or id order). */
export interface Match { key: string; resource: () => Resource }

export interface Paging {
  /** The endpoint's base, e.g. https://host/fhir: fullUrls are `<base>/<type>/<id>`. */
  base: string;
  /** The request's own URL (absolute): the `self` link. */
  self: string;
  /** Matches per page. */
  count: number;
  /** Key of the last match of the previous page. */
  cursor?: string;
}

/** Builds the link to the page after `key`: the request's URL with its cursor and count replaced. */
export function pageLink(self: string, cursor: string, count: number): string {
  const u = new URL(self);
  u.searchParams.set("_cursor", cursor);
  u.searchParams.set("_count", String(count));
  return u.toString();
}

/**
 * One page of a search as a searchset Bundle: `total` counts every match, entries carry their
 * fullUrl, `self` is the request, and `next` (while more remain) continues after the last entry.
 */
export function pagedBundle(matches: readonly Match[], now: number, p: Paging): Bundle {
  const sorted = [...matches].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rest = p.cursor === undefined ? sorted : sorted.filter((m) => m.key > p.cursor!);
  const page = rest.slice(0, p.count);
  const link: BundleLink[] = [{ relation: "self", url: p.self }];
  if (rest.length > page.length && page.length) link.push({ relation: "next", url: pageLink(p.self, page.at(-1)!.key, p.count) });
  return searchBundle(page.map((m) => m.resource()), now, { base: p.base, link, total: matches.length });
}

/** A search result set (one page of it when `total` says there are more). */
export function searchBundle(resources: Resource[], now: number, o: { base?: string; link?: BundleLink[]; total?: number } = {}): Bundle {
  // FHIR JSON forbids empty arrays, so an empty result has no `entry` at all.
  const entry = resources.map((resource) => ({ ...(o.base && resource.id ? { fullUrl: `${o.base}/${resource.resourceType}/${resource.id}` } : {}), resource, search: { mode: "match" as const } }));
  return { resourceType: "Bundle", type: "searchset", timestamp: instant(now), total: o.total ?? resources.length, ...(o.link?.length ? { link: o.link } : {}), ...(entry.length ? { entry } : {}) };
}
