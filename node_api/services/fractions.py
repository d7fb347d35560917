"""Asset-fractions use cases: every step a durable operation through the one write path; assets, holders and
offers read from the index the ``FractionsFactory``/``AssetFractions`` projections keep, with the asset's
valuation read from the OracleHub.

The contracts hold every rule. Before accepting a write, the planner asks the chain (a gas estimate of the very
transaction from the caller's address) and a refusal becomes its problem through
``chain_errors.REVERT_PROBLEMS`` (``FRC-4xx``; a compliance refusal carries ``reason`` and ``reason_code``). A
step that moves the caller's rCNY into the asset (subscribe, buy, pay in) first approves the token for exactly
that amount when the allowance does not cover it; the step itself is then checked by the chain when it runs
(its operation fails with the decoded reason), because a node cannot run it before the approval is mined, but
its compliance is asked first (``canTransfer``), so an ineligible investor is refused before anything is sent.
A ``ConsortiumGatedUnauthorized`` from a fractions contract (not the issuer, not a BANK, not a court) is
``FRC-403`` with the role the contract asked for.

Reads: ``nav_per_share_fen`` is the latest valuation ÷ shares sold (floor) and ``recovery_yield_bps`` the
recoveries paid in × 10,000 ÷ (price × shares sold), both ``None`` unless the offering succeeded (and, for NAV,
a valuation was reported).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from sqlalchemy import or_
from sqlmodel import Session, col, select

from chain import ContractPanic, ContractReverted
from chain.client import TxRequest
from chain.contracts.asset_fractions import ZERO_ADDRESS, AssetFractions, OfferingStatus, Terms, asset_ref
from chain.eip712 import FeedId, SubjectId, feed_id
from chain.network import Recourse
from chain.reducers.asset_fractions import AccountState, AssetState
from node_api.db.fractions_models import FractionAccount, FractionAsset, FractionIssue, FractionOffer
from node_api.db.models import ChainEvent, Operation
from node_api.institutions import Institution
from node_api.problems import (
    FractionsNotAllowedError,
    FractionsNotFoundError,
    FractionsStateError,
    FractionsTermsError,
)
from node_api.schemas.fractions import (
    AccountPublic,
    AccountsPublic,
    AssetPublic,
    AssetsPublic,
    AssetSummary,
    AssetValuationPublic,
    OfferingPublic,
    OfferPublic,
    OffersPublic,
    RecoveriesPublic,
    TermsPublic,
    TransferCheckPublic,
)
from node_api.services._planning import Step, bytes32, one, paying, planner
from node_api.services._planning import read as _read
from node_api.services.chain_errors import raise_problem, role_name, transfer_refused
from node_api.services.operations import Submission, reads_chain

__all__ = [
    "FACTORY_CONTRACT",
    "check_transfer",
    "get_account",
    "get_asset",
    "list_assets",
    "list_holders",
    "list_offers",
    "source_digest",
    "submit_cancel_offer",
    "submit_claim",
    "submit_claim_shares",
    "submit_collect",
    "submit_forced_transfer",
    "submit_freeze",
    "submit_issue",
    "submit_offer",
    "submit_pause",
    "submit_pay_in",
    "submit_proceeds_withdrawal",
    "submit_purchase",
    "submit_refund",
    "submit_resume",
    "submit_settlement",
    "submit_subscription",
    "submit_transfer",
    "submit_unfreeze",
]

FACTORY_CONTRACT = "FractionsFactory"
ISSUE_KIND = "fractions.issue"
_HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


# --- planning helpers -------------------------------------------------------------------------------------


#: ``AssetFractions``' own ERC-20 refusals of a zero address (a court's forced transfer from or to 0x0…0) →
#: the request field it is about
_ZERO_ADDRESS_FIELDS = {"ERC20InvalidSender": "from", "ERC20InvalidReceiver": "to"}


def _refused(exc: ContractReverted) -> NoReturn:
    """A refusal of the dry run as its problem; a missing role here is ``FRC-403``, a zero sender or
    recipient ``FRC-422``."""
    if isinstance(exc, ContractPanic):
        raise_problem(exc)
    if exc.name in _ZERO_ADDRESS_FIELDS:
        field = _ZERO_ADDRESS_FIELDS[exc.name]
        raise FractionsTermsError(f"{field} may not be the zero address", field=field) from exc
    if exc.name == "ConsortiumGatedUnauthorized":
        name = role_name(exc.arguments["role"])
        raise FractionsNotAllowedError(
            f"{exc.arguments['account']} may not take this step: it needs {name} (or to be the asset's issuer)",
            rule="role",
            required_role=name,
        ) from exc
    raise_problem(exc)


def _refuse_if_not_allowed(asset: AssetFractions, frm: str, to: str, shares: int) -> None:
    """Raise the compliance refusal ``canTransfer`` gives for moving ``shares`` from ``frm`` to ``to``."""
    check = _read("the compliance answer", lambda: asset.can_transfer(frm, to, shares))
    if not check.allowed:
        raise transfer_refused(frm, to, shares, check.reason)


def _asset(recourse: Recourse, address: str) -> AssetFractions:
    """The token client of ``address``; ``FRC-404`` unless the factory issued it."""
    if not _read("the factory", lambda: recourse.fractions.is_asset(address)):
        raise FractionsNotFoundError(f"{address} is not an asset token of this deployment's factory")
    return recourse.asset_fractions(address)


def _unix(moment: dt.datetime | None) -> int:
    """Unix seconds; a time before 1970 is 0 (a past deadline the chain refuses, a lock-up that is over)."""
    return 0 if moment is None else max(0, int(moment.timestamp()))


def source_digest(source_ref: str) -> bytes:
    """A recovery's source on chain: a ``0x`` + 64 hex digest as it is, anything else keccak256 of its text."""
    return bytes32(source_ref) if _HEX32.match(source_ref) else keccak(text=source_ref)


