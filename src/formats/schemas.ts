/**
 * The published formats of what people hand the CLI: model cards, trace records (one JSONL line),
 * dataset record lines and signed consent requests, as JSON Schemas built from the shared
 * constants. `npm run gen:schemas` writes them to schemas/*.json (the API serves that folder at
 * /schemas/<name>.json); test/formats/input-formats.test.ts fails when the files and this module differ.
 * Each field's `description` says what is expected in words: the CLI's errors quote it.
 */
import { ZeroHash } from "ethers";
import { AGE_BANDS, CLINICIAN_ACTIONS, DEFAULT_INDICATIONS, DEFAULT_PURPOSES, NUMBERS, REGION_BANDS, ROLES, SEX_BANDS } from "../constants";

type Schema = Record<string, unknown>;

const DRAFT = "http://json-schema.org/draft-07/schema#";
const hex32 = (description: string): Schema => ({ type: "string", pattern: "^0x[0-9a-fA-F]{64}$", description });
const nonZeroHex32 = (description: string): Schema => ({ ...hex32(description), not: { const: ZeroHash } });
/** An address; mixed case must be a valid EIP-55 checksum (format "eip55-address", checked by the CLI). */
const address = (description: string): Schema => ({ type: "string", pattern: "^0x[0-9a-fA-F]{40}$", format: "eip55-address", description: `${description} (0x + 40 hex digits; mixed case must be a valid EIP-55 checksum)` });
const intRange = (min: number, max: number, description: string): Schema => ({ type: "integer", minimum: min, maximum: max, description });
const bps = (description: string): Schema => intRange(0, NUMBERS.BPS, `${description}: an integer 0..${NUMBERS.BPS} (basis points)`);
/** An unsigned integer as a decimal string (JSON numbers lose precision past 2^53). */
const uintString = (bits: 64 | 256, description: string): Schema => ({ type: "string", pattern: "^(0|[1-9][0-9]*)$", format: `uint${bits}`, description: `${description}: a decimal string, 0..2^${bits}−1` });

const modelCard: Schema = {
  $schema: DRAFT,
  title: "medprov model card",
  description: "A model version as its developer registers it (`medprov model version card.json`). The file's exact bytes are hashed as the version's model-card hash.",
  type: "object",
  additionalProperties: false,
  required: ["model", "weightsHash", "trainingDatasets", "evaluation"],
  properties: {
    model: { type: "string", minLength: 1, description: "the model's name (as registered by this developer) or its model id (32-byte hex)" },
    parent: { anyOf: [hex32("the version id this one derives from"), { type: "null" }], description: "the version this one derives from (32-byte hex), or null" },
    weightsHash: hex32("a 32-byte hex hash of the weights"),
    trainingDatasets: { type: "array", minItems: 1, items: hex32("a dataset id (32-byte hex)"), description: "the ids of the datasets it was trained on, at least one (32-byte hex each)" },
    evaluation: {
      type: "object",
      additionalProperties: false,
      required: ["auc", "sensitivity", "specificity", "subgroupAucGap", "biasTestCases", "grassrootsShare"],
      description: "evaluation figures; the regulator's policy judges them (AUC ≥ 0.90 is 9000)",
      properties: {
        auc: bps("area under the ROC curve"),
        sensitivity: bps("sensitivity"),
        specificity: bps("specificity"),
        subgroupAucGap: bps("largest AUC gap between subgroups"),
        biasTestCases: intRange(0, 2 ** 32 - 1, "number of bias-test cases: an integer 0..4294967295"),
        grassrootsShare: bps("share of grassroots (primary-care) data"),
      },
    },
  },
};

