/**
 * Shared pieces of the ledger-generation tests (docs/consortium.md, "Ledger generations"): generation
 * 1's manifest as `medprov deploy` writes it, the fixture's members re-admitted in a successor, and a
 * hospital anchoring traces. In-process Hardhat.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { GOVERNANCE_DELAY, ORG, type Ledger } from "./fixture";
import { clock, traceInput } from "./traces";
import { TraceBatcher, receiptFor, type Deployment, type FoundingMember, type TraceReceipt } from "../../src/sdk";
import { Purpose } from "../../src/constants";

/** Generation 1's manifest, as `medprov deploy` writes it (with every contract, governance and delay). */
export async function firstGeneration(l: Ledger): Promise<Deployment> {
  const names = ["manager", "consortium", "consents", "datasets", "models", "traces", "incidents"] as const;
  const addresses = Object.fromEntries(await Promise.all(names.map(async (k) => [k, await l[k].getAddress()]))) as Deployment["addresses"];
  return { chainId: 31337, deploymentBlock: 0, governance: l.governance.address, governanceDelay: GOVERNANCE_DELAY, addresses, versions: {} };
}

/** The fixture's members, re-admitted in a successor in member-id order (active keys only), so ids keep meaning the same organisation. */
export const fixtureMembers = (l: Ledger): FoundingMember[] => [
  { name: "Hospital A", role: "HOSPITAL", keys: [l.hospitalA.address] },
  { name: "Hospital B", role: "HOSPITAL", keys: [l.hospitalB.address] },
  { name: "Model Developer", role: "MODEL_DEVELOPER", keys: [l.developer.address] },
  { name: "Regulator", role: "REGULATOR", keys: [l.regulator.address] },
  { name: "Auditor", role: "AUDITOR", keys: [l.auditor.address] },
  { name: "Hospital Suspended", role: "HOSPITAL", keys: [l.suspendedHospital.address] },
  { name: "Developer B", role: "MODEL_DEVELOPER", keys: [l.developerB.address] },
];

/** The patient consents to Hospital A's clinical decision support in `l`'s generation. */
export const consentToHospitalA = async (l: Pick<Ledger, "consents" | "patient">) =>
  (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_A, (await time.latest()) + 10 ** 6)).wait();

/** Hospital A anchors `n` traces (the patient's) in `l`'s generation with a new vault; their receipts. */
export async function anchorInGeneration(l: Ledger, deployment: Pick<Deployment, "chainId" | "addresses">, versionId: string, n = 2): Promise<TraceReceipt[]> {
  const now = await time.latest();
  clock.now = () => now;
  const batcher = await TraceBatcher.open({ vaultPath: join(mkdtempSync(join(tmpdir(), "medprov-gen-")), "vault"), ledger: l, signer: l.hospitalA });
  try {
    await batcher.append(...Array.from({ length: n }, () => traceInput(versionId, { subject: l.patient.address, time: now })));
    await batcher.flush();
    const out: TraceReceipt[] = [];
    for await (const a of batcher.storage.anchored()) out.push(receiptFor(a, deployment));
    return out;
  } finally {
    await batcher.close();
  }
}
