/**
 * `trace append --flush` when the model version was suspended after the traces were made: the
 * batcher quarantines them at sealing and anchors no batch. The command must not leave it at
 * "queued 2": it says on stderr how many were quarantined and where to read why (a new-user trial
 * got "queued 1" and exit 0, the quarantine seen only by asking `trace quarantined`). The CLI runs
 * in-process against in-process Hardhat.
 */
import { describe, it, expect } from "vitest";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBytes32String } from "ethers";
import { vaultWorld } from "../helpers/vault-world";
import { traceInput } from "../helpers/traces";
import { testWallets } from "../helpers/node";
import { medprov, rpcBridge } from "../helpers/cli-in-process";

describe("trace append --flush of traces whose version was suspended", () => {
  it("says how many were quarantined, and the vault lists them with the reason", async () => {
    const { l, versionId, deployment } = await vaultWorld();
    const dir = mkdtempSync(join(tmpdir(), "medprov-quarantine-"));
    const path = join(dir, "deployment.json");
    writeFileSync(path, JSON.stringify(deployment, null, 2));
    writeFileSync(join(dir, "traces.jsonl"), [traceInput(versionId), traceInput(versionId)].map((t) => JSON.stringify(t)).join("\n"));
    await (await l.models.connect(l.regulator).suspendVersion(versionId, encodeBytes32String("safety notice"))).wait();
    const bridge = await rpcBridge();
    const cli = (args: string[]) => medprov(["--rpc", bridge.url, "--deployment", path, ...args], { MEDPROV_PRIVATE_KEY: testWallets(3)[2].privateKey, MEDPROV_OUTBOX: join(dir, "outbox") });
    try {
      const r = await cli(["trace", "append", join(dir, "traces.jsonl"), "--vault", join(dir, "vault"), "--flush"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe("queued 2 trace(s)");
      expect(r.stderr).toMatch(/^medprov: 2 trace\(s\) quarantined: .*`medprov trace quarantined --vault …` lists each with its reason\n$/);
      const listed = await cli(["--json", "trace", "quarantined", "--vault", join(dir, "vault")]);
      expect(JSON.parse(listed.stdout).quarantined.map((q: { reason: string }) => q.reason)).toEqual([expect.stringMatching(/SUSPENDED/), expect.stringMatching(/SUSPENDED/)]);
    } finally {
      await bridge.close();
    }
  });
});
