// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title StoragePublisher
/// @notice Benchmark baseline only (never deployed in a network): publishes cases the naive way, writing
/// every case's terms to storage at publication (three packed slots per case), with one event per call.
/// Same terms as `ICaseDelegation.CaseTerms`, so both sides publish exactly the same data.
contract StoragePublisher {
    struct CaseTerms {
        bytes32 caseId;
        bytes32 debtorCommitment;
        uint128 principal;
        uint128 overdueAmount;
        uint32 overdueDays;
        uint32 region;
        uint16 feeBps;
        uint64 deadline;
    }

    struct Stored {
        bytes32 debtorCommitment;
        uint128 principal;
        uint128 overdueAmount;
        uint32 overdueDays;
        uint32 region;
        uint16 feeBps;
        uint64 deadline;
    }

    error StoragePublisherDuplicate(bytes32 caseId);

    event CasesStored(address indexed bank, uint256 count);

    mapping(bytes32 caseId => Stored) private _cases;

    function publish(CaseTerms[] calldata cases) external {
        for (uint256 i = 0; i < cases.length; i++) {
            CaseTerms calldata t = cases[i];
            if (_cases[t.caseId].debtorCommitment != bytes32(0)) revert StoragePublisherDuplicate(t.caseId);
            _cases[t.caseId] = Stored({
                debtorCommitment: t.debtorCommitment,
                principal: t.principal,
                overdueAmount: t.overdueAmount,
                overdueDays: t.overdueDays,
                region: t.region,
                feeBps: t.feeBps,
                deadline: t.deadline
            });
        }
        emit CasesStored(msg.sender, cases.length);
    }

    function regionOf(bytes32 caseId) external view returns (uint32) {
        return _cases[caseId].region;
    }
}
