"""``FractionsFactory`` and ``AssetFractions`` events → the assets issued, and per asset token: balances,
holders, supply, the offering (status, sold, subscriptions, refunds, proceeds), offers, recoveries (paid in,
claimed, what each account may claim), freezes, court-ordered transfers, key recoveries and pauses.

The factory's reducer names each token it deploys (``creates`` on ``FractionsIssued``), so the indexer
follows the token from that block and the replay decodes its logs with the ``AssetFractions`` ABI. There is
one ``AssetFractions`` contract per asset: its reducer's state is one token's, and ``chain.reducers.replay``
keeps one such state per token address (``{address: AssetState}``).

Recoveries mirror the contract's cumulative per-share accounting: a payment of ``amount`` fen raises the
magnified amount per share of the offering by ``(amount × MAGNITUDE + carry) // sold`` (the remainder is
carried to the next payment); every movement of shares between two accounts moves ``per_share × shares`` of
magnified entitlement with them through the accounts' corrections; shares minted to a subscriber carry no
correction (they earn every recovery since the offering settled). What an account may claim is
``(per_share × balance + correction) // MAGNITUDE - claimed`` (at least 0), the contract's ``claimable``; a
claim or a key recovery of any other amount is an anomaly.

As the contract counts them, a holder is an account with shares or an unclaimed subscription
(``holderCount``, and the holder limit). ``subscribers`` follows the interface (accounts that subscribed and
were not refunded); ``pending_subscribers`` counts the unclaimed subscriptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from chain.contracts.asset_fractions import Offering, OfferingStatus, Terms
from chain.reducers._base import ZERO_ADDRESS, Event, Reducer, checksum, dispatch, uint, word

__all__ = [
    "ASSET_EVENTS",
    "ASSET_REDUCER",
    "CONTRACT",
    "FACTORY_CONTRACT",
    "FACTORY_EVENTS",
    "FACTORY_REDUCER",
    "MAGNITUDE",
    "AccountState",
    "AssetState",
    "CourtOrder",
    "FactoryState",
    "IssuedAsset",
    "KeyRecovery",
    "OfferState",
    "OfferStatus",
    "PauseRecord",
    "RecoveryRecord",
    "created_assets",
    "offer_of",
]

CONTRACT = "AssetFractions"
FACTORY_CONTRACT = "FractionsFactory"
#: the contract's magnification of the recoveries per share (``AssetFractions.MAGNITUDE``)
MAGNITUDE = 2**48


# --- the factory ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedAsset:
    """A ``FractionsIssued`` event: one asset token and where it was created."""

    address: str
    issuer: str
    asset_ref: str
    index: int
    block_number: int
    key: str


@dataclass
class FactoryState:
    #: token address → its issue
    assets: dict[str, IssuedAsset] = field(default_factory=dict)
    #: asset reference (lower-case 0x-hex) → token address
    by_ref: dict[str, str] = field(default_factory=dict)
    anomalies: list[str] = field(default_factory=list)

    def asset_at(self, index: int) -> str:
        """The ``index``-th token issued (as ``FractionsFactory.assetAt``)."""
        for a in self.assets.values():
            if a.index == index:
                return a.address
        raise IndexError(index)


def _issued(s: FactoryState, e: Event) -> None:
    a = e.args
    asset, ref, index = checksum(a["asset"]), word(a["assetRef"]), uint(a["index"])
    if asset in s.assets or ref in s.by_ref:
        s.anomalies.append(f"{e.key} FractionsIssued: {asset} for {ref} issued twice")
        return
    if index != len(s.assets):
        s.anomalies.append(f"{e.key} FractionsIssued: index {index} but {len(s.assets)} assets were issued before")
    s.assets[asset] = IssuedAsset(asset, checksum(a["issuer"]), ref, index, e.block_number, e.key)
    s.by_ref[ref] = asset


def created_assets(event: Event) -> Sequence[tuple[str, str]]:
    """The factory's ``creates`` hook: ``FractionsIssued`` deployed the ``AssetFractions`` token it names."""
    if event.name != "FractionsIssued":
        return ()
    return ((checksum(event.args["asset"]), CONTRACT),)


_FACTORY_HANDLERS = {"FractionsIssued": _issued}

