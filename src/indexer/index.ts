/**
 * medprov indexer: every ledger event into LevelDB, resumable and reorg-safe, with as-of queries
 * and a state digest equal on every member. This file is the indexer's one door.
 */
export { createIndexer, FatalIndexerError, type Indexer, type IndexerOptions, type IndexerStats, type Logger, type RpcSender } from "./sync";
export { createQueries, type Queries } from "./queries";
export { IndexStore } from "./store";
export { INDEXED } from "./handlers";
export { httpRpc, RpcCallError } from "./rpc";
export { loadCohortManifests, followCohortManifests, describeManifestReport, manifestFiles, type ManifestReport } from "./manifests";
