/**
 * `medprov incident category add`, `incident weighting set` (governance, delayed like every governed
 * call) and `incident list` (read from the chain). Apart from incident.ts to keep each command group
 * short enough to read.
 */
import type { Command } from "commander";
import { InputError, incidentCategories, incidentIdRange, readIncident, sharesArg } from "../../sdk";
import { acrossGenerations, generationLabel, memberNamesAcross } from "../generations";
import { LIABILITY_CASES, NUMBERS } from "../../constants";
import { orgArg } from "../parse";
import { govern } from "./member";
import type { Run } from "../run";

/** A share in whole basis points, 0..10,000 (the sum is checked where the three meet). */
export const bpsArg = (flag: string) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) > NUMBERS.BPS) throw new InputError("INCIDENT_BAD_SHARES", `${flag} must be whole basis points 0..${NUMBERS.BPS}`);
  return Number(v);
};
/** An organisation in words, its name beside its number where it was admitted with one; pure. */
export const orgWords = (names: readonly string[]) => (orgId: number) => (names[orgId] ? `${names[orgId]} (organisation ${orgId})` : `organisation ${orgId}`);

const governOptions = (c: Command) =>
  c.option("--execute", "execute the call scheduled earlier, once its delay has passed")
    .option("--propose <file>", "write a proposal for the governance Safe's owners to sign instead of sending");

/** The governed catalogue and weighting, and the list of incidents, under `medprov incident`. */
export function incidentGovernanceCommands(incident: Command, run: Run) {
  const category = incident.command("category").description("the incident category catalogue (governance role; delayed)");
  governOptions(category.command("add <name>").description("schedule (or --execute) adding an incident category, e.g. DEVICE_FAILURE (canonical: A-Z, 0-9, single underscores)"))
    .action(run((ctx, o, name: string) => govern(ctx, o, (g) => g.addIncidentCategory(name))));
  const weighting = incident.command("weighting").description("the default liability weighting per case, a proposal's starting point (governance role; delayed)");
  governOptions(weighting.command("set <case>").description(`schedule (or --execute) a case's weighting: ${LIABILITY_CASES.slice(1).join(" | ")}; basis points summing to ${NUMBERS.BPS}`))
    .requiredOption("--developer <bps>", "the developer's share", bpsArg("--developer"))
    .requiredOption("--hospital <bps>", "the hospital's share", bpsArg("--hospital"))
    .requiredOption("--clinician <bps>", "the clinician's share", bpsArg("--clinician"))
    .action(run((ctx, o, liabilityCase: string) => {
      const shares = sharesArg({ developer: o.developer, hospital: o.hospital, clinician: o.clinician });
      return govern(ctx, o, (g) => g.setWeighting(liabilityCase.toUpperCase(), shares));
    }));
  incident.command("list").description("every incident on the chain, oldest first, with its finding and determination")
    .option("--hospital <org>", "only those this hospital reported", orgArg)
    .option("--version <versionId>", "only those against this model version")
    .action(run(async (ctx, o) => {
      // Each generation's registry holds its own ids, numbered on from its predecessor's (a 1.0.0 registry from 1).
      const { rows: all } = await acrossGenerations(ctx, async (g) => {
        const { first, count } = await incidentIdRange({ address: await g.ledger.incidents.getAddress(), version: g.versions.incidents }, ctx.provider);
        const ids = Array.from({ length: Number(count) }, (_, k) => Number(first) + k);
        const categories = await incidentCategories(g.ledger, g.from); // once a generation, not once an incident
        return Promise.all(ids.map(async (id) => (await readIncident(g.ledger, id, { categories }))!));
      });
      const rows = all.filter((i) => (o.hospital === undefined || i.hospital === o.hospital) && (o.version === undefined || i.versionId.toLowerCase() === String(o.version).toLowerCase()));
      const org = orgWords(await memberNamesAcross(ctx));
      ctx.print(rows, rows.length ? rows.map((i) => `${generationLabel(i)}${i.incidentId} ${i.reportedAtIso} ${org(i.hospital)} ${i.severityName} ${i.categoryName} finding ${i.findingName} ${i.determination ? `determined ${i.determination.shares.DEVELOPER}/${i.determination.shares.HOSPITAL}/${i.determination.shares.CLINICIAN} bps` : "not determined"}`) : ["no incidents"]);
    }));
}
