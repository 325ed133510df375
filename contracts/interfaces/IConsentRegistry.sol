// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumErrors} from "./IConsortiumErrors.sol";

/// @title IConsentRegistry
/// @notice Dynamic, per-purpose patient consent (DESIGN §4.2) and the governed purpose catalogue.
/// A consent is keyed by (subject, purpose, grantee) where grantee is a member organisation id or
/// 0 for "any member"; each key occupies exactly one storage slot. Subjects are pseudonymous
/// addresses (an EOA or an ERC-1271 contract wallet): no personal data ever reaches this contract.
/// @dev Every write bumps the slot's nonce. A signed request must carry the slot's current nonce,
/// so a revocation also voids every signed grant for that slot that was not yet relayed.
interface IConsentRegistry is IConsortiumErrors {
    /// @notice The state of one (subject, purpose, grantee) consent, packed in one slot.
    struct Consent {
        uint64 grantedAt; // 0: never granted
        uint64 expiresAt; // consent lapses at this time (exclusive)
        uint64 revokedAt; // 0: not revoked since the last grant
        uint64 nonce; // writes so far; signed requests must quote it
    }

    /// @notice EIP-712 request to grant, signed by the subject or one of its delegates.
    struct GrantRequest {
        address subject;
        address signer;
        uint8 purpose;
        uint32 grantee;
        uint64 expiresAt;
        uint64 nonce;
        uint256 deadline;
    }

    /// @notice EIP-712 request to revoke, signed by the subject or one of its delegates.
    struct RevokeRequest {
        address subject;
        address signer;
        uint8 purpose;
        uint32 grantee;
        uint64 nonce;
        uint256 deadline;
    }

    /// @notice Governance added `purpose` to the catalogue under `name`.
    event PurposeAdded(uint8 indexed purpose, string name);
    /// @notice `subject` consented to use for `purpose` by `grantee` (0 = any member) until `expiresAt`.
    /// `actor` decided (the subject or a delegate); `relayer` sent the transaction.
    event ConsentGranted(
        address indexed subject,
        uint8 indexed purpose,
        uint32 indexed grantee,
        uint64 expiresAt,
        address actor,
        address relayer,
        uint64 nonce
    );
    /// @notice `subject` withdrew consent for `purpose` by `grantee`, effective in this block.
    event ConsentRevoked(
        address indexed subject,
        uint8 indexed purpose,
        uint32 indexed grantee,
        address actor,
        address relayer,
        uint64 nonce
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
    /// @notice The expiry is not in the future.
    error ConsentRegistryInvalidExpiry(uint64 expiresAt, uint256 currentTime);
    /// @notice `caller` is neither `subject` nor one of its delegates.
    error ConsentRegistryNotSubjectOrDelegate(address subject, address caller);
    /// @notice The signed request's deadline has passed.
    error ConsentRegistryExpiredSignature(uint256 deadline, uint256 currentTime);
    /// @notice The signed request quotes another nonce than the consent slot's current one.
    error ConsentRegistryInvalidNonce(bytes32 consentId, uint64 expected, uint64 provided);
    /// @notice The signature is not `signer`'s (ECDSA or ERC-1271).
    error ConsentRegistryInvalidSignature(address signer);
    /// @notice There is no live grant to revoke.
    error ConsentRegistryNotGranted(address subject, uint8 purpose, uint32 grantee);
    /// @notice A subject cannot appoint itself or the zero address.
    error ConsentRegistryInvalidDelegate(address delegate);
    /// @notice The address is not a delegate of the subject.
    error ConsentRegistryUnknownDelegate(address subject, address delegate);
    /// @notice The purpose name is empty or already used.
    error ConsentRegistryInvalidPurposeName(string name);

    /// @notice Adds a purpose to the catalogue. Governance only (AccessManager, delayed).
    /// @return purpose the new purpose id
    function addPurpose(string calldata name) external returns (uint8 purpose);

    /// @notice Grants consent; the caller is `subject` or one of its delegates.
    function grantConsent(address subject, uint8 purpose, uint32 grantee, uint64 expiresAt) external;

    /// @notice Revokes consent; the caller is `subject` or one of its delegates. Never blocked by
    /// any role, pause or suspension.
    function revokeConsent(address subject, uint8 purpose, uint32 grantee) external;

    /// @notice Relays a signed grant. Only an active HOSPITAL key may relay grants.
    function grantConsentBySig(GrantRequest calldata request, bytes calldata signature) external;

    /// @notice Relays a signed revocation. Anyone may relay it, member or not.
    function revokeConsentBySig(RevokeRequest calldata request, bytes calldata signature) external;

    /// @notice Lets `delegate` grant and revoke for the caller.
    function appointDelegate(address delegate) external;

    /// @notice Withdraws a delegate appointment of the caller.
    function removeDelegate(address delegate) external;

    /// @notice True when `subject`'s consent for `purpose` covers `grantee` now: a live grant
    /// to `grantee` itself, or to any member (grantee 0) when `grantee` is an admitted member.
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
