"""Whose clock decides a contact's time, through a real gateway on a real anvil: the gateway's (a fake
``ClockPort`` stopped at a known debtor-local time). A client-supplied past ``attempted_at`` is a late log,
checked at the claimed time, counted in that day's cap and shown flagged to the bank; a time without a UTC
offset is refused. Also the migration that adds the flag to contacts logged before it existed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select
from sqlmodel.sql.sqltypes import UTCDateTime

from node_api.db.casework_models import ContactAttempt
from node_api.db.engine import alembic_config, make_engine, migrate
from node_api.services.casework.contacts import ContactTimeInvalidError, attempt_time, contact_leaf
from node_api.services.casework.settings import ConductSettings
from tests.casework.conftest import CaseworkWorld
from tests.conftest import fresh_pg_database

PROBLEM = "application/problem+json"
SH = ZoneInfo("Asia/Shanghai")


def sh(day: int, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    """``hh:mm`` on 2026-11-``day`` in Shanghai, the debtor's zone of case 0."""
    return dt.datetime(2026, 11, day, hh, mm, ss, tzinfo=SH)


def contact(cw: CaseworkWorld, key: str, at: dt.datetime | str | None = None, case: int = 0, who: str = "collector"):
    body: dict[str, str] = {"channel": "phone"}
    if at is not None:
        body["attempted_at"] = at if isinstance(at, str) else at.isoformat()
    return cw.gw.http.post(f"/cases/{cw.case(case)}/contacts", json=body, headers=cw.headers(who, key))


def attempts(cw: CaseworkWorld) -> list[ContactAttempt]:
    with Session(cw.gw.state.engine) as s:
        return list(s.exec(select(ContactAttempt).order_by(ContactAttempt.id)).all())


@pytest.mark.chain
def test_quiet_hours_follow_the_gateway_clock_not_the_client(casework: CaseworkWorld):
    cw = casework
    now = sh(27, 23, 17)
    cw.set_clock(now)
    live = contact(cw, "live")
    assert (live.status_code, live.json()["code"]) == (422, "CND-001")
    assert live.json()["backdated"] is False
    # a client clock a few seconds behind is the same moment: the gateway's 23:17 decides
    near = contact(cw, "near", now - dt.timedelta(seconds=20))
    assert (near.status_code, near.json()["code"], near.json()["backdated"]) == (422, "CND-001", False)
    # the tester's attack: the same attempt sent with a daytime time up to 7 days back. It is no longer a
    # live attempt: it is a late log of an attempt that happened then, allowed, recorded and flagged as such
    claimed = sh(25, 14, 0)
    late = contact(cw, "late", claimed)
    assert late.status_code == 201, late.text
    body = late.json()
    assert body["backdated"] is True
    assert dt.datetime.fromisoformat(body["attempted_at"]) == claimed
    assert dt.datetime.fromisoformat(body["recorded_at"]) == now
    assert (body["local_date"], body["local_time"], body["outcome"]) == ("2026-11-25", "14:00", "logged")
    # a late log is checked at the time it claims: a claimed 22:30 is refused, and says it was a late log
    night = contact(cw, "night", sh(27, 22, 30))
    assert (night.status_code, night.json()["code"], night.json()["backdated"]) == (422, "CND-001", True)
    assert [v["rule_id"] for v in night.json()["violations"]] == ["QUIET-HOURS"]
    # beyond the back-dating window: refused before any rule, nothing recorded
    old = contact(cw, "old", now - dt.timedelta(days=7, minutes=1))
    assert (old.status_code, old.json()["code"]) == (422, "CWK-422")
    rows = attempts(cw)
    assert [(r.outcome, r.backdated, r.local_time) for r in rows] == [
        ("refused", False, "23:17"),
        ("refused", False, "23:17"),
        ("logged", True, "14:00"),
        ("refused", True, "22:30"),
    ]
    assert all(r.recorded_at == now for r in rows)
    # the replay of the late log is the same late log
    again = contact(cw, "late", claimed)
    assert (again.status_code, again.json()["id"], again.json()["backdated"]) == (200, body["id"], True)


