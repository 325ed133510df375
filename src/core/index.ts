/**
 * medprov's core: what every layer may import — errors with names, the deployment manifest,
 * the contract factories, chain time and durable files — and nothing that writes to the ledger
 * (no role facades, no trace pipeline, no outbox). The indexer, the embedded chain and the API's
 * read side import this door rather than the SDK's; test/layering.test.ts keeps it so.
 *
 * The modules still live under src/sdk (the SDK's door re-exports them too); this door fixes
 * which of them are core, so moving them later changes no importer.
 */
export { MedprovError, InputError, LedgerRevertError, toDomainError } from "../sdk/errors";
export { FACTORIES } from "../sdk/contracts";
export { CONTRACT_NAMES, parseDeployment, readDeployment, connectLedger, type Deployment, type ContractName, type LedgerContracts } from "../sdk/deployment";
export { chainNow, isoOf, type ChainNow } from "../sdk/chain-time";
export { writeFileDurably } from "../sdk/durable-file";
export * as Rows from "./rows";
