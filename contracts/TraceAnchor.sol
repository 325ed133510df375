// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ITraceAnchor} from "./interfaces/ITraceAnchor.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {Role, Tier, VersionStatus, MedprovConstants} from "./generated/MedprovConstants.sol";

/// @title TraceAnchor
/// @notice See {ITraceAnchor}.
/// @dev Stores one slot per batch (its root) and one per hospital (next sequence); everything
/// else an auditor needs is in {BatchAnchored}.
contract TraceAnchor is ITraceAnchor {
    /// @notice 2.0.0: batches carry per-version trace counts (`versionCounts`), an ABI change.
    string public constant VERSION = "2.0.0";

    IConsortium public immutable consortium;
    IModelRegistry public immutable models;

    mapping(bytes32 batchId => bytes32 root) private _roots;
    mapping(uint32 hospital => uint64 nextSeq) private _nextSeq;

    constructor(IConsortium consortium_, IModelRegistry models_) {
        consortium = consortium_;
        models = models_;
    }

    /// @inheritdoc ITraceAnchor
    function anchorBatch(Batch calldata b) external returns (bytes32 batchId) {
        uint32 hospital = consortium.requireMember(msg.sender, Role.HOSPITAL);
        uint256 n = b.versions.length;
        if (
            b.root == 0 || b.count == 0 || b.fromTime > b.toTime || b.toTime > block.timestamp + MedprovConstants.MAX_CLOCK_SKEW
                || n == 0 || n > MedprovConstants.MAX_LIST_LENGTH
        ) revert TraceAnchorInvalidBatch();
        if (b.versionCounts.length != n) revert TraceAnchorVersionCountsMismatch(n, b.versionCounts.length, 0, b.count);
        uint64 expected = _nextSeq[hospital];
        if (b.firstSeq != expected) revert TraceAnchorSequenceGap(hospital, expected, b.firstSeq);
        // One pass over the versions: status, and each one's share of the count (n ≤ 64, so the sum cannot overflow).
        uint256 sum;
        for (uint256 i = 0; i < n; ++i) {
            VersionStatus s = models.versionStatus(b.versions[i]);
            if (s != VersionStatus.APPROVED) revert TraceAnchorVersionNotApproved(b.versions[i], s);
            if (b.versionCounts[i] == 0) revert TraceAnchorZeroVersionCount(b.versions[i]);
            sum += b.versionCounts[i];
        }
        if (sum != b.count) revert TraceAnchorVersionCountsMismatch(n, n, sum, b.count);
        batchId = batchIdOf(hospital, b.firstSeq);
        _roots[batchId] = b.root;
        _nextSeq[hospital] = expected + b.count;
        emit BatchAnchored(batchId, hospital, b.root, b.firstSeq, b.count, b.fromTime, b.toTime, b.versions, b.versionCounts);
    }

    /// @inheritdoc ITraceAnchor
    function verifyTrace(bytes32 batchId, bytes32 recordHash, bytes32[] calldata proof) public view returns (bool) {
        bytes32 root = _roots[batchId];
        return root != 0 && MerkleProof.verifyCalldata(proof, root, keccak256(bytes.concat(recordHash)));
    }

    /// @inheritdoc ITraceAnchor
    function verifyTraceRecord(bytes32 batchId, TraceRecord calldata record, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        return verifyTrace(batchId, traceRecordHash(record), proof);
    }

    /// @inheritdoc ITraceAnchor
    function traceRecordHash(TraceRecord calldata record) public pure returns (bytes32) {
        return keccak256(abi.encode(record));
    }

    /// @inheritdoc ITraceAnchor
    function batchRoot(bytes32 batchId) external view returns (bytes32) {
        return _roots[batchId];
    }

    /// @inheritdoc ITraceAnchor
    function nextSequence(uint32 hospital) external view returns (uint64) {
        return _nextSeq[hospital];
    }

    /// @inheritdoc ITraceAnchor
    function batchIdOf(uint32 hospital, uint64 firstSeq) public pure returns (bytes32) {
        return keccak256(abi.encode(hospital, firstSeq));
    }

    /// @inheritdoc ITraceAnchor
    function tierFor(uint16 confidenceBps) external pure returns (Tier) {
        if (confidenceBps >= MedprovConstants.TIER_REVIEW_MIN_BPS) return Tier.REVIEW;
        if (confidenceBps >= MedprovConstants.TIER_DIFFERENTIAL_MIN_BPS) return Tier.DIFFERENTIAL;
        return Tier.TAKEOVER;
    }
}
