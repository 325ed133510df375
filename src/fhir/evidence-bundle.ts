/**
 * An evidence pack (docs/evidence.md) as a FHIR R4 Bundle of type collection: the incident as an
 * AdverseEvent, the trace's anchoring as a Provenance, the subject's consent at the decision as a
 * Consent (when the pack cites one), each duty fact as an AuditEvent (outcome 0 met, 4 not met)
 * whose entities are the transactions and logs that prove it, and the APPRAISER's determination
 * (when there is one) as a Provenance of the AdverseEvent naming the appraiser. Pure; every field
 * is named here, and the only person in it is the subject's pseudonymous address, as everywhere in
 * src/fhir.
 */
import type { AdverseEvent, AuditEvent, Bundle, CodeableConcept, Consent, Patient, Provenance, Reference } from "@medplum/fhirtypes";
import { LIMITS } from "../constants";
import * as C from "./codes";
import { instant, orgReference, versionDevice, type FhirContext } from "./resources";

/**
 * What the mapping reads of an evidence pack (src/sdk/accountability/evidence/format.ts defines the
 * whole): FHIR mappings take plain facts and may not import the SDK, and need no more than this.
 */
export interface EventProof {
  contract: string;
  event: string;
  args: Record<string, unknown>;
  blockNumber: number;
  blockTime: number;
  blockTimeIso: string;
  txHash: string;
  logIndex: number;
}

export interface EvidenceFact {
  code: string;
  party: string;
  duty: string;
  met: boolean;
  words: string;
  proof: { events: number[] };
}

export interface EvidencePack {
  chainId: number;
  addresses: { consents: string; models: string; traces: string; incidents: string };
  assembledAt: { block: number; time: number };
  incident: { id: number; versionId: string; severityName: string; categoryName: string; occurredAt: number; events: number[] };
  decision: { time: number; subject: string; hospital: number; versionId: string };
  receipt: { batchId: string; leaf: string; anchorTx: string; record: { seq: string } };
  events: EventProof[];
  facts: EvidenceFact[];
  /** The APPRAISER's determination, with its registered name where known. */
  determination?: { appraiser: number; appraiserName?: string | null; determinedAt: number; rulingHash: string; shares: Record<"DEVELOPER" | "HOSPITAL" | "CLINICIAN", number>; event: number } | null;
}

const HL7 = "http://terminology.hl7.org/CodeSystem";
const SEVERITY: Record<string, "mild" | "moderate" | "severe"> = { MILD: "mild", MODERATE: "moderate", SEVERE: "severe", LIFE_THREATENING: "severe", DEATH: "severe" };
const SERIOUS = new Set(["SEVERE", "LIFE_THREATENING", "DEATH"]);
const EVIDENCE_FACT: CodeableConcept["coding"] = [{ system: C.CODE_SYSTEM.auditEventType, code: "evidence-fact", display: "Accountability duty fact as of the decision's time" }];

const ctxOf = (pack: EvidencePack): FhirContext => ({ chainId: pack.chainId, addresses: { consortium: pack.addresses.models, consents: pack.addresses.consents, models: pack.addresses.models, traces: pack.addresses.traces } });
const subjectOf = (pack: EvidencePack): Reference<Patient> => ({ type: "Patient", identifier: { system: C.SYSTEM.account, value: `eip155:${pack.chainId}:${pack.decision.subject.toLowerCase()}` } });
const txEntity = (pack: EvidencePack, e: EventProof) => ({
  what: { identifier: { system: `urn:medprov:tx:eip155:${pack.chainId}`, value: e.txHash } },
  type: C.SYSTEM_OBJECT,
  name: `${e.contract}.${e.event}`,
  detail: [{ type: "blockNumber", valueString: String(e.blockNumber) }, { type: "logIndex", valueString: String(e.logIndex) }, { type: "blockTime", valueString: e.blockTimeIso }],
});

