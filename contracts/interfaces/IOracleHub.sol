// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {IConsortiumGated} from "./IConsortiumGated.sol";

/// @notice Identifies a feed (what is measured, e.g. `keccak256("valuation:residential")`) in {IOracleHub}.
type FeedId is bytes32;

/// @notice Identifies the subject a feed measures (an asset, a case, a firm), e.g. `keccak256("asset:SH-0042")`.
type SubjectId is bytes32;

/// @title IOracleHub
/// @notice Accepts oracle reports (a value with an interval, the model version and a digest of the features it
/// was computed from) only when at least k distinct active ORACLE members of the consortium signed them
/// (EIP-712), keeps the newest report per (feed, subject), and serves it to consumers that refuse stale values.
///
/// Signers: the signer set is the consortium's active ORACLE members, read at submission time, so admitting,
/// suspending or revoking an oracle through consortium governance changes it at once.
///
/// Threshold k: only the consortium changes it ({setThreshold} is `onlyConsortium`), by executing a `Call`
/// proposal that `consortium.threshold()` current governors approved before its deadline. Neither a single
/// governor, nor a regulator, nor the oracles themselves can change k alone.
///
/// Values: `value`, `low` and `high` are signed integers (valuations in fen, risk scores in basis points or any
/// other fixed-point scale the feed documents); they are signed so that a feed may report quantities that can
/// be negative (a net recovery after costs, a change). The ABI and the signed type use `int256` (as Chainlink's
/// `answer` does), so consumers and signers never see a narrower type. The hub stores them in 64 bits (as Pyth
/// stores prices), which lets value, interval and observation time share one storage slot, and refuses a
/// report whose numbers do not fit in `int64` (±9.2e18: ¥92 quadrillion in fen, or 9.2 in 18-decimal
/// fixed point).
///
/// Signing domain: EIP-712 with name "Recourse OracleHub", version "1", the chain id and this contract's address;
/// the signed struct is
/// `Report(bytes32 feedId,bytes32 subjectId,int256 value,int256 low,int256 high,bytes32 modelVersion,bytes32 featureDigest,uint64 observedAt)`.
/// @dev Not `Pausable`: reports move no value, a misbehaving oracle is stopped by suspending it in the consortium.
interface IOracleHub is IERC5267, IConsortiumGated {
    /// @notice An oracle report, as signed and as returned to consumers.
    /// @param feedId What is measured.
    /// @param subjectId What it is measured for.
    /// @param value The estimate (integer, in the feed's unit).
    /// @param low Lower bound of the estimate's interval (`low <= value`).
    /// @param high Upper bound of the estimate's interval (`value <= high`).
    /// @param modelVersion Version hash of the model that produced the estimate.
    /// @param featureDigest Digest of the features the model was given (the features stay off chain).
    /// @param observedAt When the value was observed (Unix seconds); strictly increasing per (feed, subject).
    struct Report {
        FeedId feedId;
        SubjectId subjectId;
        int256 value;
        int256 low;
        int256 high;
        bytes32 modelVersion;
        bytes32 featureDigest;
        uint64 observedAt;
    }

    /// @notice A compact (ERC-2098) secp256k1 signature: `vs` is `s` with the parity of `v` (27 or 28) in its top bit.
    /// Two words of calldata per signature instead of five for a 65-byte `bytes` element (offset, length, padding).
    /// @param r The signature's `r`.
    /// @param vs `s | (v - 27) << 255`.
    struct Signature {
        bytes32 r;
        bytes32 vs;
    }

    // --- errors ---
    /// @notice Fewer signatures than the threshold were given.
    /// @param count Signatures given.
    /// @param threshold Signatures needed (k).
    error OracleHubInsufficientSignatures(uint256 count, uint256 threshold);
    /// @notice The signature at `index` is malformed (an `s` above half the curve order, or no recoverable signer).
    /// @param index Its position in the signatures array.
    error OracleHubInvalidSignature(uint256 index);
    /// @notice The same oracle signed twice.
    /// @param signer The repeated signer.
    error OracleHubDuplicateSigner(address signer);
    /// @notice Signatures must be ordered by signer address, strictly ascending.
    /// @param previous The signer of the previous signature.
    /// @param signer The signer that sorts below it.
    error OracleHubUnsortedSigners(address previous, address signer);
    /// @notice A signer is not an active ORACLE member of the consortium.
    /// @param signer The signer.
    error OracleHubSignerNotOracle(address signer);
    /// @notice The interval does not contain the value (`low <= value <= high` fails).
    /// @param value The value.
    /// @param low The lower bound.
    /// @param high The upper bound.
    error OracleHubInvalidInterval(int256 value, int256 low, int256 high);
    /// @notice A number of the report does not fit in `int64` (the hub stores value and interval in 64 bits).
    /// @param number The number.
    error OracleHubValueOutOfRange(int256 number);
    /// @notice The observation time is later than the current block time.
    /// @param observedAt The report's observation time.
    /// @param blockTime The current block time.
    error OracleHubFutureObservation(uint64 observedAt, uint256 blockTime);
    /// @notice The report is not newer than the stored one for its (feed, subject): a replay or an older report.
    /// @param feedId The feed.
    /// @param subjectId The subject.
    /// @param observedAt The report's observation time.
    /// @param latestObservedAt The stored report's observation time.
    error OracleHubOutdatedReport(FeedId feedId, SubjectId subjectId, uint64 observedAt, uint64 latestObservedAt);
    /// @notice No report was ever accepted for (feed, subject).
    /// @param feedId The feed.
    /// @param subjectId The subject.
    error OracleHubNoReport(FeedId feedId, SubjectId subjectId);
    /// @notice The stored report is older than the consumer accepts.
    /// @param feedId The feed.
    /// @param subjectId The subject.
    /// @param observedAt The stored report's observation time.
    /// @param age Block time minus `observedAt`.
    /// @param maxAge The largest age the consumer accepts.
    error OracleHubStaleReport(FeedId feedId, SubjectId subjectId, uint64 observedAt, uint256 age, uint256 maxAge);
    /// @notice A signature threshold must satisfy 1 <= k, and a new one also k <= the active oracles now.
    /// @param threshold The requested k.
    /// @param activeOracles The number of active ORACLE members now.
    error OracleHubInvalidThreshold(uint256 threshold, uint256 activeOracles);
    /// @notice The new threshold equals the current one.
    /// @param threshold The current k.
    error OracleHubThresholdUnchanged(uint256 threshold);

