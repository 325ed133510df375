/**
 * The patient's page: consents as a purpose × organisation grid with switches, each switch a
 * signed EIP-712 request relayed by the hospital (POST /relay) and shown pending until the index
 * has the event; the full history; the datasets that include the patient and what became of them;
 * what a revocation does, in words. A patient with a secret has a pseudonym per hospital
 * (aliases.ts): a grid each, and one history, one list of datasets and one revocation report
 * joined across them, each row labelled with its hospital.
 */
import { h } from "preact";
import { useState } from "preact/hooks";
import { DEFAULT_PURPOSES, NUMBERS } from "../../constants";
import { api, apiAs, type Member, type WebConfig } from "./api";
import { atWords, joined, loadAliases, type Alias } from "./aliases";
import { datasetSentences, list, unknownSentence, type SubjectDatasets } from "./dataset-words";
import { cellState, consentRequest, forThePatient, type ConsentRow } from "./consent-cells";
import { short, when, whenDay, words } from "./format";
import type { Me } from "./session";
import { RevocationImpactView } from "./impact";
import { Empty, ErrorNote, Section, Show, Table, useLoad } from "./ui";

interface HistoryEvent {
  kind: string;
  purpose?: number;
  purposeName?: string;
  grantee?: number;
  granteeName?: string | null;
  actor?: string;
  relayer?: string;
  delegate?: string;
  expiresAt?: number;
  time: number;
  block: number;
  logIndex: number;
  tx: string;
}

const LIFETIMES: [string, number][] = [
  ["1 month", 30 * 86400],
  ["1 year", 365 * 86400],
  ["5 years", 5 * 365 * 86400],
];

interface Pending {
  on: boolean;
  error?: unknown;
}

async function loadConsents(alias: Alias) {
  const [members, consents, head] = await Promise.all([
    api<Member[]>("/members"),
    apiAs<ConsentRow[]>(alias.session, `/consents/${alias.address}`),
    // The chain's now (head block time), which is what "in force" is judged by.
    apiAs<{ time: number }>(alias.session, `/consents/${alias.address}/valid?purpose=0&grantee=0`),
  ]);
  // Patients consent to those who hold or use data: hospitals and model developers (and anyone already named in a consent).
  const named = new Set(consents.map((c) => Number(c.grantee)));
  return { members: members.filter((m) => m.statusName === "ACTIVE" && (m.roleName === "HOSPITAL" || m.roleName === "MODEL_DEVELOPER" || named.has(m.orgId))), consents, now: head.time };
}

/** Waits until the index has the relayed transaction's event (the API answers from the index). */
async function untilIndexed(alias: Alias, tx: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const history = await apiAs<HistoryEvent[]>(alias.session, `/consents/${alias.address}/history`);
    if (history.some((e) => e.tx.toLowerCase() === tx.toLowerCase())) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the relayed change has not reached the index after two minutes; reload later");
}

const chainOrder = (a: HistoryEvent, b: HistoryEvent) => a.block - b.block || a.logIndex - b.logIndex;

/**
 * The pseudonyms the page shows: the signed-in one, and each other one with a consent history or
 * a dataset that includes it (a pseudonym at a hospital the patient never visited has neither).
 */
async function activeAliases(me: Me, config: WebConfig): Promise<Alias[]> {
  const all = await loadAliases(me, config);
  const used = await Promise.all(all.map(async (a) => a.self || (await apiAs<HistoryEvent[]>(a.session, `/consents/${a.address}/history`)).length > 0 || (await apiAs<SubjectDatasets>(a.session, `/consents/${a.address}/datasets`)).datasets.length > 0));
  return all.filter((_, i) => used[i]);
}