function adverseEvent(pack: EvidencePack): AdverseEvent {
  const i = pack.incident;
  return {
    resourceType: "AdverseEvent",
    id: `incident-${i.id}`,
    identifier: { system: `urn:medprov:incident:eip155:${pack.chainId}:${pack.addresses.incidents.toLowerCase()}`, value: String(i.id) },
    actuality: "actual",
    category: [{ coding: [{ system: `${HL7}/adverse-event-category`, code: "medical-device-use-error", display: "Medical Device Use Error" }] }],
    event: { coding: [{ system: "urn:medprov:incident-category", code: i.categoryName }], text: i.categoryName },
    subject: subjectOf(pack),
    date: instant(i.occurredAt),
    detected: instant(i.occurredAt),
    recordedDate: instant(pack.events[i.events[0]]?.blockTime ?? i.occurredAt),
    seriousness: { coding: [{ system: `${HL7}/adverse-event-seriousness`, code: SERIOUS.has(i.severityName) ? "serious" : "non-serious" }] },
    ...(SEVERITY[i.severityName] ? { severity: { coding: [{ system: `${HL7}/adverse-event-severity`, code: SEVERITY[i.severityName] }] } } : {}),
    ...(i.severityName === "DEATH" ? { outcome: { coding: [{ system: `${HL7}/adverse-event-outcome`, code: "fatal" }] } } : {}),
    suspectEntity: [{ instance: versionDevice(i.versionId) }],
  };
}

function traceProvenance(pack: EvidencePack): Provenance {
  const anchored = pack.events.find((e) => e.event === "BatchAnchored" && e.args.batchId === pack.receipt.batchId);
  return {
    resourceType: "Provenance",
    id: `trace-${pack.incident.id}`,
    target: [{ identifier: { system: "urn:medprov:trace-leaf", value: pack.receipt.leaf }, display: `the decision trace at sequence ${pack.receipt.record.seq} of batch ${pack.receipt.batchId}` }],
    occurredDateTime: instant(pack.decision.time),
    recorded: instant(anchored?.blockTime ?? pack.decision.time),
    policy: [`urn:medprov:trace-anchor:eip155:${pack.chainId}:${pack.addresses.traces.toLowerCase()}`],
    activity: { coding: [C.DATA_OPERATION("CREATE")] },
    agent: [
      { type: { coding: [C.agentType("author")] }, who: orgReference(ctxOf(pack), pack.decision.hospital) },
      { type: { coding: [C.agentType("assembler")] }, who: versionDevice(pack.decision.versionId), onBehalfOf: orgReference(ctxOf(pack), pack.decision.hospital) },
    ],
    entity: [{ role: "source", what: { identifier: { system: C.SYSTEM.traceBatch, value: pack.receipt.batchId } } }],
    extension: [{ url: C.EXTENSION.transaction, valueString: pack.receipt.anchorTx }],
  };
}

/** The APPRAISER's determination as a Provenance of the AdverseEvent: the appraiser by number and name, the shares, the ruling's hash. */
function determinationProvenance(pack: EvidencePack): Provenance | undefined {
  const d = pack.determination;
  if (!d) return undefined;
  const ctx: FhirContext = { ...ctxOf(pack), orgName: (id) => (id === d.appraiser ? (d.appraiserName ?? undefined) : undefined) };
  const e = pack.events[d.event];
  const bps = (n: number) => `${n / 100}%`;
  return {
    resourceType: "Provenance",
    id: `determination-${pack.incident.id}`,
    target: [{ reference: `AdverseEvent/incident-${pack.incident.id}` }],
    recorded: instant(d.determinedAt),
    policy: [`urn:medprov:incident-registry:eip155:${pack.chainId}:${pack.addresses.incidents.toLowerCase()}`],
    activity: { coding: [C.DATA_OPERATION("UPDATE")], text: "liability determination (final)" },
    reason: [{ text: `developer ${bps(d.shares.DEVELOPER)} / hospital ${bps(d.shares.HOSPITAL)} / clinician ${bps(d.shares.CLINICIAN)}` }],
    agent: [{ type: { coding: [C.agentType("verifier")] }, who: orgReference(ctx, d.appraiser) }],
    entity: [{ role: "source", what: { identifier: { system: "urn:medprov:ruling-hash", value: d.rulingHash } } }],
    ...(e ? { extension: [{ url: C.EXTENSION.transaction, valueString: e.txHash }] } : {}),
  };
}

