"""The gateway's asset-fractions projections on SQLite, without a chain: two tokens' events, interleaved and
applied in small chunks as the indexer hands them over (each with the emitting token's address), leave the
same rows as the reducers' replay; applying them again changes nothing; a rewind rebuilds the same index from
the stored events; the holders' claimable fen the gateway answers is the reducer's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from sqlalchemy import Engine, event, insert, select
from sqlmodel import Session

from chain.eip712 import feed_id
from chain.events import event_key
from chain.reducers import Event, replay
from chain.reducers.asset_fractions import AssetState
from node_api.db.engine import make_engine, migrate
from node_api.db.fractions_models import FractionAccount, FractionAsset, FractionIssue, FractionOffer, FractionRecovery
from node_api.db.models import ChainEvent, Operation
from node_api.projections import FractionsIssueProjection, FractionsProjection, default_projections
from node_api.projections._base import table_of
from node_api.services import fractions as svc

ZERO = "0x" + "00" * 20
A, B, C = "0x" + "a1" * 20, "0x" + "b2" * 20, "0x" + "c3" * 20
BANK, COURT, FACTORY = "0x" + "ba" * 20, "0x" + "c0" * 20, "0x" + "fa" * 20
TOKEN, OTHER = "0x" + "f1" * 20, "0x" + "f2" * 20
REF, REF2, FEED, ROOT, ORDER = ("0x" + h * 32 for h in ("11", "12", "22", "33", "44"))
PRICE = 100
TABLES = [table_of(m) for m in (FractionIssue, FractionAsset, FractionAccount, FractionOffer, FractionRecovery)]


def cs(address: str) -> str:
    return to_checksum_address(address)


class Chain:
    """Events of several contracts with strictly increasing keys, each with its emitting address."""

    def __init__(self) -> None:
        self.block = 0
        self.events: list[Event] = []

    def __call__(self, address: str, name: str, **args: Any) -> None:
        self.block += 1
        contract = "FractionsFactory" if address == FACTORY else "AssetFractions"
        self.events.append(Event(event_key(self.block, 0, 0), self.block, contract, name, args, cs(address)))

    def issue(self, token: str, ref: str, index: int, hard_cap: int) -> None:
        self(token, "FractionsTerms", issuer=BANK, assetRef=ref, valuationFeed=FEED, documentsRoot=ROOT)
        self(token, "FractionsLimits", kycTier=2, regions=[310000], lockUpUntil=0, maxHolders=10, maxPerHolder=0)
        self(token, "OfferingTerms", price=PRICE, minSubscription=1, softCap=hard_cap, hardCap=hard_cap, deadline=9)
        self(FACTORY, "FractionsIssued", asset=token, issuer=BANK, assetRef=ref, index=index)

    def transfer(self, token: str, frm: str, to: str, value: int) -> None:
        self(token, "Transfer", **{"from": frm, "to": to, "value": value})


def _life() -> list[Event]:
    """TOKEN: A and B subscribe 60 and 40, settled, recoveries before and after claims, an offer filled in
    part, a court's freezes and forced transfer, a key recovery; OTHER, interleaved: C buys all 5 shares."""
    c = Chain()
    c.issue(TOKEN, REF, 0, 100)
    c.issue(OTHER, REF2, 1, 5)
    c(TOKEN, "Subscribed", subscriber=A, shares=60, paid=60 * PRICE, sold=60)
    c(OTHER, "Subscribed", subscriber=C, shares=5, paid=5 * PRICE, sold=5)
    c(TOKEN, "Subscribed", subscriber=B, shares=40, paid=40 * PRICE, sold=100)
    c(TOKEN, "OfferingSettled", status=1, sold=100, proceeds=100 * PRICE)
    c(OTHER, "OfferingSettled", status=1, sold=5, proceeds=5 * PRICE)
    c(TOKEN, "SharesClaimed", subscriber=A, shares=60)
    c.transfer(TOKEN, ZERO, A, 60)
    c(TOKEN, "RecoveryPaid", payer=BANK, sourceRef=ORDER, amount=1_001, totalPaidIn=1_001)
    c(OTHER, "SharesClaimed", subscriber=C, shares=5)
    c.transfer(OTHER, ZERO, C, 5)
    c(TOKEN, "SharesClaimed", subscriber=B, shares=40)
    c.transfer(TOKEN, ZERO, B, 40)
    c(TOKEN, "ProceedsWithdrawn", issuer=BANK, amount=100 * PRICE)
    c(TOKEN, "OfferMade", offerId=1, seller=A, shares=20, price=150)
    c.transfer(TOKEN, A, C, 15)
    c(TOKEN, "OfferFilled", offerId=1, buyer=C, shares=15, paid=15 * 150, remaining=5)
    c(TOKEN, "OfferMade", offerId=2, seller=B, shares=5, price=200)
    c(TOKEN, "OfferCancelled", offerId=2)
    c(TOKEN, "RecoveryPaid", payer=BANK, sourceRef=ORDER, amount=333, totalPaidIn=1_334)
    c(TOKEN, "RecoveryClaimed", holder=A, amount=replay(c.events)["AssetFractions"][cs(TOKEN)].claimable(A))
    c(TOKEN, "AccountFrozen", account=B, court=COURT, orderDigest=ORDER)
    c.transfer(TOKEN, B, C, 10)
    c(TOKEN, "ForcedTransfer", **{"from": B, "to": C, "amount": 10, "court": COURT, "orderDigest": ORDER})
    c(TOKEN, "AccountUnfrozen", account=B, court=COURT, orderDigest=ORDER)
    c(TOKEN, "SharesFrozen", account=C, court=COURT, frozen=5, orderDigest=ORDER)
    c(TOKEN, "TradingPaused", by=BANK, reasonDigest=ORDER)
    return c.events


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = make_engine(f"sqlite:///{tmp_path / 'fractions.sqlite'}")
    migrate(e)
    yield e
    e.dispose()


