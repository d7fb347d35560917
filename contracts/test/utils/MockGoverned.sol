// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ConsortiumGated} from "../../access/ConsortiumGated.sol";
import {IConsortium, ProposalId} from "../../interfaces/IConsortium.sol";

/// @notice A contract with one governed setting, as a Recourse contract keeps one: an `onlyConsortium` setter
/// that the consortium calls when it executes an approved `Call` proposal.
contract MockGoverned is ConsortiumGated {
    error MockGovernedRefused(uint256 value);

    event ValueSet(uint256 previous, uint256 current);

    uint256 private _value;

    constructor(IConsortium consortium_) ConsortiumGated(consortium_) {}

    /// @notice Sets the value (refusing zero, so a test can make the target revert); returns the old one.
    function setValue(uint256 value_) external onlyConsortium returns (uint256 previous) {
        if (value_ == 0) revert MockGovernedRefused(value_);
        previous = _value;
        _value = value_;
        emit ValueSet(previous, value_);
    }

    /// @notice Reverts with no data (the consortium then reports OpenZeppelin's `FailedCall`).
    function failSilently() external view onlyConsortium {
        revert();
    }

    function value() external view returns (uint256) {
        return _value;
    }
}

/// @notice A governor that is a contract and, when the consortium calls it, tries to execute another proposal
/// from inside that call.
contract ReentrantGovernor {
    IConsortium private immutable _consortium;
    ProposalId private _next;

    constructor(IConsortium consortium_) {
        _consortium = consortium_;
    }

    function arm(ProposalId next) external {
        _next = next;
    }

    /// @notice Called by the consortium (a `Call` proposal); re-enters `execute`.
    function poke() external {
        _consortium.execute(_next);
    }

    function approve(ProposalId id) external {
        _consortium.approve(id);
    }
}
