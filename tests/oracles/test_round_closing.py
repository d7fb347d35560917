"""How an operator closes a round once the chain holds its observation or a newer one, step by step with the
node's ports replaced by in-memory ones (the same flows run as real processes in ``test_operators``).

The case that matters: another operator submits this round and the next one before this operator looks
again. The chain's latest report is then newer, yet this round's report did reach the chain: ``done``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from chain.eip712 import Domain, FeedId, Report, ReportSignature, SubjectId, feed_id, sign_report, subject_id
from oracles.feeds.valuation import ValuationFeed
from oracles.node import NodeConfig, OracleNode
from oracles.policy import PushPolicy
from oracles.rounds import RoundStore
from tests.conftest import account

FEED = feed_id("valuation:residential")
SUBJECT = subject_id("asset:closing")
PERIOD = 60
DOMAIN = Domain.oracle_hub(chain_id=31337, verifying_contract="0x" + "22" * 20)
ME = account("oracle")


class MemoryHub:
    def __init__(self) -> None:
        self.history: list[Report] = []

    def accept(self, report: Report) -> None:
        self.history.append(report)

    def latest_report(self, feed: FeedId, subject: SubjectId) -> Report | None:
        mine = [r for r in self.history if (r.feed_id, r.subject_id) == (feed, subject)]
        return mine[-1] if mine else None

    def was_accepted(self, report: Report) -> bool:
        return report in self.history

    def threshold(self) -> int:
        return 2

    def oracles(self) -> list[str]:
        return [ME.address]

    def domain(self) -> Domain:
        return DOMAIN


class SilentGateway:
    """Takes posted signatures, holds no others, and must never be asked to submit in these cases."""

    name = "own"

    def __init__(self) -> None:
        self.posted: list[int] = []

    def post_signature(self, round_: int, report: Report, signature: ReportSignature) -> None:  # noqa: ARG002
        self.posted.append(round_)

    def signatures(self, report: Report, round_: int, digest: bytes) -> list[ReportSignature]:  # noqa: ARG002
        return []

    def submit(self, round_: int, report: Report, signatures: list[ReportSignature], *, key: str) -> dict[str, Any]:
        raise AssertionError(f"nothing is submitted here ({round_}, {report}, {len(signatures)}, {key})")


def _report(round_: int, value: int = 200_000_00) -> Report:
    return Report(FEED, SUBJECT, value, value * 9 // 10, value * 11 // 10, b"\x01" * 32, b"\x02" * 32, round_ * PERIOD)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[OracleNode, MemoryHub, RoundStore]]:
    subjects = tmp_path / "subjects.json"
    subjects.write_text(json.dumps({"subjects": {}}), encoding="utf-8")  # no new rounds start
    hub, store = MemoryHub(), RoundStore(f"sqlite:///{tmp_path / 'rounds.sqlite'}")
    n = OracleNode(
        name="oracle",
        account=ME,
        feed=ValuationFeed(cast(Any, None), subjects),  # the model is only used to start rounds
        hub=hub,
        gateway=SilentGateway(),
        store=store,
        policy=PushPolicy(deviation_bps=50, heartbeat_s=0),
        config=NodeConfig(period_s=PERIOD, fallback_s=0, submit=False),
        clock=lambda: 1_000 * PERIOD,
    )
    yield n, hub, store
    store.close()


def _posted(store: RoundStore, round_: int, report: Report) -> None:
    store.create(FEED, SUBJECT, round_, status="posted", report=report, signature=sign_report(ME, DOMAIN, report))


def _status(store: RoundStore, round_: int) -> str:
    state = store.get(FEED, SUBJECT, round_)
    assert state is not None
    return state.status


@pytest.mark.parametrize(
    ("on_chain", "status"),
    [
        pytest.param([_report(10)], "done", id="its report is the latest"),
        # another operator submitted it, and the next round landed before this operator looked again
        pytest.param([_report(10), _report(11, value=210_000_00)], "done", id="its report then a newer one"),
        pytest.param([_report(11, value=210_000_00)], "superseded", id="only a newer one"),
        # same observation time, another model's value
        pytest.param([_report(10, value=199_000_00)], "superseded", id="another report for its observation"),
        pytest.param([_report(9)], "posted", id="only an older one: the round stays open"),
    ],
)
def test_round_closes_on_what_the_chain_holds(
    node: tuple[OracleNode, MemoryHub, RoundStore], on_chain: list[Report], status: str
) -> None:
    n, hub, store = node
    _posted(store, 10, _report(10))
    for report in on_chain:
        hub.accept(report)
    n.tick()
    assert _status(store, 10) == status


class RecordingGateway(SilentGateway):
    """Holds enough signatures for every report and answers each submission as not yet mined."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[int] = []

    def submit(self, round_: int, report: Report, signatures: list[ReportSignature], *, key: str) -> dict[str, Any]:  # noqa: ARG002
        self.submitted.append(round_)
        return {"id": f"op-{round_}", "status": "pending"}


def _submitting_node(
    tmp_path: Path, hub: MemoryHub, gateway: RecordingGateway, *, now: int, fallback_s: int
) -> OracleNode:
    subjects = tmp_path / "subjects.json"
    subjects.write_text(json.dumps({"subjects": {}}), encoding="utf-8")
    return OracleNode(
        name="oracle",
        account=ME,
        feed=ValuationFeed(cast(Any, None), subjects),
        hub=hub,
        gateway=gateway,
        store=RoundStore(f"sqlite:///{tmp_path / 'rounds.sqlite'}"),
        policy=PushPolicy(deviation_bps=50, heartbeat_s=0),
        config=NodeConfig(period_s=PERIOD, fallback_s=fallback_s),
        clock=lambda: now,
    )


class OneOfOneHub(MemoryHub):
    def threshold(self) -> int:
        return 1


def test_a_younger_round_waits_until_the_older_one_is_mined(tmp_path: Path) -> None:
    hub, gateway = OneOfOneHub(), RecordingGateway()
    n = _submitting_node(tmp_path, hub, gateway, now=1_000 * PERIOD, fallback_s=0)
    for r in (10, 11):
        n.store.create(
            FEED, SUBJECT, r, status="signed", report=_report(r), signature=sign_report(ME, DOMAIN, _report(r))
        )
    n.tick()
    # round 10 went out and is not mined yet: round 11 is neither published nor submitted in this tick
    assert (gateway.posted, gateway.submitted) == ([10], [10])
    assert _status(n.store, 11) == "signed"
    hub.accept(_report(10))
    n.tick()
    assert (gateway.posted, gateway.submitted) == ([10, 11], [10, 11])
    assert _status(n.store, 10) == "done"
    n.store.close()


def test_a_younger_round_waits_while_the_older_one_is_not_yet_due(tmp_path: Path) -> None:
    hub, gateway = OneOfOneHub(), RecordingGateway()
    leader = "0x" + "00" * 19 + "01"  # sorts before every real address: round 10 % 2 == 0 makes it the leader
    hub.oracles = lambda: [leader, ME.address]  # type: ignore[method-assign]
    n = _submitting_node(tmp_path, hub, gateway, now=10 * PERIOD + 5, fallback_s=30)
    for r in (10, 11):
        n.store.create(
            FEED, SUBJECT, r, status="signed", report=_report(r), signature=sign_report(ME, DOMAIN, _report(r))
        )
    n.tick()
    # this operator is second in round 10's rotation: due 30 s after the round starts, 5 s have passed
    assert (gateway.posted, gateway.submitted) == ([10], [])
    assert _status(n.store, 11) == "signed"
    n.store.close()
