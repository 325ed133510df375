// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DatasetStatus, Role, LineageUse, LineageBlock} from "../generated/MedprovConstants.sol";
import {IConsortiumErrors} from "./IConsortiumErrors.sol";

/// @title IDatasetRegistry
/// @notice Dataset registrations, lineage, uses and lifecycle (DESIGN §4.3). Only roots and hashes
/// are recorded; the records, the cohort manifest and the data stay with the custodian hospital.
/// The lineage rule (what a dataset may be a parent of, train, let be approved, be used for) is
/// answered in one place, {usableFor}, from the generated LINEAGE_* constants (docs/lineage.md).
interface IDatasetRegistry is IConsortiumErrors {
    /// @notice Share of the dataset's records per band, in basis points; each group sums to 10,000.
    struct Demographics {
        uint16[] ageBps; // one share per AGE_BAND
        uint16[] sexBps; // one share per SEX_BAND
        uint16[] regionBps; // one share per REGION_BAND
        uint16 grassrootsBps; // share of primary-care ("grassroots") data
    }

    /// @notice What a custodian registers.
    struct Registration {
        bytes32 contentRoot; // Merkle root of record hashes
        bytes32 cohortRoot; // Merkle root of subject addresses (manifest kept off-chain)
        bytes32 metadataHash;
        string uri; // where the encrypted data lives; never a patient identifier
        uint64 allowedPurposes; // bitmask of purpose ids
        bytes32[] parents; // datasets this one was derived from
        Demographics demographics;
    }

    /// @notice Stored per dataset (one slot); everything else lives in the registration event.
    struct Dataset {
        uint32 custodian;
        DatasetStatus status;
        bool suspended;
        uint64 allowedPurposes;
        uint16 grassrootsBps; // the registered grassroots share, which bounds a trained version's
        uint16 lineageSize; // itself plus its ancestors counted once per path; at most MAX_LINEAGE_SIZE
    }

    /// @notice A custodian registered a dataset.
    event DatasetRegistered(bytes32 indexed datasetId, uint32 indexed custodian, Registration registration);
    /// @notice Member `org` used the dataset for `purpose`.
    event DatasetUsed(bytes32 indexed datasetId, uint32 indexed org, uint8 indexed purpose);
    /// @notice The custodian moved the dataset to `status`; `attestation` is the deletion attestation
    /// hash when `status` is DESTROYED, zero otherwise.
    event DatasetStatusChanged(bytes32 indexed datasetId, DatasetStatus previous, DatasetStatus status, bytes32 attestation);
    /// @notice A regulator suspended or lifted the suspension of a dataset.
    event DatasetSuspensionChanged(bytes32 indexed datasetId, bool suspended, uint32 indexed regulator);

    /// @notice No dataset has this id.
    error DatasetRegistryUnknownDataset(bytes32 datasetId);
    /// @notice A dataset with the same id (custodian, roots, metadata) exists.
    error DatasetRegistryAlreadyRegistered(bytes32 datasetId);
    /// @notice A registration needs non-zero `contentRoot`, `cohortRoot` and `metadataHash`, and at
    /// most `maxParents` parents (it lists `parents`).
    error DatasetRegistryInvalidRegistration(
        bytes32 contentRoot, bytes32 cohortRoot, bytes32 metadataHash, uint256 parents, uint256 maxParents
    );
    /// @notice Destroying dataset `datasetId` needs a non-zero deletion attestation.
    error DatasetRegistryZeroAttestation(bytes32 datasetId);
    /// @notice A demographic group has the wrong number of bands or its shares do not add up to
    /// 10,000 bps (group 0 age, 1 sex, 2 region, 3 grassroots).
    error DatasetRegistryInvalidShares(uint8 group, uint256 bands, uint256 total);
    /// @notice The purpose mask names purposes outside the catalogue, or none.
    error DatasetRegistryInvalidPurposes(uint64 allowedPurposes, uint64 catalogue);
    /// @notice The dataset does not allow `purpose`.
    error DatasetRegistryPurposeNotAllowed(bytes32 datasetId, uint8 purpose);
    /// @notice The lineage rule refuses `use` of `datasetId` because of `reason`, a state of `blockedBy`:
    /// the dataset itself, or (for inherited states) one of its ancestors.
    error DatasetRegistryNotUsable(bytes32 datasetId, LineageUse use, bytes32 blockedBy, LineageBlock reason);
    /// @notice The dataset's lineage (itself plus its parents' lineages) would exceed MAX_LINEAGE_SIZE.
    error DatasetRegistryLineageTooLarge(uint256 size, uint256 max);
    /// @notice Only the custodian organisation may do this.
    error DatasetRegistryNotCustodian(bytes32 datasetId, uint32 caller, uint32 custodian);
    /// @notice The lifecycle does not allow this move.
    error DatasetRegistryInvalidTransition(bytes32 datasetId, DatasetStatus status, DatasetStatus requested);
    /// @notice Only hospitals and model developers use data; regulators and auditors never write uses.
    error DatasetRegistryRoleCannotUse(uint32 org, Role role);
    /// @notice The suspension flag already has this value.
    error DatasetRegistrySuspensionUnchanged(bytes32 datasetId, bool suspended);

    /// @notice Registers a dataset; caller: an active HOSPITAL key, whose organisation becomes custodian.
    /// Every parent must be usable as a PARENT ({usableFor}); reverts {DatasetRegistryNotUsable} otherwise.
    function registerDataset(Registration calldata registration) external returns (bytes32 datasetId);

    /// @notice Records that the caller's organisation used the dataset for `purpose`; caller: an active
    /// HOSPITAL or MODEL_DEVELOPER key. The dataset must be usable for USE ({usableFor}).
    function recordUse(bytes32 datasetId, uint8 purpose) external;

    /// @notice ACTIVE → RETIRED; custodian only.
    function retireDataset(bytes32 datasetId) external;

    /// @notice RETIRED → DESTROYED with the hash of a deletion attestation; custodian only. Final.
    function destroyDataset(bytes32 datasetId, bytes32 attestation) external;

    /// @notice Suspends or lifts suspension; caller: an active REGULATOR key.
    function setSuspended(bytes32 datasetId, bool suspended) external;

    /// @notice Stored facts of a dataset (custodian 0: unknown).
    function dataset(bytes32 datasetId) external view returns (Dataset memory);

    /// @notice The lineage rule: whether `datasetId` may take part in `use` now. NONE when it may;
    /// otherwise the reason and the dataset carrying it (itself, or an ancestor for inherited states:
    /// DESTROYED and SUSPENDED). Never reverts; the walk is bounded by MAX_LINEAGE_SIZE.
    function usableFor(bytes32 datasetId, LineageUse use) external view returns (LineageBlock reason, bytes32 blockedBy);

    /// @notice The parents a dataset was registered with.
    function parentsOf(bytes32 datasetId) external view returns (bytes32[] memory);

    /// @notice keccak256(abi.encode(custodian, contentRoot, cohortRoot, metadataHash)), mirrored by the SDK.
    function datasetIdOf(uint32 custodian, bytes32 contentRoot, bytes32 cohortRoot, bytes32 metadataHash)
        external
        pure
        returns (bytes32);
}
