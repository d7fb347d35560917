"""The FractionsFactory and AssetFractions reducers on hand-built events: an asset's whole life (offering,
claims, a secondary sale, recoveries with their carried remainders), a failed offering's refunds, court orders
and a key recovery, one state per token address in ``replay``, the factory's ``creates`` hook, the
consortium's enrolled system contracts, and the anomalies that must not be hidden."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils.address import to_checksum_address

from chain.contracts.asset_fractions import OfferingStatus, Terms
from chain.events import DecodedEvent
from chain.reducers import REDUCERS, Event, checksum, replay
from chain.reducers.asset_fractions import (
    ASSET_REDUCER,
    FACTORY_REDUCER,
    MAGNITUDE,
    AssetState,
    OfferStatus,
)
from chain.reducers.consortium import REDUCER as CONSORTIUM
from tests.unit.reducers._events import A, B, C, Script

ZERO = "0x" + "00" * 20
BANK, COURT, PAYER = "0x" + "ba" * 20, "0x" + "c0" * 20, "0x" + "9a" * 20
TOKEN, OTHER = "0x" + "f1" * 20, "0x" + "f2" * 20
REF, FEED, ROOT, ORDER = "0x" + "11" * 32, "0x" + "22" * 32, "0x" + "33" * 32, "0x" + "44" * 32
PRICE = 100


def cs(address: str) -> str:
    return to_checksum_address(address)


def issued(s: Script, *, hard_cap: int = 100, soft_cap: int = 50, regions: tuple[int, ...] = (310000,)) -> list[Event]:
    """The three events the token's constructor emits."""
    return [
        s("FractionsTerms", issuer=BANK, assetRef=REF, valuationFeed=FEED, documentsRoot=ROOT),
        s("FractionsLimits", kycTier=2, regions=list(regions), lockUpUntil=0, maxHolders=10, maxPerHolder=80),
        s("OfferingTerms", price=PRICE, minSubscription=1, softCap=soft_cap, hardCap=hard_cap, deadline=5_000),
    ]


def transfer(s: Script, frm: str, to: str, value: int) -> Event:
    return s("Transfer", **{"from": frm, "to": to, "value": value})


def subscribed(s: Script, who: str, shares: int, sold: int) -> Event:
    return s("Subscribed", subscriber=who, shares=shares, paid=shares * PRICE, sold=sold)


def claimed_shares(s: Script, who: str, shares: int) -> list[Event]:
    return [s("SharesClaimed", subscriber=who, shares=shares), transfer(s, ZERO, who, shares)]


def paid_in(s: Script, amount: int, total: int) -> Event:
    return s("RecoveryPaid", payer=PAYER, sourceRef=ORDER, amount=amount, totalPaidIn=total)


def fold(events: list[Event], state: AssetState | None = None) -> AssetState:
    return ASSET_REDUCER.fold(events, state)


def sold_to_a_and_b(s: Script) -> list[Event]:
    """A subscribes 60 and B 40 of 100; settled; A claims its shares, B not yet."""
    return [
        *issued(s),
        subscribed(s, A, 50, 50),
        subscribed(s, B, 40, 90),
        subscribed(s, A, 10, 100),
        s("OfferingSettled", status=1, sold=100, proceeds=100 * PRICE),
        *claimed_shares(s, A, 60),
    ]


