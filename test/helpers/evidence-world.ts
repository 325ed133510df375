/**
 * Incidents to build evidence packs from (issue 18), in-process: a ledger whose HIGH version is
 * approved (white paper, insurance, passing figures), deployed by hospitals A and B, and whose
 * patient consented to CLINICAL_DECISION_SUPPORT by hospital A; helpers anchor one trace through
 * the hospital's batcher, report an incident against it and record the finding.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG, type Ledger } from "./fixture";
import { deploymentOf } from "./indexing";
import { h, modelWithVersion } from "./builders";
import { clock, traceInput } from "./traces";
import { TraceBatcher, receiptFor, type TraceInput, type TraceReceipt } from "../../src/sdk";
import { recordFinding, reportIncident } from "../../src/sdk/accountability/incidents";
import { Indication, Purpose, Role } from "../../src/constants";

export const ON_INDICATION = Indication.CHEST_RADIOGRAPH_FINDINGS;
export const OFF_INDICATION = Indication.PNEUMONIA_DIAGNOSIS + 1;

export async function evidenceWorld() {
  const l = await ledgerFixture();
  const appraiser = l.spare[0];
  await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("admitMember", ["Medical Appraisal Board", Role.APPRAISER, [appraiser.address]]) });
  const v = await modelWithVersion(l, { approve: true, deploy: true });
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_A, (await time.latest()) + 10 ** 7)).wait();
  return { l, appraiser, ...v };
}

/** `l`'s manifest as `medprov deploy` writes it, naming its IncidentRegistry. */
export async function evidenceDeployment(l: Ledger) {
  const base = await deploymentOf(l);
  return { ...base, addresses: { ...base.addresses, incidents: await l.incidents.getAddress() } };
}

/** A compliant format-2 decision of the consented patient at chain time `at` (default now), with overrides. */
export async function decision(l: Ledger, versionId: string, o: Partial<TraceInput> = {}, at?: number): Promise<TraceInput> {
  const now = at ?? (await time.latest());
  return traceInput(versionId, { subject: l.patient.address, time: now, confidenceBps: 9600, action: "ACCEPTED", indication: ON_INDICATION, riskWarning: false, ...o });
}

/** Hospital A anchors `input` alone (a fresh vault); its receipt. */
export async function anchorOne(l: Ledger, input: TraceInput): Promise<TraceReceipt> {
  clock.now = () => input.time + 1;
  const batcher = await TraceBatcher.open({ vaultPath: join(mkdtempSync(join(tmpdir(), "medprov-evidence-")), "vault"), ledger: l, signer: l.hospitalA });
  await batcher.append(input);
  await batcher.flush();
  const deployment = { ...(await deploymentOf(l)), addresses: { ...(await deploymentOf(l)).addresses, incidents: await l.incidents.getAddress() } };
  const receipts: TraceReceipt[] = [];
  for await (const x of batcher.storage.anchored()) receipts.push(receiptFor(x, deployment));
  await batcher.close();
  if (receipts.length !== 1) throw new Error(`expected one anchored trace, got ${receipts.length}`);
  return receipts[0];
}

/** Hospital A reports an incident against the receipt's trace (harm at the decision's time) and, if given, its finding. */
export async function incidentOf(l: Ledger, receipt: TraceReceipt, finding?: "CORRECT" | "INCORRECT" | "INDETERMINATE"): Promise<number> {
  const { incidentId } = await reportIncident(l, l.hospitalA, receipt, { severity: "SEVERE", category: "MISDIAGNOSIS", occurredAt: Number(receipt.record.time), narrativeHash: h("narrative") });
  if (finding) await recordFinding(l, l.hospitalA, incidentId, finding, h("follow-up"));
  return incidentId;
}
