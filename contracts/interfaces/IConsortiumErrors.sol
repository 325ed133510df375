// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Role, MemberStatus} from "../generated/MedprovConstants.sol";

/// @title IConsortiumErrors
/// @notice The Consortium's custom errors, apart from its functions. Every registry asks the
/// Consortium who its caller is, and the Consortium's refusal bubbles up unchanged; each registry's
/// interface inherits this one so that its published ABI decodes every revert a call to it can end in.
interface IConsortiumErrors {
    /// @notice The caller's key is not registered to any organisation.
    error ConsortiumUnknownKey(address key);
    /// @notice The caller's key was revoked.
    error ConsortiumKeyRevoked(address key, uint32 orgId);
    /// @notice The key was registered before (to `orgId`); keys are never reassigned.
    error ConsortiumKeyAlreadyUsed(address key, uint32 orgId);
    /// @notice The organisation is not ACTIVE.
    error ConsortiumMemberNotActive(uint32 orgId, MemberStatus status);
    /// @notice The organisation has another role than the write needs.
    error ConsortiumWrongRole(uint32 orgId, Role role, Role expected);
    /// @notice No organisation has this id.
    error ConsortiumUnknownMember(uint32 orgId);
    /// @notice The requested status change is not allowed from the member's current status.
    error ConsortiumInvalidStatusChange(uint32 orgId, MemberStatus status, MemberStatus requested);
    /// @notice A member needs a role other than NONE (`role`), a name (`nameLength` bytes) and at
    /// least one key (`keyCount`).
    error ConsortiumInvalidMember(Role role, uint256 nameLength, uint256 keyCount);
    /// @notice The zero address cannot be a key of organisation `orgId`.
    error ConsortiumZeroKey(uint32 orgId);
}
