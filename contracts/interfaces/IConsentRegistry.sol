// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumErrors} from "./IConsortiumErrors.sol";

/// @title IConsentRegistry
/// @notice Dynamic, per-purpose patient consent (DESIGN §4.2) and the governed purpose catalogue.
/// A consent is keyed by (subject, purpose, grantee) where grantee is a member organisation id or
/// 0 for "any active member"; each key occupies exactly one storage slot. Subjects are pseudonymous
/// addresses (an EOA or an ERC-1271 contract wallet): no personal data ever reaches this contract.
/// @dev Order of a slot's writes: every write carries the time its subject (or delegate) decided it,
/// `signedAt`. A signed request names it (at most the block time) and takes effect only when it is
/// newer than the write in force, where a revocation beats a grant signed in the same second. So a
/// signed revocation voids every grant signed at or before it, in whatever order the two are
/// relayed; a revocation of a slot with no grant in force is recorded as a cancellation that does
/// the same; and no request can be relayed twice. A signed request quotes no slot state (no nonce):
/// another write relayed first can never make it stale, only a newer decision. A direct write is
/// the subject's own transaction: it takes effect when included and is dated by its block.
interface IConsentRegistry is IConsortiumErrors {
    /// @notice The state of one (subject, purpose, grantee) consent, packed in one slot.
    struct Consent {
        uint64 grantedAt; // block time of the grant in force; 0: never granted
        uint64 expiresAt; // consent lapses at this time (exclusive)
        uint64 revokedAt; // block time of the revocation that ended the last grant; 0: not revoked since
        uint64 signedAt; // signing time of the write in force (grant, revocation or cancellation); 0: none
    }

    /// @notice EIP-712 request to grant, signed by the subject or one of its delegates at `signedAt`.
    struct GrantRequest {
        address subject;
        address signer;
        uint8 purpose;
        uint32 grantee;
        uint64 expiresAt;
        uint64 signedAt;
        uint256 deadline;
    }

    /// @notice EIP-712 request to revoke (or cancel a pending grant), signed at `signedAt`.
    struct RevokeRequest {
        address subject;
        address signer;
        uint8 purpose;
        uint32 grantee;
        uint64 signedAt;
        uint256 deadline;
    }

    /// @notice Governance added `purpose` to the catalogue under `name`.
    event PurposeAdded(uint8 indexed purpose, string name);
    /// @notice `subject` consented to use for `purpose` by `grantee` (0 = any active member) until
    /// `expiresAt`, decided at `signedAt`. `actor` decided (the subject or a delegate); `relayer` sent
    /// the transaction.
    event ConsentGranted(
        address indexed subject,
        uint8 indexed purpose,
        uint32 indexed grantee,
        uint64 expiresAt,
        address actor,
        address relayer,
        uint64 signedAt
    );
    /// @notice `subject` withdrew the grant in force for `purpose` by `grantee`, effective in this
    /// block; grants signed at or before `signedAt` can no longer take effect.
    event ConsentRevoked(
        address indexed subject,
        uint8 indexed purpose,
        uint32 indexed grantee,
        address actor,
        address relayer,
        uint64 signedAt
    );
    /// @notice `subject` revoked a slot with no grant in force (never granted, or already revoked):
    /// nothing ended, but grants signed at or before `signedAt` can no longer take effect.
    event ConsentCancelled(
        address indexed subject,
        uint8 indexed purpose,
        uint32 indexed grantee,
        address actor,
        address relayer,
        uint64 signedAt
    );
    /// @notice `delegate` (a guardian) may now grant and revoke on behalf of `subject`.
    event DelegateAppointed(address indexed subject, address indexed delegate);
    /// @notice `delegate` may no longer act for `subject`.
    event DelegateRemoved(address indexed subject, address indexed delegate);

