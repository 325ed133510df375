import type { Command } from "commander";
import { Hospital, InputError, Patient, consentHistory, isoOf, joinedConsentHistory, patientPseudonyms, writeFileDurably, type ConsentEvent, type SignedGrant, type SignedRevoke } from "../../sdk";
import { DEFAULT_PURPOSES, nameOf } from "../../constants";
import { addressArg, expiryArg, granteeArg, orgArg, purposeArg, readChecked } from "../parse";
import type { CliContext } from "../context";
import { acrossGenerations, generationLabel } from "../generations";
import type { Run } from "../run";
import { withBlockTimes, type Timed } from "../block-times";

const EXPIRES_HELP = "30d, 12h or 90m from the chain's current block time; an ISO date; or unix seconds";
const who = (g: number) => (g === 0 ? "any member" : `organisation ${g}`);
const AT_HELP = "act as your pseudonym at this hospital (organisation id): the key is your patient secret (docs/pseudonyms.md)";

/** Your pseudonym at hospital `org`, derived from the key as your patient secret; a member that is no hospital is refused. */
export async function pseudonymAt(ctx: CliContext, org: number) {
  const found = (await patientPseudonyms(await ctx.ledger(), await ctx.patientSecret(), ctx.deployment.deploymentBlock)).find((p) => p.memberId === org);
  if (!found) throw new InputError("PSEUDONYM_NOT_HOSPITAL", `organisation ${org} is not a hospital of this consortium: a patient has pseudonyms at hospitals only (medprov patient pseudonyms lists them)`);
  return found;
}

/**
 * The patient a signing command acts as: with --at, the pseudonym there; else the key itself. It
 * only signs (a hospital relays), so the key's outbox is not opened: a write of this key the node
 * refused never stands between a patient and signing a revocation.
 */
async function patientFor(ctx: CliContext, at: number | undefined): Promise<Patient> {
  const ledger = await ctx.ledger();
  if (at === undefined) return new Patient(ledger, await ctx.signer());
  await pseudonymAt(ctx, at);
  return Patient.at(ledger, await ctx.patientSecret(), at);
}

type HistoryRow = Timed<ConsentEvent & { hospital?: { name: string }; pseudonym?: string; generation?: number }>;

/** One history line, its block's time beside its number; with the hospital and pseudonym beside it in the patient's joined view. */
const historyLine = (e: HistoryRow) =>
  `${generationLabel(e)}block ${e.blockNumber} at ${e.blockTimeIso}  ${e.kind.padEnd(9)} ${nameOf(DEFAULT_PURPOSES, e.purpose).padEnd(26)} ${who(e.grantee)}${e.expiresAt ? ` until ${isoOf(e.expiresAt)}` : ""}${e.hospital ? `  at ${e.hospital.name} as ${e.pseudonym}` : ""}`;

/**
 * History rows as a person reads them: each with its block's time (the chain's, read once per
 * block) and its decision and expiry times in ISO beside their Unix seconds.
 */
async function timedHistory<T extends ConsentEvent>(ctx: CliContext, rows: T[]) {
  return (await withBlockTimes(ctx.provider, rows)).map((r) => ({ ...r, signedAtIso: isoOf(r.signedAt), ...(r.expiresAt !== undefined ? { expiresAtIso: isoOf(r.expiresAt) } : {}) }));
}

