"""Judicial-auction fixtures on top of tests/chain/conftest.py: a court, a bank (seller), three investors of
KYC tier 2 and one of tier 1, JudicialAuction registered as a system contract, investors funded with rCNY,
and helpers that list, approve and move block time."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from chain.client import ChainClient
from chain.contracts.consortium import Role
from chain.contracts.judicial_auction import JudicialAuction, Listing, asset_ref
from chain.network import Recourse
from tests.cases.conftest import register_system_contract
from tests.chain.conftest import Admit, SignerFactory, admit, members, signer  # noqa: F401
from tests.conftest import account
from tests.support.live_gateway import receiver  # noqa: F401 - a fixture (tests through a gateway)

INVESTORS = ("investor", "investor-2", "investor-3")
APPRAISAL = 1_000_000_00  # ¥1,000,000 in fen
START = 700_000_00  # exactly 70 % of the appraisal
DEPOSIT = 70_000_00  # 10 % of the start
INCREMENT = 5_000_00
DAY = 86_400
CASH = 2_000_000_00  # fen minted to each investor


@dataclass
class AuctionWorld:
    recourse: Recourse
    client: ChainClient
    signer: SignerFactory

    @property
    def auctions(self) -> JudicialAuction:
        return self.recourse.auctions

    def now(self) -> int:
        return self.client.block_timestamp()

    def advance_to(self, timestamp: int) -> None:
        """Mine the next block at ``timestamp`` (transactions after this run in later blocks)."""
        self.client.rpc.call("evm_mine", [timestamp])

    def set_next_time(self, timestamp: int) -> None:
        self.client.rpc.call("evm_setNextBlockTimestamp", [timestamp])

    def document(self) -> bytes:
        root = os.urandom(32)
        self.recourse.evidence.anchor(self.signer("court"), root, 3)
        return root

    def listing(self, reference: str = "SH-0042", **overrides: int) -> Listing:
        asset = asset_ref(reference)
        if self.auctions.court_appraisal(asset).value == 0:
            self.auctions.send(
                self.signer("court"), self.auctions.enter_appraisal_request(asset, APPRAISAL, os.urandom(32))
            )
        terms = {
            "start_price": START,
            "deposit": DEPOSIT,
            "increment": INCREMENT,
            "announcement": 3600,
            "bidding_window": DAY,
            "payment_window": 7 * DAY,
            "kyc_tier": 2,
        } | overrides
        return Listing(asset_ref=asset, documents=(self.document(),), appraisal_feed=bytes(32), **terms)

    def open_lot(self, reference: str = "SH-0042", **overrides: int) -> int:
        """List (as the bank), approve (as the court) and move to the start of bidding; returns the lot id."""
        lot_id = self.auctions.list(self.signer("bank"), self.listing(reference, **overrides))
        self.auctions.send(self.signer("court"), self.auctions.approve_request(lot_id, account("court").address))
        self.advance_to(self.auctions.lot(lot_id).starts_at)
        return lot_id

    def deposit(self, name: str, lot_id: int) -> int:
        lot = self.auctions.lot(lot_id)
        self.recourse.token.approve(self.signer(name), self.auctions.address, lot.deposit)
        return self.auctions.lock_deposit(self.signer(name), lot_id)


@pytest.fixture
def auction_world(members: Recourse, client: ChainClient, signer: SignerFactory, admit: Admit) -> AuctionWorld:  # noqa: F811
    admit("court", [Role.COURT])
    admit("investor-2", [Role.INVESTOR])
    admit("investor-3", [Role.INVESTOR])
    admit("investor-4", [Role.INVESTOR], kyc_tier=1)
    register_system_contract(members, signer, members.auctions.address)
    for name in (*INVESTORS, "investor-4"):
        members.token.mint(signer("bank"), account(name).address, CASH, reference=f"{name} funding")
    return AuctionWorld(members, client, signer)
