import { rmSync } from "node:fs";
import type { Command } from "commander";
import { IndexStore, createIndexer, describeManifestReport, followCohortManifests, httpRpc, loadCohortManifests, manifestFiles, type ManifestReport } from "../../indexer";
import { atLeastOne, intArg } from "../parse";
import type { Run } from "../run";
import { commandLogger } from "../log";
import { DEFAULT_FINALITY_DEPTH } from "../network";
import { LIMITS } from "../../constants";
import { readDeployment } from "../../sdk";

export function indexCommands(program: Command, run: Run) {
  program
    .command("index")
    .description("index every ledger event into LevelDB and follow the chain (Ctrl-C stops cleanly)")
    .option("--db <dir>", "index database directory", ".medprov/index")
    .option("--rebuild", "delete the database first and index from the deployment block")
    .option("--once", "stop when caught up with the head, printing the state digest")
    .option("--confirmations <n>", "blocks to wait before indexing (0 on instant-finality chains; default: the --network's, else 0)", intArg("--confirmations"))
    .option("--finality <n>", "deepest reorg to handle; deeper ones stop the indexer (default: the --network's finalityDepth, else 64)", intArg("--finality"))
    .option("--max-range <n>", "largest eth_getLogs block range", intArg("--max-range"), LIMITS.LOG_RANGE_MAX)
    .option("--poll <ms>", "head polling interval", intArg("--poll"), 1000)
    .option("--rpc-batch <n>", "most JSON-RPC calls sent as one batch request (1: no batches, for a node that limits them)", atLeastOne("--rpc-batch"), LIMITS.RPC_BATCH_MAX)
    .option("--manifests <dir>", "custodians' cohort manifests (every *.cohort.json below it, as `dataset register` writes them), matched to datasets by root; loaded at start and whenever a new dataset is indexed")
    .action(run(async (ctx, o) => {
      const deployment = ctx.deployment;
      await ctx.ledger(); // checks the RPC serves the deployment's chain
      if (o.manifests) manifestFiles(o.manifests); // an unreadable directory is refused before the database is touched
      if (o.rebuild) rmSync(o.db, { recursive: true, force: true });
      const store = await IndexStore.open(o.db);
      const logger = commandLogger(ctx.options.json ? "warn" : "info", { json: ctx.options.json });
      // The manifest is read again before each sync pass: a successor generation opened meanwhile is caught up (docs/consortium.md).
      const indexer = createIndexer({ provider: httpRpc(ctx.options.rpc, { maxBatch: o.rpcBatch }), deployment, manifest: () => readDeployment(ctx.options.deployment), store, confirmations: o.confirmations ?? ctx.network?.confirmations ?? 0, finality: o.finality ?? ctx.network?.finalityDepth ?? DEFAULT_FINALITY_DEPTH, maxRange: o.maxRange, pollMs: o.poll, logger });
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        if (o.once) await indexer.syncOnce(stop.signal);
        else {
          const onReport = (r: ManifestReport) => logger.info(r, "cohort manifests loaded");
          const manifests = o.manifests ? await followCohortManifests({ store, dir: o.manifests, signal: stop.signal, intervalMs: o.poll, onReport, onError: (e) => logger.warn({ err: String((e as Error).message) }, "cohort manifests not loaded") }) : undefined;
          if (manifests) onReport(manifests.first);
          // Either ending ends both: a fatal indexer error must not leave the manifest loop running.
          await Promise.all([indexer.run(stop.signal).finally(() => stop.abort()), manifests?.stopped]);
        }
        // The report printed is the state at exit (manifests added since the last look are loaded too).
        const manifests: ManifestReport | undefined = o.manifests ? await loadCohortManifests(store, o.manifests) : undefined;
        const stats = indexer.stats();
        const digest = await store.digest();
        ctx.print(
          { ...stats, digest, ...(manifests ? { manifests } : {}) },
          [`indexed to block ${stats.indexed} (head ${stats.head}, lag ${stats.lag}), ${stats.events} events`, `state digest ${digest}`, ...(manifests ? describeManifestReport(manifests) : [])],
        );
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await store.close();
      }
    }));
}