def test_an_assets_life_folds_into_the_contracts_views() -> None:
    s = Script("AssetFractions")
    state = fold(sold_to_a_and_b(s))
    assert state.terms == Terms(
        asset_ref=bytes.fromhex("11" * 32),
        valuation_feed=bytes.fromhex("22" * 32),
        documents_root=bytes.fromhex("33" * 32),
        kyc_tier=2,
        regions=(310000,),
        max_holders=10,
        max_per_holder=80,
        price=PRICE,
        min_subscription=1,
        soft_cap=50,
        hard_cap=100,
        deadline=5_000,
    )
    assert state.issuer == cs(BANK)
    assert (state.status, state.sold, state.subscribers, state.pending_subscribers) == (
        OfferingStatus.SUCCEEDED,
        100,
        2,
        1,
    )
    assert (state.subscription_escrow, state.proceeds_owed, state.total_supply) == (0, 10_000, 60)
    # B's unclaimed subscription counts as a holding, as the contract counts holders
    assert (state.holders, state.holder_count) == ({cs(A): 60}, 2)
    assert state.accounts[cs(B)].subscription == 40

    # 1,000 fen paid in: 10 per share; B's subscribed shares earn it too, before they are minted
    state = fold([paid_in(s, 1_000, 1_000)], state)
    assert (state.claimable(A), state.claimable(B)) == (600, 400)
    state = fold([*claimed_shares(s, B, 40), s("ProceedsWithdrawn", issuer=BANK, amount=10_000)], state)
    assert (state.claimable(B), state.proceeds_owed, state.total_supply, state.pending_subscribers) == (400, 0, 100, 0)

    # A claims, then sells 10 shares to C through an offer; the next 500 fen follow the shares
    state = fold(
        [
            s("RecoveryClaimed", holder=A, amount=600),
            s("OfferMade", offerId=1, seller=A, shares=15, price=120),
            transfer(s, A, C, 10),
            s("OfferFilled", offerId=1, buyer=C, shares=10, paid=1_200, remaining=5),
            paid_in(s, 500, 1_500),
        ],
        state,
    )
    assert {name: state.claimable(who) for name, who in (("A", A), ("B", B), ("C", C))} == {
        "A": 250,
        "B": 600,
        "C": 50,
    }
    assert state.accounts[cs(A)].claimed == state.total_claimed == 600
    assert (state.holders, state.holder_count) == ({cs(A): 50, cs(B): 40, cs(C): 10}, 3)
    offer = state.offers[1]
    assert (offer.status, offer.shares, offer.paid, offer.buyers) == (OfferStatus.OPEN, 5, 1_200, {cs(C): 10})
    state = fold([s("OfferCancelled", offerId=1)], state)
    assert (state.offers[1].status, state.offer_count) == (OfferStatus.CANCELLED, 1)
    assert state.dust == 0
    assert state.escrow_owed == 1_500 - 600
    assert [r.amount for r in state.recoveries] == [1_000, 500]
    assert state.anomalies == []


def test_the_division_remainder_is_carried_to_the_next_payment() -> None:
    s = Script("AssetFractions")
    events = [
        *issued(s, hard_cap=3, soft_cap=3),
        subscribed(s, A, 1, 1),
        subscribed(s, B, 2, 3),
        s("OfferingSettled", status=1, sold=3, proceeds=300),
        *claimed_shares(s, A, 1),
        *claimed_shares(s, B, 2),
        paid_in(s, 1, 1),
    ]
    state = fold(events)
    assert (state.claimable(A), state.claimable(B), state.dust) == (0, 0, 1)
    assert state.per_share_carry == MAGNITUDE % 3
    # 2 more fen: with the carried remainder, 3 fen are exactly 1 per share (without it, A would get 0, B 1)
    state = fold([paid_in(s, 2, 3)], state)
    assert (state.per_share, state.per_share_carry) == (MAGNITUDE, 0)
    assert (state.claimable(A), state.claimable(B), state.dust) == (1, 2, 0)


def test_a_failed_offering_refunds_what_each_subscriber_paid() -> None:
    s = Script("AssetFractions")
    state = fold(
        [
            *issued(s),
            subscribed(s, A, 20, 20),
            subscribed(s, B, 10, 30),
            s("OfferingSettled", status=2, sold=30, proceeds=0),
            s("SubscriptionRefunded", subscriber=A, amount=2_000),
        ]
    )
    assert state.offering.status is OfferingStatus.FAILED
    assert (state.subscription_escrow, state.proceeds_owed, state.subscribers, state.holder_count) == (1_000, 0, 1, 1)
    assert state.accounts[cs(A)].refunded == 2_000
    assert state.anomalies == []

    state = fold([s("SubscriptionRefunded", subscriber=B, amount=999)], state)
    assert "SubscriptionRefunded: 999 refunded" in state.anomalies[0]


def test_court_orders_freezes_and_pauses() -> None:
    s = Script("AssetFractions")
    state = fold(
        [
            *sold_to_a_and_b(s),
            *claimed_shares(s, B, 40),
            s("SharesFrozen", account=A, court=COURT, frozen=55, orderDigest=ORDER),
            s("AccountFrozen", account=B, court=COURT, orderDigest=ORDER),
            # 10 of A's 60 shares go by order: 5 unfrozen ones and 5 frozen ones
            transfer(s, A, C, 10),
            s("ForcedTransfer", **{"from": A, "to": C, "amount": 10, "court": COURT, "orderDigest": ORDER}),
            s("TradingPaused", by=BANK, reasonDigest=ORDER),
        ]
    )
    a, b = state.accounts[cs(A)], state.accounts[cs(B)]
    assert (a.balance, a.frozen_shares, b.frozen) == (50, 50, True)
    assert [(o.kind, o.account, o.amount) for o in state.court_orders] == [
        ("freeze_shares", cs(A), 55),
        ("freeze", cs(B), 0),
        ("forced_transfer", cs(A), 10),
    ]
    assert state.court_orders[-1].counterparty == cs(C)
    assert state.paused is True
    state = fold(
        [
            s("AccountUnfrozen", account=B, court=COURT, orderDigest=ORDER),
            s("TradingResumed", by=BANK),
            s("TradingResumed", by=BANK),  # cannot happen: the contract refuses an unchanged pause
        ],
        state,
    )
    assert (state.accounts[cs(B)].frozen, state.paused) == (False, False)
    assert [p.paused for p in state.pauses] == [True, False, False]
    assert len(state.anomalies) == 1
    assert "TradingResumed: trading was not paused" in state.anomalies[0]