#: every event of the factory
FACTORY_EVENTS = frozenset(_FACTORY_HANDLERS)

FACTORY_REDUCER: Reducer[FactoryState] = Reducer(
    contract=FACTORY_CONTRACT,
    new_state=FactoryState,
    apply=dispatch(_FACTORY_HANDLERS),
    events=FACTORY_EVENTS,
    creates=created_assets,
    factory_events=frozenset({"FractionsIssued"}),
)


# --- one asset token ------------------------------------------------------------------------------------


class OfferStatus(IntEnum):
    OPEN = 0
    FILLED = 1
    CANCELLED = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(slots=True)
class AccountState:
    """One account's shares, subscription, recoveries and freezes in one asset."""

    address: str
    balance: int = 0
    #: shares subscribed and not yet claimed or refunded (``subscriptionOf``)
    subscription: int = 0
    #: whether it subscribed and was not refunded (counted in ``AssetState.subscribers``)
    subscriber: bool = False
    #: fen paid for subscriptions, and refunded after a failed offering
    paid: int = 0
    refunded: int = 0
    #: fen of recoveries claimed (``claimed``)
    claimed: int = 0
    #: magnified entitlement correction (see the module docstring)
    correction: int = 0
    frozen: bool = False
    frozen_shares: int = 0
    #: key of the last event that changed this account
    updated_key: str = ""


@dataclass(slots=True)
class OfferState:
    offer_id: int
    seller: str
    price: int
    #: shares offered when it was made
    offered: int
    #: shares still offered
    shares: int
    status: OfferStatus = OfferStatus.OPEN
    #: fen paid to the seller by fills
    paid: int = 0
    buyers: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecoveryRecord:
    """A ``RecoveryPaid`` event."""

    key: str
    block_number: int
    payer: str
    source_ref: str
    amount: int
    total_paid_in: int


@dataclass(frozen=True, slots=True)
class CourtOrder:
    """A court's order on the token: ``freeze``, ``unfreeze``, ``freeze_shares`` (``amount`` = shares frozen
    after it) or ``forced_transfer`` (``counterparty`` = recipient, ``amount`` = shares)."""

    key: str
    block_number: int
    kind: str
    account: str
    court: str
    order_digest: str
    amount: int = 0
    counterparty: str = ZERO_ADDRESS


@dataclass(frozen=True, slots=True)
class KeyRecovery:
    """An ``AccountRecovered`` event (a governed decision)."""

    key: str
    block_number: int
    lost: str
    replacement: str
    shares: int
    recoveries: int
    order_digest: str


@dataclass(frozen=True, slots=True)
class PauseRecord:
    key: str
    block_number: int
    by: str
    paused: bool
    reason_digest: str | None


