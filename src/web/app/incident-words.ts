/** Incidents in words for the appraiser's page (./incidents.ts). Pure. */
import { bps } from "./format";

/** Shares in basis points as an evidence pack holds them. */
export type Shares = { DEVELOPER: number; HOSPITAL: number; CLINICIAN: number };
/** Shares in basis points as the API's incident rows hold them. */
export type RowShares = { developer: number; hospital: number; clinician: number };

export interface Incident {
  incidentId: number;
  hospital: number;
  hospitalName: string | null;
  severityName: string;
  categoryName: string;
  findingName: string;
  occurredAt: number;
  receiptFiled: boolean;
  determination: { appraiser: number; appraiserName: string | null; determinedAt: number; shares: RowShares } | null;
}

/** "Developer 30% · hospital 10% · clinician 60%". */
export const splitText = (s: RowShares) => `Developer ${bps(s.developer)} · hospital ${bps(s.hospital)} · clinician ${bps(s.clinician)}`;
/** A pack's shares as a row's. */
export const rowShares = (s: Shares): RowShares => ({ developer: s.DEVELOPER, hospital: s.HOSPITAL, clinician: s.CLINICIAN });

/** Where an incident stands, in words. */
export function statusOf(i: Pick<Incident, "findingName" | "determination" | "receiptFiled">): string {
  if (i.determination) return "Determined";
  if (!i.findingName || i.findingName === "NONE") return "Awaiting the hospital's finding";
  return i.receiptFiled ? "Awaiting determination" : "Awaiting the trace's receipt";
}
