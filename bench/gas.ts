/**
 * Gas of every ledger write, measured on the in-process Hardhat network (EDR, cancun).
 * Run: npm run bench:gas. Prints a markdown table and writes bench/out/bench-gas.md (docs/ with --write-docs).
 */
import hre from "hardhat";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import os from "node:os";
import { encodeBytes32String } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture, ORG } from "../test/helpers/fixture";
import { batch, h, modelWithVersion, registration, versionInput, INDICATIONS } from "../test/helpers/builders";
import { readDomain, signGrant, signRevoke } from "../src/sdk/consent-signing";
import { Purpose, RiskClass, Role, DEFAULT_POLICIES } from "../src/constants";
import { reportDir } from "./report-dir";
import { TraceTree, traceLeafHash } from "../src/sdk/traces/merkle";
import { traceLeafValues } from "../src/sdk/ids";

/** A well-formed trace record of hospital A (hashes made up) at sequence `seq` and time `time`. */
const benchRecord = (modelVersion: string, seq: bigint, time: bigint) => ({
  traceId: h("trace"), hospital: ORG.HOSPITAL_A, seq, modelVersion, subject: "0x" + "5a".repeat(20), inputHash: h("in"), outputHash: h("out"),
  confidenceBps: 9600, tier: 1, action: 1, clinicianHash: h("clin"), finalDecisionHash: h("final"), time, salt: h("salt"),
});

type Tx = Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>;
const rows: { write: string; gas: bigint; target?: number }[] = [];
async function measure(write: string, tx: Tx, target?: number) {
  const receipt = await (await tx).wait();
  rows.push({ write, gas: receipt!.gasUsed, target });
}

/** Why the anchoring and relayed-revocation figures sit where they do (see the table for the numbers). */
const WHY = `Where anchoring's gas goes: 21,000 base; 22,100 to store the new root (a new slot, unavoidable for
an on-chain \`verifyTrace\`); 5,000 to advance the hospital's contiguous sequence; about 7,000 for
the membership check (a cold call to \`Consortium\`: key and organisation slots) and 5,000 per
referenced model version (a cold call to \`ModelRegistry\` for its status); the rest is calldata and
the event. The floor with these guarantees (member active, versions APPROVED, no sequence gap) is
about 61,000 before calldata and the event, so the 60,000 target would need one of them dropped.
Merging Consortium, ModelRegistry and TraceAnchor into one contract (about 20.8 KB of code, under
the 24 KiB limit) would save only the two cold account accesses (about 6,000 gas with call overhead)
and still land near 66,000, at the cost of one large contract; we kept them apart. A hospital's
first batch also pays for creating its sequence slot. Batch size never changes the cost.

What issue 20's batch rules cost (TraceAnchor 3.0.0, about +53,500 a batch with one version and
about +25,000 for each further version; at 1,000 traces a batch, about 53 gas a trace):
- the stored batch header, so \`verifyTraceRecord\` can check a record against its batch on-chain:
  one more new slot (22,100) holding hospital, firstSeq, count and the window packed together;
- each declared version's count, stored per (batch, version) so the record check knows which
  versions the batch declared (and a reader can ask how many traces used one): 22,100 per version;
- the deployed-version rule: one more cold read in ModelRegistry per version (\`isDeployed\`, about 2,600);
- windows that never run backwards cost no extra write: the end of the hospital's last window shares
  the slot of its next sequence number. Binding the count into the root is one keccak (about 100).
The record check itself is a view: about 47,000 through eth_estimateGas (21,000 of it the base) for a
record of a 1,024-trace batch. Storing only a hash of the header (one slot, as the root alone was)
and having callers pass the header from the BatchAnchored event would bring anchoring back to about
today's figure, at the price of a clumsier \`verifyTraceRecord\` that on-chain callers must feed.

What issue 18's accountability costs (ModelRegistry 2.0.0, measured 2026-11-30): registering a
version now files its evidence (the safety white paper's hash and the liability insurance: insurer,
policy hash and period), new slots and an event, +96,090 (201,322 → 297,412); approving it stores
the approved indications (a new slot) and checks the filing against the risk class's policy,
+31,708 (109,883 → 141,591); reinstating re-reads the filing requirements, +6,851. Anchoring and
consent writes did not change. These are one-off writes per version, not per trace. The three
catalogues (purposes, indications, incident categories) share one library since: an add costs
159 gas more (52 for a category), a deployment of each registry about 25,000–35,000 more.

The 35,000 revocation target is met by a direct revocation; a relayed one adds signature
recovery, the EIP-712 digest and the signature's calldata.`;

