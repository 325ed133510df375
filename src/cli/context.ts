/**
 * What every CLI command needs: the chain, the deployment, a signing key, and a way to report.
 * Keys come from an encrypted JSON keystore (password in MEDPROV_KEYSTORE_PASSWORD) or from the
 * MEDPROV_PRIVATE_KEY environment variable — never from a plain command-line argument.
 */
import { readFileSync } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { join } from "node:path";
import { FetchRequest, JsonRpcProvider, Wallet, type BaseWallet } from "ethers";
import { SingleBar, Presets } from "cli-progress";
import { chainNow, connectLedger, readDeployment, InputError, MedprovError, Outbox, OutboxSigner, RpcError, type Deployment, type LedgerContracts } from "../sdk";
import { pickIdentity, readDemoIdentities } from "../demo";
import { expiryAt, type Expiry } from "./parse";

export interface GlobalOptions {
  rpc: string;
  deployment: string;
  keystore?: string;
  /** A demo identity's name (npm start's identities file), for the local demo chain only. */
  as?: string;
  identities: string;
  outbox?: string;
  json?: boolean;
  debug?: boolean;
}

/**
 * Opens an outbox, waiting while another medprov process writes with it: two commands run with one
 * key take turns (their nonces must not collide) instead of the second failing; a process that
 * keeps it (serve --relay) makes the wait end in OUTBOX_LOCKED, which names the path.
 */
async function openWaiting(path: string, waitMs = 60_000): Promise<Outbox> {
  const until = Date.now() + waitMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await Outbox.open(path);
    } catch (e) {
      if (!(e instanceof MedprovError && e.code === "OUTBOX_LOCKED") || Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

export class CliContext {
  private cachedProvider?: JsonRpcProvider;
  private cachedDeployment?: Deployment;
  private openOutbox?: Outbox;

  constructor(readonly options: GlobalOptions) {}

  get provider(): JsonRpcProvider {
    if (!this.cachedProvider) {
      // A new connection for every call. A command can sit idle for seconds between two calls
      // (unlocking a keystore, hashing a dataset) while the node's keep-alive timeout closes the
      // connection; a call written onto it as it closes is reset (ECONNRESET). A command makes few
      // calls, so the extra connections cost nothing that matters.
      const request = new FetchRequest(this.options.rpc);
      const agent = /^https:/i.test(this.options.rpc) ? new HttpsAgent({ keepAlive: false }) : new HttpAgent({ keepAlive: false });
      request.getUrlFunc = FetchRequest.createGetUrlFunc({ agent });
      this.cachedProvider = new JsonRpcProvider(request, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
    }
    return this.cachedProvider;
  }

  get deployment(): Deployment {
    this.cachedDeployment ??= readDeployment(this.options.deployment);
    return this.cachedDeployment;
  }

  /** Checks that the RPC answers and serves the deployment's chain. */
  async ledger(): Promise<LedgerContracts> {
    let chainId: bigint;
    try {
      chainId = BigInt(await this.provider.send("eth_chainId", []));
    } catch (e) {
      throw new RpcError(`cannot reach the chain at ${this.options.rpc}; start a node or pass --rpc`, e);
    }
    if (Number(chainId) !== this.deployment.chainId) {
      throw new InputError("WRONG_CHAIN", `${this.options.rpc} serves chain ${chainId} but ${this.options.deployment} is for chain ${this.deployment.chainId}`);
    }
    return connectLedger(this.deployment, this.provider);
  }

  /** An expiry in unix seconds; a duration counts from the chain's head block time, never the host clock. */
  async expiry(e: Expiry): Promise<bigint> {
    return "at" in e ? e.at : expiryAt(e, (await chainNow(this.provider)).time);
  }

  /** The chain id the RPC serves (RpcError, exit 3, when it does not answer). */
  async chainId(): Promise<number> {
    try {
      return Number(await this.provider.send("eth_chainId", []));
    } catch (e) {
      throw new RpcError(`cannot reach the chain at ${this.options.rpc}; start a node or pass --rpc`, e);
    }
  }

  /** The signing key, from --as (a demo identity), the keystore or MEDPROV_PRIVATE_KEY. */
  async signer(): Promise<BaseWallet> {
    if (this.options.as !== undefined) {
      if (this.options.keystore) throw new InputError("BAD_ARGUMENT", "--as and --keystore both name a key; give one");
      const identity = pickIdentity(readDemoIdentities(this.options.identities), this.options.as, await this.chainId());
      return new Wallet(identity.privateKey, this.provider);
    }
    if (this.options.keystore) {
      const password = process.env.MEDPROV_KEYSTORE_PASSWORD;
      if (password === undefined) throw new InputError("KEY_NO_PASSWORD", `set MEDPROV_KEYSTORE_PASSWORD to unlock ${this.options.keystore}`);
      let json: string;
      try {
        json = readFileSync(this.options.keystore, "utf8");
      } catch {
        throw new InputError("KEY_NOT_FOUND", `cannot read keystore ${this.options.keystore}`);
      }
      try {
        return (await Wallet.fromEncryptedJson(json, password)).connect(this.provider);
      } catch {
        throw new InputError("KEY_LOCKED", `cannot unlock ${this.options.keystore}: wrong password or not a keystore file`);
      }
    }
    const raw = process.env.MEDPROV_PRIVATE_KEY;
    if (!raw) throw new InputError("KEY_MISSING", "no signing key: pass --keystore <file> (password in MEDPROV_KEYSTORE_PASSWORD) or set MEDPROV_PRIVATE_KEY");
    try {
      return new Wallet(raw, this.provider);
    } catch {
      throw new InputError("KEY_INVALID", "MEDPROV_PRIVATE_KEY is not a valid private key");
    }
  }

  /**
   * The outbox this command's writes go through (DESIGN §5): --outbox, MEDPROV_OUTBOX, or one per
   * key under .medprov/cli-outbox. What a killed earlier run left unfinished is finished first.
   */
  async outbox(address: string): Promise<Outbox> {
    if (!this.openOutbox) {
      const path = this.options.outbox ?? process.env.MEDPROV_OUTBOX ?? join(".medprov", "cli-outbox", address.toLowerCase());
      this.openOutbox = await openWaiting(path);
      await this.openOutbox.resume(this.provider);
    }
    return this.openOutbox;
  }

  /** The signing key behind the outbox: a command's "done" then means the write is acknowledged and kept. */
  async writer(): Promise<OutboxSigner> {
    const key = await this.signer();
    return new OutboxSigner(await this.outbox(key.address), key);
  }

  /** Ends what the command opened. */
  async close(): Promise<void> {
    this.cachedProvider?.destroy();
    await this.openOutbox?.close();
  }

  /** Prints a result: JSON with --json, else the human lines. */
  print(result: unknown, human: string | string[]): void {
    if (this.options.json) process.stdout.write(JSON.stringify(result, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
    else process.stdout.write((Array.isArray(human) ? human.join("\n") : human) + "\n");
  }

  /** A progress bar on a terminal; a no-op when piped or with --json. */
  progress(label: string, total: number) {
    if (!process.stderr.isTTY || this.options.json) return { update: (_n: number) => undefined, stop: () => undefined };
    const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {eta_formatted}`, stream: process.stderr }, Presets.shades_classic);
    bar.start(total, 0);
    return { update: (n: number) => bar.update(n), stop: () => bar.stop() };
  }
}
