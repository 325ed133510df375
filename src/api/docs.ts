/**
 * The OpenAPI document's words: a summary and a description per route, what each status means,
 * who may call it (from the access table), the bearer scheme, and an example answer built from the
 * route's own response schema (so an example cannot drift from what the route answers). Applied to
 * every route as it is registered (an onRoute hook); a route missing from ROUTE_DOCS is found by
 * test/api/words.test.ts.
 */
import type { RouteOptions } from "fastify";
import { ACCESS_RULES, type Access } from "./access";
import { capabilityStatement, codeSystems, deviceResource, organizationResource, operationOutcome, searchBundle, type FhirContext } from "../fhir";

type Doc = { summary: string; description: string; ok?: string };
const d = (summary: string, description: string, ok?: string): Doc => ({ summary, description, ok });

/** Summary and description of every route, by "METHOD /path" as Fastify names it. */
export const ROUTE_DOCS: Record<string, Doc> = {
  "GET /healthz": d("Liveness", "Answers while the process serves requests; says nothing of the chain or the index (see /readyz).", "The process is up."),
  "GET /readyz": d("Readiness", "Ready while the indexer runs, the chain node answers and the index is within the allowed lag of the head; otherwise 503 with the reason by code.", "Ready, with the index's lag in blocks."),
  "GET /schemas/{file}": d("A published input format", "The JSON Schema of a file a user writes for the CLI (model-card.json, trace-record.json, dataset-record.json, signed-consent.json), for a client that checks its files before sending them; the same files as schemas/ in the repository, with valid examples in examples/.", "The JSON Schema (draft-07)."),
  "GET /metrics": d("Prometheus metrics", "Indexer lag and throughput, requests and time spent by route and status, in the Prometheus text format.", "The metrics, as text."),
  "POST /auth/nonce": d("Start a sign-in", "A one-time nonce to put in a Sign-In with Ethereum (EIP-4361) message for POST /auth/verify.", "A fresh nonce."),
  "GET /auth/me": d("Who am I", "The signed-in caller's address and role, as every route judges them: read from the ledger at the chain's head for the session's address (a member key's organisation and role; any other address is a patient). A suspended organisation or a revoked key is refused (403), as on every route.", "The caller's address, role (PATIENT or the member's role), organisation id (0 for a patient) and its registered name."),
  "GET /web/config.json": d("The web app's config", "What the web app served at / needs to sign in and to sign consents: the chain id, the SIWE domain and URI this server checks, and the consent registry's EIP-712 domain (read from the contract). Served only by a server that serves the app; `demo` says whether demo identities are offered.", "The config."),
  "GET /web/demo-identities.json": d("Demo identities", "On the local demo chain only (`npm start`): the demo accounts' public test keys with their role and organisation, for the web app's sign-in. Anyone can read these keys: they are for the local demo and nothing else.", "The warning and the identities (governance's key left out)."),
  "GET /policies": d("Approval policy per risk class", "The approval thresholds the ledger holds for each risk class (set by governance; `PolicySet` events): minimum AUC, maximum subgroup AUC gap, minimum bias test cases and minimum grassroots share. Approving or reinstating a version below them is refused by the ledger.", "One policy per risk class that has one."),
  "POST /auth/verify": d("Finish a sign-in", "Checks a signed SIWE message (domain, URI, chain, nonce, expiry) and answers a session token: send it as `Authorization: Bearer <session>`. The signer's key decides the caller's role: a member organisation's key, or any other address as a patient.", "A session token, the signer's address and when the session expires (ISO 8601)."),
  "GET /members": d("Consortium members", "Every admitted organisation: its role, name and status, each number with its name beside it.", "The members."),
  "GET /models": d("Registered models", "Every model: developer, risk class and intended use.", "The models."),
  "GET /models/{id}": d("A model and its versions", "A model by id with every version registered under it.", "The model and its versions."),
  "GET /versions": d("List model versions", "Model versions in registration order, filtered by model, developer and status (name or number); `after` pages on from the previous page's `next`.", "A page of versions and the cursor of the next page (null on the last)."),
  "GET /versions/{id}": d("A model version", "A version by id: training datasets, evaluation (basis points with percentages), status and approval, and its status history.", "The version and its history."),
  "GET /versions/{id}/deployments": d("Deployments of a version", "Which hospitals recorded deploying the version, and when.", "The deployments."),
  "GET /versions/{id}/reports": d("Post-market reports of a version", "Hospitals' performance reports for the version, with subgroup figures and their labels as text.", "The reports."),
  "GET /versions/{id}/alerts": d("Fairness alerts of a version", "Alerts raised when a report's subgroup AUC gap exceeded the policy's limit.", "The alerts."),
  "GET /datasets": d("List datasets", "Datasets in registration order, filtered by custodian and status (name or number); `after` pages on from the previous page's `next`.", "A page of datasets and the cursor of the next page (null on the last)."),
  "GET /datasets/{id}": d("A dataset", "A dataset's roots, allowed purposes (bitmask and names), demographic summary (basis points and percentages) and status.", "The dataset."),
  "GET /datasets/{id}/lineage": d("A dataset's lineage", "The datasets it was derived from and those derived from it.", "Parents and children."),
  "GET /datasets/{id}/uses": d("Recorded uses of a dataset", "Uses recorded against the dataset, by organisation and purpose; a hospital sees only its own datasets' uses.", "The uses."),
  "GET /consents/{subject}": d("A subject's consents", "The current state of each (purpose, grantee) slot of a data subject; a hospital sees only the slots that name it or any member.", "The consent slots."),
  "GET /consents/{subject}/history": d("A subject's consent history", "Every grant, revocation and delegate change of a data subject, in chain order.", "The history."),
  "GET /consents/{subject}/valid": d("Was a consent valid?", "Whether the subject's consent for a purpose to a grantee was valid at a block, at a time, or now (the chain's head block time; never the server's clock).", "The answer, with the time it was judged at."),
  "GET /consents/{subject}/revocation-impact": d("My revocation impact", "The subject's own copy of the revocation-impact report: per revocation of a data-use purpose, the datasets that include the subject (by custodians' disclosed cohorts), the model versions trained on them and the recorded uses, each related to the revocation by chain time. For the subject and their delegates, and oversight; hospitals are refused.", "One entry per revocation."),
  "GET /consents/{subject}/datasets": d("Datasets that include me", "The datasets whose custodians disclosed (by cohort manifest) that they include the subject, revoked or not: custodian, allowed purposes, the subject's consents each relied on (at registration and now), the model versions trained on it with their status, and its recorded uses, each saying whether the subject's consent covered it at its time. For the subject and their delegates, and oversight; hospitals are refused.", "The datasets, and those whose membership this index cannot tell (no manifest)."),
  "GET /batches": d("Trace batches", "Anchored trace batches, oldest first, filtered by hospital, version and time; a hospital sees only its own. `after` pages on from the previous page's `next`.", "A page of batches and the cursor of the next page."),
  "POST /verify": d("Verify trace receipts", "Checks each receipt against the anchored batch (Merkle proof), the version's status and the subject's consent at the trace's time, and names every failed check.", "One result per receipt, in order."),
  "POST /reports/traces": d("Trace report over receipts", "Consent coverage, tier compliance and override rate per model version over the verified, distinct receipts given; the others are listed apart with their reasons (docs/reports.md).", "The report."),
  "POST /relay": d("Relay a signed consent", "Sends a patient's EIP-712 signed grant or revocation to the chain with this hospital's key, so the patient needs no gas.", "The transaction and its block."),
  "GET /reports/recall-impact/{id}": d("Recall impact of a version", "Batches, hospitals and traces that used a model version (exact per-version trace counts).", "The impact."),
  "GET /reports/revocation-impact/{subject}": d("Revocation impact for a subject", "Per revocation of a data-use purpose, the uses under that purpose of the datasets holding the subject, related to the revocation by chain time.", "One entry per revocation."),
  "GET /reports/fairness-alerts": d("All fairness alerts", "Every fairness alert across versions, naming the version and its model.", "The alerts."),
  "GET /incidents/catalogue": d("The incident catalogue", "What incidents are coded with: the on-chain category catalogue (governed), the severities and output findings, and the governed default liability weighting per case in basis points with percentages (docs/accountability.md says how the REJECTED_CORRECT case, the paper's \"reversed\", is read).", "Categories, severities, findings and the weighting."),
  "GET /incidents": d("Incidents", "Adverse events hospitals reported against their traces, in reporting order, filtered by hospital, version and reporting time (`from`, `to`: chain seconds), each with its finding and determination. Oversight sees all; a hospital those it reported; a developer those against its versions; a patient those whose filed trace receipt names them.", "The incidents the caller may see."),
  "GET /incidents/{id}": d("An incident", "One incident with names beside its codes and ISO times beside its chain times: severity, category, the hospital's finding on the model's output, and the APPRAISER's determination (null until recorded). Scoped as the list.", "The incident."),
  "POST /incidents/{id}/receipt": d("File an incident's trace receipt", "The reporting hospital files the receipt of the incident's trace (the body is the receipt). It is checked against the incident's on-chain batch, sequence and record hash, and kept off-chain by this server, flushed to disk before the answer; the patient named in its record then sees the incident. The chain holds no subject for an incident, on purpose. Filing the same receipt again answers the same; another receipt is refused (409).", "Filed."),
  "GET /fhir/metadata": d("FHIR CapabilityStatement", "What this FHIR R4 endpoint serves: resource types, interactions and search parameters.", "The CapabilityStatement."),
  "GET /fhir/Consent": d("FHIR Consent search", "A subject's consent slots as FHIR R4 Consent resources (status at the chain's head block time), paged with _count.", "A searchset Bundle."),
  "GET /fhir/Provenance": d("FHIR Provenance search", "The provenance of a model version (public) or of a trace batch (its hospital and oversight) as a FHIR R4 Provenance.", "A searchset Bundle."),
  "GET /fhir/AuditEvent": d("FHIR AuditEvent search", "Membership, key and model-version status changes as FHIR R4 AuditEvents, in chain order; `date`, `_lastUpdated` and `since` take FHIR dates, paged with _count.", "A searchset Bundle."),
  "GET /fhir/Organization": d("FHIR Organization search", "Consortium members as FHIR R4 Organizations, paged with _count.", "A searchset Bundle."),
  "GET /fhir/Organization/{id}": d("FHIR Organization read", "One consortium member as a FHIR R4 Organization.", "The Organization."),
  "GET /fhir/Device": d("FHIR Device search", "Model versions as FHIR R4 Devices, paged with _count.", "A searchset Bundle."),
  "GET /fhir/Device/{id}": d("FHIR Device read", "One model version (id: its versionId without 0x) as a FHIR R4 Device.", "The Device."),
  "GET /fhir/CodeSystem": d("FHIR CodeSystem search", "medprov's own code systems (purposes, roles, statuses, events); `url` finds one by its canonical URL.", "A searchset Bundle."),
  "GET /fhir/CodeSystem/{id}": d("FHIR CodeSystem read", "One of medprov's code systems.", "The CodeSystem."),
  "GET /fhir/Consent/{id}": d("FHIR Consent read", "One consent slot (id consent-<subject without 0x>-<purpose>-<grantee>), scoped like the search.", "The Consent."),
  "GET /fhir/Provenance/{id}": d("FHIR Provenance read", "The provenance of a model version (public) or of a trace batch (its hospital and oversight), by its id without 0x.", "The Provenance."),
  "GET /fhir/AuditEvent/{id}": d("FHIR AuditEvent read", "One membership, key or version status change (the id a search gave).", "The AuditEvent."),
};

