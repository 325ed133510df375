// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITraceAnchor} from "../interfaces/ITraceAnchor.sol";
import {IDatasetRegistry} from "../interfaces/IDatasetRegistry.sol";
import {IConsentRegistry} from "../interfaces/IConsentRegistry.sol";

/// @title BulkWriter
/// @notice Test helper: a member key that writes thousands of records in a few transactions, so
/// tests can check that a write costs the same gas after 10,000 earlier records as after one.
contract BulkWriter {
    /// @notice Anchors `n` single-trace batches starting at `firstSeq`, each windowed at the block's
    /// second (windows may not run backwards, and the same second is allowed).
    function anchorMany(ITraceAnchor anchor, uint64 firstSeq, uint256 n, bytes32 version) external {
        uint64 t = uint64(block.timestamp);
        bytes32[] memory versions = new bytes32[](1);
        versions[0] = version;
        uint32[] memory counts = new uint32[](1);
        counts[0] = 1;
        for (uint256 i = 0; i < n; ++i) {
            bytes32 root = keccak256(abi.encode(address(this), firstSeq + i));
            anchor.anchorBatch(ITraceAnchor.Batch(root, uint64(firstSeq + i), 1, t, t, versions, counts));
        }
    }

    /// @notice Registers `n` datasets whose roots derive from `salt` and the index.
    function registerMany(IDatasetRegistry registry, uint256 salt, uint256 n, IDatasetRegistry.Registration calldata template) external {
        IDatasetRegistry.Registration memory r = template;
        for (uint256 i = 0; i < n; ++i) {
            r.contentRoot = keccak256(abi.encode(salt, i));
            registry.registerDataset(r);
        }
    }

    /// @notice Relays signed grants.
    function relayGrants(
        IConsentRegistry registry,
        IConsentRegistry.GrantRequest[] calldata requests,
        bytes[] calldata signatures
    ) external {
        for (uint256 i = 0; i < requests.length; ++i) registry.grantConsentBySig(requests[i], signatures[i]);
    }
}
