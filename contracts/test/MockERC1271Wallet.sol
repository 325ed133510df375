// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title MockERC1271Wallet
/// @notice Test double of a patient's contract wallet: approves signatures of its owner unless told
/// to refuse everything, and forwards calls so the wallet can act as a subject directly.
contract MockERC1271Wallet is IERC1271 {
    address public immutable owner;
    bool public refuse;

    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice Makes the wallet say no to every signature (or yes again).
    function setRefuse(bool refuse_) external {
        refuse = refuse_;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        if (!refuse && err == ECDSA.RecoverError.NoError && recovered == owner) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }

    /// @notice Forwards a call from the wallet; only the owner may use it.
    function forward(address target, bytes calldata data) external returns (bytes memory) {
        require(msg.sender == owner, "not owner"); // solhint-disable-line gas-custom-errors
        (bool ok, bytes memory ret) = target.call(data); // solhint-disable-line avoid-low-level-calls
        if (!ok) {
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }
}
