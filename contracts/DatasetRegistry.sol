// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IDatasetRegistry} from "./interfaces/IDatasetRegistry.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {
    Role, MemberStatus, DatasetStatus, LineageUse, LineageBlock, MedprovConstants
} from "./generated/MedprovConstants.sol";

/// @title DatasetRegistry
/// @notice See {IDatasetRegistry}.
contract DatasetRegistry is IDatasetRegistry {
    string public constant VERSION = "1.0.0";

    IConsortium public immutable consortium;
    IConsentRegistry public immutable consents;

    mapping(bytes32 datasetId => Dataset) private _datasets;
    mapping(bytes32 datasetId => bytes32[]) private _parents;

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
        ) {
            revert DatasetRegistryInvalidRegistration(
                r.contentRoot, r.cohortRoot, r.metadataHash, r.parents.length, MedprovConstants.MAX_LIST_LENGTH
            );
        }
        uint64 catalogue = consents.purposeMask();
        if (r.allowedPurposes == 0 || r.allowedPurposes & ~catalogue != 0) {
            revert DatasetRegistryInvalidPurposes(r.allowedPurposes, catalogue);
        }
        _checkDemographics(r.demographics);
        uint256 size = 1;
        for (uint256 i = 0; i < r.parents.length; ++i) size += _known(r.parents[i]).lineageSize;
        if (size > MedprovConstants.MAX_LINEAGE_SIZE) {
            revert DatasetRegistryLineageTooLarge(size, MedprovConstants.MAX_LINEAGE_SIZE);
        }
        // Checked after the size bound, so these walks visit at most MAX_LINEAGE_SIZE datasets in all.
        for (uint256 i = 0; i < r.parents.length; ++i) _requireUsable(r.parents[i], LineageUse.PARENT);

        datasetId = datasetIdOf(custodian, r.contentRoot, r.cohortRoot, r.metadataHash);
        if (_datasets[datasetId].custodian != 0) revert DatasetRegistryAlreadyRegistered(datasetId);
        // The uint16 cast is safe: size <= MAX_LINEAGE_SIZE (64) here.
        _datasets[datasetId] = Dataset(
            custodian, DatasetStatus.ACTIVE, false, r.allowedPurposes, r.demographics.grassrootsBps, uint16(size)
        );
        if (r.parents.length != 0) _parents[datasetId] = r.parents;
        emit DatasetRegistered(datasetId, custodian, r);
    }

    /// @inheritdoc IDatasetRegistry
    function recordUse(bytes32 datasetId, uint8 purpose) external {
        (uint32 org, Role role) = consortium.requireAnyMember(msg.sender);
        if (role != Role.HOSPITAL && role != Role.MODEL_DEVELOPER) revert DatasetRegistryRoleCannotUse(org, role);
        Dataset memory d = _requireUsable(datasetId, LineageUse.USE);
        if ((d.allowedPurposes >> purpose) & 1 == 0) revert DatasetRegistryPurposeNotAllowed(datasetId, purpose);
        emit DatasetUsed(datasetId, org, purpose);
    }

    /// @inheritdoc IDatasetRegistry
    function retireDataset(bytes32 datasetId) external {
        _move(datasetId, DatasetStatus.ACTIVE, DatasetStatus.RETIRED, 0);
    }

    /// @inheritdoc IDatasetRegistry
    function destroyDataset(bytes32 datasetId, bytes32 attestation) external {
        if (attestation == 0) revert DatasetRegistryZeroAttestation(datasetId);
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
    function usableFor(bytes32 datasetId, LineageUse use) public view returns (LineageBlock reason, bytes32 blockedBy) {
        Dataset memory d = _datasets[datasetId];
        if (d.custodian == 0) return (LineageBlock.UNKNOWN, datasetId);
        reason = _firstBlock(d, _blockingFor(use));
        if (reason != LineageBlock.NONE) return (reason, datasetId);
        if (d.lineageSize > 1) return _inheritedBlock(datasetId, d.lineageSize);
    }

    /// @inheritdoc IDatasetRegistry
    function parentsOf(bytes32 datasetId) external view returns (bytes32[] memory) {
        return _parents[datasetId];
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

    /// @dev The dataset, known and usable for `use`, or a revert naming why not.
    function _requireUsable(bytes32 datasetId, LineageUse use) private view returns (Dataset memory d) {
        d = _known(datasetId);
        (LineageBlock reason, bytes32 blockedBy) = usableFor(datasetId, use);
        if (reason != LineageBlock.NONE) revert DatasetRegistryNotUsable(datasetId, use, blockedBy, reason);
    }

    /// @dev Bit `b` set: a dataset in state `b` may not take part in `use` (from LINEAGE_ALLOWS_MASK).
    function _blockingFor(LineageUse use) private pure returns (uint256 blocking) {
        for (uint256 b = 1; b <= uint8(type(LineageBlock).max); ++b) {
            if ((MedprovConstants.LINEAGE_ALLOWS_MASK >> (8 * b + uint8(use))) & 1 == 0) blocking |= 1 << b;
        }
    }

    /// @dev The first state of `d`, in LineageBlock order, whose bit is set in `blocking`; NONE if none.
    function _firstBlock(Dataset memory d, uint256 blocking) private view returns (LineageBlock) {
        if (d.status == DatasetStatus.DESTROYED && _has(blocking, LineageBlock.DESTROYED)) return LineageBlock.DESTROYED;
        if (d.suspended && _has(blocking, LineageBlock.SUSPENDED)) return LineageBlock.SUSPENDED;
        if (d.status == DatasetStatus.RETIRED && _has(blocking, LineageBlock.RETIRED)) return LineageBlock.RETIRED;
        // The membership read is skipped where the rule would not act on it (e.g. APPROVAL).
        if (_has(blocking, LineageBlock.CUSTODIAN_INACTIVE)) {
            (, MemberStatus status) = consortium.member(d.custodian);
            if (status != MemberStatus.ACTIVE) return LineageBlock.CUSTODIAN_INACTIVE;
        }
        return LineageBlock.NONE;
    }

    /// @dev Walks every ancestor of `datasetId` (depth first, once per path) for a state in
    /// LINEAGE_INHERITED_MASK. Bounded: registration keeps `size` (itself plus all ancestors counted per
    /// path) at most MAX_LINEAGE_SIZE, and the stack never holds more than size - 1 entries.
    function _inheritedBlock(bytes32 datasetId, uint256 size) private view returns (LineageBlock, bytes32) {
        bytes32[] memory stack = new bytes32[](size);
        uint256 top = _push(stack, 0, datasetId);
        while (top > 0) {
            bytes32 ancestor = stack[--top];
            LineageBlock reason = _firstBlock(_datasets[ancestor], MedprovConstants.LINEAGE_INHERITED_MASK);
            if (reason != LineageBlock.NONE) return (reason, ancestor);
            top = _push(stack, top, ancestor);
        }
        return (LineageBlock.NONE, bytes32(0));
    }

    function _push(bytes32[] memory stack, uint256 top, bytes32 datasetId) private view returns (uint256) {
        bytes32[] storage parents = _parents[datasetId];
        for (uint256 i = 0; i < parents.length; ++i) {
            stack[top] = parents[i];
            ++top;
        }
        return top;
    }

    function _has(uint256 mask, LineageBlock b) private pure returns (bool) {
        return (mask >> uint8(b)) & 1 == 1;
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
