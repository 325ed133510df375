/** A keystore path that does not exist is named as missing (KEY_NOT_FOUND), not met with "set MEDPROV_KEYSTORE_PASSWORD" (a new-user trial). */
import { describe, it, expect } from "vitest";
import { CliContext } from "../../src/cli/context";

describe("--keystore", () => {
  it("a missing file is KEY_NOT_FOUND whether or not a password is set", async () => {
    const saved = process.env.MEDPROV_KEYSTORE_PASSWORD;
    delete process.env.MEDPROV_KEYSTORE_PASSWORD;
    try {
      const ctx = new CliContext({ rpc: "http://127.0.0.1:9", deployment: "deployments/localhost.json", networks: "networks.json", identities: ".medprov/identities.json", keystore: "/nonexistent/nosuch.json" });
      await expect(ctx.signer()).rejects.toMatchObject({ code: "KEY_NOT_FOUND", message: "cannot read keystore /nonexistent/nosuch.json" });
      process.env.MEDPROV_KEYSTORE_PASSWORD = "x";
      await expect(ctx.signer()).rejects.toMatchObject({ code: "KEY_NOT_FOUND" });
    } finally {
      if (saved === undefined) delete process.env.MEDPROV_KEYSTORE_PASSWORD;
      else process.env.MEDPROV_KEYSTORE_PASSWORD = saved;
    }
  });
});
