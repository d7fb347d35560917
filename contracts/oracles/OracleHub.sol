// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {FeedId, IOracleHub, SubjectId} from "../interfaces/IOracleHub.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title OracleHub
/// @notice Latest k-of-n signed oracle report per (feed, subject); signers are the consortium's active oracles
/// and k is changed only by the consortium, executing a call its governors approved under their k-of-n rule.
/// @dev Why governors and not a single role holder: the point of k signatures is that no single party can move a
/// price, so no single party may lower k either. The hub keeps no proposals of its own: {setThreshold} is
/// `onlyConsortium`, and the consortium calls it only for a `Call` proposal k-of-n governors approved.
contract OracleHub is EIP712, ConsortiumGated, IOracleHub {
    /// @notice The EIP-712 type hash of {IOracleHub-Report}.
    bytes32 public constant REPORT_TYPEHASH = keccak256(
        "Report(bytes32 feedId,bytes32 subjectId,int256 value,int256 low,int256 high,bytes32 modelVersion,bytes32 featureDigest,uint64 observedAt)"
    );

    /// @dev A report as stored: three slots. The numbers are narrowed to 64 bits (checked on submission) so that
    /// value, interval and observation time share one slot, read and written together.
    struct StoredReport {
        int64 value;
        int64 low;
        int64 high;
        uint64 observedAt;
        bytes32 modelVersion;
        bytes32 featureDigest;
    }

    // --- storage ---
    mapping(FeedId feedId => mapping(SubjectId subjectId => StoredReport)) private _reports;
    uint256 private _threshold;

    /// @dev The hub is deployed before oracles are admitted, so the initial k is only required to be at least 1;
    /// until k oracles are active no report is accepted.
    /// @param consortium_ The consortium contract.
    /// @param initialThreshold The signature threshold k (at least 1).
    constructor(IConsortium consortium_, uint256 initialThreshold)
        EIP712("Recourse OracleHub", "1")
        ConsortiumGated(consortium_)
    {
        if (initialThreshold == 0) {
            revert OracleHubInvalidThreshold(0, _activeOracles());
        }
        _threshold = initialThreshold;
        emit ReportThresholdChanged(0, initialThreshold);
    }

    // --- external: reports ---

    /// @inheritdoc IOracleHub
    function submit(Report calldata report, Signature[] calldata signatures) external {
        StoredReport storage stored = _reports[report.feedId][report.subjectId];
        _checkReport(report, stored.observedAt, signatures.length);
        address[] memory signers = _recoverSigners(_hashReport(report), signatures);
        // _checkReport proved low <= value <= high and that both bounds fit in int64, so all three do
        stored.value = int64(report.value);
        stored.low = int64(report.low);
        stored.high = int64(report.high);
        stored.observedAt = report.observedAt;
        stored.modelVersion = report.modelVersion;
        stored.featureDigest = report.featureDigest;
        emit ReportAccepted(
            report.feedId,
            report.subjectId,
            report.value,
            report.low,
            report.high,
            report.modelVersion,
            report.featureDigest,
            report.observedAt,
            signers
        );
    }

    // --- external: governed settings ---

    /// @inheritdoc IOracleHub
    function setThreshold(uint256 threshold_) external onlyConsortium {
        _checkThreshold(threshold_);
        uint256 previous = _threshold;
        _threshold = threshold_;
        emit ReportThresholdChanged(previous, threshold_);
    }

    // --- external: views ---

    /// @inheritdoc IOracleHub
    function latest(FeedId feedId, SubjectId subjectId, uint256 maxAge) external view returns (Report memory) {
        StoredReport storage stored = _reports[feedId][subjectId];
        uint64 observedAt = stored.observedAt;
        if (observedAt == 0) revert OracleHubNoReport(feedId, subjectId);
        // observedAt <= the block time at acceptance <= block.timestamp, so this cannot underflow
        uint256 age = block.timestamp - observedAt;
        if (age > maxAge) revert OracleHubStaleReport(feedId, subjectId, observedAt, age, maxAge);
        return _toReport(feedId, subjectId, stored);
    }

    /// @inheritdoc IOracleHub
    function getReport(FeedId feedId, SubjectId subjectId) external view returns (Report memory) {
        return _toReport(feedId, subjectId, _reports[feedId][subjectId]);
    }

    /// @inheritdoc IOracleHub
    function hashReport(Report calldata report) external view returns (bytes32) {
        return _hashReport(report);
    }

    /// @inheritdoc IOracleHub
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IOracleHub
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IOracleHub
    function activeOracleCount() external view returns (uint256) {
        return _activeOracles();
    }

    // --- internal: reports ---

    function _hashReport(Report calldata report) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    REPORT_TYPEHASH,
                    report.feedId,
                    report.subjectId,
                    report.value,
                    report.low,
                    report.high,
                    report.modelVersion,
                    report.featureDigest,
                    report.observedAt
                )
            )
        );
    }

    /// @dev Every check of a report except its signatures, cheapest first.
    function _checkReport(Report calldata report, uint64 latestObservedAt, uint256 signatureCount) private view {
        uint256 k = _threshold;
        if (signatureCount < k) revert OracleHubInsufficientSignatures(signatureCount, k);
        uint64 observedAt = report.observedAt;
        if (observedAt <= latestObservedAt) {
            revert OracleHubOutdatedReport(report.feedId, report.subjectId, observedAt, latestObservedAt);
        }
        if (observedAt > block.timestamp) revert OracleHubFutureObservation(observedAt, block.timestamp);
        if (report.low > report.value || report.value > report.high) {
            revert OracleHubInvalidInterval(report.value, report.low, report.high);
        }
        _requireInt64(report.low);
        _requireInt64(report.high);
    }

    /// @dev Recovers every signer, requiring strictly ascending addresses (so a repeat is always adjacent to its
    /// first occurrence and one comparison finds it) and an active ORACLE membership for each.
    function _recoverSigners(bytes32 digest, Signature[] calldata signatures)
        private
        view
        returns (address[] memory signers)
    {
        signers = new address[](signatures.length);
        address previous = address(0); // a recovered signer is never the zero address
        for (uint256 i = 0; i < signatures.length; i++) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signatures[i].r, signatures[i].vs);
            if (err != ECDSA.RecoverError.NoError) revert OracleHubInvalidSignature(i);
            if (signer <= previous) {
                if (signer == previous) revert OracleHubDuplicateSigner(signer);
                revert OracleHubUnsortedSigners(previous, signer);
            }
            if (!_hasActiveRole(signer, Roles.ORACLE)) revert OracleHubSignerNotOracle(signer);
            signers[i] = signer;
            previous = signer;
        }
    }

    function _requireInt64(int256 number) private pure {
        if (number < type(int64).min || number > type(int64).max) revert OracleHubValueOutOfRange(number);
    }

    function _toReport(FeedId feedId, SubjectId subjectId, StoredReport storage stored)
        private
        view
        returns (Report memory)
    {
        return Report({
            feedId: feedId,
            subjectId: subjectId,
            value: stored.value,
            low: stored.low,
            high: stored.high,
            modelVersion: stored.modelVersion,
            featureDigest: stored.featureDigest,
            observedAt: stored.observedAt
        });
    }

    // --- internal: threshold ---

    /// @dev Reverts unless `next` could become the threshold now: different from k, and 1 <= next <= active oracles.
    function _checkThreshold(uint256 next) private view {
        if (next == _threshold) revert OracleHubThresholdUnchanged(next);
        uint256 active = _activeOracles();
        if (next == 0 || next > active) revert OracleHubInvalidThreshold(next, active);
    }

    function _activeOracles() private view returns (uint256 count) {
        IConsortium consortium_ = _consortium();
        uint256 members = consortium_.memberCount();
        for (uint256 i = 0; i < members; i++) {
            if (consortium_.hasActiveRole(consortium_.memberAt(i), Roles.ORACLE)) count++;
        }
    }
}