/** What each error status means, for the document. */
const STATUS_TEXT: Record<string, string> = {
  400: "Bad input: the body names the parameter and the rule it broke.",
  401: "Not signed in, or the session is unknown or expired (sign in with POST /auth/nonce and /auth/verify).",
  403: "The caller's role may not read this, or only part of it (a hospital reads its own, a patient their own).",
  404: "No such ledger object.",
  409: "Conflicts with what is already kept (another receipt on file for the incident).",
  413: "The body is larger than this route accepts.",
  422: "The ledger refused the call; the code is the contract's custom error, the message says why in words.",
  501: "This server does not do this (not configured).",
  503: "Not ready (the chain node or the index); try again after Retry-After seconds.",
};
const ERROR_EXAMPLES: Record<string, { code: string; message: string }> = {
  400: { code: "BAD_REQUEST", message: "querystring/limit must be >= 1" },
  401: { code: "UNAUTHENTICATED", message: "sign in with Ethereum first (POST /auth/nonce, then /auth/verify)" },
  403: { code: "FORBIDDEN", message: "a model developer may not read this (it is for hospitals, regulators, auditors)" },
  404: { code: "NOT_FOUND", message: "version 0x5c1f… is not on this ledger" },
  409: { code: "INCIDENT_RECEIPT_CONFLICT", message: "incident 1 already has a different receipt on file (batch 0x5c1f…, sequence 7); one incident, one trace" },
  413: { code: "PAYLOAD_TOO_LARGE", message: "the request body is too large" },
  422: { code: "ConsentRegistryInvalidNonce", message: "the signed request quotes nonce 0 but the consent is at nonce 1: it was used, or overtaken by a later grant or revocation" },
  501: { code: "RELAY_DISABLED", message: "this server does not relay consents; submit the signed request to a hospital that does" },
  503: { code: "INDEX_NOT_READY", message: "the index is 12 blocks behind the chain head (at most 5 allowed)" },
};

