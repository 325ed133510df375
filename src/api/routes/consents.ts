/** A subject's consents: current slots, history, and validity at a block, a time or the chain's now. */
import { LIMITS } from "../../constants";
import type { FastifyRequest } from "fastify";
import type { Kit } from "../app";
import { isoOf } from "../../sdk";
import { ApiError } from "../errors";
import { MAX_SAFE, MAX_TIME } from "../inputs";
import * as sch from "../schemas";

const { S } = sch;

export function consentRoutes({ app, o, q, route, consentScope, now, say, names }: Kit): void {
  /** A subject's views that span every custodian's datasets: the subject, a delegate and oversight read them; a hospital is refused. */
  const crossCustodian = async (req: FastifyRequest, what: string) => {
    if (req.caller.kind === "HOSPITAL") throw new ApiError("FORBIDDEN", `a hospital may not read ${what}: it spans other custodians' datasets (regulators and auditors read it, as do the subject and their delegates)`);
    await consentScope(req);
  };
  app.get("/consents/:subject", route("subject", { params: sch.params.subject, response: { 200: S.arr(sch.consent) } }, ["consents"]), async (req) => {
    const inScope = await consentScope(req);
    return say(sch.W.consent, (await q.consents((req.params as { subject: string }).subject)).filter((c) => inScope(Number(c.grantee))));
  });
  app.get("/consents/:subject/history", route("subject", { params: sch.params.subject, response: { 200: S.arr(sch.consentEvent) } }, ["consents"]), async (req) => {
    const inScope = await consentScope(req);
    const all = await q.consentHistory((req.params as { subject: string }).subject);
    return say(sch.W.consentEvent, req.caller.kind === "HOSPITAL" ? all.filter((e) => e.grantee !== undefined && inScope(Number(e.grantee))) : all);
  });
  app.get(
    "/consents/:subject/valid",
    route("subject", {
      description: "Was the consent valid at `block` (judged by that block's time), at `time` (Unix seconds), or — with neither — at the chain's head block? Never by the server's clock.",
      params: sch.params.subject,
      querystring: S.obj({ purpose: { type: "integer", minimum: 0, maximum: LIMITS.PURPOSE_ID_MAX }, grantee: { type: "integer", minimum: 0, maximum: LIMITS.ORG_ID_MAX }, time: { type: "integer", minimum: 0, maximum: MAX_TIME }, block: { type: "integer", minimum: 0, maximum: MAX_SAFE } }, ["purpose", "grantee"]),
      response: { 200: S.obj({ valid: S.bool, purpose: S.int, purposeName: S.str, grantee: S.int, granteeName: { type: ["string", "null"] }, time: S.int, timeIso: S.str, block: S.int }) },
    }, ["consents"]),
    async (req) => {
      const inScope = await consentScope(req);
      const { subject } = req.params as { subject: string };
      const { purpose, grantee, time, block } = req.query as { purpose: number; grantee: number; time?: number; block?: number };
      if (block !== undefined && time !== undefined) throw new ApiError("CONTRADICTORY_PARAMETERS", "give block or time, not both: a block has its own time");
      if (!inScope(grantee)) throw new ApiError("FORBIDDEN", "a hospital may ask only about consents that name it");
      let at: { block?: number; time: number };
      if (block !== undefined) {
        const b = await o.provider.getBlock(block);
        if (!b) throw new ApiError("NOT_FOUND", `block ${block} is not on the chain`);
        at = { block, time: b.timestamp };
      } else at = time !== undefined ? { time } : await now();
      const n = await names();
      return { valid: await q.consentValidAt(subject, purpose, grantee, at), purpose, purposeName: n.purposeName(purpose), grantee, granteeName: n.orgName(grantee), ...at, timeIso: isoOf(at.time) };
    },
  );
  app.get(
    "/consents/:subject/revocation-impact",
    route("subject", { params: sch.params.subject, description: "The subject's own view of GET /reports/revocation-impact/:subject (the same answer; docs/reports.md), for the patient or their delegate. A hospital is refused: the answer spans other custodians' datasets and other members' uses.", response: { 200: sch.revocationImpact } }, ["consents"]),
    async (req) => {
      await crossCustodian(req, "a subject's revocation impact");
      return say(sch.W.revocationImpact, await q.revocationImpact((req.params as { subject: string }).subject));
    },
  );
  app.get(
    "/consents/:subject/datasets",
    route("subject", { params: sch.params.subject, description: "The datasets whose custodians disclosed (by cohort manifest) that they include the subject, whether or not the subject revoked anything: per dataset the custodian, the purposes it allows, the subject's consents it relied on (at its registration, and now by the chain's head), the model versions trained on it with their status, and its recorded uses; see docs/reports.md. For the subject and their delegates, and oversight; hospitals are refused.", response: { 200: sch.subjectDatasets } }, ["consents"]),
    async (req) => {
      await crossCustodian(req, "the datasets that include a subject");
      return say(sch.W.subjectDatasets, await q.subjectDatasets((req.params as { subject: string }).subject, await now()));
    },
  );
}
