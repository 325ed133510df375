/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * medprov's web app: sign-in, then the page of the signed-in role (from the ledger). Preact with
 * plain h() calls: components with state (a switch pending until the index has its event) in 4 KB,
 * and no JSX, so the repository's one TypeScript configuration checks these files too.
 */
import { h, render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { api, onSessionEnded, type WebConfig } from "./api";
import { short, words } from "./format";
import { hasWallet, restore, signInAsDemo, signInWithWallet, signOut, type DemoIdentity, type Me } from "./session";
import { ErrorNote, Section, Show, useLoad } from "./ui";
import { findDemoPatient } from "./demo-patients";
import { PatientPage } from "./patient";
import { AuditorPage } from "./auditor";
import { HospitalPage, RegulatorPage } from "./org-pages";
import { IncidentsPage } from "./incidents";

type Page = "patient" | "auditor" | "verify" | "hospital" | "regulator" | "incidents";
const TITLES: Record<Page, string> = { patient: "My consents", auditor: "Audit", verify: "Verify receipts", hospital: "Hospital", regulator: "Regulator", incidents: "Incidents" };

/** The pages a role has, first the one it lands on. */
export function pagesOf(role: string): Page[] {
  if (role === "PATIENT") return ["patient"];
  if (role === "AUDITOR") return ["auditor", "regulator"];
  if (role === "REGULATOR") return ["regulator", "auditor"];
  if (role === "HOSPITAL") return ["hospital", "verify"];
  if (role === "APPRAISER") return ["incidents", "verify"];
  return ["verify"];
}

const pageFromHash = () => location.hash.replace(/^#\/?/, "") as Page;

function useHash(): Page {
  const [page, setPage] = useState(pageFromHash());
  useEffect(() => {
    const on = () => setPage(pageFromHash());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return page;
}

function SignIn({ config, onSignedIn, notice }: { config: WebConfig; onSignedIn: (me: Me) => void; notice?: string }) {
  const demo = useLoad(() => (config.demo ? api<{ warning: string; identities: DemoIdentity[] }>("/web/demo-identities.json") : Promise.resolve(undefined)), "demo");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [patient, setPatient] = useState("0");
  const go = async (f: () => Promise<Me>) => {
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await f());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return h("div", { class: "signin" }, [
    h(Section, {
      title: "Sign in",
      id: "signin",
      children: [
        notice ? h("p", { class: "notice", role: "alert", "data-testid": "session-ended" }, notice) : null,
        h("p", null, "medprov signs you in with your Ethereum key (EIP-4361): you sign a one-time message; nothing is sent to the chain. What you may see comes from your role on the ledger."),
        hasWallet() ? h("button", { type: "button", class: "primary", disabled: busy, onClick: () => go(() => signInWithWallet(config)) }, "Sign in with your wallet") : h("p", { class: "muted" }, "No browser wallet found (EIP-1193). On the local demo you can sign in as one of the demo accounts below."),
        error ? ErrorNote({ error }) : null,
      ],
    }),
    config.demo
      ? h(Section, {
          title: "Demo identities",
          id: "demo",
          children: Show({
            it: demo,
            what: "demo identities",
            show: (d: { warning: string; identities: DemoIdentity[] } | undefined) => {
              if (!d) return null;
              const orgs = d.identities.filter((i) => i.organisation);
              const patients = d.identities.filter((i) => i.role === "PATIENT");
              return [
                h("p", { class: "warning" }, "These are public test keys that anyone can read: use them on this local demo only."),
                h("h3", null, "Organisations"),
                h("ul", { class: "identities" }, orgs.map((i) => h("li", null, h("button", { type: "button", disabled: busy, onClick: () => go(() => signInAsDemo(config, i)) }, i.organisation!.name, h("span", { class: "muted" }, ` ${words(i.role)} · ${i.name}`))))),
                h("h3", null, "Patients"),
                PatientPicker({ patients, query: patient, setQuery: setPatient, busy, go: (p) => void go(() => signInAsDemo(config, p)) }),
              ];
            },
          }),
        })
      : null,
  ]);
}

/** Any demo patient, by number, name, MRN or address: one labelled field, the match (or why none) announced. */
function PatientPicker({ patients, query, setQuery, busy, go }: { patients: DemoIdentity[]; query: string; setQuery: (q: string) => void; busy: boolean; go: (p: DemoIdentity) => void }) {
  const found = findDemoPatient(patients, query);
  const last = patients.length - 1;
  return h("form", { class: "picker", onSubmit: (e: Event) => (e.preventDefault(), found && go(found)) }, [
    h("label", { for: "patient" }, "Patient"),
    h("input", { id: "patient", value: query, spellcheck: false, autocomplete: "off", "aria-describedby": "patient-hint patient-match", onInput: (e: Event) => setQuery((e.target as HTMLInputElement).value) }),
    h("p", { id: "patient-hint", class: "muted" }, `A number from 0 to ${last} (${patients.length} demo patients), or a name (patient-${Math.min(7, last)}), an MRN or an address.`),
    h("p", { id: "patient-match", "aria-live": "polite", "data-testid": "patient-match" }, found ? `${found.name}${found.mrn ? `, ${found.mrn}` : ""}, ${short(found.address)}` : query.trim() ? "No demo patient matches that." : "Type a number or a name."),
    h("button", { type: "submit", disabled: busy || !found }, "Sign in as this patient"),
  ]);
}

function Shell({ config }: { config: WebConfig }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  // Why the page returned to sign-in on its own (a session the API no longer knows), said on the sign-in page.
  const [notice, setNotice] = useState<string | undefined>();
  const hash = useHash();
  useEffect(() => {
    // Any answer that ends the session (a restarted server forgets it): back to sign-in, saying why.
    onSessionEnded((words) => (signOut(), setNotice(words), setMe(null)));
    void restore().then((m) => setMe(m ?? null), () => (signOut(), setMe(null)));
    return () => onSessionEnded(undefined);
  }, []);
  if (me === undefined) return h("p", { class: "loading" }, "Loading…");
  const pages = me ? pagesOf(me.role) : [];
  const page = pages.includes(hash) ? hash : pages[0];
  const header = h("header", { class: "top" }, [
    h("a", { class: "brand", href: "#" }, "medprov"),
    me
      ? h("nav", { "aria-label": "Pages" }, pages.map((p) => h("a", { href: `#/${p}`, "aria-current": p === page ? "page" : undefined }, TITLES[p])))
      : null,
    me
      ? h("div", { class: "who" }, [
          me.demo ? h("span", { class: "demo-badge", "data-testid": "demo-badge" }, "Demo identity") : null,
          h("span", null, `${me.label} · ${words(me.role)}${me.orgId ? `, ${me.orgName ?? `organisation ${me.orgId}`}` : ""} · ${short(me.address)}`),
          h("button", { type: "button", class: "link", onClick: () => (signOut(), setNotice(undefined), setMe(null), (location.hash = "")) }, "Sign out"),
        ])
      : null,
  ]);
  const body = !me
    ? h(SignIn, { config, notice, onSignedIn: (m) => void (setNotice(undefined), setMe(m), (location.hash = `#/${pagesOf(m.role)[0]}`)) })
    : page === "patient"
      ? h(PatientPage, { me, config })
      : page === "hospital"
        ? h(HospitalPage, { orgId: me.orgId })
        : page === "regulator"
          ? h(RegulatorPage, {})
          : page === "incidents"
            ? h(IncidentsPage, {})
            : h(AuditorPage, { oversight: page === "auditor", demo: config.demo });
  return h("div", { class: "app" }, [header, h("main", { id: "main" }, [h("h1", null, me ? TITLES[page] : "medprov"), body])]);
}

async function boot() {
  const root = document.getElementById("app")!;
  try {
    const config = await api<WebConfig>("/web/config.json");
    render(h(Shell, { config }), root);
  } catch (e) {
    render(h("main", { id: "main" }, [h("h1", null, "medprov"), ErrorNote({ error: e })]), root);
  }
}

void boot();
