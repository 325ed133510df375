// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {Role, MemberStatus} from "./generated/MedprovConstants.sol";

/// @title Consortium
/// @notice Membership registry of medprov. See {IConsortium}.
/// @dev Governance functions are `restricted`: the AccessManager decides who may call them and
/// after which execution delay. Two fast paths bypass governance because they only ever take
/// power away: a regulator suspending a non-regulator, and an organisation revoking its own key.
contract Consortium is IConsortium, AccessManaged {
    struct KeyRecord {
        uint32 orgId;
        bool revoked;
    }

    struct Org {
        Role role;
        MemberStatus status;
    }

    string public constant VERSION = "1.0.0";

    mapping(address key => KeyRecord) private _keys;
    mapping(uint32 orgId => Org) private _orgs;
    uint32 private _count;

    constructor(address manager) AccessManaged(manager) {}

    // ───────────────────────────── governance ─────────────────────────────

    /// @inheritdoc IConsortium
    function admitMember(string calldata name, Role role, address[] calldata keys) external restricted returns (uint32 orgId) {
        if (role == Role.NONE || bytes(name).length == 0 || keys.length == 0) {
            revert ConsortiumInvalidMember(role, bytes(name).length, keys.length);
        }
        orgId = ++_count;
        _orgs[orgId] = Org(role, MemberStatus.ACTIVE);
        emit MemberAdmitted(orgId, role, name);
        for (uint256 i = 0; i < keys.length; ++i) _addKey(orgId, keys[i]);
    }

    /// @inheritdoc IConsortium
    function removeMember(uint32 orgId) external restricted {
        Org storage org = _org(orgId);
        if (org.status == MemberStatus.REMOVED) revert ConsortiumInvalidStatusChange(orgId, org.status, MemberStatus.REMOVED);
        _setStatus(orgId, org, MemberStatus.REMOVED);
    }

    /// @inheritdoc IConsortium
    function suspendMember(uint32 orgId) external {
        Org storage org = _org(orgId);
        if (!_isRegulatorFor(msg.sender, org.role)) _checkCanCall(msg.sender, msg.data);
        if (org.status != MemberStatus.ACTIVE) revert ConsortiumInvalidStatusChange(orgId, org.status, MemberStatus.SUSPENDED);
        _setStatus(orgId, org, MemberStatus.SUSPENDED);
    }

    /// @inheritdoc IConsortium
    function reinstateMember(uint32 orgId) external restricted {
        Org storage org = _org(orgId);
        if (org.status != MemberStatus.SUSPENDED) revert ConsortiumInvalidStatusChange(orgId, org.status, MemberStatus.ACTIVE);
        _setStatus(orgId, org, MemberStatus.ACTIVE);
    }

    /// @inheritdoc IConsortium
    function addKey(uint32 orgId, address key) external restricted {
        Org storage org = _org(orgId);
        if (org.status == MemberStatus.REMOVED) revert ConsortiumMemberNotActive(orgId, org.status);
        _addKey(orgId, key);
    }

    /// @inheritdoc IConsortium
    function revokeKey(address key) external {
        KeyRecord storage record = _keys[key];
        uint32 orgId = record.orgId;
        if (orgId == 0) revert ConsortiumUnknownKey(key);
        if (record.revoked) revert ConsortiumKeyRevoked(key, orgId);
        KeyRecord memory caller = _keys[msg.sender];
        if (caller.orgId != orgId || caller.revoked) _checkCanCall(msg.sender, msg.data);
        record.revoked = true;
        emit KeyRevoked(orgId, key, msg.sender);
    }

    // ───────────────────────────── views ─────────────────────────────

    /// @inheritdoc IConsortium
    function keyInfo(address key) external view returns (uint32 orgId, bool revoked) {
        KeyRecord memory record = _keys[key];
        return (record.orgId, record.revoked);
    }

    /// @inheritdoc IConsortium
    function member(uint32 orgId) external view returns (Role role, MemberStatus status) {
        Org memory org = _orgs[orgId];
        return (org.role, org.status);
    }

    /// @inheritdoc IConsortium
    function memberCount() external view returns (uint32) {
        return _count;
    }

    /// @inheritdoc IConsortium
    function exists(uint32 orgId) external view returns (bool) {
        return _orgs[orgId].status != MemberStatus.NONE;
    }

    /// @inheritdoc IConsortium
    function requireMember(address key, Role role) external view returns (uint32 orgId) {
        Role actual;
        (orgId, actual) = _requireActive(key);
        if (actual != role) revert ConsortiumWrongRole(orgId, actual, role);
    }

    /// @inheritdoc IConsortium
    function requireAnyMember(address key) external view returns (uint32 orgId, Role role) {
        return _requireActive(key);
    }

    // ───────────────────────────── internals ─────────────────────────────

    function _requireActive(address key) private view returns (uint32 orgId, Role role) {
        KeyRecord memory record = _keys[key];
        orgId = record.orgId;
        if (orgId == 0) revert ConsortiumUnknownKey(key);
        if (record.revoked) revert ConsortiumKeyRevoked(key, orgId);
        Org memory org = _orgs[orgId];
        if (org.status != MemberStatus.ACTIVE) revert ConsortiumMemberNotActive(orgId, org.status);
        role = org.role;
    }

    /// @dev A regulator may suspend any non-regulator at once; suspending a regulator needs governance,
    /// so one captured regulator key cannot silence the others.
    function _isRegulatorFor(address caller, Role targetRole) private view returns (bool) {
        if (targetRole == Role.REGULATOR) return false;
        KeyRecord memory record = _keys[caller];
        if (record.orgId == 0 || record.revoked) return false;
        Org memory org = _orgs[record.orgId];
        return org.role == Role.REGULATOR && org.status == MemberStatus.ACTIVE;
    }

    function _org(uint32 orgId) private view returns (Org storage org) {
        org = _orgs[orgId];
        if (org.status == MemberStatus.NONE) revert ConsortiumUnknownMember(orgId);
    }

    function _setStatus(uint32 orgId, Org storage org, MemberStatus status) private {
        MemberStatus previous = org.status;
        org.status = status;
        emit MemberStatusChanged(orgId, previous, status, msg.sender);
    }

    function _addKey(uint32 orgId, address key) private {
        if (key == address(0)) revert ConsortiumZeroKey(orgId);
        uint32 existing = _keys[key].orgId;
        if (existing != 0) revert ConsortiumKeyAlreadyUsed(key, existing);
        _keys[key] = KeyRecord(orgId, false);
        emit KeyAdded(orgId, key);
    }
}
