/**
 * medprov's core: what every layer may import — errors with names and their plain-words
 * explanations, the deployment manifest, the contract factories, chain time, durable files and the
 * index's rows — and nothing that writes to the ledger (no role facades, no trace pipeline, no
 * outbox, no deployment of contracts). The indexer, the embedded chain and the API's read side
 * import this door rather than the SDK's; test/layering.test.ts keeps it so.
 */
export * from "./errors";
export * from "./explain";
export * from "./contracts";
export * from "./deployment";
export * from "./generations";
export * from "./chain-time";
export * from "./block-ranges";
export * from "./durable-file";
export * as Rows from "./rows";
