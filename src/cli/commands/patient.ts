import type { Command } from "commander";
import { patientPseudonyms, type HospitalRef } from "../../sdk";
import { acrossGenerations } from "../generations";
import type { Run } from "../run";

/** A patient's own view: their pseudonyms at the consortium's hospitals (docs/pseudonyms.md). */
export function patientCommands(program: Command, run: Run) {
  const patient = program.command("patient").description("your pseudonyms: one subject address per hospital, derived from your key (your patient secret)");
  patient.command("pseudonyms").description("your subject address at every hospital of the consortium (derived here, nothing sent; the secret stays on this machine)")
    .action(run(async (ctx) => {
      // Hospitals of every generation, in manifest order (a hospital re-admitted in a successor keeps
      // its id, so its pseudonym is the same address); one row a hospital, with the generations it is in.
      const secret = await ctx.patientSecret();
      const { rows, several } = await acrossGenerations(ctx, (g) => patientPseudonyms(g.ledger, secret, g.from, g.to));
      const byId = new Map<number, { hospital: HospitalRef; address: string; generations: number[] }>();
      for (const p of rows) {
        const seen = byId.get(p.hospital.id);
        // The private keys stay out of the output, --json included: the secret derives them again.
        byId.set(p.hospital.id, { hospital: p.hospital, address: p.address, generations: [...(seen?.generations ?? []), ...(p.generation === undefined ? [] : [p.generation])] });
      }
      const shown = [...byId.values()].sort((a, b) => a.hospital.id - b.hospital.id).map(({ generations, ...p }) => (several ? { ...p, generations } : p));
      const line = (p: (typeof shown)[number]) => `organisation ${p.hospital.id}  ${p.address}  ${p.hospital.name}${"generations" in p ? `  (generation${p.generations.length > 1 ? "s" : ""} ${p.generations.join(", ")})` : ""}`;
      ctx.print(shown, shown.length === 0 ? "this consortium has no hospitals yet" : shown.map(line));
    }));
}
