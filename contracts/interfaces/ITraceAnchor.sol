// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Tier, ClinicianAction, VersionStatus} from "../generated/MedprovConstants.sol";
import {IConsortiumErrors} from "./IConsortiumErrors.sol";

/// @title ITraceAnchor
/// @notice Anchors batches of clinical decision traces as Merkle roots (DESIGN §4.5). Records stay
/// with the hospital; a leaf is keccak256(keccak256(abi.encode({TraceRecord}))) and each record
/// carries a random salt, so a proof reveals nothing about its neighbours. Sequence numbers are per
/// hospital and contiguous across batches, so a withheld trace shows up as a gap.
/// @dev The tree is position-bound (docs/receipt.md): the record with sequence `firstSeq + p` is
/// leaf `p` of a complete binary tree over exactly `count` leaves laid out as an array (leaf p at
/// node count-1+p, node i = keccak256(node[2i+1] ‖ node[2i+2]), unsorted), and the anchored root is
/// keccak256(abi.encode(count, treeRoot)). So the root commits to the batch's size and each
/// record's place: a proof only verifies at the record's own position, and anyone holding the
/// batch's records can rebuild the root and see a withheld one.
interface ITraceAnchor is IConsortiumErrors {
    /// @notice The canonical off-chain trace record; its ABI encoding is the Merkle leaf's preimage.
    /// Identities appear only as hashes or the subject's pseudonymous address.
    struct TraceRecord {
        bytes32 traceId;
        uint32 hospital;
        uint64 seq;
        bytes32 modelVersion;
        address subject;
        bytes32 inputHash;
        bytes32 outputHash;
        uint16 confidenceBps;
        Tier tier;
        ClinicianAction action;
        bytes32 clinicianHash;
        bytes32 finalDecisionHash;
        uint64 time;
        bytes32 salt;
    }

    /// @notice A batch a hospital anchors.
    /// @dev `versionCounts[i]` is how many of the batch's `count` records reference `versions[i]`:
    /// same length as `versions`, each at least 1, summing to `count`. It lets a recall report count
    /// exactly the traces that used the recalled version, not every trace of every batch naming it.
    struct Batch {
        bytes32 treeRoot; // top of the position-bound tree; the contract anchors keccak256(abi.encode(count, treeRoot))
        uint64 firstSeq;
        uint32 count;
        uint64 fromTime;
        uint64 toTime;
        bytes32[] versions; // model versions the batch's records reference
        uint32[] versionCounts; // records per version, parallel to `versions`
    }

    /// @notice What the contract keeps of a batch, so a record can be checked against it on-chain.
    /// @dev Two storage slots: `root`, then hospital, firstSeq, count, fromTime and toTime packed
    /// into one word. Each declared version is a third kind of slot (see {batchVersionCount}).
    struct BatchHeader {
        bytes32 root; // keccak256(abi.encode(count, treeRoot)); zero: unknown batch
        uint32 hospital;
        uint64 firstSeq;
        uint32 count;
        uint64 fromTime;
        uint64 toTime;
    }

    /// @notice Hospital `hospital` anchored traces firstSeq .. firstSeq+count-1 under `root`
    /// (keccak256(abi.encode(count, treeRoot))), with
    /// trace times in [fromTime, toTime], referencing `versions` (`versionCounts[i]` records each).
    /// @dev A receipt verifier checks a record against this event: its hospital, its sequence within
    /// the range, its version among `versions`, and its time within the window.
    event BatchAnchored(
        bytes32 indexed batchId,
        uint32 indexed hospital,
        bytes32 root,
        uint64 firstSeq,
        uint32 count,
        uint64 fromTime,
        uint64 toTime,
        bytes32[] versions,
        uint32[] versionCounts
    );

