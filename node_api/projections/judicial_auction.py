"""The judicial-auction index (``auction_*`` tables) from the ``JudicialAuction`` reducer.

A chunk of events touches a few lots, their bidders, some payees and the escrow totals: ``apply`` loads
exactly those rows into an ``AuctionState``, runs the reducer, writes back what changed and appends the
chunk's bids. The totals row remembers the key of the last event applied, so applying the same events
twice changes nothing. A rewind deletes the index and replays the surviving stored events (an auction's
events are few next to a token's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, delete, select

from chain.contracts.judicial_auction import LotKind, LotStatus
from chain.reducers import Event
from chain.reducers._base import checksum
from chain.reducers.judicial_auction import (
    AUCTION_EVENTS,
    REDUCER,
    AuctionState,
    BidderState,
    LotState,
    lot_of,
)
from node_api.db.auction_models import AuctionBid, AuctionBidder, AuctionLot, AuctionPayee, AuctionTotals
from node_api.db.models import ChainEvent
from node_api.projections._base import chunks, insert_ignore, insert_replace, table_of

__all__ = ["AuctionProjection"]

_LOTS = table_of(AuctionLot)
_BIDDERS = table_of(AuctionBidder)
_BIDS = table_of(AuctionBid)
_PAYEES = table_of(AuctionPayee)
_TOTALS = table_of(AuctionTotals)
_EVENTS = table_of(ChainEvent)
_PAYEE_ARGS = ("payee", "forfeitTo")
_REPLAY_PAGE = 5_000


def _lot_ids(events: Sequence[Event]) -> set[int]:
    ids: set[int] = set()
    for e in events:
        lid = lot_of(e)
        if lid is not None:
            ids.add(lid)
        if "newLotId" in e.args:
            ids.add(int(e.args["newLotId"]))
    return ids


def _payees(events: Sequence[Event]) -> set[str]:
    return {checksum(e.args[a]) for e in events for a in _PAYEE_ARGS if a in e.args}


def _load_lot(row: Mapping[str, Any]) -> LotState:
    return LotState(
        lot_id=int(row["lot_id"]),
        seller=row["seller"],
        asset_ref=row["asset_ref"],
        origin=int(row["origin"]),
        round=int(row["round"]),
        kind=LotKind[str(row["kind"]).upper()],
        appraisal=int(row["appraisal_fen"]),
        kyc_tier=int(row["kyc_tier"]),
        documents=tuple(row["documents"]),
        status=LotStatus[str(row["status"]).upper()],
        failures=int(row["failures"]),
        bidder_count=int(row["bidder_count"]),
        court=row["court"],
        starts_at=int(row["starts_at"]),
        ends_at=int(row["ends_at"]),
        highest_code=int(row["highest_code"]),
        highest_bid=int(row["highest_bid_fen"]),
        start_price=int(row["start_price_fen"]),
        increment=int(row["increment_fen"]),
        deposit=int(row["deposit_fen"]),
        paid=int(row["paid_fen"]),
        payment_window=int(row["payment_window"]),
        payment_deadline=int(row["payment_deadline"]),
        closed_at_block=int(row["closed_block"]),
        forfeit_to=row["forfeit_to"],
        suspended=str(row["status"]) == LotStatus.SUSPENDED.label,
        relisted_as=int(row["relisted_as"]),
        extensions=int(row["extensions"]),
        ruling_digest=row["ruling_digest"],
        codes={int(k): v for k, v in dict(row["codes"]).items()},
    )


def _dump_lot(lot: LotState) -> dict[str, Any]:
    return {
        "lot_id": lot.lot_id,
        "status": lot.status.label,
        "kind": lot.kind.label,
        "seller": lot.seller,
        "court": lot.court,
        "asset_ref": lot.asset_ref,
        "origin": lot.origin,
        "round": lot.round,
        "kyc_tier": lot.kyc_tier,
        "failures": lot.failures,
        "starts_at": lot.starts_at,
        "ends_at": lot.ends_at,
        "highest_code": lot.highest_code,
        "highest_bid_fen": lot.highest_bid,
        "start_price_fen": lot.start_price,
        "deposit_fen": lot.deposit,
        "increment_fen": lot.increment,
        "appraisal_fen": lot.appraisal,
        "paid_fen": lot.paid,
        "payment_window": lot.payment_window,
        "payment_deadline": lot.payment_deadline,
        "bidder_count": lot.bidder_count,
        "extensions": lot.extensions,
        "relisted_as": lot.relisted_as,
        "closed_block": lot.closed_at_block,
        "forfeit_to": lot.forfeit_to,
        "ruling_digest": lot.ruling_digest,
        "documents": list(lot.documents),
        "codes": {str(k): v for k, v in sorted(lot.codes.items())},
    }


def _dump_bidder(lot_id: int, b: BidderState) -> dict[str, Any]:
    return {
        "lot_id": lot_id,
        "address": b.address,
        "code": b.code,
        "deposit_fen": b.deposit,
        "preemption": b.preemption,
    }


class AuctionProjection:
    """``JudicialAuction`` events → ``auction_lots``, ``auction_bidders``, ``auction_bids``,
    ``auction_payees`` and ``auction_totals``."""

    reducer = REDUCER
    events = AUCTION_EVENTS

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        totals = conn.execute(select(_TOTALS).where(_TOTALS.c.id == 1)).mappings().first()
        done = "" if totals is None else str(totals["last_event"])
        fresh = [e for e in events if e.key > done]
        if not fresh:
            return
        state = AuctionState()
        if totals is not None:
            state.total_deposits = int(totals["deposits_fen"])
            state.total_paid = int(totals["paid_fen"])
            state.total_owed = int(totals["owed_fen"])
            state.appraisal_max_age = int(totals["appraisal_max_age"])
        lot_ids = sorted(_lot_ids(fresh))
        for chunk in chunks(lot_ids):
            for found in conn.execute(select(_LOTS).where(_LOTS.c.lot_id.in_(chunk))).mappings():
                state.lots[int(found["lot_id"])] = _load_lot(cast(Mapping[str, Any], found))
            for b in conn.execute(select(_BIDDERS).where(_BIDDERS.c.lot_id.in_(chunk))).mappings():
                key = (int(b["lot_id"]), str(b["address"]))
                state.bidders[key] = BidderState(key[1], int(b["code"]), int(b["deposit_fen"]), bool(b["preemption"]))
        payees = sorted(_payees(fresh))
        for chunk in chunks(payees):
            for p in conn.execute(select(_PAYEES).where(_PAYEES.c.address.in_(chunk))).mappings():
                state.owed[str(p["address"])] = int(p["owed_fen"])
        before_lots = {lid: _dump_lot(lot) for lid, lot in state.lots.items()}
        before_bidders = {k: _dump_bidder(k[0], b) for k, b in state.bidders.items()}
        before_owed = dict(state.owed)

        state = self.reducer.run(state, fresh)

        lots = [row for lid, lot in state.lots.items() if (row := _dump_lot(lot)) != before_lots.get(lid)]
        if lots:
            conn.execute(insert_replace(conn, _LOTS, ["lot_id"], [c.name for c in _LOTS.columns]), lots)
        bidders = [row for k, b in state.bidders.items() if (row := _dump_bidder(k[0], b)) != before_bidders.get(k)]
        if bidders:
            cols = ["code", "deposit_fen", "preemption"]
            conn.execute(insert_replace(conn, _BIDDERS, ["lot_id", "address"], cols), bidders)
        owed = [{"address": a, "owed_fen": v} for a, v in state.owed.items() if before_owed.get(a) != v]
        if owed:
            conn.execute(insert_replace(conn, _PAYEES, ["address"], ["owed_fen"]), owed)
        bids = [
            {
                "key": b.key,
                "lot_id": lot.lot_id,
                "block_number": b.block_number,
                "code": b.code,
                "amount_fen": b.amount,
                "ends_at": b.ends_at,
                "preemption": b.preemption,
                "extended": b.extended,
            }
            for lot in state.lots.values()
            for b in lot.history
        ]
        for chunk in chunks(bids):
            conn.execute(insert_ignore(conn, _BIDS, ["key"]), list(chunk))
        totals_row: dict[str, Any] = {
            "id": 1,
            "deposits_fen": state.total_deposits,
            "paid_fen": state.total_paid,
            "owed_fen": state.total_owed,
            "appraisal_max_age": state.appraisal_max_age,
            "last_event": fresh[-1].key,
        }
        conn.execute(insert_replace(conn, _TOTALS, ["id"], [k for k in totals_row if k != "id"]), [totals_row])

    def rewind(self, conn: Connection, to_block: int) -> None:  # noqa: ARG002 - the whole index is rebuilt
        for table in (_BIDS, _BIDDERS, _PAYEES, _LOTS, _TOTALS):
            conn.execute(delete(table))
        cols = [_EVENTS.c.key, _EVENTS.c.block_number, _EVENTS.c.contract, _EVENTS.c.name, _EVENTS.c.args]
        relevant = (_EVENTS.c.contract == self.reducer.contract) & _EVENTS.c.name.in_(sorted(self.events))
        after = ""
        while True:
            page = [
                Event(str(k), int(b), str(c), str(n), a)
                for k, b, c, n, a in conn.execute(
                    select(*cols).where(relevant, _EVENTS.c.key > after).order_by(_EVENTS.c.key).limit(_REPLAY_PAGE)
                )
            ]
            if not page:
                return
            self.apply(conn, page)
            after = page[-1].key