    // --- events ---
    /// @notice A report was accepted and is now the latest for its (feed, subject). Whoever relayed the
    /// transaction is not recorded: the signers are the report's authors, and the transaction shows its sender.
    /// @param feedId The feed.
    /// @param subjectId The subject.
    /// @param value The estimate.
    /// @param low Lower bound of the interval.
    /// @param high Upper bound of the interval.
    /// @param modelVersion Version hash of the model.
    /// @param featureDigest Digest of the model's features.
    /// @param observedAt Observation time.
    /// @param signers The oracles that signed it, ascending.
    event ReportAccepted(
        FeedId indexed feedId,
        SubjectId indexed subjectId,
        int256 value,
        int256 low,
        int256 high,
        bytes32 modelVersion,
        bytes32 featureDigest,
        uint64 observedAt,
        address[] signers
    );
    /// @notice The signature threshold k changed. Except at deployment, the consortium's `ProposalExecuted` and
    /// `ProposalCallExecuted` events of the same transaction name the proposal that changed it.
    /// @param previous The old k (0 at deployment).
    /// @param current The new k.
    event ReportThresholdChanged(uint256 previous, uint256 current);

    // --- reports ---
    /// @notice Submit a report signed by at least k distinct active ORACLE members. Anyone may submit.
    /// @dev Every signature must be valid and come from an active oracle, and the signatures must be ordered
    /// by signer address, strictly ascending: a duplicate is then found by comparing with the previous signer
    /// alone (O(1) per signature, no storage or memory set), as Safe does with its owners.
    /// @param report The report.
    /// @param signatures Compact EIP-712 signatures of `hashReport(report)`, ascending by signer address.
    function submit(Report calldata report, Signature[] calldata signatures) external;
    /// @notice The latest report of (feed, subject), refusing one observed more than `maxAge` seconds ago.
    /// @param feedId The feed.
    /// @param subjectId The subject.
    /// @param maxAge The largest acceptable `block.timestamp - observedAt`.
    /// @return The report (reverts with {OracleHubNoReport} or {OracleHubStaleReport}).
    function latest(FeedId feedId, SubjectId subjectId, uint256 maxAge) external view returns (Report memory);
    /// @notice The stored report of (feed, subject), whatever its age (for audits and displays, not consumers).
    /// @param feedId The feed.
    /// @param subjectId The subject.
    /// @return The report; `value`, `low`, `high`, `modelVersion`, `featureDigest` and `observedAt` are zero if none.
    function getReport(FeedId feedId, SubjectId subjectId) external view returns (Report memory);
    /// @notice The EIP-712 digest the oracles sign for `report`.
    /// @param report The report.
    /// @return The digest.
    function hashReport(Report calldata report) external view returns (bytes32);
    /// @notice The EIP-712 domain separator of this hub.
    /// @return The separator.
    function domainSeparator() external view returns (bytes32);

    // --- governed settings (only the consortium, executing an approved `Call` proposal) ---
    /// @notice Set the signature threshold k. Only the consortium: governors propose
    /// `Call(hub, abi.encodeCall(IOracleHub.setThreshold, (k)))`, and it runs once k-of-n of them approved.
    /// @param threshold The new k (1 <= k <= active oracles now, and different from the current k).
    function setThreshold(uint256 threshold) external;

    // --- views ---
    /// @notice The signature threshold k.
    /// @return k.
    function threshold() external view returns (uint256);
    /// @notice The number of active ORACLE members of the consortium now (the n of k-of-n).
    /// @dev Iterates over every consortium member: meant for governance checks and off-chain reads.
    /// @return The count.
    function activeOracleCount() external view returns (uint256);
}
