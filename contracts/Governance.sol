// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// The consortium's governance is OpenZeppelin's AccessManager, deployed as is: importing it here
// makes Hardhat compile it so deployments and TypeChain bindings come from this repository's build.
// solhint-disable-next-line no-unused-import
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
