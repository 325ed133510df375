/** Public registry facts (members, models, versions, datasets) and consortium-internal ones. */
import type { Kit } from "../app";
import * as sch from "../schemas";

const { S } = sch;

export function registryRoutes({ app, q, route, found, ownOnly }: Kit): void {
  app.get("/members", route("public", { response: { 200: S.arr(sch.member) } }, ["registry"]), async () => q.members());
  app.get("/models", route("public", { response: { 200: S.arr(sch.model) } }, ["registry"]), async () => q.models());
  app.get("/models/:id", route("public", { params: sch.params.id, response: { 200: S.obj({ model: sch.model, versions: S.arr(sch.version) }) } }, ["registry"]), async (req) => {
    const { id } = req.params as { id: string };
    return { model: found(await q.model(id), `model ${id}`), versions: await q.versionsOf(id) };
  });
  app.get("/versions/:id", route("public", { params: sch.params.id, response: { 200: S.obj({ version: sch.version, history: S.arr(sch.statusChange) }) } }, ["registry"]), async (req) => {
    const { id } = req.params as { id: string };
    return { version: found(await q.version(id), `version ${id}`), history: await q.versionHistory(id) };
  });
  app.get("/datasets/:id", route("public", { params: sch.params.id, response: { 200: sch.dataset } }, ["registry"]), async (req) => found(await q.dataset((req.params as { id: string }).id), "the dataset"));
  app.get("/datasets/:id/lineage", route("public", { params: sch.params.id, response: { 200: sch.lineage } }, ["registry"]), async (req) => found(await q.lineage((req.params as { id: string }).id), "the dataset"));

  // ── consortium-internal facts ──
  const versionList = (path: string, item: unknown, read: (id: string) => Promise<unknown>) =>
    app.get(`/versions/:id/${path}`, route("members", { params: sch.params.id, response: { 200: S.arr(item) } }, ["models"]), async (req) => {
      const { id } = req.params as { id: string };
      found(await q.version(id), `version ${id}`);
      return read(id);
    });
  versionList("deployments", sch.deployment, q.deployments);
  versionList("reports", sch.report, q.reports);
  versionList("alerts", sch.alert, q.alerts);
  app.get("/datasets/:id/uses", route("hospital", { params: sch.params.id, response: { 200: S.arr(sch.use) } }, ["datasets"]), async (req) => {
    const { id } = req.params as { id: string };
    const d = found(await q.dataset(id), "the dataset");
    ownOnly(req.caller, Number(d.custodian), "the uses of its own datasets");
    return q.datasetUses(id);
  });
}
