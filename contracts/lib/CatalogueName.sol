// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MedprovConstants} from "../generated/MedprovConstants.sol";

/// @title CatalogueName
/// @notice The one spelling rule of every governed catalogue (purposes, indications, incident
/// categories): `[A-Z][A-Z0-9]*(_[A-Z0-9]+)*`, at most MAX_PURPOSE_NAME_LENGTH bytes. One spelling
/// per name, so uniqueness of the bytes is uniqueness of the name and look-alikes cannot be added.
library CatalogueName {
    /// @notice True when `name` is canonical.
    function isCanonical(bytes memory name) internal pure returns (bool) {
        uint256 length = name.length;
        if (length == 0 || length > MedprovConstants.MAX_PURPOSE_NAME_LENGTH) return false;
        if (name[0] < "A" || name[0] > "Z" || name[length - 1] == "_") return false;
        for (uint256 i = 1; i < length; ++i) {
            bytes1 ch = name[i];
            bool word = (ch >= "A" && ch <= "Z") || (ch >= "0" && ch <= "9");
            if (!word && (ch != "_" || name[i - 1] == "_")) return false;
        }
        return true;
    }
}
