/**
 * Whom an auditor asks about in the revocation-impact box: an address as typed, or (on the demo) a
 * patient by what the sign-in picker takes — number, name, MRN or address prefix — as the subject
 * address they have at one hospital, or at every hospital (docs/pseudonyms.md: one pseudonym per
 * hospital, derived from the patient's secret as the patient's own page derives them). Pure.
 */
import { isAddress } from "ethers";
import type { DemoIdentity } from "../../demo/identity";
import { derivePseudonyms } from "../../sdk/pseudonyms";
import { findDemoPatient } from "./demo-patients";
import { short } from "./format";

export interface Hospital {
  id: number;
  name: string;
}

/** The subject addresses to report on, each with the hospital it is the patient's pseudonym at (none for an address as typed), and who they are in words. */
export type Subject = { ok: true; who: string; addresses: { address: string; hospital?: Hospital }[] } | { ok: false; why: string };

const ADDRESS_WORDS = "an address (0x and 40 hex digits)";

/**
 * `query` as subjects: a whole address is itself; otherwise the demo patient it names, at hospital
 * `at` (an organisation id) or, without `at`, at every one of `hospitals`. A patient without a
 * secret has only their one address. Anything else is refused in words.
 */
export function resolveSubject(query: string, patients: DemoIdentity[] | undefined, hospitals: Hospital[], at?: number): Subject {
  const q = query.trim();
  if (!q) return { ok: false, why: patients ? `Type ${ADDRESS_WORDS}, or a demo patient's number, name or MRN.` : `Type ${ADDRESS_WORDS}.` };
  if (isAddress(q)) return { ok: true, who: short(q), addresses: [{ address: q }] };
  const p = patients ? findDemoPatient(patients, q) : undefined;
  if (!p) return { ok: false, why: patients ? `No demo patient is “${q}”, and it is not ${ADDRESS_WORDS}.` : `“${q}” is not ${ADDRESS_WORDS}; names and MRNs are known only on the local demo.` };
  const who = `${p.name}${p.mrn ? ` (${p.mrn})` : ""}`;
  if (!p.secret) return { ok: true, who, addresses: [{ address: p.address }] };
  const chosen = at === undefined ? hospitals : hospitals.filter((x) => x.id === at);
  if (chosen.length === 0) return { ok: false, why: `Organisation ${at} is not a hospital of the consortium.` };
  const derived = derivePseudonyms(p.secret, chosen.map((x) => x.id));
  return { ok: true, who: at === undefined ? `${who} at every hospital` : `${who} at ${chosen[0].name}`, addresses: derived.map((d, i) => ({ address: d.address, hospital: chosen[i] })) };
}
