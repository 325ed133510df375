// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title LookalikeTraceAnchor
/// @notice Test double: a contract that looks like TraceAnchor to a verifier that trusts the
/// `traceAnchor` address a receipt names. Anyone can make it return any root for any batch id and
/// emit a BatchAnchored event (same signature as TraceAnchor's) with any fields, so a forged
/// receipt pointing here is consistent in every respect but the contract. A sound verifier refuses
/// it because the TraceAnchor address comes from the deployment manifest.
contract LookalikeTraceAnchor {
    mapping(bytes32 batchId => bytes32 root) private _roots;

    /// @notice Same signature, so the same topic, as ITraceAnchor.BatchAnchored.
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

    /// @notice Sets `batchId`'s root and emits the event a real anchoring would; no check at all.
    function forge(
        bytes32 batchId,
        uint32 hospital,
        bytes32 root,
        uint64 firstSeq,
        uint32 count,
        uint64 fromTime,
        uint64 toTime,
        bytes32[] calldata versions,
        uint32[] calldata versionCounts
    ) external {
        _roots[batchId] = root;
        emit BatchAnchored(batchId, hospital, root, firstSeq, count, fromTime, toTime, versions, versionCounts);
    }

    /// @notice The chosen root of a batch, as TraceAnchor.batchRoot answers.
    function batchRoot(bytes32 batchId) external view returns (bytes32) {
        return _roots[batchId];
    }
}
