// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {
    RiskClass, VersionStatus, PolicyMetric, LineageUse, LineageBlock, FilingRequirement
} from "../generated/MedprovConstants.sol";
import {IConsortiumErrors} from "./IConsortiumErrors.sol";

/// @title IModelRegistry
/// @notice Models, versions with training-data lineage and evaluation figures, regulator approval
/// against a governed per-risk-class policy (figures and filing evidence), the version's approved
/// indications from a governed catalogue, deployments and post-market reports (DESIGN §4.4, issue 18).
interface IModelRegistry is IConsortiumErrors {
    /// @notice Evaluation figures of a version, in basis points except the case count.
    struct Evaluation {
        uint16 auc;
        uint16 sensitivity;
        uint16 specificity;
        uint16 subgroupAucGap; // largest AUC difference between subgroups
        uint32 biasTestCases;
        uint16 grassrootsShare; // share of primary-care data in training; at most the largest training dataset's registered share
    }

    /// @notice A product liability insurance reference: hashes of the insurer's name and of the
    /// policy document (both kept off-chain by the developer) and the coverage period in chain time.
    /// All zero: no insurance on file.
    struct Insurance {
        bytes32 insurerHash;
        bytes32 policyHash;
        uint64 coverageStart;
        uint64 coverageEnd; // inclusive
    }

    /// @notice Filing evidence of a version: the algorithm safety white paper's hash (zero: none
    /// filed) and its liability insurance.
    struct FilingEvidence {
        bytes32 whitePaperHash;
        Insurance insurance;
    }

    /// @notice What a developer registers for a version.
    struct VersionInput {
        bytes32 parent; // zero for a first version
        bytes32 weightsHash;
        bytes32 modelCardHash;
        bytes32[] trainingDatasets;
        Evaluation evaluation;
        FilingEvidence filing;
    }

    /// @notice Approval thresholds for one risk class, and the filing evidence it requires: a white
    /// paper on file, and insurance whose coverage holds at the approving block.
    struct Policy {
        uint32 minAuc;
        uint32 maxSubgroupAucGap;
        uint32 minBiasTestCases;
        uint32 minGrassrootsShare;
        bool requiresWhitePaper;
        bool requiresInsurance;
    }

    /// @notice One subgroup's real-world figures in a performance report. `subgroup` is a band
    /// label such as "sex:FEMALE" or "region:WEST", never an identifier.
    struct SubgroupFigure {
        bytes32 subgroup;
        uint16 auc;
        uint32 cases;
    }

    /// @notice A hospital's post-market performance report for one period.
    struct PerformanceReport {
        uint64 periodStart;
        uint64 periodEnd;
        uint32 cases;
        uint16 auc;
        SubgroupFigure[] subgroups;
        bytes32 reportHash; // hash of the full report kept by the hospital
    }

    /// @notice Stored per model. `riskClass` is the developer's proposal; the regulator assigns the
    /// class a version is held to when it approves it.
    struct Model {
        uint32 developer;
        RiskClass riskClass;
    }

    /// @notice Stored per version. `riskClass` is the class the regulator assigned at approval (NONE
    /// before); reinstatement and post-market reports are held to that class's current policy.
    struct Version {
        bytes32 modelId;
        VersionStatus status;
        Evaluation evaluation;
        RiskClass riskClass;
    }