function consent(pack: EvidencePack): Consent | undefined {
  const fact = pack.facts.find((f) => f.code === "CONSENT_AT_DECISION");
  const grant = fact?.proof.events.map((k) => pack.events[k]).find((e) => e?.event === "ConsentGranted");
  if (!fact || !grant) return undefined;
  const expires = Number(grant.args.expiresAt);
  return {
    resourceType: "Consent",
    id: `consent-${pack.incident.id}`,
    status: fact.met ? "active" : "inactive",
    scope: { coding: [C.scopeCoding("treatment")] },
    category: [{ coding: [C.PATIENT_CONSENT] }],
    patient: subjectOf(pack),
    dateTime: instant(grant.blockTime),
    policy: [{ uri: `urn:medprov:consent-registry:eip155:${pack.chainId}:${pack.addresses.consents.toLowerCase()}` }],
    provision: {
      type: "permit",
      period: { start: instant(grant.blockTime), ...(expires < LIMITS.TIME_MAX ? { end: instant(expires) } : {}) },
      actor: [{ role: { coding: [C.RECIPIENT] }, reference: orgReference(ctxOf(pack), Number(grant.args.grantee)) }],
      purpose: [C.PURPOSE_CODING.CLINICAL_DECISION_SUPPORT],
    },
  };
}

function factAuditEvent(pack: EvidencePack, f: EvidenceFact): AuditEvent {
  return {
    resourceType: "AuditEvent",
    id: `fact-${pack.incident.id}-${f.code.toLowerCase().replace(/_/g, "-")}`,
    type: { ...EVIDENCE_FACT![0] },
    subtype: [{ system: "urn:medprov:evidence-fact", code: f.code }, { system: "urn:medprov:liability-duty", code: `${f.party}.${f.duty}` }],
    action: "E",
    period: { start: instant(pack.decision.time), end: instant(pack.decision.time) },
    recorded: instant(pack.assembledAt.time),
    outcome: f.met ? "0" : "4",
    outcomeDesc: f.words,
    agent: [{ who: { display: f.party.toLowerCase() }, requestor: false }],
    source: { site: "medprov", observer: { identifier: { system: C.SYSTEM.account, value: `eip155:${pack.chainId}:${pack.addresses.incidents.toLowerCase()}` }, display: "IncidentRegistry contract" }, type: [C.APPLICATION_SERVER] },
    entity: [
      { what: { identifier: { system: "urn:medprov:trace-leaf", value: pack.receipt.leaf } }, type: C.SYSTEM_OBJECT, name: "trace receipt" },
      ...f.proof.events.map((k) => txEntity(pack, pack.events[k])),
    ],
  };
}

/** The pack as a FHIR R4 Bundle (collection), with the pack's format and assembly time. */
export function evidenceBundle(pack: EvidencePack): Bundle {
  const c = consent(pack);
  const d = determinationProvenance(pack);
  const resources = [adverseEvent(pack), traceProvenance(pack), ...(c ? [c] : []), ...pack.facts.map((f) => factAuditEvent(pack, f)), ...(d ? [d] : [])];
  return {
    resourceType: "Bundle",
    id: `evidence-${pack.incident.id}`,
    identifier: { system: `urn:medprov:evidence-pack:eip155:${pack.chainId}`, value: `${pack.incident.id}@${pack.assembledAt.block}` },
    type: "collection",
    timestamp: instant(pack.assembledAt.time),
    entry: resources.map((resource) => ({ resource })),
  };
}
