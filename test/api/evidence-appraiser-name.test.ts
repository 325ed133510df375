/**
 * An evidence pack names the APPRAISER beside its number: in the pack's JSON (from the appraiser's
 * MemberAdmitted log when built from the chain, from the index when the API builds it), in the
 * FHIR Bundle (the determination's Provenance, its agent's display) and in the CLI's summary line.
 */
import { describe, it, expect } from "vitest";
import hre from "hardhat";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Provenance } from "@medplum/fhirtypes";
import { h } from "../helpers/builders";
import { indexFresh } from "../helpers/indexing";
import { AUTH, bearerFor } from "../helpers/api-fixture";
import { closeAfter } from "../helpers/api-build";
import { fhirProblems } from "../helpers/fhir-validate";
import { anchorOne, decision, evidenceWorld, incidentOf, evidenceDeployment } from "../helpers/evidence-world";
import { createQueries } from "../../src/indexer";
import { IncidentReceipts, buildApp, createFastify } from "../../src/api";
import { buildEvidencePack } from "../../src/sdk";
import { evidenceBundle } from "../../src/fhir";
import { evidenceSummary } from "../../src/cli/commands/incident-evidence";

const BOARD = "Medical Appraisal Board"; // evidenceWorld admits the appraiser under this name

async function determined() {
  const w = await evidenceWorld();
  const receipt = await anchorOne(w.l, await decision(w.l, w.versionId));
  const id = await incidentOf(w.l, receipt, "INCORRECT");
  await (await w.l.incidents.connect(w.appraiser).recordDetermination(id, { developer: 3000, hospital: 1000, clinician: 6000 }, h("ruling"))).wait();
  const deployment = await evidenceDeployment(w.l);
  return { ...w, receipt, id, deployment, appraiserOrg: Number((await w.l.incidents.determination(id)).appraiser) };
}

const determinationOf = (bundle: ReturnType<typeof evidenceBundle>) => bundle.entry!.map((e) => e.resource!).find((r) => r.id?.startsWith("determination-")) as Provenance | undefined;

describe("evidence pack: the appraiser by name", () => {
  it("from the chain: the pack, its FHIR Bundle and the CLI's summary name the appraiser beside its number", async () => {
    const f = await loadFixture(determined);
    const pack = await buildEvidencePack(f.l, f.id, f.receipt);
    expect(pack.determination).toMatchObject({ appraiser: f.appraiserOrg, appraiserName: BOARD });
    const bundle = evidenceBundle(pack);
    expect(fhirProblems(bundle as never)).toEqual([]);
    const d = determinationOf(bundle)!;
    expect(fhirProblems(d as never)).toEqual([]);
    expect(d.agent[0].who).toMatchObject({ reference: `Organization/${f.appraiserOrg}`, display: BOARD });
    expect([d.target[0].reference, d.reason?.[0].text]).toEqual([`AdverseEvent/incident-${f.id}`, "developer 30% / hospital 10% / clinician 60%"]);
    expect(evidenceSummary(pack).at(-1)).toMatch(new RegExp(`^determination by ${BOARD} \\(organisation ${f.appraiserOrg}\\) at \\d{4}-`));
  });

  it("without a determination the pack has none and the bundle no determination Provenance", async () => {
    const f = await loadFixture(determined);
    const other = await anchorOne(f.l, await decision(f.l, f.versionId));
    const id = await incidentOf(f.l, other, "INCORRECT");
    const pack = await buildEvidencePack(f.l, id, other);
    expect([pack.determination, determinationOf(evidenceBundle(pack))]).toEqual([null, undefined]);
    expect(evidenceSummary(pack).at(-1)).toBe("determination: none yet");
  });

  it("GET /incidents/:id/evidence names it from the index, in JSON and ?format=fhir", async (t) => {
    const f = await loadFixture(determined);
    const { store } = await indexFresh(f.deployment);
    const receipts = new IncidentReceipts(mkdtempSync(join(tmpdir(), "medprov-receipts-")));
    await receipts.put(f.id, f.receipt);
    const app = createFastify({});
    closeAfter(t, app);
    await app.register(buildApp, { queries: createQueries(store), ledger: f.l, deployment: f.deployment, provider: hre.ethers.provider, auth: AUTH, rateLimit: 1_000_000, incidentReceipts: receipts });
    await app.ready();
    const headers = { authorization: await bearerFor(app, f.l.auditor) };
    const json = await app.inject({ url: `/incidents/${f.id}/evidence`, headers });
    expect(json.statusCode, json.body).toBe(200);
    expect(json.json().determination).toMatchObject({ appraiser: f.appraiserOrg, appraiserName: BOARD });
    const fhir = await app.inject({ url: `/incidents/${f.id}/evidence?format=fhir`, headers });
    expect(determinationOf(fhir.json())?.agent[0].who?.display).toBe(BOARD);
  });
});