    /// @notice A developer registered a model.
    event ModelRegistered(bytes32 indexed modelId, uint32 indexed developer, RiskClass riskClass, string name, string intendedUse);
    /// @notice A developer registered a version of `modelId`; status SUBMITTED.
    event VersionRegistered(bytes32 indexed versionId, bytes32 indexed modelId, uint32 indexed developer, VersionInput input);
    /// @notice A version's status changed. `actor` is the organisation that moved it; `reason` is the
    /// hash of the regulator's or developer's notice (zero when none).
    event VersionStatusChanged(
        bytes32 indexed versionId, VersionStatus previous, VersionStatus status, uint32 indexed actor, bytes32 reason
    );
    /// @notice A regulator approved a version under a unique filing code, holding it to `riskClass`,
    /// for the indications in `indications` (bit i = indication i of the catalogue).
    event VersionApproved(
        bytes32 indexed versionId, uint32 indexed regulator, string filingCode, RiskClass riskClass, uint64 indications
    );
    /// @notice Governance added `indication` to the indication catalogue under `name`.
    event IndicationAdded(uint8 indexed indication, string name);
    /// @notice The version's filing evidence (white paper, insurance) now on file: at registration
    /// and at each later {fileEvidence}. The latest event before a time is what was on file then.
    event FilingEvidenceFiled(bytes32 indexed versionId, uint32 indexed developer, FilingEvidence filing);
    /// @notice Governance set the approval policy of a risk class.
    event PolicySet(RiskClass indexed riskClass, Policy policy);
    /// @notice A hospital deployed an approved version.
    event DeploymentRecorded(bytes32 indexed versionId, uint32 indexed hospital);
    /// @notice A hospital filed a post-market performance report.
    event PerformanceReported(bytes32 indexed versionId, uint32 indexed hospital, bytes32 indexed reportId, PerformanceReport report);
    /// @notice A report's subgroup AUC gap exceeded the policy limit of the version's risk class.
    event FairnessAlert(bytes32 indexed versionId, uint32 indexed hospital, bytes32 indexed reportId, uint32 gap, uint32 limit);
    /// @notice A report's overall AUC fell below the minimum AUC of the version's risk class.
    event PerformanceAlert(bytes32 indexed versionId, uint32 indexed hospital, bytes32 indexed reportId, uint32 auc, uint32 minAuc);

    /// @notice No model has this id.
    error ModelRegistryUnknownModel(bytes32 modelId);
    /// @notice No version has this id.
    error ModelRegistryUnknownVersion(bytes32 versionId);
    /// @notice The developer already has a model of this name.
    error ModelRegistryModelExists(bytes32 modelId);
    /// @notice The model already has a version with these weights.
    error ModelRegistryVersionExists(bytes32 versionId);
    /// @notice A model needs a name (`nameLength` bytes), an intended use (`intendedUseLength` bytes)
    /// and a risk class other than NONE (`riskClass`).
    error ModelRegistryInvalidModel(uint256 nameLength, uint256 intendedUseLength, RiskClass riskClass);
    /// @notice A version needs non-zero `weightsHash` and `modelCardHash`, 1 to `maxDatasets` training
    /// datasets (it lists `trainingDatasets`) and evaluation figures of at most 10,000 bps (its
    /// largest is `largestFigure`).
    error ModelRegistryInvalidVersion(
        bytes32 weightsHash, bytes32 modelCardHash, uint256 trainingDatasets, uint256 maxDatasets, uint256 largestFigure
    );
    /// @notice The caller's organisation is not the model's developer.
    error ModelRegistryNotDeveloper(bytes32 modelId, uint32 caller, uint32 developer);
    /// @notice A training dataset is unknown or does not allow MODEL_TRAINING.
    error ModelRegistryDatasetNotForTraining(bytes32 datasetId);
    /// @notice The lineage rule (DatasetRegistry.usableFor) refuses `use` of a training dataset
    /// because of `reason`, a state of `blockedBy` (the dataset or one of its ancestors).
    error ModelRegistryDatasetNotUsable(bytes32 datasetId, LineageUse use, bytes32 blockedBy, LineageBlock reason);
    /// @notice The training datasets' lineages together exceed MAX_TRAINING_LINEAGE.
    error ModelRegistryLineageTooLarge(uint256 size, uint256 max);
    /// @notice The parent version belongs to another developer; a version revises its own developer's work.
    error ModelRegistryParentOfAnotherDeveloper(bytes32 parent, uint32 developer, uint32 parentDeveloper);
    /// @notice The declared grassroots share exceeds the largest registered share among the training
    /// datasets, which no mixture of them can exceed.
    error ModelRegistryGrassrootsShareUnsupported(uint16 declared, uint16 highest);
    /// @notice Weights that were recalled (under any model) are never registered or approved again.
    error ModelRegistryWeightsRecalled(bytes32 weightsHash);
    /// @notice A regulator must assign a risk class (not NONE) at approval.
    error ModelRegistryInvalidRiskClass(RiskClass riskClass);
    /// @notice The move is not allowed from the version's current status.
    error ModelRegistryInvalidTransition(bytes32 versionId, VersionStatus status, VersionStatus requested);
    /// @notice The version misses its risk class's policy on `metric`.
    error ModelRegistryPolicyNotMet(bytes32 versionId, PolicyMetric metric, uint256 actual, uint256 required);
    /// @notice The filing code is empty or was used before.
    error ModelRegistryInvalidFilingCode(string filingCode);
    /// @notice The policy is out of range (a bps figure above 10,000) or the risk class is NONE.
    error ModelRegistryInvalidPolicy(RiskClass riskClass);
    /// @notice The version is not APPROVED.
    error ModelRegistryNotApproved(bytes32 versionId, VersionStatus status);
    /// @notice The hospital already recorded a deployment of this version.
    error ModelRegistryAlreadyDeployed(bytes32 versionId, uint32 hospital);
    /// @notice The hospital never deployed this version.
    error ModelRegistryNotDeployed(bytes32 versionId, uint32 hospital);
    /// @notice A report for the same version, hospital and period exists, or the report is malformed.
    error ModelRegistryInvalidReport(bytes32 reportId);
    /// @notice An approval names no indication, or one outside the catalogue (`catalogue`: its mask).
    error ModelRegistryInvalidIndications(bytes32 versionId, uint64 indications, uint64 catalogue);
    /// @notice The indication catalogue already holds the maximum number of indications.
    error ModelRegistryIndicationCatalogueFull(uint256 max);
    /// @notice The indication name is not canonical (the purposes' rule: words of A–Z and 0–9 joined
    /// by single underscores, at most MAX_PURPOSE_NAME_LENGTH bytes).
    error ModelRegistryIndicationNameNotCanonical(string name);
    /// @notice The catalogue already holds an indication of this name.
    error ModelRegistryIndicationNameTaken(string name);
    /// @notice A RECALLED or RETIRED version takes no new filing evidence.
    error ModelRegistryFilingClosed(bytes32 versionId, VersionStatus status);
    /// @notice The version's risk class requires `requirement` at approval and none is on file.
    error ModelRegistryFilingEvidenceMissing(bytes32 versionId, FilingRequirement requirement);
    /// @notice The class requires insurance valid at approval; the coverage on file does not hold at `at`.
    error ModelRegistryInsuranceNotInForce(bytes32 versionId, uint64 coverageStart, uint64 coverageEnd, uint256 at);
    /// @notice An insurance reference needs both hashes and coverageStart ≤ coverageEnd, or all zero
    /// (none); a {fileEvidence} needs a white paper and an insurance reference.
    error ModelRegistryInvalidFilingEvidence(
        bytes32 whitePaperHash, bytes32 insurerHash, bytes32 policyHash, uint64 coverageStart, uint64 coverageEnd
    );