def test_a_recovered_key_takes_the_shares_freezes_subscription_and_claimable_fen() -> None:
    s = Script("AssetFractions")
    state = fold(
        [
            *sold_to_a_and_b(s),
            paid_in(s, 1_000, 1_000),
            s("SharesFrozen", account=A, court=COURT, frozen=5, orderDigest=ORDER),
            s("RecoveryClaimed", holder=A, amount=600),
            paid_in(s, 100, 1_100),
            transfer(s, A, C, 60),
            s("AccountRecovered", lost=A, replacement=C, shares=60, recoveries=60, orderDigest=ORDER),
            # B's unclaimed subscription moves too (the contract emits no Transfer for it), with what its 40
            # subscribed shares earned: 11 fen each (1,100 fen over the 100 shares sold)
            s("AccountRecovered", lost=B, replacement=PAYER, shares=0, recoveries=440, orderDigest=ORDER),
        ]
    )
    assert state.anomalies == []
    a, c = state.accounts[cs(A)], state.accounts[cs(C)]
    assert (a.balance, a.frozen_shares, state.claimable(A), a.claimed) == (0, 0, 0, 600)
    assert (c.balance, c.frozen_shares, state.claimable(C)) == (60, 5, 60)
    assert (state.accounts[cs(PAYER)].subscription, state.accounts[cs(B)].subscription) == (40, 0)
    assert (state.claimable(PAYER), state.claimable(B)) == (440, 0)
    assert (state.subscribers, state.holder_count) == (2, 2)
    assert [(k.lost, k.replacement, k.recoveries) for k in state.key_recoveries][0] == (cs(A), cs(C), 60)

    wrong = fold(
        [
            transfer(s, C, B, 0),
            s("AccountRecovered", lost=C, replacement=A, shares=0, recoveries=7, orderDigest=ORDER),
        ],
        state,
    )
    assert any("AccountRecovered: 0 shares and 7 fen moved" in x for x in wrong.anomalies)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (("RecoveryClaimed", {"holder": A, "amount": 601}), "claimed 601 but 600 was claimable"),
        (("OfferFilled", {"offerId": 9, "buyer": C, "shares": 1, "paid": 1, "remaining": 0}), "offer 9 is not open"),
        (("OfferingSettled", {"status": 2, "sold": 100, "proceeds": 0}), "OfferingSettled: already succeeded"),
        (("Subscribed", {"subscriber": C, "shares": 1, "paid": 100, "sold": 101}), "the offering is succeeded"),
        (("Transfer", {"from": C, "to": A, "value": 1}), "sends 1 shares but holds 0"),
        (("SharesClaimed", {"subscriber": B, "shares": 41}), "41 shares but 40 were subscribed"),
        (("RecoveryPaid", {"payer": A, "sourceRef": ORDER, "amount": 5, "totalPaidIn": 1_006}), "total 1006"),
    ],
)
def test_what_cannot_happen_is_reported_not_hidden(event: tuple[str, dict[str, Any]], message: str) -> None:
    s = Script("AssetFractions")
    state = fold([*sold_to_a_and_b(s), paid_in(s, 1_000, 1_000)])
    assert state.anomalies == []
    name, args = event
    state = fold([s(name, **args)], state)
    assert len(state.anomalies) == 1
    assert message in state.anomalies[0]


def test_recoveries_before_a_successful_offering_are_anomalies() -> None:
    s = Script("AssetFractions")
    state = fold([*issued(s), subscribed(s, A, 10, 10), paid_in(s, 5, 5)])
    assert (state.per_share, state.total_paid_in) == (0, 5)
    assert state.anomalies == [f"{state.recoveries[0].key} RecoveryPaid: no shares to pay (offering open)"]


