"""Model cards render every section; figures are built without pyplot and render to PNG."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from analytics import (
    DefaultModel,
    ModelCard,
    ValuationModel,
    cross_validate_default_model,
    cross_validate_valuation,
    interval_coverage_figure,
    predicted_vs_actual_figure,
    reliability_curve,
    reliability_figure,
    render_model_card,
    risk_card,
    valuation_card,
)
from tests.analytics.conftest import FAST_RISK, FAST_VALUATION, HOUSE_SCHEMA, LOAN_SCHEMA


def png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    return buf.getvalue()


def test_render_has_all_sections() -> None:
    card = ModelCard(
        title="Test card",
        kind="risk",
        version="pd-0123",
        data={"name": "loans", "rows": 10},
        features=[("income", "numeric")],
        excluded=["int_rate"],
        metrics={"auc": 0.75},
        training={"weights": {"logistic": 1.0}},
        plots=[("Reliability", "reliability.png")],
    )
    text = render_model_card(card)
    for heading in (
        "# Test card",
        "## Data",
        "## Features (1)",
        "## Cross-validated metrics",
        "## Intended use",
        "## Limitations",
        "## Plots",
    ):
        assert heading in text
    assert "| auc | 0.7500 |" in text
    assert "`int_rate`" in text
    assert "![Reliability](reliability.png)" in text


def test_valuation_card_from_model(house_model: ValuationModel, houses: pd.DataFrame) -> None:
    cv = cross_validate_valuation(houses.iloc[:150], "price", HOUSE_SCHEMA, settings=FAST_VALUATION, folds=3)
    text = render_model_card(valuation_card(house_model, cv, data={"name": "synthetic houses", "rows": 150}))
    assert house_model.version in text
    assert "| mape |" in text
    assert "| coverage |" in text
    assert "`listing_price`" in text


def test_risk_card_and_figures(loan_model: DefaultModel, loans: pd.DataFrame) -> None:
    cv = cross_validate_default_model(loans.iloc[:600], "status", LOAN_SCHEMA, settings=FAST_RISK, folds=3)
    text = render_model_card(risk_card(loan_model, cv, data={"rows": 600}))
    assert "| auc |" in text
    assert "| ece |" in text
    fig = reliability_figure(cv.reliability(n_bins=5))
    assert png_bytes(fig).startswith(b"\x89PNG")


def test_valuation_figures_render() -> None:
    rng = np.random.default_rng(0)
    actual = rng.lognormal(12, 0.3, 200)
    est = actual * rng.lognormal(0, 0.1, 200)
    fig = predicted_vs_actual_figure(actual, est)
    assert len(fig.axes) == 1
    assert png_bytes(fig).startswith(b"\x89PNG")
    fig = interval_coverage_figure(actual, est * 0.85, est * 1.15, est, nominal=0.8)
    assert len(fig.axes) == 2
    assert png_bytes(fig).startswith(b"\x89PNG")
    curve = reliability_curve(rng.integers(0, 2, 100), rng.random(100), n_bins=4)
    assert png_bytes(reliability_figure(curve)).startswith(b"\x89PNG")