    /// @notice The purpose id is not in the catalogue.
    error ConsentRegistryUnknownPurpose(uint8 purpose);
    /// @notice The catalogue already holds the maximum number of purposes.
    error ConsentRegistryCatalogueFull(uint8 max);
    /// @notice The grantee is not an admitted organisation.
    error ConsentRegistryUnknownGrantee(uint32 grantee);
    /// @notice The grantee was removed from the consortium (final): nobody can act on the grant.
    error ConsentRegistryGranteeRemoved(uint32 grantee);
    /// @notice The expiry is not in the future.
    error ConsentRegistryInvalidExpiry(uint64 expiresAt, uint256 currentTime);
    /// @notice `caller` is neither `subject` nor one of its delegates.
    error ConsentRegistryNotSubjectOrDelegate(address subject, address caller);
    /// @notice The signed request's deadline has passed.
    error ConsentRegistryExpiredSignature(uint256 deadline, uint256 currentTime);
    /// @notice The signed request claims to be signed after the current block.
    error ConsentRegistrySignedInFuture(uint64 signedAt, uint256 currentTime);
    /// @notice The grant was signed at or before the revocation (or cancellation) in force: void.
    error ConsentRegistryGrantRevoked(bytes32 consentId, uint64 signedAt, uint64 revocationSignedAt);
    /// @notice The request is not newer than the write in force (signed at `inForceSignedAt`): an
    /// older decision, or the same request relayed again.
    error ConsentRegistrySuperseded(bytes32 consentId, uint64 signedAt, uint64 inForceSignedAt);
    /// @notice The signature is not `signer`'s (ECDSA or ERC-1271).
    error ConsentRegistryInvalidSignature(address signer);
    /// @notice A subject cannot appoint itself or the zero address.
    error ConsentRegistryInvalidDelegate(address delegate);
    /// @notice The address is not a delegate of the subject.
    error ConsentRegistryUnknownDelegate(address subject, address delegate);
    /// @notice The purpose name is not canonical: 1 to MAX_PURPOSE_NAME_LENGTH characters, words of
    /// A–Z and 0–9 joined by single underscores, starting with a letter ("MODEL_TRAINING").
    error ConsentRegistryPurposeNameNotCanonical(string name);
    /// @notice The catalogue already holds a purpose of this name.
    error ConsentRegistryPurposeNameTaken(string name);

    /// @notice Adds a purpose to the catalogue. Governance only (AccessManager, delayed). The name
    /// must be canonical (see {ConsentRegistryPurposeNameNotCanonical}), so look-alikes of a name
    /// ("research", "RESEARCH ", "Research") cannot sit beside it.
    /// @return purpose the new purpose id
    function addPurpose(string calldata name) external returns (uint8 purpose);

    /// @notice Grants consent; the caller is `subject` or one of its delegates, deciding now (signedAt =
    /// block time). `grantee` is an ACTIVE or SUSPENDED member (a suspended one cannot act until
    /// reinstated), or 0 for any active member; a removed or unknown organisation is refused.
    function grantConsent(address subject, uint8 purpose, uint32 grantee, uint64 expiresAt) external;

    /// @notice Revokes consent; the caller is `subject` or one of its delegates. Never blocked by
    /// any role, pause or suspension. With no grant in force it records a cancellation instead,
    /// which voids grants signed until now that are still waiting to be relayed.
    function revokeConsent(address subject, uint8 purpose, uint32 grantee) external;

    /// @notice Relays a signed grant. Only an active HOSPITAL key may relay grants. Refused when a
    /// revocation, cancellation or grant signed at or after `request.signedAt` is in force.
    function grantConsentBySig(GrantRequest calldata request, bytes calldata signature) external;

    /// @notice Relays a signed revocation (or cancellation). Anyone may relay it, member or not.
    /// Takes effect unless the subject signed a newer grant that is already in force.
    function revokeConsentBySig(RevokeRequest calldata request, bytes calldata signature) external;

    /// @notice Lets `delegate` grant and revoke for the caller.
    function appointDelegate(address delegate) external;

    /// @notice Withdraws a delegate appointment of the caller.
    function removeDelegate(address delegate) external;

    /// @notice True when `subject`'s consent for `purpose` covers `grantee` now: a live grant
    /// to `grantee` itself, or to any member (grantee 0) when `grantee` is an ACTIVE member now.
    function isConsentValid(address subject, uint8 purpose, uint32 grantee) external view returns (bool);

    /// @notice The raw state of one consent slot.
    function consent(address subject, uint8 purpose, uint32 grantee) external view returns (Consent memory);

    /// @notice keccak256(abi.encode(subject, purpose, grantee)): the slot's key, mirrored by the SDK.
    function consentId(address subject, uint8 purpose, uint32 grantee) external pure returns (bytes32);

    /// @notice True when `delegate` may act for `subject`.
    function isDelegate(address subject, address delegate) external view returns (bool);

    /// @notice Number of purposes in the catalogue (ids run 0..count-1).
    function purposeCount() external view returns (uint8);

    /// @notice Bitmask of all catalogue purposes (bit i = purpose i).
    function purposeMask() external view returns (uint64);

    /// @notice EIP-712 digest the subject or delegate signs for a grant.
    function grantDigest(GrantRequest calldata request) external view returns (bytes32);

    /// @notice EIP-712 digest the subject or delegate signs for a revocation.
    function revokeDigest(RevokeRequest calldata request) external view returns (bytes32);
}
