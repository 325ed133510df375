/**
 * The world of the trace-vault and batcher tests: the fixture with one approved, deployed version,
 * the clock pinned to the chain's time, the deployment manifest and an auditor; and a fresh vault
 * directory per call. In-process Hardhat.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture } from "./fixture";
import { modelWithVersion } from "./builders";
import { clock } from "./traces";
import { deploymentOf } from "./indexing";
import { Auditor } from "../../src/sdk";

/** A new, empty directory's vault path. */
export const vaultDir = () => join(mkdtempSync(join(tmpdir(), "medprov-vault-")), "vault");

/** One approved, deployed version; the clock pinned to the chain's time ten seconds on. */
export async function vaultWorld() {
  const l = await loadFixture(ledgerFixture);
  const { versionId } = await modelWithVersion(l, { approve: true, deploy: true });
  await time.increase(10);
  const chainNow = await time.latest();
  clock.now = () => chainNow;
  const deployment = await deploymentOf(l);
  return { l, versionId, deployment, auditor: new Auditor(l, deployment, hre.ethers.provider) };
}
