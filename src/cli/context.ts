/**
 * What every CLI command needs: the chain, the deployment, a signing key, and a way to report.
 * Keys come from an encrypted JSON keystore (password in MEDPROV_KEYSTORE_PASSWORD), an external
 * signer (--signer) or the MEDPROV_PRIVATE_KEY environment variable — never from a plain
 * command-line argument. On a named network (--network) only a keystore or an external signer.
 */
import { readFileSync } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { join } from "node:path";
import { FeeData, FetchRequest, JsonRpcProvider, LogDescription, Network, Wallet, type BaseWallet } from "ethers";
import { SingleBar, Presets } from "cli-progress";
import { abiJson, chainNow, connectLedger, readDeployment, ExternalSigner, InputError, MedprovError, Outbox, OutboxSigner, RpcError, type Deployment, type LedgerContracts } from "../sdk";
import { pickIdentity, readDemoIdentities } from "../demo";
import { expiryAt, type Expiry } from "./parse";
import { readNetwork, type NetworkConfig } from "./network";

export interface GlobalOptions {
  rpc: string;
  deployment: string;
  keystore?: string;
  /** A named network of the networks file: its RPC URL, chain, gas price and deployment. */
  network?: string;
  networks: string;
  /** An external signing service's JSON-RPC URL (Clef, Web3Signer). */
  signer?: string;
  signerAddress?: string;
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

/** A provider whose fee data is the network's fixed gas price: every write is a legacy transaction at that price (zero on free-gas chains). */
class FixedGasPriceProvider extends JsonRpcProvider {
  constructor(
    request: FetchRequest,
    private readonly gasPrice: bigint,
    network?: Network,
  ) {
    super(request, network, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  }

  override async getFeeData(): Promise<FeeData> {
    return new FeeData(this.gasPrice, null, null);
  }
}

/**
 * `--json` output values: bigints as decimal strings, and a write's decoded events as their name and
 * arguments by name (an ethers LogDescription also carries its ABI fragment and topic: hundreds of
 * lines no reader of the answer wants).
 */
function jsonValue(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  // By the event's own types, not Result.toObject(true): ethers turns a one-element array of
  // unnamed items into {"_": item} (a version's single training dataset came out as an object).
  if (v instanceof LogDescription) return { event: v.name, args: Object.fromEntries(v.fragment.inputs.map((p, i) => [p.name, abiJson(v.args[i], p)])) };
  return v;
}

/** A command's --json output: integers as decimal strings, decoded events by their ABI types. */
export const cliJson = (result: unknown): string => JSON.stringify(result, jsonValue, 2);

export class CliContext {
  private cachedProvider?: JsonRpcProvider;
  private cachedDeployment?: Deployment;
  private openOutbox?: Outbox;
  private external?: ExternalSigner;
  /** The named network, once selectNetwork has read it. */
  network?: NetworkConfig;

  constructor(readonly options: GlobalOptions) {}

  /**
   * With --network, takes the RPC URL and the deployment manifest from the networks file. Giving
   * --rpc or --deployment as well would leave two answers to "which chain", so it is refused.
   */
  selectNetwork(givenOnCommandLine: (option: "rpc" | "deployment") => boolean): void {
    if (this.options.network === undefined) return;
    for (const option of ["rpc", "deployment"] as const) {
      if (givenOnCommandLine(option)) throw new InputError("BAD_ARGUMENT", `--network ${this.options.network} names the RPC and the deployment; drop --${option}`);
    }
    this.network = readNetwork(this.options.networks, this.options.network);
    this.options.rpc = this.network.rpcUrl;
    this.options.deployment = this.network.deploymentPath;
  }

  get provider(): JsonRpcProvider {
    if (!this.cachedProvider) {
      // A new connection for every call. A command can sit idle for seconds between two calls
      // (unlocking a keystore, hashing a dataset) while the node's keep-alive timeout closes the
      // connection; a call written onto it as it closes is reset (ECONNRESET). A command makes few
      // calls, so the extra connections cost nothing that matters.
      const request = new FetchRequest(this.options.rpc);
      const agent = /^https:/i.test(this.options.rpc) ? new HttpsAgent({ keepAlive: false }) : new HttpAgent({ keepAlive: false });
      request.getUrlFunc = FetchRequest.createGetUrlFunc({ agent });
      const gasPrice = this.network?.gasPrice;
      const network = this.expectedNetwork();
      this.cachedProvider = gasPrice === undefined ? new JsonRpcProvider(request, network, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 }) : new FixedGasPriceProvider(request, gasPrice, network);
    }
    return this.cachedProvider;
  }

