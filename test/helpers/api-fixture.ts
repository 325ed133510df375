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
import { expect } from "vitest";
import { ledgerFixture, ORG, type Ledger } from "./fixture";
import { deploymentOf, indexFresh } from "./indexing";
import { modelWithVersion, registration } from "./builders";
import { clock, traceInput } from "./traces";
import { Hospital, TraceBatcher, receiptFor, type TraceReceipt } from "../../src/sdk";
import { Purpose, RiskClass, Role } from "../../src/constants";
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
  const queries = createQueries(store);
  const app = createFastify(fastify);
  await app.register(buildApp, { queries, ledger: l, deployment, provider: hre.ethers.provider, auth: AUTH, indexerStats: indexer.stats, ...o });
  await app.ready();
  return { app, store, indexer, queries, deployment, reindex: async () => void (await indexer.syncOnce()) };
}

export type SiweFields = Partial<{ domain: string; uri: string; chainId: number; expirationTime: string }>;

/** A fresh sign-in nonce from `app`. */
export const nonceOf = async (app: FastifyInstance): Promise<string> => (await app.inject({ method: "POST", url: "/auth/nonce" })).json().nonce;

/** The SIWE message `signer` signs over `nonce` (the tests' AUTH, unless `o` changes a field), and its signature. */
export async function siweFor(signer: Signer, nonce: string, o: SiweFields = {}) {
  const message = new SiweMessage({ domain: o.domain ?? AUTH.domain, address: await signer.getAddress(), statement: "Sign in to medprov", uri: o.uri ?? AUTH.uri, version: "1", chainId: o.chainId ?? AUTH.chainId, nonce, issuedAt: new Date(Date.now() - 1000).toISOString(), expirationTime: o.expirationTime }).prepareMessage();
  return { message, signature: await signer.signMessage(message), nonce };
}

/** Signs `signer` in to `app` (asserting the 200); the session, without its scheme. */
export async function sessionFor(app: FastifyInstance, signer: Signer): Promise<string> {
  const { message, signature } = await siweFor(signer, await nonceOf(app));
  const r = await app.inject({ method: "POST", url: "/auth/verify", payload: { message, signature } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().session;
}

/** Signs `signer` in to `app` with SIWE (nonce, message, signature) and returns its `Bearer <session>` header. */
export async function bearerFor(app: FastifyInstance, signer: Signer): Promise<string> {
  const nonce = (await app.inject({ method: "POST", url: "/auth/nonce" })).json().nonce;
  const message = new SiweMessage({ domain: AUTH.domain, address: await signer.getAddress(), statement: "Sign in to medprov", uri: AUTH.uri, version: "1", chainId: AUTH.chainId, nonce, issuedAt: new Date(Date.now() - 1000).toISOString() }).prepareMessage();
  const r = await app.inject({ method: "POST", url: "/auth/verify", payload: { message, signature: await signer.signMessage(message) } });
  if (r.statusCode !== 200) throw new Error(`sign-in failed: ${r.body}`);
  return `Bearer ${r.json().session}`;
}

/** Hospital A anchors two traces made with `versionId` now (one of them the patient's); their receipts. */
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

/**
 * The ledger the route files of test/api share (access, auth, traces, relay, fhir, server): an
 * appraisal board (issue 18: it reads what an auditor reads), an approved version deployed by
 * hospital A, the patient's consents (CLINICAL_DECISION_SUPPORT by hospital A, RESEARCH by hospital
 * B), and two traces of the version anchored by hospital A (one of them the patient's).
 */
export async function auditSeed() {
  const l = await ledgerFixture();
  await l.govern({ target: l.consortium, data: l.consortium.interface.encodeFunctionData("admitMember", ["Appraisal Board", Role.APPRAISER, [l.spare[0].address]]) });
  const ids = await modelWithVersion(l, { approve: true });
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.CLINICAL_DECISION_SUPPORT, ORG.HOSPITAL_A, (await time.latest()) + 10 ** 6)).wait();
  await (await l.consents.connect(l.patient).grantConsent(l.patient.address, Purpose.RESEARCH, ORG.HOSPITAL_B, (await time.latest()) + 10 ** 6)).wait();
  await (await l.models.connect(l.hospitalA).recordDeployment(ids.versionId)).wait();
  await time.increase(10);
  const receipts = await anchorTwoTraces(l, ids.versionId);
  return { l, ids, receipts };
}

/** The ledger `apiWorld` describes, without its API: a seed for test/helpers/api-build.ts (`build(t, apiSeed)`). */
export async function apiSeed(): Promise<Omit<ApiWorld, "app" | "signIn">> {
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
  return { l, ids: { ...a, dataset2, model2: b.modelId, version2: b.versionId, reportId: filed.reportId }, receipts };
}

/** apiSeed's ledger behind a running audit API of its own (for a test that serves it over HTTP). */
export async function apiWorld(): Promise<ApiWorld> {
  const world = await apiSeed();
  const { app } = await buildApi(world.l, { rateLimit: 1_000_000 });
  const signIn = async (signer: Signer) => (await bearerFor(app, signer)).slice("Bearer ".length);
  return { ...world, app, signIn };
}