const traceRecord: Schema = {
  $schema: DRAFT,
  title: "medprov trace record",
  description: "One AI-assisted clinical decision, as a hospital appends it (`medprov trace append traces.jsonl`: one object a line). Only hashes and a pseudonymous subject: any other field (a name, an MRN) is refused, not stripped. Record format 2 adds indication and riskWarning (both or neither); a line without them is a format-1 record, still accepted.",
  type: "object",
  additionalProperties: false,
  required: ["traceId", "modelVersion", "subject", "inputHash", "outputHash", "confidenceBps", "action", "clinicianHash", "finalDecisionHash", "time"],
  properties: {
    traceId: nonZeroHex32("a non-zero 32-byte hex id, unique per hospital"),
    modelVersion: nonZeroHex32("the model version id (32-byte hex)"),
    subject: address("the patient's pseudonymous address"),
    inputHash: nonZeroHex32("a 32-byte hash of the model input"),
    outputHash: nonZeroHex32("a 32-byte hash of the model output"),
    confidenceBps: bps("the model's confidence"),
    action: { enum: CLINICIAN_ACTIONS.slice(1), description: `what the clinician did: ${CLINICIAN_ACTIONS.slice(1).join(" | ")}` },
    clinicianHash: nonZeroHex32("a 32-byte hash of the clinician's identity"),
    finalDecisionHash: nonZeroHex32("a 32-byte hash of the final decision"),
    time: { type: "integer", minimum: 1, description: `when the decision was made: unix seconds (at most ${NUMBERS.MAX_CLOCK_SKEW} s ahead of the chain's time: its head block's time, never this machine's clock; docs/receipt.md)` },
    indication: intRange(0, NUMBERS.MAX_INDICATIONS - 1, `record format 2 (with riskWarning): what the model was used for, an id of the consortium's indication catalogue 0..${NUMBERS.MAX_INDICATIONS - 1} (at deployment: ${DEFAULT_INDICATIONS.map((n, i) => `${i} ${n}`).join(", ")}); without it the trace is of format 1 and reports count its indication as unknown`),
    riskWarning: { type: "boolean", description: "record format 2 (with indication): whether the model's output carried a risk warning" },
  },
  // Format 2 is both fields or neither: half of it is refused, not guessed.
  dependencies: { indication: ["riskWarning"], riskWarning: ["indication"] },
};

const datasetRecord: Schema = {
  $schema: DRAFT,
  title: "medprov dataset record",
  description: "One record of a dataset a hospital registers (`medprov dataset register records.jsonl`: one object a line, or a directory of *.json files). Each record's exact text is hashed into the content root; only the subject and the demographic bands are read. Other fields are the data itself and stay off-chain.",
  type: "object",
  additionalProperties: true,
  required: ["subject", "ageBand", "sex", "region"],
  properties: {
    subject: address("the patient's pseudonymous address"),
    ageBand: { enum: [...AGE_BANDS], description: `age band: ${AGE_BANDS.join(" | ")}` },
    sex: { enum: [...SEX_BANDS], description: `sex: ${SEX_BANDS.join(" | ")}` },
    region: { enum: [...REGION_BANDS], description: `region: ${REGION_BANDS.join(" | ")}` },
    grassroots: { type: "boolean", description: "whether the record comes from grassroots (primary) care: true or false" },
  },
};

