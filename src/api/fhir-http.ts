/**
 * What the /fhir routes share: the endpoint's base URL (fullUrls, links), the ledger context the
 * mappings need, paging parameters, FHIR's media type, and errors as OperationOutcomes.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { OperationOutcome, Resource } from "@medplum/fhirtypes";
import { SearchParamError, operationOutcome, type FhirContext, type Paging } from "../fhir";
import { LIMITS } from "../constants";
import { generationsOf } from "../sdk";
import type { Kit } from "./app";
import { ApiError, type ErrorReply } from "./errors";

export const FHIR_TYPE = "application/fhir+json";
/** Is this request for the FHIR endpoint (whose errors are OperationOutcomes)? */
export const isFhir = (url: string) => url === "/fhir" || url.startsWith("/fhir/") || url.startsWith("/fhir?");

/**
 * The endpoint's base: the configured public origin (`serve --public-url`), else as the client
 * reached it (behind a trusted proxy, as the proxy was reached). A public origin keeps a client's
 * Host header out of the fullUrls a shared cache may hand to others.
 */
export const fhirBase = (req: FastifyRequest) => `${req.publicOrigin ?? `${req.protocol}://${req.host}`}/fhir`;

/** Query parameters every search takes: paging, and the `_format` FHIR clients may add. */
export const PAGING = {
  _count: { type: "integer", minimum: 0, maximum: LIMITS.PAGE_MAX, description: `matches per page (${LIMITS.PAGE_DEFAULT} unless given; 0: only the total)` },
  _cursor: { type: "string", pattern: "^[0-9A-Za-z:._-]{1,200}$", description: "where the page starts: set by the Bundle's next link" },
  _format: { type: "string", enum: ["json", "application/json", "application/fhir+json"] },
} as const;

/** Paging of a search request. */
export function pagingOf(req: FastifyRequest): Paging {
  const q = req.query as { _count?: number; _cursor?: string };
  return { base: fhirBase(req), self: `${fhirBase(req).slice(0, -"/fhir".length)}${req.url}`, count: q._count ?? LIMITS.PAGE_DEFAULT, cursor: q._cursor };
}

/** Sends a resource as FHIR JSON. */
export const sendFhir = (reply: FastifyReply, resource: Resource) => reply.type(FHIR_TYPE).send(resource);

/** A date search parameter's refusal, as the API's named error. */
export function searchParam<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SearchParamError) throw new ApiError("INVALID_TIME", e.message);
    throw e;
  }
}

/** An error answer, on a /fhir route, as an OperationOutcome with the same status and code. */
export function asOperationOutcome(r: ErrorReply): Omit<ErrorReply, "body"> & { body: OperationOutcome; contentType: string } {
  return { ...r, body: operationOutcome(r.status, r.body.error.code, r.body.error.message), contentType: FHIR_TYPE };
}

/** Names of members and purposes, and the contract addresses, for the mappings. */
export async function fhirContext({ o, q }: Pick<Kit, "o" | "q">): Promise<FhirContext> {
  const names = new Map((await q.members()).map((m) => [m.orgId, m.name]));
  const purposes = new Map((await q.purposes()).map((p) => [Number(p.id), String(p.name)]));
  const a = o.deployment.addresses;
  return { chainId: o.deployment.chainId, addresses: { consortium: a.consortium, consents: a.consents, models: a.models, traces: a.traces }, orgName: (id) => names.get(id), purposeName: (id) => purposes.get(id) };
}

/**
 * The batches anchored under id `batchId`, one per ledger generation that anchored it (batch ids
 * repeat across generations), oldest generation first; only generation `generation` when given.
 * Each with its generation's number and TraceAnchor, for the Provenance's id and policy.
 */
export async function batchesInGenerations({ o, q }: Pick<Kit, "o" | "q">, batchId: string, generation?: number) {
  const out: { batch: NonNullable<Awaited<ReturnType<Kit["q"]["batchInBlocks"]>>>; gen: { generation: number; traces: string } }[] = [];
  for (const g of generationsOf(o.deployment)) {
    if (generation !== undefined && g.generation !== generation) continue;
    const batch = await q.batchInBlocks(batchId, { from: g.fromBlock, to: g.toBlock });
    if (batch) out.push({ batch, gen: { generation: g.generation, traces: g.addresses.traces } });
  }
  return out;
}