  /**
   * The chain the named network or the manifest says, when either is readable: given to ethers, it
   * does not probe the node before the first call (an unreachable node then printed ethers' own
   * "failed to detect network … retry in 1s" lines before medprov's one line). Whether the node
   * really serves it is still checked, by `ledger()`'s eth_chainId (WRONG_CHAIN).
   */
  private expectedNetwork(): Network | undefined {
    try {
      return Network.from(this.network?.chainId ?? this.deployment.chainId);
    } catch {
      return undefined; // no manifest yet (deploy): ethers asks the node once
    }
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

  /** The chain id the RPC serves (RpcError, exit 3, when it does not answer); on a named network, the one it names (else WRONG_CHAIN). */
  async chainId(): Promise<number> {
    let chainId: number;
    try {
      chainId = Number(await this.provider.send("eth_chainId", []));
    } catch (e) {
      throw new RpcError(`cannot reach the chain at ${this.options.rpc}; start a node or pass --rpc`, e);
    }
    if (this.network && chainId !== this.network.chainId) {
      throw new InputError("WRONG_CHAIN", `${this.options.rpc} serves chain ${chainId} but network ${this.network.name} is chain ${this.network.chainId}`);
    }
    return chainId;
  }

  /** The signing key, from --as (a demo identity), --signer, the keystore or MEDPROV_PRIVATE_KEY; on a named network only --signer or a keystore. */
  async signer(): Promise<BaseWallet | ExternalSigner> {
    if (this.options.signer !== undefined) {
      if (this.options.keystore || this.options.as !== undefined) throw new InputError("BAD_ARGUMENT", "--signer and --keystore (or --as) both name a key; give one");
      this.external ??= await ExternalSigner.at(this.options.signer, this.options.signerAddress, this.provider);
      return this.external;
    }
    if (this.network && !this.options.keystore) {
      throw new InputError("KEY_KEYSTORE_REQUIRED", `on network ${this.network.name} keys come only from an encrypted keystore (--keystore, password in MEDPROV_KEYSTORE_PASSWORD) or an external signer (--signer <url>)`);
    }
    if (this.options.as !== undefined) {
      if (this.options.keystore) throw new InputError("BAD_ARGUMENT", "--as and --keystore both name a key; give one");
      const identity = pickIdentity(readDemoIdentities(this.options.identities), this.options.as, await this.chainId());
      return new Wallet(identity.privateKey, this.provider);
    }
    if (this.options.keystore) {
      // The file first: a mistyped path is named as one, not met with a request for its password.
      let json: string;
      try {
        json = readFileSync(this.options.keystore, "utf8");
      } catch {
        throw new InputError("KEY_NOT_FOUND", `cannot read keystore ${this.options.keystore}`);
      }
      const password = process.env.MEDPROV_KEYSTORE_PASSWORD;
      if (password === undefined) throw new InputError("KEY_NO_PASSWORD", `set MEDPROV_KEYSTORE_PASSWORD to unlock ${this.options.keystore}`);
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
   * The patient's secret their pseudonyms derive from (docs/pseudonyms.md): a demo patient's
   * `secret` with --as, else the private key of the keystore or MEDPROV_PRIVATE_KEY. An external
   * signer never shows its key, so it cannot stand for a secret.
   */
  async patientSecret(): Promise<string> {
    if (this.options.as !== undefined && this.options.signer === undefined && !this.options.keystore) {
      const identity = pickIdentity(readDemoIdentities(this.options.identities), this.options.as, await this.chainId());
      if (identity.secret) return identity.secret;
    }
    if (this.options.signer !== undefined) throw new InputError("PSEUDONYM_SECRET_INVALID", "pseudonyms derive from a secret this process holds: use --keystore (or MEDPROV_PRIVATE_KEY) instead of --signer");
    return (await this.wallet()).privateKey;
  }

  /** A key held by this process (a keystore, MEDPROV_PRIVATE_KEY or --as), for what an external signer cannot serve (serve --relay). */
  async wallet(): Promise<BaseWallet> {
    if (this.options.signer !== undefined) throw new InputError("BAD_ARGUMENT", "this command signs with a key it holds: use --keystore instead of --signer");
    return (await this.signer()) as BaseWallet;
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
    this.external?.destroy();
    this.cachedProvider?.destroy();
    await this.openOutbox?.close();
  }

  /** Prints a result: JSON with --json, else the human lines. */
  print(result: unknown, human: string | string[]): void {
    if (this.options.json) process.stdout.write(cliJson(result) + "\n");
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