async function main() {
  const l = await ledgerFixture();
  const far = BigInt(await time.latest()) + 365n * 86400n;
  const domain = await readDomain(l.consents);
  const c = l.consortium;

  // Governance (gas of the AccessManager.execute that carries the call).
  const exec = async (label: string, data: string, target: { getAddress(): Promise<string> } = c) => {
    await (await l.manager.connect(l.governance).schedule(await target.getAddress(), data, 0)).wait();
    await time.increase(Number(await l.manager.getTargetAdminDelay(await target.getAddress())) + 3600);
    await measure(label, l.manager.connect(l.governance).execute(await target.getAddress(), data));
  };
  await exec("Consortium.admitMember (1 key, via AccessManager.execute)", c.interface.encodeFunctionData("admitMember", ["Hospital D", Role.HOSPITAL, [l.spare[0].address]]));
  await exec("Consortium.addKey (via execute)", c.interface.encodeFunctionData("addKey", [ORG.HOSPITAL_B, l.spare[1].address]));
  await measure("Consortium.suspendMember (regulator fast path)", c.connect(l.regulator).suspendMember(8));
  await measure("Consortium.revokeKey (own organisation)", c.connect(l.hospitalB).revokeKey(l.spare[1].address));

  // Consent.
  await exec("ConsentRegistry.addPurpose (canonical name, via execute)", l.consents.interface.encodeFunctionData("addPurpose", ["PUBLIC_HEALTH_SURVEILLANCE"]), l.consents);
  await measure("ConsentRegistry.grantConsent (direct, new slot)", l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.RESEARCH, ORG.HOSPITAL_A, far), 60_000);
  await measure("ConsentRegistry.grantConsent (direct, renewal)", l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.RESEARCH, ORG.HOSPITAL_A, far + 1n));
  await measure("ConsentRegistry.revokeConsent (direct)", l.consents.connect(l.patient).revokeConsent(l.patient.address, Purpose.RESEARCH, ORG.HOSPITAL_A), 35_000);
  // Signed requests are dated by the head block (signedAt); a second passes between decisions.
  const signedNow = async () => {
    await time.increase(1);
    return BigInt(await time.latest());
  };
  const slot = { subject: l.patient2.address, signer: l.patient2.address, purpose: Purpose.MODEL_TRAINING, grantee: ORG.HOSPITAL_A };
  const g = { ...slot, expiresAt: far, signedAt: await signedNow(), deadline: far };
  await measure("ConsentRegistry.grantConsentBySig (relayed, new slot)", l.consents.connect(l.hospitalA).grantConsentBySig(g, await signGrant(l.patient2, domain, g)), 95_000);
  const renewal = { ...g, expiresAt: far + 1n, signedAt: await signedNow() };
  await measure("ConsentRegistry.grantConsentBySig (relayed, renewal)", l.consents.connect(l.hospitalA).grantConsentBySig(renewal, await signGrant(l.patient2, domain, renewal)));
  const r = { ...slot, signedAt: await signedNow(), deadline: far };
  await measure("ConsentRegistry.revokeConsentBySig (relayed by a non-member)", l.consents.connect(l.outsider).revokeConsentBySig(r, await signRevoke(l.patient2, domain, r)), 35_000);
  const cancel = { ...slot, grantee: ORG.HOSPITAL_B, signedAt: await signedNow(), deadline: far };
  await measure("ConsentRegistry.revokeConsentBySig (cancellation, slot never granted)", l.consents.connect(l.outsider).revokeConsentBySig(cancel, await signRevoke(l.patient2, domain, cancel)));
  await measure("ConsentRegistry.appointDelegate", l.consents.connect(l.patient).appointDelegate(l.guardian.address));
  await measure("ConsentRegistry.removeDelegate", l.consents.connect(l.patient).removeDelegate(l.guardian.address));

  // Datasets.
  const parent = registration();
  const parentId = await l.datasets.connect(l.hospitalA).registerDataset.staticCall(parent);
  await measure("DatasetRegistry.registerDataset (no parents)", l.datasets.connect(l.hospitalA).registerDataset(parent));
  const child = registration({ parents: [parentId] });
  const childId = await l.datasets.connect(l.hospitalA).registerDataset.staticCall(child);
  await measure("DatasetRegistry.registerDataset (1 parent)", l.datasets.connect(l.hospitalA).registerDataset(child));
  await measure("DatasetRegistry.recordUse", l.datasets.connect(l.developer).recordUse(parentId, Purpose.MODEL_TRAINING));
  // The lineage rule walks ancestors (docs/lineage.md): one, and the most a dataset may have.
  await measure("DatasetRegistry.recordUse (1 ancestor walked)", l.datasets.connect(l.developer).recordUse(childId, Purpose.MODEL_TRAINING));
  const wide = registration({ parents: Array(63).fill(parentId) });
  const wideId = await l.datasets.connect(l.hospitalA).registerDataset.staticCall(wide);
  await measure("DatasetRegistry.registerDataset (63 parents: lineage 64, the most allowed)", l.datasets.connect(l.hospitalA).registerDataset(wide));
  await measure("DatasetRegistry.recordUse (63 ancestors walked)", l.datasets.connect(l.developer).recordUse(wideId, Purpose.MODEL_TRAINING));
  await measure("DatasetRegistry.setSuspended", l.datasets.connect(l.regulator).setSuspended(childId, true));
  await measure("DatasetRegistry.retireDataset", l.datasets.connect(l.hospitalA).retireDataset(childId));
  await measure("DatasetRegistry.destroyDataset", l.datasets.connect(l.hospitalA).destroyDataset(childId, h()));

  // Models.
  await measure("ModelRegistry.registerModel", l.models.connect(l.developer).registerModel("ecg-arrhythmia", "diagnosis", RiskClass.HIGH));
  const modelId = await l.models.modelIdOf(ORG.DEVELOPER, "ecg-arrhythmia");
  const vIn = versionInput([parentId]);
  const vid = await l.models.connect(l.developer).registerVersion.staticCall(modelId, vIn);
  await measure("ModelRegistry.registerVersion (1 training dataset)", l.models.connect(l.developer).registerVersion(modelId, vIn));
  await measure("ModelRegistry.approveVersion", l.models.connect(l.regulator).approveVersion(vid, "NMPA-2026-0001", RiskClass.HIGH, INDICATIONS));
  await measure("ModelRegistry.suspendVersion", l.models.connect(l.regulator).suspendVersion(vid, h()));
  await measure("ModelRegistry.reinstateVersion", l.models.connect(l.regulator).reinstateVersion(vid, h()));
  const wideIn = versionInput([wideId]);
  const wideVid = await l.models.connect(l.developer).registerVersion.staticCall(modelId, wideIn);
  await measure("ModelRegistry.registerVersion (1 training dataset with 63 ancestors)", l.models.connect(l.developer).registerVersion(modelId, wideIn));
  await measure("ModelRegistry.approveVersion (1 training dataset with 63 ancestors)", l.models.connect(l.regulator).approveVersion(wideVid, "NMPA-2026-0002", RiskClass.HIGH, INDICATIONS));
  await measure("ModelRegistry.recordDeployment", l.models.connect(l.hospitalA).recordDeployment(vid));
  const now = BigInt(await time.latest());
  const subgroups = ["sex:FEMALE", "sex:MALE", "region:WEST"].map((s, i) => ({ subgroup: encodeBytes32String(s), auc: 9000 + i * 300, cases: 200 }));
  await measure("ModelRegistry.fileReport (3 subgroups, raises FairnessAlert)", l.models.connect(l.hospitalA).fileReport(vid, { periodStart: now - 86400n, periodEnd: now, cases: 600, auc: 9100, subgroups, reportHash: h() }));
  await measure("ModelRegistry.fileReport (no subgroups, AUC 0.50: raises PerformanceAlert)", l.models.connect(l.hospitalA).fileReport(vid, { periodStart: now - 2n * 86400n, periodEnd: now, cases: 600, auc: 5000, subgroups: [], reportHash: h() }));
  await (await l.govern({ target: l.models, data: l.models.interface.encodeFunctionData("setPolicy", [RiskClass.HIGH, DEFAULT_POLICIES.HIGH]) }));

  // Traces: the root is the same 32 bytes whatever the batch size.
  for (const count of [1, 1_000, 100_000]) {
    const seq = await l.traces.nextSequence(ORG.HOSPITAL_A);
    const first = seq === 0n ? ", hospital's first batch" : "";
    await measure(`TraceAnchor.anchorBatch (${count.toLocaleString("en")} traces, 1 version${first})`, l.traces.connect(l.hospitalA).anchorBatch(await batch(seq, [vid], { count })), 60_000);
  }
  const others = await Promise.all([0, 1, 2].map(async () => (await modelWithVersion(l, { approve: true, deploy: true })).versionId));
  await measure("TraceAnchor.anchorBatch (1,000 traces, 4 versions)", l.traces.connect(l.hospitalA).anchorBatch(await batch(await l.traces.nextSequence(ORG.HOSPITAL_A), [vid, ...others], { count: 1000 })));
  // The on-chain record check, on a real 1,024-record batch: a view, so its cost is what eth_estimateGas charges a caller.
  const stamp = BigInt(await time.latest());
  const first = await l.traces.nextSequence(ORG.HOSPITAL_A);
  const records = Array.from({ length: 1024 }, (_, i) => ({ ...benchRecord(vid, first + BigInt(i), stamp) }));
  const tree = TraceTree.of(records.map((x) => traceLeafHash(traceLeafValues(x))));
  await (await l.traces.connect(l.hospitalA).anchorBatch(await batch(first, [vid], { treeRoot: tree.treeRoot, count: records.length, fromTime: stamp, toTime: stamp }))).wait();
  const id = await l.traces.batchIdOf(ORG.HOSPITAL_A, first);
  rows.push({ write: "TraceAnchor.verifyTraceRecord (view via eth_estimateGas, 1,024-trace batch, 10-hash proof)", gas: await l.traces.verifyTraceRecord.estimateGas(id, records[700], tree.getProof(700)) });
  await measure("ModelRegistry.recallVersion", l.models.connect(l.regulator).recallVersion(vid, h()));
  await measure("ModelRegistry.retireVersion", l.models.connect(l.developer).retireVersion(others[0], h()));

  const baseline = JSON.parse(readFileSync(join(__dirname, "gas-baseline.json"), "utf8")) as { measured: string; gas: Record<string, number> };
  const before = (write: string) => baseline.gas[write];
  const change = (write: string, gas: bigint) => {
    const b = before(write);
    if (b === undefined) return "new";
    const d = Number(gas) - b;
    return d === 0 ? "=" : `${d > 0 ? "+" : "−"}${Math.abs(d).toLocaleString("en")}`;
  };
  const table = [
    `| write | gas | before (${baseline.measured}) | change | target | within |`,
    "| --- | ---: | ---: | ---: | ---: | :---: |",
    ...rows.map((x) => `| ${x.write} | ${x.gas.toLocaleString("en")} | ${before(x.write)?.toLocaleString("en") ?? ""} | ${change(x.write, x.gas)} | ${x.target ? "≤ " + x.target.toLocaleString("en") : ""} | ${x.target ? (x.gas <= BigInt(x.target) ? "yes" : "**no**") : ""} |`),
  ].join("\n");
  const header = `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length}× ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, Hardhat ${hre.version} (EDR, ${hre.config.networks.hardhat.hardfork}), solc ${hre.config.solidity.compilers[0].version} optimizer runs ${hre.config.solidity.compilers[0].settings.optimizer.runs}. Gas is deterministic: it does not depend on the machine.`;
  console.log(header + "\n\n" + table);
  const misses = rows.filter((x) => x.target && x.gas > BigInt(x.target)).map((x) => `- ${x.write}: ${x.gas.toLocaleString("en")} > ${x.target!.toLocaleString("en")}`);
  const notes = misses.length === 0 ? "Every write with a target is within it." : `Targets missed:\n\n${misses.join("\n")}\n\n${WHY}`;
  writeFileSync(join(reportDir(), "bench-gas.md"), `# Gas per write\n\nRegenerate with \`npm run bench:gas\`.\n\n${header}\n\n${table}\n\n${notes}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
