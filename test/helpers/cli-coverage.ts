/**
 * Which end-to-end test runs each CLI command (a spawned `bin/medprov` against a node), and which
 * test sees each command group refuse in one line. test/cli/commands.test.ts fails when a command
 * of the CLI is missing here; each file's last test (checkOwnedCommands) fails when the test named
 * here did not run its command to success, so the table cannot claim a test that does not exist.
 */
export interface CoveredBy {
  /** The test file, under test/. */
  file: string;
  /** The test's title (the string given to `it`). */
  test: string;
}

const MAIN = "cli.test.ts";
const MEMBER = "member.test.ts";
const MANIFESTS = "manifests.test.ts";
const LOGIN = "login.test.ts";
const NETWORK = "network.test.ts";
const GOVERNANCE = "governance.test.ts";
const PSEUDONYMS = "pseudonyms.test.ts";
const INCIDENT = "incident.test.ts";
const EVIDENCE = "incident-evidence.test.ts";

export const T = {
  keystore: "a patient signs without gas (new keystore), a hospital relays, anyone relays the revocation",
  direct: "direct grant and revoke, with a guardian acting for the subject",
  guardianRemoved: "a removed guardian can no longer act for the subject, and removing one twice is refused",
  register: "registers a dataset from JSONL (idempotently), a model and versions, approves one, and a hospital deploys it",
  traces: "appends and anchors traces, writes a receipt that verifies — here and with only ethers",
  flush: "trace flush anchors what append queued, and says so when nothing is left",
  lifecycle: "a hospital files reports on a version it deployed (one raises a fairness alert); the regulator suspends, reinstates and recalls it",
  policy: "governance sets a risk class's thresholds (zero delay on this test chain, so --execute directly)",
  serve: "serve runs this member's indexer and API: CORS for the configured origin, relays with --relay, stops on SIGTERM",
  serveRefused: "serve refuses a bad port, origin or public URL, --relay without a key, a port or a database in use, an index of another layout, in one line each",
  traceRefused: "malformed JSON, missing, extra and mistyped trace fields leave the vault untouched",
  unknown: "unknown dataset, unknown model, unapproved version, malformed model card",
  keyRefused: "key new and receipt verify refuse in one line: no password, an existing keystore, a receipt file that is not there",
  admit: "governance admits an organisation with its key, adds a second key, and removes the organisation",
  suspend: "a regulator suspends a hospital at once; it cannot write until governance reinstates it",
  revokeKey: "an organisation revokes one of its own keys at once; that key can no longer write, its other key still can",
  memberRefused: "suspend and revoke-key refuse in one line: not a regulator, already suspended, another organisation's key, not an address",
  serveManifests: "serve --manifests answers the revocation impact with the dataset the CLI registered, and loads one registered while it runs",
  indexManifests: "index --manifests accepts the file `dataset register` wrote, matched by root whatever its name, and names what it could not match",
  login: "login signs in with Ethereum as a demo identity (--as) and prints a bearer token that curl-style requests use; --out writes it to a file",
  loginRefused: "login and --as refuse in one line: a demo key on another chain, an unknown identity, an API that is not there",
  deploy: "deploy writes deployments/<name>.json from a keystore at gas price 0 (the deployer holds no ether), member and policy commands run against the same named network, and --founders admits founding members in the deploy",
  deployRefused: "deploy refuses in one line, sending nothing: a wrong keystore password, a missing network or networks file, an existing deployment, a plain key, --rpc beside --network, the wrong chain, a founders file off its format or with one key for two organisations",
  safe: "a Safe of three owners governs: an admission proposed to a file, refused with one signature, scheduled with two, refused before the delay, executed after it",
  safeRefused: "governance refuses in one line, sending nothing: a non-owner's signature, a stale proposal, a proposal whose transaction is not its action",
  pseudonyms: "a patient lists a pseudonym per hospital, signs as two of them, each hospital relays its own, and the joined list names the hospital beside each line",
  pseudonymsRefused: "pseudonyms refuse in one line, sending nothing: no key to derive from, a member that is not a hospital",
  incident: "a hospital reports harm against its trace from the receipt and finds the output wrong; an admitted appraiser determines; anyone shows it; indications are listed and added; a developer files renewed evidence",
  incidentGovernance: "governance adds an incident category and sets a case's weighting; incidents are listed from the chain, by hospital",
  incidentRefused: "incident, indication and model evidence refuse in one line: an auditor determining, an unknown incident, a non-canonical indication, incomplete evidence",
  incidentEvidence: "a hospital's incident gives an evidence pack: a per-party summary for people, the pack written that verifies offline, the FHIR bundle; an unknown incident and a receipt of another trace are refused in one line",
} as const;

