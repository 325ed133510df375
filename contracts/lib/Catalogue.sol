// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CatalogueName} from "./CatalogueName.sol";

/// @title Catalogue
/// @notice How an entry joins a governed catalogue (purposes, indications, incident categories):
/// there is room, the name is canonical (CatalogueName), no entry holds the name yet; then the name
/// is taken and the entry gets the next number, from 0, in the order added. Entries are never removed.
/// @dev Each registry refuses with its OWN named errors (the SDK's sentences and the error catalogue
/// key on them), so the caller hands in the selectors of its three errors and this library reverts
/// with exactly the bytes `revert <Error>(args)` in the caller would give. Why selectors rather than a
/// refusal enum that each caller maps back to its errors: the mapping would be the same three `if`s
/// in every registry, the repetition this library exists to remove. Why three `bytes4` arguments
/// rather than a struct of them: a memory struct costs every add about 60 gas more, and the three are
/// always named at the call site by their `.selector`. The functions are internal, so they are
/// inlined into the caller: the revert and the caller's event come from the registry's address.
library Catalogue {
    /// @notice A catalogue that also keeps the bitmask of its entries (purposes, indications), for
    /// one-load membership checks. `mask` and `count` share one slot, as their variables did before.
    struct Masked {
        mapping(bytes32 nameHash => bool taken) names;
        uint64 mask;
        uint8 count;
    }

    /// @notice Adds `name` to `catalogue` as entry number `index` and sets bit `index` of its mask.
    /// @dev Refuses as `claim` does; the caller emits its own event.
    /// @param catalogue The catalogue to grow.
    /// @param name The new entry's name: canonical and not yet in the catalogue.
    /// @param max How many entries the catalogue may hold (at most 64, the mask's width).
    /// @param full Selector of the caller's error for a full catalogue, taking `max`.
    /// @param notCanonical Selector of the caller's error for a non-canonical name, taking the name.
    /// @param taken Selector of the caller's error for a name already in the catalogue, taking the name.
    /// @return index The new entry's number: how many entries there were before it.
    function add(Masked storage catalogue, string memory name, uint256 max, bytes4 full, bytes4 notCanonical, bytes4 taken)
        internal
        returns (uint8 index)
    {
        index = catalogue.count;
        claim(catalogue.names, index, name, max, full, notCanonical, taken);
        catalogue.count = index + 1;
        catalogue.mask |= uint64(1) << index;
    }

    /// @notice Checks that a catalogue of `count` entries has room for `name`, and marks the name
    /// taken; the caller numbers the entry `count` and counts it. For a catalogue kept outside
    /// `Masked` (incident categories: no mask, and their count shares a slot with another counter).
    /// @dev Reverts, checked in this order, with `full(max)` when `count >= max`, `notCanonical(name)`
    /// when `name` is not canonical, `taken(name)` when `names` already holds it. `full`'s argument
    /// may be declared `uint8` or `uint256`: both encode as the same 32-byte word.
    /// @param names The catalogue's names, by keccak256 of the name's bytes: true once taken.
    /// @param count How many entries the catalogue holds now.
    /// @param name The new entry's name.
    /// @param max How many entries the catalogue may hold.
    /// @param full Selector of the caller's error for a full catalogue, taking `max`.
    /// @param notCanonical Selector of the caller's error for a non-canonical name, taking the name.
    /// @param taken Selector of the caller's error for a name already in the catalogue, taking the name.
    function claim(
        mapping(bytes32 => bool) storage names,
        uint256 count,
        string memory name,
        uint256 max,
        bytes4 full,
        bytes4 notCanonical,
        bytes4 taken
    ) internal {
        if (count >= max) _refuse(abi.encodeWithSelector(full, max));
        if (!CatalogueName.isCanonical(bytes(name))) _refuse(abi.encodeWithSelector(notCanonical, name));
        bytes32 nameHash = keccak256(bytes(name));
        if (names[nameHash]) _refuse(abi.encodeWithSelector(taken, name));
        names[nameHash] = true;
    }

    /// @dev Reverts with `reason` as the revert data, as it is: an encoded custom error of the caller's.
    function _refuse(bytes memory reason) private pure {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            revert(add(reason, 0x20), mload(reason))
        }
    }
}