@pytest.mark.chain
@pytest.mark.parametrize("casework", ["sqlite"], indirect=True)
def test_a_client_clock_running_fast_cannot_open_the_day_early(casework: CaseworkWorld):
    cw = casework
    cw.set_clock(sh(27, 7, 58))
    early = contact(cw, "fast", sh(27, 8, 1))  # within the 300 s skew: the gateway's 07:58 decides
    assert (early.status_code, early.json()["code"], early.json()["backdated"]) == (422, "CND-001", False)
    cw.set_clock(sh(27, 8, 0))
    ok = contact(cw, "on-time", sh(27, 8, 3))
    assert ok.status_code == 201, ok.text
    assert (ok.json()["local_time"], ok.json()["backdated"]) == ("08:00", False)
    assert dt.datetime.fromisoformat(ok.json()["attempted_at"]) == sh(27, 8, 0)


@pytest.mark.chain
@pytest.mark.parametrize("casework", ["sqlite"], indirect=True)
@pytest.mark.parametrize("naive", ["2026-11-27T14:05:00", "2026-11-27 14:05"])
def test_a_time_without_offset_is_refused(casework: CaseworkWorld, naive: str):
    cw = casework
    cw.set_clock(sh(27, 15, 0))
    r = contact(cw, "naive", naive)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "CWK-422"
    assert "offset is required" in r.json()["detail"]
    assert r.json()["example"] == "2026-12-07T14:05:00+08:00"
    # refused whoever asks (a malformed time is refused before the holder is looked up); nothing recorded
    assert contact(cw, "naive-2", naive, who="collector-2").json()["code"] == "CWK-422"
    assert attempts(cw) == []
    # "Z" is an offset
    utc = contact(cw, "utc", "2026-11-27T02:00:00Z")  # 10:00 in Shanghai
    assert (utc.status_code, utc.json()["local_time"], utc.json()["backdated"]) == (201, "10:00", True)


@pytest.mark.chain
def test_a_late_log_counts_in_the_cap_of_the_day_it_claims(casework: CaseworkWorld):
    cw = casework
    cw.set_clock(sh(27, 15, 0))
    assert contact(cw, "live-1").status_code == 201
    assert contact(cw, "live-2").status_code == 201
    morning = contact(cw, "late-morning", sh(27, 9, 0))  # the third contact of the 27th
    assert (morning.status_code, morning.json()["backdated"]) == (201, True)
    capped = contact(cw, "live-3")
    assert (capped.status_code, capped.json()["code"]) == (422, "CND-002")
    # late logs fill the day they claim, not the day they are logged on
    for i, hh in enumerate((10, 11, 12)):
        r = contact(cw, f"late-26-{i}", sh(26, hh, 0))
        assert (r.status_code, r.json()["local_date"]) == (201, "2026-11-26"), r.text
    over = contact(cw, "late-26-4", sh(26, 13, 0))
    assert (over.status_code, over.json()["code"], over.json()["backdated"]) == (422, "CND-002", True)
    # and a late log cannot add a fourth contact to a day already full of live ones
    cw.set_clock(sh(28, 21, 0))
    for i in range(3):
        assert contact(cw, f"live-28-{i}").status_code == 201
    cw.set_clock(sh(28, 23, 30))
    assert contact(cw, "late-28", sh(28, 21, 30)).json()["code"] == "CND-002"