type Schema = { type?: string | string[]; additionalProperties?: unknown; properties?: Record<string, Schema>; items?: Schema; pattern?: string; enum?: unknown[]; oneOf?: Schema[]; anyOf?: Schema[]; const?: unknown };

const HEX32 = "0x5c1f9e0a3b7d2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6";
/** Example values by field name, for fields whose meaning the type alone does not show. */
const BY_FIELD: Record<string, unknown> = {
  roleName: "HOSPITAL", statusName: "APPROVED", previousName: "SUBMITTED", riskClassName: "HIGH", purposeName: "RESEARCH", name: "sepsis-risk",
  allowedPurposesNames: ["RESEARCH", "MODEL_TRAINING"], indicationsNames: ["CHEST_RADIOGRAPH_FINDINGS", "PNEUMONIA_DIAGNOSIS"], subgroupText: "region:EAST", allowedPurposes: "12", kind: "GRANTED", code: "NOT_FOUND",
  message: "version 0x5c1f… is not on this ledger", intendedUse: "early warning of sepsis in adult inpatients", uri: "s3://hospital-a/encrypted/ds.tar.age",
  filingCode: "NMPA-2026-0042", status: 2, role: 1, riskClass: 1, purpose: 2, relation: "BEFORE_REVOCATION", session: "5f2c0d8e6b1a4f3e9d7c2b1a0f9e8d7c", next: null,
};

