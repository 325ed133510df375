/**
 * The trace receipts hospitals filed for their incidents (POST /incidents/:id/receipt), kept by this
 * API off-chain. The chain holds no subject for an incident on purpose — a pseudonym linked to an
 * adverse event on-chain would leak it to every member — so the receipt is how the API learns whose
 * incident it is (record.subject), and so which patient may read it.
 *
 * Not the index: `medprov index --rebuild` deletes the index and rebuilds it from the chain, but no
 * chain holds these. One file per incident (`<id>.json`), written aside, fsync'd and linked into
 * place before put() resolves (src/core/durable-file.ts): an acknowledged filing survives a kill or a
 * power cut, and a second, different receipt for the same incident can never replace the first.
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { MedprovError, writeFileDurably } from "../core";
import { RECEIPT_FIELDS, parseReceipt, type TraceReceipt } from "../sdk";

/** Where a service whose index lives at `db` keeps its incident receipts: beside the index, never inside it. */
export const incidentReceiptsDir = (db: string) => join(dirname(resolve(db)), "incident-receipts");

/** The receipt in one spelling (fields in receipt order, hex lower-case), so that the same receipt compares equal however it was sent. */
const canonical = (r: TraceReceipt) => {
  const lower = (v: unknown): unknown => (typeof v === "string" && /^0x[0-9a-fA-F]+$/.test(v) ? v.toLowerCase() : Array.isArray(v) ? v.map(lower) : v);
  const record: Record<string, unknown> = { ...r.record };
  return JSON.stringify([RECEIPT_FIELDS.map((k) => (k === "record" ? r.fields.map((f) => lower(record[f])) : lower(r[k])))]);
};

export class IncidentReceipts {
  /** Receipts read so far, by incident id (files are only ever added, never changed). */
  private readonly cache = new Map<number, TraceReceipt>();
  private loaded = false;

  constructor(readonly dir: string) {}

  private file(incidentId: number): string {
    if (!Number.isSafeInteger(incidentId) || incidentId < 1) throw new MedprovError("INCIDENT_UNKNOWN", `incident ids are whole numbers from 1, got ${incidentId}`);
    return join(this.dir, `${incidentId}.json`);
  }

  /**
   * Keeps `receipt` as incident `incidentId`'s, durably, before resolving. The same receipt again is
   * a no-op; a different one for an incident that has one is refused (INCIDENT_RECEIPT_CONFLICT).
   * The caller checks the receipt is the incident's (the route compares it with the chain).
   */
  async put(incidentId: number, receipt: TraceReceipt): Promise<void> {
    const path = this.file(incidentId);
    const text = canonical(receipt);
    const existing = await this.get(incidentId);
    if (!existing) {
      try {
        // Kept as filed (a receipt is verified as its issuer wrote it); compared in the canonical spelling.
        writeFileDurably(path, JSON.stringify(receipt, null, 2) + "\n", { exclusive: true });
        this.cache.set(incidentId, parseReceipt(JSON.parse(JSON.stringify(receipt))));
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    // Filed before (or by a writer racing this one): the same receipt is fine, another is not.
    const kept = existing ?? (await this.get(incidentId))!;
    if (canonical(kept) !== text) {
      throw new MedprovError("INCIDENT_RECEIPT_CONFLICT", `incident ${incidentId} already has a different receipt on file (batch ${kept.batchId}, sequence ${kept.record.seq}); one incident, one trace`);
    }
  }

  /** The receipt filed for an incident, or undefined. */
  async get(incidentId: number): Promise<TraceReceipt | undefined> {
    const cached = this.cache.get(incidentId);
    if (cached) return cached;
    let text: string;
    try {
      text = readFileSync(this.file(incidentId), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    const r = parseReceipt(JSON.parse(text));
    this.cache.set(incidentId, r);
    return r;
  }

  /** Every filed receipt's incident id and record subject (lower-case), for scoping a patient's reads. */
  async subjects(): Promise<Map<number, string>> {
    if (!this.loaded) {
      let names: string[] = [];
      try {
        names = readdirSync(this.dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
      for (const name of names) {
        const m = /^([1-9][0-9]*)\.json$/.exec(name);
        if (m) await this.get(Number(m[1]));
      }
      this.loaded = true;
    }
    return new Map([...this.cache].map(([id, r]) => [id, String(r.record.subject).toLowerCase()]));
  }
}