const requestFields = {
  subject: address("the patient whose consent this is"),
  signer: address("who signed: the subject or its delegate"),
  purpose: intRange(0, NUMBERS.MAX_PURPOSES - 1, `the purpose's catalogue id: an integer 0..${NUMBERS.MAX_PURPOSES - 1} (${DEFAULT_PURPOSES.map((p, i) => `${i} ${p}`).join(", ")})`),
  grantee: intRange(0, 2 ** 32 - 1, "the grantee organisation's id, 0 for any member: an integer 0..4294967295"),
  signedAt: uintString(64, "when the patient signed, unix seconds by the chain's clock (the head block's time); a request takes effect only when newer than the slot's last decision, and never later than the block recording it"),
  deadline: uintString(256, "the signature's deadline in unix seconds"),
};
const signedConsent: Schema = {
  $schema: DRAFT,
  title: "medprov signed consent request",
  description: "A patient's EIP-712-signed grant or revocation, as `medprov consent sign-grant` / `sign-revoke` write it, for a hospital to relay (`medprov consent relay file.json`, or POST /relay).",
  type: "object",
  additionalProperties: false,
  required: ["kind", "request", "signature"],
  properties: {
    kind: { enum: ["grant", "revoke"], description: 'the request: "grant" or "revoke"' },
    request: {
      type: "object",
      additionalProperties: false,
      required: ["subject", "signer", "purpose", "grantee", "signedAt", "deadline"],
      description: "the signed request (a grant also carries expiresAt)",
      properties: { ...requestFields, expiresAt: uintString(64, "when the grant expires, unix seconds (grants only)") },
    },
    signature: { type: "string", pattern: "^0x[0-9a-fA-F]{130}$", description: "the 65-byte EIP-712 signature (0x + 130 hex digits)" },
  },
  allOf: [
    { if: { properties: { kind: { const: "grant" } }, required: ["kind"] }, then: { properties: { request: { type: "object", required: ["expiresAt"] } } } },
    { if: { properties: { kind: { const: "revoke" } }, required: ["kind"] }, then: { properties: { request: { type: "object", not: { required: ["expiresAt"] }, description: "a revocation carries no expiresAt" } } } },
  ],
};

/** One chain a member operates on: its own node, the chain it must serve, and how writes and reads treat it. */
const network: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["rpcUrl", "chainId"],
  description: "one chain: its JSON-RPC URL and chain id, and optionally its gas price, confirmations and finality depth",
  properties: {
    rpcUrl: { type: "string", pattern: "^https?://[^\\s]+$", description: "this member's own node's JSON-RPC URL: an http(s) URL" },
    chainId: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: "the chain id the node must serve (eth_chainId): a positive integer" },
    gasPrice: uintString(256, 'gas price in wei of every transaction medprov sends ("0" on a free-gas network such as Besu or GoQuorum with min-gas-price 0; omitted: the node\'s own fee data)'),
    confirmations: intRange(0, 1000, "blocks on top of a block before it is read or a deployment is written (0 on instant-finality chains such as QBFT): an integer 0..1000"),
    finalityDepth: intRange(0, 100_000, "deepest reorg the indexer follows; a deeper one stops it (0 on instant-finality chains): an integer 0..100000"),
  },
};

const networks: Schema = {
  $schema: DRAFT,
  title: "medprov networks",
  description: "The chains a consortium member operates on, by name (`medprov --network <name> …`, the file given by --networks, networks.json by default). A network's deployment manifest is deployments/<name>.json beside this file.",
  type: "object",
  additionalProperties: false,
  required: ["networks"],
  properties: {
    $schema: { type: "string", description: "the schema this file follows, for editors: a path or URL" },
    networks: {
      type: "object",
      minProperties: 1,
      propertyNames: { pattern: "^[a-z0-9][a-z0-9_-]{0,63}$", description: "a network name: lower-case letters, digits, - and _, at most 64 (it names deployments/<name>.json)" },
      additionalProperties: network,
      description: "each network by its name, at least one",
    },
  },
};

/** One founding organisation: admitted as the ledger is deployed, as governance would admit it later. */
const founder: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["name", "role", "keys"],
  description: "one founding organisation: its name, role and signing keys",
  properties: {
    name: { type: "string", minLength: 1, maxLength: 200, description: "the organisation's name as members will see it (public, on-chain: an organisation, never a person): 1..200 characters" },
    role: { enum: ROLES.filter((r) => r !== "NONE"), description: `its one role: ${ROLES.filter((r) => r !== "NONE").join(", ")}` },
    keys: { type: "array", minItems: 1, maxItems: 16, uniqueItems: true, items: address("a signing key's address"), description: "the addresses that act for it, 1..16 (keystores stay with the organisation)" },
  },
};

