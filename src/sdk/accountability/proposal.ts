/**
 * The proposed liability split of an incident, from duty facts (issue 18); pure, no chain.
 *
 * The paper's presumption of fault (过错推定): each party proves its own compliance, and a party
 * that proves every one of its duties is presumed not at fault. So: start from the governed weighting
 * of the incident's case (IncidentRegistry.weighting, default spec.ts DEFAULT_WEIGHTING), drop every
 * party that proved all its duties, and renormalise the rest to 10,000 bps. When every party proved
 * every duty nobody is dropped (the weighting stands: the facts single no one out); when the parties
 * left all have weight 0 (say, only the hospital failed a duty and the weighting gives it nothing),
 * they share equally. The answer is a PROPOSAL: only an APPRAISER member's determination is final.
 */
import { LIABILITY_DUTIES, LIABILITY_PARTIES, NUMBERS, type LiabilityCaseName, type LiabilityPartyName } from "../../constants";

export type Party = LiabilityPartyName;
export type DutyOf<P extends Party> = (typeof LIABILITY_DUTIES)[P][number];
/** Shares in basis points per party. */
export type Split = Record<Party, number>;

export interface ProposalInput {
  liabilityCase: Exclude<LiabilityCaseName, "NONE">;
  /** The duties each party proved met (anything else counts as not proved). */
  proved: { [P in Party]: readonly DutyOf<P>[] };
  /** The weighting of the case (on-chain IncidentRegistry.weighting); must sum to 10,000. */
  weighting: Split;
}

export interface Proposal {
  label: "PROPOSAL";
  liabilityCase: ProposalInput["liabilityCase"];
  shares: Split;
  /** Parties that proved every duty and were dropped (empty when all did: then nobody is). */
  presumedNotAtFault: Party[];
  /** Each party's duties not proved met. */
  unproved: { [P in Party]: DutyOf<P>[] };
  weighting: Split;
}

/** The proposed split; throws RangeError for a weighting that is not whole bps summing to 10,000. */
export function proposeSplit(input: ProposalInput): Proposal {
  const w = input.weighting;
  const total = LIABILITY_PARTIES.reduce((s, p) => s + w[p], 0);
  if (LIABILITY_PARTIES.some((p) => !Number.isInteger(w[p]) || w[p] < 0) || total !== NUMBERS.BPS) {
    throw new RangeError(`a weighting is whole bps per party summing to ${NUMBERS.BPS}, got ${JSON.stringify(w)}`);
  }
  const unproved = Object.fromEntries(
    LIABILITY_PARTIES.map((p) => [p, (LIABILITY_DUTIES[p] as readonly string[]).filter((d) => !(input.proved[p] as readonly string[]).includes(d))]),
  ) as Proposal["unproved"];
  const cleared = LIABILITY_PARTIES.filter((p) => unproved[p].length === 0);
  const atFault = cleared.length === LIABILITY_PARTIES.length ? [...LIABILITY_PARTIES] : LIABILITY_PARTIES.filter((p) => !cleared.includes(p));
  const base = atFault.map((p) => w[p]);
  const weights = base.some((x) => x > 0) ? base : base.map(() => 1);
  const parts = apportion(weights, NUMBERS.BPS);
  const shares = Object.fromEntries(LIABILITY_PARTIES.map((p) => [p, 0])) as Split;
  atFault.forEach((p, i) => (shares[p] = parts[i]));
  return {
    label: "PROPOSAL",
    liabilityCase: input.liabilityCase,
    shares,
    presumedNotAtFault: atFault.length === LIABILITY_PARTIES.length ? [] : cleared,
    unproved,
    weighting: { ...w },
  };
}

/**
 * Splits `total` in proportion to `weights` (not all zero) into whole numbers that sum to `total`:
 * floors first, then the largest remainders (earlier first on ties) get one more.
 */
export function apportion(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((x) => (x * total) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left === 0) break;
    out[i]++;
    left--;
  }
  return out;
}
