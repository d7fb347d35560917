"""Push policy at its boundaries (unit: no chain, no network), leader rotation and idempotency keys."""

from __future__ import annotations

import pytest

from chain.eip712 import Report, feed_id, subject_id
from oracles.node import idempotency_key, rotation
from oracles.policy import PushPolicy

FEED, SUBJECT = feed_id("valuation:test"), subject_id("asset:1")


def _on_chain(value: int, observed_at: int = 1_000) -> Report:
    return Report(FEED, SUBJECT, value, value, value, bytes(32), bytes(32), observed_at)


def test_first_value_is_always_pushed() -> None:
    assert PushPolicy(deviation_bps=50, heartbeat_s=3600).decide(None, value=1, observed_at=5).push


@pytest.mark.parametrize(
    ("new", "push"),
    [
        (1_005_000, False),  # exactly 50 bps: not more than the threshold
        (1_005_001, True),  # one minor unit more
        (994_999, True),  # downwards, just over
        (995_000, False),  # downwards, exactly at
        (1_000_000, False),
    ],
)
def test_deviation_threshold_is_strict(new: int, push: bool) -> None:
    policy = PushPolicy(deviation_bps=50, heartbeat_s=3600)
    assert policy.decide(_on_chain(1_000_000), value=new, observed_at=1_060).push is push


@pytest.mark.parametrize(("age", "push"), [(3599, False), (3600, True), (3601, True)])
def test_heartbeat_pushes_at_exactly_its_interval(age: int, push: bool) -> None:
    policy = PushPolicy(deviation_bps=50, heartbeat_s=3600)
    decision = policy.decide(_on_chain(1_000_000), value=1_000_000, observed_at=1_000 + age)
    assert decision.push is push
    assert decision.reason.startswith("heartbeat") is push


def test_zero_previous_value_pushes_on_any_move_and_not_without() -> None:
    policy = PushPolicy(deviation_bps=50, heartbeat_s=3600)
    assert policy.decide(_on_chain(0), value=1, observed_at=1_001).push
    assert not policy.decide(_on_chain(0), value=0, observed_at=1_001).push


def test_an_observation_not_newer_than_the_chain_is_never_pushed() -> None:
    policy = PushPolicy(deviation_bps=0, heartbeat_s=0)
    assert not policy.decide(_on_chain(1, observed_at=1_000), value=500, observed_at=1_000).push
    assert policy.decide(_on_chain(1, observed_at=1_000), value=1, observed_at=1_001).push


@pytest.mark.parametrize("bad", [{"deviation_bps": -1}, {"heartbeat_s": -1}, {"deviation_bps": 1.5}])
def test_policy_refuses_bad_settings(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be a non-negative integer"):
        PushPolicy(**bad)  # type: ignore[arg-type]


def test_rotation_puts_the_round_leader_first_and_keeps_everyone() -> None:
    oracles = ["0x1", "0x2", "0x3"]
    assert rotation(oracles, 0) == ["0x1", "0x2", "0x3"]
    assert rotation(oracles, 4) == ["0x2", "0x3", "0x1"]
    assert rotation(oracles, 5) == ["0x3", "0x1", "0x2"]
    assert rotation([], 3) == []


def test_idempotency_key_is_derived_from_feed_subject_and_round() -> None:
    assert idempotency_key(FEED, SUBJECT, 7) == idempotency_key(FEED, SUBJECT, 7)
    assert idempotency_key(FEED, SUBJECT, 7) != idempotency_key(FEED, SUBJECT, 8)
    assert idempotency_key(FEED, subject_id("asset:2"), 7) != idempotency_key(FEED, SUBJECT, 7)
    assert len(idempotency_key(FEED, SUBJECT, 2**40)) <= 200
