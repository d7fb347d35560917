"""The replay's renderers: a self-contained, escaped HTML report with both charts; JSON; CSV and Parquet tables."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pytest

from chain.reducers import Event, replay
from chain.replay.model import Difference, IntegrityFailure, PrivilegedAction, ReplayReport, Series
from chain.replay.render import TABLES, ExportError, export_tables, render_html, write_html, write_json

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
DAY = 86_400
T0 = 1_780_000_000
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
ZERO = "0x0000000000000000000000000000000000000000"


def _report(**extra: object) -> ReplayReport:
    report = ReplayReport(
        chain_id=31337,
        rpc_url="http://127.0.0.1:8545",
        deployments="deployments.json",
        from_block=1,
        to_block=90,
        to_block_hash="0x" + "ab" * 32,
        events=12,
        contracts={"Consortium": ALICE, HOSTILE: BOB},
        differences=[Difference("SettlementToken", "balance", ALICE, "balance_fen", 5, None, 7, HOSTILE)],
        integrity=[IntegrityFailure("parent-hash", 40, "", "block 40 names another parent")],
        privileged=[
            PrivilegedAction(
                "000000000003/000000/000000",
                3,
                T0,
                "0x" + "cd" * 32,
                "Consortium",
                "MemberAdmitted",
                "admission",
                ALICE,
                HOSTILE,
                "0x" + "ef" * 32,
            )
        ],  # fmt: skip
        summaries={"Consortium": {"members": 3, "note": HOSTILE}},
        series=[
            Series("events per day", "events", ((T0, 5), (T0 + 60, 4), (T0 + 2 * DAY, 3))),
            Series("rCNY held by JudicialAuction", "fen", ((T0, 100), (T0 + DAY, 40))),
            Series("rCNY held by DisputeDesk", "fen", ((T0 + 60, 7),)),
        ],
        started_at=T0 + 3 * DAY,
        seconds=1.5,
    )
    for name, value in extra.items():
        setattr(report, name, value)
    return report


def test_the_html_report_is_self_contained(tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.html"

    write_html(_report(), path)

    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert "<link" not in page
    assert "@import" not in page
    assert "<script" not in page  # no script at all, hostile or not
    assert "<style>" in page


def test_the_html_report_escapes_every_value() -> None:
    page = render_html(_report())

    assert HOSTILE not in page
    assert "<img" not in page
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    # the difference's note, the actor's subject, a contract name and a summary value
    assert page.count(escaped) >= 4


def test_the_html_report_draws_activity_and_escrow_charts() -> None:
    page = render_html(_report())

    activity = re.search(r'<svg id="chart-activity".*?</svg>', page, re.DOTALL)
    escrow = re.search(r'<svg id="chart-escrow".*?</svg>', page, re.DOTALL)
    assert activity is not None
    assert escrow is not None
    # events per UTC day: 9 on the first day, 3 two days later (two bars)
    assert activity.group(0).count("<rect") == 2
    assert ": 9 events" in activity.group(0)
    # one step line per escrow plus their total, with a legend
    assert escrow.group(0).count("<path") == 3
    assert "total in escrow" in escrow.group(0)
    assert "rCNY held by DisputeDesk" in escrow.group(0)


def test_the_verdict_says_ok_or_counts_what_is_wrong() -> None:
    clean = render_html(_report(differences=[], integrity=[]))
    dirty = render_html(_report())

    assert 'class="verdict ok"' in clean
    assert "NOT OK: 1 difference, 1 integrity failure" in dirty


def test_privileged_actions_show_who_when_in_utc_and_the_digest() -> None:
    page = render_html(_report())

    section = page[page.index('id="privileged"') :]
    assert ALICE in section
    assert "2026-05-28 20:26:40 UTC" in section
    assert "0x" + "ef" * 32 in section
    assert "admission" in section


def test_charts_without_series_say_no_data() -> None:
    page = render_html(_report(series=[]))

    assert page.count("no data") == 2


def test_the_json_report_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "report.json"

    write_json(_report(), path)

    body = json.loads(path.read_text(encoding="utf-8"))
    assert body["ok"] is False
    assert body["differences"][0]["index"] == 7
    assert body["privileged"][0]["subject"] == HOSTILE
    assert body["series"][0]["points"][0] == [T0, 5]


def _states() -> dict[str, object]:
    huge = 2**70  # beyond 64 bits: written as a decimal string
    events = [
        Event(
            "000000000002/000000/000000",
            2,
            "Consortium",
            "MemberAdmitted",
            {
                "account": ALICE,
                "nameDigest": b"\x01" * 32,
                "roles": 1,
                "region": 310000,
                "licenceExpiry": 0,
                "kycTier": 2,
            },
        ),
        Event(
            "000000000003/000000/000000", 3, "SettlementToken", "Transfer", {"from": ZERO, "to": ALICE, "value": huge}
        ),
        Event("000000000004/000000/000000", 4, "SettlementToken", "Transfer", {"from": ALICE, "to": BOB, "value": 5}),
    ]
    return replay(events)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_export_tables_writes_one_csv_per_entity_kind(tmp_path: Path) -> None:
    paths = export_tables(_states(), tmp_path / "tables", "csv")

    assert [p.name for p in paths] == [f"{name}.csv" for name, _, _ in TABLES]
    names = {p.stem for p in paths}
    for kind in ("members", "balances", "evidence_roots", "case_batches", "case_records", "oracle_reports", "lots",
                 "bidders", "fraction_holders", "disputes", "dispute_instalments"):  # fmt: skip
        assert kind in names
    balances = _read_csv(tmp_path / "tables" / "balances.csv")
    assert list(balances[0]) == ["address", "amount_fen", "updated_key"]
    assert {r["address"]: r["amount_fen"] for r in balances} == {ALICE: str(2**70 - 5), BOB: "5"}
    members = _read_csv(tmp_path / "tables" / "members.csv")
    assert members[0]["roles"] == "BANK"
    assert members[0]["kyc_tier"] == "2"
    assert members[0]["suspended"] == "False"
    with (tmp_path / "tables" / "disputes.csv").open(encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    assert header[:4] == ["dispute_id", "case_id", "opener", "bank"]
    assert "paid" in header


def test_export_tables_writes_parquet_with_the_same_columns(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pandas as pd

    paths = export_tables(_states(), tmp_path, "parquet")

    assert len(paths) == len(TABLES)
    balances = pd.read_parquet(tmp_path / "balances.parquet")
    assert list(balances.columns) == ["address", "amount_fen", "updated_key"]
    assert sorted(balances["amount_fen"]) == sorted([str(2**70 - 5), "5"])
    members = pd.read_parquet(tmp_path / "members.parquet")
    assert int(members["kyc_tier"].iloc[0]) == 2
    lots = pd.read_parquet(tmp_path / "lots.parquet")
    assert len(lots) == 0
    assert "highest_bid" in lots.columns


def test_csv_needs_no_pyarrow_and_parquet_says_it_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed

    paths = export_tables(_states(), tmp_path, "csv")

    assert len(paths) == len(TABLES)
    with pytest.raises(ExportError, match="pyarrow"):
        export_tables(_states(), tmp_path, "parquet")
