// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Severity, OutputFinding, LiabilityCase} from "../generated/MedprovConstants.sol";
import {IConsortiumErrors} from "./IConsortiumErrors.sol";

/// @title IIncidentRegistry
/// @notice Adverse events against anchored decision traces, the finding on the model's output, the
/// governed liability weighting and the APPRAISER's determination (issue 18, the paper's law pillar).
/// Only hashes, codes and chain times are stored: the trace is named by its batch and the record's
/// hash, proven against the anchored root; the narrative, follow-up and ruling stay off-chain under
/// their hashes. Incident ids run 1, 2, 3… in reporting order.
interface IIncidentRegistry is IConsortiumErrors {
    /// @notice Liability shares in basis points; they sum to 10,000.
    struct Shares {
        uint16 developer;
        uint16 hospital;
        uint16 clinician;
    }

    /// @notice What a hospital reports. `recordHash` is keccak256(abi.encode(record)) of the trace
    /// record at sequence `seq` of batch `batchId` (the tree leaf is its hash again); `versionId` is
    /// the model version the record names, checked only against the batch's declared versions here
    /// (an evidence pack proves it from the record). `occurredAt` is when the harm occurred.
    struct IncidentReport {
        bytes32 batchId;
        uint64 seq;
        bytes32 recordHash;
        bytes32 versionId;
        Severity severity;
        uint8 category;
        uint64 occurredAt;
        bytes32 narrativeHash;
    }

    /// @notice Stored per incident (hospital 0: unknown).
    struct Incident {
        uint32 hospital;
        Severity severity;
        uint8 category;
        OutputFinding finding;
        bool determined;
        uint64 occurredAt;
        uint64 reportedAt;
        uint64 seq;
        bytes32 batchId;
        bytes32 recordHash;
        bytes32 versionId;
        bytes32 narrativeHash;
    }

    /// @notice The APPRAISER's final determination of an incident.
    struct Determination {
        uint32 appraiser;
        uint64 determinedAt;
        Shares shares;
        bytes32 rulingHash;
    }

    /// @notice A hospital reported an adverse event against one of its anchored traces.
    event IncidentReported(uint64 indexed incidentId, uint32 indexed hospital, bytes32 indexed versionId, IncidentReport report);
    /// @notice The reporting hospital found whether the model's output was correct; `findingHash` is
    /// the hash of the follow-up that settles it, kept by the hospital.
    event FindingRecorded(uint64 indexed incidentId, uint32 indexed hospital, OutputFinding finding, bytes32 findingHash);
    /// @notice An APPRAISER member recorded the final liability determination.
    event DeterminationRecorded(uint64 indexed incidentId, uint32 indexed appraiser, Shares shares, bytes32 rulingHash);
    /// @notice Governance added a category to the incident category catalogue.
    event CategoryAdded(uint8 indexed category, string name);
    /// @notice Governance set the default weighting of a liability case (a proposal's starting point).
    event WeightingSet(LiabilityCase indexed liabilityCase, Shares shares);

