/**
 * The APPRAISER's page (also oversight's): the incidents on the ledger with their status, medprov's
 * PROPOSED split from each evidence pack, the final determination, and each pack to download as
 * JSON (docs/evidence.md). A pack needs the trace receipt the reporting hospital filed; until then
 * the row says so. Packs are fetched with the session (a plain link would not send it), then offered
 * as a file.
 */
import { h } from "preact";
import { api, inWords } from "./api";
import { when, words } from "./format";
import { rowShares, splitText, statusOf, type Incident, type Shares } from "./incident-words";
import { Empty, Section, Show, Table, useLoad } from "./ui";

/** What the page reads of a pack (the whole pack is what it offers to download). */
interface Pack {
  liabilityCase: string;
  proposal: { shares: Shares } | null;
  proposalNote: string;
}

type PackOrWhy = { pack: Pack; json: string } | { why: string };

async function loadIncidents(): Promise<{ incident: Incident; pack: PackOrWhy }[]> {
  const { incidents } = await api<{ incidents: Incident[] }>("/incidents");
  return Promise.all(incidents.map(async (incident) => {
    if (!incident.receiptFiled) return { incident, pack: { why: "The reporting hospital has not filed the trace's receipt yet." } };
    try {
      const pack = await api<Pack>(`/incidents/${incident.incidentId}/evidence`);
      return { incident, pack: { pack, json: JSON.stringify(pack, null, 2) } };
    } catch (e) {
      return { incident, pack: { why: `${inWords(e).code}: ${inWords(e).message}` } };
    }
  }));
}

function proposalCell(p: PackOrWhy) {
  if ("why" in p) return h("span", { class: "muted" }, p.why);
  if (!p.pack.proposal) return h("span", { class: "muted" }, `No proposal (${words(p.pack.liabilityCase)})`);
  return h("span", null, h("span", { class: "badge neutral" }, "Proposal"), " ", splitText(rowShares(p.pack.proposal.shares)), h("span", { class: "muted" }, ` (${words(p.pack.liabilityCase)})`));
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
  const rows = useLoad(loadIncidents, "incidents");
  return h(Section, {
    title: "Incidents and their evidence",
    id: "incidents",
    children: [
      h("p", { class: "muted" }, "Each party's duties are judged from the ledger as of the decision's time. The proposed split is medprov's proposal; only an appraiser's determination, recorded on the ledger, is final."),
      Show({
        it: rows,
        what: "incidents",
        show: (list: Awaited<ReturnType<typeof loadIncidents>>) =>
          list.length === 0
            ? h(Empty, { children: "No incident has been reported." })
            : Table({
                caption: "Incidents on the ledger",
                id: "incident-list",
                head: ["Incident", "Hospital", "Harm", "Finding", "Status", "Proposed split", "Determination", "Evidence pack"],
                rows: list.map(({ incident: i, pack }) => [
                  `#${i.incidentId}, ${when(i.occurredAt)}`,
                  i.hospitalName ?? `organisation ${i.hospital}`,
                  `${words(i.severityName)} · ${words(i.categoryName)}`,
                  i.findingName === "NONE" ? "None yet" : words(i.findingName),
                  statusOf(i),
                  proposalCell(pack),
                  determinationCell(i),
                  packCell(i, pack),
                ]),
              }),
      }),
    ],
  });
}
