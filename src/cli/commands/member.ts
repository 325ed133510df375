import type { Command } from "commander";
import { Governance, governedCalls, InputError, proposeThroughSafe, sendWrite, writeFileDurably, type GovernedCall } from "../../sdk";
import { RISK_CLASSES, ROLES } from "../../constants";
import { addressArg, orgArg } from "../parse";
import type { CliContext } from "../context";
import type { Run } from "../run";

type Calls = ReturnType<typeof governedCalls>;

/**
 * Writes a Safe proposal of a governed call to `file` for the owners to sign (`governance sign`);
 * nothing is sent. The file is never overwritten: each action has its own.
 */
async function propose(ctx: CliContext, file: string, make: (calls: Calls) => GovernedCall) {
  const ledger = await ctx.ledger();
  const call = make(governedCalls(ledger));
  const p = await proposeThroughSafe(ledger, ctx.deployment.chainId, ctx.deployment.governance, call);
  try {
    writeFileDurably(file, JSON.stringify(p, null, 2) + "\n", { exclusive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new InputError("FILE_EXISTS", `${file} exists; a proposal is written to a new file`);
    throw e;
  }
  ctx.print(p, `proposed: ${call.description} (Safe ${p.safe}, transaction ${p.safeTx.nonce}, hash ${p.safeTxHash}); owners sign it with: medprov governance sign ${file}`);
}

/** Schedules a governed call, or executes it with --execute once its delay has passed; with --propose, writes a Safe proposal instead. */
export async function govern(ctx: CliContext, o: { execute?: boolean; propose?: string }, make: (calls: Calls) => GovernedCall) {
  if (o.propose !== undefined) {
    if (o.execute) throw new InputError("BAD_ARGUMENT", "--propose writes a proposal for the Safe's owners; --execute sends with this key: give one");
    return propose(ctx, o.propose, make);
  }
  const g = new Governance(await ctx.ledger(), await ctx.writer());
  const call = make(g.calls);
  if (o.execute) {
    const r = await g.execute(call);
    ctx.print(r, `executed: ${call.description} (tx ${r.txHash})`);
  } else {
    const r = await g.schedule(call);
    ctx.print(r, `scheduled: ${call.description}; executable after ${new Date(r.readyAt * 1000).toISOString()} — run the same command with --execute then`);
  }
}

export function memberCommands(program: Command, run: Run) {
  const member = program.command("member").description("consortium membership (governance key; every change waits out the governance delay)");
  const withExecute = (c: Command) =>
    c.option("--execute", "execute the call scheduled earlier, once its delay has passed")
      .option("--propose <file>", "write a proposal for the governance Safe's owners to sign (medprov governance sign/execute) instead of sending");
  withExecute(member.command("admit").description("admit an organisation with one role and its first keys"))
    .requiredOption("--name <name>", "public name of the organisation")
    .requiredOption("--role <role>", ROLES.slice(1).join(" | "))
    .requiredOption("--key <address...>", "signing key(s)")
    .action(run((ctx, o) => govern(ctx, o, (g) => g.admitMember(o.name, String(o.role).toUpperCase(), o.key.map(addressArg)))));
  withExecute(member.command("add-key <org> <address>").description("add a signing key to an organisation"))
    .action(run((ctx, o, org: string, key: string) => govern(ctx, o, (g) => g.addKey(orgArg(org), addressArg(key)))));
  withExecute(member.command("reinstate <org>").description("reinstate a suspended organisation"))
    .action(run((ctx, o, org: string) => govern(ctx, o, (g) => g.reinstateMember(orgArg(org)))));
  withExecute(member.command("remove <org>").description("remove an organisation for good"))
    .action(run((ctx, o, org: string) => govern(ctx, o, (g) => g.removeMember(orgArg(org)))));
  // The two emergency actions act at once, without the governance delay, so they are sent directly.
  member.command("suspend <org>").description("suspend an organisation at once (regulator key) or through governance")
    .action(run(async (ctx, _o, org: string) => {
      const orgId = orgArg(org);
      const c = (await ctx.ledger()).consortium.connect(await ctx.writer());
      const { txHash, blockNumber } = await sendWrite(c, () => c.suspendMember(orgId));
      ctx.print({ orgId, txHash, blockNumber }, `suspended organisation ${orgId} (tx ${txHash})`);
    }));
  member.command("revoke-key <address>").description("revoke a key at once (a key of the same organisation) or through governance")
    .action(run(async (ctx, _o, key: string) => {
      const address = addressArg(key);
      const c = (await ctx.ledger()).consortium.connect(await ctx.writer());
      const { txHash, blockNumber } = await sendWrite(c, () => c.revokeKey(address));
      ctx.print({ key: address, txHash, blockNumber }, `revoked key ${address} (tx ${txHash})`);
    }));
}

const bps = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) > 10_000) throw new InputError("BAD_POLICY", `${name} must be an integer 0..10000 (basis points)`);
  return Number(v);
};

export function policyCommands(program: Command, run: Run) {
  const policy = program.command("policy").description("approval thresholds per risk class (governance role; delayed like membership)");
  policy.command("set").description("schedule (or --execute) new thresholds for a risk class")
    .requiredOption("--risk <class>", RISK_CLASSES.slice(1).join(" | "))
    .requiredOption("--min-auc <bps>", "minimum AUC", bps("--min-auc"))
    .requiredOption("--max-gap <bps>", "maximum subgroup AUC gap", bps("--max-gap"))
    .requiredOption("--min-bias-cases <n>", "minimum bias-test cases", (v) => {
      if (!/^\d+$/.test(v)) throw new InputError("BAD_POLICY", "--min-bias-cases must be a whole number");
      return Number(v);
    })
    .requiredOption("--min-grassroots <bps>", "minimum grassroots data share", bps("--min-grassroots"))
    .option("--white-paper <yes|no>", "whether approval requires the safety white paper on file; default: as now", yesNo("--white-paper"))
    .option("--insurance <yes|no>", "whether approval requires liability insurance in force; default: as now", yesNo("--insurance"))
    .option("--execute", "execute the call scheduled earlier, once its delay has passed")
    .option("--propose <file>", "write a proposal for the governance Safe's owners to sign (medprov governance sign/execute) instead of sending")
    .action(run(async (ctx, o) => {
      const risk = String(o.risk).toUpperCase();
      // Flags not given keep the class's current filing requirements: resetting thresholds never drops them silently.
      const now = RISK_CLASSES.indexOf(risk as (typeof RISK_CLASSES)[number]) > 0 ? await (await ctx.ledger()).models.policy(RISK_CLASSES.indexOf(risk as (typeof RISK_CLASSES)[number])) : undefined;
      const requiresWhitePaper: boolean = o.whitePaper ?? now?.requiresWhitePaper ?? false;
      const requiresInsurance: boolean = o.insurance ?? now?.requiresInsurance ?? false;
      return govern(ctx, o, (g) => g.setPolicy(risk, { minAuc: o.minAuc, maxSubgroupAucGap: o.maxGap, minBiasTestCases: o.minBiasCases, minGrassrootsShare: o.minGrassroots, requiresWhitePaper, requiresInsurance }));
    }));
}

function yesNo(flag: string) {
  return (v: string): boolean => {
    if (v === "yes" || v === "no") return v === "yes";
    throw new InputError("BAD_POLICY", `${flag} must be yes or no`);
  };
}
