/**
 * Evidence packs verified from the document alone (issue 18): the standalone verifier of
 * docs/evidence.md (test/helpers/evidence-verifier.ts: ethers and @openzeppelin/merkle-tree, no
 * medprov import) and the SDK's verifyEvidencePack accept a pack as assembled and name what is
 * wrong with a tampered one — a fact flipped, a log's data or stated arguments altered, the record
 * changed, the proposal or determination rewritten, a log from another contract; with an RPC, a log
 * that is not where the pack says, and (SDK) a pack that leaves out a log the chain holds.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ZeroHash } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { h } from "../helpers/builders";
import { anchorOne, decision, evidenceWorld, incidentOf, evidenceDeployment } from "../helpers/evidence-world";
import { verifyPack, type Manifest } from "../helpers/evidence-verifier";
import { buildEvidencePack, partiesOf, verifyEvidencePack, type EvidencePack } from "../../src/sdk";
import { proposalOf } from "../../src/sdk/accountability/evidence/build";
import { evidenceBundle } from "../../src/fhir";
import { fhirProblems } from "../helpers/fhir-validate";
import Ajv from "ajv";
import { evidencePackSchema } from "../../src/formats/evidence-pack";

async function packWorld() {
  const w = await evidenceWorld();
  const receipt = await anchorOne(w.l, await decision(w.l, w.versionId));
  const id = await incidentOf(w.l, receipt, "INCORRECT");
  await (await w.l.incidents.connect(w.appraiser).recordDetermination(id, { developer: 3000, hospital: 1000, clinician: 6000 }, h("ruling"))).wait();
  const pack = await buildEvidencePack(w.l, id, receipt);
  const deployment = await evidenceDeployment(w.l);
  const manifest: Manifest = { chainId: deployment.chainId, addresses: deployment.addresses };
  return { ...w, pack: JSON.parse(JSON.stringify(pack)) as EvidencePack, manifest, deployment };
}

const copy = (p: EvidencePack): EvidencePack => JSON.parse(JSON.stringify(p));
const codes = (reasons: string[]) => [...new Set(reasons.map((r) => r.split(":")[0]))].sort();
const eventIndex = (p: EvidencePack, name: string) => p.events.findIndex((e) => e.event === name);

describe("evidence pack, offline verification", () => {
  it("the standalone verifier imports only ethers and @openzeppelin/merkle-tree, and docs/evidence.md prints it verbatim", () => {
    const source = readFileSync(join(__dirname, "..", "helpers", "evidence-verifier.ts"), "utf8");
    const imports = [...source.matchAll(/from "([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(imports)).toEqual(new Set(["@openzeppelin/merkle-tree", "ethers"]));
    const doc = readFileSync(join(__dirname, "..", "..", "docs", "evidence.md"), "utf8");
    const block = /<!-- standalone verifier: test\/helpers\/evidence-verifier\.ts -->\n```ts\n([\s\S]*?)^```$/m.exec(doc);
    expect(block?.[1]).toBe(source);
  });

  it("a pack as assembled verifies from the document alone and against the chain, with both verifiers", async () => {
    const { pack, manifest, deployment } = await loadFixture(packWorld);
    expect(await verifyPack(pack, manifest)).toEqual({ valid: true, reasons: [] });
    expect(await verifyPack(pack, manifest, hre.ethers.provider)).toEqual({ valid: true, reasons: [] });
    expect(await verifyEvidencePack(pack)).toMatchObject({ valid: true, reasons: [], skipped: ["EVENT_NOT_ON_CHAIN", "NOT_THE_LATEST_FACTS"] });
    expect(await verifyEvidencePack(pack, { provider: hre.ethers.provider, deployment })).toEqual({ valid: true, reasons: [], skipped: [] });
  });

  it("names a tampered pack by reason, the same with both verifiers", async () => {
    const { pack, manifest } = await loadFixture(packWorld);
    const cases: [string, (p: EvidencePack) => void, string[]][] = [
      ["a fact flipped", (p) => void (p.facts[5].met = false), ["FACT_MISMATCH"]],
      ["a duty flipped", (p) => void (p.parties.HOSPITAL.allMet = false), ["DUTY_MISMATCH"]],
      ["a log's stated arguments altered", (p) => void ((p.events[eventIndex(p, "FilingEvidenceFiled")].args.filing as { whitePaperHash: string }).whitePaperHash = ZeroHash), ["EVENT_ARGS_MISMATCH"]],
      ["a log's data altered", (p) => void (p.events[eventIndex(p, "FilingEvidenceFiled")].data = p.events[eventIndex(p, "FilingEvidenceFiled")].data.replace(/.$/, "f")), ["EVENT_ARGS_MISMATCH"]],
      ["a log's name changed", (p) => void (p.events[eventIndex(p, "DeploymentRecorded")].event = "VersionApproved"), ["EVENT_ARGS_MISMATCH"]],
      // A record that is not the anchored one fails RECORD_ANCHORED, so the hospital's duty and the proposal no longer follow either.
      ["the record changed", (p) => void (p.receipt.record.confidenceBps = 9700), ["DUTY_MISMATCH", "FACT_MISMATCH", "PROPOSAL_MISMATCH"]],
      ["the Merkle proof altered", (p) => void (p.receipt.proof = [h("sibling")]), ["DUTY_MISMATCH", "FACT_MISMATCH", "PROPOSAL_MISMATCH"]],
      ["the proposal rewritten", (p) => void (p.proposal!.shares = { DEVELOPER: 0, HOSPITAL: 0, CLINICIAN: 10_000 }), ["PROPOSAL_MISMATCH"]],
      ["the determination rewritten", (p) => void (p.determination!.shares.DEVELOPER = 4000), ["DETERMINATION_MISMATCH"]],
      ["the incident's log swapped", (p) => void (p.incident.events = [eventIndex(p, "DeploymentRecorded")]), ["INCIDENT_RECORD_MISMATCH", "PROPOSAL_MISMATCH"]],
      ["a log from another contract", (p) => void (p.events[eventIndex(p, "DeploymentRecorded")].address = manifest.addresses.traces), ["WRONG_CONTRACT"]],
      ["another chain", (p) => void (p.chainId = 1), ["WRONG_CHAIN"]],
    ];
    for (const [what, tamper, expected] of cases) {
      const p = copy(pack);
      tamper(p);
      const standalone = await verifyPack(p, manifest);
      expect(standalone.valid, what).toBe(false);
      expect(codes(standalone.reasons), what).toEqual(expected);
      // Offline, the SDK has no manifest: it holds the logs to the pack's own addresses and cannot name another chain.
      if (what !== "another chain") expect(codes((await verifyEvidencePack(p)).reasons.map((r) => r.code)), what).toEqual(expected);
    }
    // The flipped fact is named.
    const flipped = copy(pack);
    flipped.facts[5].met = false;
    expect((await verifyPack(flipped, manifest)).reasons).toContain("FACT_MISMATCH: WHITE_PAPER_ON_FILE");
  });

  it("with an RPC: a log moved to another block time or index is not on the chain; a pack leaving out a log the chain holds is not the latest facts", async () => {
    const { pack, manifest, deployment } = await loadFixture(packWorld);
    const moved = copy(pack);
    moved.events[0].logIndex += 1;
    expect(codes((await verifyPack(moved, manifest, hre.ethers.provider)).reasons)).toEqual(["EVENT_NOT_ON_CHAIN"]);
    const retimed = copy(pack);
    retimed.events[0].blockTime -= 1;
    expect(codes((await verifyPack(retimed, manifest, hre.ethers.provider)).reasons)).toEqual(["EVENT_NOT_ON_CHAIN"]);
    // Leave out the white paper on file: consistent on its face (no proof, not met), refuted by the chain.
    const omitted = copy(pack);
    const fact = omitted.facts.find((f) => f.code === "WHITE_PAPER_ON_FILE")!;
    Object.assign(fact, { met: false, proof: { events: [], receipt: true } });
    omitted.parties = partiesOf(omitted.facts);
    omitted.proposal = proposalOf(omitted.liabilityCase, omitted.parties, omitted.weighting).proposal;
    expect(await verifyPack(omitted, manifest, hre.ethers.provider)).toEqual({ valid: true, reasons: [] });
    expect((await verifyEvidencePack(omitted, { provider: hre.ethers.provider, deployment })).reasons.map((r) => r.code)).toEqual(["NOT_THE_LATEST_FACTS"]);
  });

  it("the pack as a FHIR R4 Bundle is valid: an AdverseEvent, the trace's Provenance, the Consent and an AuditEvent per fact, the subject only as its pseudonymous address", async () => {
    const { pack } = await loadFixture(packWorld);
    const bundle = evidenceBundle(pack);
    expect(fhirProblems(bundle as never)).toEqual([]);
    for (const e of bundle.entry!) expect(fhirProblems(e.resource as never), e.resource!.resourceType).toEqual([]);
    const types = bundle.entry!.map((e) => e.resource!.resourceType);
    expect(types.slice(0, 3)).toEqual(["AdverseEvent", "Provenance", "Consent"]);
    const audits = bundle.entry!.map((e) => e.resource!).filter((r) => r.resourceType === "AuditEvent") as { outcome: string; subtype: { code: string }[] }[];
    expect(audits.map((a) => [a.subtype[0].code, a.outcome])).toEqual(pack.facts.map((f) => [f.code, f.met ? "0" : "4"]));
    const text = JSON.stringify(bundle);
    expect(text).toContain(`eip155:${pack.chainId}:${pack.decision.subject.toLowerCase()}`);
    for (const secret of [pack.receipt.record.salt, pack.receipt.record.inputHash, pack.receipt.record.clinicianHash]) expect(text).not.toContain(secret);
  });

  it("a pack follows its published JSON Schema (schemas/evidence-pack.json), and so does examples/evidence-pack.json, which verifies from the document alone", async () => {
    const { pack } = await loadFixture(packWorld);
    const root = join(__dirname, "..", "..");
    expect(JSON.parse(readFileSync(join(root, "schemas", "evidence-pack.json"), "utf8"))).toEqual(evidencePackSchema);
    const validate = new Ajv({ strict: false, allErrors: true }).compile(evidencePackSchema);
    expect(validate(pack), JSON.stringify(validate.errors)).toBe(true);
    const example = JSON.parse(readFileSync(join(root, "examples", "evidence-pack.json"), "utf8"));
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(await verifyPack(example, { chainId: example.chainId, addresses: example.addresses })).toEqual({ valid: true, reasons: [] });
    const broken = copy(pack) as unknown as Record<string, unknown>;
    delete broken.proposalNote;
    expect(validate(broken)).toBe(false);
  });
});
