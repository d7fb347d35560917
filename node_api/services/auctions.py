"""Judicial-auction use cases: every step a durable operation through the one write path; lots and bids read
from the index the ``JudicialAuction`` projection keeps; the live room of a lot over Server-Sent Events.

The contract holds every rule. Before accepting a write, the planner asks the chain (``dry_run``: a gas
estimate of the very transaction from the caller's address) and a refusal becomes its problem through
``chain_errors.REVERT_PROBLEMS``. A step that moves the caller's rCNY (deposit, payment, fixed-price
purchase) first approves the auction for exactly that amount when the allowance does not cover it; the
step is then checked by the chain when it runs (its operation fails with the decoded reason), because a
node cannot run it before the approval is mined.

Privacy: bidders appear as bidder codes; only the lot's court sees the address behind each code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from eth_utils.address import to_checksum_address
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from chain import ChainError
from chain.client import TxRequest
from chain.contracts.judicial_auction import (
    JudicialAuction,
    Listing,
    LotStatus,
    Payee,
    asset_ref,
    bidder_code_label,
)
from chain.eip712 import feed_id
from chain.network import Recourse
from node_api.db.auction_models import AuctionBid, AuctionBidder, AuctionLot, AuctionPayee
from node_api.db.models import ChainEvent
from node_api.institutions import Institution
from node_api.problems import ChainUnavailableError, LotNotFoundError
from node_api.schemas.auctions import BidPublic, BidsPublic, LotPublic, LotsPublic
from node_api.services._planning import bytes32, one, paying, planner, read
from node_api.services.events import EventFilter, EventPublic
from node_api.services.operations import Submission, reads_chain

__all__ = [
    "AUCTION_CONTRACT",
    "auction_notice",
    "redacted",
    "get_lot",
    "list_bids",
    "list_lots",
    "owed_to",
    "room_filter",
    "room_message",
    "submit_appraisal",
    "submit_approval",
    "submit_bid",
    "submit_cancel",
    "submit_close",
    "submit_confirmation",
    "submit_default",
    "submit_deposit",
    "submit_deposit_withdrawal",
    "submit_fixed_price",
    "submit_listing",
    "submit_match",
    "submit_payment",
    "submit_preemption",
    "submit_purchase",
    "submit_relist",
    "submit_resume",
    "submit_suspend",
    "submit_withdrawal",
]

AUCTION_CONTRACT = "JudicialAuction"
_ZERO = "0x0000000000000000000000000000000000000000"


# --- planning helpers -------------------------------------------------------------------------------------


def _lot_on_chain(auctions: JudicialAuction, lot_id: int) -> Any:
    return read(f"lot {lot_id}", lambda: auctions.lot(lot_id))


# --- writes -----------------------------------------------------------------------------------------------


@reads_chain
def submit_appraisal(
    *,
    session: Session,  # noqa: ARG001 - every planner gets one
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    value_fen: int,
    document_digest: str,
) -> Submission:
    """A court's appraisal of ``asset`` (the report's digest on chain)."""
    tx = recourse.auctions.enter_appraisal_request(asset_ref(asset), value_fen, bytes32(document_digest))
    body = {"asset": asset, "value_fen": value_fen, "document_digest": document_digest.lower()}
    return one(recourse, institution, key, "auction.appraisal", body, tx)


@reads_chain
def submit_listing(
    *,
    session: Session,  # noqa: ARG001
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    documents: Sequence[str],
    appraisal_feed: str | None,
    start_price_fen: int,
    deposit_fen: int,
    increment_fen: int,
    announcement_seconds: int,
    bidding_window_seconds: int,
    payment_window_seconds: int,
    kyc_tier: int,
) -> Submission:
    """A new lot (BANK or COURT): the chain checks the documents, the appraisal and every ratio."""
    listing = Listing(
        asset_ref=asset_ref(asset),
        documents=tuple(bytes32(d) for d in documents),
        appraisal_feed=bytes(feed_id(appraisal_feed)) if appraisal_feed else bytes(32),
        start_price=start_price_fen,
        deposit=deposit_fen,
        increment=increment_fen,
        announcement=announcement_seconds,
        bidding_window=bidding_window_seconds,
        payment_window=payment_window_seconds,
        kyc_tier=kyc_tier,
    )
    body = {
        "asset": asset,
        "documents": [d.lower() for d in documents],
        "appraisal_feed": appraisal_feed,
        "start_price_fen": start_price_fen,
        "deposit_fen": deposit_fen,
        "increment_fen": increment_fen,
        "announcement_seconds": announcement_seconds,
        "bidding_window_seconds": bidding_window_seconds,
        "payment_window_seconds": payment_window_seconds,
        "kyc_tier": kyc_tier,
    }
    return one(recourse, institution, key, "auction.list", body, recourse.auctions.list_request(listing))


@reads_chain
def submit_relist(
    *,
    session: Session,  # noqa: ARG001
    recourse: Recourse,
    institution: Institution,
    key: str,
    lot_id: int,
    start_price_fen: int,
    deposit_fen: int,
    increment_fen: int,
    announcement_seconds: int,
    bidding_window_seconds: int,
    payment_window_seconds: int,
) -> Submission:
    terms = {
        "start_price": start_price_fen,
        "deposit": deposit_fen,
        "increment": increment_fen,
        "announcement": announcement_seconds,
        "bidding_window": bidding_window_seconds,
        "payment_window": payment_window_seconds,
    }
    tx = recourse.auctions.relist_request(lot_id, **terms)
    return one(recourse, institution, key, "auction.relist", {"lot_id": lot_id, **terms}, tx)


def _simple(kind: str, build: Callable[[JudicialAuction, int], TxRequest]) -> Callable[..., Submission]:
    """A planner of a step that takes only the lot id."""

    @planner(kind)
    def plan(
        *,
        session: Session,  # noqa: ARG001
        recourse: Recourse,
        institution: Institution,
        key: str,
        lot_id: int,
    ) -> Submission:
        return one(recourse, institution, key, kind, {"lot_id": lot_id}, build(recourse.auctions, lot_id))

    return plan


submit_resume = _simple("auction.resume", JudicialAuction.resume_request)
submit_match = _simple("auction.match", JudicialAuction.match_bid_request)
submit_close = _simple("auction.close", JudicialAuction.close_request)
submit_default = _simple("auction.default", JudicialAuction.declare_default_request)
submit_deposit_withdrawal = _simple("auction.withdraw_deposit", JudicialAuction.withdraw_deposit_request)


def _ordered(kind: str, build: Callable[[JudicialAuction, int, bytes], TxRequest]) -> Callable[..., Submission]:
    """A planner of a court order about a lot (its digest on chain)."""

    @planner(kind)
    def plan(
        *,
        session: Session,  # noqa: ARG001
        recourse: Recourse,
        institution: Institution,
        key: str,
        lot_id: int,
        order_digest: str,
    ) -> Submission:
        body = {"lot_id": lot_id, "order_digest": order_digest.lower()}
        return one(recourse, institution, key, kind, body, build(recourse.auctions, lot_id, bytes32(order_digest)))

    return plan


submit_suspend = _ordered("auction.suspend", JudicialAuction.suspend_request)
submit_cancel = _ordered("auction.cancel", JudicialAuction.cancel_request)


def _addressed(
    kind: str, field: str, build: Callable[[JudicialAuction, int, str], TxRequest]
) -> Callable[..., Submission]:
    """A planner of a step that takes the lot id and one member's address (named ``field``)."""

    @planner(kind)
    def plan(
        *,
        session: Session,  # noqa: ARG001
        recourse: Recourse,
        institution: Institution,
        key: str,
        lot_id: int,
        **given: str,
    ) -> Submission:
        address = to_checksum_address(given[field])
        body = {"lot_id": lot_id, field: address}
        return one(recourse, institution, key, kind, body, build(recourse.auctions, lot_id, address))

    return plan


