// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Tier, ClinicianAction, VersionStatus} from "../generated/MedprovConstants.sol";
import {IConsortiumErrors} from "./IConsortiumErrors.sol";

/// @title ITraceAnchor
/// @notice Anchors batches of clinical decision traces as Merkle roots (DESIGN §4.5). Records stay
/// with the hospital; a leaf is OpenZeppelin StandardMerkleTree-encoded (double keccak of the
/// ABI-encoded {TraceRecord}) and each record carries a random salt, so a proof reveals nothing
/// about its neighbours. Sequence numbers are per hospital and contiguous across batches, so a
/// withheld trace shows up as a gap.
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
        bytes32 root;
        uint64 firstSeq;
        uint32 count;
        uint64 fromTime;
        uint64 toTime;
        bytes32[] versions; // model versions the batch's records reference
        uint32[] versionCounts; // records per version, parallel to `versions`
    }

    /// @notice Hospital `hospital` anchored traces firstSeq .. firstSeq+count-1 under `root`, with
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

    /// @notice Zero root, zero count, inverted or future time range, or no/too many versions.
    error TraceAnchorInvalidBatch();
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
    /// now, and `versionCounts` must give each version's share of `count` (see {Batch}).
    /// @return batchId keccak256(abi.encode(hospital, firstSeq))
    function anchorBatch(Batch calldata batch) external returns (bytes32 batchId);

    /// @notice True when `recordHash` (keccak256 of the ABI-encoded record) is a leaf of batch `batchId`.
    /// The contract double-hashes, so an inner node passed as `recordHash` never verifies.
    function verifyTrace(bytes32 batchId, bytes32 recordHash, bytes32[] calldata proof) external view returns (bool);

    /// @notice {verifyTrace} for a full record.
    function verifyTraceRecord(bytes32 batchId, TraceRecord calldata record, bytes32[] calldata proof) external view returns (bool);

    /// @notice keccak256(abi.encode(record)): the inner hash of the record's leaf.
    function traceRecordHash(TraceRecord calldata record) external pure returns (bytes32);

    /// @notice The root of a batch (zero: unknown batch).
    function batchRoot(bytes32 batchId) external view returns (bytes32);

    /// @notice The sequence number the hospital's next batch must start at.
    function nextSequence(uint32 hospital) external view returns (uint64);

    /// @notice keccak256(abi.encode(hospital, firstSeq)), mirrored by the SDK.
    function batchIdOf(uint32 hospital, uint64 firstSeq) external pure returns (bytes32);

    /// @notice The collaboration tier a confidence demands (paper: ≥95% REVIEW, 80–95% DIFFERENTIAL, else TAKEOVER).
    function tierFor(uint16 confidenceBps) external pure returns (Tier);
}