/** An example value for a schema, field-aware: names, ISO times, percentages and ids that look like the real ones. */
export function exampleOf(s: Schema | undefined, field = ""): unknown {
  if (!s) return {};
  if (field in BY_FIELD) return BY_FIELD[field];
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  if (s.oneOf) return exampleOf(s.oneOf[0], field);
  if (s.anyOf) return exampleOf(s.anyOf.find((x) => x.type !== "null") ?? s.anyOf[0], field);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  if (type === "object") return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, exampleOf(v, k)]));
  if (type === "array") return s.items ? [exampleOf(s.items, field.replace(/s$/, ""))] : [];
  if (type === "boolean") return true;
  if (type === "number") return 0.95;
  if (type === "integer") return /time$|Time$|At$|^period/.test(field) ? 1_777_636_800 : /Percent$/.test(field) ? 90 : /block|Block/.test(field) ? 4_213 : 1;
  if (field.endsWith("Iso") || field === "expiresAt" || field === "revokedAt" || field === "registered") return "2026-05-01T12:00:00.000Z";
  if (field.endsWith("Name")) return "Hospital A";
  if (s.pattern === "^0x[0-9a-fA-F]{40}$" || /subject|address|signer|delegate|actor|relayer/.test(field)) return "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  if (s.pattern === "^0x[0-9a-fA-F]{64}$" || /Id$|Hash$|Root$|^tx$|^root$|^leaf$/.test(field) || field.endsWith("Id")) return HEX32;
  if (/^(auc|sensitivity|specificity|subgroupAucGap|grassrootsShare|cases|biasTestCases|firstSeq)$/.test(field)) return "9000";
  if (field === "checkpoint") return "000000004213000002";
  return "text";
}