submit_approval = _addressed("auction.approve", "forfeit_to", JudicialAuction.approve_request)
submit_preemption = _addressed("auction.preemption", "holder", JudicialAuction.register_preemption_request)


@reads_chain
def submit_bid(
    *,
    session: Session,  # noqa: ARG001
    recourse: Recourse,
    institution: Institution,
    key: str,
    lot_id: int,
    amount_fen: int,
) -> Submission:
    """A bid: the chain answers at once whether it beats the highest by the increment, is in time, and comes
    from a bidder with a deposit (a refusal is a 4xx now, not a failed operation later)."""
    tx = recourse.auctions.bid_request(lot_id, amount_fen)
    return one(recourse, institution, key, "auction.bid", {"lot_id": lot_id, "amount_fen": amount_fen}, tx)


@reads_chain
def submit_deposit(
    *,
    session: Session,  # noqa: ARG001
    recourse: Recourse,
    institution: Institution,
    key: str,
    lot_id: int,
) -> Submission:
    lot = _lot_on_chain(recourse.auctions, lot_id)
    tx = recourse.auctions.lock_deposit_request(lot_id)
    body = {"lot_id": lot_id, "deposit_fen": lot.deposit}
    return paying(recourse, institution, recourse.auctions.address, key, "auction.deposit", body, tx, lot.deposit)


