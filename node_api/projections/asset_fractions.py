"""The asset-fractions index (``fraction_*`` tables) from the ``FractionsFactory`` and ``AssetFractions`` reducers.

The factory's projection records each ``FractionsIssued`` (``fraction_issues``, loaded whole for each chunk
that holds one: one row per asset ever issued); the indexer follows the new
token from that block through the reducer's ``creates`` hook, without re-indexing. There is one
``AssetFractions`` contract per asset, so the token projection keys every row by the emitting contract's
address, which the indexer hands over with each event (``Event.address``).

A chunk of events touches a few tokens, some of their accounts and offers: ``apply`` loads exactly those
rows per token into an ``AssetState``, runs the reducer, writes back what changed and appends the recoveries
paid in. The holder count is kept as a running total (the reducer counts it over the accounts it holds, which
here are only the ones the chunk touches: every account whose shares or subscription change is one of them).
Each token's row remembers the key of the last event applied, so applying the same events twice changes
nothing. A rewind deletes the index and replays the surviving stored events.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, delete, select

from chain.contracts.asset_fractions import OfferingStatus
from chain.reducers import Event
from chain.reducers._base import ZERO_ADDRESS, checksum
from chain.reducers.asset_fractions import (
    ASSET_EVENTS,
    ASSET_REDUCER,
    FACTORY_EVENTS,
    FACTORY_REDUCER,
    AccountState,
    AssetState,
    FactoryState,
    IssuedAsset,
    OfferState,
    OfferStatus,
    offer_of,
)
from node_api.db.fractions_models import FractionAccount, FractionAsset, FractionIssue, FractionOffer, FractionRecovery
from node_api.db.models import ChainEvent
from node_api.projections._base import chunks, insert_ignore, insert_replace, table_of

__all__ = ["FractionsIssueProjection", "FractionsProjection"]

logger = logging.getLogger(__name__)

_ISSUES = table_of(FractionIssue)
_ASSETS = table_of(FractionAsset)
_ACCOUNTS = table_of(FractionAccount)
_OFFERS = table_of(FractionOffer)
_RECOVERIES = table_of(FractionRecovery)
_EVENTS = table_of(ChainEvent)
#: event arguments that name an account whose row the event may change
_ACCOUNT_ARGS = ("from", "to", "subscriber", "holder", "account", "lost", "replacement")
_REPLAY_PAGE = 5_000


def _stored_events(conn: Connection, contract: str, names: frozenset[str], after: str) -> list[Event]:
    cols = [_EVENTS.c.key, _EVENTS.c.block_number, _EVENTS.c.contract, _EVENTS.c.name, _EVENTS.c.args]
    relevant = (_EVENTS.c.contract == contract) & _EVENTS.c.name.in_(sorted(names)) & (_EVENTS.c.key > after)
    rows = conn.execute(
        select(*cols, _EVENTS.c.address).where(relevant).order_by(_EVENTS.c.key).limit(_REPLAY_PAGE)
    ).all()
    return [Event(str(r[0]), int(r[1]), str(r[2]), str(r[3]), r[4], str(r[5])) for r in rows]


class FractionsIssueProjection:
    """``FractionsFactory`` events → ``fraction_issues`` (one row per token, never changed once written)."""

    reducer = FACTORY_REDUCER
    events = FACTORY_EVENTS

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        """The factory's issues so far are loaded (a few rows per asset ever issued), so the reducer checks
        each new index; an issue already stored is not applied again."""
        state = FactoryState()
        for row in conn.execute(select(_ISSUES).order_by(_ISSUES.c.index)).mappings():
            issued = IssuedAsset(
                row["address"], row["issuer"], row["asset_ref"], int(row["index"]), int(row["block_number"]), row["key"]
            )
            state.assets[issued.address] = issued
            state.by_ref[issued.asset_ref] = issued.address
        known = set(state.assets)
        fresh = [e for e in events if e.name != "FractionsIssued" or checksum(e.args["asset"]) not in known]
        state = self.reducer.run(state, fresh)
        for anomaly in state.anomalies:
            logger.warning("projection.anomaly contract=%s detail=%s", self.reducer.contract, anomaly)
        rows = [
            {
                "address": a.address,
                "issuer": a.issuer,
                "asset_ref": a.asset_ref,
                "index": a.index,
                "block_number": a.block_number,
                "key": a.key,
            }
            for a in state.assets.values()
            if a.address not in known
        ]
        if rows:
            conn.execute(insert_ignore(conn, _ISSUES, ["address"]), rows)

    def rewind(self, conn: Connection, to_block: int) -> None:  # noqa: ARG002 - the whole index is rebuilt
        conn.execute(delete(_ISSUES))
        after = ""
        while page := _stored_events(conn, self.reducer.contract, self.events, after):
            self.apply(conn, page)
            after = page[-1].key


def _load_asset(row: Mapping[str, Any]) -> AssetState:
    return AssetState(
        issuer=row["issuer"],
        asset_ref=row["asset_ref"],
        valuation_feed=row["valuation_feed"],
        documents_root=row["documents_root"],
        kyc_tier=int(row["kyc_tier"]),
        regions=tuple(int(r) for r in row["regions"]),
        lock_up_until=int(row["lock_up_until"]),
        max_holders=int(row["max_holders"]),
        max_per_holder=int(row["max_per_holder"]),
        price=int(row["price_fen"]),
        min_subscription=int(row["min_subscription"]),
        soft_cap=int(row["soft_cap"]),
        hard_cap=int(row["hard_cap"]),
        deadline=int(row["deadline"]),
        status=OfferingStatus[str(row["status"]).upper()],
        sold=int(row["sold"]),
        subscribers=int(row["subscribers"]),
        subscription_escrow=int(row["subscription_escrow_fen"]),
        proceeds=int(row["proceeds_fen"]),
        proceeds_owed=int(row["proceeds_owed_fen"]),
        total_supply=int(row["total_supply"]),
        offer_count=int(row["offer_count"]),
        per_share=int(row["per_share"]),
        per_share_carry=int(row["per_share_carry"]),
        total_paid_in=int(row["total_paid_in_fen"]),
        total_claimed=int(row["total_claimed_fen"]),
        paused=bool(row["paused"]),
    )


def _dump_asset(address: str, s: AssetState, holder_count: int, last_event: str) -> dict[str, Any]:
    return {
        "address": address,
        "issuer": s.issuer,
        "asset_ref": s.asset_ref,
        "valuation_feed": s.valuation_feed,
        "documents_root": s.documents_root,
        "kyc_tier": s.kyc_tier,
        "regions": list(s.regions),
        "lock_up_until": s.lock_up_until,
        "max_holders": s.max_holders,
        "max_per_holder": s.max_per_holder,
        "price_fen": s.price,
        "min_subscription": s.min_subscription,
        "soft_cap": s.soft_cap,
        "hard_cap": s.hard_cap,
        "deadline": s.deadline,
        "status": s.status.label,
        "sold": s.sold,
        "subscribers": s.subscribers,
        "subscription_escrow_fen": s.subscription_escrow,
        "proceeds_fen": s.proceeds,
        "proceeds_owed_fen": s.proceeds_owed,
        "total_supply": s.total_supply,
        "holder_count": holder_count,
        "offer_count": s.offer_count,
        "per_share": s.per_share,
        "per_share_carry": s.per_share_carry,
        "total_paid_in_fen": s.total_paid_in,
        "total_claimed_fen": s.total_claimed,
        "paused": s.paused,
        "last_event": last_event,
    }


def _load_account(row: Mapping[str, Any]) -> AccountState:
    return AccountState(
        address=row["address"],
        balance=int(row["balance"]),
        subscription=int(row["subscription"]),
        subscriber=bool(row["subscriber"]),
        paid=int(row["paid_fen"]),
        refunded=int(row["refunded_fen"]),
        claimed=int(row["claimed_fen"]),
        correction=int(row["correction"]),
        frozen=bool(row["frozen"]),
        frozen_shares=int(row["frozen_shares"]),
        updated_key=row["updated_key"],
    )


def _dump_account(asset: str, a: AccountState) -> dict[str, Any]:
    return {
        "asset": asset,
        "address": a.address,
        "balance": a.balance,
        "subscription": a.subscription,
        "subscriber": a.subscriber,
        "paid_fen": a.paid,
        "refunded_fen": a.refunded,
        "claimed_fen": a.claimed,
        "correction": a.correction,
        "frozen": a.frozen,
        "frozen_shares": a.frozen_shares,
        "updated_key": a.updated_key,
    }


def _load_offer(row: Mapping[str, Any]) -> OfferState:
    return OfferState(
        offer_id=int(row["offer_id"]),
        seller=row["seller"],
        price=int(row["price_fen"]),
        offered=int(row["offered"]),
        shares=int(row["shares"]),
        status=OfferStatus[str(row["status"]).upper()],
        paid=int(row["paid_fen"]),
    )


def _dump_offer(asset: str, o: OfferState) -> dict[str, Any]:
    return {
        "asset": asset,
        "offer_id": o.offer_id,
        "seller": o.seller,
        "price_fen": o.price,
        "offered": o.offered,
        "shares": o.shares,
        "status": o.status.label,
        "paid_fen": o.paid,
    }


def _holds(a: AccountState) -> bool:
    return a.balance > 0 or a.subscription > 0


class FractionsProjection:
    """``AssetFractions`` events of every token → ``fraction_assets``, ``fraction_accounts``,
    ``fraction_offers`` and ``fraction_recoveries``, keyed by the token's address."""

    reducer = ASSET_REDUCER
    events = ASSET_EVENTS

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        by_token: dict[str, list[Event]] = {}
        for e in events:
            if not e.address:  # pragma: no cover - the indexer and the replay always pass it
                raise ValueError(f"{e.key} {e.contract}.{e.name}: the token's address is needed")
            by_token.setdefault(e.address, []).append(e)
        for token, batch in by_token.items():
            self._apply_token(conn, token, batch)

    def _apply_token(self, conn: Connection, token: str, events: Sequence[Event]) -> None:
        found = conn.execute(select(_ASSETS).where(_ASSETS.c.address == token)).mappings().first()
        done = "" if found is None else str(found["last_event"])
        fresh = [e for e in events if e.key > done]
        if not fresh:
            return
        state = AssetState() if found is None else _load_asset(cast(Mapping[str, Any], found))
        holder_count = 0 if found is None else int(found["holder_count"])
        addresses = sorted({checksum(e.args[a]) for e in fresh for a in _ACCOUNT_ARGS if a in e.args} - {ZERO_ADDRESS})
        for chunk in chunks(addresses):
            stmt = select(_ACCOUNTS).where(_ACCOUNTS.c.asset == token, _ACCOUNTS.c.address.in_(chunk))
            for row in conn.execute(stmt).mappings():
                state.accounts[str(row["address"])] = _load_account(cast(Mapping[str, Any], row))
        offer_ids = sorted({i for e in fresh if (i := offer_of(e)) is not None})
        for chunk in chunks(offer_ids):
            stmt = select(_OFFERS).where(_OFFERS.c.asset == token, _OFFERS.c.offer_id.in_(chunk))
            for row in conn.execute(stmt).mappings():
                state.offers[int(row["offer_id"])] = _load_offer(cast(Mapping[str, Any], row))
        before_accounts = {a: _dump_account(token, acc) for a, acc in state.accounts.items()}
        before_offers = {i: _dump_offer(token, o) for i, o in state.offers.items()}
        holding_before = sum(1 for acc in state.accounts.values() if _holds(acc))

        state = self.reducer.run(state, fresh)

        for anomaly in state.anomalies:
            logger.warning("projection.anomaly contract=%s address=%s detail=%s", self.reducer.contract, token, anomaly)
        holder_count += sum(1 for acc in state.accounts.values() if _holds(acc)) - holding_before
        asset_row = _dump_asset(token, state, holder_count, fresh[-1].key)
        conn.execute(insert_replace(conn, _ASSETS, ["address"], [k for k in asset_row if k != "address"]), [asset_row])
        accounts = [
            dumped
            for a, acc in state.accounts.items()
            if (dumped := _dump_account(token, acc)) != before_accounts.get(a)
        ]
        if accounts:
            cols = [c.name for c in _ACCOUNTS.columns if c.name not in ("asset", "address")]
            conn.execute(insert_replace(conn, _ACCOUNTS, ["asset", "address"], cols), accounts)
        offers = [d for i, o in state.offers.items() if (d := _dump_offer(token, o)) != before_offers.get(i)]
        if offers:
            cols = [c.name for c in _OFFERS.columns if c.name not in ("asset", "offer_id")]
            conn.execute(insert_replace(conn, _OFFERS, ["asset", "offer_id"], cols), offers)
        recoveries = [
            {
                "key": r.key,
                "asset": token,
                "block_number": r.block_number,
                "payer": r.payer,
                "source_ref": r.source_ref,
                "amount_fen": r.amount,
                "total_paid_in_fen": r.total_paid_in,
            }
            for r in state.recoveries
        ]
        if recoveries:
            conn.execute(insert_ignore(conn, _RECOVERIES, ["key"]), recoveries)

    def rewind(self, conn: Connection, to_block: int) -> None:  # noqa: ARG002 - the whole index is rebuilt
        for table in (_RECOVERIES, _OFFERS, _ACCOUNTS, _ASSETS):
            conn.execute(delete(table))
        after = ""
        while page := _stored_events(conn, self.reducer.contract, self.events, after):
            self.apply(conn, page)
            after = page[-1].key
