"""``recourse models train`` on CSV data: artefact, model card, plots; bad input becomes a ValueError."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scripts.models_cli import ModelKind, models_app, train_model
from tests.analytics.conftest import make_houses, make_loans


@pytest.fixture
def houses_csv(tmp_path: Path) -> Path:
    path = tmp_path / "houses.csv"
    make_houses(180, seed=21).to_csv(path, index=False)
    return path


def test_train_valuation_writes_artefact_card_and_plots(houses_csv: Path, tmp_path: Path) -> None:
    result = train_model(
        ModelKind.valuation,
        str(houses_csv),
        target="price",
        unavailable=["listing_price"],
        budget=0,
        folds=3,
        jobs=1,
        data_dir=tmp_path / "data",
    )
    assert result.out_dir == tmp_path / "data" / "models" / f"valuation-{result.version}"
    names = {p.name for p in result.files}
    assert names == {"model.pkl", "model_card.md", "metadata.json", "predicted_vs_actual.png", "interval_coverage.png"}
    meta = json.loads((result.out_dir / "metadata.json").read_text())
    artefact = result.out_dir / "model.pkl"
    assert meta["artefact"]["sha256"] == hashlib.sha256(artefact.read_bytes()).hexdigest()
    assert meta["version"] == result.version
    assert "listing_price" in meta["schema"]["unavailable"]
    card = (result.out_dir / "model_card.md").read_text()
    assert "## Cross-validated metrics" in card
    assert "![Predicted vs actual (held out)](predicted_vs_actual.png)" in card
    assert (result.out_dir / "interval_coverage.png").read_bytes().startswith(b"\x89PNG")
    with artefact.open("rb") as fh:
        saved = pickle.load(fh)  # noqa: S301 - the test wrote this file itself
    assert saved["version"] == result.version
    pred = saved["model"].predict(make_houses(5, seed=22))
    assert (pred.low <= pred.estimate).all()
    assert 0 < result.metrics["mape"] < 0.2


def test_train_risk_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "loans.csv"
    make_loans(600, seed=23).to_csv(path, index=False)
    out = tmp_path / "out"
    result = train_model(
        ModelKind.risk, str(path), target="status", positive="default", budget=0, folds=3, jobs=1, out=out
    )
    assert result.out_dir == out
    assert (out / "reliability.png").read_bytes().startswith(b"\x89PNG")
    assert result.version.startswith("pd-")
    assert 0.5 < result.metrics["auc"] <= 1.0


@pytest.mark.parametrize(
    ("kind", "data", "extra", "message"),
    [
        (ModelKind.valuation, "nowhere", {}, "unknown data set 'nowhere'"),
        (ModelKind.valuation, "missing.csv", {"target": "price"}, "does not exist"),
        (ModelKind.risk, "ames", {}, "is a valuation data set"),
        (ModelKind.valuation, "lending_club", {}, "is a risk data set"),
        (ModelKind.valuation, "HOUSES", {}, "needs --target"),
        (ModelKind.valuation, "HOUSES", {"target": "nope"}, "--target 'nope' is not a column"),
        (ModelKind.valuation, "HOUSES", {"target": "price", "budget": -1}, "--budget must be >= 0"),
        (ModelKind.risk, "HOUSES", {"target": "district", "folds": 3}, "--positive"),
    ],
)
def test_bad_input_is_one_clear_value_error(
    kind: ModelKind, data: str, extra: dict, message: str, houses_csv: Path, tmp_path: Path
) -> None:
    data = str(houses_csv) if data == "HOUSES" else str(tmp_path / data) if data.endswith(".csv") else data
    with pytest.raises(ValueError, match=message) as info:
        train_model(kind, data, data_dir=tmp_path, **extra)
    assert "\n" not in str(info.value)


def test_cli_command_reports_errors_as_value_error() -> None:
    result = CliRunner().invoke(models_app, ["train", "valuation", "--data", "nowhere"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ValueError)
    assert "unknown data set" in str(result.exception)
    usage = CliRunner().invoke(models_app, ["train", "pricing", "--data", "ames"])
    assert usage.exit_code == 2