@reads_chain
def submit_payment(
    *,
    session: Session,  # noqa: ARG001
    recourse: Recourse,
    institution: Institution,
    key: str,
    lot_id: int,
) -> Submission:
    """The winner's balance (price − deposit)."""
    auctions = recourse.auctions
    lot = _lot_on_chain(auctions, lot_id)
    deposit = auctions.bidder_of(lot_id, institution.address).deposit
    balance = max(lot.highest_bid - deposit, 0)
    body = {"lot_id": lot_id, "balance_fen": balance}
    return paying(
        recourse, institution, auctions.address, key, "auction.pay", body, auctions.pay_request(lot_id), balance
    )


@reads_chain
def submit_purchase(
    *,
    session: Session,  # noqa: ARG001
    recourse: Recourse,
    institution: Institution,
    key: str,
    lot_id: int,
) -> Submission:
    """A fixed-price purchase (变卖), paid in full."""
    lot = _lot_on_chain(recourse.auctions, lot_id)
    body = {"lot_id": lot_id, "price_fen": lot.start_price}
    tx = recourse.auctions.buy_request(lot_id)
    return paying(recourse, institution, recourse.auctions.address, key, "auction.buy", body, tx, lot.start_price)


@reads_chain
def submit_confirmation(
    *,
    session: Session,  # noqa: ARG001
    recourse: Recourse,
    institution: Institution,
    key: str,
    lot_id: int,
    payees: Sequence[dict[str, Any]],
    ruling_digest: str,
    transfer_digest: str,
) -> Submission:
    chosen = [Payee(to_checksum_address(p["address"]), int(p["amount_fen"])) for p in payees]
    tx = recourse.auctions.confirm_request(lot_id, chosen, bytes32(ruling_digest), bytes32(transfer_digest))
    body = {
        "lot_id": lot_id,
        "payees": [{"address": p.account, "amount_fen": p.amount} for p in chosen],
        "ruling_digest": ruling_digest.lower(),
        "transfer_digest": transfer_digest.lower(),
    }
    return one(recourse, institution, key, "auction.confirm", body, tx)


@reads_chain
def submit_fixed_price(
    *,
    session: Session,  # noqa: ARG001
    recourse: Recourse,
    institution: Institution,
    key: str,
    lot_id: int,
    price_fen: int,
    period_seconds: int,
) -> Submission:
    tx = recourse.auctions.offer_fixed_price_request(lot_id, price_fen, period_seconds)
    body = {"lot_id": lot_id, "price_fen": price_fen, "period_seconds": period_seconds}
    return one(recourse, institution, key, "auction.fixed_price", body, tx)


@reads_chain
def submit_withdrawal(
    *,
    session: Session,  # noqa: ARG001
    recourse: Recourse,
    institution: Institution,
    key: str,
) -> Submission:
    """Everything the caller is owed (proceeds, forfeited deposits)."""
    return one(recourse, institution, key, "auction.withdraw", {}, recourse.auctions.withdraw_request())


# --- reads ------------------------------------------------------------------------------------------------


def _phase(row: AuctionLot, chain_time: int) -> str:
    if row.status != LotStatus.APPROVED.label:
        return row.status
    if chain_time < row.starts_at:
        return "announced"
    return "bidding" if chain_time < row.ends_at else "ended"


