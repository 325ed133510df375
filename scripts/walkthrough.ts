/**
 * The README's five-minute walkthrough against a running `npm start`: sign in as the auditor,
 * verify a receipt and a tampered copy, revoke a patient's MODEL_TRAINING consent and read the
 * revocation-impact report, then the recalled version's impact.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { JsonRpcProvider } from "ethers";
import { SiweMessage } from "siwe";
import { Hospital, Patient, connectLedger, readDeployment } from "../src/sdk";
import { NUMBERS, Purpose } from "../src/constants";
import { demoAccounts, demoPatient } from "../src/demo/seed";

const o = new Command("walkthrough")
  .option("--api <url>", "the running API (or MEDPROV_API)", process.env.MEDPROV_API ?? "http://127.0.0.1:8080")
  .option("--rpc <url>", "the running chain (or MEDPROV_RPC)", process.env.MEDPROV_RPC ?? "http://127.0.0.1:8545")
  .option("--data <dir>", "npm start's data directory (or MEDPROV_DATA)", process.env.MEDPROV_DATA ?? ".medprov")
  .option("--deployment <file>", "deployment manifest", "deployments/localhost.json")
  .parse()
  .opts<{ api: string; rpc: string; data: string; deployment: string }>();

const show = (title: string, value: unknown) => console.log(`\n== ${title}\n${JSON.stringify(value, null, 2)}`);

async function main() {
  const provider = new JsonRpcProvider(o.rpc, undefined, { cacheTimeout: -1, pollingInterval: 50 });
  const accounts = demoAccounts(provider);
  const demo = JSON.parse(readFileSync(join(resolve(o.data), "demo.json"), "utf8"));
  const url = new URL(o.api);

  // 1. Sign in with Ethereum as the auditor.
  const { nonce } = (await (await fetch(`${o.api}/auth/nonce`, { method: "POST" })).json()) as { nonce: string };
  const message = new SiweMessage({ domain: url.host, address: accounts.auditor.address, statement: "Sign in to medprov as the auditor", uri: url.origin, version: "1", chainId: Number((await provider.getNetwork()).chainId), nonce, issuedAt: new Date().toISOString() }).prepareMessage();
  const session = (await (await fetch(`${o.api}/auth/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message, signature: await accounts.auditor.signMessage(message) }) })).json()) as { session: string; address: string };
  console.log(`signed in as the auditor ${session.address}`);
  const headers = { authorization: `Bearer ${session.session}`, "content-type": "application/json" };
  const api = async (path: string, body?: unknown) => (await fetch(`${o.api}${path}`, { method: body ? "POST" : "GET", headers, body: body ? JSON.stringify({ receipts: body }) : undefined })).json();

  // 2. Verify a receipt, and the same receipt with one byte flipped.
  const receipt = JSON.parse(readFileSync(demo.receipts[0], "utf8"));
  const h: string = receipt.record.outputHash;
  const tampered = { ...receipt, record: { ...receipt.record, outputHash: h.slice(0, -1) + (h.endsWith("0") ? "1" : "0") } };
  show(`POST /verify ${demo.receipts[0]} (as anchored, then with one byte flipped)`, await api("/verify", [receipt, tampered]));

  // 3. Patient 1 revokes MODEL_TRAINING (signed; hospital 2 relays it), then the impact report.
  const patient = demoPatient(1, provider);
  const ledger = connectLedger(readDeployment(o.deployment), provider);
  // A second run finds it revoked: revoking again would only record a cancellation.
  if ((await ledger.consents.consent(patient.address, Purpose.MODEL_TRAINING, NUMBERS.ANY_MEMBER)).revokedAt !== 0n) {
    console.log(`\npatient ${patient.address} had already revoked MODEL_TRAINING (walkthrough run before)`);
  } else {
    const signed = await new Patient(ledger, patient).signRevoke({ purpose: Purpose.MODEL_TRAINING, grantee: NUMBERS.ANY_MEMBER });
    await new Hospital(ledger, accounts.hospitals[1]).relayRevoke(signed);
    console.log(`\npatient ${patient.address} revoked MODEL_TRAINING consent`);
    await new Promise((r) => setTimeout(r, 1500)); // the indexer polls every 500 ms
  }
  show(`GET /reports/revocation-impact/${patient.address}`, await api(`/reports/revocation-impact/${patient.address}`));

  // 4. A recalled version's reach.
  show(`GET /reports/recall-impact/${demo.recalledVersion}`, await api(`/reports/recall-impact/${demo.recalledVersion}`));
  provider.destroy();
}

main().catch((e) => {
  // fetch's own words ("fetch failed") name neither the address nor the way to change it.
  const unreachable = (e as Error).message === "fetch failed" || /ECONNREFUSED|failed to detect network/.test(String((e as Error).message));
  console.error(`walkthrough: ${unreachable ? `cannot reach the API at ${o.api} or the chain at ${o.rpc}: is npm start running? Other ports: --api/--rpc or MEDPROV_API/MEDPROV_RPC` : (e as Error).message}`);
  process.exit(1);
});
