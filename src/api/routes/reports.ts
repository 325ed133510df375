/** Impact and fairness reports over the whole ledger (oversight only). */
import type { Kit } from "../app";
import * as sch from "../schemas";

const { S } = sch;

export function reportRoutes({ app, q, route, found, say }: Kit): void {
  app.get("/reports/recall-impact/:id", route("oversight", { params: sch.params.id, response: { 200: sch.recallImpact } }, ["reports"]), async (req) => {
    const { id } = req.params as { id: string };
    found(await q.version(id), `version ${id}`);
    return say(sch.W.recallImpact, await q.recallImpact(id));
  });
  app.get(
    "/reports/revocation-impact/:subject",
    route("oversight", { params: sch.params.subject, description: "Per revocation of a data-use purpose: the uses under that purpose of the subject's datasets, related to the revocation by chain time; see docs/reports.md.", response: { 200: sch.revocationImpact } }, ["reports"]),
    async (req) => say(sch.W.revocationImpact, await q.revocationImpact((req.params as { subject: string }).subject)),
  );
  app.get("/reports/fairness-alerts", route("oversight", { response: { 200: S.arr(sch.fairnessAlert) } }, ["reports"]), async () => {
    const models = new Map<string, { modelId: string; name: string }>();
    const modelOf = async (versionId: string) => {
      if (!models.has(versionId)) {
        const v = await q.version(versionId);
        const m = v ? await q.model(String(v.modelId)) : undefined;
        models.set(versionId, { modelId: String(v?.modelId ?? ""), name: String(m?.name ?? "") });
      }
      return models.get(versionId)!;
    };
    const alerts = await q.allAlerts();
    return say(sch.W.fairnessAlert, await Promise.all(alerts.map(async (a) => ({ ...a, ...(await modelOf(a.versionId)) }))));
  });
}