# --- writes -----------------------------------------------------------------------------------------------
#
# Each planner builds the request's body from its input alone and looks its key up first: a replayed key is
# answered with the original operations without asking the chain again (which might now refuse the step it
# already took, e.g. a settlement), a different body under it is ``OPS-409``.


@dataclass(frozen=True)
class _Step(Step):
    """One planner's request (see :class:`~node_api.services._planning.Step`)."""

    def on(self, asset: str, plan: Callable[[AssetFractions], Submission]) -> Submission:
        """The replay, else what ``plan`` makes of the asset token (``FRC-404`` unless the factory issued it)."""
        again = self.again()
        return again if again is not None else plan(_asset(self.recourse, asset))

    def one(self, tx: TxRequest) -> Submission:
        """A request of one operation, asked of the chain first (a missing role is ``FRC-403``)."""
        return one(self.recourse, self.institution, self.key, self.kind, self.body, tx, refused=_refused)

    def paying(
        self, token: AssetFractions, tx: TxRequest, amount: int, precheck: Callable[[], None] = lambda: None
    ) -> Submission:
        """A request that moves ``amount`` fen of the caller's rCNY into ``token`` (``FRC-422`` if it holds less;
        then as :func:`~node_api.services._planning.paying`)."""
        recourse, institution = self.recourse, self.institution
        balance = int(_read("the rCNY balance", lambda: recourse.token.balance_of(institution.address)))
        if balance < amount:
            raise FractionsTermsError(
                f"{institution.address} holds {balance} fen of rCNY; this step moves {amount} fen",
                field="amount_fen",
                amount_fen=amount,
                balance_fen=balance,
            )
        args = (recourse, institution, token.address, self.key, self.kind, self.body, tx, amount)
        return paying(*args, precheck=precheck, refused=_refused)


@reads_chain
def submit_issue(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset_ref: str,
    valuation_feed: str | None,
    documents_root: str,
    name: str,
    symbol: str,
    kyc_tier: int,
    regions: list[int],
    lock_up_until: dt.datetime | None,
    max_holders: int,
    max_per_holder: int,
    price_fen: int,
    min_subscription: int,
    soft_cap: int,
    hard_cap: int,
    deadline: dt.datetime,
) -> Submission:
    """A BANK issues an asset token through the factory (the chain checks the terms and the documents root)."""
    terms = Terms(
        asset_ref=_asset_ref(asset_ref),
        documents_root=bytes32(documents_root),
        price=price_fen,
        min_subscription=min_subscription,
        soft_cap=soft_cap,
        hard_cap=hard_cap,
        deadline=_unix(deadline),
        valuation_feed=bytes(feed_id(valuation_feed)) if valuation_feed else bytes(32),
        kyc_tier=kyc_tier,
        regions=tuple(regions),
        lock_up_until=_unix(lock_up_until),
        max_holders=max_holders,
        max_per_holder=max_per_holder,
    )
    body = {
        "asset_ref": asset_ref,
        "valuation_feed": valuation_feed,
        "documents_root": documents_root.lower(),
        "name": name,
        "symbol": symbol,
        "kyc_tier": kyc_tier,
        "regions": list(regions),
        "lock_up_until": _unix(lock_up_until),
        "max_holders": max_holders,
        "max_per_holder": max_per_holder,
        "price_fen": price_fen,
        "min_subscription": min_subscription,
        "soft_cap": soft_cap,
        "hard_cap": hard_cap,
        "deadline": _unix(deadline),
    }
    step = _Step(session, recourse, institution, key, ISSUE_KIND, body)
    again = step.again()
    return again if again is not None else step.one(recourse.fractions.issue_request(terms, name, symbol))


