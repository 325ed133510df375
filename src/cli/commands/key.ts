import { existsSync } from "node:fs";
import type { Command } from "commander";
import { Wallet } from "ethers";
import { InputError, writeFileDurably } from "../../sdk";
import type { Run } from "../run";

export function keyCommands(program: Command, run: Run) {
  const key = program.command("key").description("create signing keys as encrypted JSON keystores");
  key.command("new").description("create a key, encrypted with MEDPROV_KEYSTORE_PASSWORD")
    .requiredOption("--out <file>", "keystore file to write (never overwritten)")
    .action(run(async (ctx, o) => {
      const password = process.env.MEDPROV_KEYSTORE_PASSWORD;
      if (!password) throw new InputError("KEY_NO_PASSWORD", "set MEDPROV_KEYSTORE_PASSWORD to the password that will protect the new key");
      if (existsSync(o.out)) throw new InputError("KEY_EXISTS", `${o.out} exists; choose another file`);
      const wallet = Wallet.createRandom();
      writeFileDurably(o.out, await wallet.encrypt(password), { mode: 0o600 });
      ctx.print({ address: wallet.address, keystore: o.out }, `created key ${wallet.address} in ${o.out}`);
    }));
}