def _apply(engine: Engine, events: list[Event], size: int) -> None:
    """As the indexer does: each chunk in one transaction, each projection its own contract's events."""
    projections = [FractionsIssueProjection(), FractionsProjection()]
    for i in range(0, len(events), size):
        chunk = events[i : i + size]
        with engine.begin() as conn:
            for p in projections:
                mine = [e for e in chunk if e.contract == p.reducer.contract]
                if mine:
                    p.apply(conn, mine)


def _dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {
            str(t.name): [dict(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns)).mappings()]
            for t in TABLES
        }


def _agrees_with_replay(engine: Engine, events: list[Event]) -> None:
    truth = replay(events)
    tokens: dict[str, AssetState] = truth["AssetFractions"]
    with Session(engine) as s:
        issues = {i.address: i for i in s.exec(select(FractionIssue)).scalars()}  # type: ignore[call-overload]
        assert {a: (i.index, i.asset_ref) for a, i in issues.items()} == {
            a: (x.index, x.asset_ref) for a, x in truth["FractionsFactory"].assets.items()
        }
        for address, state in tokens.items():
            row = s.get(FractionAsset, address)
            assert row is not None
            assert (row.status, row.sold, row.subscribers, row.total_supply) == (
                state.status.label,
                state.sold,
                state.subscribers,
                state.total_supply,
            )
            assert (row.holder_count, row.offer_count, row.paused) == (
                state.holder_count,
                state.offer_count,
                state.paused,
            )
            assert (row.per_share, row.per_share_carry) == (state.per_share, state.per_share_carry)
            assert (row.total_paid_in_fen, row.total_claimed_fen, row.proceeds_owed_fen) == (
                state.total_paid_in,
                state.total_claimed,
                state.proceeds_owed,
            )
            holders = {h.address: h for h in svc.list_holders(session=s, address=address).data}
            assert {a: h.balance for a, h in holders.items() if h.balance} == state.holders
            for who, acc in state.accounts.items():
                mine = svc.get_account(session=s, address=address, account=who)
                assert (mine.balance, mine.subscription, mine.claimed_fen) == (
                    acc.balance,
                    acc.subscription,
                    acc.claimed,
                )
                assert (mine.frozen_whole, mine.frozen_shares) == (acc.frozen, acc.frozen_shares)
                assert mine.claimable_fen == state.claimable(who)
            offers = svc.list_offers(session=s, address=address, open_only=False).data
            assert [(o.offer_id, o.shares, o.status) for o in offers] == [
                (o.offer_id, o.shares, o.status.label) for o in state.offers.values()
            ]