def test_the_factory_names_each_token_it_deploys() -> None:
    f = Script("FractionsFactory")
    first = f("FractionsIssued", asset=TOKEN, issuer=BANK, assetRef=REF, index=0)
    events = [
        first,
        f("FractionsIssued", asset=OTHER, issuer=BANK, assetRef=ROOT, index=1),
        f("FractionsIssued", asset="0x" + "f3" * 20, issuer=BANK, assetRef=REF, index=2),  # the same asset again
        f("FractionsIssued", asset="0x" + "f4" * 20, issuer=BANK, assetRef=ORDER, index=7),
    ]
    state = FACTORY_REDUCER.fold(events)
    assert list(state.assets) == [cs(TOKEN), cs(OTHER), cs("0x" + "f4" * 20)]
    assert state.by_ref[REF] == cs(TOKEN)
    assert (state.asset_at(1), state.assets[cs(TOKEN)].issuer) == (cs(OTHER), cs(BANK))
    assert [a.split(": ", 1)[1] for a in state.anomalies] == [
        f"{cs('0x' + 'f3' * 20)} for {REF} issued twice",
        "index 7 but 2 assets were issued before",
    ]
    assert FACTORY_REDUCER.creates(first) == ((cs(TOKEN), "AssetFractions"),)
    assert FACTORY_REDUCER.factory_events == frozenset({"FractionsIssued"})
    assert FACTORY_REDUCER.creates(Script("FractionsFactory")("Other", asset=TOKEN)) == ()
    assert REDUCERS["FractionsFactory"] is FACTORY_REDUCER
    assert REDUCERS["AssetFractions"] is ASSET_REDUCER


def _decoded(event: Event, address: str) -> DecodedEvent:
    return DecodedEvent(
        key=event.key,
        contract=event.contract,
        address=cs(address),
        name=event.name,
        args=dict(event.args),
        block_number=event.block_number,
        block_hash="0x",
        tx_hash="0x",
        tx_index=0,
        log_index=0,
    )


def test_replay_keeps_one_state_per_token_address() -> None:
    s, f = Script("AssetFractions"), Script("FractionsFactory")
    token_events = [_decoded(e, TOKEN) for e in sold_to_a_and_b(s)]
    other = Script("AssetFractions")
    other.block = s.block
    other_events = [_decoded(e, OTHER) for e in [*issued(other, hard_cap=5, soft_cap=5), subscribed(other, C, 5, 5)]]
    row = (  # an EventRow of the first token
        "000000000099/000000/000000",
        99,
        "0x",
        "0x",
        0,
        0,
        "AssetFractions",
        cs(TOKEN),
        "Transfer",
        {"from": A, "to": B, "value": 7},
    )
    factory = _decoded(f("FractionsIssued", asset=TOKEN, issuer=BANK, assetRef=REF, index=0), "0x" + "fa" * 20)

    states = replay([factory, *token_events, *other_events, row])

    assets: dict[str, AssetState] = states["AssetFractions"]
    assert set(assets) == {cs(TOKEN), cs(OTHER)}
    assert (assets[cs(TOKEN)].holders, assets[cs(TOKEN)].sold) == ({cs(A): 53, cs(B): 7}, 100)
    assert (assets[cs(OTHER)].holders, assets[cs(OTHER)].sold, assets[cs(OTHER)].hard_cap) == ({}, 5, 5)
    assert list(states["FractionsFactory"].assets) == [cs(TOKEN)]
    with pytest.raises(ValueError, match="replay needs the address"):
        replay([Script("AssetFractions")("Transfer", **{"from": A, "to": B, "value": 1})])


def test_a_contract_enrolled_by_a_system_contract_is_one() -> None:
    ev = Script("Consortium")
    state = CONSORTIUM.fold(
        [
            ev("SystemContractSet", account=A, enabled=True),
            ev("SystemContractEnrolled", account=B, enrolledBy=A),
            ev("SystemContractEnrolled", account=C, enrolledBy=TOKEN),  # not a system contract: impossible
        ]
    )
    assert state.system_contracts == {A, B, C}
    assert state.enrolled_by == {B: A, C: TOKEN}
    assert len(state.anomalies) == 1
    assert f"{C} enrolled by {TOKEN}, not a system contract" in state.anomalies[0]
    state = CONSORTIUM.fold([ev("SystemContractSet", account=B, enabled=False)], state)
    assert state.system_contracts == {A, C}


def test_checksum_is_remembered_once_per_address() -> None:
    """The indexer checksums the same few holders in every event: each address is hashed once."""
    checksum.cache_clear()
    for _ in range(3):
        assert checksum(A.lower()) == to_checksum_address(A)
    assert (checksum.cache_info().misses, checksum.cache_info().hits) == (1, 2)
