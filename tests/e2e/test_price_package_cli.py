"""End-to-end: ``recourse models train-recovery`` then ``recourse models price-package`` as a user runs them
(real CLI processes, no chain): the same file and seed give the same JSON, money is integer fen, and bad
input is one line with exit code 1."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analytics.recovery import BALANCE, MONTHS, RECOVERED
from tests.analytics.test_recovery import make_npls
from tests.support.serve_process import RECOURSE


def recourse(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RECOURSE_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [str(RECOURSE), "models", *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    return proc.stderr.strip()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A data dir with a recovery model trained from a CSV recovery table, and a package file."""
    root = tmp_path_factory.mktemp("price-package")
    loans = make_npls(600, seed=21)
    loans.to_csv(root / "recoveries.csv", index=False)
    proc = recourse(
        root / "data",
        "train-recovery",
        "--data",
        str(root / "recoveries.csv"),
        "--test-from",
        "2024-03-01",
        "--packages",
        "10",
        "--simulations",
        "100",
    )
    assert proc.returncode == 0, proc.stderr
    assert "recovery model rec-" in proc.stdout
    assert "per-loan MAE" in proc.stdout
    package = root / "package.csv"
    loans.drop(columns=[RECOVERED, MONTHS]).head(250).to_csv(package, index=False)
    return root / "data", package


def test_train_recovery_writes_the_artefact_and_a_model_card(trained: tuple[Path, Path]) -> None:
    data_dir, _ = trained
    (model_dir,) = (data_dir / "models").glob("recovery-*")
    card = (model_dir / "model_card.md").read_text(encoding="utf-8")
    meta = json.loads((model_dir / "metadata.json").read_text(encoding="utf-8"))
    assert meta["kind"] == "recovery"
    assert meta["version"] == model_dir.name.removeprefix("recovery-")
    assert f"`{meta['version']}`" in card
    assert "## Out-of-time evaluation" in card
    assert meta["out_of_time"]["test_period"].startswith("2024-03-01")
    assert (model_dir / "model.pkl").is_file()


def test_price_package_json_is_deterministic_integer_fen_and_adds_up(trained: tuple[Path, Path]) -> None:
    data_dir, package = trained
    args = ("price-package", str(package), "--discount-rate", "0.08", "--seed", "5", "--simulations", "300", "--json")
    first = recourse(data_dir, *args)
    assert first.returncode == 0, first.stderr
    again = recourse(data_dir, *args)
    assert again.stdout == first.stdout
    result = json.loads(first.stdout)
    total = result["total"]
    assert total["loans"] == 250
    assert total["balance_fen"] == int(pd.read_csv(package)[BALANCE].sum())
    for row in [total, *result["segments"]]:
        assert all(type(v) is int for k, v in row.items() if k.endswith("_fen"))
        assert row["p10_pv_fen"] <= row["p50_pv_fen"] <= row["p90_pv_fen"]
    assert result["segment_by"] == "grade"
    assert sum(s["expected_pv_fen"] for s in result["segments"]) == total["expected_pv_fen"]
    assert result["discount_rate"] == "0.080000"
    reseeded = recourse(data_dir, *args[:4], "--seed", "6", "--simulations", "300", "--json")
    assert json.loads(reseeded.stdout)["total"]["p50_pv_fen"] != total["p50_pv_fen"]
    parquet = package.with_suffix(".parquet")
    pd.read_csv(package).to_parquet(parquet, index=False)
    from_parquet = recourse(data_dir, "price-package", str(parquet), *args[2:])
    assert from_parquet.returncode == 0, from_parquet.stderr
    assert json.loads(from_parquet.stdout) == result  # the same loans: the same digest and price
    by_purpose = recourse(data_dir, *args, "--segment", "purpose")
    assert {s["segment"] for s in json.loads(by_purpose.stdout)["segments"]} == {"car", "card", "home"}
    table = recourse(data_dir, "price-package", str(package), "--discount-rate", "0.08", "--simulations", "100")
    assert table.returncode == 0, table.stderr
    assert "total" in table.stdout
    assert result["model_version"] in table.stdout


def test_bad_input_is_one_line_and_exit_1(trained: tuple[Path, Path], tmp_path: Path) -> None:
    data_dir, package = trained
    missing = recourse(data_dir, "price-package", str(tmp_path / "nope.csv"), "--discount-rate", "0.08")
    assert missing.returncode == 1
    assert "does not exist" in one_line(missing)
    rate = recourse(data_dir, "price-package", str(package), "--discount-rate", "1.5")
    assert rate.returncode == 1
    assert "--discount-rate must be an annual rate between 0 and 1" in one_line(rate)
    no_model = recourse(tmp_path / "empty", "price-package", str(package), "--discount-rate", "0.08")
    assert no_model.returncode == 1
    assert "no recovery model" in one_line(no_model)
    assert "recourse models train-recovery" in one_line(no_model)
    lacking = tmp_path / "lacking.csv"
    pd.read_csv(package).drop(columns=["rate"]).to_csv(lacking, index=False)
    cols = recourse(data_dir, "price-package", str(lacking), "--discount-rate", "0.08")
    assert cols.returncode == 1
    assert "lacks column(s) the model needs: 'rate'" in one_line(cols)
    text = tmp_path / "loans.txt"
    text.write_text("x", encoding="utf-8")
    wrong = recourse(data_dir, "price-package", str(text), "--discount-rate", "0.08")
    assert wrong.returncode == 1
    assert "must be .csv or .parquet" in one_line(wrong)
