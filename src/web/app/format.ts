/** Numbers, dates and names for people. Pure. */

// To the second: chain times are block timestamps, and two events a page compares (a revocation and a
// training "before/after" it) or lists together are often in the same minute.
const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" });
const dateOnly = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });
const count = new Intl.NumberFormat("en-GB");
const pct = new Intl.NumberFormat("en-GB", { style: "percent", maximumFractionDigits: 1 });

const isTime = (n: number) => Number.isFinite(n) && n > 0 && n <= 253402300799;

/** Chain time (Unix seconds) as "29 Nov 2026, 21:37:05 UTC", always to the second; 0 or uint64 max as "never". */
export function when(seconds: number | string | null | undefined): string {
  const n = Number(seconds);
  return isTime(n) ? `${dateTime.format(new Date(n * 1000))} UTC` : "never";
}

/** Chain time as its UTC day, "29 Nov 2026" (where only the day matters: a consent's expiry); 0 or uint64 max as "never". */
export function whenDay(seconds: number | string | null | undefined): string {
  const n = Number(seconds);
  return isTime(n) ? dateOnly.format(new Date(n * 1000)) : "never";
}

const dayMonth = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });

/**
 * A chart's time tick in UTC, 24-hour, as fine as the chart's span needs: "29 Nov" over two days or
 * more, "21:37" over two minutes or more, else "21:37:05". Never the browser's zone or a 12-hour clock.
 */
export function utcTick(seconds: number, span: number): string {
  const d = new Date(seconds * 1000);
  if (span >= 2 * 86400) return dayMonth.format(d);
  const hms = d.toISOString().slice(11, 19);
  return span >= 120 ? hms.slice(0, 5) : hms;
}

export function day(seconds: number): string {
  return dateOnly.format(new Date(seconds * 1000));
}

export const thousands = (n: number | string) => count.format(Number(n));
/** A share 0..1 as "12.5%". */
export const percent = (share: number) => pct.format(share);
/** Basis points as "88%". */
export const bps = (b: number | string) => pct.format(Number(b) / 10_000);

/** "MODEL_TRAINING" → "Model training". */
export function words(name: string | null | undefined): string {
  if (!name) return "";
  const s = name.toLowerCase().replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** 0x1234…abcd */
export const short = (hex: string) => (hex.length > 14 ? `${hex.slice(0, 6)}…${hex.slice(-4)}` : hex);

/** Receipts' verdicts as CSV: one row per record, the reasons' codes and messages quoted. */
export function verdictCsv(rows: { file: string; traceId: string; valid: boolean; reasons: { code: string; message: string }[] }[]): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const lines = rows.map((r) => [q(r.file), q(r.traceId), r.valid ? "VALID" : "INVALID", q(r.reasons.map((x) => x.code).join(" ")), q(r.reasons.map((x) => x.message).join("; "))].join(","));
  return ["file,traceId,verdict,reasons,messages", ...lines].join("\n") + "\n";
}

/**
 * A hospital's name for a person: the member's registered name; a neutral placeholder while the
 * names are loading, so an id never shows as a name; "organisation N" only when the names could not
 * be read or the id is no member's.
 */
export function hospitalName(id: number | undefined, members: { orgId: number; name: string }[] | undefined, failed: boolean): { text: string; loading: boolean } {
  if (id === undefined) return { text: "", loading: false };
  if (members === undefined && !failed) return { text: "name loading…", loading: true };
  return { text: members?.find((m) => m.orgId === id)?.name ?? `organisation ${id}`, loading: false };
}
