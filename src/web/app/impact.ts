/** The revocation-impact report on a page: the subject's own (patient) or any subject's (oversight). */
import { h } from "preact";
import { api } from "./api";
import { short } from "./format";
import { impactSentences, type ImpactNames, type RevocationRow } from "./impact-words";
import { Empty, Show, useLoad } from "./ui";
import { loadVersions, versionLabel } from "./versions";

async function loadImpact(url: string): Promise<{ rows: RevocationRow[]; names: ImpactNames }> {
  const rows = await api<RevocationRow[]>(url);
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

/** `changes` (the patient's history length) reloads the report when a switch recorded a new revocation. */
export function RevocationImpactView({ url, you, changes = 0 }: { url: string; you: boolean; changes?: number }) {
  const it = useLoad(() => loadImpact(url), `${url}#${changes}`);
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
                h("h3", null, s.heading),
                s.none ? h("p", null, s.none) : null,
                ...s.datasets.map((d) => h("div", { class: "impact-dataset" }, [h("p", null, d.includes), d.uses.length ? h("ul", null, d.uses.map((u) => h("li", null, u))) : h("p", { class: "muted" }, "No recorded use of it under this purpose.")])),
                s.unknown ? h("p", { class: "muted" }, s.unknown) : null,
              ]);
            }),
          ),
  });
}
