/**
 * `medprov`: every role's ledger actions from a terminal. Run `medprov --help`.
 */
import { Command } from "commander";
import { version as CLI_VERSION } from "../../package.json";
import { MedprovError } from "../sdk";
import { makeRun } from "./run";
import { consentCommands } from "./commands/consent";
import { datasetCommands } from "./commands/dataset";
import { modelCommands } from "./commands/model";
import { incidentCommands, indicationCommands } from "./commands/incident";
import { incidentEvidenceCommands } from "./commands/incident-evidence";
import { traceCommands } from "./commands/trace";
import { receiptCommands } from "./commands/receipt";
import { memberCommands, policyCommands } from "./commands/member";
import { keyCommands } from "./commands/key";
import { indexCommands } from "./commands/index-cmd";
import { serveCommands } from "./commands/serve";
import { loginCommands } from "./commands/login";
import { deployCommands } from "./commands/deploy";
import { governanceCommands } from "./commands/governance";
import { patientCommands } from "./commands/patient";

export function buildProgram(): Command {
  const program = new Command("medprov")
    .version(CLI_VERSION, "--version", "the release of medprov this CLI is")
    .description("medprov: a permissioned provenance ledger for medical AI — consent, datasets, models and decision traces")
    .option("--rpc <url>", "JSON-RPC URL of the consortium chain", process.env.MEDPROV_RPC ?? "http://127.0.0.1:8545")
    .option("--deployment <file>", "deployment manifest", process.env.MEDPROV_DEPLOYMENT ?? "deployments/localhost.json")
    .option("--outbox <dir>", "outbox every write goes through (default: MEDPROV_OUTBOX, else .medprov/cli-outbox/<address>)")
    .option("--network <name>", "a named network of the networks file: its RPC URL, chain id, gas price and deployments/<name>.json (instead of --rpc and --deployment)", process.env.MEDPROV_NETWORK)
    .option("--networks <file>", "the networks file (format: schemas/networks.json)", process.env.MEDPROV_NETWORKS ?? "networks.json")
    .option("--keystore <file>", "encrypted JSON keystore of the signing key (password in MEDPROV_KEYSTORE_PASSWORD); else MEDPROV_PRIVATE_KEY")
    .option("--signer <url>", "an external signing service's JSON-RPC URL (Clef, Web3Signer) that signs with eth_signTransaction; the key never leaves it")
    .option("--signer-address <address>", "the account of --signer to sign with (when it holds several)")
    .option("--as <name>", "sign as a demo identity from npm start (hospital-1, auditor, patient-0, …); refused on any chain but the local demo chain 31337")
    .option("--identities <file>", "the demo identities file npm start writes", process.env.MEDPROV_IDENTITIES ?? ".medprov/identities.json")
    .option("--json", "machine-readable output")
    .option("--debug", "show stack traces")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", "\nKeys are never taken as plain arguments: use --keystore or --signer, or MEDPROV_PRIVATE_KEY in the environment (or --as <name> for npm start's demo keys, chain 31337 only); on a --network, only --keystore or --signer.\nExit codes: 0 ok, 1 refused or invalid input, 3 unavailable, try again (chain or API unreachable, a database or outbox in use by another process).");
  const run = makeRun(program);
  for (const register of [consentCommands, datasetCommands, modelCommands, traceCommands, receiptCommands, memberCommands, policyCommands, keyCommands, indexCommands, serveCommands, loginCommands, deployCommands, governanceCommands, patientCommands, incidentCommands, incidentEvidenceCommands, indicationCommands]) register(program, run);
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    // Option parsers throw InputErrors (a bad purpose, id or number) before any action runs.
    if (!(e instanceof MedprovError)) throw e;
    if (argv.includes("--json")) process.stderr.write(JSON.stringify({ error: { code: e.code, message: e.message } }) + "\n");
    else process.stderr.write(`medprov: ${e.message} [${e.code}]\n`);
    process.exitCode = 1;
  }
}
