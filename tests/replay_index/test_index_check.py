"""A gateway's index against the chain (``chain.replay.index.IndexCheck``), on a live chain and a live gateway:
an honest index has no difference; a projection row or a stored event altered or deleted in the gateway's
database behind its back is found and named (contract, entity, key, field). And the gateway's own replay routes
(``/audit/...``): auditors and regulators only, one replay at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from chain.events import DecodedEvent
from chain.reducers import replay
from chain.replay.index import READ_SCOPES, IndexCheck, IndexReadError
from chain.replay.model import Difference
from chain.replay.source import EventSource
from node_api.routes.audit import audit_runner
from tests.disputes.conftest import Desk
from tests.replay_index.conftest import PAID

pytestmark = pytest.mark.chain


def _key(desk: Desk, institution: str = "auditor", scopes: list[str] | None = None) -> str:
    return desk.gw.key(institution, scopes or list(READ_SCOPES))["Authorization"].removeprefix("Bearer ")


def _chain_events(desk: Desk) -> list[DecodedEvent]:
    world = desk.world
    source = EventSource(world.client, world.recourse.deployments, to_block=world.client.block_number())
    return [e for page in source.pages() for e in page.events]


def _compare(desk: Desk, *, page: int = 20) -> tuple[list[Difference], IndexCheck]:
    """The chain's events and rebuilt state against the gateway's index (small pages: the merge reads many)."""
    desk.indexed()
    events = _chain_events(desk)
    head = desk.world.client.block_number()
    with IndexCheck(desk.gw.url, _key(desk), to_block=head, page=page) as check:
        for e in events:
            check.see(e)
        return check.finish(replay(events)), check


def _sql(desk: Desk, statement: str, **params: Any) -> Any:
    with desk.gw.state.engine.begin() as conn:
        return conn.execute(text(statement), params)


def _dispute(desk: Desk) -> dict[str, Any]:
    rows = desk["bank"].get("/disputes")["data"]
    assert len(rows) == 1, rows
    return rows[0]


def test_an_honest_index_has_no_difference(desk: Desk) -> None:
    differences, check = _compare(desk)

    assert differences == []
    assert check.chain_events > 60  # more than three pages of 20
    assert check.index_events == check.chain_events == check.matched
    assert _dispute(desk)["paid_fen"] == PAID


def test_a_dispute_paid_altered_in_the_database_is_found(desk: Desk) -> None:
    did = _dispute(desk)["dispute_id"]
    _sql(desk, "UPDATE disputes SET paid_fen = :paid WHERE dispute_id = :did", paid=PAID + 1, did=did)
    try:
        differences, _ = _compare(desk)
    finally:
        _sql(desk, "UPDATE disputes SET paid_fen = :paid WHERE dispute_id = :did", paid=PAID, did=did)

    assert [(d.contract, d.entity, d.key, d.field, d.events, d.index) for d in differences] == [
        ("DisputeDesk", "dispute", str(did), "paid_fen", PAID, PAID + 1)
    ]


def test_a_case_collector_altered_in_the_database_is_found(desk: Desk) -> None:
    case_id = _dispute(desk)["case_id"]
    collector, other = desk.address("collector"), desk.address("investor")
    _sql(desk, "UPDATE case_entries SET collector = :c WHERE case_id = :id", c=other, id=case_id)
    try:
        differences, _ = _compare(desk)
    finally:
        _sql(desk, "UPDATE case_entries SET collector = :c WHERE case_id = :id", c=collector, id=case_id)

    assert [(d.contract, d.entity, d.key, d.field, d.events, d.index) for d in differences] == [
        ("CaseDelegation", "case", case_id, "collector", collector, other)
    ]


def _event_row(desk: Desk, contract: str, name: str) -> dict[str, Any]:
    rows = _sql(desk, "SELECT * FROM chain_events WHERE contract = :c AND name = :n ORDER BY key", c=contract, n=name)
    found = [dict(r) for r in rows.mappings()]
    assert found, (contract, name)
    return found[-1]


@pytest.fixture
def deleted_event(desk: Desk) -> Iterator[dict[str, Any]]:
    """The last ``InstalmentPaid`` row deleted from ``chain_events`` (put back afterwards)."""
    row = _event_row(desk, "DisputeDesk", "InstalmentPaid")
    _sql(desk, "DELETE FROM chain_events WHERE key = :key", key=row["key"])
    try:
        yield row
    finally:
        columns = ", ".join(row)
        _sql(desk, f"INSERT INTO chain_events ({columns}) VALUES ({', '.join(':' + c for c in row)})", **row)  # noqa: S608 - column names from the row itself


def test_a_deleted_event_row_is_found(desk: Desk, deleted_event: dict[str, Any]) -> None:
    differences, check = _compare(desk)

    assert [(d.contract, d.entity, d.key, d.field, d.note) for d in differences] == [
        ("DisputeDesk", "event", deleted_event["key"], "", "on chain, missing from the index")
    ]
    missing = differences[0].events
    assert (missing["name"], missing["args"]["amount"]) == ("InstalmentPaid", PAID)
    assert differences[0].index is None
    assert check.index_events == check.chain_events - 1


def test_an_altered_event_argument_is_found(desk: Desk) -> None:
    row = _event_row(desk, "SettlementToken", "Transfer")
    original = row["args"]
    forged = original.replace('"value": ', '"value": 1', 1)
    assert forged != original
    _sql(desk, "UPDATE chain_events SET args = :args WHERE key = :key", args=forged, key=row["key"])
    try:
        differences, _ = _compare(desk)
    finally:
        _sql(desk, "UPDATE chain_events SET args = :args WHERE key = :key", args=original, key=row["key"])

    assert [(d.contract, d.entity, d.key, d.field) for d in differences] == [
        ("SettlementToken", "event", row["key"], "args")
    ]
    assert differences[0].events["value"] != differences[0].index["value"]


def test_a_key_without_the_read_scopes_fails_loudly(desk: Desk) -> None:
    check = IndexCheck(desk.gw.url, _key(desk, scopes=["events:read"]))
    try:
        for e in _chain_events(desk):
            check.see(e)
        with pytest.raises(IndexReadError, match="403"):
            check.finish(replay([]))
    finally:
        check.close()


# --- the gateway's own replay: /audit ---


def _audit(desk: Desk, method: str, path: str, who: str = "auditor", **kwargs: Any) -> httpx.Response:
    headers = desk.gw.key(who, ["audit:read"])
    return httpx.request(method, desk.gw.url + path, headers=headers, timeout=30, **kwargs)


def test_an_auditor_runs_the_replay_and_reads_its_report(desk: Desk) -> None:
    started = _audit(desk, "POST", "/audit/replays")
    assert started.status_code == 202, started.text
    replay_id = started.json()["id"]
    assert started.headers["location"] == f"/audit/replays/{replay_id}"

    deadline = time.monotonic() + 120
    status = started.json()
    while status["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        status = _audit(desk, "GET", f"/audit/replays/{replay_id}").json()
    assert status["status"] == "succeeded", status
    report = _audit(desk, "GET", "/audit/report")
    page = _audit(desk, "GET", "/audit/report", params={"format": "html"})

    assert report.status_code == 200, report.text
    body = report.json()
    assert body["events"] == status["events"] > 60
    assert body["to_block"] == status["to_block"]
    assert len(body["differences"]) == status["differences"]
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.startswith("<!DOCTYPE html>")
    assert 'id="chart-activity"' in page.text


def test_an_investor_may_not_read_the_report(desk: Desk) -> None:
    r = _audit(desk, "GET", "/audit/report", who="investor")

    assert r.status_code == 403
    assert r.json()["code"] == "AUD-403"


def test_a_replay_while_one_runs_is_409(desk: Desk) -> None:
    runner = audit_runner(desk.gw.state)
    release = threading.Event()

    def held(**kwargs: Any) -> Any:
        release.wait(30)
        raise RuntimeError("held by the test")

    real, runner.replay = runner.replay, held
    try:
        first = _audit(desk, "POST", "/audit/replays")
        second = _audit(desk, "POST", "/audit/replays")
    finally:
        release.set()
        assert runner.wait(30)
        runner.replay = real

    assert first.status_code == 202, first.text
    assert second.status_code == 409
    assert (second.json()["code"], second.json()["replay_id"]) == ("AUD-409", first.json()["id"])
    failed = _audit(desk, "GET", f"/audit/replays/{first.json()['id']}").json()
    assert (failed["status"], failed["error"]) == ("failed", "RuntimeError: held by the test")
