import type { Command } from "commander";
import { Developer, Hospital, Regulator, InputError, parseModelCard, type ReportInput } from "../../sdk";
import { RISK_CLASSES } from "../../constants";
import { bytes32Arg, readChecked, readJson } from "../parse";
import type { Run } from "../run";
import { filingFromFlags, filingOptions } from "../filing";

export function modelCommands(program: Command, run: Run) {
  const model = program.command("model").description("models and versions: register (developer), approve and act on (regulator), deploy and report (hospital)");
  model.command("register").description("register a model (developer key)")
    .requiredOption("--name <name>", "the model's name, unique for your organisation")
    .requiredOption("--intended-use <text>", "what the model is for")
    .requiredOption("--risk <class>", RISK_CLASSES.slice(1).join(" | "))
    .action(run(async (ctx, o) => {
      const r = await new Developer(await ctx.ledger(), await ctx.writer()).registerModel({ name: o.name, intendedUse: o.intendedUse, riskClass: String(o.risk).toUpperCase() });
      ctx.print(r, `${r.created ? "registered" : "already registered:"} model ${r.modelId}`);
    }));
  filingOptions(model.command("version <card>").description("register a version from a JSON model card (format: schemas/model-card.json; developer key); the card file's hash is recorded, with the white paper and insurance given"))
    .action(run(async (ctx, o, file: string) => {
      const { value, text } = readChecked(file, "model-card");
      const filing = filingFromFlags(o);
      const r = await new Developer(await ctx.ledger(), await ctx.writer()).registerVersion(parseModelCard(value), text, filing);
      ctx.print(r, `${r.created ? "registered" : "already registered:"} version ${r.versionId} of model ${r.modelId} (SUBMITTED)`);
    }));
  filingOptions(model.command("evidence <versionId>").description("file a revised white paper and renewed insurance for a version (developer key); both are required"))
    .action(run(async (ctx, o, id: string) => {
      const f = filingFromFlags(o);
      if (!f.whitePaperHash || !f.insurance) throw new InputError("FILING_INCOMPLETE", "medprov model evidence needs --white-paper and the four insurance flags");
      const r = await new Developer(await ctx.ledger(), await ctx.writer()).fileEvidence(bytes32Arg(id), { whitePaperHash: f.whitePaperHash, insurance: f.insurance });
      ctx.print(r, `filed evidence for ${id} (tx ${r.txHash})`);
    }));
  model.command("approve <versionId>").description("approve a SUBMITTED version under a unique filing code, holding it to a risk class (regulator key)")
    .requiredOption("--filing-code <code>", "the regulator's filing code")
    .option("--risk <class>", `the class the version is held to: ${RISK_CLASSES.slice(1).join(" | ")}; default: confirm the developer's proposed class`)
    .option("--indications <list>", "comma-separated indications the approval covers (names or ids; medprov indication list)")
    .action(run(async (ctx, o, id: string) => {
      const indications = o.indications === undefined ? [] : String(o.indications).split(",").filter((s) => s.trim() !== "");
      const r = await new Regulator(await ctx.ledger(), await ctx.writer()).approve(bytes32Arg(id), o.filingCode, o.risk === undefined ? undefined : String(o.risk), indications);
      ctx.print(r, `approved ${id} as ${o.filingCode}, held to ${r.riskClass}${o.risk === undefined ? " (the developer's proposal, confirmed)" : ""} for ${r.indications.join(", ")} (tx ${r.txHash})`);
    }));
  const verbs = [["suspend", "suspended", "suspend an APPROVED version"], ["reinstate", "reinstated", "reinstate a SUSPENDED version"], ["recall", "recalled", "recall a version for good"]] as const;
  for (const [verb, done, what] of verbs) {
    model.command(`${verb} <versionId>`).description(`${what} (regulator key)`)
      .requiredOption("--notice <text>", "the regulator's notice; only its hash goes on-chain")
      .action(run(async (ctx, o, id: string) => {
        const r = await new Regulator(await ctx.ledger(), await ctx.writer())[verb](bytes32Arg(id), o.notice);
        ctx.print(r, `${done} ${id} (tx ${r.txHash})`);
      }));
  }
  model.command("deploy <versionId>").description("record your hospital's deployment of an APPROVED version (hospital key)")
    .action(run(async (ctx, _o, id: string) => {
      const r = await new Hospital(await ctx.ledger(), await ctx.writer()).deployVersion(bytes32Arg(id));
      ctx.print(r, `recorded deployment of ${id} (tx ${r.txHash})`);
    }));
  model.command("report <versionId> <report>").description("file a post-market performance report from JSON (hospital key)")
    .action(run(async (ctx, _o, id: string, file: string) => {
      const { value } = readJson(file);
      if (!value || typeof value !== "object") throw new InputError("BAD_REPORT", `${file} must hold a report object`);
      const r = await new Hospital(await ctx.ledger(), await ctx.writer()).fileReport(bytes32Arg(id), value as ReportInput);
      ctx.print(r, [
        `filed report ${r.reportId} (tx ${r.txHash})`,
        ...(r.alert ? [`FAIRNESS ALERT: subgroup AUC gap ${r.alert.gap} bps exceeds the policy limit ${r.alert.limit} bps`] : []),
        ...(r.performanceAlert ? [`PERFORMANCE ALERT: overall AUC ${r.performanceAlert.auc} bps is below the policy minimum ${r.performanceAlert.minAuc} bps`] : []),
      ]);
    }));
}