_asset_ref = asset_ref  # the parameter of submit_issue shadows the helper's name


@reads_chain
def submit_subscription(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    shares: int,
) -> Submission:
    """Subscribe ``shares`` at the offering price (price × shares into escrow)."""
    body = {"asset": to_checksum_address(asset), "shares": shares}
    step = _Step(session, recourse, institution, key, "fractions.subscribe", body)

    def plan(token: AssetFractions) -> Submission:
        price = _read("the terms", token.terms).price
        precheck = lambda: _refuse_if_not_allowed(token, ZERO_ADDRESS, institution.address, shares)  # noqa: E731
        return step.paying(token, token.subscribe_request(shares), shares * price, precheck)

    return step.on(asset, plan)


def _simple(kind: str, build: Callable[[AssetFractions], TxRequest]) -> Callable[..., Submission]:
    """A planner of a step that takes only the asset."""

    @planner(kind)
    def plan(
        *,
        session: Session,
        recourse: Recourse,
        institution: Institution,
        key: str,
        asset: str,
    ) -> Submission:
        step = _Step(session, recourse, institution, key, kind, {"asset": to_checksum_address(asset)})
        return step.on(asset, lambda token: step.one(build(token)))

    return plan


submit_settlement = _simple("fractions.settle", AssetFractions.settle_offering_request)
submit_refund = _simple("fractions.refund", AssetFractions.refund_request)
submit_proceeds_withdrawal = _simple("fractions.withdraw_proceeds", AssetFractions.withdraw_proceeds_request)
submit_claim = _simple("fractions.claim", AssetFractions.claim_request)
submit_resume = _simple("fractions.resume", AssetFractions.unpause_request)


@reads_chain
def submit_claim_shares(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    subscriber: str | None,
) -> Submission:
    """Mint a subscriber's shares after a successful offering (anyone may; default the caller's own)."""
    who = to_checksum_address(subscriber or institution.address)
    body = {"asset": to_checksum_address(asset), "subscriber": who}
    step = _Step(session, recourse, institution, key, "fractions.claim_shares", body)
    return step.on(asset, lambda token: step.one(token.claim_shares_request(who)))


@reads_chain
def submit_transfer(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    to: str,
    shares: int,
) -> Submission:
    """An ordinary transfer; refused before anything is sent with the compliance reason when the token says no."""
    recipient = to_checksum_address(to)
    body = {"asset": to_checksum_address(asset), "to": recipient, "shares": shares}
    step = _Step(session, recourse, institution, key, "fractions.transfer", body)

    def plan(token: AssetFractions) -> Submission:
        _refuse_if_not_allowed(token, institution.address, recipient, shares)
        return step.one(token.transfer_request(recipient, shares))

    return step.on(asset, plan)


@reads_chain
def submit_offer(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    shares: int,
    price_fen: int,
) -> Submission:
    body = {"asset": to_checksum_address(asset), "shares": shares, "price_fen": price_fen}
    step = _Step(session, recourse, institution, key, "fractions.offer", body)
    return step.on(asset, lambda token: step.one(token.make_offer_request(shares, price_fen)))


@reads_chain
def submit_purchase(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    offer_id: int,
    shares: int,
) -> Submission:
    """Buy ``shares`` of an offer, delivery versus payment (shares × its price, approved exactly if needed)."""
    body = {"asset": to_checksum_address(asset), "offer_id": offer_id, "shares": shares}
    step = _Step(session, recourse, institution, key, "fractions.buy", body)

    def plan(token: AssetFractions) -> Submission:
        offer = _read(f"offer {offer_id}", lambda: token.offer_of(offer_id))
        if not offer.open:
            raise FractionsNotFoundError(
                f"offer {offer_id} does not exist, is filled or was cancelled", offer_id=offer_id
            )
        precheck = lambda: _refuse_if_not_allowed(token, offer.seller, institution.address, shares)  # noqa: E731
        return step.paying(token, token.buy_request(offer_id, shares), shares * offer.price, precheck)

    return step.on(asset, plan)


