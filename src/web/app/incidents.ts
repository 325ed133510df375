/**
 * The APPRAISER's page (also oversight's): the incidents on the ledger with their status, medprov's
 * PROPOSED split from each evidence pack, the final determination, and each pack to download as
 * JSON (docs/evidence.md). A pack needs the trace receipt the reporting hospital filed; until then
 * the row says so. Twenty incidents a page: only the shown page's packs are fetched. Packs are fetched with the session (a plain link would not send it), then offered
 * as a file.
 */
import { h, type ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api, inWords } from "./api";
import { bps, when, words } from "./format";
import { dutyRows, pageOf, rowShares, splitText, splitWhy, statusOf, type Incident, type PackParties, type PackProposal } from "./incident-words";
import { Empty, Section, Show, Table, useLoad } from "./ui";

/** What the page reads of a pack (the whole pack is what it offers to download). */
interface Pack {
  liabilityCase: string;
  parties: PackParties;
  proposal: PackProposal | null;
  proposalNote: string;
}

type PackOrWhy = { pack: Pack; json: string } | { why: string };

/** Incidents shown at once: only their evidence packs are fetched (a pack is assembled from the chain; hundreds on load would stall the page). */
const PAGE_SIZE = 20;

/** The packs of `incidents`, by incident id: fetched with the session, or why there is none. */
async function loadPacks(incidents: Incident[]): Promise<Map<number, PackOrWhy>> {
  return new Map(await Promise.all(incidents.map(async (incident): Promise<[number, PackOrWhy]> => {
    if (!incident.receiptFiled) return [incident.incidentId, { why: "The reporting hospital has not filed the trace's receipt yet." }];
    try {
      const pack = await api<Pack>(`/incidents/${incident.incidentId}/evidence`);
      return [incident.incidentId, { pack, json: JSON.stringify(pack, null, 2) }];
    } catch (e) {
      return [incident.incidentId, { why: `${inWords(e).code}: ${inWords(e).message}` }];
    }
  })));
}

/** Each party's duties as of the decision, met or not, with its proposed share: why a share is what it is, side by side. */
function Duties({ pack }: { pack: Pack }) {
  return h(
    "ul",
    { class: "duties", "data-testid": "duties" },
    dutyRows(pack.parties, pack.proposal?.shares).map((r) =>
      h("li", null, [
        h("strong", null, r.party),
        r.share === undefined ? null : h("span", { class: "muted" }, ` ${bps(r.share)}`),
        ": ",
        ...r.duties.flatMap((d, i) => [i ? " · " : "", h("span", { class: d.met ? "duty" : "duty unmet" }, `${d.duty} ${d.met ? "met" : "NOT met"}`)]),
      ]),
    ),
  );
}

function proposalCell(p: PackOrWhy) {
  if ("why" in p) return h("span", { class: "muted" }, p.why);
  const { pack } = p;
  if (!pack.proposal) return h("div", null, [h("p", { class: "muted", "data-testid": "proposal-split" }, `No proposal (${words(pack.liabilityCase)})`), h(Duties, { pack })]);
  return h("div", null, [
    h("p", { "data-testid": "proposal-split" }, h("span", { class: "badge neutral" }, "Proposal"), " ", splitText(rowShares(pack.proposal.shares)), h("span", { class: "muted" }, ` (${words(pack.liabilityCase)})`)),
    h(Duties, { pack }),
    h("p", { class: "why", "data-testid": "split-why" }, splitWhy(pack.liabilityCase, pack.proposal)),
  ]);
}

function determinationCell(i: Incident) {
  const d = i.determination;
  if (!d) return h("span", { class: "muted" }, "None yet");
  return h("span", null, `${splitText(d.shares)}, by ${d.appraiserName ?? "an unnamed member"} (organisation ${d.appraiser}), ${when(d.determinedAt)}`);
}

function packCell(i: Incident, p: PackOrWhy) {
  if ("why" in p) return h("span", { class: "muted" }, "Not available");
  const href = `data:application/json;charset=utf-8,${encodeURIComponent(p.json)}`;
  return h("a", { class: "button", href, download: `evidence-${i.incidentId}.json`, "aria-label": `Download JSON of incident ${i.incidentId}'s evidence pack` }, "Download JSON");
}

export function IncidentsPage() {
  const list = useLoad(async () => (await api<{ incidents: Incident[] }>("/incidents")).incidents, "incidents");
  return h(Section, {
    title: "Incidents and their evidence",
    id: "incidents",
    children: [
      h("p", { class: "muted" }, "Each party's duties are judged from the ledger as of the decision's time. The proposed split is medprov's proposal; only an appraiser's determination, recorded on the ledger, is final."),
      Show({ it: list, what: "incidents", show: (all: Incident[]) => (all.length === 0 ? h(Empty, { children: "No incident has been reported." }) : h(IncidentTable, { all })) }),
    ],
  });
}

/** A page of incidents at a time; the evidence packs of the page shown, and only those, are fetched. */
function IncidentTable({ all }: { all: Incident[] }) {
  const [page, setPage] = useState(0);
  const p = pageOf(all.length, page, PAGE_SIZE);
  const shown = all.slice(p.from, p.to);
  const packs = useLoad(() => loadPacks(shown), shown.map((i) => i.incidentId).join(","));
  // While a page's packs load, the previous page's answer is still held: a row reads its own incident's pack only.
  const cell = (i: Incident, show: (pack: PackOrWhy) => ComponentChildren) => {
    const pack = packs.data?.get(i.incidentId);
    if (pack) return show(pack);
    return packs.error ? h("span", { class: "muted" }, `${inWords(packs.error).code}: ${inWords(packs.error).message}`) : h("span", { class: "loading" }, "Loading the evidence pack…");
  };
  const pager = (where: "top" | "bottom") =>
    p.pages > 1
      ? h("nav", { class: "pager", "aria-label": `Incident pages (${where})` }, [
          h("button", { type: "button", disabled: p.page === 0, onClick: () => setPage(p.page - 1) }, "Previous"),
          h("span", where === "top" ? { "aria-live": "polite", "data-testid": "incident-page" } : null, `${p.words} (page ${p.page + 1} of ${p.pages})`),
          h("button", { type: "button", disabled: p.page === p.pages - 1, onClick: () => setPage(p.page + 1) }, "Next"),
        ])
      : null;
  return h("div", null, [
    pager("top"),
    Table({
      caption: p.pages > 1 ? `Incidents on the ledger: ${p.words.replace(/^Incidents /, "")}` : "Incidents on the ledger",
      id: "incident-list",
      head: ["Incident", "Hospital", "Harm", "Finding", "Status", "Proposed split and duties", "Determination", "Evidence pack"],
      rows: shown.map((i) => [
        `#${i.incidentId}, ${when(i.occurredAt)}`,
        i.hospitalName ?? `organisation ${i.hospital}`,
        `${words(i.severityName)} · ${words(i.categoryName)}`,
        i.findingName === "NONE" ? "None yet" : words(i.findingName),
        statusOf(i),
        cell(i, proposalCell),
        determinationCell(i),
        cell(i, (pack) => packCell(i, pack)),
      ]),
    }),
    pager("bottom"),
  ]);
}
