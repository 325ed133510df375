// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IDatasetRegistry} from "./interfaces/IDatasetRegistry.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {Role, DatasetStatus, MedprovConstants} from "./generated/MedprovConstants.sol";

/// @title DatasetRegistry
/// @notice See {IDatasetRegistry}.
contract DatasetRegistry is IDatasetRegistry {
    string public constant VERSION = "1.0.0";

    IConsortium public immutable consortium;
    IConsentRegistry public immutable consents;

    mapping(bytes32 datasetId => Dataset) private _datasets;

    constructor(IConsortium consortium_, IConsentRegistry consents_) {
        consortium = consortium_;
        consents = consents_;
    }

    /// @inheritdoc IDatasetRegistry
    function registerDataset(Registration calldata r) external returns (bytes32 datasetId) {
        uint32 custodian = consortium.requireMember(msg.sender, Role.HOSPITAL);
        if (
            r.contentRoot == 0 || r.cohortRoot == 0 || r.metadataHash == 0
                || r.parents.length > MedprovConstants.MAX_LIST_LENGTH
        ) revert DatasetRegistryInvalidRegistration();
        uint64 catalogue = consents.purposeMask();
        if (r.allowedPurposes == 0 || r.allowedPurposes & ~catalogue != 0) {
            revert DatasetRegistryInvalidPurposes(r.allowedPurposes, catalogue);
        }
        _checkDemographics(r.demographics);
        for (uint256 i = 0; i < r.parents.length; ++i) _known(r.parents[i]);

        datasetId = datasetIdOf(custodian, r.contentRoot, r.cohortRoot, r.metadataHash);
        if (_datasets[datasetId].custodian != 0) revert DatasetRegistryAlreadyRegistered(datasetId);
        _datasets[datasetId] = Dataset(custodian, DatasetStatus.ACTIVE, false, r.allowedPurposes);
        emit DatasetRegistered(datasetId, custodian, r);
    }

    /// @inheritdoc IDatasetRegistry
    function recordUse(bytes32 datasetId, uint8 purpose) external {
        (uint32 org, Role role) = consortium.requireAnyMember(msg.sender);
        if (role != Role.HOSPITAL && role != Role.MODEL_DEVELOPER) revert DatasetRegistryRoleCannotUse(org, role);
        Dataset memory d = _known(datasetId);
        if (d.status != DatasetStatus.ACTIVE) revert DatasetRegistryNotActive(datasetId, d.status);
        if (d.suspended) revert DatasetRegistrySuspended(datasetId);
        if ((d.allowedPurposes >> purpose) & 1 == 0) revert DatasetRegistryPurposeNotAllowed(datasetId, purpose);
        emit DatasetUsed(datasetId, org, purpose);
    }

    /// @inheritdoc IDatasetRegistry
    function retireDataset(bytes32 datasetId) external {
        _move(datasetId, DatasetStatus.ACTIVE, DatasetStatus.RETIRED, 0);
    }

    /// @inheritdoc IDatasetRegistry
    function destroyDataset(bytes32 datasetId, bytes32 attestation) external {
        if (attestation == 0) revert DatasetRegistryInvalidRegistration();
        _move(datasetId, DatasetStatus.RETIRED, DatasetStatus.DESTROYED, attestation);
    }

    /// @inheritdoc IDatasetRegistry
    function setSuspended(bytes32 datasetId, bool suspended) external {
        uint32 regulator = consortium.requireMember(msg.sender, Role.REGULATOR);
        Dataset storage d = _datasets[datasetId];
        if (d.custodian == 0) revert DatasetRegistryUnknownDataset(datasetId);
        if (d.suspended == suspended) revert DatasetRegistrySuspensionUnchanged(datasetId, suspended);
        d.suspended = suspended;
        emit DatasetSuspensionChanged(datasetId, suspended, regulator);
    }

    /// @inheritdoc IDatasetRegistry
    function dataset(bytes32 datasetId) external view returns (Dataset memory) {
        return _datasets[datasetId];
    }

    /// @inheritdoc IDatasetRegistry
    function datasetIdOf(uint32 custodian, bytes32 contentRoot, bytes32 cohortRoot, bytes32 metadataHash)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(custodian, contentRoot, cohortRoot, metadataHash));
    }

    function _move(bytes32 datasetId, DatasetStatus from, DatasetStatus to, bytes32 attestation) private {
        uint32 org = consortium.requireMember(msg.sender, Role.HOSPITAL);
        Dataset storage d = _datasets[datasetId];
        if (d.custodian == 0) revert DatasetRegistryUnknownDataset(datasetId);
        if (d.custodian != org) revert DatasetRegistryNotCustodian(datasetId, org, d.custodian);
        DatasetStatus status = d.status;
        if (status != from) revert DatasetRegistryInvalidTransition(datasetId, status, to);
        d.status = to;
        emit DatasetStatusChanged(datasetId, status, to, attestation);
    }

    function _known(bytes32 datasetId) private view returns (Dataset memory d) {
        d = _datasets[datasetId];
        if (d.custodian == 0) revert DatasetRegistryUnknownDataset(datasetId);
    }

    function _checkDemographics(Demographics calldata m) private pure {
        _checkGroup(0, m.ageBps, MedprovConstants.AGE_BAND_COUNT);
        _checkGroup(1, m.sexBps, MedprovConstants.SEX_BAND_COUNT);
        _checkGroup(2, m.regionBps, MedprovConstants.REGION_BAND_COUNT);
        if (m.grassrootsBps > MedprovConstants.BPS) revert DatasetRegistryInvalidShares(3, 1, m.grassrootsBps);
    }

    function _checkGroup(uint8 group, uint16[] calldata shares, uint256 bands) private pure {
        uint256 total;
        // Bounded: `bands` is at most a handful (generated constant); longer input reverts below.
        for (uint256 i = 0; i < shares.length && i <= bands; ++i) total += shares[i];
        if (shares.length != bands || total != MedprovConstants.BPS) revert DatasetRegistryInvalidShares(group, shares.length, total);
    }
}
