"""End-to-end: `recourse models train --seed --max-trials` twice gives the same model, card and predictions,
and `recourse models predict --explain K` writes K reasons per row (none without it)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analytics import DEFAULT_BUDGET_S
from tests.analytics.conftest import make_houses
from tests.support.serve_process import RECOURSE

pytestmark = pytest.mark.e2e

_VOLATILE = re.compile(r"^- (created|fit seconds):.*$|elapsed_s: [0-9.]+", re.MULTILINE)


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RECOURSE_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([str(RECOURSE), *args], env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


def _stable(meta: dict[str, Any]) -> dict[str, Any]:
    meta["training"].pop("fit_seconds")
    meta["training"]["tuning"].pop("elapsed_s")
    return meta


def test_seed_and_max_trials_reproduce_the_model_card_and_predictions(tmp_path: Path) -> None:
    houses = tmp_path / "houses.csv"
    make_houses(160, seed=41).to_csv(houses, index=False)
    subjects = tmp_path / "subjects.csv"
    make_houses(30, seed=42).drop(columns=["price"]).to_csv(subjects, index=False)
    train = ["models", "train", "valuation", "--data", str(houses), "--target", "price"]
    common = [*train, "--unavailable", "listing_price", "--folds", "3", "--jobs", "1", "--seed", "4"]
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        run(tmp_path, *common, "--max-trials", "2", "--out", str(out))
    metas = [_stable(json.loads((out / "metadata.json").read_text())) for out in outs]
    for meta in metas:  # the pickle holds the fit's duration, so its digest differs between runs
        meta["artefact"].pop("sha256")
    assert metas[0] == metas[1]
    tuning = metas[0]["training"]["tuning"]
    assert tuning["trials"] == 2
    assert tuning["max_trials"] == 2
    assert tuning["budget_s"] == DEFAULT_BUDGET_S  # the CLI's default budget is the analytics default
    assert tuning["stopped_by"] == "trials"
    cards = [_VOLATILE.sub("", (out / "model_card.md").read_text()) for out in outs]
    assert cards[0] == cards[1]
    assert "stopped_by: trials" in cards[0]

    predictions = []
    for out in outs:
        run(tmp_path, "models", "predict", str(out), "--data", str(subjects), "--out", str(out / "plain.csv"))
        run(
            tmp_path,
            "models",
            "predict",
            str(out),
            "--data",
            str(subjects),
            "--out",
            str(out / "explained.csv"),
            "--explain",
            "3",
        )
        predictions.append((out / "plain.csv").read_bytes())
        predictions.append((out / "explained.csv").read_bytes())
    assert predictions[0] == predictions[2]
    assert predictions[1] == predictions[3]
    plain = pd.read_csv(outs[0] / "plain.csv")
    explained = pd.read_csv(outs[0] / "explained.csv")
    assert list(plain.columns) == ["estimate", "low", "high"]
    assert len(plain) == 30
    assert list(explained.columns) == [
        "estimate",
        "low",
        "high",
        *[f"reason_{i}{suffix}" for i in (1, 2, 3) for suffix in ("", "_percent")],
    ]
    assert explained["reason_1"].notna().all()
    assert (plain["estimate"] == explained["estimate"]).all()
