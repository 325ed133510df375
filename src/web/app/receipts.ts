/** Receipt files → receipts, and receipts → time buckets for the charts. Pure. */

export interface Receipt {
  record?: { traceId?: string; hospital?: number; modelVersion?: string; time?: number | string };
  [k: string]: unknown;
}

export interface Loaded {
  file: string;
  receipt?: Receipt;
  /** Why the file gave no receipt (not JSON). */
  unreadable?: string;
}

/** A file holds one receipt, an array of them, or `{receipts: [...]}`. */
export function receiptsOf(file: string, text: string): Loaded[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return [{ file, unreadable: "the file is not JSON" }];
  }
  const list = Array.isArray(json) ? json : Array.isArray((json as { receipts?: unknown })?.receipts) ? (json as { receipts: unknown[] }).receipts : [json];
  return list.map((r, i) => ({ file: list.length > 1 ? `${file} #${i + 1}` : file, receipt: r as Receipt }));
}

/** Up to `n` equal time buckets over the receipts' record times (one when they share a time). */
export function buckets<T extends { time: number }>(items: T[], n: number): { from: number; to: number; items: T[] }[] {
  if (items.length === 0) return [];
  const times = items.map((i) => i.time);
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const count = hi === lo ? 1 : Math.min(n, items.length);
  const width = (hi - lo) / count || 1;
  const out = Array.from({ length: count }, (_, k) => ({ from: Math.floor(lo + k * width), to: Math.floor(lo + (k + 1) * width), items: [] as T[] }));
  for (const it of items) out[Math.min(count - 1, Math.floor((it.time - lo) / width))].items.push(it);
  return out.filter((b) => b.items.length > 0);
}
