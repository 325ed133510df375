/** Public registry facts (members, models, versions, datasets) and consortium-internal ones. */
import { DATASET_STATUSES, DEFAULT_INDICATIONS, LIMITS, RISK_CLASSES, VERSION_STATUSES, indicationsOf } from "../../constants";
import type { Rows } from "../../core";
import type { Kit } from "../app";
import * as sch from "../schemas";
import { enumKind, schemaInWords } from "../words";

const { S, W } = sch;

/** A status filter by name ("APPROVED") or number ("2"). */
const statusParam = (names: readonly string[]) => ({ type: "string", enum: [...names.slice(1), ...names.slice(1).map((_, i) => String(i + 1))], description: `by name (${names.slice(1).join(", ")}) or number` });
const statusOf = (names: readonly string[], text?: string) => (text === undefined ? undefined : /^\d+$/.test(text) ? Number(text) : names.indexOf(text));
const cursor = { type: "string", pattern: "^[0-9]{12,18}-0x[0-9a-f]{64}$", description: "the `next` of the previous page" };
const limit = { type: "integer", minimum: 1, maximum: LIMITS.PAGE_MAX, description: `at most this many (${LIMITS.PAGE_DEFAULT} unless given)` };

/** A risk class's approval policy as the ledger holds it (PolicySet), its figures as numbers with percentages beside. */
const POLICY_WORDS: sch.Spec = { riskClass: enumKind(RISK_CLASSES), minAuc: "bps", maxSubgroupAucGap: "bps", minGrassrootsShare: "bps" };
const policy = schemaInWords(S.obj({ riskClass: S.int, minAuc: S.int, maxSubgroupAucGap: S.int, minBiasTestCases: S.int, minGrassrootsShare: S.int, requiresWhitePaper: { type: "boolean" }, requiresInsurance: { type: "boolean" }, block: S.int }), POLICY_WORDS);

/**
 * A version's approved indications by name beside its bitmask (`indications` stays, for machines):
 * names from the chain's indication catalogue as the index holds it (IndicationAdded), so one
 * governance added is named too; an id it does not know reads "indication 9".
 */
export function withIndicationNames<T extends { indications?: string }>(catalogue: readonly Rows.IndicationRow[], version: T | undefined): (T & { indicationsNames?: string[] }) | undefined {
  if (version?.indications === undefined) return version;
  const names = new Map(catalogue.map((i) => [i.id, i.name]));
  return { ...version, indicationsNames: indicationsOf(BigInt(version.indications)).map((id) => names.get(id) ?? DEFAULT_INDICATIONS[id] ?? `indication ${id}`) };
}

export function registryRoutes({ app, q, route, found, ownOnly, say }: Kit): void {
  /** Version rows in words: enums, organisations and times (W.version), and the approved indications by name. */
  const versionsInWords = async <T extends { indications?: string }>(rows: (T | undefined)[]) => {
    const catalogue = await q.indications();
    return (await say(W.version, rows)).map((v) => withIndicationNames(catalogue, v));
  };
  app.get("/members", route("public", { response: { 200: S.arr(sch.member) } }, ["registry"]), async () => say(W.member, await q.members()));
  app.get("/policies", route("public", { response: { 200: S.arr(policy) } }, ["registry"]), async () => {
    const rows = (await q.policies()) as Record<string, unknown>[];
    const numbers = rows.map((p) => ({ riskClass: Number(p.riskClass), minAuc: Number(p.minAuc), maxSubgroupAucGap: Number(p.maxSubgroupAucGap), minBiasTestCases: Number(p.minBiasTestCases), minGrassrootsShare: Number(p.minGrassrootsShare), requiresWhitePaper: p.requiresWhitePaper === true, requiresInsurance: p.requiresInsurance === true, block: Number(p.block) }));
    return say(POLICY_WORDS, numbers.sort((a, b) => a.riskClass - b.riskClass));
  });
  app.get("/models", route("public", { response: { 200: S.arr(sch.model) } }, ["registry"]), async () => say(W.model, await q.models()));
  app.get("/models/:id", route("public", { params: sch.params.id, response: { 200: S.obj({ model: sch.model, versions: S.arr(sch.version) }) } }, ["registry"]), async (req) => {
    const { id } = req.params as { id: string };
    return { model: await say(W.model, found(await q.model(id), `model ${id}`)), versions: await versionsInWords(await q.versionsOf(id)) };
  });
  app.get(
    "/versions",
    route("public", {
      querystring: S.obj({ model: S.hex32, developer: { type: "integer", minimum: 1, maximum: LIMITS.ORG_ID_MAX }, status: statusParam(VERSION_STATUSES), after: cursor, limit }),
      response: { 200: S.obj({ versions: S.arr(sch.version), next: { type: ["string", "null"] } }) },
    }, ["registry"]),
    async (req) => {
      const f = req.query as { model?: string; developer?: number; status?: string; after?: string; limit?: number };
      const page = await q.versionList({ ...f, status: statusOf(VERSION_STATUSES, f.status) });
      return { versions: await versionsInWords(page.versions), next: page.next };
    },
  );
  app.get("/versions/:id", route("public", { params: sch.params.id, response: { 200: S.obj({ version: sch.version, history: S.arr(sch.statusChange) }) } }, ["registry"]), async (req) => {
    const { id } = req.params as { id: string };
    const [version] = await versionsInWords([found(await q.version(id), `version ${id}`)]);
    return { version, history: await say(W.statusChange, await q.versionHistory(id)) };
  });
  app.get(
    "/datasets",
    route("public", {
      querystring: S.obj({ custodian: { type: "integer", minimum: 1, maximum: LIMITS.ORG_ID_MAX }, status: statusParam(DATASET_STATUSES), after: cursor, limit }),
      response: { 200: S.obj({ datasets: S.arr(sch.dataset), next: { type: ["string", "null"] } }) },
    }, ["registry"]),
    async (req) => {
      const f = req.query as { custodian?: number; status?: string; after?: string; limit?: number };
      const page = await q.datasetList({ ...f, status: statusOf(DATASET_STATUSES, f.status) });
      return { datasets: await say(W.dataset, page.datasets), next: page.next };
    },
  );
  app.get("/datasets/:id", route("public", { params: sch.params.id, response: { 200: sch.dataset } }, ["registry"]), async (req) => say(W.dataset, found(await q.dataset((req.params as { id: string }).id), "the dataset")));
  app.get("/datasets/:id/lineage", route("public", { params: sch.params.id, response: { 200: sch.lineage } }, ["registry"]), async (req) => found(await q.lineage((req.params as { id: string }).id), "the dataset"));

  // ── consortium-internal facts ──
  const versionList = (path: string, item: unknown, spec: sch.Spec, read: (id: string) => Promise<unknown[]>) =>
    app.get(`/versions/:id/${path}`, route("members", { params: sch.params.id, response: { 200: S.arr(item) } }, ["models"]), async (req) => {
      const { id } = req.params as { id: string };
      found(await q.version(id), `version ${id}`);
      return say(spec, await read(id));
    });
  versionList("deployments", sch.deployment, W.deployment, q.deployments);
  versionList("reports", sch.report, W.report, q.reports);
  versionList("alerts", sch.alert, W.alert, q.alerts);
  app.get("/datasets/:id/uses", route("hospital", { params: sch.params.id, response: { 200: S.arr(sch.use) } }, ["datasets"]), async (req) => {
    const { id } = req.params as { id: string };
    const d = found(await q.dataset(id), "the dataset");
    ownOnly(req.caller, Number(d.custodian), "the uses of its own datasets");
    return say(W.use, await q.datasetUses(id));
  });
}
