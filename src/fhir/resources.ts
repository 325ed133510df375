/**
 * Ledger facts as FHIR R4 resources. Pure functions from index rows to resources: each field is
 * named here (no row is spread into a resource), so nothing private can ride along.
 *
 * - Consent: one per (subject, purpose, grantee) slot.
 * - Provenance: a model version (who built it from which datasets, who approved it) and a trace
 *   batch (which hospital anchored which decisions, made with which model versions). Following
 *   HL7's AI Transparency on FHIR, the model version takes part as a Device agent.
 * - AuditEvent: membership, key and model-version status changes.
 */
import type { AuditEvent, Consent, Device, Extension, Identifier, Organization, Provenance, Reference } from "@medplum/fhirtypes";
import { ZeroHash } from "ethers";
import { DEFAULT_PURPOSES, LIMITS, MEMBER_STATUSES, NUMBERS, RISK_CLASSES, VERSION_STATUSES, VersionStatus, nameOf } from "../constants";
import type { Rows } from "../core";
import * as C from "./codes";

/** What every mapping needs to name ledger objects. */
export interface FhirContext {
  chainId: number;
  /** Contract addresses: the registries that are the policy and the source of each fact. */
  addresses: { consortium: string; consents: string; models: string; traces: string };
  /** Display name of a member organisation, when known. */
  orgName?: (orgId: number) => string | undefined;
  /** Name of an on-chain purpose id (including purposes governance added later). */
  purposeName?: (purpose: number) => string | undefined;
}

// Each mapping's input: the fields it reads of an index row, as src/core/rows.ts defines the row.
export type ConsentRow = Rows.ConsentRow;
export type VersionRow = Pick<Rows.VersionRow, "versionId" | "modelId" | "developer" | "parent" | "weightsHash" | "modelCardHash" | "trainingDatasets" | "status" | "filingCode" | "approvedBy" | "riskClass" | "registeredTime" | "tx">;
export type BatchRow = Pick<Rows.BatchRow, "batchId" | "hospital" | "root" | "firstSeq" | "count" | "fromTime" | "toTime" | "versions" | "time" | "tx">;
/** The ledger generation a batch was anchored in (docs/consortium.md, "Ledger generations"), and its TraceAnchor. */
export interface BatchGeneration {
  generation: number;
  traces: string;
}
/** A membership history row (`orgh:`) with the org it belongs to and its checkpoint. */
export type MemberChange = Omit<Rows.MemberChangeRow, "block">;
/** A version status history row (`vh:`) with its version and checkpoint. */
export type VersionChange = Omit<Rows.VersionChangeRow, "block">;

export const instant = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();
const account = (ctx: FhirContext, address: string): Identifier => ({ system: C.SYSTEM.account, value: `eip155:${ctx.chainId}:${address.toLowerCase()}` });
const contract = (ctx: FhirContext, name: keyof FhirContext["addresses"], display: string): Reference<Device> => ({ identifier: account(ctx, ctx.addresses[name]), display });
const ext = (url: string, value: Omit<Extension, "url">): Extension => ({ url, ...value });

export function orgReference(ctx: FhirContext, orgId: number): Reference<Organization> {
  if (orgId === NUMBERS.ANY_MEMBER) return { type: "Organization", identifier: { system: C.SYSTEM.org, value: "0" }, display: "any active consortium member" };
  const name = ctx.orgName?.(orgId);
  return { reference: `Organization/${orgId}`, type: "Organization", identifier: { system: C.SYSTEM.org, value: String(orgId) }, ...(name ? { display: name } : {}) };
}
/** A model version's Device id: its versionId without 0x (FHIR ids are at most 64 characters). */
export const deviceId = (versionId: string) => versionId.toLowerCase().replace(/^0x/, "");
export const versionDevice = (id: string): Reference<Device> => ({ reference: `Device/${deviceId(id)}`, type: "Device", identifier: { system: C.SYSTEM.modelVersion, value: id.toLowerCase() } });
/** A version's status and filing code, as medprov extensions. */
export const versionExtensions = (v: { status: number; filingCode?: string; riskClass?: number }): Extension[] => [
  // A code from CODE_SYSTEM.versionStatus (the extension's definition binds it).
  ext(C.EXTENSION.versionStatus, { valueCode: nameOf(VERSION_STATUSES, v.status) }),
  ...(v.filingCode ? [ext(C.EXTENSION.filingCode, { valueString: v.filingCode })] : []),
  // The class the regulator assigned at approval (the model's own class is only the developer's proposal).
  ...(v.riskClass ? [ext(C.EXTENSION.riskClass, { valueCode: nameOf(RISK_CLASSES, v.riskClass) })] : []),
];

function purposeCoding(ctx: FhirContext, purpose: number) {
  const name = purpose < DEFAULT_PURPOSES.length ? DEFAULT_PURPOSES[purpose] : undefined;
  if (name) return { coding: C.PURPOSE_CODING[name], scope: C.PURPOSE_SCOPE[name] };
  const added = ctx.purposeName?.(purpose) ?? `PURPOSE_${purpose}`;
  return { coding: { system: C.SYSTEM.purpose, code: added }, scope: "patient-privacy" as const };
}