    /// @notice Registers a model; caller: an active MODEL_DEVELOPER key. `riskClass` is the developer's
    /// proposal; the regulator assigns the class each version is held to at {approveVersion}.
    function registerModel(string calldata name, string calldata intendedUse, RiskClass riskClass) external returns (bytes32 modelId);

    /// @notice Registers a version of one of the caller's models; status SUBMITTED. The parent (if any)
    /// must be the same developer's; every training dataset must allow MODEL_TRAINING and be usable for
    /// TRAINING (DatasetRegistry.usableFor); the grassroots share may not exceed the largest of theirs.
    /// `input.filing` may be empty (the policy decides at approval whether that is enough); an
    /// insurance reference, when given, must be well formed ({ModelRegistryInvalidFilingEvidence}).
    function registerVersion(bytes32 modelId, VersionInput calldata input) external returns (bytes32 versionId);

    /// @notice SUBMITTED → APPROVED under `filingCode`, held to `riskClass` (the regulator's class; the
    /// model's is only the developer's proposal), for `indications` (a non-empty bitmask within the
    /// indication catalogue); caller: an active REGULATOR key. Reverts with
    /// {ModelRegistryPolicyNotMet} when the evaluation misses that class's policy,
    /// {ModelRegistryFilingEvidenceMissing} / {ModelRegistryInsuranceNotInForce} when the class
    /// requires a white paper or insurance in force and the version has none,
    /// {ModelRegistryInvalidIndications} for an empty or unknown indication set,
    /// {ModelRegistryDatasetNotUsable} when a training dataset (or an ancestor) is now destroyed,
    /// suspended or otherwise refused for APPROVAL, {ModelRegistryWeightsRecalled} for recalled weights.
    function approveVersion(bytes32 versionId, string calldata filingCode, RiskClass riskClass, uint64 indications) external;