/** The document's tags, with what each groups. */
export const TAGS = [
  { name: "health", description: "Liveness, readiness, metrics" },
  { name: "auth", description: "Sign-In with Ethereum: a session for the bearer scheme" },
  { name: "registry", description: "Public registry facts: members, models, versions, datasets" },
  { name: "models", description: "Consortium-internal facts about model versions: deployments, reports, alerts" },
  { name: "datasets", description: "Recorded uses of datasets" },
  { name: "consents", description: "Patients' consents: state, history, validity at a time, relaying signed requests" },
  { name: "traces", description: "Anchored clinical decision trace batches" },
  { name: "verify", description: "Verifying trace receipts" },
  { name: "reports", description: "Impact, fairness and trace reports for oversight" },
  { name: "incidents", description: "Adverse events against traces, their findings and determinations, and the receipts hospitals file for them" },
  { name: "fhir", description: "FHIR R4 endpoint (application/fhir+json)" },
  { name: "formats", description: "The published input formats (JSON Schemas)" },
  { name: "web", description: "What the web app at / reads besides the other routes (served only with the app)" },
];

/** The bearer scheme of the document (the same name kit.route uses). */
export const SECURITY_SCHEMES = {
  session: { type: "http", scheme: "bearer", description: "A session token from POST /auth/verify (Sign-In with Ethereum), as `Authorization: Bearer <session>`. Public routes take it too (a signed-in caller's answers are not cached)." },
} as const;

