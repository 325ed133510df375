/**
 * The patient's page: consents as a purpose × organisation grid with switches, each switch a
 * signed EIP-712 request relayed by the hospital (POST /relay) and shown pending until the index
 * has the event; the full history; what a revocation does, in words.
 */
import { h } from "preact";
import { useState } from "preact/hooks";
import { DEFAULT_PURPOSES, NUMBERS } from "../../constants";
import { api, type Member, type WebConfig } from "./api";
import { cellState, consentRequest, type ConsentRow } from "./consent-cells";
import { short, when, words } from "./format";
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

async function loadConsents(me: string) {
  const [members, consents, head] = await Promise.all([
    api<Member[]>("/members"),
    api<ConsentRow[]>(`/consents/${me}`),
    // The chain's now (head block time), which is what "in force" is judged by.
    api<{ time: number }>(`/consents/${me}/valid?purpose=0&grantee=0`),
  ]);
  // Patients consent to those who hold or use data: hospitals and model developers (and anyone already named in a consent).
  const named = new Set(consents.map((c) => Number(c.grantee)));
  return { members: members.filter((m) => m.statusName === "ACTIVE" && (m.roleName === "HOSPITAL" || m.roleName === "MODEL_DEVELOPER" || named.has(m.orgId))), consents, now: head.time };
}

/** Waits until the index has the relayed transaction's event (the API answers from the index). */
async function untilIndexed(me: string, tx: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const history = await api<HistoryEvent[]>(`/consents/${me}/history`);
    if (history.some((e) => e.tx.toLowerCase() === tx.toLowerCase())) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the relayed change has not reached the index after two minutes; reload later");
}

export function PatientPage({ me, config }: { me: Me; config: WebConfig }) {
  const subject = me.address;
  const grid = useLoad(() => loadConsents(subject), subject);
  const history = useLoad(() => api<HistoryEvent[]>(`/consents/${subject}/history`), subject);
  const [pending, setPending] = useState<Record<string, Pending>>({});
  const [lifetime, setLifetime] = useState(LIFETIMES[1][1]);

  async function toggle(purpose: number, grantee: number, on: boolean, row: ConsentRow | undefined) {
    const key = `${purpose}:${grantee}`;
    setPending((p) => ({ ...p, [key]: { on } }));
    try {
      const head = await api<{ time: number }>(`/consents/${subject}/valid?purpose=${purpose}&grantee=${grantee}`);
      const r = consentRequest({ subject, purpose, grantee, on, now: head.time, lastSignedAt: Number(row?.signedAt ?? 0), lifetime });
      const signature = await me.signer.signTypedData(config.consentDomain, r.types, r.request);
      const relayed = await api<{ txHash: string }>("/relay", { kind: r.kind, request: r.request, signature });
      await untilIndexed(subject, relayed.txHash);
      grid.reload();
      history.reload();
      setPending((p) => {
        const { [key]: _done, ...rest } = p;
        return rest;
      });
    } catch (error) {
      setPending((p) => ({ ...p, [key]: { on, error } }));
    }
  }

  return h(
    "div",
    null,
    h(Section, {
      title: "Who may use my data",
      id: "consents",
      children: [
        h("p", null, "Each switch says whether an organisation may use your data for a purpose. Changing one asks you to sign; the hospital records it on the ledger for you, at no cost."),
        h("label", { class: "inline" }, "New consents last ", h("select", { value: lifetime, onChange: (e: Event) => setLifetime(Number((e.target as HTMLSelectElement).value)) }, LIFETIMES.map(([l, s]) => h("option", { value: s }, l)))),
        Show({ it: grid, what: "your consents", show: (d: Awaited<ReturnType<typeof loadConsents>>) => ConsentGrid({ ...d, pending, toggle }) }),
      ],
    }),
    h(Section, { title: "History", id: "history", children: Show({ it: history, what: "your history", show: (events: HistoryEvent[]) => HistoryTable({ events, me: subject }) }) }),
    h(Section, {
      title: "Where your data went",
      id: "impact",
      children: [
        h("p", null, "Revoking stops every use for that purpose from the moment the ledger records it. It cannot undo what happened before: a dataset that already included you stays on record, and a model trained on it before your revocation stays trained."),
        h("p", null, "For each purpose you revoked: the datasets whose custodians disclosed that they include you, what those datasets were used for, and which model versions were trained on them — each placed before or after your revocation by the chain's time. Auditors and regulators see the same report and act on any use after it."),
        h(RevocationImpactView, { url: `/consents/${subject}/revocation-impact`, you: true, changes: history.data?.length ?? 0 }),
      ],
    }),
  );
}

function ConsentGrid({ members, consents, now, pending, toggle }: Awaited<ReturnType<typeof loadConsents>> & { pending: Record<string, Pending>; toggle: (p: number, g: number, on: boolean, row?: ConsentRow) => void }) {
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
    h("p", { id: "grid-caption", class: "caption" }, `Purposes down, organisations across; now ${when(now)} on the chain.`),
    h("p", { class: "muted scroll-hint" }, "The grid scrolls sideways: one column per organisation."),
    h(
      "div",
      { class: "table-wrap", role: "region", "aria-label": "Consent grid: purposes down, organisations across", tabIndex: 0 },
      h(
        "table",
        { class: "grid", "aria-labelledby": "grid-caption" },
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
                return h("td", null, Cell({ purpose: nameOf(p), grantee: g.name, state: cellState(row, now), pending: pending[`${p}:${g.orgId}`], onToggle: (on) => toggle(p, g.orgId, on, row) }));
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
  const note = busy ? (pending.on ? "granting… pending" : "revoking… pending") : state.on ? `until ${when(state.until).replace(/, \d\d:\d\d UTC$/, "")}` : state.why === "never" ? "" : `${state.why} ${when(state.at).replace(/, \d\d:\d\d UTC$/, "")}`;
  return h(
    "div",
    { class: `cell ${busy ? "pending" : shownOn ? "on" : "off"}` },
    h("button", { type: "button", role: "switch", "aria-checked": shownOn ? "true" : "false", "aria-busy": busy ? "true" : undefined, disabled: busy, "aria-label": `${purpose} by ${grantee}`, onClick: () => onToggle(!state.on) }, h("span", { class: "knob", "aria-hidden": "true" }), h("span", { class: "state" }, shownOn ? "On" : "Off")),
    h("span", { class: "note" }, note),
  );
}

const KINDS: Record<string, string> = { GRANTED: "Granted", REVOKED: "Revoked", CANCELLED: "Cancelled", DELEGATE_ADDED: "Delegate added", DELEGATE_REMOVED: "Delegate removed" };

function HistoryTable({ events, me }: { events: HistoryEvent[]; me: string }) {
  if (events.length === 0) return h(Empty, { children: "Nothing recorded yet." });
  const rows = [...events].reverse().map((e) => [
    when(e.time),
    KINDS[e.kind] ?? words(e.kind),
    e.purpose === undefined ? (e.delegate ? `delegate ${short(e.delegate)}` : "—") : words(e.purposeName ?? String(e.purpose)),
    e.grantee === undefined ? "—" : (e.granteeName ?? `organisation ${e.grantee}`),
    e.actor && e.actor.toLowerCase() === me.toLowerCase() ? "you" : e.actor ? short(e.actor) : "—",
    e.expiresAt && e.kind === "GRANTED" ? when(e.expiresAt) : "",
  ]);
  return Table({ caption: "Every change to your consents, newest first", head: ["When", "What", "Purpose", "Organisation", "Signed by", "Expires"], rows, id: "history-table" });
}

