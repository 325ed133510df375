/**
 * medprov SDK: typed clients and role facades over the ledger contracts.
 * This file is the SDK's one door; import from here.
 */
export * from "../core";
export { explain, policyShortfall, roleWords, type ExplainNames } from "../core";
export * from "./ids";
export * from "./tx";
export * from "./outbox";
export * from "../core";
export { writeFileDurably } from "../core";
export { ExternalSigner } from "./external-signer";
export { deploySafe, connectSafe, readSafe, safeCall, safeTxHash, signSafeTx, packSignatures, SAFE_TX_TYPES, type SafeTx, type OwnerSignature, type SafeDeployment } from "./safe";
export { proposeThroughSafe, parseProposal, signProposal, executeProposal, PROPOSAL_FORMAT, type GovernanceProposal, type ProposalStage, type ProposalExecution } from "./proposal";
export * from "./consent-signing";
export * from "./pseudonyms";
export { deployLedger, type DeployOptions, type FoundingMember } from "./deploy";
export { deploySuccessor, incidentIdRange, type SuccessorOptions } from "./generations";
export * from "../core";
export * from "./datasets/build";
export * from "./traces/record";
export * from "./traces/receipt";
export * from "./traces/indication-report";
export { TraceVault, VAULT_FORMAT, type AnchoredTrace, type QuarantinedTrace, type QuarantineCode, type TraceState } from "./traces/vault";
export { TraceBatcher, BatchRefusedError, anchorGasLimit, batchHeader, type BatcherOptions, type FlushedBatch, type Refusal } from "./traces/batcher";
export { Patient, consentHistory, consortiumHospitals, patientPseudonyms, joinedConsentHistory, type HospitalPseudonym, type SignedGrant, type SignedRevoke, type ConsentEvent } from "./roles/patient";
export { Hospital, type ReportInput, type DatasetRegistered } from "./roles/hospital";
export { Developer, parseModelCard, filingEvidence, type ModelCard, type FilingInput } from "./roles/developer";
export { indicationCatalogue, incidentCategories, memberNames, resolveCodes } from "./catalogue";
export { Regulator } from "./roles/regulator";
export { Appraiser, incidentGeneration, readIncident, receiptRecordHash, incidentReportOf, sharesArg, type IncidentFacts } from "./accountability/incidents";
export { proposeSplit, type Proposal, type ProposalInput } from "./accountability/proposal";
export * from "./accountability/evidence";
export { datasetLineage, type LineageAnswer } from "./datasets/lineage";
export { Governance, governedCalls, type GovernedCall, type Policy } from "./roles/governance";
export { Auditor, missingSequences, summarizeTraces, VERIFY_REASONS, type VersionTraceSummary, type LedgerFacts, type BatchFacts, type VerifyResult, type VerifyReason, type VerifyReasonCode, type ConsentAtTime } from "./roles/auditor";
