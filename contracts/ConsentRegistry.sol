// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {Role, MedprovConstants} from "./generated/MedprovConstants.sol";

/// @title ConsentRegistry
/// @notice See {IConsentRegistry}.
/// @dev Nonces live inside each consent slot instead of OpenZeppelin `Nonces`: it keeps a grant to
/// one storage slot and makes every revocation void the pending signatures for the same slot.
contract ConsentRegistry is IConsentRegistry, AccessManaged, EIP712 {
    string public constant VERSION = "1.0.0";

    /// @dev Type strings beside their hashes, so a reader can check one against the other.
    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "GrantRequest(address subject,address signer,uint8 purpose,uint32 grantee,uint64 expiresAt,uint64 nonce,uint256 deadline)"
    );
    bytes32 public constant REVOKE_TYPEHASH = keccak256(
        "RevokeRequest(address subject,address signer,uint8 purpose,uint32 grantee,uint64 nonce,uint256 deadline)"
    );

    IConsortium public immutable consortium;

    mapping(bytes32 consentId => Consent) private _consents;
    mapping(address subject => mapping(address delegate => bool)) private _delegates;
    mapping(bytes32 nameHash => bool) private _purposeNames;
    uint64 private _purposeMask;
    uint8 private _purposeCount;

    constructor(address manager, IConsortium consortium_)
        AccessManaged(manager)
        EIP712(MedprovConstants.CONSENT_EIP712_NAME, MedprovConstants.EIP712_VERSION)
    {
        consortium = consortium_;
        for (uint8 i = 0; i < MedprovConstants.DEFAULT_PURPOSE_COUNT; ++i) {
            _addPurpose(MedprovConstants.defaultPurposeName(i));
        }
    }

    // ───────────────────────────── catalogue ─────────────────────────────

    /// @inheritdoc IConsentRegistry
    function addPurpose(string calldata name) external restricted returns (uint8) {
        return _addPurpose(name);
    }

    // ───────────────────────────── direct writes ─────────────────────────────

    /// @inheritdoc IConsentRegistry
    function grantConsent(address subject, uint8 purpose, uint32 grantee, uint64 expiresAt) external {
        _requireSubjectOrDelegate(subject, msg.sender);
        bytes32 id = consentId(subject, purpose, grantee);
        _grant(id, subject, purpose, grantee, expiresAt, msg.sender);
    }

    /// @inheritdoc IConsentRegistry
    function revokeConsent(address subject, uint8 purpose, uint32 grantee) external {
        _requireSubjectOrDelegate(subject, msg.sender);
        _revoke(consentId(subject, purpose, grantee), subject, purpose, grantee, msg.sender);
    }

    // ───────────────────────────── signed writes ─────────────────────────────

    /// @inheritdoc IConsentRegistry
    function grantConsentBySig(GrantRequest calldata r, bytes calldata signature) external {
        consortium.requireMember(msg.sender, Role.HOSPITAL);
        bytes32 id = consentId(r.subject, r.purpose, r.grantee);
        _checkSigned(id, r.subject, r.signer, r.nonce, r.deadline, grantDigest(r), signature);
        _grant(id, r.subject, r.purpose, r.grantee, r.expiresAt, r.signer);
    }

    /// @inheritdoc IConsentRegistry
    function revokeConsentBySig(RevokeRequest calldata r, bytes calldata signature) external {
        bytes32 id = consentId(r.subject, r.purpose, r.grantee);
        _checkSigned(id, r.subject, r.signer, r.nonce, r.deadline, revokeDigest(r), signature);
        _revoke(id, r.subject, r.purpose, r.grantee, r.signer);
    }

    // ───────────────────────────── delegates ─────────────────────────────

    /// @inheritdoc IConsentRegistry
    function appointDelegate(address delegate) external {
        if (delegate == address(0) || delegate == msg.sender) revert ConsentRegistryInvalidDelegate(delegate);
        _delegates[msg.sender][delegate] = true;
        emit DelegateAppointed(msg.sender, delegate);
    }

    /// @inheritdoc IConsentRegistry
    function removeDelegate(address delegate) external {
        if (!_delegates[msg.sender][delegate]) revert ConsentRegistryUnknownDelegate(msg.sender, delegate);
        delete _delegates[msg.sender][delegate];
        emit DelegateRemoved(msg.sender, delegate);
    }

    // ───────────────────────────── views ─────────────────────────────

    /// @inheritdoc IConsentRegistry
    function isConsentValid(address subject, uint8 purpose, uint32 grantee) external view returns (bool) {
        if (_live(_consents[consentId(subject, purpose, grantee)])) return true;
        return grantee != MedprovConstants.ANY_MEMBER
            && _live(_consents[consentId(subject, purpose, MedprovConstants.ANY_MEMBER)])
            && consortium.exists(grantee);
    }

    /// @inheritdoc IConsentRegistry
    function consent(address subject, uint8 purpose, uint32 grantee) external view returns (Consent memory) {
        return _consents[consentId(subject, purpose, grantee)];
    }

    /// @inheritdoc IConsentRegistry
    function consentId(address subject, uint8 purpose, uint32 grantee) public pure returns (bytes32) {
        return keccak256(abi.encode(subject, purpose, grantee));
    }

    /// @inheritdoc IConsentRegistry
    function isDelegate(address subject, address delegate) external view returns (bool) {
        return _delegates[subject][delegate];
    }

    /// @inheritdoc IConsentRegistry
    function purposeCount() external view returns (uint8) {
        return _purposeCount;
    }

    /// @inheritdoc IConsentRegistry
    function purposeMask() external view returns (uint64) {
        return _purposeMask;
    }

    /// @inheritdoc IConsentRegistry
    function grantDigest(GrantRequest calldata r) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(GRANT_TYPEHASH, r.subject, r.signer, r.purpose, r.grantee, r.expiresAt, r.nonce, r.deadline))
        );
    }

    /// @inheritdoc IConsentRegistry
    function revokeDigest(RevokeRequest calldata r) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(REVOKE_TYPEHASH, r.subject, r.signer, r.purpose, r.grantee, r.nonce, r.deadline))
        );
    }

    // ───────────────────────────── internals ─────────────────────────────

    function _grant(bytes32 id, address subject, uint8 purpose, uint32 grantee, uint64 expiresAt, address actor) private {
        if ((_purposeMask >> purpose) & 1 == 0) revert ConsentRegistryUnknownPurpose(purpose);
        if (expiresAt <= block.timestamp) revert ConsentRegistryInvalidExpiry(expiresAt, block.timestamp);
        if (grantee != MedprovConstants.ANY_MEMBER && !consortium.exists(grantee)) revert ConsentRegistryUnknownGrantee(grantee);
        Consent storage c = _consents[id];
        uint64 nonce = c.nonce + 1;
        // One SSTORE: the whole slot is rewritten at once.
        _consents[id] = Consent(uint64(block.timestamp), expiresAt, 0, nonce);
        emit ConsentGranted(subject, purpose, grantee, expiresAt, actor, msg.sender, nonce);
    }

    function _revoke(bytes32 id, address subject, uint8 purpose, uint32 grantee, address actor) private {
        Consent storage c = _consents[id];
        if (c.grantedAt == 0 || c.revokedAt != 0) revert ConsentRegistryNotGranted(subject, purpose, grantee);
        uint64 nonce = c.nonce + 1;
        c.revokedAt = uint64(block.timestamp);
        c.nonce = nonce;
        emit ConsentRevoked(subject, purpose, grantee, actor, msg.sender, nonce);
    }

    function _checkSigned(
        bytes32 id,
        address subject,
        address signer,
        uint64 nonce,
        uint256 deadline,
        bytes32 digest,
        bytes calldata signature
    ) private view {
        if (block.timestamp > deadline) revert ConsentRegistryExpiredSignature(deadline, block.timestamp);
        _requireSubjectOrDelegate(subject, signer);
        uint64 expected = _consents[id].nonce;
        if (nonce != expected) revert ConsentRegistryInvalidNonce(id, expected, nonce);
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) revert ConsentRegistryInvalidSignature(signer);
    }

    function _requireSubjectOrDelegate(address subject, address actor) private view {
        if (actor != subject && !_delegates[subject][actor]) revert ConsentRegistryNotSubjectOrDelegate(subject, actor);
    }

    function _live(Consent memory c) private view returns (bool) {
        return c.grantedAt != 0 && c.revokedAt == 0 && c.expiresAt > block.timestamp;
    }

    function _addPurpose(string memory name) private returns (uint8 purpose) {
        purpose = _purposeCount;
        if (purpose >= MedprovConstants.MAX_PURPOSES) revert ConsentRegistryCatalogueFull(MedprovConstants.MAX_PURPOSES);
        bytes32 nameHash = keccak256(bytes(name));
        if (bytes(name).length == 0 || _purposeNames[nameHash]) revert ConsentRegistryInvalidPurposeName(name);
        _purposeNames[nameHash] = true;
        _purposeCount = purpose + 1;
        _purposeMask |= uint64(1) << purpose;
        emit PurposeAdded(purpose, name);
    }
}
