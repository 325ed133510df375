/**
 * Registry facts as FHIR R4 resources that other resources reference: a consortium member as an
 * Organization (Organization/<orgId>), a model version as a Device (Device/<versionId without 0x>),
 * following HL7's AI Transparency on FHIR in treating a model version as a device.
 */
import type { Device, Organization } from "@medplum/fhirtypes";
import { ZeroHash } from "ethers";
import { MEMBER_STATUSES, MemberStatus, ROLES, VersionStatus, nameOf } from "../constants";
import type { Rows } from "../core";
import * as C from "./codes";
import { deviceId, orgReference, versionDevice, versionExtensions, type FhirContext, type VersionRow } from "./resources";

/** What an Organization reads of a member row (src/core/rows.ts). */
export type MemberRow = Pick<Rows.MemberRow, "orgId" | "role" | "name" | "status">;

const words = (name: string) => name.toLowerCase().replace(/_/g, " ");

/** A member: active while ACTIVE; its role as a coded type; its status as an extension. */
export function organizationResource(m: MemberRow): Organization {
  const role = nameOf(ROLES, m.role);
  const status = nameOf(MEMBER_STATUSES, m.status);
  return {
    resourceType: "Organization",
    id: String(m.orgId),
    identifier: [{ system: C.SYSTEM.org, value: String(m.orgId) }],
    active: m.status === MemberStatus.ACTIVE,
    type: [{ coding: [{ system: C.CODE_SYSTEM.role, code: role, display: words(role) }] }],
    name: m.name,
    extension: [{ url: C.EXTENSION.memberStatus, valueCoding: { system: C.CODE_SYSTEM.memberStatus, code: status, display: words(status) } }],
  };
}

/**
 * A model version: active while APPROVED (the only status new traces may use), inactive otherwise;
 * named after its model; owned by its developer; its parent version as `parent`.
 */
export function deviceResource(ctx: FhirContext, v: VersionRow, model?: { name: string }): Device {
  return {
    resourceType: "Device",
    id: deviceId(v.versionId),
    identifier: [{ system: C.SYSTEM.modelVersion, value: v.versionId.toLowerCase() }, { system: "urn:medprov:model", value: v.modelId.toLowerCase() }],
    status: v.status === VersionStatus.APPROVED ? "active" : "inactive",
    ...(model ? { deviceName: [{ name: model.name, type: "model-name" as const }] } : {}),
    type: { text: "AI model version" },
    version: [{ value: v.versionId.toLowerCase() }],
    ...(ctx.orgName?.(v.developer) ? { manufacturer: ctx.orgName(v.developer) } : {}),
    owner: orgReference(ctx, v.developer),
    ...(v.parent && v.parent !== ZeroHash ? { parent: versionDevice(v.parent) } : {}),
    extension: versionExtensions(v),
  };
}
