/**
 * Incidents and indications (issue 18): a hospital reports harm against one of its traces (from the
 * trace's receipt) and records the finding, an APPRAISER records the determination, anyone reads one;
 * the indication catalogue is listed and, by governance, appended.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { keccak256 } from "ethers";
import { Appraiser, Hospital, InputError, incidentGeneration, indicationCatalogue, parseReceipt, readIncident } from "../../sdk";
import { INCIDENT_SEVERITIES, OUTPUT_FINDINGS } from "../../constants";
import { intArg, readJson } from "../parse";
import { timeArg } from "../filing";
import { govern } from "./member";
import type { Run } from "../run";
import { acrossGenerations, generationLabel, memberNamesAcross } from "../generations";
import { bpsArg, incidentGovernanceCommands, orgWords } from "./incident-governance";

function fileHash(path: string, flag: string): string {
  try {
    return keccak256(readFileSync(path));
  } catch {
    throw new InputError("FILE_UNREADABLE", `${flag} ${path} cannot be read`, { field: flag });
  }
}


export function incidentCommands(program: Command, run: Run) {
  const incident = program.command("incident").description("adverse events against traces: report and find (hospital), determine (appraiser), show");
  incident.command("report <receipt>").description("report harm against one of your hospital's anchored traces, named by its receipt (hospital key); only hashes, codes and times go on-chain")
    .requiredOption("--severity <level>", INCIDENT_SEVERITIES.slice(1).join(" | "))
    .requiredOption("--category <code>", "a category of the on-chain catalogue (e.g. MISDIAGNOSIS, MISSED_DIAGNOSIS, DELAYED_TREATMENT, WRONG_TREATMENT, OTHER)")
    .requiredOption("--occurred-at <time>", "when the harm occurred: ISO date or unix seconds (no earlier than the trace's batch window, no later than the chain's head)")
    .requiredOption("--narrative <file>", "the incident narrative the hospital keeps (its hash is anchored)")
    .action(run(async (ctx, o, file: string) => {
      const receipt = parseReceipt(readJson(file).value);
      const facts = { severity: String(o.severity), category: String(o.category), occurredAt: timeArg(o.occurredAt, "--occurred-at"), narrativeHash: fileHash(o.narrative, "--narrative") };
      const r = await new Hospital(await ctx.ledger(), await ctx.writer()).reportIncident(receipt, facts);
      ctx.print(r, `reported incident ${r.incidentId} against trace ${receipt.record.seq} of batch ${receipt.batchId} (tx ${r.txHash})`);
    }));
  incident.command("finding <incidentId>").description("record whether the model's output was correct, once (the reporting hospital's key)")
    .requiredOption("--finding <value>", OUTPUT_FINDINGS.slice(1).join(" | "))
    .requiredOption("--follow-up <file>", "the follow-up that settles it (its hash is anchored)")
    .action(run(async (ctx, o, id: string) => {
      const incidentId = intArg("incidentId")(id);
      const r = await new Hospital(await ctx.ledger(), await ctx.writer()).recordFinding(incidentId, String(o.finding), fileHash(o.followUp, "--follow-up"));
      ctx.print(r, `recorded finding ${String(o.finding).toUpperCase()} for incident ${incidentId} (tx ${r.txHash})`);
    }));
  incident.command("determine <incidentId>").description("record the final liability determination, once (appraiser key); shares in basis points summing to 10000")
    .requiredOption("--developer <bps>", "the developer's share", bpsArg("--developer"))
    .requiredOption("--hospital <bps>", "the hospital's share", bpsArg("--hospital"))
    .requiredOption("--clinician <bps>", "the clinician's share", bpsArg("--clinician"))
    .requiredOption("--ruling <file>", "the appraisal ruling (its hash is anchored)")
    .action(run(async (ctx, o, id: string) => {
      const incidentId = intArg("incidentId")(id);
      const shares = { developer: o.developer, hospital: o.hospital, clinician: o.clinician };
      const r = await new Appraiser(await ctx.ledger(), await ctx.writer()).determine(incidentId, shares, fileHash(o.ruling, "--ruling"));
      ctx.print(r, `determined incident ${incidentId}: developer ${shares.developer} / hospital ${shares.hospital} / clinician ${shares.clinician} bps (tx ${r.txHash})`);
    }));
  incident.command("show <incidentId>").description("one incident as the chain holds it, with names beside codes")
    .action(run(async (ctx, _o, id: string) => {
      const incidentId = intArg("incidentId")(id);
      await ctx.ledger(); // the node answers and serves the manifest's chain (WRONG_CHAIN, RPC_UNAVAILABLE)
      // The generation that holds it (ids run on across generations): an older incident is read on its own registry.
      const at = await incidentGeneration(ctx.deployment, ctx.provider, incidentId);
      const i = at && (await readIncident(at.ledger, incidentId, { fromBlock: at.generation.fromBlock }));
      if (!i) throw new InputError("INCIDENT_UNKNOWN", `there is no incident ${incidentId}`);
      const d = i.determination;
      const org = orgWords(await memberNamesAcross(ctx));
      ctx.print(i, [
        `incident ${i.incidentId}: ${i.severityName} ${i.categoryName} at ${i.occurredAtIso}, reported by ${org(i.hospital)} at ${i.reportedAtIso}`,
        `trace: batch ${i.batchId} sequence ${i.seq} (version ${i.versionId})`,
        `finding: ${i.findingName}`,
        d ? `determination by ${org(d.appraiser)} at ${d.determinedAtIso}: developer ${d.shares.DEVELOPER} / hospital ${d.shares.HOSPITAL} / clinician ${d.shares.CLINICIAN} bps (ruling ${d.rulingHash})` : "determination: none yet",
      ]);
    }));
  incidentGovernanceCommands(incident, run);
}

export function indicationCommands(program: Command, run: Run) {
  const indication = program.command("indication").description("the indication catalogue: what an approval may cover");
  indication.command("list").description("the indications on-chain, by id, in every ledger generation (each line names its own when there are several)")
    .action(run(async (ctx) => {
      // Each generation's catalogue over its own blocks: a successor starts from the defaults again.
      const { rows } = await acrossGenerations(ctx, async (g) => (await indicationCatalogue(g.ledger, g.from, g.to)).map((name, id) => ({ id, name })));
      ctx.print(rows, rows.map((r) => `${generationLabel(r)}${r.id} ${r.name}`));
    }));
  indication.command("add <name>").description("schedule (or --execute) adding an indication (governance role; delayed)")
    .option("--execute", "execute the call scheduled earlier, once its delay has passed")
    .option("--propose <file>", "write a proposal for the governance Safe's owners to sign instead of sending")
    .action(run((ctx, o, name: string) => govern(ctx, o, (g) => g.addIndication(name))));
}
