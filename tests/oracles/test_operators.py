"""Oracle operators as real processes (`recourse oracles run`), each with its own key and state, against a
real gateway and anvil: k-of-n agreement, deviation/heartbeat pushes, restarts mid-round."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlmodel import Session, select

from chain.contracts.oracle_hub import AcceptedReport
from chain.eip712 import feed_id, subject_id
from node_api.db.engine import make_engine
from node_api.db.models import Operation
from node_api.services.analytics import latest_artefact, load_artefact
from oracles.feeds.valuation import ValuationFeed
from oracles.node import idempotency_key
from oracles.rounds import RoundStore
from tests.conftest import account
from tests.oracles.conftest import (
    LiveGateway,
    Operator,
    accepted_reports,
    serve_gateway,
    start_operator,
    wait_for,
)

FEED = "valuation:residential"
PERIOD = 3


def _subjects(tmp_path: Path, ref: str, features: dict[str, object]) -> Path:
    path = tmp_path / "subjects.json"
    path.write_text(json.dumps({"subjects": {ref: features}}), encoding="utf-8")
    return path


def _accepted(gw: LiveGateway, ref: str) -> list[AcceptedReport]:
    return accepted_reports(gw, FEED, ref)


def _rounds(op: Operator) -> dict[int, str]:
    store = RoundStore(f"sqlite:///{op.state_db}")
    try:
        return {s.round: s.status for s in store.all_rounds()}
    finally:
        store.close()


def test_three_operators_push_a_k_of_n_report_then_only_on_deviation(
    live_gateway: LiveGateway,
    demo_features: dict[str, object],
    model_dir: Path,
    tmp_path: Path,
    operators: list[Operator],
) -> None:
    ref = "asset:three-operators"
    subjects = _subjects(tmp_path, ref, demo_features)
    for name in ("oracle", "oracle-2", "oracle-3"):
        operators.append(start_operator(live_gateway, name, tmp_path / name, subjects, heartbeat=3600))
    wait_for("the first report", lambda: len(_accepted(live_gateway, ref)) >= 1, 120, operators)
    first = _accepted(live_gateway, ref)[0]
    path = latest_artefact(model_dir, "valuation")
    assert path is not None
    expected = ValuationFeed(load_artefact(path, "valuation"), subjects, name=FEED).observe(ref, demo_features)
    assert (first.report.value, first.report.low, first.report.high) == (expected.value, expected.low, expected.high)
    assert first.report.feature_digest == expected.feature_digest
    assert first.report.observed_at % PERIOD == 0
    oracles = {account(n).address for n in ("oracle", "oracle-2", "oracle-3")}
    assert len(first.signers) >= 2
    assert set(first.signers) <= oracles

    # within the deviation threshold and before the heartbeat: rounds pass, nothing is pushed
    time.sleep(3 * PERIOD)
    assert len(_accepted(live_gateway, ref)) == 1
    assert "skipped" in set(_rounds(operators[0]).values())

    # the asset's features change enough to move the value: the next round pushes
    moved = {**demo_features, "area": int(demo_features["area"]) * 2}  # type: ignore[call-overload]
    subjects.write_text(json.dumps({"subjects": {ref: moved}}), encoding="utf-8")
    wait_for("a report after the value moved", lambda: len(_accepted(live_gateway, ref)) >= 2, 60, operators)
    second = _accepted(live_gateway, ref)[1]
    assert second.report.value != first.report.value
    assert second.report.observed_at > first.report.observed_at
    for op in operators:
        assert op.stop() == 0


def test_restart_after_signing_resumes_the_round_and_pushes_it_once(
    live_gateway: LiveGateway, demo_features: dict[str, object], tmp_path: Path, operators: list[Operator]
) -> None:
    ref = "asset:crash-after-signed"
    subjects = _subjects(tmp_path, ref, demo_features)
    # oracle-2 runs first: started after the crasher on a loaded machine, it could miss the round the crasher
    # signed, which then never gets k = 2 signatures (seen in CI)
    peer = start_operator(live_gateway, "oracle-2", tmp_path / "oracle-2", subjects)
    operators.append(peer)
    wait_for("oracle-2 signing rounds", lambda: peer.state_db.exists() and bool(_rounds(peer)), 90, operators)
    crasher = start_operator(live_gateway, "oracle", tmp_path / "oracle", subjects, crash_after="signed")
    operators.append(crasher)
    wait_for("the crash after signing", lambda: crasher.proc.poll() is not None, 90, operators)
    assert crasher.proc.returncode == 70
    signed = [r for r, s in _rounds(crasher).items() if s == "signed"]
    assert len(signed) == 1
    crashed_round = signed[0]
    # one operator alone holds k-1 = 1 signature: nothing reaches the chain
    time.sleep(2 * PERIOD)
    assert _accepted(live_gateway, ref) == []

    restarted = start_operator(live_gateway, "oracle", tmp_path / "oracle", subjects)
    operators.append(restarted)
    wait_for(
        "the crashed round on chain",
        lambda: any(a.report.observed_at == crashed_round * PERIOD for a in _accepted(live_gateway, ref)),
        90,
        operators,
    )
    wait_for("the crashed round marked done", lambda: _rounds(restarted)[crashed_round] == "done", 30, operators)
    accepted = _accepted(live_gateway, ref)
    observed = [a.report.observed_at for a in accepted]
    assert observed.count(crashed_round * PERIOD) == 1
    assert observed == sorted(set(observed))


def test_restart_after_submitting_does_not_push_the_round_again(
    live_gateway: LiveGateway, demo_features: dict[str, object], tmp_path: Path, operators: list[Operator]
) -> None:
    ref = "asset:crash-after-submitted"
    subjects = _subjects(tmp_path, ref, demo_features)
    crasher = start_operator(
        live_gateway, "oracle", tmp_path / "oracle", subjects, fallback=0, heartbeat=3600, crash_after="submitted"
    )
    operators.append(crasher)
    # oracle-2 only co-signs: were it the round's leader it could submit first, and the crasher, finding the
    # round on chain, would never submit (seen once in CI under load)
    cosigner = start_operator(live_gateway, "oracle-2", tmp_path / "oracle-2", subjects, heartbeat=3600, sign_only=True)
    operators.append(cosigner)
    wait_for("the crash after submitting", lambda: crasher.proc.poll() is not None, 90, operators)
    assert crasher.proc.returncode == 70
    # the crash came before "submitted" was recorded: the store still says "posted" for the pushed round
    on_chain = [a.report.observed_at for a in _accepted(live_gateway, ref)]
    assert len(on_chain) == 1
    crashed_round = on_chain[0] // PERIOD
    assert _rounds(crasher)[crashed_round] == "posted"

    restarted = start_operator(live_gateway, "oracle", tmp_path / "oracle", subjects, fallback=0, heartbeat=3600)
    operators.append(restarted)
    wait_for("the round marked done after restart", lambda: _rounds(restarted)[crashed_round] == "done", 60, operators)
    time.sleep(2 * PERIOD)
    # rounds started before the crash against an empty chain are redundant now (within deviation, no heartbeat)
    later = {r: s for r, s in _rounds(restarted).items() if r > crashed_round}
    assert set(later.values()) <= {"skipped", "superseded"}
    assert [a.report.observed_at for a in _accepted(live_gateway, ref)] == [crashed_round * PERIOD]
    engine = make_engine(live_gateway.settings.db_url)
    try:
        with Session(engine) as s:
            key = idempotency_key(feed_id(FEED), subject_id(ref), crashed_round)
            ops = s.exec(select(Operation).where(Operation.idempotency_key == key)).all()
    finally:
        engine.dispose()
    mine = [op for op in ops if op.institution == "oracle"]
    assert len(mine) == 1
    assert mine[0].status in ("succeeded", "failed")
    # the co-signer signed the round, never submitted it, and closed it once the report was on chain
    assert [op for op in ops if op.institution == "oracle-2"] == []
    assert _rounds(cosigner)[crashed_round] in ("done", "superseded")


def test_operators_on_separate_gateways_exchange_signatures_through_peers(
    live_gateway: LiveGateway,
    oracle_chain,  # type: ignore[no-untyped-def]
    model_dir: Path,
    demo_features: dict[str, object],
    tmp_path: Path,
    operators: list[Operator],
) -> None:
    """oracle uses gateway A, oracle-2 gateway B (hosting only oracle-2); each reads the other's signature
    from the peer gateway with a read-only key that gateway issued; k = 2 needs both."""
    node, deployments = oracle_chain
    ref = "asset:two-gateways"
    subjects = _subjects(tmp_path, ref, demo_features)
    with serve_gateway(node, deployments, model_dir, tmp_path / "gw-b", ["oracle-2"]) as gw_b:
        read_at_a = live_gateway.key("oracle-3", ["oracles:read"])
        read_at_b = gw_b.key("oracle-2", ["oracles:read"])
        operators.append(
            start_operator(live_gateway, "oracle", tmp_path / "oracle", subjects, peers=[f"{gw_b.url},{read_at_b}"])
        )
        operators.append(
            start_operator(gw_b, "oracle-2", tmp_path / "oracle-2", subjects, peers=[f"{live_gateway.url},{read_at_a}"])
        )
        wait_for("a report signed across two gateways", lambda: len(_accepted(live_gateway, ref)) >= 1, 120, operators)
        first = _accepted(live_gateway, ref)[0]
        assert sorted(first.signers) == sorted([account("oracle").address, account("oracle-2").address])
        for op in operators:
            assert op.stop() == 0