@reads_chain
def submit_cancel_offer(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    offer_id: int,
) -> Submission:
    body = {"asset": to_checksum_address(asset), "offer_id": offer_id}
    step = _Step(session, recourse, institution, key, "fractions.cancel_offer", body)
    return step.on(asset, lambda token: step.one(token.cancel_offer_request(offer_id)))


@reads_chain
def submit_pay_in(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    amount_fen: int,
    source_ref: str,
) -> Submission:
    """Pay a recovery in for the holders (``payIn``), approved exactly if needed."""
    digest = source_digest(source_ref)
    body = {
        "asset": to_checksum_address(asset),
        "amount_fen": amount_fen,
        "source_ref": source_ref,
        "source_digest": "0x" + digest.hex(),
    }
    step = _Step(session, recourse, institution, key, "fractions.pay_in", body)

    def plan(token: AssetFractions) -> Submission:
        def succeeded() -> None:
            status = _read("the offering", token.offering).status
            if status is not OfferingStatus.SUCCEEDED:
                raise FractionsStateError(
                    "no shares yet: recoveries are paid in once the offering succeeded", offering_status=status.label
                )

        return step.paying(token, token.pay_in_request(amount_fen, digest), amount_fen, succeeded)

    return step.on(asset, plan)


@reads_chain
def submit_collect(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    source: str,
) -> Submission:
    """Collect what a system contract owes the asset (e.g. JudicialAuction proceeds) and distribute it."""
    src = to_checksum_address(source)
    step = _Step(
        session, recourse, institution, key, "fractions.collect", {"asset": to_checksum_address(asset), "source": src}
    )
    return step.on(asset, lambda token: step.one(token.collect_request(src)))


@reads_chain
def submit_freeze(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    account: str,
    shares: int | None,
    order_digest: str,
) -> Submission:
    """A court freezes an account whole (no ``shares``) or sets how many of its shares are frozen."""
    who, digest = to_checksum_address(account), bytes32(order_digest)
    kind = "fractions.freeze" if shares is None else "fractions.freeze_shares"
    body = {"asset": to_checksum_address(asset), "account": who, "shares": shares, "order_digest": order_digest.lower()}
    step = _Step(session, recourse, institution, key, kind, body)

    def plan(token: AssetFractions) -> Submission:
        if shares is None:
            return step.one(token.freeze_account_request(who, digest))
        return step.one(token.set_frozen_shares_request(who, shares, digest))

    return step.on(asset, plan)


@reads_chain
def submit_unfreeze(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    account: str,
    order_digest: str,
) -> Submission:
    who = to_checksum_address(account)
    body = {"asset": to_checksum_address(asset), "account": who, "order_digest": order_digest.lower()}
    step = _Step(session, recourse, institution, key, "fractions.unfreeze", body)
    return step.on(asset, lambda token: step.one(token.unfreeze_account_request(who, bytes32(order_digest))))


@reads_chain
def submit_forced_transfer(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    from_: str,
    to: str,
    shares: int,
    order_digest: str,
) -> Submission:
    """A court's forced transfer (skips the pause, lock-up, freezes and limits, never the recipient's eligibility)."""
    src, dst = to_checksum_address(from_), to_checksum_address(to)
    body = {
        "asset": to_checksum_address(asset),
        "from": src,
        "to": dst,
        "shares": shares,
        "order_digest": order_digest.lower(),
    }
    step = _Step(session, recourse, institution, key, "fractions.forced_transfer", body)
    digest = bytes32(order_digest)
    return step.on(asset, lambda token: step.one(token.forced_transfer_request(src, dst, shares, digest)))


@reads_chain
def submit_pause(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    asset: str,
    reason_digest: str,
) -> Submission:
    body = {"asset": to_checksum_address(asset), "reason_digest": reason_digest.lower()}
    step = _Step(session, recourse, institution, key, "fractions.pause", body)
    return step.on(asset, lambda token: step.one(token.pause_request(bytes32(reason_digest))))


# --- reads ------------------------------------------------------------------------------------------------


