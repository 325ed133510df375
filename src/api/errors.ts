/**
 * The error catalogue: every MedprovError code the SDK, the indexer and the API raise, with the
 * HTTP status it is answered with, in one place. Ledger reverts (LedgerRevertError, named after the
 * contract's custom error) are all 422. A code missing here is a bug that test/api/strict.test.ts
 * finds by reading the sources; at run time an unknown retryable error is still a 503, never a 500.
 */
import { LedgerRevertError, MedprovError, toDomainError } from "../sdk";

/** Seconds a client should wait before trying an unavailable answer again. */
const SOON = 5;

type Entry = { status: number; retryAfter?: number; means: string };
const e = (status: number, means: string, retryAfter?: number): Entry => ({ status, means, ...(retryAfter ? { retryAfter } : {}) });
const input = (means: string) => e(400, means);
const unavailable = (means: string, retryAfter = SOON) => e(503, means, retryAfter);
const serverFault = (means: string) => e(500, means);

export const ERROR_CATALOGUE = {
  // ── API: the request ──
  BAD_REQUEST: input("the request does not fit the route's schema"),
  INVALID_INTEGER: input("a query parameter that must be a whole number is not one in plain decimal digits"),
  OUT_OF_RANGE: input("a number is outside the range its parameter allows"),
  REPEATED_PARAMETER: input("a query parameter was given more than once"),
  CONTRADICTORY_PARAMETERS: input("parameters that exclude each other were given together"),
  INVALID_TIME: input("a time is neither Unix seconds, an ISO 8601 date-time with offset nor (on /fhir) a FHIR date"),
  ADDRESS_CHECKSUM: input("a mixed-case address fails its EIP-55 checksum"),
  UINT_OVERFLOW: input("a number does not fit the Solidity integer type of its field"),
  TOO_MANY_RECEIPTS: input("more receipts than one request may carry"),
  URI_TOO_LONG: e(414, "a path segment is longer than the router accepts"),
  UNSUPPORTED_MEDIA_TYPE: e(415, "the body is not JSON"),
  PAYLOAD_TOO_LARGE: e(413, "the body is larger than the body limit"),
  UNAUTHENTICATED: e(401, "no session, or an unknown or expired one"),
  SIWE_INVALID: e(401, "the sign-in message or signature was refused"),
  FORBIDDEN: e(403, "the caller's role may not read this"),
  NOT_FOUND: e(404, "no such route or ledger object"),
  RATE_LIMITED: e(429, "too many requests from this client"),
  RELAY_DISABLED: e(501, "this server relays no consents (no relayer key configured)"),
  // ── API: the server ──
  NOT_READY: unavailable("the chain node did not answer"),
  INDEX_NOT_READY: unavailable("the index has not caught up with the chain, or its loop stopped"),
  INTERNAL: serverFault("an unexpected error; logged on the server"),
  PORT_IN_USE: serverFault("the API could not listen (start-up only)"),
  PORT_DENIED: serverFault("the API could not listen (start-up only)"),
  BAD_HOST: serverFault("the API could not listen (start-up only)"),
  // ── SDK ──
  RPC_UNAVAILABLE: unavailable("the chain's RPC could not be reached or failed"),
  CHAIN_UNAVAILABLE: unavailable("the node returned no head block"),
  INSUFFICIENT_FUNDS: serverFault("the signing key (on the API, the relayer's) cannot pay gas: configuration, fund it"),
  TX_TIMEOUT: unavailable("a transaction was not mined in time; it may still be: check before resending", 30),
  RECEIPT_MALFORMED: input("a trace receipt does not fit the receipt format"),
  TRACE_NOT_OBJECT: input("a trace record is not a JSON object"),
  TRACE_UNKNOWN_FIELD: input("a trace record carries a field outside the schema"),
  TRACE_MISSING_FIELD: input("a trace record lacks a field"),
  TRACE_BAD_FIELD: input("a trace record field has the wrong type or range"),
  TRACE_FUTURE_TIME: input("a trace is stamped later than chain time allows"),
  TRACE_TOO_OLD: input("a trace is older than the chain anchors (MAX_TRACE_AGE, less the clock skew margin)"),
  TIME_BEFORE_LAST_BATCH: input("a trace is stamped before the end of the hospital's last batch window (windows never run backwards)"),
  TRACE_VERSION_NOT_DEPLOYED: input("a trace names a model version its hospital never recorded as deployed"),
  BATCH_TOO_MANY_VERSIONS: input("a batch would name more model versions than a batch may"),
  CARD_NOT_OBJECT: input("a model card is not a JSON object"),
  CARD_UNKNOWN_FIELD: input("a model card carries an unknown field"),
  CARD_MISSING_FIELD: input("a model card lacks a field"),
  CARD_BAD_FIELD: input("a model card field has the wrong type or range"),
  MODEL_BAD_RISK_CLASS: input("an unknown risk class"),
  GOVERNANCE_BAD_ARGUMENT: input("a governance call's argument is invalid"),
  DATASET_BAD_RECORD: input("a dataset record does not fit the schema"),
  DATASET_EMPTY: input("a dataset has no records"),
  DATASET_NO_DEMOGRAPHICS: input("a dataset's records carry no demographics"),
  DATASET_NO_PURPOSES: input("a dataset allows no purpose"),
  DATASET_NOT_FOUND: e(404, "a dataset file does not exist"),
  EVENT_MISSING: e(502, "the chain accepted a write but the expected event is not in its receipt"),
  DEPLOYMENT_NOT_FOUND: serverFault("the deployment manifest is missing (configuration)"),
  DEPLOYMENT_INVALID: serverFault("the deployment manifest is invalid (configuration)"),
  VAULT_FORMAT: serverFault("a trace vault has an unknown format"),
  VAULT_CORRUPT: serverFault("a trace vault is damaged"),
  VAULT_CHAIN_MISMATCH: serverFault("a trace vault belongs to another chain"),
  VAULT_LOCKED: unavailable("another process holds the trace vault"),
  VAULT_NOT_FOUND: serverFault("the trace vault does not exist (configuration)"),
  VAULT_READ_ONLY: serverFault("a read-only vault was asked to write"),
  BATCH_REFUSED: e(422, "the chain refused a sealed batch (a version no longer APPROVED); its traces were quarantined"),
  OUTBOX_LOCKED: unavailable("another process writes with this server's outbox"),
  OUTBOX_FORMAT: serverFault("the outbox was written by another layout"),
  OUTBOX_NO_PROVIDER: serverFault("the relayer has no provider (configuration)"),
  OUTBOX_NO_FEE_DATA: serverFault("the chain node gave neither EIP-1559 fees nor a gas price (its configuration)"),
  OUTBOX_UNKNOWN_TX: serverFault("the outbox was asked about a transaction it never kept"),
  OUTBOX_KEY_CONFLICT: e(409, "an idempotency key already names another write"),
  TX_REPLACED: unavailable("another transaction took this write's nonce; send it again"),
  // ── CLI and SDK: operating on a named network (docs/consortium.md) ──
  NETWORKS_NOT_FOUND: input("the networks file (--networks) cannot be read"),
  NETWORKS_MISSING_FIELD: input("a network in the networks file lacks a field (schemas/networks.json)"),
  NETWORKS_UNKNOWN_FIELD: input("the networks file carries a field outside its format"),
  NETWORKS_BAD_FIELD: input("a field of the networks file has the wrong type or range"),
  INCIDENT_RECEIPT_MISMATCH: input("the receipt given for an incident does not hash to its own leaf (use the receipt the hospital's vault issued)"),
  INCIDENT_BAD_SEVERITY: input("an incident's severity is not one of the catalogue's severities"),
  INCIDENT_BAD_NARRATIVE: input("an incident needs the hash of its off-chain narrative"),
  INCIDENT_BAD_TIME: input("an incident's time is not a time in chain seconds"),
  INCIDENT_BAD_FINDING: input("a finding is CORRECT, INCORRECT or INDETERMINATE with the hash of its follow-up"),
  INCIDENT_BAD_SHARES: input("a determination's shares must be whole basis points summing to 10000"),
  INCIDENT_BAD_RULING: input("a determination needs the hash of its ruling"),
  INCIDENT_UNKNOWN: e(404, "no incident has this id (on the chain, or in this API's index yet)"),
  INCIDENT_NOT_REPORTER: e(403, "only the hospital that reported an incident files its trace receipt"),
  INCIDENT_RECEIPT_NOT_THE_TRACE: input("the receipt filed for an incident is not the incident's trace (another batch, sequence, record or deployment)"),
  INCIDENT_RECEIPT_CONFLICT: e(409, "the incident already has a different trace receipt on file; one incident, one trace"),
  INCIDENT_RECEIPTS_DISABLED: e(501, "this server keeps no incident receipts (started without a receipt store)"),
  EVIDENCE_NO_RECEIPT: e(409, "no receipt of the incident's trace is filed yet; the reporting hospital files it"),
  FILING_BAD_WHITE_PAPER: input("the white paper hash is not 32-byte hex"),
  FILING_BAD_INSURANCE: input("the insurance reference is incomplete or its coverage ends before it starts"),
  APPROVAL_NO_INDICATIONS: input("an approval names at least one indication it covers (medprov indication list)"),
  FOUNDERS_MISSING_FIELD: input("a founding member in the founders file (--founders) lacks a field (schemas/founders.json)"),
  FOUNDERS_UNKNOWN_FIELD: input("the founders file carries a field outside its format"),
  FOUNDERS_BAD_FIELD: input("a field of the founders file has the wrong type or range (a role medprov lacks, a key that is not an address)"),
  FOUNDERS_DUPLICATE_KEY: input("the founders file lists one key for two organisations; a key acts for one"),
  NETWORK_NOT_FOUND: input("--network names no network of the networks file"),
  NETWORK_REQUIRED: input("a command that writes a named network's deployment was run without --network"),
  WRONG_CHAIN: input("the node serves another chain than the network or deployment names"),
  BAD_ARGUMENT: input("command-line options that exclude each other were given together, or a required one is missing"),
  DEPLOYMENT_EXISTS: e(409, "deployments/<name>.json already holds a deployment; medprov never overwrites one"),
  // ── Ledger generations (docs/consortium.md) ──
  DEPLOYMENT_FOREIGN: input("deployments/<name>.json was not written by `medprov deploy` for this network; a successor generation is opened only on the network's own manifest"),
  GENERATION_RANGE: input("a generation's block range would not follow the previous one's"),
  KEY_LOCKED: input("a keystore could not be unlocked: wrong password, or not a keystore file"),
  KEY_KEYSTORE_REQUIRED: input("on a named network keys come only from a keystore or an external signer"),
  SIGNER_ACCOUNT: input("the external signer does not hold the account, or holds several and none was named"),
  SIGNER_MISMATCH: e(502, "the external signer returned a transaction other than the one asked"),
  // ── SDK and CLI: a patient's pairwise pseudonyms (docs/pseudonyms.md) ──
  PSEUDONYM_SECRET_INVALID: input("a patient secret is 32 bytes of hex held by this process (not an external signer)"),
  PSEUDONYM_NOT_HOSPITAL: input("a pseudonym was asked for a member that is not a hospital of the consortium"),
  // ── SDK and CLI: governance through the consortium's Safe ──
  SAFE_NOT_FOUND: input("the deployment's governance account is not a Safe"),
  SAFE_BAD_OWNERS: input("Safe owners named twice, or a threshold outside 1..owners"),
  SAFE_BAD_SIGNATURE: input("a signature in a proposal is not its signer's signature of the proposal's Safe transaction"),
  SAFE_NOT_OWNER: input("a proposal is signed by an account that is not an owner of the Safe"),
  SAFE_BELOW_THRESHOLD: e(409, "fewer owners signed a proposal than the Safe's threshold"),
  SAFE_NONCE_USED: e(409, "the Safe already executed a transaction with the proposal's nonce: the proposal is stale"),
  SAFE_NONCE_AHEAD: e(409, "earlier Safe transactions must be executed before this proposal"),
  SAFE_EXECUTION_FAILED: e(422, "the Safe ran a proposal's call and the call failed"),
  GOVERNANCE_PROPOSAL_INVALID: input("a proposal file is malformed, or its Safe transaction is not the action it names"),
  GOVERNANCE_NOT_SCHEDULED: e(409, "a proposal's execute step names a call that is not scheduled"),
  GOVERNANCE_NOT_READY: e(409, "a scheduled governance call's delay has not passed (by chain time)"),
  FILE_EXISTS: e(409, "an output file already exists and is never overwritten"),
  FILE_NOT_FOUND: input("a file named on the command line cannot be read"),
  // ── indexer ──
  RPC_INCONSISTENT: unavailable("the RPC kept answering inconsistently"),
  RPC_RANGE_REFUSED: unavailable("the RPC refused eth_getLogs even for a one-block range"),
  REORG_TOO_DEEP: unavailable("the chain replaced blocks deeper than the finality; the index must be rebuilt", 60),
  INDEX_LOCKED: unavailable("another process holds the index"),
  INDEX_LAYOUT: serverFault("the index was written by another layout; rebuild it"),
  INDEX_GENERATIONS: serverFault("the deployment manifest's generations contradict what the index already read; rebuild it"),
  MANIFEST_INVALID: input("a cohort manifest is not a valid Merkle tree dump"),
  MANIFEST_UNKNOWN_DATASET: e(404, "a cohort manifest names a dataset the index does not hold"),
  COHORT_MISMATCH: e(422, "a cohort manifest's root is not the dataset's on-chain cohort root"),
  MANIFESTS_NOT_FOUND: serverFault("the cohort manifest directory does not exist (configuration)"),
} as const satisfies Record<string, Entry>;

