/** Model versions: a timeline of one version, and the reach of recalled versions. */
import { h } from "preact";
import { useState } from "preact/hooks";
import { api } from "./api";
import { short, thousands, when, words } from "./format";
import { Empty, Show, Table, useLoad } from "./ui";

export interface Version {
  versionId: string;
  modelId: string;
  statusName: string;
  developerName: string | null;
  filingCode: string;
  registeredTime: number;
  riskClassName: string;
  evaluation: { aucPercent: number; sensitivityPercent: number; specificityPercent: number; subgroupAucGapPercent: number; grassrootsSharePercent: number; biasTestCases: string };
}
export interface Model {
  modelId: string;
  name: string;
  riskClassName: string;
}

export const versionLabel = (v: Version, models: Model[]) => `${models.find((m) => m.modelId === v.modelId)?.name ?? "model"} ${short(v.versionId)}`;

export async function loadVersions(): Promise<{ versions: Version[]; models: Model[] }> {
  const [{ versions }, models] = await Promise.all([api<{ versions: Version[] }>("/versions?limit=1000"), api<Model[]>("/models")]);
  return { versions, models };
}

interface Event {
  time: number;
  what: string;
}

async function timeline(id: string): Promise<Event[]> {
  const [v, reports, alerts, deployments] = await Promise.all([
    api<{ version: Version; history: { statusName: string; previousName: string; actorName: string | null; reason: string; time: number }[] }>(`/versions/${id}`),
    api<{ hospitalName: string | null; cases: string; aucPercent: number; periodStart: string; periodEnd: string; time: number }[]>(`/versions/${id}/reports`),
    api<{ kind: string; hospitalName: string | null; gapPercent: number; limitPercent: number; aucPercent: number; minAucPercent: number; time: number }[]>(`/versions/${id}/alerts`),
    api<{ hospitalName: string | null; time: number }[]>(`/versions/${id}/deployments`),
  ]);
  const events: Event[] = [{ time: v.version.registeredTime, what: `Submitted by ${v.version.developerName ?? "its developer"}` }];
  for (const c of v.history) {
    if (c.statusName === "SUBMITTED") continue;
    const filing = c.statusName === "APPROVED" && v.version.filingCode ? ` (filing code ${v.version.filingCode})` : "";
    events.push({ time: c.time, what: `${words(c.statusName)} by ${c.actorName ?? "?"}${filing}${c.reason ? `: ${/^0x[0-9a-fA-F]{64}$/.test(c.reason) ? `reason document ${short(c.reason)}` : c.reason}` : ""}` });
  }
  for (const d of deployments) events.push({ time: d.time, what: `Deployed at ${d.hospitalName ?? "?"}` });
  for (const r of reports) events.push({ time: r.time, what: `Post-market report from ${r.hospitalName ?? "?"}: ${thousands(r.cases)} cases, AUC ${r.aucPercent}%` });
  for (const a of alerts) events.push({ time: a.time, what: a.kind === "FAIRNESS" ? `Fairness alert from ${a.hospitalName ?? "?"}: subgroup AUC gap ${a.gapPercent}% over the limit of ${a.limitPercent}%` : `Performance alert from ${a.hospitalName ?? "?"}: AUC ${a.aucPercent}% under the minimum of ${a.minAucPercent}%` });
  return events.sort((a, b) => a.time - b.time);
}

const STATUS_ORDER = ["SUBMITTED", "APPROVED", "SUSPENDED", "RECALLED"];

/** Versions grouped by status (submitted, approved, suspended, recalled, then any other), each group in list order. */
function byStatus(versions: Version[]): [string, Version[]][] {
  const rank = (s: string) => (STATUS_ORDER.includes(s) ? STATUS_ORDER.indexOf(s) : STATUS_ORDER.length);
  const statuses = [...new Set(versions.map((v) => v.statusName))].sort((a, b) => rank(a) - rank(b));
  return statuses.map((s) => [s, versions.filter((v) => v.statusName === s)]);
}

export function VersionTimeline() {
  const list = useLoad(loadVersions, "versions");
  const [id, setId] = useState("");
  const events = useLoad(() => (id ? timeline(id) : Promise.resolve([])), id);
  return Show({
    it: list,
    what: "model versions",
    show: ({ versions, models }: { versions: Version[]; models: Model[] }) => {
      const chosen = versions.find((v) => v.versionId === id);
      return h("div", null, [
        // A phone's select shows one line and cuts what does not fit: the label sits above it, the
        // select takes the card's width, and the chosen version is said again below in full.
        h("div", { class: "pick" }, [
          h("label", { for: "version-pick" }, "Model version"),
          h("select", { id: "version-pick", value: id, onChange: (e: Event & { target: HTMLSelectElement }) => setId(e.target.value) }, [
            h("option", { value: "" }, "Choose a version…"),
            // Grouped by status, so each option is only the version's short name and fits a phone's width.
            ...byStatus(versions).map(([status, vs]) => h("optgroup", { label: words(status) }, vs.map((v) => h("option", { value: v.versionId }, versionLabel(v, models))))),
          ]),
          chosen ? h("p", { class: "muted", "data-testid": "version-chosen" }, `${versionLabel(chosen, models)}, ${words(chosen.statusName).toLowerCase()}, submitted by ${chosen.developerName ?? "its developer"} on ${when(chosen.registeredTime)}.`) : null,
        ]),
        id
          ? Show({
              it: events,
              what: "the timeline",
              show: (evs: Event[]) => h("ol", { class: "timeline" }, evs.map((e) => h("li", null, h("time", null, when(e.time)), h("span", null, e.what)))),
            })
          : null,
      ]);
    },
  });
}

interface Impact {
  versionId: string;
  batches: number;
  traces: number;
  hospitals: { hospitalName: string | null; batches: number; traces: number }[];
}

export function RecallImpact() {
  const it = useLoad(async () => {
    const { versions, models } = await loadVersions();
    const recalled = versions.filter((v) => v.statusName === "RECALLED");
    return Promise.all(recalled.map(async (v) => ({ label: versionLabel(v, models), impact: await api<Impact>(`/reports/recall-impact/${v.versionId}`) })));
  }, "recalls");
  return Show({
    it,
    what: "recalls",
    show: (rows: { label: string; impact: Impact }[]) =>
      rows.length === 0
        ? h(Empty, { children: "No version has been recalled." })
        : rows.map((r) =>
            h("div", null, [
              h("p", null, `${r.label} was recalled; it had been used in ${thousands(r.impact.traces)} anchored decision${r.impact.traces === 1 ? "" : "s"} in ${thousands(r.impact.batches)} batch${r.impact.batches === 1 ? "" : "es"}.`),
              Table({ caption: `Where ${r.label} was used`, head: ["Hospital", "Batches", "Decisions"], rows: r.impact.hospitals.map((x) => [x.hospitalName ?? "?", thousands(x.batches), thousands(x.traces)]) }),
            ]),
          ),
  });
}