export function consentCommands(program: Command, run: Run) {
  const consent = program.command("consent").description("grant, revoke, sign, relay and list patient consents");
  const target = (c: Command) =>
    c
      .requiredOption("--purpose <purpose>", `one of ${DEFAULT_PURPOSES.join(", ")}`, purposeArg)
      .requiredOption("--grantee <org>", 'organisation id, or "any" for any member', granteeArg)
      .option("--subject <address>", "act for this subject as its delegate (guardian)", addressArg);

  target(consent.command("grant").description("grant consent directly (the patient's key pays gas)"))
    .requiredOption("--expires <when>", EXPIRES_HELP, expiryArg)
    .action(run(async (ctx, o) => {
      const patient = new Patient(await ctx.ledger(), await ctx.writer());
      const expiresAt = await ctx.expiry(o.expires);
      const r = await patient.grant({ purpose: o.purpose, grantee: o.grantee, expiresAt, subject: o.subject });
      ctx.print({ ...r, expiresAt, expiresAtIso: isoOf(expiresAt) }, `granted ${nameOf(DEFAULT_PURPOSES, o.purpose)} to ${who(o.grantee)} until ${isoOf(expiresAt)} (tx ${r.txHash})`);
    }));

  target(consent.command("revoke").description("revoke consent directly; takes effect in the block that records it (with no grant in force: cancels grants signed until now)"))
    .action(run(async (ctx, o) => {
      const r = await new Patient(await ctx.ledger(), await ctx.writer()).revoke({ purpose: o.purpose, grantee: o.grantee, subject: o.subject });
      const what = r.events.some((e) => e.name === "ConsentCancelled") ? "no grant was in force: cancelled pending grants signed until now for" : "revoked";
      ctx.print(r, `${what} ${nameOf(DEFAULT_PURPOSES, o.purpose)} for ${who(o.grantee)} (tx ${r.txHash})`);
    }));

  target(consent.command("sign-grant").description("sign a grant for a hospital to relay (no gas needed)"))
    .requiredOption("--expires <when>", EXPIRES_HELP, expiryArg)
    .requiredOption("--out <file>", "where to write the signed request")
    .option("--at <org>", AT_HELP, orgArg)
    .action(run(async (ctx, o) => {
      const patient = await patientFor(ctx, o.at);
      const signed = await patient.signGrant({ purpose: o.purpose, grantee: o.grantee, expiresAt: await ctx.expiry(o.expires), subject: o.subject });
      writeFileDurably(o.out, JSON.stringify(signed, null, 2));
      ctx.print(signed, `signed grant written to ${o.out}; a member hospital can relay it with: medprov consent relay ${o.out}`);
    }));

  target(consent.command("sign-revoke").description("sign a revocation that anyone may relay; it voids every grant signed before it, relayed before or after (with no grant in force it cancels them)"))
    .requiredOption("--out <file>", "where to write the signed request")
    .option("--at <org>", AT_HELP, orgArg)
    .action(run(async (ctx, o) => {
      const signed = await (await patientFor(ctx, o.at)).signRevoke({ purpose: o.purpose, grantee: o.grantee, subject: o.subject });
      writeFileDurably(o.out, JSON.stringify(signed, null, 2));
      ctx.print(signed, `signed revocation written to ${o.out}; anyone can relay it with: medprov consent relay ${o.out}`);
    }));

  consent.command("relay <file>").description("relay a signed grant (hospital key) or revocation (any key); format: schemas/signed-consent.json")
    .action(run(async (ctx, _o, file: string) => {
      const signed = readChecked(file, "signed-consent").value as SignedGrant | SignedRevoke;
      const h = new Hospital(await ctx.ledger(), await ctx.writer());
      const r = signed.kind === "grant" ? await h.relayGrant(signed) : await h.relayRevoke(signed);
      ctx.print(r, `relayed ${signed.kind} for ${signed.request.subject} (tx ${r.txHash})`);
    }));

  consent.command("list").description("a subject's consent history, oldest first, each line with its block and that block's time (the chain's), in every ledger generation (each line names its own when there are several); --pseudonyms: yours at every hospital, joined")
    .option("--subject <address>", "whose history (default: the key's own)", addressArg)
    .option("--at <org>", "your pseudonym's history at this hospital (the key is your patient secret)", orgArg)
    .option("--pseudonyms", "your history at every hospital, each line with the hospital and pseudonym beside it (the key is your patient secret; only you can join them)")
    .action(run(async (ctx, o) => {
      if ([o.subject, o.at, o.pseudonyms].filter((x) => x !== undefined).length > 1) throw new InputError("BAD_ARGUMENT", "give one of --subject, --at and --pseudonyms");
      // Every generation's history, in manifest order, each over its own blocks (src/cli/generations.ts).
      if (o.pseudonyms) {
        const secret = await ctx.patientSecret();
        const rows = await timedHistory(ctx, (await acrossGenerations(ctx, (g) => joinedConsentHistory(g.ledger, secret, g.from, g.to))).rows);
        ctx.print(rows, rows.length === 0 ? "no consents recorded for any of your pseudonyms" : rows.map(historyLine));
        return;
      }
      const subject = o.subject ?? (o.at !== undefined ? (await pseudonymAt(ctx, o.at)).address : await (await ctx.signer()).getAddress()); // a read: no outbox
      const rows = await timedHistory(ctx, (await acrossGenerations(ctx, (g) => consentHistory(g.ledger, subject, g.from, g.to))).rows);
      ctx.print(rows, rows.length === 0 ? `no consents recorded for ${subject}` : rows.map(historyLine));
    }));

  const delegate = program.command("delegate").description("appoint or remove a guardian who may act for you");
  delegate.command("appoint <address>").description("appoint a guardian (delegate) who may grant and revoke your consents for you (your key pays gas)").action(run(async (ctx, _o, address: string) => {
    const r = await new Patient(await ctx.ledger(), await ctx.writer()).appointDelegate(addressArg(address));
    ctx.print(r, `appointed ${address} (tx ${r.txHash})`);
  }));
  delegate.command("remove <address>").description("remove a guardian: from the block that records it, they can no longer act for you").action(run(async (ctx, _o, address: string) => {
    const r = await new Patient(await ctx.ledger(), await ctx.writer()).removeDelegate(addressArg(address));
    ctx.print(r, `removed ${address} (tx ${r.txHash})`);
  }));
}
