import type { Command } from "commander";
import { Hospital } from "../../sdk";
import { DEFAULT_PURPOSES, nameOf } from "../../constants";
import { bytes32Arg, checkDatasetRecords, purposeArg, purposesArg } from "../parse";
import type { Run } from "../run";

export function datasetCommands(program: Command, run: Run) {
  const dataset = program.command("dataset").description("register datasets and record their use (hospital keys)");
  dataset
    .command("register <path>")
    .description("hash a directory of JSON records or a JSONL file (format of each record: schemas/dataset-record.json), write its cohort manifest beside it, and register it")
    .requiredOption("--purposes <list>", `allowed purposes, comma-separated (${DEFAULT_PURPOSES.join(", ")})`, purposesArg)
    .requiredOption("--uri <uri>", "where the encrypted data lives (never a patient identifier)")
    .option("--parent <datasetId...>", "datasets this one derives from")
    .action(run(async (ctx, o, path: string) => {
      checkDatasetRecords(path); // every record against schemas/dataset-record.json before anything is hashed or sent
      const hospital = new Hospital(await ctx.ledger(), await ctx.writer());
      const bar = ctx.progress("hashing records", 0);
      const r = await hospital.registerDataset(path, { purposes: o.purposes, uri: o.uri, parents: (o.parent ?? []).map(bytes32Arg), onRecord: (n) => bar.update(n) });
      bar.stop();
      ctx.print(
        { datasetId: r.datasetId, created: r.created, records: r.built.recordCount, subjects: r.built.subjects.length, contentRoot: r.built.contentRoot, cohortRoot: r.built.cohortRoot, manifest: r.manifestPath, txHash: r.txHash },
        [`${r.created ? "registered" : "already registered:"} dataset ${r.datasetId}`, `  ${r.built.recordCount} records, ${r.built.subjects.length} subjects; cohort manifest ${r.manifestPath}`],
      );
    }));
  dataset
    .command("use <datasetId>")
    .description("record that your organisation used a dataset for a purpose")
    .requiredOption("--purpose <purpose>", "the purpose of this use", purposeArg)
    .action(run(async (ctx, o, id: string) => {
      const r = await new Hospital(await ctx.ledger(), await ctx.writer()).recordUse(bytes32Arg(id), o.purpose);
      ctx.print(r, `recorded ${nameOf(DEFAULT_PURPOSES, o.purpose)} use of ${id} (tx ${r.txHash})`);
    }));
}