export type ApiErrorCode = keyof typeof ERROR_CATALOGUE;
/** Status per API code (kept for callers of the former table). */
export const API_ERRORS = Object.fromEntries(Object.entries(ERROR_CATALOGUE).map(([k, v]) => [k, v.status])) as { [K in ApiErrorCode]: number };
/** Every contract revert (LedgerRevertError) is answered with this status. */
export const LEDGER_REVERT_STATUS = 422;

export class ApiError extends MedprovError {
  declare readonly code: ApiErrorCode;
  constructor(code: ApiErrorCode, message: string) {
    super(code, message, "retryAfter" in ERROR_CATALOGUE[code]);
    this.name = "ApiError";
  }
  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string } };
}

const reply = (status: number, code: string, message: string, retryAfter?: number): ErrorReply => ({ status, headers: retryAfter ? { "retry-after": String(retryAfter) } : {}, body: { error: { code, message } } });

/** Fastify's own 4xx (body parsing, router, content type), by status: a named code instead of its FST_ names. */
const FRAMEWORK: Record<number, ApiErrorCode> = { 413: "PAYLOAD_TOO_LARGE", 414: "URI_TOO_LONG", 415: "UNSUPPORTED_MEDIA_TYPE", 429: "RATE_LIMITED" };

/**
 * The answer to any error a route threw: MedprovErrors by the catalogue (5xx messages are hidden
 * unless the code says what to do, as "unavailable" ones do), validation failures as BAD_REQUEST
 * naming the field, ethers' network failures as RPC_UNAVAILABLE. `internal` is true when the
 * error is unexpected and must be logged.
 */
