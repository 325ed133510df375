/** Incidents in words for the appraiser's page (./incidents.ts). Pure. */
import { DEFAULT_WEIGHTING } from "../../constants";
import { list } from "./dataset-words";
import { bps, thousands, words } from "./format";

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

type Party = keyof Shares;
const PARTIES: Party[] = ["DEVELOPER", "HOSPITAL", "CLINICIAN"];

/** What the page reads of an evidence pack's parties (docs/evidence.md): each duty met or not as of the decision. */
export type PackParties = Record<Party, { duties: Record<string, { met: boolean }>; allMet: boolean }>;
/** What the page reads of a pack's proposal (proposeSplit's answer). */
export interface PackProposal {
  shares: Shares;
  presumedNotAtFault: Party[];
  unproved: Record<Party, string[]>;
  weighting: Shares;
}

/** Each party's duties in the pack's order, met or not, with its proposed share (when there is a proposal). */
export function dutyRows(parties: PackParties, shares?: Shares): { party: string; share?: number; allMet: boolean; duties: { duty: string; met: boolean }[] }[] {
  return PARTIES.map((p) => ({ party: words(p), share: shares?.[p], allMet: parties[p].allMet, duties: Object.entries(parties[p].duties).map(([duty, d]) => ({ duty: words(duty), met: d.met })) }));
}

const CASES: Record<string, string> = { ADOPTED_WRONG: "a wrong suggestion adopted", REJECTED_CORRECT: "a correct suggestion overridden" };
const the = (p: Party) => `the ${p.toLowerCase()}`;
const weightingText = (w: Shares) => PARTIES.map((p) => `${p.toLowerCase()} ${bps(w[p])}`).join(", ");
const isDefault = (liabilityCase: string, w: Shares) => {
  const d = (DEFAULT_WEIGHTING as Record<string, { developer: number; hospital: number; clinician: number } | undefined>)[liabilityCase];
  return d !== undefined && d.developer === w.DEVELOPER && d.hospital === w.HOSPITAL && d.clinician === w.CLINICIAN;
};

/**
 * Why medprov proposes this split, in one sentence, as proposeSplit (src/sdk/accountability/proposal.ts)
 * computes it: start from the ledger's weighting of the case, drop each party that proved every duty
 * (presumed not at fault), renormalise the rest; when every party proved every duty the weighting
 * stands; when the parties left all weigh 0 they share equally. So a party that failed a duty can
 * still get 0%: the case's weighting gives it nothing (the default gives hospitals 0% in both cases).
 */
export function splitWhy(liabilityCase: string, p: PackProposal): string {
  const w = p.weighting;
  const start = `The ledger's weighting for ${CASES[liabilityCase] ?? words(liabilityCase).toLowerCase()} is ${weightingText(w)}${isDefault(liabilityCase, w) ? " (the default)" : ""}`;
  if (PARTIES.every((x) => p.unproved[x].length === 0)) return `${start}; every party proved every duty, so nobody is singled out and the weighting stands.`;
  const cleared = p.presumedNotAtFault;
  const left = PARTIES.filter((x) => !cleared.includes(x));
  const parts = [start];
  if (cleared.length) parts.push(`${list(cleared.map(the))} proved every duty, so ${cleared.length === 1 ? "it is" : "they are"} presumed not at fault`);
  const weighed = left.filter((x) => w[x] > 0);
  const zero = left.filter((x) => w[x] === 0);
  if (weighed.length === 0) return `${parts.join("; ")}; ${list(left.map(the))} did not prove every duty and the weighting gives ${left.length === 1 ? "it" : "them all"} 0%, so ${left.length === 1 ? "it bears it all" : "they share it equally"}.`;
  if (zero.length) parts.push(`${list(zero.map(the))} did not prove every duty, but the weighting gives ${zero.length === 1 ? "it" : "them"} 0%`);
  parts.push(weighed.length === 1 ? `so ${the(weighed[0])} bears it all` : `so ${list(weighed.map(the))} share it in the weighting's proportions`);
  return `${parts.join("; ")}.`;
}

/**
 * One page of a list of `total` items, `size` a page: the page (clamped into range), how many pages,
 * the items' indexes [from, to), and "Incidents 21–40 of 312" for people.
 */
export function pageOf(total: number, page: number, size: number): { page: number; pages: number; from: number; to: number; words: string } {
  const pages = Math.max(1, Math.ceil(total / size));
  const p = Math.min(Math.max(0, Math.floor(page)), pages - 1);
  const from = p * size;
  const to = Math.min(total, from + size);
  return { page: p, pages, from, to, words: total === 0 ? "No incidents" : `Incidents ${thousands(from + 1)}–${thousands(to)} of ${thousands(total)}` };
}
