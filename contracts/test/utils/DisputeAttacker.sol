// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IDisputeDesk} from "../../interfaces/IDisputeDesk.sol";
import {ITransferHook} from "./HostileToken.sol";

/// @notice A payee contract that attacks an {IDisputeDesk} while the desk pays it. It is paid in a {HostileToken},
/// whose transfer hook calls it back from inside the desk's `withdraw`; it then re-enters the desk once with the armed
/// call (`withdraw` again, or `pay` toward a dispute), letting the inner revert bubble up (`propagate`) or catching it
/// and recording its data.
contract DisputeAttacker is ITransferHook {
    enum Reentry {
        NONE,
        WITHDRAW,
        PAY
    }

    IERC20 public immutable token;
    IDisputeDesk public immutable desk;
    Reentry public reentry;
    bool public propagate;
    uint256 public disputeId;
    uint128 public amount;
    uint256 public reentries;
    bool public reentrySucceeded;
    bytes public reentryError;

    constructor(IDisputeDesk desk_, IERC20 token_) {
        desk = desk_;
        token = token_;
        token_.approve(address(desk_), type(uint256).max);
    }

    /// @notice Arms one re-entry: `reentry_` (PAY pays `amount_` toward `disputeId_`).
    function arm(Reentry reentry_, bool propagate_, uint256 disputeId_, uint128 amount_) external {
        (reentry, propagate, disputeId, amount) = (reentry_, propagate_, disputeId_, amount_);
        (reentries, reentrySucceeded) = (0, false);
        delete reentryError;
    }

    function withdraw() external {
        desk.withdraw();
    }

    function pay(uint256 disputeId_, uint128 amount_) external {
        desk.pay(disputeId_, amount_);
    }

    function onTokenTransfer(address, uint256) external {
        if (msg.sender != address(token) || reentry == Reentry.NONE || reentries != 0) return;
        reentries = 1;
        bytes memory data = reentry == Reentry.WITHDRAW
            ? abi.encodeCall(IDisputeDesk.withdraw, ())
            : abi.encodeCall(IDisputeDesk.pay, (disputeId, amount));
        if (propagate) {
            Address.functionCall(address(desk), data);
            reentrySucceeded = true;
            return;
        }
        (bool ok, bytes memory err) = address(desk).call(data);
        if (ok) reentrySucceeded = true;
        else reentryError = err;
    }
}
