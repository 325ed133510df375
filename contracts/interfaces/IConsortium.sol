// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Role, MemberStatus} from "../generated/MedprovConstants.sol";
import {IConsortiumErrors} from "./IConsortiumErrors.sol";

/// @title IConsortium
/// @notice Member organisations of the medprov consortium, their single role, their signing
/// keys and their status. Membership changes go through the consortium's AccessManager, whose
/// execution delay makes every admission, key addition and reinstatement wait. A regulator may
/// suspend a member at once (the paper's "blacklist"); a member may revoke its own keys at once.
/// Every registry asks this contract who a caller is before it writes.
interface IConsortium is IConsortiumErrors {
    /// @notice A member organisation was admitted with `role`. `name` is a public label, never personal data.
    event MemberAdmitted(uint32 indexed orgId, Role role, string name);
    /// @notice A member's status changed (suspended, reinstated, removed) by `actor`.
    event MemberStatusChanged(uint32 indexed orgId, MemberStatus previous, MemberStatus status, address indexed actor);
    /// @notice `key` may now sign for organisation `orgId`.
    event KeyAdded(uint32 indexed orgId, address indexed key);
    /// @notice `key` no longer signs for organisation `orgId`; a revoked key is never reused.
    event KeyRevoked(uint32 indexed orgId, address indexed key, address indexed actor);

    /// @notice Admits an organisation with one role and its first signing keys. Governance only, delayed.
    /// @return orgId the new organisation's id (sequential from 1; 0 means "any member" in consents).
    function admitMember(string calldata name, Role role, address[] calldata keys) external returns (uint32 orgId);

    /// @notice Removes a member for good; its keys stop working at once. Governance only, delayed.
    function removeMember(uint32 orgId) external;

    /// @notice Suspends an ACTIVE member: governance, or at once by any active regulator key.
    function suspendMember(uint32 orgId) external;

    /// @notice Reinstates a SUSPENDED member. Governance only, delayed.
    function reinstateMember(uint32 orgId) external;

    /// @notice Adds a signing key to an organisation. Governance only, delayed.
    function addKey(uint32 orgId, address key) external;

    /// @notice Revokes a key: governance, or at once by any active key of the same organisation
    /// (a compromised key must not wait for a vote).
    function revokeKey(address key) external;

    /// @notice The organisation a key signs for, and whether it was revoked. orgId 0: unknown key.
    function keyInfo(address key) external view returns (uint32 orgId, bool revoked);

    /// @notice Role and status of an organisation.
    function member(uint32 orgId) external view returns (Role role, MemberStatus status);

    /// @notice Number of organisations ever admitted (ids run 1..count).
    function memberCount() external view returns (uint32);

    /// @notice Resolves an active key of an ACTIVE member with role `role`, or reverts with the reason.
    function requireMember(address key, Role role) external view returns (uint32 orgId);

    /// @notice Resolves an active key of any ACTIVE member, or reverts with the reason.
    function requireAnyMember(address key) external view returns (uint32 orgId, Role role);

    /// @notice True when `orgId` names an admitted organisation (any status).
    function exists(uint32 orgId) external view returns (bool);
}
