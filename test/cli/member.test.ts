/**
 * End to end: `medprov member …` (governance, and the two at-once emergency actions of
 * docs/consortium.md: a regulator suspends a member, an organisation revokes one of its keys),
 * spawned as processes against a Hardhat JSON-RPC node; each effect is read back from the chain.
 */
import { describe, it, expect, beforeAll, vi } from "vitest";
import { connectLedger, type LedgerContracts } from "../../src/sdk";
import { MEMBER_STATUSES, ROLES } from "../../src/constants";
import { checkOwnedCommands, cliHarness } from "../helpers/cli";
import { T } from "../helpers/cli-coverage";
import type { RpcConsortium, RpcNode } from "../helpers/node";

// Each test runs several whole CLI processes; on a loaded two-core machine that can take longer than
// the suite's two minutes (a guard against hangs, not a measure of speed).
vi.setConfig({ testTimeout: 300_000 });
const h = cliHarness();
const { cli, json, refused } = h;

let node: RpcNode;
let c: RpcConsortium;
let ledger: LedgerContracts;
beforeAll(() => {
  ({ node, c } = h);
  ledger = connectLedger(c.deployment, node.provider);
});

const member = async (orgId: number) => {
  const [role, status] = await ledger.consortium.member(orgId);
  return { role: ROLES[Number(role)], status: MEMBER_STATUSES[Number(status)] };
};
const keyInfo = async (address: string) => {
  const [orgId, revoked] = await ledger.consortium.keyInfo(address);
  return { orgId: Number(orgId), revoked };
};
/** A write only an active member's live key may make: record a use of the consortium's dataset. */
const useDataset = () => ["dataset", "use", c.datasetId, "--purpose", "RESEARCH"];

describe("medprov member", () => {
  it(T.admit, async () => {
    const [first, second] = [c.keys[9], c.keys[10]];
    const admitted = await cli("governance", ["member", "admit", "--name", "Hospital C", "--role", "HOSPITAL", "--key", first.address, "--execute"]);
    expect(admitted.stdout, admitted.stderr).toContain("executed: ");
    const { orgId } = await keyInfo(first.address);
    expect(orgId).toBe(6); // five members at bootstrap
    expect(await member(orgId)).toEqual({ role: "HOSPITAL", status: "ACTIVE" });
    await json("governance", ["member", "add-key", String(orgId), second.address, "--execute"]);
    expect(await keyInfo(second.address)).toEqual({ orgId, revoked: false });
    const removed = await cli("governance", ["member", "remove", String(orgId), "--execute"]);
    expect(removed.stdout, removed.stderr).toContain("executed: ");
    expect((await member(orgId)).status).toBe("REMOVED");
  });

  it(T.suspend, async () => {
    const hospitalB = 5;
    const r = await json("regulator", ["member", "suspend", String(hospitalB)]);
    expect(r).toEqual({ orgId: hospitalB, txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/), blockNumber: expect.any(Number) });
    expect(await member(hospitalB)).toEqual({ role: "HOSPITAL", status: "SUSPENDED" });
    await refused("hospitalB", useDataset(), "ConsortiumMemberNotActive");
    // Reinstating goes through governance (zero delay on this test chain, so --execute directly).
    const reinstated = await cli("governance", ["member", "reinstate", String(hospitalB), "--execute"]);
    expect(reinstated.stdout, reinstated.stderr).toContain("executed: ");
    expect((await member(hospitalB)).status).toBe("ACTIVE");
    expect((await cli("hospitalB", useDataset())).code).toBe(0);
  });

  it(T.revokeKey, async () => {
    const spare = c.keys[8];
    await json("governance", ["member", "add-key", "1", spare.address, "--execute"]);
    expect(await keyInfo(spare.address)).toEqual({ orgId: 1, revoked: false });
    const spareEnv = { MEDPROV_PRIVATE_KEY: spare.privateKey };
    expect((await cli("none", useDataset(), spareEnv)).code).toBe(0);
    // Hospital A's own key revokes its spare key at once (no governance, no delay).
    const r = await cli("hospital", ["member", "revoke-key", spare.address.toLowerCase()]);
    expect(r.stdout, r.stderr).toContain(`revoked key ${spare.address} (tx 0x`);
    expect(await keyInfo(spare.address)).toEqual({ orgId: 1, revoked: true });
    await refused("none", useDataset(), "ConsortiumKeyRevoked", spareEnv);
    expect((await cli("hospital", useDataset())).code).toBe(0);
  });

  it(T.memberRefused, async () => {
    await Promise.all([
      refused("hospital", ["member", "suspend", "2"], "AccessManagedUnauthorized"),
      refused("regulator", ["member", "suspend", "6"], "ConsortiumInvalidStatusChange"), // removed above
      refused("hospital", ["member", "revoke-key", c.keys[2].address], "AccessManagedUnauthorized"), // the developer's key
      refused("hospital", ["member", "revoke-key", c.keys[8].address], "ConsortiumKeyRevoked"),
      refused("hospital", ["member", "revoke-key", "0x1234"], "BAD_ADDRESS"),
      refused("regulator", ["member", "suspend", "first"], "BAD_ORG"),
    ]);
    expect(await member(2)).toEqual({ role: "MODEL_DEVELOPER", status: "ACTIVE" });
    expect(await keyInfo(c.keys[2].address)).toEqual({ orgId: 2, revoked: false });
  });

  checkOwnedCommands(h, "member.test.ts");
});