/** Every pseudonym's datasets, each with the hospital of the pseudonym it includes. */
async function loadDatasets(aliases: Alias[]) {
  const answers = await Promise.all(aliases.map(async (a) => ({ alias: a, answer: await apiAs<SubjectDatasets>(a.session, `/consents/${a.address}/datasets`) })));
  return {
    datasets: answers.flatMap(({ alias, answer }) => answer.datasets.map((d) => ({ d, alias }))).sort((x, y) => x.d.registeredTime - y.d.registeredTime),
    unknown: new Set(answers.flatMap(({ answer }) => answer.datasetsWithoutManifest)).size,
  };
}

export function PatientPage({ me, config }: { me: Me; config: WebConfig }) {
  const aliases = useLoad(() => activeAliases(me, config), me.address);
  return Show({ it: aliases, what: "your records at each hospital", show: (a: Alias[]) => h(PatientViews, { aliases: a, config }) });
}

function PatientViews({ aliases, config }: { aliases: Alias[]; config: WebConfig }) {
  const [changes, setChanges] = useState(0);
  const [lifetime, setLifetime] = useState(LIFETIMES[1][1]);
  const many = aliases.length > 1;
  const history = useLoad(() => joined<HistoryEvent>(aliases, (a) => `/consents/${a.address}/history`, chainOrder), `history#${changes}`);
  const datasets = useLoad(() => loadDatasets(aliases), `datasets#${changes}`);
  const onRecorded = () => setChanges((c) => c + 1);
  return h(
    "div",
    null,
    many ? h("p", { class: "muted", "data-testid": "pseudonyms" }, `You appear at each hospital under a different address (a pseudonym), so no hospital can link your records at another. This page joins them: ${list(aliases.map((a) => `${a.hospital!.name} knows you as ${short(a.address)}`))}.`) : null,
    h(Section, {
      title: "Who may use my data",
      id: "consents",
      children: [
        h("p", null, `Each switch says whether an organisation may use your data for a purpose${many ? ", at one hospital's record of you" : ""}. Changing one asks you to sign; the hospital records it on the ledger for you, at no cost.`),
        h("label", { class: "inline" }, "New consents last ", h("select", { value: lifetime, onChange: (e: Event) => setLifetime(Number((e.target as HTMLSelectElement).value)) }, LIFETIMES.map(([l, s]) => h("option", { value: s }, l)))),
        aliases.map((alias, i) => h(AliasGrid, { key: alias.address, alias, index: i, many, config, lifetime, onRecorded })),
      ],
    }),
    h(Section, { title: "History", id: "history", children: Show({ it: history, what: "your history", show: (events: (HistoryEvent & { hospital: { name: string } })[]) => HistoryTable({ events, aliases, many }) }) }),
    h(Section, {
      title: "Datasets that include me",
      id: "datasets",
      children: [
        h("p", null, "Hospitals disclose which of their datasets include you. For each: what it may be used for, the consents of yours it relied on, the model versions trained on it and every recorded use — whether or not you revoked anything."),
        Show({ it: datasets, what: "the datasets that include you", show: (d: Awaited<ReturnType<typeof loadDatasets>>) => DatasetList({ ...d, many }) }),
      ],
    }),
    h(Section, {
      title: "Where your data went",
      id: "impact",
      children: [
        h("p", null, "Revoking stops every use for that purpose from the moment the ledger records it. It cannot undo what happened before: a dataset that already included you stays on record, and a model trained on it before your revocation stays trained."),
        h("p", null, "For each purpose you revoked: the datasets whose custodians disclosed that they include you, what those datasets were used for, and which model versions were trained on them — each placed before or after your revocation by the chain's time. Auditors and regulators see the same report and act on any use after it."),
        h(RevocationImpactView, { sources: aliases.map((a) => ({ url: `/consents/${a.address}/revocation-impact`, session: a.session, at: many ? atWords(a) : undefined })), you: true, changes }),
      ],
    }),
  );
}

