// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Roles
/// @notice The consortium role identifiers, `keccak256("<NAME>_ROLE")`, shared by every Recourse contract.
library Roles {
    bytes32 internal constant BANK = keccak256("BANK_ROLE");
    bytes32 internal constant COLLECTOR = keccak256("COLLECTOR_ROLE");
    bytes32 internal constant MEDIATOR = keccak256("MEDIATOR_ROLE");
    bytes32 internal constant COURT = keccak256("COURT_ROLE");
    bytes32 internal constant INVESTOR = keccak256("INVESTOR_ROLE");
    bytes32 internal constant AUDITOR = keccak256("AUDITOR_ROLE");
    bytes32 internal constant ORACLE = keccak256("ORACLE_ROLE");
    bytes32 internal constant REGULATOR = keccak256("REGULATOR_ROLE");
    /// @dev The bank that issues and redeems the settlement token.
    bytes32 internal constant SETTLEMENT_BANK = keccak256("SETTLEMENT_BANK_ROLE");

    // --- requirements that are not member roles (they name what a refused caller lacked) ---

    /// @dev Held by the consortium contract alone: a call that k-of-n governors approved and the consortium
    /// executed (a `Call` proposal). No member can hold it.
    bytes32 internal constant GOVERNANCE = keccak256("GOVERNANCE_ROLE");
    /// @dev Any one of BANK, COLLECTOR or COURT (who may anchor evidence). The consortium grants the three
    /// roles; this identifier only names the requirement in a refusal.
    bytes32 internal constant EVIDENCE_ANCHORER = keccak256("EVIDENCE_ANCHORER_ROLE");
}
