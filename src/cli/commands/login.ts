import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { SiweMessage } from "siwe";
import { Wallet } from "ethers";
import { InputError, MedprovError } from "../../sdk";
import { orgArg, urlArg } from "../parse";
import { pseudonymAt } from "./consent";
import type { Run } from "../run";

/** One JSON call to the API: its answer, or a named error (an unreachable API may be retried: exit 3). */
async function callApi<T>(api: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, api), { method: "POST", headers: body ? { "content-type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  } catch (e) {
    throw new MedprovError("API_UNREACHABLE", `cannot reach the API at ${api} (${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}); is it running?`, true);
  }
  const text = await res.text();
  let answer: { error?: { code?: string; message?: string } } & T;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new InputError("NOT_AN_API", `${api}${path} answered ${res.status} with no JSON: is ${api} a medprov API?`);
  }
  if (!res.ok) throw new InputError("SIGN_IN_REFUSED", `${api} refused the sign-in: ${answer.error?.message ?? `status ${res.status}`} [${answer.error?.code ?? res.status}]`);
  return answer;
}

export function loginCommands(program: Command, run: Run) {
  program
    .command("login")
    .description("sign in to a medprov API with Ethereum (EIP-4361) using the chosen key; prints the bearer token for curl (Authorization: Bearer …)")
    .option("--api <url>", "the API to sign in to", urlArg, process.env.MEDPROV_API ?? "http://127.0.0.1:8080")
    .option("--out <file>", "write the token to this file (readable by you only) instead of printing it")
    .option("--at <org>", "as a patient, sign in as your pseudonym at this hospital (the key is your patient secret; docs/pseudonyms.md): the API then answers for that pseudonym", orgArg)
    .action(run(async (ctx, o) => {
      // A patient's reports at one hospital are its pseudonym's: the API lets a subject read only its own.
      const key = o.at === undefined ? await ctx.signer() : new Wallet((await pseudonymAt(ctx, o.at)).privateKey);
      const api = new URL(o.api);
      // The API checks the message names its host, its origin and its chain (the one --rpc serves).
      const chainId = await ctx.chainId();
      const { nonce } = await callApi<{ nonce: string }>(api.origin, "/auth/nonce");
      const message = new SiweMessage({ domain: api.host, address: key.address, statement: "Sign in to medprov from the command line", uri: api.origin, version: "1", chainId, nonce, issuedAt: new Date().toISOString() }).prepareMessage();
      const session = await callApi<{ session: string; address: string; expiresAt: string }>(api.origin, "/auth/verify", { message, signature: await key.signMessage(message) });
      const signedIn = `signed in to ${api.origin} as ${session.address} until ${session.expiresAt}`;
      if (o.out) {
        writeFileSync(o.out, session.session + "\n", { mode: 0o600 });
        ctx.print({ ...session, session: undefined, out: o.out }, `${signedIn}; bearer token written to ${o.out}`);
      } else if (ctx.options.json) ctx.print(session, "");
      else {
        // Only the token on stdout, so TOKEN=$(medprov login) works; who and until when on stderr.
        process.stderr.write(`medprov: ${signedIn}\n`);
        process.stdout.write(session.session + "\n");
      }
    }));
}
