"""Valuation: interval honesty, exact contributions, determinism, the leakage guard, any schema."""

from __future__ import annotations

import dataclasses
import math
import pickle

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
from analytics.valuation import _Boosting, _forward_blocks, _time_values
from tests.analytics.conftest import (
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
    pred = house_model.predict(pd.DataFrame([row]), explain=3)
    assert pred.base_value is not None
    assert pred.contributions is not None
    est, low, high = pred.estimate[0], pred.low[0], pred.high[0]
    assert np.isfinite([est, low, high]).all()
    assert 0 < low <= est <= high
    assert math.isclose(pred.base_value + pred.contributions[0].sum(), math.log(est), rel_tol=0, abs_tol=1e-9)
    valuation = pred.valuation(0)
    assert len(valuation.contributions) == 3
    est_minor, low_minor, high_minor = valuation.minor_units()
    assert low_minor <= est_minor <= high_minor
    assert all(isinstance(v, int) for v in (est_minor, low_minor, high_minor))


def test_model_learns_and_covers_held_out_rows(house_model: ValuationModel, houses: pd.DataFrame) -> None:
    test = houses.iloc[400:]
    pred = house_model.predict(test, explain=3)
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


# --- out-of-time calibration -----------------------------------------------------------------------


def test_forward_blocks_predict_each_later_slice_from_earlier_rows_only() -> None:
    when = np.repeat([2006.0, 2007.0, 2008.0, 2009.0], 50)
    blocks = _forward_blocks(when, 5, min_rows=20)
    assert [sorted(set(when[val])) for _, val in blocks] == [[2007.0], [2008.0], [2009.0]]
    for train, val in blocks:
        assert when[train].max() < when[val].min()
        assert len(train) == int(np.sum(when < when[val].min()))
    # a first slice too small to train on is skipped
    assert len(_forward_blocks(when, 5, min_rows=60)) == 2


def test_time_values_read_numbers_and_datetimes() -> None:
    schema = dataclasses.replace(HOUSE_SCHEMA, date_column="sold")
    years = _time_values(pd.DataFrame({"sold": [2019, 2020]}), schema)
    assert years is not None
    assert years.tolist() == [2019.0, 2020.0]
    dates = _time_values(pd.DataFrame({"sold": pd.to_datetime(["2020-01-01", "2021-01-01"])}), schema)
    assert dates is not None
    assert dates[1] - dates[0] == pytest.approx(366 / 365.25)
    assert _time_values(pd.DataFrame({"sold": [2019, None]}), schema) is None
    assert _time_values(pd.DataFrame({"other": [1]}), dataclasses.replace(HOUSE_SCHEMA, date_column=None)) is None


def test_assets_dated_after_training_get_the_out_of_time_interval() -> None:
    # price noise grows every year and the date is not a feature: random folds mix the years and
    # see the average noise, the latest slice of the training period sees the noise of now
    schema = dataclasses.replace(HOUSE_SCHEMA, numeric=tuple(c for c in HOUSE_SCHEMA.numeric if c != "sale_year"))
    frame = make_houses(900, seed=21)
    noise = np.random.default_rng(121).normal(0.0, 1.0, len(frame)) * 0.05 * (frame["sale_year"] - 2015)
    frame["price"] = frame["price"] * np.exp(noise)
    train, test = frame[frame["sale_year"] < 2020], frame[frame["sale_year"] == 2020]
    model = fit_valuation(train, "price", schema, settings=FAST_VALUATION)
    oot = model.oof_metrics["out_of_time"]
    # calibrated on the most recent period only: every row of the latest slice of the training years
    assert oot["calibration_to"] == 2019.0
    assert oot["calibration_from"] > train["sale_year"].min()
    assert oot["calibration_rows"] == int(np.sum(train["sale_year"] >= oot["calibration_from"]))
    assert model.last_time == 2019.0
    assert model.future_quantiles[1] > model.quantiles[1]
    future, in_period = model.predict(test), model.predict(test, out_of_time=False)
    assert np.array_equal(future.estimate, in_period.estimate)
    assert np.array_equal(future.high, model.predict(test, out_of_time=True).high)
    assert (future.high > in_period.high).all()
    y = test["price"]
    assert interval_coverage(y, future.low, future.high) > interval_coverage(y, in_period.low, in_period.high) + 0.05
    # rows inside the training period keep the random-fold interval; rows without a date get the future one
    inside = train.head(20)
    assert np.array_equal(model.predict(inside).high, model.predict(inside, out_of_time=False).high)
    undated = test.drop(columns=["sale_year"])
    assert np.array_equal(model.predict(undated).high, future.high)


def test_without_a_date_column_there_is_one_interval(houses: pd.DataFrame) -> None:
    schema = dataclasses.replace(HOUSE_SCHEMA, date_column=None)
    fast = ValuationSettings(folds=3, budget_s=0, approaches=("hedonic_regression",))
    model = fit_valuation(houses.iloc[:200], "price", schema, settings=fast)
    assert model.future_quantiles == model.quantiles
    assert model.last_time is None
    assert model.oof_metrics["out_of_time"] == {}
    rows = houses.iloc[200:220]
    assert np.array_equal(model.predict(rows).high, model.predict(rows, out_of_time=False).high)


def test_models_pickled_before_out_of_time_calibration_and_bagging_still_predict(houses: pd.DataFrame) -> None:
    fast = ValuationSettings(folds=3, budget_s=0, approaches=("gradient_boosting",), boosting_bags=2)
    model = fit_valuation(houses.iloc[:200], "price", HOUSE_SCHEMA, settings=fast)
    old = pickle.loads(pickle.dumps(model))  # noqa: S301 - our own object
    del old.__dict__["future_quantiles"], old.__dict__["last_time"]
    (boosting,) = old.approaches
    assert isinstance(boosting, _Boosting)
    boosting.__dict__["booster"] = boosting.__dict__.pop("boosters")[0]
    del boosting.__dict__["bags"]
    old = pickle.loads(pickle.dumps(old))  # noqa: S301 - our own object
    rows = houses.iloc[200:210].assign(sale_year=2040)
    before, now = old.predict(rows), model.predict(rows, out_of_time=False)
    assert (before.low <= before.estimate).all()
    assert (before.estimate <= before.high).all()
    # an old model keeps the random-fold interval it had, around its single booster's estimate
    assert np.allclose(before.high / before.estimate, now.high / now.estimate, rtol=1e-12)
    assert not np.allclose(before.estimate, now.estimate, rtol=1e-9)
    assert np.allclose(before.estimate, now.estimate, rtol=0.1)