@dataclass
class AssetState:
    """One asset token as its events define it."""

    issuer: str = ZERO_ADDRESS
    asset_ref: str = ""
    valuation_feed: str = ""
    documents_root: str = ""
    kyc_tier: int = 0
    regions: tuple[int, ...] = ()
    lock_up_until: int = 0
    max_holders: int = 0
    max_per_holder: int = 0
    price: int = 0
    min_subscription: int = 0
    soft_cap: int = 0
    hard_cap: int = 0
    deadline: int = 0
    status: OfferingStatus = OfferingStatus.OPEN
    sold: int = 0
    #: accounts that subscribed and were not refunded (``IAssetFractions.Offering.subscribers``)
    subscribers: int = 0
    #: fen held for subscriptions (``subscriptionEscrow``)
    subscription_escrow: int = 0
    #: the issuer's proceeds of a successful offering, and what is still owed of them (``proceedsOwed``)
    proceeds: int = 0
    proceeds_owed: int = 0
    total_supply: int = 0
    accounts: dict[str, AccountState] = field(default_factory=dict)
    #: (owner, spender) → the last ``Approval`` (``transferFrom`` spends allowances without an event, so
    #: ``allowance`` may be lower)
    approvals: dict[tuple[str, str], int] = field(default_factory=dict)
    offers: dict[int, OfferState] = field(default_factory=dict)
    offer_count: int = 0
    #: magnified recoveries per share, and the division's remainder carried to the next payment
    per_share: int = 0
    per_share_carry: int = 0
    total_paid_in: int = 0
    total_claimed: int = 0
    recoveries: list[RecoveryRecord] = field(default_factory=list)
    court_orders: list[CourtOrder] = field(default_factory=list)
    key_recoveries: list[KeyRecovery] = field(default_factory=list)
    paused: bool = False
    pauses: list[PauseRecord] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)

    @property
    def offering(self) -> Offering:
        """The offering as ``AssetFractions.offering`` returns it."""
        return Offering(self.status, self.sold, self.subscribers, self.deadline)

    @property
    def terms(self) -> Terms:
        """The terms as ``AssetFractions.terms`` returns them."""
        return Terms(
            asset_ref=bytes.fromhex(self.asset_ref[2:]),
            valuation_feed=bytes.fromhex(self.valuation_feed[2:]),
            documents_root=bytes.fromhex(self.documents_root[2:]),
            kyc_tier=self.kyc_tier,
            regions=self.regions,
            lock_up_until=self.lock_up_until,
            max_holders=self.max_holders,
            max_per_holder=self.max_per_holder,
            price=self.price,
            min_subscription=self.min_subscription,
            soft_cap=self.soft_cap,
            hard_cap=self.hard_cap,
            deadline=self.deadline,
        )

    @property
    def holders(self) -> dict[str, int]:
        """``{address: shares}`` of every account holding shares."""
        return {a: acc.balance for a, acc in self.accounts.items() if acc.balance > 0}

    @property
    def holder_count(self) -> int:
        """Accounts with shares or an unclaimed subscription (``holderCount``, what ``maxHolders`` limits)."""
        return sum(1 for acc in self.accounts.values() if acc.balance > 0 or acc.subscription > 0)

    @property
    def pending_subscribers(self) -> int:
        """Accounts with an unclaimed subscription."""
        return sum(1 for acc in self.accounts.values() if acc.subscription > 0)

    def balance_of(self, account: str) -> int:
        acc = self.accounts.get(checksum(account))
        return 0 if acc is None else acc.balance

    def claimable(self, account: str) -> int:
        """Fen of recoveries ``account`` may claim now (``AssetFractions.claimable``): its shares, minted or
        still subscribed, earn from the settlement on."""
        acc = self.accounts.get(checksum(account))
        return 0 if acc is None else _claimable(self, acc)

    @property
    def dust(self) -> int:
        """Fen paid in that no account can claim (the fractions of a fen carried): Σ claimable + Σ claimed +
        dust = total paid in, with the dust below one fen per account plus one."""
        return self.total_paid_in - self.total_claimed - sum(_claimable(self, a) for a in self.accounts.values())

    @property
    def escrow_owed(self) -> int:
        """What the token owes in SettlementToken: its balance is never less than this."""
        return self.subscription_escrow + self.proceeds_owed + self.total_paid_in - self.total_claimed


