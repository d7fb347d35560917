"""The JudicialAuction reducer on hand-built events (a lot's whole life, anomalies it must not hide), and its
projection on SQLite: applying a chunk twice changes nothing, chunks equal one batch, and a rewind rebuilds
the index from the stored events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from chain.contracts.judicial_auction import LotKind, LotStatus
from chain.reducers import Event, replay
from chain.reducers.judicial_auction import REDUCER, AuctionState
from node_api.db.auction_models import AuctionBid, AuctionBidder, AuctionLot, AuctionPayee, AuctionTotals
from node_api.db.engine import make_engine, migrate
from node_api.db.models import ChainEvent
from node_api.projections import AuctionProjection
from node_api.projections._base import table_of
from tests.unit.reducers._events import A, B, C, Script

COURT, BANK = "0x" + "c0" * 20, "0x" + "ba" * 20
ASSET, DOC = "0x" + "11" * 32, "0x" + "22" * 32
TABLES = [table_of(m) for m in (AuctionLot, AuctionBidder, AuctionBid, AuctionPayee, AuctionTotals)]


def life() -> list[Event]:
    """Lot 1: two bidders, a late bid moving the end, a default; lot 2 relists it, sold and confirmed."""
    s = Script("JudicialAuction")
    listed = {
        "seller": BANK,
        "assetRef": ASSET,
        "origin": 1,
        "round": 1,
        "kind": 0,
        "appraisal": 1000,
        "kycTier": 2,
        "documents": [DOC],
    }
    terms = {
        "startPrice": 700,
        "deposit": 70,
        "increment": 10,
        "announcement": 60,
        "biddingWindow": 86_400,
        "paymentWindow": 600,
    }
    return [
        s("LotListed", lotId=1, **listed),
        s("LotTerms", lotId=1, **terms),
        s("LotApproved", lotId=1, court=COURT, startsAt=1060, endsAt=87_460, forfeitTo=COURT),
        s("DepositLocked", lotId=1, bidder=A, code=1, amount=70),
        s("DepositLocked", lotId=1, bidder=B, code=2, amount=70),
        s("BidPlaced", lotId=1, code=1, amount=700, endsAt=87_460, preemption=False),
        s("BidPlaced", lotId=1, code=2, amount=710, endsAt=87_500, preemption=False),
        s("LotClosed", lotId=1, status=5, winnerCode=2, price=710, paymentDeadline=88_100),
        s("DepositWithdrawn", lotId=1, bidder=A, amount=70),
        s("WinnerDefaulted", lotId=1, winner=B, forfeitTo=COURT, amount=70),
        s(
            "LotListed",
            lotId=2,
            seller=BANK,
            assetRef=ASSET,
            origin=1,
            round=2,
            kind=0,
            appraisal=1000,
            kycTier=2,
            documents=[],
        ),
        s("LotTerms", lotId=2, **(terms | {"startPrice": 560, "deposit": 56})),
        s("LotRelisted", lotId=1, newLotId=2),
        s("LotApproved", lotId=2, court=COURT, startsAt=90_000, endsAt=176_400, forfeitTo=COURT),
        s("DepositLocked", lotId=2, bidder=C, code=1, amount=56),
        s("BidPlaced", lotId=2, code=1, amount=560, endsAt=176_400, preemption=False),
        s("LotClosed", lotId=2, status=5, winnerCode=1, price=560, paymentDeadline=177_000),
        s("BalancePaid", lotId=2, winner=C, amount=504, price=560),
        s("ProceedsAllocated", lotId=2, payee=COURT, amount=28),
        s("ProceedsAllocated", lotId=2, payee=BANK, amount=532),
        s("SaleConfirmed", lotId=2, winner=C, price=560, rulingDigest=DOC, transferDigest=DOC),
        s("ProceedsWithdrawn", payee=BANK, amount=532),
    ]


def test_a_lots_life_folds_into_the_contracts_state() -> None:
    state: AuctionState = replay(life())["JudicialAuction"]
    assert state.anomalies == []
    first, second = state.lots[1], state.lots[2]
    assert (first.status, first.highest_bid, first.ends_at, first.extensions) == (LotStatus.DEFAULTED, 710, 87_500, 1)
    assert first.highest_bidder.lower() == B  # the winner who defaulted
    assert (first.relisted_as, second.round, second.kind, second.origin) == (2, 2, LotKind.AUCTION, 1)
    assert second.status is LotStatus.CONFIRMED
    assert {(origin, who.lower()) for origin, who in state.barred} == {(1, B)}
    # escrow: the court's forfeited deposit and fee are still owed; everything else was paid out
    assert (state.total_deposits, state.total_paid, state.total_owed) == (0, 0, 70 + 28)
    assert state.owed == {state.lots[1].forfeit_to: 98, state.lots[1].seller: 0}
    assert [b.extended for b in first.history] == [False, True]


def test_what_cannot_happen_is_reported_not_hidden() -> None:
    events = life()[:5] + [
        Script("JudicialAuction")("DepositWithdrawn", lotId=1, bidder=A, amount=99),
    ]
    events[-1] = Event("999999999999/000000/000000", 999, "JudicialAuction", "DepositWithdrawn", events[-1].args)
    state: AuctionState = replay(events)["JudicialAuction"]
    assert any("DepositWithdrawn: 99 withdrawn but 70 was locked" in a for a in state.anomalies)
    bid_on_nothing = Event(
        "999999999999/000000/000001",
        999,
        "JudicialAuction",
        "BidPlaced",
        {"lotId": 7, "code": 1, "amount": 1, "endsAt": 1, "preemption": False},
    )
    assert any("unknown lot 7" in a for a in REDUCER.apply(AuctionState(), bid_on_nothing).anomalies)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = make_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    migrate(e)
    yield e
    e.dispose()


def _dump(engine: Engine) -> list[list[dict[str, Any]]]:
    with engine.connect() as conn:
        return [sorted((dict(r) for r in conn.execute(select(t)).mappings()), key=str) for t in TABLES]


def _store(engine: Engine, events: list[Event]) -> None:
    rows = [
        {
            "key": e.key,
            "block_number": e.block_number,
            "block_hash": "0x",
            "tx_hash": "0x",
            "tx_index": 0,
            "log_index": 0,
            "contract": e.contract,
            "address": A,
            "name": e.name,
            "args": dict(e.args),
        }
        for e in events
    ]
    with engine.begin() as conn:
        conn.execute(insert(table_of(ChainEvent)), rows)


def test_the_projection_is_idempotent_chunked_and_rewinds_from_stored_events(engine: Engine) -> None:
    events, p = life(), AuctionProjection()
    with engine.begin() as conn:
        for i in range(0, len(events), 4):  # the indexer's chunks
            p.apply(conn, events[i : i + 4])
    chunked = _dump(engine)
    with engine.begin() as conn:
        p.apply(conn, events)  # delivered again: nothing changes
    assert _dump(engine) == chunked
    lots = {r["lot_id"]: r for r in chunked[0]}
    assert (lots[1]["status"], lots[2]["status"], lots[1]["extensions"]) == ("defaulted", "confirmed", 1)
    assert {r["address"].lower(): r["owed_fen"] for r in chunked[3]} == {COURT: 98, BANK: 0}
    assert len(chunked[2]) == 3  # three bids

    _store(engine, events)
    with engine.begin() as conn:
        p.rewind(conn, 0)
    assert _dump(engine) == chunked
