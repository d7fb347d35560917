// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {console2} from "forge-std/console2.sol";
import {ICaseDelegation} from "../../interfaces/ICaseDelegation.sol";
import {IConsortium, ProposalId} from "../../interfaces/IConsortium.sol";
import {IOracleHub, ThresholdProposalId} from "../../interfaces/IOracleHub.sol";
import {OracleHub} from "../../oracles/OracleHub.sol";
import {CaseFixture} from "../cases/CaseFixture.sol";
import {OracleFixture} from "../utils/OracleFixture.sol";

/// @notice Gas per existing operation, one transaction each. Run alone and isolated, so that every call of a
/// test is a transaction of its own and the measured one finds accounts and slots cold, as on chain:
/// `forge test --isolate --match-path 'contracts/test/gas/*' -vv`.
contract RecourseGasTest is CaseFixture {
    address internal newGovernor;
    address internal applicant;
    address internal court;

    function setUp() public {
        deployCases();
        newGovernor = makeAddr("newGovernor");
        applicant = makeAddr("applicant");
        court = makeAddr("court");
        admit(court, roles(COURT_ROLE));
        publishCases(bank, 0, 8);
    }

    function report(string memory label) internal returns (uint256 total) {
        total = vm.lastCallGas().gasTotalUsed;
        console2.log(string.concat("gas: ", label), total);
    }

    // --- Consortium ---

    function test_gas_propose() public {
        bytes memory payload = admitData(applicant, roles(BANK_ROLE));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.Admit, applicant, payload);
        report("Consortium.propose (Admit)");
    }

    function test_gas_approve() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, applicant, admitData(applicant, roles(BANK_ROLE)));
        vm.prank(govs[1]);
        consortium.approve(id);
        report("Consortium.approve");
    }

    function executeOne(string memory label, IConsortium.ProposalKind kind, address target, bytes memory data)
        internal
    {
        ProposalId id = propose(kind, target, data);
        approveBy(id, 1, THRESHOLD);
        vm.prank(govs[0]);
        consortium.execute(id);
        report(label);
    }

    function test_gas_executeAdmit() public {
        executeOne(
            "Consortium.execute (Admit)",
            IConsortium.ProposalKind.Admit,
            applicant,
            admitData(applicant, roles(BANK_ROLE))
        );
    }

    function test_gas_executeGrantRole() public {
        executeOne(
            "Consortium.execute (GrantRole)", IConsortium.ProposalKind.GrantRole, collector, abi.encode(BANK_ROLE)
        );
    }

    function test_gas_executeSuspend() public {
        executeOne("Consortium.execute (Suspend)", IConsortium.ProposalKind.Suspend, collector, abi.encode(REASON));
    }

    function test_gas_executeAddGovernor() public {
        executeOne("Consortium.execute (AddGovernor)", IConsortium.ProposalKind.AddGovernor, newGovernor, "");
    }

    function test_gas_executeRemoveGovernor() public {
        executeOne("Consortium.execute (RemoveGovernor)", IConsortium.ProposalKind.RemoveGovernor, govs[4], "");
    }

    function test_gas_executeSetThreshold() public {
        executeOne(
            "Consortium.execute (SetThreshold)", IConsortium.ProposalKind.SetThreshold, govs[0], abi.encode(uint256(4))
        );
    }

    // --- SettlementToken ---

    function test_gas_transferToHolder() public {
        vm.prank(bank);
        token.transfer(bank2, 1);
        report("SettlementToken.transfer (existing holder)");
    }

    function test_gas_transferToNewHolder() public {
        vm.prank(bank);
        token.transfer(investorB, 1);
        report("SettlementToken.transfer (new holder)");
    }

    function test_gas_mint() public {
        vm.prank(bank);
        token.mint(bank2, 1, REASON);
        report("SettlementToken.mint");
    }

    function test_gas_burn() public {
        vm.prank(bank);
        token.burn(1, REASON);
        report("SettlementToken.burn");
    }

    function test_gas_pauseToken() public {
        vm.prank(regulator);
        token.pause();
        report("SettlementToken.pause");
    }

    // --- EvidenceRegistry ---

    function test_gas_anchorAsBank() public {
        bytes32 root = keccak256("gas root");
        vm.prank(bank);
        registry.anchor(root, 1_000, META);
        report("EvidenceRegistry.anchor (BANK)");
    }

    function test_gas_anchorAsCourt() public {
        bytes32 root = keccak256("gas root");
        vm.prank(court);
        registry.anchor(root, 1_000, META);
        report("EvidenceRegistry.anchor (COURT)");
    }

    // --- CaseDelegation ---

    function test_gas_publishBatch() public {
        bytes32 root = keccak256("gas batch");
        uint64 closesAt = uint64(block.timestamp) + CASE_LIFE;
        vm.prank(bank2);
        cd.publishBatch(root, 10_000, closesAt, BUDGET, META);
        report("CaseDelegation.publishBatch");
    }

    function test_gas_claim() public {
        bytes32[] memory p = proofOf(3);
        vm.prank(collector);
        cd.claim(batchId, terms[3], p);
        report("CaseDelegation.claim (8 cases)");
    }

    function test_gas_offer() public {
        bytes32[] memory p = proofOf(3);
        vm.prank(bank);
        cd.offer(batchId, terms[3], p, collector, 1 days);
        report("CaseDelegation.offer");
    }

    function test_gas_reportRecovery() public {
        claimAs(collector, 3);
        (bytes32 digest, bytes32 root) = anchorEvidence(collector, "receipt");
        bytes32 caseId = terms[3].caseId;
        vm.prank(collector);
        cd.reportRecovery(caseId, 1_000, digest, root, new bytes32[](0));
        report("CaseDelegation.reportRecovery");
    }

    function test_gas_confirmRecovery() public {
        claimAs(collector, 3);
        reportRecoveryAs(collector, 3, 1_000);
        bytes32 caseId = terms[3].caseId;
        vm.prank(bank);
        cd.confirmRecovery(caseId, false);
        report("CaseDelegation.confirmRecovery");
    }

    function test_gas_setMaxOpenCases() public {
        vm.prank(regulator);
        cd.setMaxOpenCases(7);
        report("CaseDelegation.setMaxOpenCases");
    }

    function test_gas_pauseCases() public {
        vm.prank(regulator);
        cd.pause();
        report("CaseDelegation.pause");
    }
}

