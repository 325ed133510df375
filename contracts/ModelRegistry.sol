// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IDatasetRegistry} from "./interfaces/IDatasetRegistry.sol";
import {Catalogue} from "./lib/Catalogue.sol";
import {
    Role, RiskClass, VersionStatus, PolicyMetric, LineageUse, LineageBlock, FilingRequirement, MedprovConstants
} from "./generated/MedprovConstants.sol";

/// @title ModelRegistry
/// @notice See {IModelRegistry}.
/// @dev Invariant: only {approveVersion} and {reinstateVersion} make a version APPROVED, and neither
/// starts from RECALLED, so a recalled version is never approved again; both end in {_checkApprovable},
/// so no version becomes APPROVED while a training dataset or an ancestor is destroyed or suspended,
/// while its weights were ever recalled, or while it misses the current policy of its assigned class
/// (figures and filing evidence).
contract ModelRegistry is IModelRegistry, AccessManaged {
    using Catalogue for Catalogue.Masked;

    /// @notice 2.0.0: approvals carry indications from a governed catalogue; versions carry filing
    /// evidence (white paper, insurance) that the policy can require (ABI change, issue 18).
    string public constant VERSION = "2.0.0";

    IConsortium public immutable consortium;
    IDatasetRegistry public immutable datasets;

    mapping(bytes32 modelId => Model) private _models;
    mapping(bytes32 versionId => Version) private _versions;
    mapping(RiskClass riskClass => Policy) private _policies;
    mapping(bytes32 filingCodeHash => bool) private _filingCodes;
    mapping(bytes32 versionId => mapping(uint32 hospital => bool)) private _deployed;
    mapping(bytes32 reportId => bool) private _reports;
    mapping(bytes32 versionId => bytes32) private _weights;
    mapping(bytes32 versionId => bytes32[]) private _training;
    mapping(bytes32 weightsHash => bool) private _recalledWeights;
    mapping(bytes32 versionId => uint64) private _indications;
    mapping(bytes32 versionId => FilingEvidence) private _filings;
    Catalogue.Masked private _indicationCatalogue;

    constructor(address manager, IConsortium consortium_, IDatasetRegistry datasets_) AccessManaged(manager) {
        consortium = consortium_;
        datasets = datasets_;
        _setPolicy(
            RiskClass.HIGH,
            Policy(
                MedprovConstants.HIGH_MIN_AUC,
                MedprovConstants.HIGH_MAX_SUBGROUP_AUC_GAP,
                MedprovConstants.HIGH_MIN_BIAS_TEST_CASES,
                MedprovConstants.HIGH_MIN_GRASSROOTS_SHARE,
                MedprovConstants.HIGH_REQUIRES_WHITE_PAPER,
                MedprovConstants.HIGH_REQUIRES_INSURANCE
            )
        );
        _setPolicy(
            RiskClass.MEDIUM,
            Policy(
                MedprovConstants.MEDIUM_MIN_AUC,
                MedprovConstants.MEDIUM_MAX_SUBGROUP_AUC_GAP,
                MedprovConstants.MEDIUM_MIN_BIAS_TEST_CASES,
                MedprovConstants.MEDIUM_MIN_GRASSROOTS_SHARE,
                MedprovConstants.MEDIUM_REQUIRES_WHITE_PAPER,
                MedprovConstants.MEDIUM_REQUIRES_INSURANCE
            )
        );
        _setPolicy(
            RiskClass.LOW,
            Policy(
                MedprovConstants.LOW_MIN_AUC,
                MedprovConstants.LOW_MAX_SUBGROUP_AUC_GAP,
                MedprovConstants.LOW_MIN_BIAS_TEST_CASES,
                MedprovConstants.LOW_MIN_GRASSROOTS_SHARE,
                MedprovConstants.LOW_REQUIRES_WHITE_PAPER,
                MedprovConstants.LOW_REQUIRES_INSURANCE
            )
        );
        for (uint8 i = 0; i < MedprovConstants.DEFAULT_INDICATION_COUNT; ++i) {
            _addIndication(MedprovConstants.defaultIndicationName(i));
        }
    }

    // ───────────────────────────── developer ─────────────────────────────

    /// @inheritdoc IModelRegistry
    function registerModel(string calldata name, string calldata intendedUse, RiskClass riskClass)
        external
        returns (bytes32 modelId)
    {
        uint32 developer = consortium.requireMember(msg.sender, Role.MODEL_DEVELOPER);
        if (bytes(name).length == 0 || bytes(intendedUse).length == 0 || riskClass == RiskClass.NONE) {
            revert ModelRegistryInvalidModel(bytes(name).length, bytes(intendedUse).length, riskClass);
        }
        modelId = modelIdOf(developer, name);
        if (_models[modelId].developer != 0) revert ModelRegistryModelExists(modelId);
        _models[modelId] = Model(developer, riskClass);
        emit ModelRegistered(modelId, developer, riskClass, name, intendedUse);
    }

    /// @inheritdoc IModelRegistry
    function registerVersion(bytes32 modelId, VersionInput calldata input) external returns (bytes32 versionId) {
        uint32 developer = _requireDeveloperOf(modelId);
        _checkVersionInput(input);
        _checkParent(input.parent, developer);
        _checkTraining(input.trainingDatasets, input.evaluation.grassrootsShare);
        if (_recalledWeights[input.weightsHash]) revert ModelRegistryWeightsRecalled(input.weightsHash);
        versionId = versionIdOf(modelId, input.weightsHash);
        if (_versions[versionId].status != VersionStatus.NONE) revert ModelRegistryVersionExists(versionId);
        _versions[versionId] = Version(modelId, VersionStatus.SUBMITTED, input.evaluation, RiskClass.NONE);
        _weights[versionId] = input.weightsHash;
        _training[versionId] = input.trainingDatasets;
        emit VersionRegistered(versionId, modelId, developer, input);
        emit VersionStatusChanged(versionId, VersionStatus.NONE, VersionStatus.SUBMITTED, developer, 0);
        if (input.filing.whitePaperHash != 0 || input.filing.insurance.policyHash != 0) {
            _filings[versionId] = input.filing;
            emit FilingEvidenceFiled(versionId, developer, input.filing);
        }
    }

    /// @inheritdoc IModelRegistry
    function fileEvidence(bytes32 versionId, FilingEvidence calldata filing) external {
        Version storage v = _version(versionId);
        uint32 developer = _requireDeveloperOf(v.modelId);
        if (v.status == VersionStatus.RECALLED || v.status == VersionStatus.RETIRED) {
            revert ModelRegistryFilingClosed(versionId, v.status);
        }
        Insurance calldata i = filing.insurance;
        if (filing.whitePaperHash == 0 || i.policyHash == 0) _revertFiling(filing);
        _checkInsurance(filing);
        _filings[versionId] = filing;
        emit FilingEvidenceFiled(versionId, developer, filing);
    }

    /// @inheritdoc IModelRegistry
    function retireVersion(bytes32 versionId, bytes32 reason) external {
        Version storage v = _version(versionId);
        uint32 developer = _requireDeveloperOf(v.modelId);
        VersionStatus s = v.status;
        if (s != VersionStatus.SUBMITTED && s != VersionStatus.APPROVED && s != VersionStatus.SUSPENDED) {
            revert ModelRegistryInvalidTransition(versionId, s, VersionStatus.RETIRED);
        }
        _setStatus(versionId, v, VersionStatus.RETIRED, developer, reason);
    }

    // ───────────────────────────── regulator ─────────────────────────────

    /// @inheritdoc IModelRegistry
    function approveVersion(bytes32 versionId, string calldata filingCode, RiskClass riskClass, uint64 indications)
        external
    {
        uint32 regulator = consortium.requireMember(msg.sender, Role.REGULATOR);
        Version storage v = _version(versionId);
        if (v.status != VersionStatus.SUBMITTED) revert ModelRegistryInvalidTransition(versionId, v.status, VersionStatus.APPROVED);
        if (riskClass == RiskClass.NONE) revert ModelRegistryInvalidRiskClass(riskClass);
        bytes32 codeHash = keccak256(bytes(filingCode));
        if (bytes(filingCode).length == 0 || _filingCodes[codeHash]) revert ModelRegistryInvalidFilingCode(filingCode);
        if (indications == 0 || indications & ~_indicationCatalogue.mask != 0) {
            revert ModelRegistryInvalidIndications(versionId, indications, _indicationCatalogue.mask);
        }
        _checkApprovable(versionId, v.evaluation, riskClass);
        _filingCodes[codeHash] = true;
        v.riskClass = riskClass;
        _indications[versionId] = indications;
        _setStatus(versionId, v, VersionStatus.APPROVED, regulator, codeHash);
        emit VersionApproved(versionId, regulator, filingCode, riskClass, indications);
    }

    /// @inheritdoc IModelRegistry
    function suspendVersion(bytes32 versionId, bytes32 reason) external {
        _regulatorMove(versionId, VersionStatus.APPROVED, VersionStatus.SUSPENDED, reason);
    }

    /// @inheritdoc IModelRegistry
    function reinstateVersion(bytes32 versionId, bytes32 reason) external {
        uint32 regulator = consortium.requireMember(msg.sender, Role.REGULATOR);
        Version storage v = _version(versionId);
        if (v.status != VersionStatus.SUSPENDED) revert ModelRegistryInvalidTransition(versionId, v.status, VersionStatus.APPROVED);
        // A version is SUSPENDED only after an approval, so its class is assigned.
        _checkApprovable(versionId, v.evaluation, v.riskClass);
        _setStatus(versionId, v, VersionStatus.APPROVED, regulator, reason);
    }

    /// @inheritdoc IModelRegistry
    function recallVersion(bytes32 versionId, bytes32 reason) external {
        uint32 regulator = consortium.requireMember(msg.sender, Role.REGULATOR);
        Version storage v = _version(versionId);
        VersionStatus s = v.status;
        if (s != VersionStatus.APPROVED && s != VersionStatus.SUSPENDED && s != VersionStatus.RETIRED) {
            revert ModelRegistryInvalidTransition(versionId, s, VersionStatus.RECALLED);
        }
        _recalledWeights[_weights[versionId]] = true;
        _setStatus(versionId, v, VersionStatus.RECALLED, regulator, reason);
    }

    // ───────────────────────────── governance ─────────────────────────────

    /// @inheritdoc IModelRegistry
    function setPolicy(RiskClass riskClass, Policy calldata p) external restricted {
        _setPolicy(riskClass, p);
    }

    /// @inheritdoc IModelRegistry
    function addIndication(string calldata name) external restricted returns (uint8) {
        return _addIndication(name);
    }

    // ───────────────────────────── hospital ─────────────────────────────

    /// @inheritdoc IModelRegistry
    function recordDeployment(bytes32 versionId) external {
        uint32 hospital = consortium.requireMember(msg.sender, Role.HOSPITAL);
        VersionStatus s = _version(versionId).status;
        if (s != VersionStatus.APPROVED) revert ModelRegistryNotApproved(versionId, s);
        if (_deployed[versionId][hospital]) revert ModelRegistryAlreadyDeployed(versionId, hospital);
        _deployed[versionId][hospital] = true;
        emit DeploymentRecorded(versionId, hospital);
    }

    /// @inheritdoc IModelRegistry
    function fileReport(bytes32 versionId, PerformanceReport calldata report) external returns (bytes32 reportId) {
        uint32 hospital = consortium.requireMember(msg.sender, Role.HOSPITAL);
        Version storage v = _version(versionId);
        if (!_deployed[versionId][hospital]) revert ModelRegistryNotDeployed(versionId, hospital);
        reportId = reportIdOf(versionId, hospital, report.periodStart, report.periodEnd);
        if (
            _reports[reportId] || report.periodEnd < report.periodStart || report.periodEnd > block.timestamp
                || report.auc > MedprovConstants.BPS || report.reportHash == 0
                || report.subgroups.length > MedprovConstants.MAX_SUBGROUPS
        ) revert ModelRegistryInvalidReport(reportId);
        _reports[reportId] = true;
        uint32 gap = _subgroupGap(reportId, report.subgroups);
        emit PerformanceReported(versionId, hospital, reportId, report);
        // Deployed implies approved, so the version's assigned class is set.
        Policy storage p = _policies[v.riskClass];
        if (gap > p.maxSubgroupAucGap) emit FairnessAlert(versionId, hospital, reportId, gap, p.maxSubgroupAucGap);
        if (report.auc < p.minAuc) emit PerformanceAlert(versionId, hospital, reportId, report.auc, p.minAuc);
    }

    // ───────────────────────────── views ─────────────────────────────

    /// @inheritdoc IModelRegistry
    function policy(RiskClass riskClass) external view returns (Policy memory) {
        return _policies[riskClass];
    }

    /// @inheritdoc IModelRegistry
    function approvedIndications(bytes32 versionId) external view returns (uint64) {
        return _indications[versionId];
    }

    /// @inheritdoc IModelRegistry
    function filingEvidence(bytes32 versionId) external view returns (FilingEvidence memory) {
        return _filings[versionId];
    }

    /// @inheritdoc IModelRegistry
    function indicationCount() external view returns (uint8) {
        return _indicationCatalogue.count;
    }

    /// @inheritdoc IModelRegistry
    function indicationMask() external view returns (uint64) {
        return _indicationCatalogue.mask;
    }

    /// @inheritdoc IModelRegistry
    function model(bytes32 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// @inheritdoc IModelRegistry
    function version(bytes32 versionId) external view returns (Version memory) {
        return _versions[versionId];
    }

    /// @inheritdoc IModelRegistry
    function trainingDatasetsOf(bytes32 versionId) external view returns (bytes32[] memory) {
        return _training[versionId];
    }

    /// @inheritdoc IModelRegistry
    function weightsRecalled(bytes32 weightsHash) external view returns (bool) {
        return _recalledWeights[weightsHash];
    }

    /// @inheritdoc IModelRegistry
    function versionStatus(bytes32 versionId) external view returns (VersionStatus) {
        return _versions[versionId].status;
    }

    /// @inheritdoc IModelRegistry
    function isDeployed(bytes32 versionId, uint32 hospital) external view returns (bool) {
        return _deployed[versionId][hospital];
    }

    /// @inheritdoc IModelRegistry
    function modelIdOf(uint32 developer, string calldata name) public pure returns (bytes32) {
        return keccak256(abi.encode(developer, name));
    }

    /// @inheritdoc IModelRegistry
    function versionIdOf(bytes32 modelId, bytes32 weightsHash) public pure returns (bytes32) {
        return keccak256(abi.encode(modelId, weightsHash));
    }

    /// @inheritdoc IModelRegistry
    function reportIdOf(bytes32 versionId, uint32 hospital, uint64 periodStart, uint64 periodEnd)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(versionId, hospital, periodStart, periodEnd));
    }

    // ───────────────────────────── internals ─────────────────────────────

    function _regulatorMove(bytes32 versionId, VersionStatus from, VersionStatus to, bytes32 reason) private {
        uint32 regulator = consortium.requireMember(msg.sender, Role.REGULATOR);
        Version storage v = _version(versionId);
        if (v.status != from) revert ModelRegistryInvalidTransition(versionId, v.status, to);
        _setStatus(versionId, v, to, regulator, reason);
    }

    function _setStatus(bytes32 versionId, Version storage v, VersionStatus to, uint32 actor, bytes32 reason) private {
        VersionStatus previous = v.status;
        v.status = to;
        emit VersionStatusChanged(versionId, previous, to, actor, reason);
    }

    function _requireDeveloperOf(bytes32 modelId) private view returns (uint32 developer) {
        developer = consortium.requireMember(msg.sender, Role.MODEL_DEVELOPER);
        uint32 owner = _models[modelId].developer;
        if (owner == 0) revert ModelRegistryUnknownModel(modelId);
        if (owner != developer) revert ModelRegistryNotDeveloper(modelId, developer, owner);
    }

    function _version(bytes32 versionId) private view returns (Version storage v) {
        v = _versions[versionId];
        if (v.status == VersionStatus.NONE) revert ModelRegistryUnknownVersion(versionId);
    }

    function _checkVersionInput(VersionInput calldata input) private pure {
        _checkInsurance(input.filing);
        Evaluation calldata e = input.evaluation;
        uint256 n = input.trainingDatasets.length;
        uint256 largest = _max(_max(_max(e.auc, e.sensitivity), _max(e.specificity, e.subgroupAucGap)), e.grassrootsShare);
        if (
            input.weightsHash == 0 || input.modelCardHash == 0 || n == 0 || n > MedprovConstants.MAX_LIST_LENGTH
                || largest > MedprovConstants.BPS
        ) {
            revert ModelRegistryInvalidVersion(
                input.weightsHash, input.modelCardHash, n, MedprovConstants.MAX_LIST_LENGTH, largest
            );
        }
    }

    /// @dev An insurance reference is all zero (none) or names insurer and policy with start ≤ end.
    function _checkInsurance(FilingEvidence calldata f) private pure {
        Insurance calldata i = f.insurance;
        bool none = i.insurerHash == 0 && i.policyHash == 0 && i.coverageStart == 0 && i.coverageEnd == 0;
        if (!none && (i.insurerHash == 0 || i.policyHash == 0 || i.coverageStart > i.coverageEnd)) _revertFiling(f);
    }

    function _revertFiling(FilingEvidence calldata f) private pure {
        Insurance calldata i = f.insurance;
        revert ModelRegistryInvalidFilingEvidence(f.whitePaperHash, i.insurerHash, i.policyHash, i.coverageStart, i.coverageEnd);
    }

    /// @dev The filing evidence the class's policy requires, judged at this block's time.
    function _checkFiling(bytes32 versionId, Policy memory p) private view {
        FilingEvidence storage f = _filings[versionId];
        if (p.requiresWhitePaper && f.whitePaperHash == 0) {
            revert ModelRegistryFilingEvidenceMissing(versionId, FilingRequirement.WHITE_PAPER);
        }
        if (!p.requiresInsurance) return;
        Insurance storage i = f.insurance;
        if (i.policyHash == 0) revert ModelRegistryFilingEvidenceMissing(versionId, FilingRequirement.INSURANCE);
        if (block.timestamp < i.coverageStart || block.timestamp > i.coverageEnd) {
            revert ModelRegistryInsuranceNotInForce(versionId, i.coverageStart, i.coverageEnd, block.timestamp);
        }
    }

    function _addIndication(string memory name) private returns (uint8 indication) {
        indication = _indicationCatalogue.add(name, MedprovConstants.MAX_INDICATIONS, ModelRegistryIndicationCatalogueFull.selector,
            ModelRegistryIndicationNameNotCanonical.selector, ModelRegistryIndicationNameTaken.selector);
        emit IndicationAdded(indication, name);
    }

    function _max(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a : b;
    }

    function _checkParent(bytes32 parent, uint32 developer) private view {
        if (parent == 0) return;
        uint32 parentDeveloper = _models[_version(parent).modelId].developer;
        if (parentDeveloper != developer) revert ModelRegistryParentOfAnotherDeveloper(parent, developer, parentDeveloper);
    }

    /// @dev Purpose, lineage bound, lineage rule (TRAINING) and the grassroots share: a mixture of the
    /// datasets holds at most the largest of their registered grassroots shares. Declaring less is
    /// allowed (it can only make approval harder); claiming more than the data holds is refused.
    function _checkTraining(bytes32[] calldata ids, uint16 grassrootsShare) private view {
        uint256 lineage;
        uint16 highest;
        for (uint256 i = 0; i < ids.length; ++i) {
            IDatasetRegistry.Dataset memory d = datasets.dataset(ids[i]);
            if (d.custodian == 0 || (d.allowedPurposes >> MedprovConstants.PURPOSE_MODEL_TRAINING) & 1 == 0) {
                revert ModelRegistryDatasetNotForTraining(ids[i]);
            }
            lineage += d.lineageSize;
            if (d.grassrootsBps > highest) highest = d.grassrootsBps;
        }
        if (lineage > MedprovConstants.MAX_TRAINING_LINEAGE) {
            revert ModelRegistryLineageTooLarge(lineage, MedprovConstants.MAX_TRAINING_LINEAGE);
        }
        if (grassrootsShare > highest) revert ModelRegistryGrassrootsShareUnsupported(grassrootsShare, highest);
        _checkLineage(ids, LineageUse.TRAINING);
    }

    /// @dev Bounded: registration kept the summed lineage of these datasets at most MAX_TRAINING_LINEAGE.
    function _checkLineage(bytes32[] memory ids, LineageUse use) private view {
        for (uint256 i = 0; i < ids.length; ++i) {
            (LineageBlock reason, bytes32 blockedBy) = datasets.usableFor(ids[i], use);
            if (reason != LineageBlock.NONE) revert ModelRegistryDatasetNotUsable(ids[i], use, blockedBy, reason);
        }
    }

    /// @dev What every move into APPROVED checks (approve and reinstate), against the policy now in force.
    function _checkApprovable(bytes32 versionId, Evaluation memory e, RiskClass riskClass) private view {
        bytes32 weights = _weights[versionId];
        if (_recalledWeights[weights]) revert ModelRegistryWeightsRecalled(weights);
        _checkLineage(_training[versionId], LineageUse.APPROVAL);
        Policy memory p = _policies[riskClass];
        _checkPolicy(versionId, e, p);
        _checkFiling(versionId, p);
    }

    function _checkPolicy(bytes32 versionId, Evaluation memory e, Policy memory p) private pure {
        if (e.auc < p.minAuc) revert ModelRegistryPolicyNotMet(versionId, PolicyMetric.AUC, e.auc, p.minAuc);
        if (e.subgroupAucGap > p.maxSubgroupAucGap) {
            revert ModelRegistryPolicyNotMet(versionId, PolicyMetric.SUBGROUP_AUC_GAP, e.subgroupAucGap, p.maxSubgroupAucGap);
        }
        if (e.biasTestCases < p.minBiasTestCases) {
            revert ModelRegistryPolicyNotMet(versionId, PolicyMetric.BIAS_TEST_CASES, e.biasTestCases, p.minBiasTestCases);
        }
        if (e.grassrootsShare < p.minGrassrootsShare) {
            revert ModelRegistryPolicyNotMet(versionId, PolicyMetric.GRASSROOTS_SHARE, e.grassrootsShare, p.minGrassrootsShare);
        }
    }

    function _setPolicy(RiskClass riskClass, Policy memory p) private {
        if (
            riskClass == RiskClass.NONE || p.minAuc > MedprovConstants.BPS || p.maxSubgroupAucGap > MedprovConstants.BPS
                || p.minGrassrootsShare > MedprovConstants.BPS
        ) revert ModelRegistryInvalidPolicy(riskClass);
        _policies[riskClass] = p;
        emit PolicySet(riskClass, p);
    }

    /// @dev Largest minus smallest subgroup AUC; zero with fewer than two subgroups.
    function _subgroupGap(bytes32 reportId, SubgroupFigure[] calldata groups) private pure returns (uint32) {
        if (groups.length < 2) return 0;
        uint16 lo = type(uint16).max;
        uint16 hi;
        for (uint256 i = 0; i < groups.length; ++i) {
            uint16 auc = groups[i].auc;
            if (auc > MedprovConstants.BPS) revert ModelRegistryInvalidReport(reportId);
            if (auc < lo) lo = auc;
            if (auc > hi) hi = auc;
        }
        return hi - lo;
    }
}
