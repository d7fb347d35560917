// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortium, ProposalId} from "../../interfaces/IConsortium.sol";
import {FeedId, IOracleHub, SubjectId} from "../../interfaces/IOracleHub.sol";
import {OracleHub} from "../../oracles/OracleHub.sol";
import {Deployers} from "./Deployers.sol";

/// @notice The oracle world on top of {Deployers}: a consortium, an OracleHub with k = REPORT_THRESHOLD and
/// ORACLE_COUNT admitted oracles whose keys are known, plus report builders and EIP-712 signing computed here
/// independently of the hub (so every accepted signature also checks the hub's hashing).
abstract contract OracleFixture is Deployers {
    // --- EIP-712, spelled out independently of the hub ---
    bytes32 internal constant DOMAIN_TYPE_HASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant REPORT_TYPE_HASH = keccak256(
        "Report(bytes32 feedId,bytes32 subjectId,int256 value,int256 low,int256 high,bytes32 modelVersion,bytes32 featureDigest,uint64 observedAt)"
    );
    string internal constant HUB_NAME = "Recourse OracleHub";
    string internal constant HUB_VERSION = "1";

    // --- fixture parameters ---
    uint256 internal constant ORACLE_COUNT = 4;
    uint256 internal constant REPORT_THRESHOLD = 3;
    FeedId internal constant FEED = FeedId.wrap(keccak256("valuation:residential"));
    SubjectId internal constant SUBJECT = SubjectId.wrap(keccak256("asset:SH-2024-0042"));
    bytes32 internal constant MODEL_V1 = keccak256("model:valuation-stack@1");
    bytes32 internal constant MODEL_V2 = keccak256("model:valuation-stack@2");

    OracleHub internal hub;
    /// @dev Admitted ORACLE members, ascending by address; `oracleKeys[i]` is the key of `oracles[i]`.
    address[] internal oracles;
    uint256[] internal oracleKeys;

    // --- fixture builders ---

    /// @notice Deploys the consortium, a hub with k = REPORT_THRESHOLD and ORACLE_COUNT admitted oracles.
    function deployOracleHub() internal {
        deployConsortium();
        hub = new OracleHub(consortium, REPORT_THRESHOLD);
        (oracles, oracleKeys) = makeSigners("oracle", ORACLE_COUNT);
        for (uint256 i = 0; i < ORACLE_COUNT; i++) {
            admit(oracles[i], roles(ORACLE_ROLE));
        }
    }

    /// @notice `n` fresh accounts named `<prefix><i>` with their keys, sorted ascending by address.
    function makeSigners(string memory prefix, uint256 n)
        internal
        returns (address[] memory addrs, uint256[] memory keys)
    {
        addrs = new address[](n);
        keys = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            (addrs[i], keys[i]) = makeAddrAndKey(string.concat(prefix, vm.toString(i)));
        }
        // insertion sort: n is small
        for (uint256 i = 1; i < n; i++) {
            for (uint256 j = i; j > 0 && addrs[j] < addrs[j - 1]; j--) {
                (addrs[j], addrs[j - 1]) = (addrs[j - 1], addrs[j]);
                (keys[j], keys[j - 1]) = (keys[j - 1], keys[j]);
            }
        }
    }

    // --- reports ---

    /// @notice A valuation of SUBJECT: `value` fen with a ±10% interval, MODEL_V1, observed at `observedAt`.
    function valuation(int256 value, uint64 observedAt) internal pure returns (IOracleHub.Report memory) {
        return report(FEED, SUBJECT, value, observedAt);
    }

    function report(FeedId feedId, SubjectId subjectId, int256 value, uint64 observedAt)
        internal
        pure
        returns (IOracleHub.Report memory)
    {
        int256 spread = (value < 0 ? -value : value) / 10;
        return IOracleHub.Report({
            feedId: feedId,
            subjectId: subjectId,
            value: value,
            low: value - spread,
            high: value + spread,
            modelVersion: MODEL_V1,
            featureDigest: keccak256(abi.encode("features", subjectId, observedAt)),
            observedAt: observedAt
        });
    }

    // --- EIP-712 ---

    function domainSeparatorOf(address verifyingContract) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                DOMAIN_TYPE_HASH,
                keccak256(bytes(HUB_NAME)),
                keccak256(bytes(HUB_VERSION)),
                block.chainid,
                verifyingContract
            )
        );
    }

    function structHash(IOracleHub.Report memory r) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                REPORT_TYPE_HASH,
                r.feedId,
                r.subjectId,
                r.value,
                r.low,
                r.high,
                r.modelVersion,
                r.featureDigest,
                r.observedAt
            )
        );
    }

    /// @notice The digest oracles sign for `r` on the hub at `verifyingContract`.
    function digestOf(address verifyingContract, IOracleHub.Report memory r) internal view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", domainSeparatorOf(verifyingContract), structHash(r)));
    }

    /// @notice A compact (ERC-2098) signature of `r` for the hub at `verifyingContract`.
    function signFor(address verifyingContract, uint256 key, IOracleHub.Report memory r)
        internal
        view
        returns (IOracleHub.Signature memory)
    {
        (bytes32 rr, bytes32 vs) = vm.signCompact(key, digestOf(verifyingContract, r));
        return IOracleHub.Signature({r: rr, vs: vs});
    }

    function sign(uint256 key, IOracleHub.Report memory r) internal view returns (IOracleHub.Signature memory) {
        return signFor(address(hub), key, r);
    }

    /// @notice Signatures of `r` by the given keys, in the order given.
    function signBy(IOracleHub.Report memory r, uint256[] memory keys)
        internal
        view
        returns (IOracleHub.Signature[] memory sigs)
    {
        sigs = new IOracleHub.Signature[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) {
            sigs[i] = sign(keys[i], r);
        }
    }

    /// @notice Signatures of `r` by the first `n` oracles (ascending by address, as the hub requires).
    function signByFirst(IOracleHub.Report memory r, uint256 n)
        internal
        view
        returns (IOracleHub.Signature[] memory sigs)
    {
        sigs = new IOracleHub.Signature[](n);
        for (uint256 i = 0; i < n; i++) {
            sigs[i] = sign(oracleKeys[i], r);
        }
    }

    /// @notice The first `n` oracle addresses (the `signers` of a report signed by {signByFirst}).
    function firstOracles(uint256 n) internal view returns (address[] memory out) {
        out = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            out[i] = oracles[i];
        }
    }

    /// @notice Signatures of `r` for the hub at `verifyingContract` by the first `n` oracles (ascending).
    function signByFirstFor(address verifyingContract, IOracleHub.Report memory r, uint256 n)
        internal
        view
        returns (IOracleHub.Signature[] memory sigs)
    {
        sigs = new IOracleHub.Signature[](n);
        for (uint256 i = 0; i < n; i++) {
            sigs[i] = signFor(verifyingContract, oracleKeys[i], r);
        }
    }

    /// @notice Signatures of `r` by `keys`, reordered ascending by signer address (as the hub requires).
    function signSorted(IOracleHub.Report memory r, uint256[] memory keys_)
        internal
        view
        returns (IOracleHub.Signature[] memory sigs, address[] memory signers)
    {
        uint256 n = keys_.length;
        uint256[] memory k = new uint256[](n);
        signers = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            (k[i], signers[i]) = (keys_[i], vm.addr(keys_[i]));
            for (uint256 j = i; j > 0 && signers[j] < signers[j - 1]; j--) {
                (signers[j], signers[j - 1]) = (signers[j - 1], signers[j]);
                (k[j], k[j - 1]) = (k[j - 1], k[j]);
            }
        }
        sigs = signBy(r, k);
    }

    function keyList(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory k) {
        k = new uint256[](3);
        (k[0], k[1], k[2]) = (a, b, c);
    }

    // --- hub governance helpers (no event assertions: the governance tests assert those) ---

    /// @notice Changes the hub's k through a consortium `Call` proposal (propose, approve to threshold, execute).
    function setReportThreshold(uint256 k) internal returns (ProposalId id) {
        id = pass(IConsortium.ProposalKind.Call, address(hub), abi.encodeCall(IOracleHub.setThreshold, (k)));
    }
}
