/** The revocation-impact report on a page: the subject's own (patient) or any subject's (oversight). */
import { h } from "preact";
import { api, apiAs } from "./api";
import { short } from "./format";
import { impactSentences, type ImpactNames, type RevocationRow } from "./impact-words";
import { Empty, Show, useLoad } from "./ui";
import { loadVersions, versionLabel } from "./versions";

/** Where a report comes from: its URL, the session to ask it under (a patient's pseudonym), and "at Hospital A" when there are several. */
export interface ImpactSource {
  url: string;
  session?: string;
  at?: string;
}

async function loadImpact(sources: ImpactSource[]): Promise<{ rows: (RevocationRow & { at?: string })[]; names: ImpactNames }> {
  const answers = await Promise.all(sources.map(async (s) => (await (s.session === undefined ? api<RevocationRow[]>(s.url) : apiAs<RevocationRow[]>(s.session, s.url))).map((r) => ({ ...r, at: s.at }))));
  const rows = answers.flat().sort((a, b) => a.revokedTime - b.revokedTime);
  const ids = [...new Set(rows.flatMap((r) => r.datasets.map((d) => d.datasetId)))];
  const [datasets, { versions, models }] = await Promise.all([Promise.all(ids.map((id) => api<{ datasetId: string; uri: string; custodianName: string | null }>(`/datasets/${id}`))), rows.some((r) => r.datasets.some((d) => d.versions.length)) ? loadVersions() : Promise.resolve({ versions: [], models: [] })]);
  const names: ImpactNames = {
    dataset: (id) => {
      const d = datasets.find((x) => x.datasetId.toLowerCase() === id.toLowerCase());
      return d ? `${d.uri || short(id)}${d.custodianName ? ` (held by ${d.custodianName})` : ""}` : short(id);
    },
    version: (id) => {
      const v = versions.find((x) => x.versionId.toLowerCase() === id.toLowerCase());
      return v ? versionLabel(v, models) : short(id);
    },
  };
  return { rows, names };
}

/** `changes` (a count of the patient's recorded switches) reloads the report when a switch recorded a new revocation. */
export function RevocationImpactView({ sources, you, changes = 0 }: { sources: ImpactSource[]; you: boolean; changes?: number }) {
  const it = useLoad(() => loadImpact(sources), `${sources.map((s) => s.url).join(" ")}#${changes}`);
  return Show({
    it,
    what: "the revocation impact",
    show: ({ rows, names }: Awaited<ReturnType<typeof loadImpact>>) =>
      rows.length === 0
        ? h(Empty, { children: you ? "You have revoked no data-use purpose, so no use of your data is related to a revocation." : "This subject has revoked no data-use purpose." })
        : h(
            "div",
            { "data-testid": "revocation-impact" },
            rows.map((r) => {
              const s = impactSentences(r, names, you);
              return h("article", { class: "impact" }, [
                h("h3", null, r.at ? `${s.heading.replace(/\.$/, "")} (${you ? "your" : "their"} record ${r.at}).` : s.heading),
                s.none ? h("p", null, s.none) : null,
                ...s.datasets.map((d) => h("div", { class: "impact-dataset" }, [h("p", null, d.includes), d.uses.length ? h("ul", null, d.uses.map((u) => h("li", null, u))) : h("p", { class: "muted" }, "No recorded use of it under this purpose.")])),
                s.unknown ? h("p", { class: "muted" }, s.unknown) : null,
              ]);
            }),
          ),
  });
}
