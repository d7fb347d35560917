"""Asset fractions: a BANK issues an asset as a permissioned share token, investors subscribe, the offering
settles, holders trade delivery-versus-payment, recoveries paid into the asset are claimed pro rata, courts
freeze and force transfers, the issuer or a regulator pauses trading.

Every write is an operation (``Idempotency-Key``; 202, or 200 with ``?confirm=true``) whose rule the contract
holds: a refusal the chain gives before the operation is accepted is a problem now (``FRC-4xx``; a compliance
refusal names its ``reason``). Reads come from the index, the valuation from the OracleHub.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from node_api.deps import Caller, SessionDep, StateDep, authorize
from node_api.openapi import problem
from node_api.routes._writes import OPERATION_RESPONSES, WriteRequest, write_request
from node_api.schemas.fractions import (
    AccountPublic,
    AccountsPublic,
    AssetCreate,
    AssetPublic,
    AssetsPublic,
    CollectionCreate,
    ForcedTransferCreate,
    FreezeCreate,
    OffersPublic,
    PauseCreate,
    PurchaseCreate,
    RecoveryPaymentCreate,
    ShareClaimCreate,
    ShareOfferCreate,
    ShareTransferCreate,
    SubscriptionCreate,
    TransferCheckPublic,
    UnfreezeCreate,
)
from node_api.services import fractions as svc
from node_api.services.auctions import chain_time_reader

router = APIRouter(prefix="/fractions", tags=["asset fractions"])

FRACTIONS_WRITE: dict[int | str, dict[str, Any]] = {
    **OPERATION_RESPONSES,
    403: {
        "description": "`FRC-403` compliance refuses the movement (`reason`, `reason_code`), or the caller is not "
        "the issuer, the offer's seller or a court"
    },
    404: {"description": "`FRC-404` no such asset or offer"},
    409: {"description": "`FRC-409` the offering or the asset is not in the state this step needs"},
    422: {"description": "`FRC-422` invalid terms (`field`), below the minimum, above the hard cap (`available`)"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: problem(404, "FRC-404", "No such asset or offer", "no asset 0x… in this gateway's index")
}

AssetPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="the asset token's address")]
AddressPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")]
OfferPath = Annotated[int, Path(ge=1, lt=2**53, description="the offer id on chain")]
Reader = Annotated[Caller, Depends(authorize("fractions:read"))]
Write = Annotated[WriteRequest, Depends(write_request("fractions:write"))]


# --- writes ---


@router.post("/assets", status_code=202, responses=FRACTIONS_WRITE)
async def issue_asset(body: AssetCreate, w: Write) -> JSONResponse:
    """A BANK issues an asset token (anchored documents root; terms checked by the chain). Find the new token
    with `GET /fractions/assets?issued_in=<tx_hash>` once the operation succeeded."""
    return await w.submit(svc.submit_issue, **body.model_dump())


@router.post("/assets/{asset}/subscriptions", status_code=202, responses=FRACTIONS_WRITE)
async def subscribe(asset: AssetPath, body: SubscriptionCreate, w: Write) -> JSONResponse:
    """Subscribe shares at the offering price (an exact rCNY approval first if needed)."""
    return await w.submit(svc.submit_subscription, asset=asset, shares=body.shares)


@router.post("/assets/{asset}/settlement", status_code=202, responses=FRACTIONS_WRITE)
async def settle(asset: AssetPath, w: Write) -> JSONResponse:
    """Settle the offering after its deadline or at the hard cap: succeeded at the soft cap, else failed."""
    return await w.submit(svc.submit_settlement, asset=asset)


@router.post("/assets/{asset}/share-claims", status_code=202, responses=FRACTIONS_WRITE)
async def claim_shares(asset: AssetPath, body: ShareClaimCreate, w: Write) -> JSONResponse:
    """Mint a subscriber's shares after a successful offering (default: the caller's)."""
    return await w.submit(svc.submit_claim_shares, asset=asset, subscriber=body.subscriber)


@router.post("/assets/{asset}/refund", status_code=202, responses=FRACTIONS_WRITE)
async def refund(asset: AssetPath, w: Write) -> JSONResponse:
    """Take back what the caller paid for a failed offering."""
    return await w.submit(svc.submit_refund, asset=asset)


@router.post("/assets/{asset}/proceeds-withdrawal", status_code=202, responses=FRACTIONS_WRITE)
async def withdraw_proceeds(asset: AssetPath, w: Write) -> JSONResponse:
    """The issuer withdraws the proceeds of a successful offering."""
    return await w.submit(svc.submit_proceeds_withdrawal, asset=asset)


@router.post("/assets/{asset}/transfers", status_code=202, responses=FRACTIONS_WRITE)
async def transfer(asset: AssetPath, body: ShareTransferCreate, w: Write) -> JSONResponse:
    """An ordinary transfer, refused before anything is sent with the compliance reason when the token says no."""
    return await w.submit(svc.submit_transfer, asset=asset, to=body.to, shares=body.shares)


@router.post("/assets/{asset}/offers", status_code=202, responses=FRACTIONS_WRITE)
async def make_offer(asset: AssetPath, body: ShareOfferCreate, w: Write) -> JSONResponse:
    """Offer shares for sale at a price per share (the shares stay with the seller until bought)."""
    return await w.submit(svc.submit_offer, asset=asset, shares=body.shares, price_fen=body.price_fen)


@router.post("/assets/{asset}/offers/{offer_id}/purchase", status_code=202, responses=FRACTIONS_WRITE)
async def buy(asset: AssetPath, offer_id: OfferPath, body: PurchaseCreate, w: Write) -> JSONResponse:
    """Buy shares of an offer: shares and payment move together (an exact rCNY approval first if needed)."""
    return await w.submit(svc.submit_purchase, asset=asset, offer_id=offer_id, shares=body.shares)


@router.post("/assets/{asset}/offers/{offer_id}/cancellation", status_code=202, responses=FRACTIONS_WRITE)
async def cancel_offer(asset: AssetPath, offer_id: OfferPath, w: Write) -> JSONResponse:
    """The seller withdraws an offer."""
    return await w.submit(svc.submit_cancel_offer, asset=asset, offer_id=offer_id)


@router.post("/assets/{asset}/recoveries", status_code=202, responses=FRACTIONS_WRITE)
async def pay_in(asset: AssetPath, body: RecoveryPaymentCreate, w: Write) -> JSONResponse:
    """Pay a recovery into the asset for its holders (an exact rCNY approval first if needed)."""
    return await w.submit(svc.submit_pay_in, asset=asset, amount_fen=body.amount_fen, source_ref=body.source_ref)


@router.post("/assets/{asset}/collections", status_code=202, responses=FRACTIONS_WRITE)
async def collect(asset: AssetPath, body: CollectionCreate, w: Write) -> JSONResponse:
    """Collect what a system contract (e.g. JudicialAuction) owes the asset and distribute it to the holders."""
    return await w.submit(svc.submit_collect, asset=asset, source=body.source)


@router.post("/assets/{asset}/recovery-claims", status_code=202, responses=FRACTIONS_WRITE)
async def claim(asset: AssetPath, w: Write) -> JSONResponse:
    """Withdraw the caller's share of the recoveries paid in so far."""
    return await w.submit(svc.submit_claim, asset=asset)


