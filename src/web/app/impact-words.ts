/**
 * The revocation-impact report (GET /consents/:subject/revocation-impact, /reports/revocation-impact)
 * in plain sentences, for the patient ("you") or an auditor ("the subject"). Pure.
 */
import { when, words } from "./format";

export interface ImpactUse {
  orgName: string | null;
  purposeName: string;
  time: number;
  relation: string;
}
export interface ImpactVersion {
  versionId: string;
  developerName: string | null;
  registered: string;
  registeredTime: number;
}
export interface RevocationRow {
  purposeName: string;
  granteeName: string | null;
  revokedTime: number;
  datasets: { datasetId: string; versions: ImpactVersion[]; uses: ImpactUse[] }[];
  datasetsWithoutManifest: string[];
}

/** How a dataset and a version are called for a person (uri and custodian; model name and short id). */
export interface ImpactNames {
  dataset: (id: string) => string;
  version: (id: string) => string;
}

/** When a use happened relative to the revocation, as docs/reports.md defines each relation. */
export function relationWords(relation: string, you: boolean): string {
  const rev = you ? "your revocation" : "the revocation";
  switch (relation) {
    case "BEFORE_REVOCATION": return `before ${rev}`;
    case "AT_REVOCATION_TIME": return `in the same second as ${rev} (the chain cannot tell which came first)`;
    case "CONSENTED_AT_USE": return `after ${rev}, while another consent ${you ? "of yours" : "of theirs"} still allowed it`;
    case "AFTER_REVOCATION": return `after ${rev}, without consent — auditors and regulators see this as a finding`;
    default: return words(relation).toLowerCase();
  }
}

export interface ImpactSentences {
  heading: string;
  datasets: { includes: string; uses: string[] }[];
  none?: string;
  unknown?: string;
}

/** One revocation in sentences: what it covered, each dataset that includes the subject, and each use of it. */
export function impactSentences(r: RevocationRow, names: ImpactNames, you: boolean): ImpactSentences {
  const who = you ? "You" : "The subject";
  const them = you ? "your" : "their";
  const grantee = r.granteeName ?? "any member";
  return {
    heading: `${who} revoked ${words(r.purposeName).toLowerCase()} by ${grantee} on ${when(r.revokedTime)}.`,
    datasets: r.datasets.map((d) => ({
      includes: `Dataset ${names.dataset(d.datasetId)} includes ${them} data.`,
      uses: [
        ...d.versions.map((v) => `Model version ${names.version(v.versionId)} was trained on it by ${v.developerName ?? "its developer"} on ${when(v.registeredTime)}, ${relationWords(v.registered, you)}.`),
        ...d.uses.map((u) => `${u.orgName ?? "A member"} used it for ${words(u.purposeName).toLowerCase()} on ${when(u.time)}, ${relationWords(u.relation, you)}.`),
      ],
    })),
    none: r.datasets.length === 0 ? `No disclosed dataset includes ${them} data.` : undefined,
    unknown: r.datasetsWithoutManifest.length ? `${r.datasetsWithoutManifest.length} dataset${r.datasetsWithoutManifest.length === 1 ? " allows" : "s allow"} this purpose without disclosing who is in ${r.datasetsWithoutManifest.length === 1 ? "it" : "them"}, so whether ${you ? "you are" : "the subject is"} in ${r.datasetsWithoutManifest.length === 1 ? "it" : "them"} is unknown.` : undefined,
  };
}