def _at(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


def _row(session: Session, address: str) -> FractionAsset:
    row = session.get(FractionAsset, to_checksum_address(address))
    if row is None:
        raise FractionsNotFoundError(f"no asset {address} in this gateway's index (is it issued and indexed?)")
    return row


def _names(recourse: Recourse, address: str) -> tuple[str, str]:
    token = recourse.asset_fractions(address)
    return _read("the token's name", token.names)


def list_assets(
    *,
    session: Session,
    recourse: Recourse,
    issuer: str | None,
    issued_in: str | None,
    limit: int,
    cursor: str | None,
) -> AssetsPublic:
    """Assets from the index, newest issue first; ``issued_in`` (a transaction hash) finds the token an issue
    created; ``cursor`` is the ``next_cursor`` of the page before."""
    stmt = select(FractionIssue, FractionAsset).where(FractionIssue.address == FractionAsset.address)
    if issuer:
        stmt = stmt.where(FractionIssue.issuer == to_checksum_address(issuer))
    if issued_in:
        args = session.exec(
            select(ChainEvent.args).where(
                ChainEvent.contract == FACTORY_CONTRACT,
                ChainEvent.name == "FractionsIssued",
                ChainEvent.tx_hash == issued_in.lower(),  # both sides store hashes in lower case
            )
        ).all()
        stmt = stmt.where(col(FractionIssue.address).in_([to_checksum_address(a["asset"]) for a in args]))
    if cursor:
        stmt = stmt.where(col(FractionIssue.index) < int(cursor))
    rows = session.exec(stmt.order_by(col(FractionIssue.index).desc()).limit(limit)).all()
    data = []
    for issue, asset in rows:
        name, symbol = _names(recourse, issue.address)
        data.append(
            AssetSummary(
                address=issue.address,
                name=name,
                symbol=symbol,
                issuer=issue.issuer,
                asset_ref=issue.asset_ref,
                index=issue.index,
                status=asset.status,
                sold=asset.sold,
                total_supply=asset.total_supply,
                holder_count=asset.holder_count,
                paused=asset.paused,
            )
        )
    next_cursor = str(data[-1].index) if len(data) == limit else None
    return AssetsPublic(data=data, count=len(data), next_cursor=next_cursor)


def _feed_name(session: Session, address: str, feed: str) -> str:
    """The feed's name as the issue request gave it (when this gateway sent the issue), else its id."""
    issue = session.get(FractionIssue, address)
    if issue is not None:
        event = session.get(ChainEvent, issue.key)
        if event is not None:
            # the writer and the indexer both store a hash in lower case: the tx_hash index answers this
            ops = session.exec(
                select(Operation).where(Operation.tx_hash == event.tx_hash, Operation.kind == ISSUE_KIND)
            ).all()
            for op in ops:
                name = op.request.get("valuation_feed")
                if isinstance(name, str) and "0x" + bytes(feed_id(name)).hex() == feed:
                    return name
    return feed


def _valuation(
    session: Session, recourse: Recourse, row: FractionAsset, *, chain_time: int, max_age: int
) -> AssetValuationPublic | None:
    if int(row.valuation_feed, 16) == 0:
        return None
    feed, subject = FeedId(bytes32(row.valuation_feed)), SubjectId(bytes32(row.asset_ref))
    report = _read("the valuation", lambda: recourse.oracle_hub.get_report(feed, subject))
    if report is None:
        return None
    return AssetValuationPublic(
        value_fen=report.value,
        low_fen=report.low,
        high_fen=report.high,
        reported_at=_at(report.observed_at),
        reported_at_unix=report.observed_at,
        feed=_feed_name(session, row.address, row.valuation_feed),
        stale=chain_time - report.observed_at > max_age,
    )


def get_asset(*, session: Session, recourse: Recourse, address: str, chain_time: int, max_age: int) -> AssetPublic:
    """One asset: terms, offering, supply, recoveries, the latest valuation, NAV per share and recovery yield."""
    row = _row(session, address)
    name, symbol = _names(recourse, row.address)
    valuation = _valuation(session, recourse, row, chain_time=chain_time, max_age=max_age)
    sold = row.sold if row.status == OfferingStatus.SUCCEEDED.label else 0  # shares exist only then
    return AssetPublic(
        address=row.address,
        name=name,
        symbol=symbol,
        issuer=row.issuer,
        asset_ref=row.asset_ref,
        terms=TermsPublic(
            valuation_feed=row.valuation_feed,
            documents_root=row.documents_root,
            kyc_tier=row.kyc_tier,
            regions=list(row.regions),
            lock_up_until=_at(row.lock_up_until) if row.lock_up_until else None,
            lock_up_until_unix=row.lock_up_until,
            max_holders=row.max_holders,
            max_per_holder=row.max_per_holder,
            price_fen=row.price_fen,
            min_subscription=row.min_subscription,
            soft_cap=row.soft_cap,
            hard_cap=row.hard_cap,
            deadline=_at(row.deadline),
            deadline_unix=row.deadline,
        ),
        offering=OfferingPublic(
            status=row.status,
            sold=row.sold,
            subscribers=row.subscribers,
            deadline=_at(row.deadline),
            deadline_unix=row.deadline,
        ),
        total_supply=row.total_supply,
        holder_count=row.holder_count,
        paused=row.paused,
        offer_count=row.offer_count,
        subscription_escrow_fen=row.subscription_escrow_fen,
        proceeds_owed_fen=row.proceeds_owed_fen,
        recoveries=RecoveriesPublic(total_paid_in_fen=row.total_paid_in_fen, total_claimed_fen=row.total_claimed_fen),
        valuation=valuation,
        nav_per_share_fen=valuation.value_fen // sold if valuation is not None and sold > 0 else None,
        recovery_yield_bps=row.total_paid_in_fen * 10_000 // (row.price_fen * sold) if sold > 0 else None,
    )


def _account_public(asset: FractionAsset, row: FractionAccount) -> AccountPublic:
    acc = AccountState(
        address=row.address,
        balance=row.balance,
        subscription=row.subscription,
        claimed=row.claimed_fen,
        correction=row.correction,
    )
    state = AssetState(per_share=asset.per_share, accounts={row.address: acc})
    return AccountPublic(
        address=row.address,
        balance=row.balance,
        frozen_whole=row.frozen,
        frozen_shares=row.frozen_shares,
        subscription=row.subscription,
        claimable_fen=state.claimable(row.address),
        claimed_fen=row.claimed_fen,
    )


def list_holders(*, session: Session, address: str) -> AccountsPublic:
    """Accounts holding shares or an unclaimed subscription, largest holding first."""
    asset = _row(session, address)
    rows = session.exec(
        select(FractionAccount)
        .where(
            FractionAccount.asset == asset.address,
            or_(col(FractionAccount.balance) > 0, col(FractionAccount.subscription) > 0),
        )
        .order_by(col(FractionAccount.address))
    ).all()
    data = sorted((_account_public(asset, r) for r in rows), key=lambda a: (-a.balance, a.address))
    return AccountsPublic(data=data, count=len(data))


def get_account(*, session: Session, address: str, account: str) -> AccountPublic:
    """One account's row (zeros for an account that never held anything)."""
    asset = _row(session, address)
    who = to_checksum_address(account)
    row = session.get(FractionAccount, (asset.address, who))
    if row is None:
        row = FractionAccount(
            asset=asset.address,
            address=who,
            balance=0,
            subscription=0,
            paid_fen=0,
            refunded_fen=0,
            claimed_fen=0,
            correction=0,
            frozen_shares=0,
            updated_key="",
        )
    return _account_public(asset, row)


def list_offers(*, session: Session, address: str, open_only: bool) -> OffersPublic:
    asset = _row(session, address)
    stmt = select(FractionOffer).where(FractionOffer.asset == asset.address)
    if open_only:
        stmt = stmt.where(FractionOffer.status == "open")
    rows = session.exec(stmt.order_by(col(FractionOffer.offer_id))).all()
    data = [
        OfferPublic(offer_id=r.offer_id, seller=r.seller, shares=r.shares, price_fen=r.price_fen, status=r.status)
        for r in rows
    ]
    return OffersPublic(data=data, count=len(data))


def check_transfer(*, recourse: Recourse, address: str, frm: str, to: str, shares: int) -> TransferCheckPublic:
    """The token's own compliance answer (``canTransfer``) for moving ``shares`` now."""
    token = _asset(recourse, address)
    check = _read(
        "the compliance answer", lambda: token.can_transfer(to_checksum_address(frm), to_checksum_address(to), shares)
    )
    return TransferCheckPublic(allowed=check.allowed, reason=check.reason.label, reason_code=int(check.reason))
