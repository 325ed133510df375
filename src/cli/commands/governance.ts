import type { Command } from "commander";
import { executeProposal, parseProposal, signProposal, writeFileDurably, type GovernanceProposal } from "../../sdk";
import { readJson } from "../parse";
import type { CliContext } from "../context";
import type { Run } from "../run";

/** Reading and checking a proposal needs no chain. */
const readProposal = (file: string): GovernanceProposal => parseProposal(readJson(file).value, file);
const save = (file: string, p: GovernanceProposal) => writeFileDurably(file, JSON.stringify(p, null, 2) + "\n");

/** `medprov governance sign|execute <proposal.json>`: the Safe owners' side of a proposal written by `member … --propose`. */
export function governanceCommands(program: Command, run: Run) {
  const governance = program.command("governance").description("governance through the consortium's Safe: owners sign a proposal file offline, anyone executes it once enough have");
  governance.command("sign <proposal>").description("add this owner's EIP-712 SafeTx signature to a proposal file (offline: no chain is asked)")
    .action(run(async (ctx: CliContext, _o, file: string) => {
      const p = readProposal(file);
      const signed = await signProposal(p, await ctx.signer());
      save(file, signed);
      const me = signed.signatures.at(-1)!.signer;
      ctx.print(signed, `signed ${p.stage} of: ${p.action.description} (Safe ${p.safe}, transaction ${p.safeTx.nonce}, hash ${signed.safeTxHash}) as ${me}; ${signed.signatures.length} signature(s) in ${file}`);
    }));
  governance.command("execute <proposal>").description("send the proposal's Safe transaction once enough owners signed: first it schedules the action, after the governance delay it executes it")
    .action(run(async (ctx: CliContext, _o, file: string) => {
      const ledger = await ctx.ledger();
      const p = readProposal(file);
      const { sent, next } = await executeProposal(ledger, p, await ctx.writer());
      if (next) {
        save(file, next);
        ctx.print({ stage: "scheduled", txHash: sent.txHash, readyAt: next.readyAt, readyAtIso: next.readyAtIso, proposal: next }, [
          `scheduled through the Safe: ${p.action.description} (tx ${sent.txHash})`,
          `executable after ${next.readyAtIso}; ${file} now holds the execute step: owners sign it again, then run governance execute ${file}`,
        ]);
      } else {
        ctx.print({ stage: "executed", txHash: sent.txHash, blockNumber: sent.blockNumber }, `executed through the Safe: ${p.action.description} (tx ${sent.txHash})`);
      }
    }));
}
