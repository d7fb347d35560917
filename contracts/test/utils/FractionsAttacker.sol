// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IAssetFractions} from "../../interfaces/IAssetFractions.sol";
import {ITransferHook} from "./HostileToken.sol";

/// @notice A member contract that attacks an {IAssetFractions} on every path that pays out. As an investor, an issuer
/// and a seller it is paid in a {HostileToken}, whose transfer hook calls it back while the asset is paying it; as a
/// system contract the asset `collect`s from, its `withdraw()` is called by the asset itself. Either way it re-enters
/// the asset once with the armed call, letting the inner revert bubble up (`propagate`) or catching it and recording
/// its data.
contract FractionsAttacker is ITransferHook {
    enum Reentry {
        NONE,
        REFUND,
        WITHDRAW_PROCEEDS,
        CLAIM,
        BUY,
        COLLECT,
        PAY_IN
    }

    /// @dev What a PAY_IN re-entry pays in.
    uint256 public constant PAY_IN_AMOUNT = 1_000;

    IERC20 public immutable token;
    IAssetFractions public asset;
    Reentry public reentry;
    bool public propagate;
    uint256 public offerId;
    uint96 public shares;
    uint256 public reentries;
    bool public reentrySucceeded;
    bytes public reentryError;
    /// @dev What it owes the asset as a collect source; it pays it after re-entering.
    uint256 public owedToAsset;

    constructor(IERC20 token_) {
        token = token_;
    }

    /// @notice Acts on `asset_` from now on (and approves it for all its cash).
    function use(IAssetFractions asset_) external {
        asset = asset_;
        token.approve(address(asset_), type(uint256).max);
    }

    /// @notice Arms one re-entry: `reentry_` (BUY takes `offerId_` and `shares_`).
    function arm(Reentry reentry_, bool propagate_, uint256 offerId_, uint96 shares_) external {
        (reentry, propagate, offerId, shares) = (reentry_, propagate_, offerId_, shares_);
        (reentries, reentrySucceeded) = (0, false);
        delete reentryError;
    }

    // --- as an investor, an issuer, a seller ---

    function subscribe(uint96 shares_) external {
        asset.subscribe(shares_);
    }

    function refund() external {
        asset.refund();
    }

    function withdrawProceeds() external {
        asset.withdrawProceeds();
    }

    function claim() external {
        asset.claim();
    }

    function makeOffer(uint96 shares_, uint96 price) external returns (uint256) {
        return asset.makeOffer(shares_, price);
    }

    // --- as a system contract that owes the asset recoveries ---

    function owe(uint256 amount) external {
        owedToAsset = amount;
    }

    /// @notice What the asset calls in `collect`: re-enter first, then pay what is owed (so an unguarded `collect`
    /// would count the inner payment twice).
    function withdraw() external {
        if (msg.sender == address(asset)) _reenter();
        uint256 amount = owedToAsset;
        owedToAsset = 0;
        if (amount != 0) token.transfer(msg.sender, amount);
    }

    // --- the hook ---

    function onTokenTransfer(address, uint256) external {
        if (msg.sender == address(token)) _reenter();
    }

    function _reenter() private {
        Reentry r = reentry;
        if (r == Reentry.NONE) return;
        reentry = Reentry.NONE; // once
        reentries++;
        bytes memory data = _calldata(r);
        if (propagate) {
            Address.functionCall(address(asset), data);
            reentrySucceeded = true;
            return;
        }
        (bool ok, bytes memory err) = address(asset).call(data);
        if (ok) reentrySucceeded = true;
        else reentryError = err;
    }

    function _calldata(Reentry r) private view returns (bytes memory) {
        if (r == Reentry.REFUND) return abi.encodeCall(IAssetFractions.refund, ());
        if (r == Reentry.WITHDRAW_PROCEEDS) return abi.encodeCall(IAssetFractions.withdrawProceeds, ());
        if (r == Reentry.CLAIM) return abi.encodeCall(IAssetFractions.claim, ());
        if (r == Reentry.BUY) return abi.encodeCall(IAssetFractions.buy, (offerId, shares));
        if (r == Reentry.COLLECT) return abi.encodeCall(IAssetFractions.collect, (address(this)));
        return abi.encodeCall(IAssetFractions.payIn, (PAY_IN_AMOUNT, keccak256("re-entry")));
    }
}
