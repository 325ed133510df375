// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {Catalogue} from "./lib/Catalogue.sol";
import {Role, MemberStatus, MedprovConstants} from "./generated/MedprovConstants.sol";

/// @title ConsentRegistry
/// @notice See {IConsentRegistry}.
/// @dev No OpenZeppelin `Nonces`: a slot's writes are ordered by their signing time instead (see
/// {IConsentRegistry}). A shared nonce is what let a relayed grant make a signed revocation stale;
/// the signing time keeps a grant to one storage slot and cannot be consumed by anyone else.
contract ConsentRegistry is IConsentRegistry, AccessManaged, EIP712 {
    using Catalogue for Catalogue.Masked;

    string public constant VERSION = "2.0.0";

    /// @dev Type strings beside their hashes, so a reader can check one against the other.
    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "GrantRequest(address subject,address signer,uint8 purpose,uint32 grantee,uint64 expiresAt,uint64 signedAt,uint256 deadline)"
    );
    bytes32 public constant REVOKE_TYPEHASH = keccak256(
        "RevokeRequest(address subject,address signer,uint8 purpose,uint32 grantee,uint64 signedAt,uint256 deadline)"
    );

    IConsortium public immutable consortium;

    mapping(bytes32 consentId => Consent) private _consents;
    mapping(address subject => mapping(address delegate => bool)) private _delegates;
    Catalogue.Masked private _purposeCatalogue;

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
        // A direct write is ordered by its inclusion and dated by its block: no signed write in
        // force can be later (each was signed at most at its own, earlier or same, block time).
        bytes32 id = consentId(subject, purpose, grantee);
        _grant(id, subject, purpose, grantee, expiresAt, uint64(block.timestamp), msg.sender);
    }

    /// @inheritdoc IConsentRegistry
    function revokeConsent(address subject, uint8 purpose, uint32 grantee) external {
        _requireSubjectOrDelegate(subject, msg.sender);
        bytes32 id = consentId(subject, purpose, grantee);
        _revoke(id, subject, purpose, grantee, uint64(block.timestamp), msg.sender);
    }

    // ───────────────────────────── signed writes ─────────────────────────────

    /// @inheritdoc IConsentRegistry
    function grantConsentBySig(GrantRequest calldata r, bytes calldata signature) external {
        consortium.requireMember(msg.sender, Role.HOSPITAL);
        bytes32 id = consentId(r.subject, r.purpose, r.grantee);
        _checkSigned(r.subject, r.signer, r.signedAt, r.deadline);
        _requireNewer(id, _consents[id], r.signedAt, false);
        _checkSignature(r.signer, grantDigest(r), signature);
        _grant(id, r.subject, r.purpose, r.grantee, r.expiresAt, r.signedAt, r.signer);
    }

    /// @inheritdoc IConsentRegistry
    function revokeConsentBySig(RevokeRequest calldata r, bytes calldata signature) external {
        bytes32 id = consentId(r.subject, r.purpose, r.grantee);
        _checkSigned(r.subject, r.signer, r.signedAt, r.deadline);
        _requireNewer(id, _consents[id], r.signedAt, true);
        _checkSignature(r.signer, revokeDigest(r), signature);
        _revoke(id, r.subject, r.purpose, r.grantee, r.signedAt, r.signer);
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
        if (grantee == MedprovConstants.ANY_MEMBER) return false;
        if (!_live(_consents[consentId(subject, purpose, MedprovConstants.ANY_MEMBER)])) return false;
        (, MemberStatus status) = consortium.member(grantee);
        return status == MemberStatus.ACTIVE;
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
        return _purposeCatalogue.count;
    }

    /// @inheritdoc IConsentRegistry
    function purposeMask() external view returns (uint64) {
        return _purposeCatalogue.mask;
    }

    /// @inheritdoc IConsentRegistry
    function grantDigest(GrantRequest calldata r) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(GRANT_TYPEHASH, r.subject, r.signer, r.purpose, r.grantee, r.expiresAt, r.signedAt, r.deadline))
        );
    }

    /// @inheritdoc IConsentRegistry
    function revokeDigest(RevokeRequest calldata r) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(REVOKE_TYPEHASH, r.subject, r.signer, r.purpose, r.grantee, r.signedAt, r.deadline))
        );
    }

    // ───────────────────────────── internals ─────────────────────────────

    /// @dev Callers have checked the actor and, for a signed request, the order (`_requireNewer`).
    function _grant(
        bytes32 id,
        address subject,
        uint8 purpose,
        uint32 grantee,
        uint64 expiresAt,
        uint64 signedAt,
        address actor
    ) private {
        if ((_purposeCatalogue.mask >> purpose) & 1 == 0) revert ConsentRegistryUnknownPurpose(purpose);
        if (expiresAt <= block.timestamp) revert ConsentRegistryInvalidExpiry(expiresAt, block.timestamp);
        if (grantee != MedprovConstants.ANY_MEMBER) _requireGrantable(grantee);
        // One SSTORE: the whole slot is rewritten at once.
        _consents[id] = Consent(uint64(block.timestamp), expiresAt, 0, signedAt);
        emit ConsentGranted(subject, purpose, grantee, expiresAt, actor, msg.sender, signedAt);
    }

    function _revoke(bytes32 id, address subject, uint8 purpose, uint32 grantee, uint64 signedAt, address actor) private {
        Consent memory c = _consents[id];
        if (c.grantedAt != 0 && c.revokedAt == 0) {
            _consents[id] = Consent(c.grantedAt, c.expiresAt, uint64(block.timestamp), signedAt);
            emit ConsentRevoked(subject, purpose, grantee, actor, msg.sender, signedAt);
        } else {
            // Nothing to end: record the decision so that grants signed before it stay void.
            _consents[id].signedAt = signedAt;
            emit ConsentCancelled(subject, purpose, grantee, actor, msg.sender, signedAt);
        }
    }

    /// @dev A write takes effect only when its (signedAt, is-revocation) pair is greater than the
    /// in-force write's: later decisions win, and a revocation wins a tie with a grant.
    function _requireNewer(bytes32 id, Consent memory c, uint64 signedAt, bool revocation) private pure {
        bool revocationInForce = c.grantedAt == 0 || c.revokedAt != 0;
        if (signedAt > c.signedAt || (signedAt == c.signedAt && revocation && !revocationInForce)) return;
        // c.signedAt == 0 only on a slot never written: no revocation to name.
        if (!revocation && revocationInForce && c.signedAt != 0) revert ConsentRegistryGrantRevoked(id, signedAt, c.signedAt);
        revert ConsentRegistrySuperseded(id, signedAt, c.signedAt);
    }

    function _requireGrantable(uint32 grantee) private view {
        (, MemberStatus status) = consortium.member(grantee);
        if (status == MemberStatus.NONE) revert ConsentRegistryUnknownGrantee(grantee);
        // SUSPENDED is accepted: suspension is temporary and the member cannot act while it lasts.
        if (status == MemberStatus.REMOVED) revert ConsentRegistryGranteeRemoved(grantee);
    }

    function _checkSigned(address subject, address signer, uint64 signedAt, uint256 deadline) private view {
        if (block.timestamp > deadline) revert ConsentRegistryExpiredSignature(deadline, block.timestamp);
        if (signedAt > block.timestamp) revert ConsentRegistrySignedInFuture(signedAt, block.timestamp);
        _requireSubjectOrDelegate(subject, signer);
    }

    function _checkSignature(address signer, bytes32 digest, bytes calldata signature) private view {
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) revert ConsentRegistryInvalidSignature(signer);
    }

    function _requireSubjectOrDelegate(address subject, address actor) private view {
        if (actor != subject && !_delegates[subject][actor]) revert ConsentRegistryNotSubjectOrDelegate(subject, actor);
    }

    function _live(Consent memory c) private view returns (bool) {
        return c.grantedAt != 0 && c.revokedAt == 0 && c.expiresAt > block.timestamp;
    }

    function _addPurpose(string memory name) private returns (uint8 purpose) {
        purpose = _purposeCatalogue.add(name, MedprovConstants.MAX_PURPOSES, ConsentRegistryCatalogueFull.selector,
            ConsentRegistryPurposeNameNotCanonical.selector, ConsentRegistryPurposeNameTaken.selector);
        emit PurposeAdded(purpose, name);
    }
}
