/**
 * A patient's pseudonyms in the browser (docs/pseudonyms.md): one subject address per hospital,
 * derived from their one secret as the CLI derives them (src/sdk/pseudonyms.ts), each signed in to
 * the API as itself (the API keeps its rules per address), and their rows joined for the patient's
 * own view. Without a secret (a wallet), the signed-in address is the only one.
 */
import { Wallet, type Signer } from "ethers";
import { derivePseudonyms, joinPseudonymViews, type HospitalRef } from "../../sdk/pseudonyms";
import { api, apiAs, currentSession, type Member, type WebConfig } from "./api";
import { sessionFor, type Me } from "./session";

export interface Alias {
  /** The hospital this pseudonym is for; null for an address not derived from a secret. */
  hospital: HospitalRef | null;
  address: string;
  signer: Signer;
  /** Its API session (the tab's own for the signed-in address). */
  session: string | undefined;
  /** The address the page signed in with. */
  self: boolean;
}

/** Every pseudonym of the signed-in patient at the consortium's hospitals (admitted ever, by id), each with a session. */
export async function loadAliases(me: Me, config: WebConfig): Promise<Alias[]> {
  const self: Alias = { hospital: null, address: me.address, signer: me.signer, session: currentSession(), self: true };
  if (!me.secret) return [self];
  const hospitals = (await api<Member[]>("/members")).filter((m) => m.roleName === "HOSPITAL").sort((a, b) => a.orgId - b.orgId);
  const derived = derivePseudonyms(me.secret, hospitals.map((h) => h.orgId));
  const aliases = await Promise.all(
    derived.map(async (p, i): Promise<Alias> => {
      const hospital = { id: hospitals[i].orgId, name: hospitals[i].name };
      if (p.address.toLowerCase() === me.address.toLowerCase()) return { ...self, hospital };
      const signer = new Wallet(p.privateKey);
      return { hospital, address: p.address, signer, session: (await sessionFor(config, signer)).session, self: false };
    }),
  );
  // A secret that does not derive the signed-in address still shows that address.
  return aliases.some((a) => a.self) ? aliases : [self, ...aliases];
}

/** "at Hospital A" for a pseudonym, or "" when there is only the one address. */
export const atWords = (a: Alias) => (a.hospital ? `at ${a.hospital.name}` : "");

/** One GET per alias under its own session, joined: each row with its hospital and pseudonym, in `order`. */
export async function joined<T extends object>(aliases: readonly Alias[], path: (a: Alias) => string, order: (a: T, b: T) => number) {
  const views = await Promise.all(aliases.map(async (a) => ({ hospital: a.hospital ?? { id: 0, name: "" }, address: a.address, rows: await apiAs<T[]>(a.session, path(a)) })));
  return joinPseudonymViews(views, order);
}
