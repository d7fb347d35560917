"""Valuation: interval honesty, exact contributions, determinism, the leakage guard, any schema."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import (
    SchemaError,
    ValuationModel,
    ValuationSettings,
    cross_validate_valuation,
    fit_valuation,
    interval_coverage,
    mape,
    to_minor_units,
)
from tests.unit.analytics.conftest import (
    CONDITIONS,
    FAST_VALUATION,
    HOUSE_SCHEMA,
    MACHINE_SCHEMA,
    make_houses,
    make_machines,
)

house_rows = st.fixed_dictionaries(
    {
        "floor_area": st.floats(5.0, 2_000.0),
        "rooms": st.integers(0, 30),
        "age": st.one_of(st.none(), st.floats(0, 300)),
        "has_garage": st.booleans(),
        "sale_year": st.integers(1990, 2040),
        "condition": st.one_of(st.none(), st.sampled_from(CONDITIONS)),
        "district": st.one_of(st.none(), st.sampled_from(["north", "centre", "unknown-district"])),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=house_rows)
def test_interval_contains_estimate_and_contributions_add_up(house_model: ValuationModel, row: dict) -> None:
    pred = house_model.predict(pd.DataFrame([row]))
    est, low, high = pred.estimate[0], pred.low[0], pred.high[0]
    assert np.isfinite([est, low, high]).all()
    assert 0 < low <= est <= high
    assert math.isclose(pred.base_value + pred.contributions[0].sum(), math.log(est), rel_tol=0, abs_tol=1e-9)
    valuation = pred.valuation(0, top=3)
    assert len(valuation.contributions) == 3
    est_minor, low_minor, high_minor = valuation.minor_units()
    assert low_minor <= est_minor <= high_minor
    assert all(isinstance(v, int) for v in (est_minor, low_minor, high_minor))


def test_model_learns_and_covers_held_out_rows(house_model: ValuationModel, houses: pd.DataFrame) -> None:
    test = houses.iloc[400:]
    pred = house_model.predict(test)
    naive = np.full(len(test), float(houses["price"].iloc[:400].median()))
    assert mape(test["price"], pred.estimate) < 0.5 * mape(test["price"], naive)
    assert mape(test["price"], pred.estimate) < 0.10
    assert 0.65 <= interval_coverage(test["price"], pred.low, pred.high) <= 0.95
    top = {c.feature for c in pred.valuation(0, top=3).contributions}
    assert "floor_area" in top or "district" in top


def test_unavailable_column_is_never_used(house_model: ValuationModel, houses: pd.DataFrame) -> None:
    rows = houses.iloc[400:420].copy()
    base = house_model.predict(rows).estimate
    rows["listing_price"] = rows["listing_price"] * 10
    assert np.array_equal(house_model.predict(rows).estimate, base)
    assert "listing_price" not in house_model.contribution_names


def test_same_seed_gives_same_model_and_version(houses: pd.DataFrame) -> None:
    tuned = ValuationSettings(folds=3, budget_s=600, max_trials=2, tuning_folds=2, seed=3, neighbour_candidates=(5,))
    a = fit_valuation(houses.iloc[:200], "price", HOUSE_SCHEMA, settings=tuned)
    b = fit_valuation(houses.iloc[:200], "price", HOUSE_SCHEMA, settings=tuned)
    assert a.tuning.trials == 2
    assert a.tuning.stopped_by == "trials"
    assert a.version == b.version
    rows = houses.iloc[200:230]
    assert np.array_equal(a.predict(rows).estimate, b.predict(rows).estimate)
    assert np.array_equal(a.predict(rows).high, b.predict(rows).high)
    other = fit_valuation(houses.iloc[:200], "price", HOUSE_SCHEMA, settings=dataclasses.replace(tuned, seed=4))
    assert other.version != a.version


def test_version_depends_on_training_data(houses: pd.DataFrame) -> None:
    fast = ValuationSettings(folds=3, budget_s=0, approaches=("hedonic_regression", "comparable_sales"))
    a = fit_valuation(houses.iloc[:150], "price", HOUSE_SCHEMA, settings=fast)
    changed = houses.iloc[:150].copy()
    changed.loc[changed.index[0], "price"] *= 1.01
    b = fit_valuation(changed, "price", HOUSE_SCHEMA, settings=fast)
    assert a.version.startswith("val-")
    assert b.version.startswith("val-")
    assert a.version != b.version


def test_differently_shaped_schema_uses_income_and_cost_approaches() -> None:
    frame = make_machines(500, seed=11)
    model = fit_valuation(frame.iloc[:350], "appraised_value", MACHINE_SCHEMA, settings=FAST_VALUATION)
    approaches = model.describe()["oof_metrics"]["approach_mape"]
    assert {"income_approach", "cost_approach", "gradient_boosting"} <= set(approaches)
    # the income approach is exact up to the rent noise, so it must beat the generic hedonic model
    assert approaches["income_approach"] < approaches["hedonic_regression"]
    test = frame.iloc[350:]
    pred = model.predict(test)
    assert mape(test["appraised_value"], pred.estimate) < 0.08
    assert (pred.low <= pred.estimate).all()
    assert (pred.estimate <= pred.high).all()
    # a machine without rent still gets a value (the income approach falls back inside itself)
    no_rent = test.head(5).assign(annual_rent=np.nan)
    assert np.isfinite(model.predict(no_rent).estimate).all()


def test_cross_validation_predicts_every_row_once() -> None:
    frame = make_houses(240, seed=12)
    fast = ValuationSettings(folds=3, budget_s=0, approaches=("hedonic_regression", "gradient_boosting"))
    cv = cross_validate_valuation(frame, "price", HOUSE_SCHEMA, settings=fast, folds=3)
    assert (cv.fold >= 0).all()
    assert sorted(np.bincount(cv.fold).tolist()) == [80, 80, 80]
    metrics = cv.metrics
    assert 0 < metrics["mape"] < 0.2
    assert 0.5 < metrics["coverage"] <= 1.0
    assert len(cv.versions) == 3


def test_bad_targets_are_refused(houses: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="differs from the schema's target"):
        fit_valuation(houses, "listing_price", HOUSE_SCHEMA, settings=FAST_VALUATION)
    broken = houses.copy()
    broken.loc[broken.index[:3], "price"] = 0.0
    with pytest.raises(SchemaError, match="3 missing or non-positive"):
        fit_valuation(broken, "price", HOUSE_SCHEMA, settings=FAST_VALUATION)
    with pytest.raises(SchemaError, match="coverage"):
        ValuationSettings(coverage=1.0)


def test_to_minor_units_rounds_as_asked() -> None:
    assert to_minor_units(1234.56) == 123456
    assert to_minor_units(10.001, rounding="floor") == 1000
    assert to_minor_units(10.001, rounding="ceil") == 1001
    assert to_minor_units(7.5, minor_per_unit=1) == 8
    with pytest.raises(SchemaError):
        to_minor_units(float("nan"))