def _public(row: AuctionLot, *, chain_time: int, court_view: bool, mine: AuctionBidder | None) -> LotPublic:
    approved = row.court != _ZERO
    has_bid = row.highest_code != 0
    minimum = row.highest_bid_fen + row.increment_fen if has_bid else row.start_price_fen
    return LotPublic(
        lot_id=row.lot_id,
        status=row.status,
        kind=row.kind,
        phase=_phase(row, chain_time),
        asset_ref=row.asset_ref,
        seller=row.seller,
        court=row.court if approved else None,
        origin=row.origin,
        round=row.round,
        failures=row.failures,
        kyc_tier=row.kyc_tier,
        appraisal_fen=row.appraisal_fen,
        start_price_fen=row.start_price_fen,
        deposit_fen=row.deposit_fen,
        increment_fen=row.increment_fen,
        starts_at=row.starts_at if approved else None,
        ends_at=row.ends_at if approved else None,
        payment_deadline=row.payment_deadline or None,
        highest_bid_fen=row.highest_bid_fen if has_bid else None,
        highest_bidder_code=bidder_code_label(row.highest_code) if has_bid else None,
        minimum_bid_fen=minimum,
        bidder_count=row.bidder_count,
        extensions=row.extensions,
        relisted_as=row.relisted_as or None,
        documents=list(row.documents),
        chain_time=chain_time,
        my_bidder_code=bidder_code_label(mine.code) if mine is not None and mine.code else None,
        my_deposit_fen=mine.deposit_fen if mine is not None else None,
        bidders={bidder_code_label(int(c)): a for c, a in row.codes.items()} if court_view else None,
    )


def list_lots(
    *,
    session: Session,
    chain_time: int,
    status: str | None,
    asset: str | None,
    listed_in: str | None,
    limit: int,
    offset: int,
) -> LotsPublic:
    """Lots from the index, newest first; ``listed_in`` (a transaction hash) finds the lot a listing created."""
    stmt = select(AuctionLot)
    if status:
        stmt = stmt.where(AuctionLot.status == status)
    if asset:
        stmt = stmt.where(AuctionLot.asset_ref == "0x" + asset_ref(asset).hex())
    if listed_in:
        ids = session.exec(
            select(ChainEvent.args).where(
                ChainEvent.contract == AUCTION_CONTRACT,
                col(ChainEvent.name).in_(("LotListed",)),
                func.lower(ChainEvent.tx_hash) == listed_in.lower(),
            )
        ).all()
        stmt = stmt.where(col(AuctionLot.lot_id).in_([int(a["lotId"]) for a in ids]))
    rows = session.exec(stmt.order_by(col(AuctionLot.lot_id).desc()).offset(offset).limit(limit)).all()
    data = [_public(r, chain_time=chain_time, court_view=False, mine=None) for r in rows]
    return LotsPublic(data=data, count=len(data))


def get_lot(*, session: Session, lot_id: int, chain_time: int, viewer: str, viewer_is_court: bool) -> LotPublic:
    """One lot; the bidder codes' addresses only for the lot's own court."""
    row = session.get(AuctionLot, lot_id)
    if row is None:
        raise LotNotFoundError(f"no lot {lot_id} in this gateway's index (is it mined and indexed?)")
    mine = session.get(AuctionBidder, (lot_id, to_checksum_address(viewer)))
    court_view = viewer_is_court and row.court.lower() == viewer.lower()
    return _public(row, chain_time=chain_time, court_view=court_view, mine=mine)


def list_bids(*, session: Session, lot_id: int, after: str | None, limit: int) -> BidsPublic:
    """A lot's accepted bids in order (bidder codes only)."""
    if session.get(AuctionLot, lot_id) is None:
        raise LotNotFoundError(f"no lot {lot_id} in this gateway's index")
    stmt = select(AuctionBid).where(AuctionBid.lot_id == lot_id)
    if after:
        stmt = stmt.where(col(AuctionBid.key) > after)
    rows = session.exec(stmt.order_by(col(AuctionBid.key)).limit(limit)).all()
    data = [
        BidPublic(
            key=r.key,
            block_number=r.block_number,
            bidder_code=bidder_code_label(r.code),
            amount_fen=r.amount_fen,
            ends_at=r.ends_at,
            extended=r.extended,
            preemption=r.preemption,
        )
        for r in rows
    ]
    return BidsPublic(data=data, count=len(data), next_after=data[-1].key if len(data) == limit else None)


def owed_to(*, session: Session, address: str) -> int:
    row = session.get(AuctionPayee, to_checksum_address(address))
    return 0 if row is None else row.owed_fen


# --- the live room ----------------------------------------------------------------------------------------

#: the events a lot's room shows (its bids, extensions, deposits count, and every change of its state)
_ROOM_EVENTS = (
    "LotApproved",
    "LotSuspended",
    "LotResumed",
    "LotCancelled",
    "DepositLocked",
    "BidPlaced",
    "LotClosed",
    "BalancePaid",
    "WinnerDefaulted",
    "SaleConfirmed",
    "LotRelisted",
)


