/**
 * The batcher tests' world: the ledger fixture with two approved versions deployed by hospital A,
 * ten seconds on, and the trace clock pinned to that chain time.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ledgerFixture } from "./fixture";
import { modelWithVersion } from "./builders";
import { clock } from "./traces";

export async function twoApprovedVersions() {
  const l = await loadFixture(ledgerFixture);
  const v1 = (await modelWithVersion(l, { approve: true, deploy: true })).versionId;
  const v2 = (await modelWithVersion(l, { approve: true, deploy: true })).versionId;
  await time.increase(10);
  const now = await time.latest();
  clock.now = () => now;
  return { l, v1, v2 };
}
