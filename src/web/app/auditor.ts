/**
 * The auditor's page: receipts dropped or chosen → a verdict per record (POST /verify), as CSV too;
 * the verified receipts' figures per model version over time (POST /reports/traces per time bucket);
 * a version's timeline; recall impact; revocation impact.
 */
import { h } from "preact";
import { useMemo, useState } from "preact/hooks";
import { api, type Member } from "./api";
import { hospitalName, percent, short, thousands, verdictCsv, when } from "./format";
import { buckets, receiptsOf, type Loaded } from "./receipts";
import { Empty, ErrorNote, LineChart, Section, Table, useLoad, type Series } from "./ui";
import { RecallImpact, VersionTimeline, loadVersions, versionLabel } from "./versions";
import { RevocationImpactView } from "./impact";
import { resolveSubject } from "./subject";
import type { DemoIdentity } from "../../demo/identity";

interface Verdict {
  valid: boolean;
  reasons: { code: string; message: string }[];
}
interface Row {
  file: string;
  traceId: string;
  /** The hospital's organisation id; named at render, once the members' names are in. */
  hospital?: number;
  version: string;
  time: number;
  verdict: Verdict;
  receipt?: unknown;
}
interface VersionFigures {
  versionId: string;
  traces: number;
  overrideRate: number;
  tierCompliance: number;
  consentCoverage: number;
}

const MAX_PER_REQUEST = 500;

async function verify(loaded: Loaded[]): Promise<Row[]> {
  const readable = loaded.filter((l) => l.receipt !== undefined);
  const verdicts: Verdict[] = [];
  for (let i = 0; i < readable.length; i += MAX_PER_REQUEST) {
    const { results } = await api<{ results: Verdict[] }>("/verify", { receipts: readable.slice(i, i + MAX_PER_REQUEST).map((l) => l.receipt) });
    verdicts.push(...results);
  }
  let k = 0;
  return loaded.map((l) => {
    const r = l.receipt?.record;
    const verdict = l.receipt === undefined ? { valid: false, reasons: [{ code: "UNREADABLE", message: l.unreadable ?? "no receipt" }] } : verdicts[k++];
    return { file: l.file, traceId: String(r?.traceId ?? ""), hospital: r?.hospital === undefined ? undefined : Number(r.hospital), version: String(r?.modelVersion ?? ""), time: Number(r?.time ?? 0), verdict, receipt: l.receipt };
  });
}

/**
 * The trace report per time bucket, as one series per version and figure. Over every readable
 * receipt, as POST /reports/traces counts them: a genuine trace with a finding (no consent, wrong
 * tier) counts — that is what consent coverage and tier compliance measure — a forged one does not.
 */
async function figuresOverTime(rows: Row[]): Promise<{ overall: (VersionFigures & { label: string })[]; series: Record<"overrideRate" | "tierCompliance" | "consentCoverage", Series[]> }> {
  const valid = rows.filter((r) => r.receipt !== undefined);
  const series = { overrideRate: new Map<string, [number, number][]>(), tierCompliance: new Map<string, [number, number][]>(), consentCoverage: new Map<string, [number, number][]>() };
  for (const b of buckets(valid, 8)) {
    const { versions } = await api<{ versions: VersionFigures[] }>("/reports/traces", { receipts: b.items.slice(0, MAX_PER_REQUEST).map((r) => r.receipt) });
    for (const v of versions) for (const [k, m] of Object.entries(series)) m.set(v.versionId, [...(m.get(v.versionId) ?? []), [b.from, v[k as keyof typeof series]]]);
  }
  const overall = valid.length ? (await api<{ versions: VersionFigures[] }>("/reports/traces", { receipts: valid.slice(0, MAX_PER_REQUEST).map((r) => r.receipt) })).versions : [];
  // Versions by model name beside the hash ("ecg-arrhythmia 0x1234…"): a hash alone names nothing to a person.
  const named = await loadVersions().catch(() => undefined);
  const label = (id: string) => {
    const v = named?.versions.find((x) => x.versionId.toLowerCase() === id.toLowerCase());
    return v ? versionLabel(v, named!.models) : short(id);
  };
  const toSeries = (m: Map<string, [number, number][]>) => [...m].map(([id, points]) => ({ label: label(id), points }));
  return { overall: overall.map((v) => ({ ...v, label: label(v.versionId) })), series: { overrideRate: toSeries(series.overrideRate), tierCompliance: toSeries(series.tierCompliance), consentCoverage: toSeries(series.consentCoverage) } };
}