function DatasetList({ datasets, unknown, many }: Awaited<ReturnType<typeof loadDatasets>> & { many: boolean }) {
  const unknownWords = unknownSentence(unknown);
  return h("div", { "data-testid": "my-datasets" }, [
    datasets.length === 0 ? h(Empty, { children: "No hospital has disclosed a dataset that includes your data." }) : null,
    ...datasets.map(({ d, alias }) => {
      const s = datasetSentences(d, many ? atWords(alias) : undefined);
      return h("article", { class: "impact" }, [h("h3", null, s.heading), ...s.facts.map((f) => h("p", null, f)), s.uses.length ? h("ul", null, s.uses.map((u) => h("li", null, u))) : h("p", { class: "muted" }, "No model was trained on it and no use of it is recorded.")]);
    }),
    unknownWords ? h("p", { class: "muted" }, unknownWords) : null,
  ]);
}

/** One pseudonym's grid, with its own pending switches; `onRecorded` once a change is indexed. */
function AliasGrid({ alias, index, many, config, lifetime, onRecorded }: { alias: Alias; index: number; many: boolean; config: WebConfig; lifetime: number; onRecorded: () => void }) {
  const grid = useLoad(() => loadConsents(alias), alias.address);
  const [pending, setPending] = useState<Record<string, Pending>>({});
  const subject = alias.address;

  async function toggle(purpose: number, grantee: number, on: boolean, row: ConsentRow | undefined) {
    const key = `${purpose}:${grantee}`;
    setPending((p) => ({ ...p, [key]: { on } }));
    try {
      const head = await apiAs<{ time: number }>(alias.session, `/consents/${subject}/valid?purpose=${purpose}&grantee=${grantee}`);
      const r = consentRequest({ subject, purpose, grantee, on, now: head.time, lastSignedAt: Number(row?.signedAt ?? 0), lifetime });
      const signature = await alias.signer.signTypedData(config.consentDomain, r.types, r.request);
      const relayed = await api<{ txHash: string }>("/relay", { kind: r.kind, request: r.request, signature });
      await untilIndexed(alias, relayed.txHash);
      grid.reload();
      onRecorded();
      setPending((p) => {
        const { [key]: _done, ...rest } = p;
        return rest;
      });
    } catch (error) {
      setPending((p) => ({ ...p, [key]: { on, error: forThePatient(error) } }));
    }
  }

  return h("div", { class: "alias" }, [
    many ? h("h3", null, `At ${alias.hospital!.name}`, h("span", { class: "muted" }, ` as ${short(alias.address)}`)) : null,
    Show({ it: grid, what: `your consents${many ? ` ${atWords(alias)}` : ""}`, show: (d: Awaited<ReturnType<typeof loadConsents>>) => ConsentGrid({ ...d, pending, toggle, index, at: many ? atWords(alias) : "" }) }),
  ]);
}

