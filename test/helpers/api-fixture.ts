/**
 * An indexed ledger with something of every kind behind a running audit API (in-process): two
 * datasets, two models, an approved version (deployed, reported on with subgroups, so with a
 * fairness alert) and a submitted one, consents granted and revoked, a trace batch. Used by the
 * tests of answers in words and of the FHIR endpoint.
 */
import hre from "hardhat";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { SiweMessage } from "siwe";
import type { Signer } from "ethers";
import type { FastifyInstance } from "fastify";
import { ledgerFixture, ORG, type Ledger } from "./fixture";
import { deploymentOf, indexFresh } from "./indexing";
import { modelWithVersion, registration } from "./builders";
import { clock, traceInput } from "./traces";
import { Hospital, TraceBatcher, receiptFor, type TraceReceipt } from "../../src/sdk";
import { Purpose, RiskClass } from "../../src/constants";
import { createQueries } from "../../src/indexer";
import { buildApp, createFastify, type AppOptions } from "../../src/api";

export const AUTH = { domain: "medprov.test", uri: "https://medprov.test", chainId: 31337 };

export interface ApiWorld {
  l: Ledger;
  app: FastifyInstance;
  ids: { datasetId: string; modelId: string; versionId: string; dataset2: string; model2: string; version2: string; reportId: string };
  receipts: TraceReceipt[];
  signIn(signer: Signer): Promise<string>;
}

/**
 * An audit API over a fresh index of `l`'s ledger (in-process): buildApp's options are the tests'
 * (this chain, AUTH, the indexer's stats) unless `o` says otherwise. Each call is its own app and
 * index, so no test shares mutable state with another through it.
 */
export async function buildApi(l: Ledger, o: Partial<AppOptions> = {}, fastify: Parameters<typeof createFastify>[0] = {}) {
  const deployment = await deploymentOf(l);
  const { store, indexer } = await indexFresh(deployment);
  const app = createFastify(fastify);
  await app.register(buildApp, { queries: createQueries(store), ledger: l, deployment, provider: hre.ethers.provider, auth: AUTH, indexerStats: indexer.stats, ...o });
  await app.ready();
  return { app, store, indexer, deployment, reindex: async () => void (await indexer.syncOnce()) };
}

/** Hospital A anchors two traces made with `versionId` now (one of them the patient's); their receipts. */
/** Signs `signer` in to `app` with SIWE (nonce, message, signature) and returns its `Bearer <session>` header. */
export async function bearerFor(app: FastifyInstance, signer: Signer): Promise<string> {
  const nonce = (await app.inject({ method: "POST", url: "/auth/nonce" })).json().nonce;
  const message = new SiweMessage({ domain: AUTH.domain, address: await signer.getAddress(), statement: "Sign in to medprov", uri: AUTH.uri, version: "1", chainId: AUTH.chainId, nonce, issuedAt: new Date(Date.now() - 1000).toISOString() }).prepareMessage();
  const r = await app.inject({ method: "POST", url: "/auth/verify", payload: { message, signature: await signer.signMessage(message) } });
  if (r.statusCode !== 200) throw new Error(`sign-in failed: ${r.body}`);
  return `Bearer ${r.json().session}`;
}

export async function anchorTwoTraces(l: Ledger, versionId: string): Promise<TraceReceipt[]> {
  const now = await time.latest();
  clock.now = () => now;
  const batcher = await TraceBatcher.open({ vaultPath: join(mkdtempSync(join(tmpdir(), "medprov-api-")), "vault"), ledger: l, signer: l.hospitalA });
  await batcher.append(traceInput(versionId, { subject: l.patient.address, time: now }), traceInput(versionId, { time: now }));
  await batcher.flush();
  const deployment = await deploymentOf(l);
  const receipts: TraceReceipt[] = [];
  for await (const x of batcher.storage.anchored()) receipts.push(receiptFor(x, deployment));
  await batcher.close();
  return receipts;
}

export async function apiWorld(): Promise<ApiWorld> {
  const l = await ledgerFixture();
  const a = await modelWithVersion(l, { approve: true, name: "sepsis-risk" });
  const b = await modelWithVersion(l, { risk: RiskClass.MEDIUM, name: "triage" });
  const reg = registration();
  const dataset2 = await l.datasets.connect(l.hospitalB).registerDataset.staticCall(reg);
  await (await l.datasets.connect(l.hospitalB).registerDataset(reg)).wait();
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_A, (await time.latest()) + 10 ** 6)).wait();
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.RESEARCH, ORG.HOSPITAL_B, (await time.latest()) + 10 ** 6)).wait();
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.MODEL_TRAINING, 0, (await time.latest()) + 10 ** 6)).wait();
  await (await l.consents.connect(l.patient).revokeConsent(l.patient.address, Purpose.MODEL_TRAINING, 0)).wait();
  await (await l.models.connect(l.hospitalA).recordDeployment(a.versionId)).wait();
  await (await l.datasets.connect(l.hospitalA).recordUse(a.datasetId, Purpose.RESEARCH)).wait();
  const filed = await new Hospital(l, l.hospitalA).fileReport(a.versionId, { periodStart: 1, periodEnd: 2, cases: 100, auc: 9000, subgroups: [{ subgroup: "region:EAST", auc: 9300, cases: 50 }, { subgroup: "region:WEST", auc: 8000, cases: 50 }], reportHash: "0x" + "12".repeat(32) });
  await time.increase(10);
  const receipts = await anchorTwoTraces(l, a.versionId);
  const { app } = await buildApi(l, { rateLimit: 1_000_000 });
  const signIn = async (signer: Signer) => (await bearerFor(app, signer)).slice("Bearer ".length);
  return { l, app, ids: { ...a, dataset2, model2: b.modelId, version2: b.versionId, reportId: filed.reportId }, receipts, signIn };
}