/** Example answers of the FHIR routes, built by the same mappings the routes use. */
function fhirExamples(): Record<string, unknown> {
  const t = 1_777_636_800;
  const ctx: FhirContext = { chainId: 31337, addresses: { consortium: "0x5FbDB2315678afecb367f032d93F642f64180aa3", consents: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", models: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", traces: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9" }, orgName: (id) => ["", "Hospital A", "Hospital B", "Model Developer"][id] };
  const org = organizationResource({ orgId: 1, role: 1, name: "Hospital A", status: 1 });
  const device = deviceResource(ctx, { versionId: HEX32, modelId: HEX32, developer: 3, parent: "0x" + "00".repeat(32), weightsHash: HEX32, modelCardHash: HEX32, trainingDatasets: [HEX32], status: 2, filingCode: "NMPA-2026-0042", approvedBy: 4, registeredTime: t, tx: HEX32 }, { name: "sepsis-risk" });
  const purposes = codeSystems(new Map(), {})[0];
  const base = "https://api.example/fhir";
  const bundle = (r: { resourceType: string }) => searchBundle([r as never], t, { base, link: [{ relation: "self", url: `${base}/${r.resourceType}` }] });
  return {
    "GET /incidents/catalogue": d("The incident catalogue", "What incidents are coded with: the on-chain category catalogue (governed), the severities and output findings, and the governed default liability weighting per case in basis points with percentages (docs/accountability.md says how the REJECTED_CORRECT case, the paper's \"reversed\", is read).", "Categories, severities, findings and the weighting."),
  "GET /incidents": d("Incidents", "Adverse events hospitals reported against their traces, in reporting order, filtered by hospital, version and reporting time (`from`, `to`: chain seconds), each with its finding and determination. Oversight sees all; a hospital those it reported; a developer those against its versions; a patient those whose filed trace receipt names them.", "The incidents the caller may see."),
  "GET /incidents/{id}": d("An incident", "One incident with names beside its codes and ISO times beside its chain times: severity, category, the hospital's finding on the model's output, and the APPRAISER's determination (null until recorded). Scoped as the list.", "The incident."),
  "POST /incidents/{id}/receipt": d("File an incident's trace receipt", "The reporting hospital files the receipt of the incident's trace (the body is the receipt). It is checked against the incident's on-chain batch, sequence and record hash, and kept off-chain by this server, flushed to disk before the answer; the patient named in its record then sees the incident. The chain holds no subject for an incident, on purpose. Filing the same receipt again answers the same; another receipt is refused (409).", "Filed."),
  "GET /fhir/metadata": capabilityStatement(base, t, "1.0.0"),
    "GET /fhir/Organization": bundle(org), "GET /fhir/Organization/{id}": org,
    "GET /fhir/Device": bundle(device), "GET /fhir/Device/{id}": device,
    "GET /fhir/CodeSystem": bundle(purposes), "GET /fhir/CodeSystem/{id}": purposes,
  };
}
let FHIR_EXAMPLES: Record<string, unknown> | undefined;

const openApiPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, "{$1}");

/**
 * Adds the route's words to its schema as it is registered: summary, description (with who may
 * call it), the bearer scheme (optional on public routes), and per response status a description
 * and an example. Hidden routes (the document itself, /docs) are left alone.
 */
export function documentRoute(route: RouteOptions): void {
  const schema = route.schema as (Record<string, unknown> & { hide?: boolean; response?: Record<string, Schema> }) | undefined;
  if (!schema || schema.hide) return;
  const method = Array.isArray(route.method) ? route.method[0] : route.method;
  if (method === "HEAD") return; // Fastify's HEAD twin of a GET route shares its schema, already documented
  const doc = ROUTE_DOCS[`${method} ${openApiPath(route.url)}`];
  const access = (route.config as { access?: Access } | undefined)?.access;
  const who = access ? `\n\nWho may call it: ${ACCESS_RULES[access].allowed.filter((k) => k !== "anonymous").join(", ")}${access === "public" ? ", and anyone not signed in" : ""} (${ACCESS_RULES[access].note}).` : "";
  schema.summary = doc?.summary ?? `${method} ${route.url}`;
  schema.description = `${doc?.description ?? (schema.description as string | undefined) ?? ""}${schema.description && doc ? `\n\n${schema.description}` : ""}${who}`.trim();
  schema.security = access === "public" ? [{}, { session: [] }] : [{ session: [] }];
  const response: Record<string, unknown> = {};
  for (const [status, s] of Object.entries(schema.response ?? {})) {
    const ok = Number(status) < 400;
    const description = ok ? (doc?.ok ?? "The answer.") : (STATUS_TEXT[status] ?? "An error, named by its code.");
    const e = ERROR_EXAMPLES[status] ?? ERROR_EXAMPLES[400];
    FHIR_EXAMPLES ??= fhirExamples();
    const example = ok ? (FHIR_EXAMPLES[`${method} ${openApiPath(route.url)}`] ?? exampleOf(s)) : s.properties?.error ? { error: e } : s.properties?.issue ? operationOutcome(Number(status), e.code, e.message) : exampleOf(s);
    response[status] = { ...s, description, examples: [example] };
  }
  schema.response = response as Record<string, Schema>;
}
