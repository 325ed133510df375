/**
 * `medprov incident evidence <id> --receipt <file>` (issue 18, docs/evidence.md): the incident's
 * evidence pack — every duty of every party as a fact with its proof as of the decision's time, the
 * proposed split and the determination — as JSON (or, with --fhir, a FHIR R4 Bundle), and for
 * people a per-party summary. Reads the chain only: no key, no transaction.
 */
import type { Command } from "commander";
import { InputError, buildEvidencePack, incidentGeneration, writeFileDurably, type EvidencePack } from "../../sdk";
import { LIABILITY_PARTIES } from "../../constants";
import { evidenceBundle } from "../../fhir";
import { intArg, readJson } from "../parse";
import type { Run } from "../run";

const pct = (bps: number) => `${(bps / 100).toFixed(bps % 100 === 0 ? 0 : 2)}%`;

/** The pack for people: per party, each duty met or not with the facts that fail it; the proposal in %; the determination. */
export function evidenceSummary(pack: EvidencePack): string[] {
  const lines = [`incident ${pack.incident.id}: ${pack.incident.severityName} ${pack.incident.categoryName}, finding ${pack.incident.findingName}; decision at ${pack.decision.timeIso} (chain time, block ${pack.assembledAt.block} read)`];
  for (const party of LIABILITY_PARTIES) {
    const p = pack.parties[party];
    lines.push(`${party.toLowerCase()}: ${p.allMet ? "every duty proved" : "duties not proved"}`);
    for (const [duty, d] of Object.entries(p.duties)) {
      const failing = pack.facts.filter((f) => f.party === party && f.duty === duty && !f.met);
      lines.push(`  ${d.met ? "met    " : "NOT met"} ${duty}${failing.length ? `: ${failing.map((f) => f.words).join("; ")}` : ""}`);
    }
  }
  const s = pack.proposal?.shares;
  lines.push(s ? `PROPOSAL (${pack.liabilityCase}, not a determination): developer ${pct(s.DEVELOPER)} / hospital ${pct(s.HOSPITAL)} / clinician ${pct(s.CLINICIAN)}` : pack.proposalNote);
  const d = pack.determination;
  lines.push(d ? `determination by ${d.appraiserName ?? "an unnamed member"} (organisation ${d.appraiser}) at ${d.determinedAtIso}: developer ${pct(d.shares.DEVELOPER)} / hospital ${pct(d.shares.HOSPITAL)} / clinician ${pct(d.shares.CLINICIAN)}` : "determination: none yet");
  return lines;
}

export function incidentEvidenceCommands(program: Command, run: Run) {
  const incident = program.commands.find((c) => c.name() === "incident") ?? program.command("incident");
  incident.command("evidence <incidentId>").description("the incident's evidence pack: each party's duties as facts with their proofs as of the decision's time, the proposed split (reads the chain only)")
    .requiredOption("--receipt <file>", "the receipt of the incident's trace (medprov trace receipt)")
    .option("--out <file>", "write the pack (or bundle) to this new file; the summary still prints")
    .option("--fhir", "a FHIR R4 Bundle (AdverseEvent, Provenance, Consent, AuditEvent) instead of the pack's JSON")
    .action(run(async (ctx, o, id: string) => {
      const incidentId = intArg("incidentId")(id);
      const ledger = await ctx.ledger();
      // Judged on the generation that holds the incident (ids run on across generations); none: the current one refuses it by name.
      const at = await incidentGeneration(ctx.deployment, ctx.provider, incidentId);
      const pack = await buildEvidencePack(at?.ledger ?? ledger, incidentId, readJson(String(o.receipt)).value, { fromBlock: at?.generation.fromBlock ?? ctx.deployment.deploymentBlock });
      const doc = o.fhir ? evidenceBundle(pack) : pack;
      if (!o.out) return ctx.print(doc, [...evidenceSummary(pack), JSON.stringify(doc, null, 2)]);
      try {
        writeFileDurably(String(o.out), JSON.stringify(doc, null, 2) + "\n", { exclusive: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new InputError("FILE_EXISTS", `${o.out} exists; the pack is written to a new file`);
        throw e;
      }
      ctx.print({ out: o.out, incidentId, proposal: pack.proposal?.shares ?? null }, [...evidenceSummary(pack), `${o.fhir ? "FHIR bundle" : "evidence pack"} written to ${o.out}`]);
    }));
}