    /// @notice No anchored batch has this id, or it is another hospital's (`batchHospital`, 0: none).
    error IncidentRegistryNotYourBatch(bytes32 batchId, uint32 hospital, uint32 batchHospital);
    /// @notice The proof does not place `recordHash` at `seq` under the batch's anchored root.
    error IncidentRegistryTraceNotInBatch(bytes32 batchId, uint64 seq, bytes32 recordHash);
    /// @notice The batch declared no record of `versionId`.
    error IncidentRegistryVersionNotInBatch(bytes32 batchId, bytes32 versionId);
    /// @notice The harm's time must lie between the batch window's start and this block's time.
    error IncidentRegistryInvalidTime(uint64 occurredAt, uint64 earliest, uint256 latest);
    /// @notice Severity NONE is not a severity.
    error IncidentRegistryInvalidSeverity(Severity severity);
    /// @notice The category id is not in the catalogue.
    error IncidentRegistryUnknownCategory(uint8 category);
    /// @notice The narrative's hash is zero: the hospital must anchor the narrative it keeps.
    error IncidentRegistryNarrativeMissing(bytes32 batchId, uint64 seq);
    /// @notice This trace already has an incident (one incident per trace; more facts go in its narrative).
    error IncidentRegistryAlreadyReported(bytes32 batchId, uint64 seq, uint64 incidentId);
    /// @notice No incident has this id.
    error IncidentRegistryUnknownIncident(uint64 incidentId);
    /// @notice Only the hospital that reported the incident records its finding.
    error IncidentRegistryNotReporter(uint64 incidentId, uint32 caller, uint32 reporter);
    /// @notice A finding needs a value other than NONE and the hash of its follow-up.
    error IncidentRegistryInvalidFinding(OutputFinding finding, bytes32 findingHash);
    /// @notice The incident's finding was recorded before; findings are not changed.
    error IncidentRegistryFindingExists(uint64 incidentId, OutputFinding finding);
    /// @notice The incident was determined before; a determination is final.
    error IncidentRegistryAlreadyDetermined(uint64 incidentId);
    /// @notice A determination's shares must sum to 10,000 (`sum`) and name the ruling's hash.
    error IncidentRegistryInvalidDetermination(uint256 sum, bytes32 rulingHash);
    /// @notice A weighting needs a case other than NONE and shares summing to 10,000 (`sum`).
    error IncidentRegistryInvalidWeighting(LiabilityCase liabilityCase, uint256 sum);
    /// @notice The category catalogue already holds the maximum number of categories.
    error IncidentRegistryCategoryCatalogueFull(uint256 max);
    /// @notice The category name is not canonical (the purposes' spelling rule).
    error IncidentRegistryCategoryNameNotCanonical(string name);
    /// @notice The catalogue already holds a category of this name.
    error IncidentRegistryCategoryNameTaken(string name);

    /// @notice Records an adverse event against a trace of the caller's hospital; caller: an active
    /// HOSPITAL key of the hospital that anchored batch `r.batchId`. `proof` places `r.recordHash`
    /// at `r.seq` under the anchored root (TraceAnchor.verifyTrace).
    /// @return incidentId the new incident's id
    function reportIncident(IncidentReport calldata r, bytes32[] calldata proof) external returns (uint64 incidentId);

    /// @notice Records, once and before any determination, whether the model's output was correct;
    /// caller: an active key of the reporting hospital (it holds the record and the follow-up).
    function recordFinding(uint64 incidentId, OutputFinding finding, bytes32 findingHash) external;

    /// @notice Records the final liability determination, once; caller: an active APPRAISER key.
    function recordDetermination(uint64 incidentId, Shares calldata shares, bytes32 rulingHash) external;

    /// @notice Adds an incident category. Governance only (AccessManager, delayed).
    /// @return category the new category id
    function addCategory(string calldata name) external returns (uint8 category);

    /// @notice Sets the default weighting of a liability case. Governance only (AccessManager, delayed).
    function setWeighting(LiabilityCase liabilityCase, Shares calldata shares) external;

    /// @notice Stored facts of an incident (hospital 0: unknown).
    function incident(uint64 incidentId) external view returns (Incident memory);

    /// @notice The determination of an incident (appraiser 0: none yet).
    function determination(uint64 incidentId) external view returns (Determination memory);

    /// @notice The incident reported against (batchId, seq), or 0.
    function incidentOf(bytes32 batchId, uint64 seq) external view returns (uint64);

    /// @notice Number of incidents reported to this registry (ids run firstIncidentId ..
    /// firstIncidentId + count - 1).
    function incidentCount() external view returns (uint64);

    /// @notice The id of this registry's first incident: 1 in a ledger's first generation; a
    /// successor generation's registry continues its predecessor's numbering, so an incident id names
    /// one incident across every generation of the ledger (the index, the API and receipts filed
    /// for an incident key on it).
    function firstIncidentId() external view returns (uint64);

    /// @notice The governed default weighting of a liability case.
    function weighting(LiabilityCase liabilityCase) external view returns (Shares memory);

    /// @notice Number of categories in the catalogue (ids run 0..count-1).
    function categoryCount() external view returns (uint8);
}