export function errorReply(error: unknown): ErrorReply & { internal: boolean } {
  const err = error as Error & { statusCode?: number; validation?: unknown; validationContext?: string };
  if (err?.validation) return { ...reply(400, "BAD_REQUEST", err.message), internal: false };
  const status = err?.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500 && !(err instanceof MedprovError)) {
    return { ...reply(status, FRAMEWORK[status] ?? "BAD_REQUEST", status === 413 ? "the request body is too large" : err.message || "bad request"), internal: false };
  }
  const d = toDomainError(error);
  if (d instanceof LedgerRevertError) return { ...reply(LEDGER_REVERT_STATUS, d.code, d.message), internal: false };
  if (d instanceof MedprovError) {
    const entry: Entry | undefined = (ERROR_CATALOGUE as Record<string, Entry>)[d.code];
    if (entry) {
      const shown = entry.status < 500 || entry.retryAfter !== undefined || entry.status === 501;
      return { ...reply(entry.status, d.code, shown ? d.message : "internal error", entry.retryAfter), internal: !shown };
    }
    if (d.retryable) return { ...reply(503, d.code, d.message, SOON), internal: true };
  }
  return { ...reply(500, "INTERNAL", "internal error"), internal: true };
}

export const errorSchema = {
  type: "object",
  required: ["error"],
  properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } } },
} as const;
