/** The hospital's and the regulator's pages. */
import { h } from "preact";
import { api } from "./api";
import { day, short, thousands, when, words } from "./format";
import { Empty, LineChart, Section, Show, Table, useLoad } from "./ui";
import { RecallImpact, loadVersions, versionLabel, type Version } from "./versions";
import { policyChecks, refusal, type Check, type Policy } from "./policy";

interface Batch {
  batchId: string;
  firstSeq: string;
  count: number;
  time: number;
}
interface Dataset {
  datasetId: string;
  uri: string;
  statusName: string;
  allowedPurposesNames: string[];
  registeredTime: number;
}

async function loadBatches(): Promise<Batch[]> {
  const all: Batch[] = [];
  let after: string | null = null;
  do {
    const page: { batches: Batch[]; next: string | null } = await api(`/batches?limit=1000${after ? `&after=${after}` : ""}`);
    all.push(...page.batches);
    after = page.next;
  } while (after && all.length < 20_000);
  return all;
}

function Anchoring({ batches }: { batches: Batch[] }) {
  if (batches.length === 0) return h(Empty, { children: "No batch anchored yet." });
  const last = batches.reduce((a, b) => (b.time > a.time ? b : a));
  const next = batches.reduce((n, b) => Math.max(n, Number(b.firstSeq) + b.count), 0);
  const perDay = new Map<number, number>();
  for (const b of batches) perDay.set(Math.floor(b.time / 86400) * 86400, (perDay.get(Math.floor(b.time / 86400) * 86400) ?? 0) + 1);
  const points = [...perDay].sort((a, b) => a[0] - b[0]);
  // One day is a number, not a chart.
  const chart = points.length < 2 ? h("p", null, `All ${thousands(batches.length)} batch${batches.length === 1 ? " was" : "es were"} anchored on ${day(points[0][0])}.`) : h(LineChart, { title: "Batches per day", series: [{ label: "batches", points }], yLabel: "batches", yFormat: (v) => thousands(Math.round(v)) });
  return h("div", null, [
    h("dl", { class: "facts" }, [h("dt", null, "Next sequence number"), h("dd", { "data-testid": "next-seq" }, thousands(next)), h("dt", null, "Last batch"), h("dd", null, `${short(last.batchId)}, ${thousands(last.count)} decisions, ${when(last.time)}`), h("dt", null, "Batches anchored"), h("dd", null, thousands(batches.length))]),
    chart,
    Table({ caption: "Batches per day", head: ["Day (UTC)", "Batches"], rows: points.map(([d, n]) => [day(d), thousands(n)]) }),
  ]);
}

async function loadDatasets(orgId: number) {
  const { datasets } = await api<{ datasets: Dataset[] }>(`/datasets?custodian=${orgId}&limit=1000`);
  return Promise.all(datasets.map(async (d) => ({ d, uses: await api<{ orgName: string | null; purposeName: string; time: number }[]>(`/datasets/${d.datasetId}/uses`) })));
}

async function loadDeployed(orgId: number) {
  const { versions, models } = await loadVersions();
  const rows = await Promise.all(versions.map(async (v) => ({ v, deployments: await api<{ hospital: number; time: number }[]>(`/versions/${v.versionId}/deployments`) })));
  return rows.filter((r) => r.deployments.some((d) => d.hospital === orgId)).map((r) => ({ label: versionLabel(r.v, models), status: r.v.statusName, since: r.deployments.find((d) => d.hospital === orgId)!.time }));
}

export function HospitalPage({ orgId }: { orgId: number }) {
  const batches = useLoad(loadBatches, "batches");
  const datasets = useLoad(() => loadDatasets(orgId), `ds${orgId}`);
  const deployed = useLoad(() => loadDeployed(orgId), `dep${orgId}`);
  return h("div", null, [
    h(Section, { title: "Anchoring", id: "anchoring", children: Show({ it: batches, what: "batches", show: (b: Batch[]) => Anchoring({ batches: b }) }) }),
    h(Section, {
      title: "Our datasets and their uses",
      id: "datasets",
      children: Show({
        it: datasets,
        what: "datasets",
        show: (rows: Awaited<ReturnType<typeof loadDatasets>>) =>
          rows.length === 0
            ? h(Empty, { children: "This hospital has registered no dataset." })
            : Table({ caption: "Datasets this hospital holds", head: ["Dataset", "Status", "Allowed purposes", "Registered", "Uses"], rows: rows.map(({ d, uses }) => [d.uri || short(d.datasetId), words(d.statusName), d.allowedPurposesNames.map(words).join(", "), when(d.registeredTime), uses.length === 0 ? "none" : uses.map((u) => `${u.orgName ?? "?"}: ${words(u.purposeName)} (${day(u.time)})`).join("; ")]) }),
      }),
    }),
    h(Section, {
      title: "Model versions we deploy",
      id: "deployed",
      children: Show({
        it: deployed,
        what: "deployments",
        show: (rows: Awaited<ReturnType<typeof loadDeployed>>) =>
          rows.length === 0 ? h(Empty, { children: "No model version is deployed here." }) : Table({ caption: "Deployed versions and their status now", head: ["Version", "Status", "Deployed"], rows: rows.map((r) => [r.label, r.status === "RECALLED" || r.status === "SUSPENDED" ? h("span", { class: "badge bad" }, `${words(r.status)} — stop using it`) : words(r.status), when(r.since)]) }),
      }),
    }),
  ]);
}

