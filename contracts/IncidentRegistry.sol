// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IIncidentRegistry} from "./interfaces/IIncidentRegistry.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {ITraceAnchor} from "./interfaces/ITraceAnchor.sol";
import {Catalogue} from "./lib/Catalogue.sol";
import {Role, Severity, OutputFinding, LiabilityCase, MedprovConstants} from "./generated/MedprovConstants.sol";

/// @title IncidentRegistry
/// @notice See {IIncidentRegistry}.
/// @dev The default weighting is the source paper's example: a clinician who adopted a wrong
/// suggestion → developer 40% / clinician 60%; a clinician who rejected a correct one → "reversed",
/// read literally as developer 60% / clinician 40% (src/constants/spec.ts DEFAULT_WEIGHTING says why:
/// under the presumption of fault a developer proving every duty is dropped from the proposal, so
/// the 60% bites only when the developer failed a duty too). The weighting only seeds a proposal;
/// the determination is the APPRAISER's and is not checked against it.
contract IncidentRegistry is IIncidentRegistry, AccessManaged {
    string public constant VERSION = "1.1.0";

    IConsortium public immutable consortium;
    ITraceAnchor public immutable traces;
    /// @inheritdoc IIncidentRegistry
    uint64 public immutable firstIncidentId;

    mapping(uint64 incidentId => Incident) private _incidents;
    mapping(uint64 incidentId => Determination) private _determinations;
    mapping(bytes32 batchId => mapping(uint64 seq => uint64 incidentId)) private _byTrace;
    mapping(LiabilityCase liabilityCase => Shares) private _weighting;
    mapping(bytes32 nameHash => bool) private _categoryNames;
    uint64 private _incidentCount;
    uint8 private _categoryCount;

    /// @param incidentsBefore The ids earlier generations of the ledger issued (their registries'
    /// firstIncidentId - 1 + incidentCount; 0 for a first generation): this registry numbers on from
    /// there, so no two generations share an incident id.
    constructor(address manager, IConsortium consortium_, ITraceAnchor traces_, uint64 incidentsBefore) AccessManaged(manager) {
        consortium = consortium_;
        traces = traces_;
        firstIncidentId = incidentsBefore + 1;
        for (uint8 i = 0; i < MedprovConstants.DEFAULT_INCIDENT_CATEGORY_COUNT; ++i) {
            _addCategory(MedprovConstants.defaultIncidentCategoryName(i));
        }
        _setWeighting(
            LiabilityCase.ADOPTED_WRONG,
            Shares(
                MedprovConstants.WEIGHT_ADOPTED_WRONG_DEVELOPER,
                MedprovConstants.WEIGHT_ADOPTED_WRONG_HOSPITAL,
                MedprovConstants.WEIGHT_ADOPTED_WRONG_CLINICIAN
            )
        );
        _setWeighting(
            LiabilityCase.REJECTED_CORRECT,
            Shares(
                MedprovConstants.WEIGHT_REJECTED_CORRECT_DEVELOPER,
                MedprovConstants.WEIGHT_REJECTED_CORRECT_HOSPITAL,
                MedprovConstants.WEIGHT_REJECTED_CORRECT_CLINICIAN
            )
        );
    }

    // ───────────────────────────── hospital ─────────────────────────────

    /// @inheritdoc IIncidentRegistry
    function reportIncident(IncidentReport calldata r, bytes32[] calldata proof) external returns (uint64 incidentId) {
        uint32 hospital = consortium.requireMember(msg.sender, Role.HOSPITAL);
        ITraceAnchor.BatchHeader memory b = traces.batchHeader(r.batchId);
        if (b.root == 0 || b.hospital != hospital) revert IncidentRegistryNotYourBatch(r.batchId, hospital, b.hospital);
        if (!traces.verifyTrace(r.batchId, r.seq, r.recordHash, proof)) {
            revert IncidentRegistryTraceNotInBatch(r.batchId, r.seq, r.recordHash);
        }
        if (traces.batchVersionCount(r.batchId, r.versionId) == 0) revert IncidentRegistryVersionNotInBatch(r.batchId, r.versionId);
        _checkReport(r, b.fromTime);
        uint64 existing = _byTrace[r.batchId][r.seq];
        if (existing != 0) revert IncidentRegistryAlreadyReported(r.batchId, r.seq, existing);
        incidentId = firstIncidentId + _incidentCount;
        ++_incidentCount;
        _byTrace[r.batchId][r.seq] = incidentId;
        _store(incidentId, hospital, r);
        emit IncidentReported(incidentId, hospital, r.versionId, r);
    }

    /// @inheritdoc IIncidentRegistry
    function recordFinding(uint64 incidentId, OutputFinding finding, bytes32 findingHash) external {
        uint32 hospital = consortium.requireMember(msg.sender, Role.HOSPITAL);
        Incident storage i = _incident(incidentId);
        if (i.hospital != hospital) revert IncidentRegistryNotReporter(incidentId, hospital, i.hospital);
        if (i.determined) revert IncidentRegistryAlreadyDetermined(incidentId);
        if (i.finding != OutputFinding.NONE) revert IncidentRegistryFindingExists(incidentId, i.finding);
        if (finding == OutputFinding.NONE || findingHash == 0) revert IncidentRegistryInvalidFinding(finding, findingHash);
        i.finding = finding;
        emit FindingRecorded(incidentId, hospital, finding, findingHash);
    }

    // ───────────────────────────── appraiser ─────────────────────────────

    /// @inheritdoc IIncidentRegistry
    function recordDetermination(uint64 incidentId, Shares calldata shares, bytes32 rulingHash) external {
        uint32 appraiser = consortium.requireMember(msg.sender, Role.APPRAISER);
        Incident storage i = _incident(incidentId);
        if (i.determined) revert IncidentRegistryAlreadyDetermined(incidentId);
        uint256 sum = _sum(shares);
        if (sum != MedprovConstants.BPS || rulingHash == 0) revert IncidentRegistryInvalidDetermination(sum, rulingHash);
        i.determined = true;
        _determinations[incidentId] = Determination(appraiser, uint64(block.timestamp), shares, rulingHash);
        emit DeterminationRecorded(incidentId, appraiser, shares, rulingHash);
    }

    // ───────────────────────────── governance ─────────────────────────────

    /// @inheritdoc IIncidentRegistry
    function addCategory(string calldata name) external restricted returns (uint8) {
        return _addCategory(name);
    }

    /// @inheritdoc IIncidentRegistry
    function setWeighting(LiabilityCase liabilityCase, Shares calldata shares) external restricted {
        _setWeighting(liabilityCase, shares);
    }

    // ───────────────────────────── views ─────────────────────────────

    /// @inheritdoc IIncidentRegistry
    function incident(uint64 incidentId) external view returns (Incident memory) {
        return _incidents[incidentId];
    }

    /// @inheritdoc IIncidentRegistry
    function determination(uint64 incidentId) external view returns (Determination memory) {
        return _determinations[incidentId];
    }

    /// @inheritdoc IIncidentRegistry
    function incidentOf(bytes32 batchId, uint64 seq) external view returns (uint64) {
        return _byTrace[batchId][seq];
    }

    /// @inheritdoc IIncidentRegistry
    function incidentCount() external view returns (uint64) {
        return _incidentCount;
    }

    /// @inheritdoc IIncidentRegistry
    function weighting(LiabilityCase liabilityCase) external view returns (Shares memory) {
        return _weighting[liabilityCase];
    }

    /// @inheritdoc IIncidentRegistry
    function categoryCount() external view returns (uint8) {
        return _categoryCount;
    }

    // ───────────────────────────── internals ─────────────────────────────

    /// @dev Codes, time and narrative: the harm happens no earlier than the batch window opens (the
    /// decision is inside it) and no later than now.
    function _checkReport(IncidentReport calldata r, uint64 fromTime) private view {
        if (r.severity == Severity.NONE) revert IncidentRegistryInvalidSeverity(r.severity);
        if (r.category >= _categoryCount) revert IncidentRegistryUnknownCategory(r.category);
        if (r.occurredAt < fromTime || r.occurredAt > block.timestamp) {
            revert IncidentRegistryInvalidTime(r.occurredAt, fromTime, block.timestamp);
        }
        if (r.narrativeHash == 0) revert IncidentRegistryNarrativeMissing(r.batchId, r.seq);
    }

    function _store(uint64 incidentId, uint32 hospital, IncidentReport calldata r) private {
        Incident storage i = _incidents[incidentId];
        (i.hospital, i.severity, i.category, i.occurredAt) = (hospital, r.severity, r.category, r.occurredAt);
        (i.reportedAt, i.seq, i.batchId) = (uint64(block.timestamp), r.seq, r.batchId);
        (i.recordHash, i.versionId, i.narrativeHash) = (r.recordHash, r.versionId, r.narrativeHash);
    }

    function _incident(uint64 incidentId) private view returns (Incident storage i) {
        i = _incidents[incidentId];
        if (i.hospital == 0) revert IncidentRegistryUnknownIncident(incidentId);
    }

    function _sum(Shares memory s) private pure returns (uint256) {
        return uint256(s.developer) + s.hospital + s.clinician;
    }

    function _setWeighting(LiabilityCase liabilityCase, Shares memory shares) private {
        uint256 sum = _sum(shares);
        if (liabilityCase == LiabilityCase.NONE || sum != MedprovConstants.BPS) {
            revert IncidentRegistryInvalidWeighting(liabilityCase, sum);
        }
        _weighting[liabilityCase] = shares;
        emit WeightingSet(liabilityCase, shares);
    }

    /// @dev Not a Catalogue.Masked: categories keep no mask, and their count shares a slot with
    /// `_incidentCount`, so reporting an incident reads both with one cold load.
    function _addCategory(string memory name) private returns (uint8 category) {
        category = _categoryCount;
        Catalogue.claim(_categoryNames, category, name, MedprovConstants.MAX_INCIDENT_CATEGORIES,
            IncidentRegistryCategoryCatalogueFull.selector, IncidentRegistryCategoryNameNotCanonical.selector,
            IncidentRegistryCategoryNameTaken.selector);
        _categoryCount = category + 1;
        emit CategoryAdded(category, name);
    }
}
