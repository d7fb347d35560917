"""Typed wrapper of ``JudicialAuction``: escrowed online judicial auctions of seized collateral.

One contract holds every lot. A BANK (or a COURT) lists a lot with anchored documents and an appraisal, a
COURT approves it, INVESTOR members lock the deposit (getting an anonymous bidder code) and bid; after the end
anyone closes it, the winner pays the balance, and the court confirms the sale, allocating the price to
payees who withdraw it. Every amount is integer fen. ``*_request`` methods build unsigned transactions for a
sender's burst or the gateway's operation outbox; the plain methods send and wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_utils.crypto import keccak

from chain.client import Receipt, Sender, TxRequest
from chain.contracts._base import BoundContract
from chain.merkle import Bytes32Like, to_bytes32

__all__ = [
    "EXTENSION_SECONDS",
    "MIN_BIDDING_WINDOW",
    "RELIST_WINDOW",
    "Bidder",
    "CourtAppraisal",
    "JudicialAuction",
    "Listing",
    "Lot",
    "LotKind",
    "LotStatus",
    "Payee",
    "asset_ref",
    "bidder_code_label",
    "ceil_bps",
]

#: a bid this close to the end moves the end to this long after it (延时)
EXTENSION_SECONDS = 5 * 60
#: the shortest bidding window
MIN_BIDDING_WINDOW = 24 * 3600
#: a failed or defaulted lot may be relisted within this time
RELIST_WINDOW = 30 * 24 * 3600
BPS = 10_000


class LotStatus(IntEnum):
    """``IJudicialAuction.LotStatus``."""

    NONE = 0
    LISTED = 1
    APPROVED = 2
    SUSPENDED = 3
    CANCELLED = 4
    AWAITING_PAYMENT = 5
    PAID = 6
    CONFIRMED = 7
    FAILED = 8
    DEFAULTED = 9

    @property
    def label(self) -> str:
        return self.name.lower()


class LotKind(IntEnum):
    """``IJudicialAuction.LotKind``."""

    AUCTION = 0
    FIXED_PRICE = 1

    @property
    def label(self) -> str:
        return self.name.lower()


def asset_ref(reference: str) -> bytes:
    """The on-chain asset id of an asset reference: ``keccak256("asset:" + reference)`` (the OracleHub subject)."""
    return keccak(text=reference if reference.startswith("asset:") else "asset:" + reference)


def ceil_bps(value: int, bps: int) -> int:
    """``value × bps / 10 000`` rounded up, as the contract computes minimums."""
    return (value * bps + BPS - 1) // BPS


def bidder_code_label(code: int) -> str:
    """How a bidder code is shown to people (JD and Taobao show a letter and digits): ``B0007``."""
    return f"B{code:04d}"


@dataclass(frozen=True)
class Listing:
    """``IJudicialAuction.Listing``; amounts in fen, periods in seconds."""

    asset_ref: bytes
    documents: tuple[bytes, ...]
    appraisal_feed: bytes
    start_price: int
    deposit: int
    increment: int
    announcement: int
    bidding_window: int
    payment_window: int
    kyc_tier: int

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.asset_ref,
            list(self.documents),
            self.appraisal_feed,
            self.start_price,
            self.deposit,
            self.increment,
            self.announcement,
            self.bidding_window,
            self.payment_window,
            self.kyc_tier,
        )


@dataclass(frozen=True)
class Payee:
    account: str
    amount: int

    def as_abi(self) -> tuple[str, int]:
        return (self.account, self.amount)


@dataclass(frozen=True)
class Lot:
    """``IJudicialAuction.Lot`` as the contract returns it."""

    lot_id: int
    seller: str
    status: LotStatus
    kind: LotKind
    kyc_tier: int
    round: int
    failures: int
    bidder_count: int
    court: str
    starts_at: int
    origin: int
    highest_bidder: str
    highest_bid: int
    start_price: int
    increment: int
    ends_at: int
    deposit: int
    paid: int
    payment_window: int
    appraisal: int
    payment_deadline: int
    closed_at: int
    forfeit_to: str
    suspended_at: int
    relisted_as: int
    asset_ref: bytes

    @classmethod
    def from_abi(cls, lot_id: int, t: Sequence[Any]) -> Lot:
        n = [int(x) if isinstance(x, int) else 0 for x in t]
        return cls(
            lot_id=lot_id,
            status=LotStatus(n[0]),
            kind=LotKind(n[1]),
            starts_at=n[2],
            ends_at=n[3],
            increment=n[4],
            highest_bidder=t[5],
            highest_bid=n[6],
            seller=t[7],
            kyc_tier=n[8],
            round=n[9],
            failures=n[10],
            bidder_count=n[11],
            origin=n[12],
            court=t[13],
            payment_deadline=n[14],
            relisted_as=n[15],
            start_price=n[16],
            deposit=n[17],
            payment_window=n[18],
            paid=n[19],
            appraisal=n[20],
            closed_at=n[21],
            forfeit_to=t[22],
            suspended_at=n[23],
            asset_ref=t[24],
        )


@dataclass(frozen=True)
class Bidder:
    deposit: int
    code: int
    preemption: bool


@dataclass(frozen=True)
class CourtAppraisal:
    value: int
    court: str
    entered_at: int
    document_digest: bytes


class JudicialAuction(BoundContract):
    contract_name = "JudicialAuction"

    # --- requests (for a sender's burst or the gateway's outbox) ---

    def enter_appraisal_request(self, asset: Bytes32Like, value: int, document_digest: Bytes32Like) -> TxRequest:
        return self.request("enterAppraisal", to_bytes32(asset), value, to_bytes32(document_digest))

    def list_request(self, listing: Listing) -> TxRequest:
        return self.request("list", listing.as_abi())

    def relist_request(
        self,
        lot_id: int,
        *,
        start_price: int,
        deposit: int,
        increment: int,
        announcement: int,
        bidding_window: int,
        payment_window: int,
    ) -> TxRequest:
        return self.request(
            "relist", lot_id, start_price, deposit, increment, announcement, bidding_window, payment_window
        )

    def approve_request(self, lot_id: int, forfeit_to: str) -> TxRequest:
        return self.request("approve", lot_id, forfeit_to)

    def suspend_request(self, lot_id: int, reason_digest: Bytes32Like) -> TxRequest:
        return self.request("suspend", lot_id, to_bytes32(reason_digest))

    def resume_request(self, lot_id: int) -> TxRequest:
        return self.request("resume", lot_id)

    def cancel_request(self, lot_id: int, reason_digest: Bytes32Like) -> TxRequest:
        return self.request("cancel", lot_id, to_bytes32(reason_digest))

    def register_preemption_request(self, lot_id: int, holder: str) -> TxRequest:
        return self.request("registerPreemption", lot_id, holder)

    def confirm_request(
        self, lot_id: int, payees: Sequence[Payee], ruling_digest: Bytes32Like, transfer_digest: Bytes32Like
    ) -> TxRequest:
        return self.request(
            "confirm", lot_id, [p.as_abi() for p in payees], to_bytes32(ruling_digest), to_bytes32(transfer_digest)
        )

    def offer_fixed_price_request(self, lot_id: int, price: int, period: int) -> TxRequest:
        return self.request("offerFixedPrice", lot_id, price, period)

    def lock_deposit_request(self, lot_id: int) -> TxRequest:
        return self.request("lockDeposit", lot_id)

    def bid_request(self, lot_id: int, amount: int, *, gas: int | None = None) -> TxRequest:
        return self.request("bid", lot_id, amount, gas=gas)

    def match_bid_request(self, lot_id: int) -> TxRequest:
        return self.request("matchBid", lot_id)

    def buy_request(self, lot_id: int) -> TxRequest:
        return self.request("buy", lot_id)

    def pay_request(self, lot_id: int) -> TxRequest:
        return self.request("pay", lot_id)

    def withdraw_deposit_request(self, lot_id: int) -> TxRequest:
        return self.request("withdrawDeposit", lot_id)

    def withdraw_request(self) -> TxRequest:
        return self.request("withdraw")

    def close_request(self, lot_id: int) -> TxRequest:
        return self.request("close", lot_id)

    def declare_default_request(self, lot_id: int) -> TxRequest:
        return self.request("declareDefault", lot_id)

    # --- writes that wait for their receipt ---

    def list(self, sender: Sender, listing: Listing) -> int:
        """List a lot; returns its id."""
        receipt = sender.transact(self.list_request(listing))
        return int(self.first(self.events(receipt), "LotListed").args["lotId"])

    def relist(self, sender: Sender, lot_id: int, **terms: int) -> int:
        receipt = sender.transact(self.relist_request(lot_id, **terms))
        return int(self.first(self.events(receipt), "LotRelisted").args["newLotId"])

    def offer_fixed_price(self, sender: Sender, lot_id: int, price: int, period: int) -> int:
        receipt = sender.transact(self.offer_fixed_price_request(lot_id, price, period))
        return int(self.first(self.events(receipt), "LotRelisted").args["newLotId"])

    def lock_deposit(self, sender: Sender, lot_id: int) -> int:
        """Lock the deposit (approve the token first); returns the bidder code."""
        receipt = sender.transact(self.lock_deposit_request(lot_id))
        return int(self.first(self.events(receipt), "DepositLocked").args["code"])

    def send(self, sender: Sender, request: TxRequest) -> Receipt:
        return sender.transact(request)

    # --- views ---

    def lot(self, lot_id: int, *, block: int | str = "latest") -> Lot:
        return Lot.from_abi(lot_id, self.call("lot", lot_id, block=block))

    def bidder_of(self, lot_id: int, account: str, *, block: int | str = "latest") -> Bidder:
        t = self.call("bidderOf", lot_id, account, block=block)
        return Bidder(int(t[0]), int(t[1]), bool(t[2]))

    def minimum_bid(self, lot_id: int, *, block: int | str = "latest") -> int:
        return int(self.call("minimumBid", lot_id, block=block))

    def is_barred(self, origin: int, account: str, *, block: int | str = "latest") -> bool:
        return bool(self.call("isBarred", origin, account, block=block))

    def court_appraisal(self, asset: Bytes32Like, *, block: int | str = "latest") -> CourtAppraisal:
        t = self.call("courtAppraisal", to_bytes32(asset), block=block)
        return CourtAppraisal(int(t[0]), t[1], int(t[2]), t[3])

    def owed(self, account: str, *, block: int | str = "latest") -> int:
        return int(self.call("owed", account, block=block))

    def lot_count(self, *, block: int | str = "latest") -> int:
        return int(self.call("lotCount", block=block))

    def totals(self, *, block: int | str = "latest") -> tuple[int, int, int]:
        """``(totalDeposits, totalPaid, totalOwed)``: what the escrow owes, which its token balance must equal."""
        return (
            int(self.call("totalDeposits", block=block)),
            int(self.call("totalPaid", block=block)),
            int(self.call("totalOwed", block=block)),
        )

    def appraisal_max_age(self, *, block: int | str = "latest") -> int:
        return int(self.call("appraisalMaxAge", block=block))
