/**
 * Shared pieces of the ledger-generation tests (docs/consortium.md, "Ledger generations"): generation
 * 1's manifest as `medprov deploy` writes it, the fixture's members re-admitted in a successor, and a
 * hospital anchoring traces. In-process Hardhat.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { GOVERNANCE_DELAY, ORG, ledgerFixture, type Ledger } from "./fixture";
import { modelWithVersion } from "./builders";
import { hashOf } from "./incidents";
import { clock, traceInput } from "./traces";
import { Appraiser, Hospital, TraceBatcher, receiptFor, type Deployment, type FoundingMember, type TraceReceipt } from "../../src/sdk";
import { Purpose, Role } from "../../src/constants";

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

const facts = async (what: string) => ({ severity: "SEVERE", category: "MISDIAGNOSIS", occurredAt: await time.latest(), narrativeHash: hashOf(what) });

/** Generation 1 (the fixture, with an appraiser admitted as organisation 8): an incident on hospital A's trace, found INCORRECT and determined by an appraiser. */
export async function incidentInGenerationOne() {
  const l = await loadFixture(ledgerFixture);
  const appraiser = l.spare[0];
  await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("admitMember", ["Appraisal Board", Role.APPRAISER, [appraiser.address]]) });
  const gen1 = await firstGeneration(l);
  await consentToHospitalA(l);
  const [r1] = await anchorInGeneration(l, gen1, (await modelWithVersion(l, { approve: true, deploy: true })).versionId, 1);
  const first = await new Hospital(l, l.hospitalA).reportIncident(r1, await facts("generation 1"));
  await new Hospital(l, l.hospitalA).recordFinding(first.incidentId, "INCORRECT", hashOf("follow-up"));
  await new Appraiser(l, appraiser).determine(first.incidentId, { developer: 3000, hospital: 1000, clinician: 6000 }, hashOf("ruling"));
  return { l, gen1, r1, first: first.incidentId };
}

/** Hospital A reports an incident on a trace of its own in generation `l2` (a successor); its id and receipt. */
export async function incidentInSuccessor(l2: Ledger, deployment: Pick<Deployment, "chainId" | "addresses">): Promise<{ id: number; receipt: TraceReceipt }> {
  await time.increase(60);
  await consentToHospitalA(l2);
  const [receipt] = await anchorInGeneration(l2, deployment, (await modelWithVersion(l2, { approve: true, deploy: true })).versionId, 1);
  return { id: (await new Hospital(l2, l2.hospitalA).reportIncident(receipt, await facts("generation 2"))).incidentId, receipt };
}