function readFiles(files: FileList | File[]): Promise<Loaded[]> {
  return Promise.all([...files].map(async (f) => receiptsOf(f.name, await f.text()))).then((l) => l.flat());
}

export function AuditorPage({ oversight, demo = false }: { oversight: boolean; demo?: boolean }) {
  const members = useLoad(() => api<Member[]>("/members"), "members");
  return h(
    "div",
    null,
    h(Section, { title: "Verify receipts", id: "verify", children: h(ReceiptDrop, { members: members.data, membersFailed: members.error !== undefined, oversight }) }),
    oversight ? h(Section, { title: "A model version's timeline", id: "timeline", children: h(VersionTimeline, null) }) : null,
    oversight ? h(Section, { title: "Recall impact", id: "recall", children: h(RecallImpact, null) }) : null,
    oversight ? h(Section, { title: "Revocation impact", id: "revocation", children: h(RevocationImpact, { demo, members: members.data }) }) : null,
  );
}

function ReceiptDrop({ members, membersFailed, oversight }: { members: Member[] | undefined; membersFailed: boolean; oversight: boolean }) {
  const [rows, setRows] = useState<Row[] | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [over, setOver] = useState(false);
  const [figures, setFigures] = useState<Awaited<ReturnType<typeof figuresOverTime>> | undefined>();
  const hospital = (id: number | undefined) => {
    const n = hospitalName(id, members, membersFailed);
    return n.loading ? h("span", { class: "muted", "data-testid": "name-loading" }, n.text) : n.text;
  };

  async function take(files: FileList | File[]) {
    if (files.length === 0) return;
    setBusy(true);
    setError(undefined);
    setFigures(undefined);
    try {
      const verified = await verify(await readFiles(files));
      setRows(verified);
      if (oversight && verified.some((r) => r.receipt !== undefined)) setFigures(await figuresOverTime(verified));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const csvHref = rows ? `data:text/csv;charset=utf-8,${encodeURIComponent(verdictCsv(rows.map((r) => ({ file: r.file, traceId: r.traceId, valid: r.verdict.valid, reasons: r.verdict.reasons }))))}` : undefined;
  const valid = rows?.filter((r) => r.verdict.valid).length ?? 0;
  return h(
    "div",
    null,
    h(
      "div",
      {
        class: `drop${over ? " over" : ""}`,
        onDragOver: (e: DragEvent) => (e.preventDefault(), setOver(true)),
        onDragLeave: () => setOver(false),
        onDrop: (e: DragEvent) => (e.preventDefault(), setOver(false), void take(e.dataTransfer?.files ?? [])),
      },
      h("p", null, "Drop receipt files here (one receipt, a list, or {receipts: […]} per file), or"),
      h("label", { class: "button" }, "Choose receipt files", h("input", { type: "file", multiple: true, accept: ".json,application/json", class: "visually-hidden", "data-testid": "receipt-files", onChange: (e: Event) => void take((e.target as HTMLInputElement).files ?? []) })),
    ),
    busy ? h("p", { class: "loading", "aria-live": "polite" }, "Verifying…") : null,
    error ? ErrorNote({ error }) : null,
    rows
      ? h(
          "div",
          null,
          h("p", { "aria-live": "polite", class: "summary" }, `${thousands(rows.length)} record${rows.length === 1 ? "" : "s"}: ${thousands(valid)} valid, ${thousands(rows.length - valid)} not. `, h("a", { class: "button", href: csvHref, download: "medprov-verdicts.csv" }, "Download CSV")),
          Table({
            caption: "One row per record",
            id: "verdicts",
            head: ["File", "Trace", "Hospital", "Model version", "Time", "Verdict"],
            rows: rows.map((r) => [r.file, r.traceId ? short(r.traceId) : "—", hospital(r.hospital), r.version ? short(r.version) : "—", r.time ? when(r.time) : "—", Verdict({ v: r.verdict })]),
          }),
        )
      : h(Empty, { children: "No receipts checked yet." }),
    figures ? Figures({ figures }) : null,
  );
}

const Verdict = ({ v }: { v: Verdict }) => (v.valid ? h("span", { class: "badge ok" }, "VALID") : h("ul", { class: "reasons" }, v.reasons.map((r) => h("li", null, h("span", { class: "badge bad" }, r.code), " ", r.message))));

function Figures({ figures }: { figures: Awaited<ReturnType<typeof figuresOverTime>> }) {
  const f = (v: number) => percent(v);
  return h(
    "div",
    { class: "figures" },
    h("h3", null, "Per model version, from the genuine receipts (as POST /reports/traces counts them)"),
    new Set(figures.series.overrideRate.flatMap((x) => x.points.map((p) => p[0]))).size < 2
      ? h("p", { class: "muted" }, "These receipts are all from one moment, so there is no line over time to draw; the figures are in the table.")
      : h("div", { class: "charts" }, [
      h(LineChart, { title: "Override rate", series: figures.series.overrideRate, yLabel: "overridden", yFormat: f, yRange: [0, 1] }),
      h(LineChart, { title: "Tier compliance", series: figures.series.tierCompliance, yLabel: "compliant", yFormat: f, yRange: [0, 1] }),
      h(LineChart, { title: "Consent coverage", series: figures.series.consentCoverage, yLabel: "covered", yFormat: f, yRange: [0, 1] }),
    ]),
    Table({ caption: "Over all genuine receipts", head: ["Model version", "Traces", "Override rate", "Tier compliance", "Consent coverage"], rows: figures.overall.map((v) => [v.label, thousands(v.traces), f(v.overrideRate), f(v.tierCompliance), f(v.consentCoverage)]) }),
  );
}

/**
 * Any subject's revocation impact: an address, or on the demo a patient by what the sign-in picker
 * takes (number, name, MRN), at one hospital or at every one (each pseudonym's report, labelled).
 */
function RevocationImpact({ demo, members }: { demo: boolean; members: Member[] | undefined }) {
  const patients = useLoad(() => (demo ? api<{ identities: DemoIdentity[] }>("/web/demo-identities.json").then((d) => d.identities.filter((i) => i.role === "PATIENT")) : Promise.resolve(undefined)), `patients${demo}`);
  const [query, setQuery] = useState("");
  const [at, setAt] = useState("");
  const [asked, setAsked] = useState<{ query: string; at: string } | undefined>();
  const hospitals = (members ?? []).filter((m) => m.roleName === "HOSPITAL").sort((a, b) => a.orgId - b.orgId).map((m) => ({ id: m.orgId, name: m.name }));
  // Derived once per question (each pseudonym is a key derivation), not on every keystroke.
  const subject = useMemo(() => (asked ? resolveSubject(asked.query, patients.data, hospitals, asked.at ? Number(asked.at) : undefined) : undefined), [asked, patients.data, members]);
  return h(
    "div",
    null,
    h(
      "form",
      { class: "picker wide", onSubmit: (e: Event) => (e.preventDefault(), setAsked({ query, at })) },
      h("label", { for: "subject" }, "Patient (subject)"),
      h("input", { id: "subject", value: query, spellcheck: false, autocomplete: "off", "aria-describedby": "subject-hint", onInput: (e: Event) => setQuery((e.target as HTMLInputElement).value) }),
      h("p", { id: "subject-hint", class: "muted" }, demo ? "An address, or a demo patient's number, name (patient-7) or MRN: their pseudonym at the hospital chosen below, or at every hospital." : "The subject's address (0x and 40 hex digits)."),
      demo
        ? h("div", { class: "pick" }, [
            h("label", { for: "subject-at" }, "At"),
            h("select", { id: "subject-at", value: at, onChange: (e: Event) => setAt((e.target as HTMLSelectElement).value) }, [h("option", { value: "" }, "Every hospital"), ...hospitals.map((x) => h("option", { value: String(x.id) }, x.name))]),
          ])
        : null,
      h("button", { type: "submit", disabled: demo && patients.data === undefined && !patients.error }, "Show"),
    ),
    patients.error ? ErrorNote({ error: patients.error }) : null,
    subject && !subject.ok ? h("p", { class: "error", role: "alert", "data-testid": "subject-unknown" }, subject.why) : null,
    subject?.ok
      ? h("div", null, [
          h("p", { class: "muted", "data-testid": "subject-resolved" }, `Showing ${subject.who}: ${subject.addresses.map((a) => `${short(a.address)}${a.hospital ? ` at ${a.hospital.name}` : ""}`).join(", ")}.`),
          h(RevocationImpactView, { sources: subject.addresses.map((a) => ({ url: `/reports/revocation-impact/${a.address}`, at: a.hospital && subject.addresses.length > 1 ? `at ${a.hospital.name}` : undefined })), you: false }),
        ])
      : null,
  );
}