def _claimable(s: AssetState, acc: AccountState) -> int:
    magnified = s.per_share * (acc.balance + acc.subscription) + acc.correction
    return max((magnified // MAGNITUDE if magnified > 0 else 0) - acc.claimed, 0)


def _account(s: AssetState, address: str, key: str) -> AccountState:
    addr = checksum(address)
    acc = s.accounts.get(addr)
    if acc is None:
        acc = s.accounts[addr] = AccountState(addr)
    acc.updated_key = key
    return acc


def offer_of(event: Event) -> int | None:
    """The offer an event is about, or ``None``."""
    offer_id = event.args.get("offerId")
    return None if offer_id is None else uint(offer_id)


def _terms(s: AssetState, e: Event) -> None:
    a = e.args
    s.issuer = checksum(a["issuer"])
    s.asset_ref = word(a["assetRef"])
    s.valuation_feed = word(a["valuationFeed"])
    s.documents_root = word(a["documentsRoot"])


def _limits(s: AssetState, e: Event) -> None:
    a = e.args
    s.kyc_tier = uint(a["kycTier"])
    s.regions = tuple(uint(r) for r in a["regions"])
    s.lock_up_until = uint(a["lockUpUntil"])
    s.max_holders = uint(a["maxHolders"])
    s.max_per_holder = uint(a["maxPerHolder"])


def _offering_terms(s: AssetState, e: Event) -> None:
    a = e.args
    s.price = uint(a["price"])
    s.min_subscription = uint(a["minSubscription"])
    s.soft_cap = uint(a["softCap"])
    s.hard_cap = uint(a["hardCap"])
    s.deadline = uint(a["deadline"])


def _transfer(s: AssetState, e: Event) -> None:
    """Shares move: a mint (from zero) is a subscriber's claim and carries no correction; between two accounts
    the entitlement of the shares moves with them through the corrections."""
    a = e.args
    src, dst, value = checksum(a["from"]), checksum(a["to"]), uint(a["value"])
    if value == 0 or src == dst:
        return
    moved = s.per_share * value
    if src == ZERO_ADDRESS:
        s.total_supply += value
    else:
        acc = _account(s, src, e.key)
        if acc.balance < value:
            s.anomalies.append(f"{e.key} Transfer: {src} sends {value} shares but holds {acc.balance}")
        acc.balance -= value
        if dst != ZERO_ADDRESS:
            acc.correction += moved
    if dst == ZERO_ADDRESS:
        s.total_supply -= value
        return
    acc = _account(s, dst, e.key)
    acc.balance += value
    if src != ZERO_ADDRESS:
        acc.correction -= moved


def _approval(s: AssetState, e: Event) -> None:
    a = e.args
    s.approvals[(checksum(a["owner"]), checksum(a["spender"]))] = uint(a["value"])


def _subscribed(s: AssetState, e: Event) -> None:
    a = e.args
    acc = _account(s, a["subscriber"], e.key)
    shares, paid, sold = uint(a["shares"]), uint(a["paid"]), uint(a["sold"])
    if s.status is not OfferingStatus.OPEN:
        s.anomalies.append(f"{e.key} Subscribed: the offering is {s.status.label}")
    if paid != shares * s.price:
        s.anomalies.append(f"{e.key} Subscribed: paid {paid} for {shares} shares at {s.price}")
    if sold != s.sold + shares:
        s.anomalies.append(f"{e.key} Subscribed: sold {sold} but {s.sold} + {shares} were subscribed")
    if not acc.subscriber:
        acc.subscriber = True
        s.subscribers += 1
    acc.subscription += shares
    acc.paid += paid
    s.sold = sold
    s.subscription_escrow += paid


def _settled(s: AssetState, e: Event) -> None:
    a = e.args
    status, sold, proceeds = OfferingStatus(uint(a["status"])), uint(a["sold"]), uint(a["proceeds"])
    if s.status is not OfferingStatus.OPEN:
        s.anomalies.append(f"{e.key} OfferingSettled: already {s.status.label}")
    if sold != s.sold:
        s.anomalies.append(f"{e.key} OfferingSettled: sold {sold} but {s.sold} were subscribed")
    s.status = status
    s.sold = sold
    if status is OfferingStatus.SUCCEEDED:
        if proceeds != s.subscription_escrow:
            s.anomalies.append(f"{e.key} OfferingSettled: proceeds {proceeds} but {s.subscription_escrow} in escrow")
        s.subscription_escrow -= proceeds
        s.proceeds = proceeds
        s.proceeds_owed += proceeds


def _shares_claimed(s: AssetState, e: Event) -> None:
    """The shares are minted by the ``Transfer`` from zero that follows."""
    acc = _account(s, e.args["subscriber"], e.key)
    shares = uint(e.args["shares"])
    if s.status is not OfferingStatus.SUCCEEDED or shares != acc.subscription:
        s.anomalies.append(
            f"{e.key} SharesClaimed: {shares} shares but {acc.subscription} were subscribed (offering {s.status.label})"
        )
    acc.subscription = max(acc.subscription - shares, 0)


def _refunded(s: AssetState, e: Event) -> None:
    """Exactly what the subscription cost (the subscription may have moved to a recovered key)."""
    acc = _account(s, e.args["subscriber"], e.key)
    amount = uint(e.args["amount"])
    if s.status is not OfferingStatus.FAILED or amount != acc.subscription * s.price:
        s.anomalies.append(
            f"{e.key} SubscriptionRefunded: {amount} refunded to {acc.address} for {acc.subscription} shares"
            f" at {s.price} (offering {s.status.label})"
        )
    s.subscription_escrow -= amount
    acc.refunded += amount
    acc.subscription = 0
    if acc.subscriber:
        acc.subscriber = False
        s.subscribers -= 1


def _proceeds_withdrawn(s: AssetState, e: Event) -> None:
    amount = uint(e.args["amount"])
    if amount > s.proceeds_owed:
        s.anomalies.append(f"{e.key} ProceedsWithdrawn: {amount} withdrawn but {s.proceeds_owed} was owed")
    s.proceeds_owed -= amount


def _offer_made(s: AssetState, e: Event) -> None:
    a = e.args
    offer_id, shares = uint(a["offerId"]), uint(a["shares"])
    if offer_id != s.offer_count + 1:
        s.anomalies.append(f"{e.key} OfferMade: offer {offer_id} after {s.offer_count} offers")
    s.offer_count = max(s.offer_count, offer_id)
    s.offers[offer_id] = OfferState(offer_id, checksum(a["seller"]), uint(a["price"]), shares, shares)


def _offer(s: AssetState, e: Event) -> OfferState | None:
    offer_id = uint(e.args["offerId"])
    offer = s.offers.get(offer_id)
    if offer is None or offer.status is not OfferStatus.OPEN:
        s.anomalies.append(f"{e.key} {e.name}: offer {offer_id} is not open")
        return None
    return offer


def _offer_filled(s: AssetState, e: Event) -> None:
    offer = _offer(s, e)
    if offer is None:
        return
    a = e.args
    shares, paid, remaining = uint(a["shares"]), uint(a["paid"]), uint(a["remaining"])
    if remaining != offer.shares - shares or paid != shares * offer.price:
        s.anomalies.append(
            f"{e.key} OfferFilled: {shares} of {offer.shares} for {paid} leaves {remaining} (price {offer.price})"
        )
    buyer = checksum(a["buyer"])
    offer.buyers[buyer] = offer.buyers.get(buyer, 0) + shares
    offer.shares = remaining
    offer.paid += paid
    if remaining == 0:
        offer.status = OfferStatus.FILLED


def _offer_cancelled(s: AssetState, e: Event) -> None:
    offer = _offer(s, e)
    if offer is not None:
        offer.status = OfferStatus.CANCELLED


def _recovery_paid(s: AssetState, e: Event) -> None:
    a = e.args
    amount, total = uint(a["amount"]), uint(a["totalPaidIn"])
    if total != s.total_paid_in + amount:
        s.anomalies.append(f"{e.key} RecoveryPaid: total {total} but {s.total_paid_in} + {amount} were paid in")
    if s.status is not OfferingStatus.SUCCEEDED or s.sold == 0:
        s.anomalies.append(f"{e.key} RecoveryPaid: no shares to pay (offering {s.status.label})")
    else:
        magnified = amount * MAGNITUDE + s.per_share_carry
        s.per_share += magnified // s.sold
        s.per_share_carry = magnified % s.sold
    s.total_paid_in = total
    s.recoveries.append(
        RecoveryRecord(e.key, e.block_number, checksum(a["payer"]), word(a["sourceRef"]), amount, total)
    )


def _recovery_claimed(s: AssetState, e: Event) -> None:
    acc = _account(s, e.args["holder"], e.key)
    amount = uint(e.args["amount"])
    due = _claimable(s, acc)
    if amount != due:
        s.anomalies.append(f"{e.key} RecoveryClaimed: {acc.address} claimed {amount} but {due} was claimable")
    acc.claimed += amount
    s.total_claimed += amount


def _order(s: AssetState, e: Event, kind: str, *, amount: int = 0, counterparty: str = ZERO_ADDRESS) -> None:
    a = e.args
    s.court_orders.append(
        CourtOrder(
            e.key,
            e.block_number,
            kind,
            checksum(a.get("account", a.get("from", ZERO_ADDRESS))),
            checksum(a["court"]),
            word(a["orderDigest"]),
            amount,
            counterparty,
        )
    )


def _frozen(s: AssetState, e: Event) -> None:
    acc = _account(s, e.args["account"], e.key)
    freeze = e.name == "AccountFrozen"
    if acc.frozen == freeze:
        s.anomalies.append(f"{e.key} {e.name}: {acc.address} was {'already' if freeze else 'not'} frozen")
    acc.frozen = freeze
    _order(s, e, "freeze" if freeze else "unfreeze")


def _shares_frozen(s: AssetState, e: Event) -> None:
    acc = _account(s, e.args["account"], e.key)
    frozen = uint(e.args["frozen"])
    if frozen > acc.balance:
        s.anomalies.append(f"{e.key} SharesFrozen: {frozen} shares frozen but {acc.address} holds {acc.balance}")
    acc.frozen_shares = frozen
    _order(s, e, "freeze_shares", amount=frozen)


def _forced(s: AssetState, e: Event) -> None:
    """The shares moved by the ``Transfer`` just before; the sender's frozen shares went only as far as the rest
    did not suffice, so at most its balance stays frozen."""
    acc = _account(s, e.args["from"], e.key)
    acc.frozen_shares = min(acc.frozen_shares, acc.balance)
    _order(s, e, "forced_transfer", amount=uint(e.args["amount"]), counterparty=checksum(e.args["to"]))


def _recovered(s: AssetState, e: Event) -> None:
    """The shares moved by the ``Transfer`` just before (none if it held none); the subscription, freezes and
    the claimable fen move here (the lost key keeps its fraction of a fen)."""
    a = e.args
    lost, new = _account(s, a["lost"], e.key), _account(s, a["replacement"], e.key)
    recoveries, shares = uint(a["recoveries"]), uint(a["shares"])
    due = _claimable(s, lost)
    if recoveries != due or lost.balance != 0 or (shares and new.balance < shares):
        s.anomalies.append(
            f"{e.key} AccountRecovered: {shares} shares and {recoveries} fen moved; {lost.address} still holds"
            f" {lost.balance} shares and {due} claimable fen"
        )
    moved = recoveries * MAGNITUDE
    lost.correction -= moved
    new.correction += moved
    carried = s.per_share * lost.subscription  # subscribed shares earn like held ones: moved as a transfer would
    lost.correction += carried
    new.correction -= carried
    new.frozen, new.frozen_shares, new.subscription = lost.frozen, lost.frozen_shares, lost.subscription
    lost.frozen, lost.frozen_shares, lost.subscription = False, 0, 0
    if lost.subscriber and new.subscription:
        lost.subscriber, new.subscriber = False, True
    s.key_recoveries.append(
        KeyRecovery(
            e.key, e.block_number, lost.address, new.address, uint(a["shares"]), recoveries, word(a["orderDigest"])
        )
    )


def _paused(s: AssetState, e: Event) -> None:
    pause = e.name == "TradingPaused"
    if s.paused == pause:
        s.anomalies.append(f"{e.key} {e.name}: trading was {'already paused' if pause else 'not paused'}")
    s.paused = pause
    reason = word(e.args["reasonDigest"]) if pause else None
    s.pauses.append(PauseRecord(e.key, e.block_number, checksum(e.args["by"]), pause, reason))


_ASSET_HANDLERS = {
    "Transfer": _transfer,
    "Approval": _approval,
    "FractionsTerms": _terms,
    "FractionsLimits": _limits,
    "OfferingTerms": _offering_terms,
    "Subscribed": _subscribed,
    "OfferingSettled": _settled,
    "SharesClaimed": _shares_claimed,
    "SubscriptionRefunded": _refunded,
    "ProceedsWithdrawn": _proceeds_withdrawn,
    "OfferMade": _offer_made,
    "OfferFilled": _offer_filled,
    "OfferCancelled": _offer_cancelled,
    "RecoveryPaid": _recovery_paid,
    "RecoveryClaimed": _recovery_claimed,
    "AccountFrozen": _frozen,
    "AccountUnfrozen": _frozen,
    "SharesFrozen": _shares_frozen,
    "ForcedTransfer": _forced,
    "AccountRecovered": _recovered,
    "TradingPaused": _paused,
    "TradingResumed": _paused,
}

#: every event of an asset token
ASSET_EVENTS = frozenset(_ASSET_HANDLERS)

ASSET_REDUCER: Reducer[AssetState] = Reducer(
    contract=CONTRACT,
    new_state=AssetState,
    apply=dispatch(_ASSET_HANDLERS),
    events=ASSET_EVENTS,
)
