"""Typed wrappers of ``FractionsFactory`` and ``AssetFractions``: tokenised shares of one large asset.

A BANK issues an asset through the factory (:meth:`FractionsFactory.issue` with :class:`Terms` whose
documents root is anchored in the EvidenceRegistry); the factory deploys one ``AssetFractions`` token per
asset and enrols it as a system contract, so the token holds its offering's escrow and its recoveries. The
factory itself must be a system contract (a governed ``SetSystemContract`` proposal) before it can issue.

One :class:`AssetFractions` client is bound per token address (``Recourse.asset_fractions(address)``).
Investors ``subscribe`` (approve ``price × shares`` of SettlementToken first); after the deadline or at the
hard cap anyone settles; on success each subscriber's shares are minted by ``claim_shares`` and the issuer
withdraws the proceeds, on failure subscribers ``refund``. Recoveries paid in (``pay_in``, ``collect``) are
claimable pro rata by holders (``claim``). Shares have 0 decimals; every amount of money is integer fen.
``*_request`` methods build unsigned transactions for a sender's burst or the gateway's operation outbox;
the plain methods send and wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from chain.client import Receipt, Sender, TxRequest
from chain.contracts._base import BoundContract
from chain.contracts.consortium import Consortium, ProposalId
from chain.contracts.judicial_auction import asset_ref
from chain.events import DecodedEvent
from chain.merkle import Bytes32Like, to_bytes32

__all__ = [
    "MAX_REGIONS",
    "ZERO_ADDRESS",
    "AssetFractions",
    "AssetSnapshot",
    "Freeze",
    "FractionsFactory",
    "Issued",
    "Offer",
    "Offering",
    "OfferingStatus",
    "Refusal",
    "Terms",
    "TransferCheck",
    "asset_ref",
]

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
#: the most region codes a token's terms may list
MAX_REGIONS = 8


class Refusal(IntEnum):
    """``IAssetFractions.Refusal``: why a movement of shares is refused (the same order as Solidity's)."""

    NONE = 0
    PAUSED = 1
    LOCKED_UP = 2
    INSUFFICIENT_BALANCE = 3
    FROM_FROZEN = 4
    AMOUNT_FROZEN = 5
    TO_FROZEN = 6
    FROM_NOT_INVESTOR = 7
    FROM_KYC_TIER = 8
    FROM_REGION = 9
    TO_NOT_INVESTOR = 10
    TO_KYC_TIER = 11
    TO_REGION = 12
    HOLDER_LIMIT = 13
    HOLDING_LIMIT = 14

    @property
    def label(self) -> str:
        return self.name.lower()


class OfferingStatus(IntEnum):
    """``IAssetFractions.OfferingStatus``."""

    OPEN = 0
    SUCCEEDED = 1
    FAILED = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Terms:
    """``IAssetFractions.Terms``: what an issuer gives to tokenise an asset. Prices in fen, shares whole, times
    Unix seconds; ``regions`` empty allows every region, ``0`` limits and lock-up mean none."""

    asset_ref: bytes
    documents_root: bytes
    price: int
    min_subscription: int
    soft_cap: int
    hard_cap: int
    deadline: int
    valuation_feed: bytes = bytes(32)
    kyc_tier: int = 0
    regions: tuple[int, ...] = ()
    lock_up_until: int = 0
    max_holders: int = 0
    max_per_holder: int = 0

    def as_abi(self) -> tuple[Any, ...]:
        """The Solidity struct as an ABI tuple, in field order."""
        return (
            to_bytes32(self.asset_ref),
            to_bytes32(self.valuation_feed),
            to_bytes32(self.documents_root),
            self.kyc_tier,
            list(self.regions),
            self.lock_up_until,
            self.max_holders,
            self.max_per_holder,
            self.price,
            self.min_subscription,
            self.soft_cap,
            self.hard_cap,
            self.deadline,
        )

    @classmethod
    def from_abi(cls, t: Sequence[Any]) -> Terms:
        return cls(
            asset_ref=bytes(t[0]),
            valuation_feed=bytes(t[1]),
            documents_root=bytes(t[2]),
            kyc_tier=int(t[3]),
            regions=tuple(int(r) for r in t[4]),
            lock_up_until=int(t[5]),
            max_holders=int(t[6]),
            max_per_holder=int(t[7]),
            price=int(t[8]),
            min_subscription=int(t[9]),
            soft_cap=int(t[10]),
            hard_cap=int(t[11]),
            deadline=int(t[12]),
        )


@dataclass(frozen=True)
class Offering:
    """``IAssetFractions.Offering``: where the offering is, shares sold, subscribers not refunded, deadline."""

    status: OfferingStatus
    sold: int
    subscribers: int
    deadline: int

    @classmethod
    def from_abi(cls, t: Sequence[Any]) -> Offering:
        return cls(OfferingStatus(int(t[0])), int(t[1]), int(t[2]), int(t[3]))


@dataclass(frozen=True)
class Offer:
    """``IAssetFractions.Offer``: a holder's offer to sell; ``seller`` is the zero address once it is unknown,
    filled or cancelled."""

    offer_id: int
    seller: str
    shares: int
    price: int

    @property
    def open(self) -> bool:
        return self.seller != ZERO_ADDRESS

    @classmethod
    def from_abi(cls, offer_id: int, t: Sequence[Any]) -> Offer:
        return cls(offer_id, str(t[0]), int(t[1]), int(t[2]))


@dataclass(frozen=True)
class Freeze:
    """How a court froze an account (``frozenOf``): the whole account and/or a number of its shares."""

    whole: bool
    shares: int


@dataclass(frozen=True)
class TransferCheck:
    """``canTransfer``: whether a movement of shares would pass compliance now, and the first rule it breaks."""

    allowed: bool
    reason: Refusal


@dataclass(frozen=True)
class Issued:
    """A ``FractionsIssued`` event: the new token, its issuer, asset reference and index in the factory."""

    asset: str
    issuer: str
    asset_ref: bytes
    index: int


@dataclass(frozen=True)
class AssetSnapshot:
    """An asset token's own views at one block (what the auditor compares a replay with)."""

    address: str
    name: str
    symbol: str
    issuer: str
    factory: str
    terms: Terms
    offering: Offering
    total_supply: int
    holder_count: int
    paused: bool
    offer_count: int
    total_paid_in: int
    total_claimed: int
    subscription_escrow: int
    proceeds_owed: int


class FractionsFactory(BoundContract):
    """The factory: issues asset tokens and answers which tokens it deployed."""

    contract_name = "FractionsFactory"

    # --- requests ---

    def issue_request(self, terms: Terms, name: str, symbol: str) -> TxRequest:
        return self.request("issue", terms.as_abi(), name, symbol)

    # --- writes that wait for their receipt ---

    def issue(self, sender: Sender, terms: Terms, name: str, symbol: str) -> str:
        """Issue a token (an active BANK; the documents root anchored); returns its address."""
        return self.issued(sender.transact(self.issue_request(terms, name, symbol))).asset

    def issued(self, receipt: Receipt) -> Issued:
        """The ``FractionsIssued`` event of an ``issue`` receipt."""
        return self.issued_event(self.first(self.events(receipt), "FractionsIssued"))

    @staticmethod
    def issued_event(event: DecodedEvent) -> Issued:
        a = event.args
        return Issued(str(a["asset"]), str(a["issuer"]), bytes(a["assetRef"]), int(a["index"]))

    def send(self, sender: Sender, request: TxRequest) -> Receipt:
        return sender.transact(request)

    # --- views ---

    def asset_count(self, *, block: int | str = "latest") -> int:
        return int(self.call("assetCount", block=block))

    def asset_at(self, index: int, *, block: int | str = "latest") -> str:
        return str(self.call("assetAt", index, block=block))

    def asset_of(self, ref: Bytes32Like, *, block: int | str = "latest") -> str | None:
        """The token of an asset reference digest (see :func:`asset_ref`), or ``None``."""
        address = str(self.call("assetOf", to_bytes32(ref), block=block))
        return None if address == ZERO_ADDRESS else address

    def is_asset(self, account: str, *, block: int | str = "latest") -> bool:
        return bool(self.call("isAsset", account, block=block))

    def assets(self, *, block: int | str = "latest") -> list[str]:
        """Every token issued, in issue order."""
        return [self.asset_at(i, block=block) for i in range(self.asset_count(block=block))]

    def consortium(self) -> str:
        return str(self.call("consortium"))


class AssetFractions(BoundContract):
    """One asset's permissioned share token (bound to its address)."""

    contract_name = "AssetFractions"
    #: ``(name, symbol)`` once read (see :meth:`names`)
    _names: tuple[str, str] | None = None

    # --- requests: offering ---

    def subscribe_request(self, shares: int) -> TxRequest:
        return self.request("subscribe", shares)

    def settle_offering_request(self) -> TxRequest:
        return self.request("settleOffering")

    def claim_shares_request(self, subscriber: str) -> TxRequest:
        return self.request("claimShares", subscriber)

    def refund_request(self) -> TxRequest:
        return self.request("refund")

    def withdraw_proceeds_request(self) -> TxRequest:
        return self.request("withdrawProceeds")

    # --- requests: secondary market and ERC-20 ---

    def make_offer_request(self, shares: int, price: int) -> TxRequest:
        return self.request("makeOffer", shares, price)

    def buy_request(self, offer_id: int, shares: int) -> TxRequest:
        return self.request("buy", offer_id, shares)

    def cancel_offer_request(self, offer_id: int) -> TxRequest:
        return self.request("cancelOffer", offer_id)

    def transfer_request(self, to: str, amount: int) -> TxRequest:
        return self.request("transfer", to, amount)

    def transfer_from_request(self, owner: str, to: str, amount: int) -> TxRequest:
        return self.request("transferFrom", owner, to, amount)

    def approve_request(self, spender: str, amount: int) -> TxRequest:
        return self.request("approve", spender, amount)

    # --- requests: recoveries ---

    def pay_in_request(self, amount: int, source_ref: Bytes32Like) -> TxRequest:
        return self.request("payIn", amount, to_bytes32(source_ref))

    def collect_request(self, source: str) -> TxRequest:
        return self.request("collect", source)

    def claim_request(self) -> TxRequest:
        return self.request("claim")

    # --- requests: court orders, issuer and regulator ---

    def freeze_account_request(self, account: str, order_digest: Bytes32Like) -> TxRequest:
        return self.request("freezeAccount", account, to_bytes32(order_digest))

    def unfreeze_account_request(self, account: str, order_digest: Bytes32Like) -> TxRequest:
        return self.request("unfreezeAccount", account, to_bytes32(order_digest))

    def set_frozen_shares_request(self, account: str, frozen: int, order_digest: Bytes32Like) -> TxRequest:
        return self.request("setFrozenShares", account, frozen, to_bytes32(order_digest))

    def forced_transfer_request(self, frm: str, to: str, amount: int, order_digest: Bytes32Like) -> TxRequest:
        return self.request("forcedTransfer", frm, to, amount, to_bytes32(order_digest))

    def pause_request(self, reason_digest: Bytes32Like) -> TxRequest:
        return self.request("pause", to_bytes32(reason_digest))

    def unpause_request(self) -> TxRequest:
        return self.request("unpause")

    # --- governance: key recovery through a consortium CALL proposal ---

    def recover_account_data(self, lost: str, replacement: str, order_digest: Bytes32Like) -> bytes:
        """Calldata of ``recoverAccount`` (only the consortium may call it, executing a ``CALL`` proposal)."""
        return self.function("recoverAccount").encode((lost, replacement, to_bytes32(order_digest)))

    def propose_recovery(
        self, consortium: Consortium, sender: Sender, lost: str, replacement: str, order_digest: Bytes32Like
    ) -> ProposalId:
        """Propose (as governor ``sender``) that the consortium move ``lost``'s shares, freezes and unclaimed
        recoveries to ``replacement``; approve and execute with :meth:`Consortium.approve` and ``execute``."""
        return consortium.propose_call(sender, self.address, self.recover_account_data(lost, replacement, order_digest))

    # --- writes that wait for their receipt ---

    def make_offer(self, sender: Sender, shares: int, price: int) -> int:
        """Offer shares for sale; returns the offer id."""
        receipt = sender.transact(self.make_offer_request(shares, price))
        return int(self.first(self.events(receipt), "OfferMade").args["offerId"])

    def send(self, sender: Sender, request: TxRequest) -> Receipt:
        return sender.transact(request)

    # --- views: ERC-20 ---

    def name(self) -> str:
        return str(self.call("name"))

    def symbol(self) -> str:
        return str(self.call("symbol"))

    def names(self) -> tuple[str, str]:
        """``(name, symbol)``: the constructor sets them for good, so they are read once per client (two
        threads may both read them the first time; they read the same)."""
        if self._names is None:
            self._names = (self.name(), self.symbol())
        return self._names

    def decimals(self) -> int:
        return int(self.call("decimals"))

    def total_supply(self, *, block: int | str = "latest") -> int:
        return int(self.call("totalSupply", block=block))

    def balance_of(self, account: str, *, block: int | str = "latest") -> int:
        return int(self.call("balanceOf", account, block=block))

    def allowance(self, owner: str, spender: str, *, block: int | str = "latest") -> int:
        return int(self.call("allowance", owner, spender, block=block))

    # --- views: the asset ---

    def can_transfer(self, frm: str, to: str, amount: int, *, block: int | str = "latest") -> TransferCheck:
        allowed, reason = self.call("canTransfer", frm, to, amount, block=block)
        return TransferCheck(bool(allowed), Refusal(int(reason)))

    def issuer(self) -> str:
        return str(self.call("issuer"))

    def factory(self) -> str:
        return str(self.call("factory"))

    def token(self) -> str:
        """The SettlementToken payments are made in."""
        return str(self.call("token"))

    def consortium(self) -> str:
        return str(self.call("consortium"))

    def terms(self, *, block: int | str = "latest") -> Terms:
        return Terms.from_abi(self.call("terms", block=block))

    def offering(self, *, block: int | str = "latest") -> Offering:
        return Offering.from_abi(self.call("offering", block=block))

    def subscription_of(self, account: str, *, block: int | str = "latest") -> int:
        return int(self.call("subscriptionOf", account, block=block))

    def offer_of(self, offer_id: int, *, block: int | str = "latest") -> Offer:
        return Offer.from_abi(offer_id, self.call("offerOf", offer_id, block=block))

    def offer_count(self, *, block: int | str = "latest") -> int:
        return int(self.call("offerCount", block=block))

    def frozen_of(self, account: str, *, block: int | str = "latest") -> Freeze:
        whole, shares = self.call("frozenOf", account, block=block)
        return Freeze(bool(whole), int(shares))

    def holder_count(self, *, block: int | str = "latest") -> int:
        return int(self.call("holderCount", block=block))

    def paused(self, *, block: int | str = "latest") -> bool:
        return bool(self.call("paused", block=block))

    def claimable(self, account: str, *, block: int | str = "latest") -> int:
        return int(self.call("claimable", account, block=block))

    def claimed(self, account: str, *, block: int | str = "latest") -> int:
        return int(self.call("claimed", account, block=block))

    def total_paid_in(self, *, block: int | str = "latest") -> int:
        return int(self.call("totalPaidIn", block=block))

    def total_claimed(self, *, block: int | str = "latest") -> int:
        return int(self.call("totalClaimed", block=block))

    def subscription_escrow(self, *, block: int | str = "latest") -> int:
        return int(self.call("subscriptionEscrow", block=block))

    def proceeds_owed(self, *, block: int | str = "latest") -> int:
        return int(self.call("proceedsOwed", block=block))

    def magnitude(self) -> int:
        """The magnification of the recoveries per share (the implementation's ``MAGNITUDE`` constant)."""
        return int(self.call("MAGNITUDE"))

    def snapshot(self, *, block: int | str = "latest") -> AssetSnapshot:
        """Every asset-wide view at ``block`` (a number pins them all to the same state)."""
        return AssetSnapshot(
            address=self.address,
            name=str(self.call("name", block=block)),
            symbol=str(self.call("symbol", block=block)),
            issuer=str(self.call("issuer", block=block)),
            factory=str(self.call("factory", block=block)),
            terms=self.terms(block=block),
            offering=self.offering(block=block),
            total_supply=self.total_supply(block=block),
            holder_count=self.holder_count(block=block),
            paused=self.paused(block=block),
            offer_count=self.offer_count(block=block),
            total_paid_in=self.total_paid_in(block=block),
            total_claimed=self.total_claimed(block=block),
            subscription_escrow=self.subscription_escrow(block=block),
            proceeds_owed=self.proceeds_owed(block=block),
        )
