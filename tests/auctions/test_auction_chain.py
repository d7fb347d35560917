"""JudicialAuction through the typed client on a real chain: a whole lot's life (bidding war with
extensions, default, relisting 20 % lower, sale, confirmation, withdrawals), and the reducer's replay of
the events equals the contract's own views and the escrow's token balance."""

from __future__ import annotations

import pytest

from chain import ContractReverted
from chain.contracts.judicial_auction import EXTENSION_SECONDS, LotStatus, Payee
from chain.reducers import replay
from chain.reducers.judicial_auction import AuctionState
from tests.auctions.conftest import DAY, DEPOSIT, INCREMENT, START, AuctionWorld
from tests.conftest import account


def _bid(w: AuctionWorld, name: str, lot_id: int, amount: int, at: int | None = None) -> None:
    if at is not None:
        w.set_next_time(at)
    w.auctions.send(w.signer(name), w.auctions.bid_request(lot_id, amount))


def _replayed(w: AuctionWorld) -> AuctionState:
    events = w.auctions.events_between(from_block=0)
    state: AuctionState = replay(events)["JudicialAuction"]
    assert state.anomalies == []
    return state


def test_a_lot_from_listing_to_withdrawals_replays_to_the_contract_state(auction_world: AuctionWorld) -> None:
    w = auction_world
    a = w.auctions
    lot_id = w.open_lot()
    codes = {n: w.deposit(n, lot_id) for n in ("investor", "investor-2", "investor-3")}
    assert sorted(codes.values()) == [1, 2, 3]

    _bid(w, "investor", lot_id, START)
    end = a.lot(lot_id).ends_at
    # a bid exactly 5 minutes before the end leaves it; one a second later moves it to bid + 5 min, twice
    _bid(w, "investor-2", lot_id, START + INCREMENT, at=end - EXTENSION_SECONDS)
    assert a.lot(lot_id).ends_at == end
    _bid(w, "investor-3", lot_id, START + 2 * INCREMENT, at=end - 10)
    assert a.lot(lot_id).ends_at == end - 10 + EXTENSION_SECONDS
    _bid(w, "investor", lot_id, START + 3 * INCREMENT, at=end + 100)
    assert a.lot(lot_id).ends_at == end + 100 + EXTENSION_SECONDS
    with pytest.raises(ContractReverted) as refused:
        _bid(w, "investor-2", lot_id, START + 3 * INCREMENT + INCREMENT - 1)
    assert refused.value.name == "AuctionBidTooLow"

    lot = a.lot(lot_id)
    w.advance_to(lot.ends_at)
    a.send(w.signer("bank"), a.close_request(lot_id))
    lot = a.lot(lot_id)
    assert lot.status is LotStatus.AWAITING_PAYMENT
    assert lot.highest_bidder == account("investor").address
    assert lot.payment_deadline == lot.ends_at + 7 * DAY
    # losers withdraw at close; the winner's deposit is part of the price
    a.send(w.signer("investor-2"), a.withdraw_deposit_request(lot_id))
    with pytest.raises(ContractReverted) as applied:
        a.send(w.signer("investor"), a.withdraw_deposit_request(lot_id))
    assert applied.value.name == "AuctionDepositApplied"

    # the winner does not pay: default after the deadline, deposit forfeited to the court's account
    w.advance_to(lot.payment_deadline + 1)
    a.send(w.signer("investor-3"), a.declare_default_request(lot_id))
    assert a.owed(account("court").address) == DEPOSIT
    assert a.is_barred(lot_id, account("investor").address)

    # relisted 20 % lower within 30 days, sold to investor-2, confirmed, proceeds withdrawn
    relisted_start = START * 8 // 10
    new_id = a.relist(
        w.signer("bank"),
        lot_id,
        start_price=relisted_start,
        deposit=relisted_start // 10,
        increment=INCREMENT,
        announcement=0,
        bidding_window=DAY,
        payment_window=DAY,
    )
    a.send(w.signer("court"), a.approve_request(new_id, account("court").address))
    with pytest.raises(ContractReverted) as barred:
        w.deposit("investor", new_id)
    assert barred.value.name == "AuctionBidderBarred"
    w.deposit("investor-2", new_id)
    _bid(w, "investor-2", new_id, relisted_start)
    w.advance_to(a.lot(new_id).ends_at)
    a.send(w.signer("bank"), a.close_request(new_id))
    w.recourse.token.approve(w.signer("investor-2"), a.address, relisted_start)
    a.send(w.signer("investor-2"), a.pay_request(new_id))
    fee = relisted_start // 20
    payees = [Payee(account("court").address, fee), Payee(account("bank").address, relisted_start - fee)]
    a.send(w.signer("court"), a.confirm_request(new_id, payees, b"\x01" * 32, b"\x02" * 32))
    a.send(w.signer("bank"), a.withdraw_request())
    a.send(w.signer("investor-3"), a.withdraw_deposit_request(lot_id))

    state = _replayed(w)
    for lid in (lot_id, new_id):
        on_chain, folded = a.lot(lid), state.lots[lid]
        assert (folded.status, folded.highest_bid, folded.ends_at, folded.failures, folded.relisted_as) == (
            on_chain.status,
            on_chain.highest_bid,
            on_chain.ends_at,
            on_chain.failures,
            on_chain.relisted_as,
        )
        assert folded.highest_bidder == on_chain.highest_bidder
    assert state.lots[lot_id].extensions == 2
    assert (state.total_deposits, state.total_paid, state.total_owed) == a.totals()
    assert state.escrow_owed == w.recourse.token.balance_of(a.address)
    assert state.owed[account("court").address] == a.owed(account("court").address) == DEPOSIT + fee
    assert a.owed(account("bank").address) == 0


def test_refusals_name_their_rule(auction_world: AuctionWorld) -> None:
    w = auction_world
    a = w.auctions
    with pytest.raises(ContractReverted) as low_start:
        a.list(w.signer("bank"), w.listing(start_price=START - 1))
    assert low_start.value.name == "AuctionStartPriceTooLow"
    lot_id = w.open_lot()
    with pytest.raises(ContractReverted) as kyc:
        w.deposit("investor-4", lot_id)
    assert kyc.value.name == "AuctionBidderNotEligible"
    with pytest.raises(ContractReverted) as no_deposit:
        _bid(w, "investor", lot_id, START)
    assert no_deposit.value.name == "AuctionNoDeposit"