@pytest.mark.chain
def test_the_bank_sees_late_logs_flagged(casework: CaseworkWorld):
    cw = casework
    now = sh(27, 15, 0)
    cw.set_clock(now)
    assert contact(cw, "live").status_code == 201
    assert contact(cw, "late", sh(26, 10, 0)).status_code == 201
    assert contact(cw, "late-night", sh(26, 23, 0)).status_code == 422
    bank = cw.headers("bank")
    listed = cw.gw.http.get(f"/cases/{cw.case(0)}/contacts", headers=bank)
    assert listed.status_code == 200, listed.text
    data = listed.json()["data"]
    assert [(c["backdated"], c["outcome"], c["local_time"]) for c in data] == [
        (False, "logged", "15:00"),
        (True, "logged", "10:00"),
        (True, "refused", "23:00"),
    ]
    assert {dt.datetime.fromisoformat(c["recorded_at"]) for c in data} == {now}
    only_late = cw.gw.http.get(f"/cases/{cw.case(0)}/contacts", params={"backdated": "true"}, headers=bank)
    assert only_late.json()["count"] == 2
    assert [c["local_time"] for c in only_late.json()["data"]] == ["10:00", "23:00"]
    only_live = cw.gw.http.get(f"/cases/{cw.case(0)}/contacts", params={"backdated": "false"}, headers=bank)
    assert [c["local_time"] for c in only_live.json()["data"]] == ["15:00"]
    # regulators see how many late logs a collector made
    rec = cw.gw.http.get(f"/compliance/collectors/{cw.gw.address('collector')}", headers=cw.headers("regulator"))
    assert (rec.json()["contacts_logged"], rec.json()["contacts_backdated"]) == (2, 2)
    # the anchored contact log says so too: a late log's leaf carries the flag and the gateway's time
    late_row = attempts(cw)[1]
    leaf = contact_leaf(late_row, [])
    late_row.backdated = False
    assert contact_leaf(late_row, []) != leaf


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_flags_contacts_logged_late_before_it(request: pytest.FixtureRequest, backend: str, tmp_path: Path):
    url = (
        f"sqlite:///{tmp_path / 'm.sqlite'}"
        if backend == "sqlite"
        else fresh_pg_database(request.getfixturevalue("pg_server"))
    )
    engine = make_engine(url)
    try:
        command.upgrade(alembic_config(engine), "0004_case_vault")
        written = dt.datetime(2026, 11, 27, 7, 0, tzinfo=dt.UTC)
        claimed = [written, written - dt.timedelta(seconds=20), written - dt.timedelta(hours=20)]
        columns = ("case_id", "debtor_key", "institution", "collector", "channel", "local_date", "local_time")
        old_table = sa.table(
            "contact_attempts",
            *(sa.column(c) for c in (*columns, "outcome", "note_digest")),
            sa.column("attempted_at", UTCDateTime()),
            sa.column("created_at", UTCDateTime()),
        )
        values = dict(zip(columns, ("0xc", "d", "collector", "0xa", "phone", "2026-11-27", "15:00"), strict=True))
        with engine.begin() as conn:  # rows as the gateway wrote them before the migration
            conn.execute(
                sa.insert(old_table),
                [
                    {**values, "outcome": "logged", "note_digest": "", "attempted_at": at, "created_at": written}
                    for at in claimed
                ],
            )
        migrate(engine)
        with Session(engine) as s:
            rows = s.exec(select(ContactAttempt).order_by(ContactAttempt.id)).all()
            assert [r.backdated for r in rows] == [False, False, True]
            assert {r.recorded_at for r in rows} == {written}
            assert [r.attempted_at for r in rows] == claimed
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (dt.timedelta(seconds=300), "live"),  # a client clock up to max_clock_skew ahead
        (dt.timedelta(seconds=301), "refused"),
        (-dt.timedelta(seconds=30), "live"),  # up to live_tolerance behind: the same moment
        (-dt.timedelta(seconds=30, microseconds=1), "late"),
        (-dt.timedelta(days=7), "late"),
        (-dt.timedelta(days=7, seconds=1), "refused"),
    ],
)
def test_attempt_time_boundaries(offset: dt.timedelta, expected: str):
    now = sh(27, 15, 0)
    settings = ConductSettings()
    claimed = now + offset
    if expected == "refused":
        with pytest.raises(ContactTimeInvalidError):
            attempt_time(claimed=claimed, now=now, settings=settings)
        return
    got = attempt_time(claimed=claimed, now=now, settings=settings)
    assert got.recorded_at == now
    assert (got.at, got.backdated) == ((now, False) if expected == "live" else (claimed, True))