function ConsentGrid({ members, consents, now, pending, toggle, index, at }: Awaited<ReturnType<typeof loadConsents>> & { pending: Record<string, Pending>; toggle: (p: number, g: number, on: boolean, row?: ConsentRow) => void; index: number; at: string }) {
  const grantees = [{ orgId: NUMBERS.ANY_MEMBER, name: "Any member" }, ...members.map((m) => ({ orgId: m.orgId, name: m.name }))];
  const purposes = [...new Set([...DEFAULT_PURPOSES.map((_, i) => i), ...consents.map((c) => Number(c.purpose))])].sort((a, b) => a - b);
  const nameOf = (p: number) => words(DEFAULT_PURPOSES[p] ?? (consents.find((c) => Number(c.purpose) === p) as { purposeName?: string } | undefined)?.purposeName ?? `purpose ${p}`);
  const errors = Object.entries(pending).filter(([, p]) => p.error);
  return h(
    "div",
    null,
    errors.map(([key, p]) => h("div", { key }, ErrorNote({ error: p.error }))),
    // The caption and the hint sit outside the scrolling table, so a phone shows them whole (a caption
    // inside scrolls with the table and is clipped to its first columns at 390 px).
    h("p", { id: `grid-caption-${index}`, class: "caption grid-caption" }, `Purposes down, organisations across${at ? `, ${at}` : ""}; now ${when(now)} on the chain.`),
    h("p", { class: "muted scroll-hint" }, "The grid scrolls sideways: one column per organisation."),
    h(
      "div",
      { class: "table-wrap", role: "region", "aria-label": `Consent grid${at ? ` ${at}` : ""}: purposes down, organisations across`, tabIndex: 0 },
      h(
        "table",
        { class: "grid", "aria-labelledby": `grid-caption-${index}` },
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Purpose"), grantees.map((g) => h("th", { scope: "col" }, g.name)))),
        h(
          "tbody",
          null,
          purposes.map((p) =>
            h(
              "tr",
              null,
              h("th", { scope: "row" }, nameOf(p)),
              grantees.map((g) => {
                const row = consents.find((c) => Number(c.purpose) === p && Number(c.grantee) === g.orgId);
                return h("td", null, Cell({ purpose: nameOf(p), grantee: at ? `${g.name} ${at}` : g.name, state: cellState(row, now), pending: pending[`${p}:${g.orgId}`], onToggle: (on) => toggle(p, g.orgId, on, row) }));
              }),
            ),
          ),
        ),
      ),
    ),
  );
}

function Cell({ purpose, grantee, state, pending, onToggle }: { purpose: string; grantee: string; state: ReturnType<typeof cellState>; pending?: Pending; onToggle: (on: boolean) => void }) {
  const busy = pending !== undefined && !pending.error;
  const shownOn = busy ? pending.on : state.on;
  const note = busy ? (pending.on ? "granting… pending" : "revoking… pending") : state.on ? `until ${whenDay(state.until)}` : state.why === "never" ? "" : `${state.why} ${whenDay(state.at)}`;
  return h(
    "div",
    { class: `cell ${busy ? "pending" : shownOn ? "on" : "off"}` },
    h("button", { type: "button", role: "switch", "aria-checked": shownOn ? "true" : "false", "aria-busy": busy ? "true" : undefined, disabled: busy, "aria-label": `${purpose} by ${grantee}`, onClick: () => onToggle(!state.on) }, h("span", { class: "knob", "aria-hidden": "true" }), h("span", { class: "state" }, shownOn ? "On" : "Off")),
    h("span", { class: "note" }, note),
  );
}

const KINDS: Record<string, string> = { GRANTED: "Granted", REVOKED: "Revoked", CANCELLED: "Cancelled", DELEGATE_ADDED: "Delegate added", DELEGATE_REMOVED: "Delegate removed" };

function HistoryTable({ events, aliases, many }: { events: (HistoryEvent & { hospital: { name: string } })[]; aliases: Alias[]; many: boolean }) {
  if (events.length === 0) return h(Empty, { children: "Nothing recorded yet." });
  const mine = new Set(aliases.map((a) => a.address.toLowerCase()));
  const rows = [...events].reverse().map((e) => [
    ...(many ? [e.hospital.name] : []),
    when(e.time),
    KINDS[e.kind] ?? words(e.kind),
    e.purpose === undefined ? (e.delegate ? `delegate ${short(e.delegate)}` : "—") : words(e.purposeName ?? String(e.purpose)),
    e.grantee === undefined ? "—" : (e.granteeName ?? `organisation ${e.grantee}`),
    e.actor && mine.has(e.actor.toLowerCase()) ? "you" : e.actor ? short(e.actor) : "—",
    e.expiresAt && e.kind === "GRANTED" ? when(e.expiresAt) : "",
  ]);
  return Table({ caption: `Every change to your consents${many ? " at every hospital" : ""}, newest first`, head: [...(many ? ["Your record at"] : []), "When", "What", "Purpose", "Organisation", "Signed by", "Expires"], rows, id: "history-table" });
}

