import type { Command } from "commander";
import { startService } from "../../api";
import { describeManifestReport, followCohortManifests, manifestFiles } from "../../indexer";
import { atLeastOne, intArg, originArg, portArg, proxyArg, urlArg } from "../parse";
import type { Run } from "../run";
import { serviceLogger } from "../log";
import { LIMITS } from "../../constants";
import { readDeployment } from "../../sdk";

export function serveCommands(program: Command, run: Run) {
  program
    .command("serve")
    .description("run this member's indexer and audit API against its node (Ctrl-C stops cleanly)")
    .option("--db <dir>", "index database directory", ".medprov/index")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on", portArg("--port"), 8080)
    .option("--public-url <url>", "the URL clients use (behind a reverse proxy); sign-in messages must name its host", urlArg)
    .option("--cors-origin <origins...>", "browser origins allowed to call the API (a patient app's web origin)", (v: string, all: string[] = []) => [...all, originArg(v)])
    .option("--rate-limit <n>", "requests per minute per client IP (sign-in and relay get a fifth)", atLeastOne("--rate-limit"), 6000)
    .option("--trust-proxy <proxies...>", "reverse proxies (IPs, CIDR ranges, loopback) whose X-Forwarded-For names the client, so each client gets its own rate limit", (v: string, all: string[] = []) => [...all, proxyArg(v)])
    .option("--relay", "relay patients' signed consents with this member's key (--keystore or MEDPROV_PRIVATE_KEY), paying their gas")
    .option("--confirmations <n>", "blocks to wait before indexing (0 on instant-finality chains; default: the --network's, else 0)", intArg("--confirmations"))
    .option("--head-max-age <ms>", "how stale the chain head behind callers' roles may be (0: look on every request)", intArg("--head-max-age"), 100)
    .option("--rpc-batch <n>", "most JSON-RPC calls sent as one batch request (1: no batches)", atLeastOne("--rpc-batch"), LIMITS.RPC_BATCH_MAX)
    .option("--manifests <dir>", "custodians' cohort manifests (every *.cohort.json below it, as `dataset register` writes them) for the revocation-impact report; loaded at start and whenever a new dataset is indexed")
    .action(run(async (ctx, o) => {
      await ctx.ledger(); // checks the RPC serves the deployment's chain before anything is opened
      if (o.manifests) manifestFiles(o.manifests); // an unreadable directory is refused before anything is opened
      const relayer = o.relay ? await ctx.wallet() : undefined;
      const service = await startService({
        rpc: ctx.options.rpc,
        deployment: ctx.deployment,
        // Read again before each sync pass: a successor generation opened meanwhile is followed (docs/consortium.md).
        manifest: () => readDeployment(ctx.options.deployment),
        db: o.db,
        host: o.host,
        port: o.port,
        publicUrl: o.publicUrl,
        corsOrigins: o.corsOrigin,
        rateLimit: o.rateLimit,
        trustProxy: o.trustProxy,
        relayer,
        outbox: relayer ? await ctx.outbox(relayer.address) : undefined,
        confirmations: o.confirmations ?? ctx.network?.confirmations ?? 0,
        headMaxAgeMs: o.headMaxAge,
        rpcBatch: o.rpcBatch,
        // Quiet while starting: a start that fails is one line on stderr (the refusal), not records before it.
        logger: serviceLogger("warn", { json: ctx.options.json }),
      });
      const stopManifests = new AbortController();
      const manifests = o.manifests
        ? await followCohortManifests({
            store: service.store,
            dir: o.manifests,
            signal: stopManifests.signal,
            onReport: (r) => ctx.print({ manifests: r }, describeManifestReport(r).map((l) => `medprov: ${l}`)),
            onError: (e) => service.app.log.warn({ err: String((e as Error).message) }, "cohort manifests not loaded"),
          }).catch(async (e) => {
            await service.close(); // nothing left running when the first load fails
            throw e;
          })
        : undefined;
      service.app.log.level = ctx.options.json ? "warn" : "info"; // started: requests and indexing are logged from here on
      const stats = service.indexer.stats();
      ctx.print(
        { address: service.address, indexed: stats.indexed, relayer: relayer?.address ?? null, ...(manifests ? { manifests: manifests.first } : {}) },
        [`medprov: API on ${service.address}, indexed to block ${stats.indexed}${relayer ? `, relaying with ${relayer.address}` : ""}`, ...(manifests ? describeManifestReport(manifests.first).map((l) => `medprov: ${l}`) : [])],
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
      stopManifests.abort();
      await manifests?.stopped;
      await service.close();
      ctx.print({ stopped: true }, "medprov: stopped");
    }));
}
