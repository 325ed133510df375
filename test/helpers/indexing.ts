/** Shared pieces of the indexer tests: an in-process RPC, a deployment manifest, fresh stores. */
import hre from "hardhat";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IndexStore, createIndexer, type IndexerOptions, type RpcSender } from "../../src/indexer";
import type { Deployment } from "../../src/sdk";
import type { Ledger } from "./fixture";

/** Hardhat's in-process network as a JSON-RPC sender. */
export const inProcess: RpcSender = { send: (method, params) => hre.network.provider.request({ method, params }) };

export async function deploymentOf(l: Ledger, deploymentBlock = 0): Promise<Deployment> {
  const names = ["manager", "consortium", "consents", "datasets", "models", "traces", "incidents"] as const;
  const addresses = Object.fromEntries(await Promise.all(names.map(async (k) => [k, await l[k].getAddress()]))) as Deployment["addresses"];
  return { chainId: 31337, deploymentBlock, governance: "", governanceDelay: 0, addresses, versions: {} };
}

export const tempDb = () => join(mkdtempSync(join(tmpdir(), "medprov-index-")), "db");

/** Indexes into a new store until caught up; returns the store (open) and the indexer. */
export async function indexFresh(deployment: Deployment, o: Partial<IndexerOptions> = {}) {
  const store = await IndexStore.open(tempDb());
  const indexer = createIndexer({ provider: inProcess, deployment, store, ...o });
  await indexer.syncOnce();
  return { store, indexer };
}