@router.post("/assets/{asset}/freezes", status_code=202, responses=FRACTIONS_WRITE)
async def freeze(asset: AssetPath, body: FreezeCreate, w: Write) -> JSONResponse:
    """A court freezes an account whole (no `shares`) or sets how many of its shares are frozen (0 lifts)."""
    return await w.submit(svc.submit_freeze, **body.model_dump(), asset=asset)


@router.post("/assets/{asset}/unfreezes", status_code=202, responses=FRACTIONS_WRITE)
async def unfreeze(asset: AssetPath, body: UnfreezeCreate, w: Write) -> JSONResponse:
    """A court lifts a whole-account freeze."""
    return await w.submit(svc.submit_unfreeze, asset=asset, account=body.account, order_digest=body.order_digest)


@router.post("/assets/{asset}/forced-transfers", status_code=202, responses=FRACTIONS_WRITE)
async def forced_transfer(asset: AssetPath, body: ForcedTransferCreate, w: Write) -> JSONResponse:
    """A court moves shares by order, whatever the pause, lock-up, freezes and limits (never to an ineligible
    recipient)."""
    return await w.submit(svc.submit_forced_transfer, asset=asset, **body.model_dump())


@router.post("/assets/{asset}/pause", status_code=202, responses=FRACTIONS_WRITE)
async def pause(asset: AssetPath, body: PauseCreate, w: Write) -> JSONResponse:
    """The issuer or a regulator pauses trading (court orders still run)."""
    return await w.submit(svc.submit_pause, asset=asset, reason_digest=body.reason_digest)


