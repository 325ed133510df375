import type { Command } from "commander";
import { patientPseudonyms } from "../../sdk";
import type { Run } from "../run";

/** A patient's own view: their pseudonyms at the consortium's hospitals (docs/pseudonyms.md). */
export function patientCommands(program: Command, run: Run) {
  const patient = program.command("patient").description("your pseudonyms: one subject address per hospital, derived from your key (your patient secret)");
  patient.command("pseudonyms").description("your subject address at every hospital of the consortium (derived here, nothing sent; the secret stays on this machine)")
    .action(run(async (ctx) => {
      const all = await patientPseudonyms(await ctx.ledger(), await ctx.patientSecret(), ctx.deployment.deploymentBlock);
      // The private keys stay out of the output, --json included: the secret derives them again.
      const shown = all.map((p) => ({ hospital: p.hospital, address: p.address }));
      ctx.print(shown, shown.length === 0 ? "this consortium has no hospitals yet" : shown.map((p) => `organisation ${p.hospital.id}  ${p.address}  ${p.hospital.name}`));
    }));
}