    /// @notice Replaces a version's filing evidence (a revised white paper, a renewed insurance
    /// policy); caller: a key of the model's developer; the version must not be RECALLED or RETIRED.
    /// Both a white paper and an insurance reference are required (evidence is never withdrawn).
    function fileEvidence(bytes32 versionId, FilingEvidence calldata filing) external;

    /// @notice Adds an indication to the catalogue. Governance only (AccessManager, delayed).
    /// @return indication the new indication id
    function addIndication(string calldata name) external returns (uint8 indication);

    /// @notice APPROVED → SUSPENDED; caller: an active REGULATOR key.
    function suspendVersion(bytes32 versionId, bytes32 reason) external;

    /// @notice SUSPENDED → APPROVED; caller: an active REGULATOR key. Re-checks what approval checks,
    /// against the policy in force now for the class assigned at approval.
    function reinstateVersion(bytes32 versionId, bytes32 reason) external;

    /// @notice APPROVED, SUSPENDED or RETIRED → RECALLED (final); caller: an active REGULATOR key.
    /// The version's weights hash is barred from registration and approval under any model.
    function recallVersion(bytes32 versionId, bytes32 reason) external;

    /// @notice SUBMITTED, APPROVED or SUSPENDED → RETIRED; caller: a key of the model's developer.
    function retireVersion(bytes32 versionId, bytes32 reason) external;

    /// @notice Sets a risk class's approval policy. Governance only (AccessManager, delayed).
    function setPolicy(RiskClass riskClass, Policy calldata policy) external;

    /// @notice Records that the caller's hospital deployed an APPROVED version.
    function recordDeployment(bytes32 versionId) external;

    /// @notice Files a post-market report for a version the caller's hospital deployed; emits
    /// {FairnessAlert} when the subgroup AUC gap exceeds policy and {PerformanceAlert} when the overall
    /// AUC is below it (whatever the number of subgroups).
    function fileReport(bytes32 versionId, PerformanceReport calldata report) external returns (bytes32 reportId);

    /// @notice The policy of a risk class.
    function policy(RiskClass riskClass) external view returns (Policy memory);

    /// @notice The indications a version was approved for (bitmask; 0 before approval).
    function approvedIndications(bytes32 versionId) external view returns (uint64);

    /// @notice The filing evidence on file now for a version.
    function filingEvidence(bytes32 versionId) external view returns (FilingEvidence memory);

    /// @notice Number of indications in the catalogue (ids run 0..count-1).
    function indicationCount() external view returns (uint8);

    /// @notice Bitmask of all catalogue indications (bit i = indication i).
    function indicationMask() external view returns (uint64);

    /// @notice Stored facts of a model (developer 0: unknown).
    function model(bytes32 modelId) external view returns (Model memory);

    /// @notice Stored facts of a version (status NONE: unknown).
    function version(bytes32 versionId) external view returns (Version memory);

    /// @notice The training datasets a version was registered with.
    function trainingDatasetsOf(bytes32 versionId) external view returns (bytes32[] memory);

    /// @notice True once a version with these weights was recalled.
    function weightsRecalled(bytes32 weightsHash) external view returns (bool);

    /// @notice Just the status of a version; what the trace anchor checks.
    function versionStatus(bytes32 versionId) external view returns (VersionStatus);

    /// @notice Whether `hospital` recorded a deployment of the version ({recordDeployment}); the
    /// trace anchor refuses traces of versions a hospital never deployed.
    function isDeployed(bytes32 versionId, uint32 hospital) external view returns (bool);

    /// @notice keccak256(abi.encode(developer, name)), mirrored by the SDK.
    function modelIdOf(uint32 developer, string calldata name) external pure returns (bytes32);

    /// @notice keccak256(abi.encode(modelId, weightsHash)), mirrored by the SDK.
    function versionIdOf(bytes32 modelId, bytes32 weightsHash) external pure returns (bytes32);

    /// @notice keccak256(abi.encode(versionId, hospital, periodStart, periodEnd)), mirrored by the SDK.
    function reportIdOf(bytes32 versionId, uint32 hospital, uint64 periodStart, uint64 periodEnd) external pure returns (bytes32);
}
