"""One oracle operator's round state machine (no scheduler inside: :meth:`OracleNode.tick` is one step).

Rounds are aligned on wall-clock time: round ``r`` observes at ``r * period_s`` (every operator computes
the same report for a round: same model artefact, same features, same on-chain previous value). Per
(feed, subject) and round:

1. **start**: unless the chain already holds this or a newer observation, compute the value; ask the
   :class:`~oracles.policy.PushPolicy` (deviation or heartbeat against the value on chain); if it says
   push, sign the report (EIP-712, this operator's key) and commit report + signature (``signed``)
   *before* anything leaves the process; otherwise record ``skipped``;
2. **post** the signature to the operator's own gateway (``posted``); peers read it there;
3. **collect** signatures over the same digest from the own gateway and the peers' gateways, each
   verified locally (recovers to its claimed signer, an active ORACLE);
4. **submit** once k signatures are there: the round's leader is the active oracle at position
   ``r mod n`` (ascending addresses), and the operator at distance ``d`` in that rotation submits only
   from ``round start + d * fallback_s`` on, so a silent leader is replaced. The submission is an
   operation of the own gateway with the idempotency key ``oracle.report:<feed>:<subject>:<round>``;
   Reports of one subject reach the chain in round order: while an older round of the subject is not yet
   due for this operator, or was submitted in this tick and not yet mined, its younger rounds are neither
   posted nor submitted in that tick (a younger report mined first would make the hub refuse the older);
5. **finish**: a round whose observation (or a newer one) is on chain ends ``done`` (the hub accepted
   this report, whether or not a newer one followed it) or ``superseded``; a round the policy no longer
   asks for, given what reached the chain since it started, ends ``skipped``.

A restart resumes every unfinished round from the store: a signed round is posted (never re-signed with a
different value), a submitted one is not submitted again (and were it, the same idempotency key returns
the same operation, and the hub refuses an older or replayed report anyway).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount

from chain.contracts.consortium import Role
from chain.eip712 import (
    Domain,
    FeedId,
    Report,
    ReportSignature,
    SubjectId,
    recover_report_signer,
    report_digest,
    sign_report,
    sort_signatures,
)
from chain.network import Recourse
from oracles._exceptions import GatewayError, OracleError
from oracles.feeds.valuation import Observation
from oracles.gateway import GatewayPort
from oracles.policy import PushPolicy
from oracles.rounds import RoundState, RoundStore

__all__ = ["Feed", "HubView", "NodeConfig", "OracleNode", "RecourseHubView", "idempotency_key", "rotation"]

logger = logging.getLogger(__name__)


class Feed(Protocol):
    """What the node asks of a feed (the asset valuation, the NPL package price)."""

    name: str
    feed_id: FeedId

    def subjects(self) -> dict[str, dict[str, Any]]: ...

    def subject_id(self, ref: str) -> SubjectId: ...

    def observe(self, ref: str, features: dict[str, Any]) -> Observation: ...


class HubView(Protocol):
    """What a node reads from the chain."""

    def latest_report(self, feed: FeedId, subject: SubjectId) -> Report | None: ...

    def was_accepted(self, report: Report) -> bool:
        """Whether the hub accepted exactly ``report`` (it may have been superseded since)."""
        ...

    def threshold(self) -> int: ...

    def oracles(self) -> list[str]: ...

    def domain(self) -> Domain: ...


class RecourseHubView:
    """:class:`HubView` over the deployed contracts (read-only: the node never sends a transaction)."""

    def __init__(self, recourse: Recourse) -> None:
        self.recourse = recourse

    def latest_report(self, feed: FeedId, subject: SubjectId) -> Report | None:
        return self.recourse.oracle_hub.get_report(feed, subject)

    def was_accepted(self, report: Report) -> bool:
        hub = self.recourse.oracle_hub
        accepted = hub.accepted_of(report.feed_id, report.subject_id, since=report.observed_at)
        return any(a.report == report for a in accepted)

    def threshold(self) -> int:
        return self.recourse.oracle_hub.threshold()

    def oracles(self) -> list[str]:
        members = self.recourse.consortium.members()
        active = [m.address for m in members if m.active and not m.suspended and Role.ORACLE in m.roles]
        return sorted(active, key=lambda a: int(a, 16))

    def domain(self) -> Domain:
        return self.recourse.oracle_hub.domain()


@dataclass(frozen=True)
class NodeConfig:
    #: seconds per round (round r observes at r * period_s)
    period_s: int = 60
    #: seconds the operator at distance d from the round's leader waits (times d) before submitting
    fallback_s: int = 10
    #: fault injection for restart tests: exit the process right after "signed" or "submitted"
    crash_after: str | None = None
    #: False: co-sign and post signatures but never submit (the other operators submit; the round ends
    #: ``done`` or ``superseded`` when a report reaches the chain)
    submit: bool = True

    def __post_init__(self) -> None:
        if self.period_s < 1 or self.fallback_s < 0:
            raise ValueError("period_s must be >= 1 and fallback_s >= 0")
        if self.crash_after not in (None, "signed", "submitted"):
            raise ValueError(f"crash_after must be 'signed' or 'submitted', not {self.crash_after!r}")


def rotation(oracles: Sequence[str], round_: int) -> list[str]:
    """The oracles in submission order for ``round_``: the leader (index ``round_ mod n``) first."""
    if not oracles:
        return []
    i = round_ % len(oracles)
    return [*oracles[i:], *oracles[:i]]


def idempotency_key(feed: bytes, subject: bytes, round_: int) -> str:
    return f"oracle.report:{feed.hex()}:{subject.hex()}:{round_}"


class OracleNode:
    def __init__(
        self,
        *,
        name: str,
        account: LocalAccount,
        feed: Feed,
        hub: HubView,
        gateway: GatewayPort,
        peers: Sequence[GatewayPort] = (),
        store: RoundStore,
        policy: PushPolicy,
        config: NodeConfig,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.account = account
        self.address: str = account.address
        self.feed = feed
        self.hub = hub
        self.gateway = gateway
        self.peers = list(peers)
        self.store = store
        self.policy = policy
        self.config = config
        self.clock = clock
        self._tick_oracles: list[str] | None = None
        #: subjects whose older round is still in flight this tick: their younger rounds wait for the next
        self._held: set[tuple[bytes, bytes]] = set()

    # --- one step ---

    def tick(self) -> None:
        """Start the current round for every subject, then advance every unfinished round (oldest first)."""
        now = int(self.clock())
        self._tick_oracles = None  # the active oracle set is read at most once per tick
        self._held = set()
        round_ = now // self.config.period_s
        observed_at = round_ * self.config.period_s
        for ref, features in self.feed.subjects().items():
            try:
                self._start(ref, features, round_, observed_at)
            except OracleError as exc:
                logger.warning("oracle.round.start_failed node=%s subject=%s error=%s", self.name, ref, exc)
        for state in self.store.open_rounds():
            if state.feed != self.feed.feed_id:
                continue
            try:
                self._advance(state, now)
            except GatewayError as exc:
                logger.warning("oracle.round.gateway_error node=%s round=%d error=%s", self.name, state.round, exc)

    # --- steps ---

    def _start(self, ref: str, features: dict[str, object], round_: int, observed_at: int) -> None:
        feed, subject = self.feed.feed_id, self.feed.subject_id(ref)
        if self.store.get(feed, subject, round_) is not None:
            return
        previous = self.hub.latest_report(feed, subject)
        if previous is not None and previous.observed_at >= observed_at:
            self.store.create(
                feed, subject, round_, status="superseded", reason=f"chain holds observation {previous.observed_at}"
            )
            return
        obs = self.feed.observe(ref, dict(features))
        decision = self.policy.decide(previous, value=obs.value, observed_at=observed_at)
        if not decision.push:
            self.store.create(feed, subject, round_, status="skipped", reason=decision.reason)
            logger.info(
                "oracle.round.skipped node=%s subject=%s round=%d reason=%s", self.name, ref, round_, decision.reason
            )
            return
        report = Report(feed, subject, obs.value, obs.low, obs.high, obs.model_version, obs.feature_digest, observed_at)
        signature = sign_report(self.account, self.hub.domain(), report)
        self.store.create(
            feed, subject, round_, status="signed", reason=decision.reason, report=report, signature=signature
        )
        logger.info(
            "oracle.round.signed node=%s subject=%s round=%d value=%d low=%d high=%d reason=%s",
            self.name,
            ref,
            round_,
            obs.value,
            obs.low,
            obs.high,
            decision.reason,
        )
        self._maybe_crash("signed")

    def _advance(self, state: RoundState, now: int) -> None:
        report, signature = state.report, state.signature
        if report is None or signature is None:
            return
        on_chain = self.hub.latest_report(report.feed_id, report.subject_id)
        if on_chain is not None and on_chain.observed_at >= report.observed_at:
            # a newer report on chain does not mean this one never got there: another operator may have
            # submitted it and the next round after it before this operator looked
            mine = on_chain == report or (on_chain.observed_at > report.observed_at and self.hub.was_accepted(report))
            status = "done" if mine else "superseded"
            self.store.set_status(
                state.feed, state.subject, state.round, status, reason=f"on chain at {on_chain.observed_at}"
            )
            logger.info("oracle.round.%s node=%s round=%d", status, self.name, state.round)
            return
        if (
            on_chain is not None
            and not self.policy.decide(on_chain, value=report.value, observed_at=report.observed_at).push
        ):
            # the round was started against an older chain state; what is on chain now makes it redundant
            self.store.set_status(
                state.feed, state.subject, state.round, "skipped", reason=f"redundant after {on_chain.observed_at}"
            )
            logger.info("oracle.round.redundant node=%s round=%d", self.name, state.round)
            return
        status = state.status
        if (state.feed, state.subject) in self._held:
            # an older round of this subject is not yet due, or was submitted this tick and not yet mined:
            # publishing or submitting this one now could let it reach the chain first and strand the older
            return
        if status == "signed":
            self.gateway.post_signature(state.round, report, signature)
            self.store.set_status(state.feed, state.subject, state.round, "posted")
            status = "posted"
            logger.info("oracle.round.posted node=%s round=%d", self.name, state.round)
        if status != "posted" or not self.config.submit:
            return
        if self._tick_oracles is None:
            self._tick_oracles = self.hub.oracles()
        oracles = self._tick_oracles
        order = rotation(oracles, state.round)
        if self.address not in order:
            return
        due = state.round * self.config.period_s + order.index(self.address) * self.config.fallback_s
        if now < due:
            self._held.add((state.feed, state.subject))
            return
        signatures = self._collect(report, signature, set(oracles), state.round)
        k = self.hub.threshold()
        if len(signatures) < k:
            logger.info(
                "oracle.round.waiting node=%s round=%d signatures=%d k=%d", self.name, state.round, len(signatures), k
            )
            return
        key = idempotency_key(state.feed, state.subject, state.round)
        op = self.gateway.submit(state.round, report, sort_signatures(signatures), key=key)
        logger.info(
            "oracle.round.submitted node=%s round=%d operation_id=%s status=%s tx_hash=%s",
            self.name,
            state.round,
            op.get("id"),
            op.get("status"),
            op.get("tx_hash"),
        )
        self._maybe_crash("submitted")
        # a succeeded operation means the hub accepted this very report: the round is done even if a newer
        # round lands before the next tick; otherwise the chain check above settles it
        status = "done" if op.get("status") == "succeeded" else "submitted"
        if status == "submitted":
            self._held.add((state.feed, state.subject))
        reason = str(op.get("error_name") or op.get("status") or "")
        self.store.set_status(
            state.feed, state.subject, state.round, status, reason=reason, operation_id=str(op.get("id"))
        )

    def _collect(self, report: Report, mine: ReportSignature, oracles: set[str], round_: int) -> list[ReportSignature]:
        """Verified signatures over ``report`` from distinct active oracles (own one included)."""
        domain = self.hub.domain()
        digest = report_digest(domain, report)
        found: dict[str, ReportSignature] = {mine.signer: mine}
        for gw in [self.gateway, *self.peers]:
            try:
                candidates = gw.signatures(report, round_, digest)
            except GatewayError as exc:
                logger.warning("oracle.signatures.unavailable node=%s gateway=%s error=%s", self.name, gw.name, exc)
                continue
            for sig in candidates:
                if sig.signer in found or sig.signer not in oracles:
                    continue
                if _recovers(domain, report, sig):
                    found[sig.signer] = sig
        return list(found.values())

    def _maybe_crash(self, point: str) -> None:
        if self.config.crash_after == point:
            logger.warning("oracle.crash_injected node=%s point=%s", self.name, point)
            logging.shutdown()
            os._exit(70)


def _recovers(domain: Domain, report: Report, sig: ReportSignature) -> bool:
    """Whether ``sig`` is a well-formed signature of ``report`` by its claimed signer."""
    try:
        return recover_report_signer(domain, report, sig) == sig.signer
    except Exception as exc:  # noqa: BLE001 - eth_keys raises several types for malformed signatures
        logger.warning("oracle.signature.malformed signer=%s error=%s", sig.signer, exc)
        return False