interface Awaiting {
  v: Version;
  label: string;
  riskClass: string;
  policy?: Policy;
}

function PolicyTable({ policies }: { policies: Policy[] }) {
  if (policies.length === 0) return h(Empty, { children: "The ledger holds no approval policy: every approval would be refused until governance sets one." });
  const pct = (n: number) => `${n}%`;
  return Table({
    caption: "Approval policy per risk class, as the ledger holds it",
    id: "policies",
    head: ["Risk class", "Minimum AUC", "Maximum subgroup AUC gap", "Minimum bias test cases", "Minimum grassroots share"],
    rows: policies.map((p) => [words(p.riskClassName), pct(p.minAucPercent), pct(p.maxSubgroupAucGapPercent), thousands(p.minBiasTestCases), pct(p.minGrassrootsSharePercent)]),
  });
}

/** Each figure beside its threshold, a shortfall marked; a version the policy refuses says so, with the ledger's reason. */
function AwaitingTable({ rows }: { rows: Awaiting[] }) {
  const figure = (c: Check | undefined, shown: string) => (c ? h("span", { class: c.ok ? undefined : "short" }, `${shown} `, h("span", { class: "muted" }, `(${c.bound === "min" ? "min" : "max"} ${c.metric === "Bias test cases" ? thousands(c.required) : `${c.required}%`})`), c.ok ? null : h("span", { class: "badge bad" }, "short")) : shown);
  return [
    h("p", null, "The ledger checks a version's figures against its risk class's policy when it is approved: a version below it is refused and stays submitted. The ledger's refusal names the first shortfall only; every shortfall is listed here."),
    Table({
      caption: "Submitted versions and their evaluation against the policy",
      id: "awaiting-table",
      head: ["Version", "Risk class", "Submitted", "AUC", "Subgroup AUC gap", "Bias test cases", "Grassroots share", "Sensitivity", "Specificity", "Approval"],
      rows: rows.map(({ v, label, riskClass, policy }) => {
        const checks = policy ? policyChecks(v.evaluation, policy) : [];
        const why = refusal(v.evaluation, policy);
        return [
          label,
          words(riskClass) || "—",
          when(v.registeredTime),
          figure(checks[0], `${v.evaluation.aucPercent}%`),
          figure(checks[1], `${v.evaluation.subgroupAucGapPercent}%`),
          figure(checks[2], thousands(v.evaluation.biasTestCases)),
          figure(checks[3], `${v.evaluation.grassrootsSharePercent}%`),
          `${v.evaluation.sensitivityPercent}%`,
          `${v.evaluation.specificityPercent}%`,
          !policy ? "No policy for its class: refused" : why ? h("span", { class: "refusal", "data-testid": "refused" }, h("span", { class: "badge bad" }, "REFUSED"), ` ${why}.`) : h("span", { class: "badge ok" }, "Meets the policy"),
        ];
      }),
    }),
  ];
}

interface Alert {
  name: string;
  versionId: string;
  kind: string;
  hospitalName: string | null;
  gapPercent: number;
  limitPercent: number;
  aucPercent: number;
  minAucPercent: number;
  time: number;
}

export function RegulatorPage() {
  const awaiting = useLoad(async () => {
    const [{ versions, models }, policies] = await Promise.all([loadVersions(), api<Policy[]>("/policies")]);
    const rows = versions.filter((v) => v.statusName === "SUBMITTED").map((v) => {
      const model = models.find((m) => m.modelId === v.modelId);
      // Before approval a version has no class of its own: its model's declared class is the one it is judged by.
      const riskClass = v.riskClassName && v.riskClassName !== "NONE" ? v.riskClassName : (model?.riskClassName ?? "");
      return { v, label: versionLabel(v, models), riskClass, policy: policies.find((p) => p.riskClassName === riskClass) };
    });
    return { rows, policies };
  }, "awaiting");
  const alerts = useLoad(() => api<Alert[]>("/reports/fairness-alerts"), "alerts");
  return h("div", null, [
    h(Section, {
      title: "Awaiting approval",
      id: "awaiting",
      children: Show({
        it: awaiting,
        what: "submitted versions and the approval policy",
        show: ({ rows, policies }: { rows: Awaiting[]; policies: Policy[] }) => [
          PolicyTable({ policies }),
          rows.length === 0 ? h(Empty, { children: "No version awaits approval." }) : AwaitingTable({ rows }),
        ],
      }),
    }),
    h(Section, {
      title: "Fairness and performance alerts",
      id: "alerts",
      children: Show({
        it: alerts,
        what: "alerts",
        show: (rows: Alert[]) =>
          rows.length === 0 ? h(Empty, { children: "No alert has been raised." }) : Table({ caption: "Alerts from post-market reports", head: ["When", "Model", "Version", "Hospital", "What"], rows: rows.map((a) => [when(a.time), a.name, short(a.versionId), a.hospitalName ?? "?", a.kind === "FAIRNESS" ? `subgroup AUC gap ${a.gapPercent}% (limit ${a.limitPercent}%)` : `AUC ${a.aucPercent}% (minimum ${a.minAucPercent}%)`]) }),
      }),
    }),
    h(Section, { title: "Recalls and their impact", id: "recall", children: h(RecallImpact, null) }),
  ]);
}