def room_filter() -> EventFilter:
    return EventFilter.from_lists(
        contracts=[AUCTION_CONTRACT], events=[f"{AUCTION_CONTRACT}.{n}" for n in _ROOM_EVENTS]
    )


#: event arguments that name a bidder's address (the court alone may see who is behind a bidder code)
_BIDDER_ADDRESSES = ("bidder", "winner", "holder")


def redacted(ev: EventPublic) -> EventPublic:
    """An auction event without the addresses of bidders (their code instead, where the event has one); any
    other event as it is. What every reader but a court sees, in the live room, ``/events``, streams and
    webhooks."""
    if ev.contract != AUCTION_CONTRACT or not any(k in ev.args for k in _BIDDER_ADDRESSES):
        return ev
    args = {k: v for k, v in ev.args.items() if k not in _BIDDER_ADDRESSES}
    if "code" in args:
        args["bidder_code"] = bidder_code_label(int(args["code"]))
    return ev.model_copy(update={"args": args})


def room_message(lot_id: int, *, court_view: bool) -> Callable[[EventPublic], EventPublic | None]:
    """The room's view of one stored event: only this lot's, and without bidders' addresses unless the viewer
    is the lot's court (a deposit shows its code and the count; a bid its code, amount and the end after it)."""

    def view(ev: EventPublic) -> EventPublic | None:
        if int(ev.args.get("lotId", -1)) != lot_id:
            return None
        return ev if court_view else redacted(ev)

    return view


async def room_stream(
    stream: Callable[..., AsyncIterator[str]], *, after: str, lot_id: int, court_view: bool, **kwargs: Any
) -> AsyncIterator[str]:
    """The room's SSE body: the hub's stream of this lot's events (see ``EventHub.stream``)."""
    async for chunk in stream(
        after=after, flt=room_filter(), select=room_message(lot_id, court_view=court_view), **kwargs
    ):
        yield chunk


def chain_time_reader(recourse: Recourse) -> Callable[[], int]:
    def read() -> int:
        try:
            return recourse.client.block_timestamp()
        except ChainError as exc:
            raise ChainUnavailableError(f"cannot read the chain's time: {exc}") from exc

    return read


# --- webhook notices ----------------------------------------------------------------------------------------


def auction_notice(engine: Engine, event: EventPublic, address: str) -> dict[str, object] | None:
    """What an auction event means for the member at ``address``, for its webhooks: ``outbid`` (its highest
    bid was beaten), ``extended`` (a late bid moved the end), ``won`` and ``payment_due`` (it won: the balance
    and the deadline). ``None`` when the event means nothing particular to it. Read from the index, which
    holds the event already (projections run in the transaction that stores it)."""
    lot_id = event.args.get("lotId")
    if lot_id is None or event.name not in ("BidPlaced", "LotClosed"):
        return None
    with Session(engine) as s:
        lot = s.get(AuctionLot, int(lot_id))
        if lot is None:
            return None
        me = to_checksum_address(address)
        if event.name == "LotClosed":
            code = int(event.args.get("winnerCode", 0))
            if code == 0 or lot.codes.get(str(code)) != me:
                return None
            mine = s.get(AuctionBidder, (lot.lot_id, me))
            price = int(event.args["price"])
            balance = price - (mine.deposit_fen if mine is not None else 0)
            return {
                "kinds": ["won", "payment_due"],
                "lot_id": lot.lot_id,
                "price_fen": price,
                "balance_fen": balance,
                "payment_deadline": int(event.args["paymentDeadline"]),
            }
        this = s.get(AuctionBid, event.key)
        before = s.exec(
            select(AuctionBid)
            .where(AuctionBid.lot_id == lot.lot_id, col(AuctionBid.key) < event.key)
            .order_by(col(AuctionBid.key).desc())
            .limit(1)
        ).first()
    kinds = []
    if before is not None and before.code != int(event.args["code"]) and lot.codes.get(str(before.code)) == me:
        kinds.append("outbid")
    if this is not None and this.extended:
        kinds.append("extended")
    if not kinds:
        return None
    amount = int(event.args["amount"])
    return {
        "kinds": kinds,
        "lot_id": lot.lot_id,
        "bidder_code": bidder_code_label(int(event.args["code"])),
        "amount_fen": amount,
        "minimum_bid_fen": amount + lot.increment_fen,
        "ends_at": int(event.args["endsAt"]),
    }
