/**
 * The published format of an evidence pack (docs/evidence.md), an output of `medprov incident
 * evidence` and GET /incidents/:id/evidence, as a JSON Schema built from the shared constants;
 * `npm run gen:schemas` writes it to schemas/evidence-pack.json beside the input formats.
 */
import { EVIDENCE_CONTRACTS, EVIDENCE_PACK_FORMAT, FACTS, INCIDENT_SEVERITIES, LIABILITY_CASES, LIABILITY_DUTIES, LIABILITY_PARTIES, OUTPUT_FINDINGS } from "../constants";

type Schema = Record<string, unknown>;
const hex = (bytes: number, description: string): Schema => ({ type: "string", pattern: `^0x[0-9a-fA-F]{${bytes * 2}}$`, description });
const uint = (description: string): Schema => ({ type: "integer", minimum: 0, description });
const obj = (properties: Record<string, Schema>, description: string, optional: string[] = []): Schema => ({
  type: "object", additionalProperties: false, required: Object.keys(properties).filter((k) => !optional.includes(k)), properties, description,
});
const shares: Schema = obj(Object.fromEntries(LIABILITY_PARTIES.map((p) => [p, { type: "integer", minimum: 0, maximum: 10_000, description: `${p.toLowerCase()}'s share in basis points` }])), "shares in basis points, summing to 10,000");
const orNull = (s: Schema): Schema => ({ anyOf: [s, { type: "null" }] });

const eventProof = obj({
  contract: { enum: [...EVIDENCE_CONTRACTS], description: "the manifest's contract that emitted the log" },
  event: { type: "string", description: "the event's name" },
  args: { type: "object", description: "the decoded arguments: tuples as objects by component name, integers as decimal strings" },
  address: hex(20, "the emitting contract's address"),
  topics: { type: "array", items: hex(32, "a topic"), description: "the log's topics" },
  data: { type: "string", pattern: "^0x([0-9a-fA-F]{2})*$", description: "the log's data" },
  blockNumber: uint("the block holding the log"),
  blockHash: hex(32, "that block's hash"),
  blockTime: uint("that block's timestamp (Unix seconds): what \"as of the decision\" compares"),
  blockTimeIso: { type: "string", description: "blockTime in ISO 8601" },
  txHash: hex(32, "the transaction that emitted the log"),
  logIndex: uint("the log's index in its block"),
}, "one cited log, as emitted");

const fact = obj({
  code: { enum: FACTS.map(([c]) => c), description: "the fact (docs/evidence.md, The facts)" },
  party: { enum: [...LIABILITY_PARTIES], description: "the party whose duty it is" },
  duty: { enum: [...new Set(Object.values(LIABILITY_DUTIES).flat())], description: "the duty it proves" },
  met: { type: "boolean", description: "whether the duty fact held at the decision's time" },
  words: { type: "string", description: "the fact in words, for people (not verified)" },
  proof: obj({ events: { type: "array", items: uint("an index into events"), description: "the logs the rule reads" }, receipt: { const: true, description: "the rule reads the receipt's record (at least its time)" } }, "what proves it"),
}, "a duty fact with its proof");

const party = obj({
  duties: { type: "object", additionalProperties: obj({ met: { type: "boolean", description: "every fact of the duty met" }, facts: { type: "array", items: { type: "string" }, description: "the duty's facts" } }, "one duty"), description: "each duty of the party" },
  allMet: { type: "boolean", description: "every duty proved: presumed not at fault" },
}, "one party's duties");

export const evidencePackSchema: Schema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "medprov evidence pack",
  ...obj({
    format: { const: EVIDENCE_PACK_FORMAT, description: "the format and its version" },
    chainId: uint("the chain the pack was read from"),
    addresses: obj(Object.fromEntries(EVIDENCE_CONTRACTS.map((c) => [c, hex(20, `the ${c} contract the logs were read from (informational: verify against the deployment manifest)`)])), "where the logs were read"),
    assembledAt: obj({ block: uint("the head block read"), time: uint("its timestamp"), timeIso: { type: "string", description: "its timestamp in ISO 8601" } }, "the chain head the pack was assembled at"),
    incident: obj({
      id: uint("the incident id"), hospital: uint("the reporting hospital's organisation id"), versionId: hex(32, "the model version"), batchId: hex(32, "the trace's batch"),
      seq: { type: "string", pattern: "^(0|[1-9][0-9]*)$", description: "the trace's sequence number" }, recordHash: hex(32, "keccak256 of the record's ABI encoding"),
      severity: uint("severity code"), severityName: { enum: INCIDENT_SEVERITIES.slice(1), description: "severity" }, category: uint("category code"), categoryName: { type: "string", description: "category name" },
      occurredAt: uint("when the harm occurred (Unix seconds)"), occurredAtIso: { type: "string", description: "occurredAt in ISO 8601" },
      finding: uint("finding code"), findingName: { enum: [...OUTPUT_FINDINGS], description: "the finding on the model's output" },
      events: { type: "array", items: uint("an index into events"), description: "its IncidentReported and (if any) FindingRecorded logs" },
    }, "the incident as the ledger holds it"),
    decision: obj({
      time: uint("the decision's time: the record's time"), timeIso: { type: "string", description: "in ISO 8601" },
      window: obj({ from: uint("window start"), to: uint("window end") }, "the batch's anchored window"),
      subject: hex(20, "the patient's pseudonymous address"), hospital: uint("the hospital"), versionId: hex(32, "the model version"),
    }, "the decision"),
    receipt: { type: "object", description: "the trace receipt (docs/receipt.md, schema of medprov-trace-receipt/2 or /3)" },
    events: { type: "array", items: eventProof, description: "every cited log, oldest first" },
    facts: { type: "array", items: fact, minItems: FACTS.length, maxItems: FACTS.length, description: "every duty fact, in the documented order" },
    parties: obj(Object.fromEntries(LIABILITY_PARTIES.map((p) => [p, party])), "each party's duties"),
    liabilityCase: { enum: [...LIABILITY_CASES], description: "the case the finding and the clinician's action make" },
    weighting: orNull(obj({ shares, event: uint("the index of its WeightingSet log") }, "the governed weighting of the case")),
    proposal: orNull({ type: "object", required: ["label", "shares"], properties: { label: { const: "PROPOSAL" }, shares }, description: "medprov's proposed split (proposeSplit): a proposal, not a determination" }),
    proposalNote: { type: "string", description: "what the proposal is, or why there is none" },
    determination: orNull(obj({
      appraiser: uint("the APPRAISER organisation"), appraiserName: orNull({ type: "string", description: "its registered name, for people (from its MemberAdmitted log, or the API's index; not verified)" }), determinedAt: uint("when (Unix seconds)"), determinedAtIso: { type: "string", description: "in ISO 8601" },
      rulingHash: hex(32, "the ruling's hash"), shares, event: uint("the index of its DeterminationRecorded log"),
    }, "the final determination on-chain")),
  }, "An incident's evidence pack (docs/evidence.md): every duty of every party as a fact with its proof as of the decision's time, the proposed split and the determination; verifiable from the document alone."),
};

/** The published output formats by file name (schemas/<name>.json). */
export const OUTPUT_SCHEMAS = { "evidence-pack": evidencePackSchema } as const;
