/**
 * GET /consents/:subject/datasets in plain sentences for the patient: each dataset that includes
 * them, who holds it and for what, the consents it relied on, the model versions trained on it and
 * its recorded uses. Pure.
 */
import { short, when, words } from "./format";

export interface SubjectDataset {
  datasetId: string;
  uri: string;
  custodianName: string | null;
  statusName: string;
  allowedPurposesNames: string[];
  registeredTime: number;
  consents: { purposeName: string; granteeName: string | null; heldAtRegistration: boolean; heldNow: boolean }[];
  versions: { versionId: string; modelName: string; developerName: string | null; statusName: string; registeredTime: number; consented: boolean }[];
  uses: { orgName: string | null; purposeName: string; time: number; consented: boolean }[];
}

export interface SubjectDatasets {
  datasets: SubjectDataset[];
  datasetsWithoutManifest: string[];
}

const purpose = (name: string) => words(name).toLowerCase();

/** "a, b and c". */
export function list(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** The consent a dataset relied on for one purpose, and whether it holds now. */
function consentSentence(c: SubjectDataset["consents"][number], custodian: string): string {
  const what = `${purpose(c.purposeName)} by ${c.granteeName ?? "any member"}`;
  if (c.heldAtRegistration) return `For ${purpose(c.purposeName)} it relied on your consent to ${what}; ${c.heldNow ? "you still give it" : "you no longer give it, so no new use for this purpose is allowed"}.`;
  return `For ${purpose(c.purposeName)} no consent of yours covered ${custodian} when it registered the dataset${c.heldNow ? "; you give one now" : ", and none does now: it may not use your data for this purpose"}.`;
}

/**
 * One dataset in sentences: `heading` (what it is and who holds it), `facts` (what it may be used
 * for and the consents it relied on), `uses` (each version trained on it and each recorded use, with
 * whether your consent covered it then). `at` names the pseudonym's hospital when there are several.
 */
export function datasetSentences(d: SubjectDataset, at?: string): { heading: string; facts: string[]; uses: string[] } {
  const custodian = d.custodianName ?? "its custodian";
  const status = d.statusName === "ACTIVE" ? "" : ` It is now ${words(d.statusName).toLowerCase()}.`;
  return {
    heading: `${d.uri || short(d.datasetId)}, held by ${custodian}`,
    facts: [
      `${custodian} disclosed that this dataset includes your data${at ? ` (your record ${at})` : ""}. It registered it on ${when(d.registeredTime)} for ${list(d.allowedPurposesNames.map(purpose))}.${status}`,
      ...d.consents.map((c) => consentSentence(c, custodian)),
    ],
    uses: [
      ...d.versions.map((v) => `Model version ${v.modelName || "?"} ${short(v.versionId)}, now ${words(v.statusName).toLowerCase()}, was trained on it by ${v.developerName ?? "its developer"} on ${when(v.registeredTime)}, ${v.consented ? "while your consent to model training covered it" : `when no consent of yours to model training covered ${v.developerName ?? "it"}`}.`),
      ...d.uses.map((u) => `${u.orgName ?? "A member"} used it for ${purpose(u.purposeName)} on ${when(u.time)}, ${u.consented ? "with your consent" : `when no consent of yours to ${purpose(u.purposeName)} covered ${u.orgName ?? "it"}`}.`),
    ],
  };
}

/** The datasets whose membership nobody disclosed, in words (or undefined when every dataset has a manifest). */
export function unknownSentence(n: number): string | undefined {
  if (n === 0) return undefined;
  return `${n} dataset${n === 1 ? " does" : "s do"} not disclose who is in ${n === 1 ? "it" : "them"}, so whether your data is in ${n === 1 ? "it" : "them"} is unknown.`;
}