/**
 * One consent slot as a FHIR Consent: active while granted and unexpired at `now` (chain time, the
 * head block's), inactive once revoked or expired; the provision's period ends at whichever came
 * first, the expiry or the revocation (a revocation after expiry ended nothing that still ran).
 */
export function consentResource(ctx: FhirContext, row: ConsentRow, now: number): Consent {
  const { coding, scope } = purposeCoding(ctx, row.purpose);
  const revoked = row.revokedAt > 0 && row.revokedAt >= row.grantedAt;
  const active = !revoked && row.expiresAt > now;
  const end = revoked ? Math.min(row.revokedAt, row.expiresAt) : row.expiresAt;
  const subject = row.subject.toLowerCase();
  return {
    resourceType: "Consent",
    id: `consent-${subject.slice(2)}-${row.purpose}-${row.grantee}`,
    identifier: [{ system: C.SYSTEM.consentSlot, value: `${subject}:${row.purpose}:${row.grantee}` }],
    status: active ? "active" : "inactive",
    scope: { coding: [C.scopeCoding(scope)] },
    category: [{ coding: [C.PATIENT_CONSENT] }],
    patient: { identifier: account(ctx, subject) },
    dateTime: instant(row.grantedAt),
    performer: [{ identifier: account(ctx, subject) }],
    policy: [{ uri: `urn:medprov:consent-registry:eip155:${ctx.chainId}:${ctx.addresses.consents.toLowerCase()}` }],
    provision: {
      type: "permit",
      // Expiry "never" is uint64 max on-chain; FHIR dates end in year 9999, so an open period has no end.
      period: { start: instant(row.grantedAt), ...(revoked || end < LIMITS.TIME_MAX ? { end: instant(end) } : {}) },
      actor: [{ role: { coding: [C.RECIPIENT] }, reference: orgReference(ctx, row.grantee) }],
      purpose: [coding],
    },
  };
}

/** How a model version came to be: its developer, training datasets, parent version and approver. */
export function versionProvenance(ctx: FhirContext, v: VersionRow): Provenance {
  const entity: NonNullable<Provenance["entity"]> = v.trainingDatasets.map((d) => ({ role: "source" as const, what: { type: "DocumentReference", identifier: { system: C.SYSTEM.dataset, value: d.toLowerCase() } } }));
  if (v.parent && v.parent !== ZeroHash) entity.push({ role: "revision", what: versionDevice(v.parent) });
  const agent: Provenance["agent"] = [{ type: { coding: [C.agentType("author")] }, who: orgReference(ctx, v.developer) }];
  if (v.approvedBy) agent.push({ type: { coding: [C.agentType("verifier")] }, who: orgReference(ctx, v.approvedBy) });
  return {
    resourceType: "Provenance",
    id: v.versionId.toLowerCase().slice(2), // FHIR ids are at most 64 characters: the bare hash
    target: [versionDevice(v.versionId)],
    recorded: instant(v.registeredTime),
    policy: [`urn:medprov:model-registry:eip155:${ctx.chainId}:${ctx.addresses.models.toLowerCase()}`],
    activity: { coding: [C.DATA_OPERATION("CREATE")] },
    agent,
    ...(entity.length ? { entity } : {}),
    extension: versionExtensions(v),
  };
}

/**
 * A batch Provenance's id. Batch ids repeat across ledger generations (a successor's sequences
 * start again at 0, and the id hashes hospital and first sequence), so the id carries the
 * generation: generation 1 keeps the bare batch id it always had (links handed out before any
 * migration still resolve), generation N ≥ 2 is `batch-g<N>-<hospital>-<firstSeq>` (the hash's own
 * inputs: a 64-character FHIR id has no room for a prefix and the hash).
 */
export function batchResourceId(generation: number, b: Pick<BatchRow, "batchId" | "hospital" | "firstSeq">): string {
  return generation === 1 ? b.batchId.toLowerCase().slice(2) : `batch-g${generation}-${b.hospital}-${b.firstSeq}`;
}

/** A batch Provenance id read back: the generation and either the batch id (generation 1) or hospital and first sequence; undefined when it is not one. */
export function parseBatchResourceId(id: string): { generation: 1; batchId: string } | { generation: number; hospital: number; firstSeq: string } | undefined {
  if (/^[0-9a-f]{64}$/.test(id)) return { generation: 1, batchId: `0x${id}` };
  const m = /^batch-g([2-9]|[1-9][0-9]{1,4})-([1-9][0-9]{0,9})-(0|[1-9][0-9]{0,19})$/.exec(id);
  // Beyond uint32 / uint64 no batch can have them (TraceAnchor's types).
  if (!m || Number(m[2]) > 0xffffffff || BigInt(m[3]) >= 2n ** 64n) return undefined;
  return { generation: Number(m[1]), hospital: Number(m[2]), firstSeq: m[3] };
}

