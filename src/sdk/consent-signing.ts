/**
 * EIP-712 typed data for consent requests. Pure apart from reading the live domain: the domain
 * comes from the contract's ERC-5267 `eip712Domain()`, never from constants, so a signature is
 * always bound to the chain and contract it will be relayed to.
 */
import { TypedDataEncoder, type Signer, type TypedDataDomain } from "ethers";
import type { IConsentRegistry } from "../../typechain-types/contracts/ConsentRegistry";

export type GrantRequest = IConsentRegistry.GrantRequestStruct;
export type RevokeRequest = IConsentRegistry.RevokeRequestStruct;

/** Field lists match GRANT_TYPEHASH / REVOKE_TYPEHASH in ConsentRegistry.sol; a test compares digests. */
export const GRANT_TYPES = {
  GrantRequest: [
    { name: "subject", type: "address" },
    { name: "signer", type: "address" },
    { name: "purpose", type: "uint8" },
    { name: "grantee", type: "uint32" },
    { name: "expiresAt", type: "uint64" },
    { name: "signedAt", type: "uint64" },
    { name: "deadline", type: "uint256" },
  ],
};

export const REVOKE_TYPES = {
  RevokeRequest: [
    { name: "subject", type: "address" },
    { name: "signer", type: "address" },
    { name: "purpose", type: "uint8" },
    { name: "grantee", type: "uint32" },
    { name: "signedAt", type: "uint64" },
    { name: "deadline", type: "uint256" },
  ],
};

interface DomainSource {
  eip712Domain(): Promise<[string, string, string, bigint, string, string, bigint[]] & { name: string; version: string; chainId: bigint; verifyingContract: string }>;
}

/** Reads the EIP-712 domain a contract actually uses (ERC-5267). */
export async function readDomain(contract: DomainSource): Promise<TypedDataDomain> {
  const d = await contract.eip712Domain();
  return { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract };
}

export const grantDigest = (domain: TypedDataDomain, request: GrantRequest) => TypedDataEncoder.hash(domain, GRANT_TYPES, request);
export const revokeDigest = (domain: TypedDataDomain, request: RevokeRequest) => TypedDataEncoder.hash(domain, REVOKE_TYPES, request);

export const signGrant = (signer: Signer, domain: TypedDataDomain, request: GrantRequest) => signer.signTypedData(domain, GRANT_TYPES, request);
export const signRevoke = (signer: Signer, domain: TypedDataDomain, request: RevokeRequest) => signer.signTypedData(domain, REVOKE_TYPES, request);
