// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {Consortium} from "../../access/Consortium.sol";
import {IConsortium, ProposalId} from "../../interfaces/IConsortium.sol";
import {SettlementToken} from "../../settlement/SettlementToken.sol";
import {MockEscrow} from "./MockEscrow.sol";

/// @notice The fixture world shared by every contract test: a 3-of-5 consortium, helpers that run a proposal
/// through the full propose / approve / execute cycle, and (for token tests) a settlement token with members.
abstract contract Deployers is Test {
    // --- role identifiers, spelled out independently of {Roles} so a typo there fails a test ---
    bytes32 internal constant BANK_ROLE = keccak256("BANK_ROLE");
    bytes32 internal constant COLLECTOR_ROLE = keccak256("COLLECTOR_ROLE");
    bytes32 internal constant MEDIATOR_ROLE = keccak256("MEDIATOR_ROLE");
    bytes32 internal constant COURT_ROLE = keccak256("COURT_ROLE");
    bytes32 internal constant INVESTOR_ROLE = keccak256("INVESTOR_ROLE");
    bytes32 internal constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");
    bytes32 internal constant ORACLE_ROLE = keccak256("ORACLE_ROLE");
    bytes32 internal constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");
    bytes32 internal constant SETTLEMENT_BANK_ROLE = keccak256("SETTLEMENT_BANK_ROLE");
    bytes32 internal constant UNKNOWN_ROLE = keccak256("UNKNOWN_ROLE");
    /// @dev Not a member role: what a caller of an `onlyConsortium` setting lacks.
    bytes32 internal constant GOVERNANCE_ROLE = keccak256("GOVERNANCE_ROLE");
    /// @dev Not a member role: what a caller who is none of BANK, COLLECTOR, COURT lacks to anchor evidence.
    bytes32 internal constant EVIDENCE_ANCHORER_ROLE = keccak256("EVIDENCE_ANCHORER_ROLE");

    // --- fixture parameters ---
    uint256 internal constant GOVERNOR_COUNT = 5;
    uint256 internal constant THRESHOLD = 3;
    uint64 internal constant LIFETIME = 7 days;
    /// @dev A realistic start time, so that "a licence expiry in the past" is a positive number.
    uint64 internal constant START_TIME = 1_700_000_000;
    uint32 internal constant REGION = 310_000;
    uint8 internal constant KYC_TIER = 2;
    bytes32 internal constant REASON = keccak256("reason-document");

    Consortium internal consortium;
    address[] internal govs;
    address internal outsider;

    // token fixture (only after {deploySettlement})
    SettlementToken internal token;
    MockEscrow internal escrow;
    address internal settlementBank;
    address internal regulator;
    address internal bankA;
    address internal investorB;

    // --- fixture builders ---

    /// @notice Deploys a THRESHOLD-of-GOVERNOR_COUNT consortium at START_TIME.
    function deployConsortium() internal {
        vm.warp(START_TIME);
        govs = makeGovernors(GOVERNOR_COUNT);
        consortium = new Consortium(govs, THRESHOLD, LIFETIME);
        outsider = makeAddr("outsider");
    }

    /// @notice Deploys the consortium, the settlement token, a system-contract escrow and four members:
    /// a settlement bank (SETTLEMENT_BANK + BANK), a regulator, a plain bank and an investor.
    function deploySettlement() internal {
        deployConsortium();
        token = new SettlementToken(consortium);
        escrow = new MockEscrow(token);
        settlementBank = makeAddr("settlementBank");
        regulator = makeAddr("regulator");
        bankA = makeAddr("bankA");
        investorB = makeAddr("investorB");
        admit(settlementBank, roles(SETTLEMENT_BANK_ROLE, BANK_ROLE));
        admit(regulator, roles(REGULATOR_ROLE));
        admit(bankA, roles(BANK_ROLE));
        admit(investorB, roles(INVESTOR_ROLE));
        pass(IConsortium.ProposalKind.SetSystemContract, address(escrow), abi.encode(true));
    }

    function makeGovernors(uint256 n) internal returns (address[] memory g) {
        g = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            g[i] = makeAddr(string.concat("governor", vm.toString(i)));
        }
    }

    // --- payload builders ---

    function roles(bytes32 a) internal pure returns (bytes32[] memory r) {
        r = new bytes32[](1);
        r[0] = a;
    }

    function roles(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory r) {
        r = new bytes32[](2);
        r[0] = a;
        r[1] = b;
    }

    function nameDigest(address account) internal pure returns (bytes32) {
        return keccak256(abi.encode("legal-name", account));
    }

    function admitData(address account, bytes32[] memory r, uint64 licenceExpiry) internal pure returns (bytes memory) {
        return abi.encode(nameDigest(account), r, REGION, licenceExpiry, KYC_TIER);
    }

    function admitData(address account, bytes32[] memory r) internal pure returns (bytes memory) {
        return admitData(account, r, 0);
    }

    // --- governance helpers (no event assertions: tests of the helpers' effects assert those) ---

    /// @notice Proposes as the first current governor.
    function propose(IConsortium.ProposalKind kind, address target, bytes memory data)
        internal
        returns (ProposalId id)
    {
        vm.prank(consortium.governors()[0]);
        id = consortium.propose(kind, target, data);
    }

    /// @notice Approves `id` by current governors at indexes [from, to).
    function approveBy(ProposalId id, uint256 from, uint256 to) internal {
        address[] memory g = consortium.governors();
        for (uint256 i = from; i < to; i++) {
            vm.prank(g[i]);
            consortium.approve(id);
        }
    }

    /// @notice Executes `id` as the first current governor.
    function executeAsGovernor(ProposalId id) internal {
        vm.prank(consortium.governors()[0]);
        consortium.execute(id);
    }

    /// @notice Runs a proposal through the full cycle: propose, approve up to the threshold, execute.
    function pass(IConsortium.ProposalKind kind, address target, bytes memory data) internal returns (ProposalId id) {
        id = propose(kind, target, data);
        approveBy(id, 1, consortium.threshold());
        executeAsGovernor(id);
    }

    function admit(address account, bytes32[] memory r) internal {
        pass(IConsortium.ProposalKind.Admit, account, admitData(account, r));
    }

    function admit(address account, bytes32[] memory r, uint64 licenceExpiry) internal {
        pass(IConsortium.ProposalKind.Admit, account, admitData(account, r, licenceExpiry));
    }

    function suspend(address account) internal {
        pass(IConsortium.ProposalKind.Suspend, account, abi.encode(REASON));
    }

    function reinstate(address account) internal {
        pass(IConsortium.ProposalKind.Reinstate, account, abi.encode(REASON));
    }

    function updateLicence(address account, uint64 licenceExpiry) internal {
        pass(IConsortium.ProposalKind.UpdateProfile, account, abi.encode(REGION, licenceExpiry, KYC_TIER));
    }
}
