// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITraceAnchor} from "./interfaces/ITraceAnchor.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {Role, Tier, VersionStatus, MedprovConstants} from "./generated/MedprovConstants.sol";

/// @title TraceAnchor
/// @notice See {ITraceAnchor}.
/// @dev Stores per batch its header (two slots) and each declared version's count (one slot
/// each), so a record can be checked against the batch on-chain; per hospital one slot (next
/// sequence and the end of its last window).
contract TraceAnchor is ITraceAnchor {
    /// @notice 3.0.0: position-bound trees whose anchored root commits to the batch size, stored
    /// batch headers, windows that never run backwards and stay near block time, deployed versions
    /// only; `verifyTrace` takes the record's sequence (ABI change).
    string public constant VERSION = "3.0.0";

    /// @dev Per hospital: where its next batch starts and when its last window ended (one slot).
    struct HospitalLog {
        uint64 nextSeq;
        uint64 lastToTime;
    }

    IConsortium public immutable consortium;
    IModelRegistry public immutable models;

    mapping(bytes32 batchId => BatchHeader) private _batches;
    mapping(bytes32 batchId => mapping(bytes32 versionId => uint32 count)) private _versionCounts;
    mapping(uint32 hospital => HospitalLog) private _logs;

    constructor(IConsortium consortium_, IModelRegistry models_) {
        consortium = consortium_;
        models = models_;
    }

    /// @inheritdoc ITraceAnchor
    function anchorBatch(Batch calldata b) external returns (bytes32 batchId) {
        uint32 hospital = consortium.requireMember(msg.sender, Role.HOSPITAL);
        uint256 n = b.versions.length;
        if (b.treeRoot == 0 || b.count == 0) revert TraceAnchorEmptyBatch(b.treeRoot, b.count);
        if (n == 0 || n > MedprovConstants.MAX_LIST_LENGTH) revert TraceAnchorVersionListLength(n, MedprovConstants.MAX_LIST_LENGTH);
        if (b.versionCounts.length != n) revert TraceAnchorVersionCountsMismatch(n, b.versionCounts.length, 0, b.count);
        HospitalLog memory log = _logs[hospital];
        if (b.firstSeq != log.nextSeq) revert TraceAnchorSequenceGap(hospital, log.nextSeq, b.firstSeq);
        _checkWindow(b.fromTime, b.toTime, log.lastToTime);
        batchId = batchIdOf(hospital, b.firstSeq);
        bytes32 root = batchRootOf(b.count, b.treeRoot);
        _checkVersions(batchId, hospital, b);
        _batches[batchId] = BatchHeader(root, hospital, b.firstSeq, b.count, b.fromTime, b.toTime);
        _logs[hospital] = HospitalLog(log.nextSeq + b.count, b.toTime);
        emit BatchAnchored(batchId, hospital, root, b.firstSeq, b.count, b.fromTime, b.toTime, b.versions, b.versionCounts);
    }

    /// @dev Windows never run backwards (a batch starts no earlier than the hospital's previous one
    /// ended) and lie within [block time − MAX_TRACE_AGE, block time + MAX_CLOCK_SKEW].
    function _checkWindow(uint64 fromTime, uint64 toTime, uint64 previousToTime) private view {
        uint256 latest = block.timestamp + MedprovConstants.MAX_CLOCK_SKEW;
        uint256 earliest = block.timestamp > MedprovConstants.MAX_TRACE_AGE ? block.timestamp - MedprovConstants.MAX_TRACE_AGE : 0;
        if (fromTime > toTime || fromTime < previousToTime || toTime > latest || fromTime < earliest) {
            revert TraceAnchorInvalidWindow(fromTime, toTime, previousToTime, earliest, latest);
        }
    }

    /// @dev One pass over the versions: APPROVED, deployed by the hospital, each one's share of the
    /// count stored (n ≤ 64, so the sum cannot overflow), the shares adding up to the count.
    function _checkVersions(bytes32 batchId, uint32 hospital, Batch calldata b) private {
        uint256 sum;
        for (uint256 i = 0; i < b.versions.length; ++i) {
            bytes32 v = b.versions[i];
            VersionStatus s = models.versionStatus(v);
            if (s != VersionStatus.APPROVED) revert TraceAnchorVersionNotApproved(v, s);
            if (!models.isDeployed(v, hospital)) revert TraceAnchorVersionNotDeployed(v, hospital);
            if (b.versionCounts[i] == 0) revert TraceAnchorZeroVersionCount(v);
            // A version listed twice would hide its first count from on-chain checks; refuse it.
            if (_versionCounts[batchId][v] != 0) revert TraceAnchorDuplicateVersion(v);
            _versionCounts[batchId][v] = b.versionCounts[i];
            sum += b.versionCounts[i];
        }
        if (sum != b.count) revert TraceAnchorVersionCountsMismatch(b.versions.length, b.versions.length, sum, b.count);
    }

    /// @inheritdoc ITraceAnchor
    function verifyTrace(bytes32 batchId, uint64 seq, bytes32 recordHash, bytes32[] calldata proof) public view returns (bool) {
        BatchHeader storage h = _batches[batchId];
        (bytes32 root, uint64 firstSeq, uint32 count) = (h.root, h.firstSeq, h.count);
        if (root == 0 || seq < firstSeq || seq - firstSeq >= count) return false;
        (bytes32 top, bool fits) = _treeRootOf(keccak256(bytes.concat(recordHash)), seq - firstSeq, count, proof);
        return fits && batchRootOf(count, top) == root;
    }

    /// @dev Walks a proof from the leaf at `position` of a `count`-leaf tree to its top: node index
    /// count−1+position, an odd index is a left child. False when the proof's length is not the
    /// path's, so one proof fits one position only.
    function _treeRootOf(bytes32 leaf, uint256 position, uint256 count, bytes32[] calldata proof)
        private
        pure
        returns (bytes32 node, bool fits)
    {
        node = leaf;
        uint256 k;
        for (uint256 i = count - 1 + position; i > 0; i = (i - 1) >> 1) {
            if (k == proof.length) return (node, false);
            bytes32 sibling = proof[k];
            ++k;
            node = i & 1 == 1 ? keccak256(abi.encode(node, sibling)) : keccak256(abi.encode(sibling, node));
        }
        fits = k == proof.length;
    }

    /// @inheritdoc ITraceAnchor
    function verifyTraceRecord(bytes32 batchId, TraceRecord calldata record, bytes32[] calldata proof) external view returns (bool) {
        BatchHeader storage h = _batches[batchId];
        if (record.hospital != h.hospital || record.time < h.fromTime || record.time > h.toTime) return false;
        if (_versionCounts[batchId][record.modelVersion] == 0) return false;
        return verifyTrace(batchId, record.seq, traceRecordHash(record), proof); // also: known batch, sequence inside it
    }

    /// @inheritdoc ITraceAnchor
    function traceRecordHash(TraceRecord calldata record) public pure returns (bytes32) {
        return keccak256(abi.encode(record));
    }

    /// @inheritdoc ITraceAnchor
    function batchRoot(bytes32 batchId) external view returns (bytes32) {
        return _batches[batchId].root;
    }

    /// @inheritdoc ITraceAnchor
    function batchHeader(bytes32 batchId) external view returns (BatchHeader memory) {
        return _batches[batchId];
    }

    /// @inheritdoc ITraceAnchor
    function batchVersionCount(bytes32 batchId, bytes32 versionId) external view returns (uint32) {
        return _versionCounts[batchId][versionId];
    }

    /// @inheritdoc ITraceAnchor
    function batchRootOf(uint32 count, bytes32 treeRoot) public pure returns (bytes32) {
        return keccak256(abi.encode(count, treeRoot));
    }

    /// @inheritdoc ITraceAnchor
    function nextSequence(uint32 hospital) external view returns (uint64) {
        return _logs[hospital].nextSeq;
    }

    /// @inheritdoc ITraceAnchor
    function lastToTime(uint32 hospital) external view returns (uint64) {
        return _logs[hospital].lastToTime;
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