def _tx(e: Event) -> str:
    return f"0x{e.block_number:064x}"


def _store(engine: Engine, events: list[Event]) -> None:
    rows = [
        {
            "key": e.key,
            "block_number": e.block_number,
            "block_hash": "0x",
            "tx_hash": _tx(e),
            "tx_index": 0,
            "log_index": 0,
            "contract": e.contract,
            "address": e.address,
            "name": e.name,
            "args": dict(e.args),
        }
        for e in events
    ]
    with engine.begin() as conn:
        conn.execute(insert(table_of(ChainEvent)), rows)


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_chunks_of_two_tokens_leave_the_replays_rows(engine: Engine, size: int) -> None:
    events = _life()
    _apply(engine, events, size)

    _agrees_with_replay(engine, events)
    state = replay(events)["AssetFractions"][cs(TOKEN)]
    assert state.anomalies == []
    assert state.holders == {cs(A): 45, cs(B): 30, cs(C): 25}
    with Session(engine) as s:
        recoveries = svc.list_holders(session=s, address=TOKEN).data
        assert sum(h.claimable_fen + h.claimed_fen for h in recoveries) <= 1_334


def test_applying_again_changes_nothing_and_a_rewind_rebuilds_the_same_index(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    events = _life()
    _apply(engine, events, 5)
    first = _dump(engine)
    _apply(engine, events, 7)  # at-least-once delivery: the same events again
    assert _dump(engine) == first

    _store(engine, events)
    with engine.begin() as conn:
        for p in (FractionsIssueProjection(), FractionsProjection()):
            p.rewind(conn, 0)
    assert _dump(engine) == first
    _agrees_with_replay(engine, events)
    assert "projection.anomaly" not in caplog.text


def test_the_projections_are_registered_with_the_indexer() -> None:
    kinds = {type(p) for p in default_projections()}
    assert {FractionsIssueProjection, FractionsProjection} <= kinds


class _Token:
    def names(self) -> tuple[str, str]:
        return ("Token", "TK")


class _Recourse:
    def asset_fractions(self, address: str) -> _Token:  # noqa: ARG002 - every token has the same names here
        return _Token()


def test_asset_reads_match_stored_hashes_and_addresses_without_lower(engine: Engine) -> None:
    """Hashes are stored in lower case on both sides and addresses checksummed: the reads compare them with a
    plain ``=`` (so the ``tx_hash`` and ``issuer`` indexes answer), never ``lower(column)``."""
    events = _life()
    _apply(engine, events, 1000)
    _store(engine, events)
    issued = next(e for e in events if e.name == "FractionsIssued" and e.args["asset"] == TOKEN)
    name = "valuation:projection"
    with Session(engine) as s:
        s.add(
            Operation(
                id="op-1",
                institution="bank",
                sender=cs(BANK),
                idempotency_key="k",
                request_hash="h",
                kind=svc.ISSUE_KIND,
                request={"valuation_feed": name},
                tx_hash=_tx(issued),
            )
        )
        s.commit()
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine) as s:
            recourse: Any = _Recourse()
            issued_in = "0x" + _tx(issued)[2:].upper()  # as a caller may spell it
            page = svc.list_assets(
                session=s, recourse=recourse, issuer=BANK, issued_in=issued_in, limit=10, cursor=None
            )
            feed = svc._feed_name(s, cs(TOKEN), "0x" + bytes(feed_id(name)).hex())
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [a.address for a in page.data] == [cs(TOKEN)]
    assert feed == name
    assert not [q for q in statements if "lower(" in q.lower()], statements