/// @notice Gas of the oracle hub's operations, one transaction each (run isolated, see {RecourseGasTest}).
contract OracleGasTest is OracleFixture {
    uint64 internal constant NOW = START_TIME + 1 days;
    int256 internal constant PRICE = 1_250_000_00;

    function setUp() public {
        deployOracleHub();
        vm.warp(NOW);
        IOracleHub.Report memory first = valuation(PRICE, NOW - 1 hours);
        hub.submit(first, signByFirst(first, REPORT_THRESHOLD));
    }

    function report(string memory label) internal returns (uint256 total) {
        total = vm.lastCallGas().gasTotalUsed;
        console2.log(string.concat("gas: ", label), total);
    }

    function test_gas_submit() public {
        IOracleHub.Report memory r = valuation(PRICE - 3_000_00, NOW);
        IOracleHub.Signature[] memory sigs = signByFirst(r, REPORT_THRESHOLD);
        hub.submit(r, sigs);
        report("OracleHub.submit (update, k = 3)");
    }

    function test_gas_thresholdChange() public {
        address[] memory g = consortium.governors();
        uint256 total;
        ThresholdProposalId id = ThresholdProposalId.wrap(1);
        vm.prank(g[0]);
        hub.proposeThreshold(2);
        total += report("OracleHub.proposeThreshold");
        for (uint256 i = 1; i < THRESHOLD; i++) {
            vm.prank(g[i]);
            hub.approveThreshold(id);
            total += report("OracleHub.approveThreshold");
        }
        vm.prank(g[0]);
        hub.executeThreshold(id);
        total += report("OracleHub.executeThreshold");
        console2.log("gas: oracle threshold change, 3-of-5 (all transactions)", total);
        assertEq(hub.threshold(), 2);
    }
}