const at = (file: string, test: string): CoveredBy => ({ file, test });

/** Every leaf command → the test that runs it end to end and checks its effect. */
export const E2E: Record<string, CoveredBy> = {
  "consent grant": at(MAIN, T.direct),
  "consent revoke": at(MAIN, T.direct),
  "consent sign-grant": at(MAIN, T.keystore),
  "consent sign-revoke": at(MAIN, T.keystore),
  "consent relay": at(MAIN, T.keystore),
  "consent list": at(MAIN, T.keystore),
  "delegate appoint": at(MAIN, T.direct),
  "delegate remove": at(MAIN, T.guardianRemoved),
  "dataset register": at(MAIN, T.register),
  "dataset use": at(MAIN, T.register),
  "model register": at(MAIN, T.register),
  "model version": at(MAIN, T.register),
  "model approve": at(MAIN, T.register),
  "model suspend": at(MAIN, T.lifecycle),
  "model reinstate": at(MAIN, T.lifecycle),
  "model recall": at(MAIN, T.lifecycle),
  "model deploy": at(MAIN, T.register),
  "model report": at(MAIN, T.lifecycle),
  "trace append": at(MAIN, T.traces),
  "trace flush": at(MAIN, T.flush),
  "trace quarantined": at(MAIN, T.flush),
  "trace receipt": at(MAIN, T.traces),
  "receipt verify": at(MAIN, T.traces),
  "member admit": at(MEMBER, T.admit),
  "member add-key": at(MEMBER, T.admit),
  "member reinstate": at(MEMBER, T.suspend),
  "member remove": at(MEMBER, T.admit),
  "member suspend": at(MEMBER, T.suspend),
  "member revoke-key": at(MEMBER, T.revokeKey),
  "policy set": at(MAIN, T.policy),
  "key new": at(MAIN, T.keystore),
  index: at(MANIFESTS, T.indexManifests),
  serve: at(MAIN, T.serve),
  login: at(LOGIN, T.login),
  deploy: at(NETWORK, T.deploy),
  "governance sign": at(GOVERNANCE, T.safe),
  "governance execute": at(GOVERNANCE, T.safe),
  "patient pseudonyms": at(PSEUDONYMS, T.pseudonyms),
  "model evidence": at(INCIDENT, T.incident),
  "incident report": at(INCIDENT, T.incident),
  "incident finding": at(INCIDENT, T.incident),
  "incident determine": at(INCIDENT, T.incident),
  "incident show": at(INCIDENT, T.incident),
  "incident category add": at(INCIDENT, T.incidentGovernance),
  "incident weighting set": at(INCIDENT, T.incidentGovernance),
  "incident list": at(INCIDENT, T.incidentGovernance),
  "indication list": at(INCIDENT, T.incident),
  "indication add": at(INCIDENT, T.incident),
  "incident evidence": at(EVIDENCE, T.incidentEvidence),
};

/** Every command group → a test where one of its commands is refused in one line, non-zero, nothing written. */
export const REFUSALS: Record<string, CoveredBy> = {
  consent: at(MAIN, T.keystore),
  delegate: at(MAIN, T.guardianRemoved),
  dataset: at(MAIN, T.unknown),
  model: at(MAIN, T.unknown),
  trace: at(MAIN, T.traceRefused),
  receipt: at(MAIN, T.keyRefused),
  member: at(MEMBER, T.memberRefused),
  policy: at(MAIN, T.policy),
  key: at(MAIN, T.keyRefused),
  index: at(MAIN, T.serveRefused),
  serve: at(MAIN, T.serveRefused),
  login: at(LOGIN, T.loginRefused),
  deploy: at(NETWORK, T.deployRefused),
  governance: at(GOVERNANCE, T.safeRefused),
  patient: at(PSEUDONYMS, T.pseudonymsRefused),
  incident: at(INCIDENT, T.incidentRefused),
  indication: at(INCIDENT, T.incidentRefused),
};
