// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// The consortium's governance account is a Safe multisig (one owner per founding organisation,
// a threshold), deployed from the audited @safe-global/safe-smart-account sources as they are:
// importing them here makes Hardhat compile them with this repository's compiler, so a consortium
// chain without the canonical Safe deployments gets its singleton, proxy factory and TypeChain
// bindings from this build (`medprov deploy --safe-owners …`).
// solhint-disable no-unused-import
import {Safe} from "@safe-global/safe-smart-account/contracts/Safe.sol";
import {SafeProxyFactory} from "@safe-global/safe-smart-account/contracts/proxies/SafeProxyFactory.sol";