@router.post("/assets/{asset}/resume", status_code=202, responses=FRACTIONS_WRITE)
async def resume(asset: AssetPath, w: Write) -> JSONResponse:
    """The issuer or a regulator resumes trading."""
    return await w.submit(svc.submit_resume, asset=asset)


# --- reads ---


@router.get("/assets")
async def read_assets(
    state: StateDep,
    session: SessionDep,
    _caller: Reader,
    issuer: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")] = None,
    issued_in: Annotated[
        str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$", description="the transaction that issued the asset")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$", description="next_cursor of the page before")] = None,
) -> AssetsPublic:
    """Assets from the index, newest issue first."""
    recourse = state.recourse
    return await run_in_threadpool(
        lambda: svc.list_assets(
            session=session, recourse=recourse, issuer=issuer, issued_in=issued_in, limit=limit, cursor=cursor
        )
    )


@router.get("/assets/{asset}", responses=_NOT_FOUND)
async def read_asset(
    asset: AssetPath,
    state: StateDep,
    session: SessionDep,
    _caller: Reader,
    max_age: Annotated[
        int, Query(ge=0, le=10 * 365 * 24 * 3600, description="a valuation older than this (seconds) is stale")
    ] = 24 * 3600,
) -> AssetPublic:
    """One asset: terms, offering, supply, recoveries, the latest valuation, NAV per share and recovery yield."""
    recourse = state.recourse
    now = await state.reads.get(("chain_time",), chain_time_reader(recourse))
    return await run_in_threadpool(
        lambda: svc.get_asset(session=session, recourse=recourse, address=asset, chain_time=now, max_age=max_age)
    )


@router.get("/assets/{asset}/holders", responses=_NOT_FOUND)
async def read_holders(asset: AssetPath, session: SessionDep, _caller: Reader) -> AccountsPublic:
    """Accounts holding shares or an unclaimed subscription, with freezes and recoveries claimable and claimed."""
    return await run_in_threadpool(lambda: svc.list_holders(session=session, address=asset))


@router.get("/assets/{asset}/offers", responses=_NOT_FOUND)
async def read_offers(
    asset: AssetPath,
    session: SessionDep,
    _caller: Reader,
    open: Annotated[bool, Query(description="only offers still open")] = False,  # noqa: A002 - the API's name
) -> OffersPublic:
    """The asset's offers in id order."""
    return await run_in_threadpool(lambda: svc.list_offers(session=session, address=asset, open_only=open))


@router.get("/assets/{asset}/accounts/{address}", responses=_NOT_FOUND)
async def read_account(asset: AssetPath, address: AddressPath, session: SessionDep, _caller: Reader) -> AccountPublic:
    """One account's row, as in `/holders`, even if it holds nothing."""
    return await run_in_threadpool(lambda: svc.get_account(session=session, address=asset, account=address))


@router.get("/assets/{asset}/transfer-check", responses=_NOT_FOUND)
async def read_transfer_check(
    asset: AssetPath,
    state: StateDep,
    _caller: Reader,
    frm: Annotated[str, Query(alias="from", pattern=r"^0x[0-9a-fA-F]{40}$", description="zero address: a mint")],
    to: Annotated[str, Query(pattern=r"^0x[0-9a-fA-F]{40}$")],
    shares: Annotated[int, Query(ge=0, lt=2**96)],
) -> TransferCheckPublic:
    """Whether moving `shares` from `from` to `to` would pass compliance now, and the first rule it breaks."""
    recourse = state.recourse
    return await run_in_threadpool(
        lambda: svc.check_transfer(recourse=recourse, address=asset, frm=frm, to=to, shares=shares)
    )
