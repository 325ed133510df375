/**
 * The demo's accounts as a file a person can use: who each key is (role, organisation), its
 * address and its private key. These are public test keys (the well-known test mnemonic and keys
 * derived from public strings), so the file says so and `medprov --as <name>` uses them only on the
 * local demo chain (31337): on any other chain a demo key is refused before anything is signed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError, writeFileDurably } from "../sdk";
import { demoMembers, demoPatient, type DemoAccounts } from "./seed";
import { demoMrn, demoPatientHospitals, demoPatientSecret, demoPseudonym } from "./patients";
import type { DemoIdentity } from "./identity";

/** The only chain id demo keys are used on: the embedded (and any local) development chain. */
export const DEMO_CHAIN_ID = 31337;
export const IDENTITIES_FILE = "identities.json";
export const DEMO_WARNING = `DEMO ONLY: public test keys that anyone can read; medprov --as uses them on the local demo chain ${DEMO_CHAIN_ID} only. Never fund or use them anywhere else.`;

export type { DemoIdentity };

export interface DemoIdentities {
  warning: string;
  chainId: typeof DEMO_CHAIN_ID;
  identities: DemoIdentity[];
}

/** Every demo account with its role and organisation; `patients` demo patients (0-based, as in patients.csv). Pure. */
export function demoIdentities(accounts: DemoAccounts, patients: number): DemoIdentities {
  const members = demoMembers(accounts);
  const wallets = [...accounts.hospitals, ...accounts.developers, accounts.regulator, accounts.auditor, accounts.appraiser];
  const names = [...accounts.hospitals.map((_, i) => `hospital-${i + 1}`), ...accounts.developers.map((_, i) => `developer-${i + 1}`), "regulator", "auditor", "appraiser"];
  const orgs: DemoIdentity[] = wallets.map((w, i) => ({ name: names[i], role: members[i].role, organisation: { id: i + 1, name: members[i].name }, address: w.address, privateKey: w.privateKey }));
  const person = (name: string, role: string, key: { address: string; privateKey: string }, mrn?: string): DemoIdentity => ({ name, role, organisation: null, address: key.address, privateKey: key.privateKey, ...(mrn ? { mrn } : {}) });
  const patient = (i: number): DemoIdentity => {
    const at = demoPatientHospitals(i);
    const pseudonyms = at.map((h) => ({ hospital: { id: h + 1, name: members[h].name }, address: demoPseudonym(i, h).address, mrn: demoMrn(i, h) }));
    return { ...person(`patient-${i}`, "PATIENT", demoPatient(i), demoMrn(i, at[0])), secret: demoPatientSecret(i), pseudonyms };
  };
  return {
    warning: DEMO_WARNING,
    chainId: DEMO_CHAIN_ID,
    identities: [
      person("governance", "GOVERNANCE", accounts.governance),
      ...orgs,
      person("guardian", "GUARDIAN", accounts.guardian),
      ...Array.from({ length: patients }, (_, i) => patient(i)),
    ],
  };
}

/** Writes the identities into the data directory (atomically and durably); returns the path. */
export function writeDemoIdentities(dataDir: string, identities: DemoIdentities): string {
  const path = join(dataDir, IDENTITIES_FILE);
  writeFileDurably(path, JSON.stringify(identities, null, 2) + "\n");
  return path;
}

/** Reads an identities file; a missing or foreign file is refused by name. */
export function readDemoIdentities(path: string): DemoIdentities {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InputError("IDENTITIES_NOT_FOUND", `no demo identities at ${path}: npm start writes them into its data directory (pass --identities <file> or MEDPROV_IDENTITIES)`);
  }
  let parsed: DemoIdentities;
  try {
    parsed = JSON.parse(text) as DemoIdentities;
  } catch {
    throw new InputError("IDENTITIES_INVALID", `${path} is not valid JSON`);
  }
  if (parsed?.chainId !== DEMO_CHAIN_ID || !Array.isArray(parsed.identities)) throw new InputError("IDENTITIES_INVALID", `${path} is not a medprov demo identities file`);
  return parsed;
}

/**
 * The identity named `name`, for use on chain `chainId`. Refused on any chain but the demo's: the
 * keys are public, and a real chain must never see them sign.
 */
export function pickIdentity(file: DemoIdentities, name: string, chainId: number): DemoIdentity {
  if (chainId !== DEMO_CHAIN_ID) throw new InputError("DEMO_KEY_WRONG_CHAIN", `--as ${name} uses a public demo key, allowed on the local demo chain ${DEMO_CHAIN_ID} only; this chain is ${chainId}`);
  const found = file.identities.find((i) => i.name === name);
  if (!found) {
    const kinds = [...new Set(file.identities.map((i) => i.name.replace(/-\d+$/, "-N")))];
    throw new InputError("UNKNOWN_IDENTITY", `no demo identity "${name}" (one of: ${kinds.join(", ")})`);
  }
  return found;
}