    /// @notice A batch needs a non-zero tree root (`treeRoot`) and at least one trace (`count`).
    error TraceAnchorEmptyBatch(bytes32 treeRoot, uint32 count);
    /// @notice A batch lists `versions` model versions; it needs 1 to `max`.
    error TraceAnchorVersionListLength(uint256 versions, uint256 max);
    /// @notice `versionId` is listed twice in one batch (its first count would hide from on-chain checks).
    error TraceAnchorDuplicateVersion(bytes32 versionId);
    /// @notice The window is not a window of this hospital's next batch: `fromTime` > `toTime`, or it
    /// starts before the hospital's previous batch ended (`previousToTime`; windows never run
    /// backwards), or ends after block time + MAX_CLOCK_SKEW (`latest`), or starts before block
    /// time − MAX_TRACE_AGE (`earliest`).
    error TraceAnchorInvalidWindow(uint64 fromTime, uint64 toTime, uint64 previousToTime, uint256 earliest, uint256 latest);
    /// @notice The hospital never recorded a deployment of this version (ModelRegistry.recordDeployment).
    error TraceAnchorVersionNotDeployed(bytes32 versionId, uint32 hospital);
    /// @notice `versionCounts` does not match `versions` (lengths `versions` and `counts`) or does not
    /// add up to the batch's `count` (it sums to `sum`).
    error TraceAnchorVersionCountsMismatch(uint256 versions, uint256 counts, uint256 sum, uint32 count);
    /// @notice A version is listed with no record referencing it.
    error TraceAnchorZeroVersionCount(bytes32 versionId);
    /// @notice The batch does not start where the hospital's previous batch ended.
    error TraceAnchorSequenceGap(uint32 hospital, uint64 expected, uint64 firstSeq);
    /// @notice A referenced model version is not APPROVED now.
    error TraceAnchorVersionNotApproved(bytes32 versionId, VersionStatus status);

    /// @notice Anchors a batch; caller: an active HOSPITAL key. Every listed version must be APPROVED
    /// now and deployed by the hospital, `versionCounts` must give each version's share of `count`
    /// (see {Batch}), and the window must follow the hospital's previous one within the chain's
    /// time bounds (see {TraceAnchorInvalidWindow}).
    /// @return batchId keccak256(abi.encode(hospital, firstSeq))
    function anchorBatch(Batch calldata batch) external returns (bytes32 batchId);

    /// @notice True when `recordHash` (keccak256 of the ABI-encoded record) is the leaf of batch
    /// `batchId` at position `seq − firstSeq` (false for an unknown batch or a `seq` outside it).
    /// The contract double-hashes, so an inner node passed as `recordHash` never verifies.
    function verifyTrace(bytes32 batchId, uint64 seq, bytes32 recordHash, bytes32[] calldata proof) external view returns (bool);

    /// @notice True when `record` is in batch `batchId` at its own sequence's position and agrees
    /// with the batch's header: its hospital, a sequence inside the batch, a time inside the
    /// window and a version the batch declared. False otherwise (never reverts): the receipt
    /// procedure of docs/receipt.md runs the same checks off-chain and names the one that failed.
    function verifyTraceRecord(bytes32 batchId, TraceRecord calldata record, bytes32[] calldata proof) external view returns (bool);

    /// @notice The stored header of a batch (root zero: unknown batch).
    function batchHeader(bytes32 batchId) external view returns (BatchHeader memory);

    /// @notice How many of batch `batchId`'s records reference `versionId` (zero: not declared).
    function batchVersionCount(bytes32 batchId, bytes32 versionId) external view returns (uint32);

    /// @notice keccak256(abi.encode(count, treeRoot)): the root anchored for a tree of `count` leaves.
    function batchRootOf(uint32 count, bytes32 treeRoot) external pure returns (bytes32);

    /// @notice The end of the hospital's last anchored window (zero before its first batch); the
    /// next batch's `fromTime` may not be earlier.
    function lastToTime(uint32 hospital) external view returns (uint64);

    /// @notice keccak256(abi.encode(record)): the inner hash of the record's leaf.
    function traceRecordHash(TraceRecord calldata record) external pure returns (bytes32);

    /// @notice The anchored root of a batch, keccak256(abi.encode(count, treeRoot)) (zero: unknown batch).
    function batchRoot(bytes32 batchId) external view returns (bytes32);

    /// @notice The sequence number the hospital's next batch must start at.
    function nextSequence(uint32 hospital) external view returns (uint64);

    /// @notice keccak256(abi.encode(hospital, firstSeq)), mirrored by the SDK.
    function batchIdOf(uint32 hospital, uint64 firstSeq) external pure returns (bytes32);

    /// @notice The collaboration tier a confidence demands (paper: ≥95% REVIEW, 80–95% DIFFERENTIAL, else TAKEOVER).
    function tierFor(uint16 confidenceBps) external pure returns (Tier);
}