/**
 * A trace batch: the hospital anchored `count` clinical decision traces made with these model
 * versions between fromTime and toTime; the Merkle root is what receipts prove against. The policy
 * is the TraceAnchor of the generation the batch was anchored in, not the current one.
 */
export function batchProvenance(ctx: FhirContext, b: BatchRow, gen: BatchGeneration): Provenance {
  return {
    resourceType: "Provenance",
    id: batchResourceId(gen.generation, b),
    target: [{ identifier: { system: C.SYSTEM.traceBatch, value: b.batchId.toLowerCase() }, display: `trace batch of ${b.count} decisions from sequence ${b.firstSeq} (ledger generation ${gen.generation})` }],
    occurredPeriod: { start: instant(b.fromTime), end: instant(b.toTime) },
    recorded: instant(b.time),
    policy: [`urn:medprov:trace-anchor:eip155:${ctx.chainId}:${gen.traces.toLowerCase()}`],
    activity: { coding: [C.DATA_OPERATION("CREATE")] },
    agent: [
      { type: { coding: [C.agentType("author")] }, who: orgReference(ctx, b.hospital) },
      ...b.versions.map((v) => ({ type: { coding: [C.agentType("assembler")] }, who: versionDevice(v), onBehalfOf: orgReference(ctx, b.hospital) })),
    ],
    extension: [
      ext(C.SYSTEM.merkleRoot, { valueString: b.root }),
      ext(C.SYSTEM.traceCount, { valueInteger: b.count }),
      ext(C.EXTENSION.transaction, { valueString: b.tx }),
      ext(C.EXTENSION.generation, { valueInteger: gen.generation }),
    ],
  };
}

const AUDIT_ACTION = { ADMITTED: "C", KEY_ADDED: "C", KEY_REVOKED: "D", STATUS: "U" } as const;
const MEMBER_EVENT = { ADMITTED: "MemberAdmitted", KEY_ADDED: "KeyAdded", KEY_REVOKED: "KeyRevoked", STATUS: "MemberStatusChanged" } as const;

function auditEvent(ctx: FhirContext, e: { id: string; type: AuditEvent["type"]; event: string; action: AuditEvent["action"]; time: number; who: Reference<Device | Organization>; what: Reference; details: Record<string, string> }): AuditEvent {
  return {
    resourceType: "AuditEvent",
    id: e.id,
    type: e.type,
    subtype: [{ system: C.SYSTEM.event, code: e.event }],
    action: e.action,
    recorded: instant(e.time),
    outcome: "0",
    agent: [{ who: e.who, requestor: true }],
    source: { site: "medprov", observer: contract(ctx, e.type === C.VERSION_STATUS_CHANGED ? "models" : "consortium", e.type === C.VERSION_STATUS_CHANGED ? "ModelRegistry contract" : "Consortium contract"), type: [C.APPLICATION_SERVER] },
    entity: [{ what: e.what, type: C.SYSTEM_OBJECT, detail: Object.entries(e.details).map(([type, valueString]) => ({ type, valueString })) }],
  };
}

/** A membership or key change. Admissions are executed by governance, so the agent is the consortium. */
export function memberAuditEvent(ctx: FhirContext, c: MemberChange): AuditEvent {
  const details: Record<string, string> = { transaction: c.tx };
  if (c.kind === "STATUS") Object.assign(details, { previousStatus: nameOf(MEMBER_STATUSES, c.previous ?? 0), status: nameOf(MEMBER_STATUSES, c.status ?? 0) });
  if (c.key) details.key = `eip155:${ctx.chainId}:${c.key.toLowerCase()}`;
  return auditEvent(ctx, {
    id: `member-${c.checkpoint}`,
    type: C.SECURITY_ROLES_CHANGED,
    event: MEMBER_EVENT[c.kind],
    action: AUDIT_ACTION[c.kind],
    time: c.time,
    who: c.actor ? { identifier: account(ctx, c.actor) } : contract(ctx, "consortium", "consortium governance"),
    what: orgReference(ctx, c.orgId),
    details,
  });
}

/**
 * A model version status change: its registration (NONE → SUBMITTED) creates the version (action
 * C); approve, suspend, reinstate, recall and retire update it (U).
 */
export function versionAuditEvent(ctx: FhirContext, c: VersionChange): AuditEvent {
  return auditEvent(ctx, {
    id: `version-${c.checkpoint}`,
    type: C.VERSION_STATUS_CHANGED,
    event: `VersionStatusChanged:${nameOf(VERSION_STATUSES, c.status)}`,
    action: c.previous === VersionStatus.NONE ? "C" : "U",
    time: c.time,
    who: orgReference(ctx, c.actor),
    what: versionDevice(c.versionId),
    details: { transaction: c.tx, previousStatus: nameOf(VERSION_STATUSES, c.previous), status: nameOf(VERSION_STATUSES, c.status), ...(c.reason && c.reason !== ZeroHash ? { reasonHash: c.reason } : {}) },
  });
}