const founders: Schema = {
  $schema: DRAFT,
  title: "medprov founding members",
  description: "The organisations a new ledger starts with (`medprov deploy --network <name> --founders founders.json`): the deployer admits them in the deployment itself, before it hands governance over and renounces its own role, so the consortium does not wait out the governance delay once per founder. Later members are admitted through governance (`medprov member admit`).",
  type: "object",
  additionalProperties: false,
  required: ["founders"],
  properties: {
    $schema: { type: "string", description: "the schema this file follows, for editors: a path or URL" },
    founders: { type: "array", minItems: 1, maxItems: 64, items: founder, description: "the founding organisations, 1..64, admitted in this order (member ids 1, 2, …)" },
  },
};

/** The contracts of one deployment (or generation), by name. */
const contracts: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["manager", "consortium", "consents", "datasets", "models", "traces", "incidents"],
  description: "each contract's address",
  properties: Object.fromEntries(["manager", "consortium", "consents", "datasets", "models", "traces", "incidents"].map((name) => [name, address(`the ${name} contract`)])),
};
const block = (description: string): Schema => intRange(0, Number.MAX_SAFE_INTEGER, `${description}: a block number`);

/** One ledger generation: its contracts over its block range (docs/consortium.md, "Ledger generations"). */
const generation: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["generation", "chainId", "fromBlock", "addresses"],
  description: "one ledger generation: its contracts, counted over blocks fromBlock..toBlock (to the head while it is the open one)",
  properties: {
    generation: intRange(1, 1_000_000, "its place in the list: 1, 2, … in order"),
    chainId: intRange(1, Number.MAX_SAFE_INTEGER, "the chain id, the manifest's"),
    fromBlock: block("the block of its first deployment transaction"),
    toBlock: block("the last block whose events count, set when a successor closed it (absent on the last, open generation)"),
    sealedAt: intRange(0, Number.MAX_SAFE_INTEGER, "the block time of toBlock, in Unix seconds (set with toBlock)"),
    sealedAtIso: { type: "string", description: "sealedAt in ISO 8601, for people" },
    addresses: contracts,
    versions: { type: "object", additionalProperties: { type: "string" }, description: "each contract's VERSION()" },
  },
};

const deployment: Schema = {
  $schema: DRAFT,
  title: "medprov deployment manifest",
  description: "Where a ledger lives (deployments/<network>.json, written by `medprov deploy --network <name>`): the top-level fields name the current generation, which every write goes to; `generations` lists every generation in order (`medprov deploy --successor` appends one and closes the one before). A manifest without `generations` is one generation. Other fields (network, safe, founders) are kept as written.",
  type: "object",
  required: ["chainId", "deploymentBlock", "addresses"],
  properties: {
    $schema: { type: "string", description: "the schema this file follows, for editors: a path or URL" },
    network: { type: "string", description: "the network name it was written for (medprov deploy --network)" },
    chainId: intRange(1, Number.MAX_SAFE_INTEGER, "the chain id the contracts live on"),
    deploymentBlock: block("the current generation's first block (its fromBlock)"),
    governance: address("the account that governs (a Safe in production)"),
    governanceDelay: intRange(0, Number.MAX_SAFE_INTEGER, "the execution delay of every governance call, in seconds"),
    addresses: contracts,
    versions: { type: "object", additionalProperties: { type: "string" }, description: "each contract's VERSION()" },
    generations: { type: "array", minItems: 1, items: generation, description: "every generation, oldest first; all closed (toBlock) but the last, each one's fromBlock after the previous one's toBlock" },
  },
};

/** The published input formats by file name (schemas/<name>.json). */
export const INPUT_SCHEMAS = { "model-card": modelCard, "trace-record": traceRecord, "dataset-record": datasetRecord, "signed-consent": signedConsent, networks, founders, deployment } as const;
export type InputFormat = keyof typeof INPUT_SCHEMAS;
export const INPUT_FORMATS = Object.keys(INPUT_SCHEMAS) as InputFormat[];
