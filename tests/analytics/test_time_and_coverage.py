"""Time as an input (parsed dates, out-of-time evaluation and calibration) and intervals per price third."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pandas as pd
import pytest

from analytics import (
    DateColumnError,
    FeatureEncoder,
    Schema,
    ValuationSettings,
    add_date_features,
    coverage_by_third,
    cross_validate_default_model,
    cross_validate_valuation,
    evaluation_facts,
    fit_default_model,
    fit_valuation,
    out_of_time_splits,
    parse_dates,
    render_model_card,
    risk_card,
    time_values,
    valuation_card,
)
from tests.analytics.conftest import FAST_RISK, FAST_VALUATION, HOUSE_SCHEMA, LOAN_SCHEMA, make_houses, make_loans


def dated_houses(n: int, seed: int) -> pd.DataFrame:
    """Houses with an ISO sale date (``sold_on``) instead of a sale year; prices rise 3 % a year."""
    rng = np.random.default_rng(seed)
    frame = make_houses(n, seed=seed).drop(columns=["sale_year", "listing_price"])
    days = rng.integers(0, 5 * 365, n)
    sold = pd.Timestamp("2015-01-01") + pd.to_timedelta(days, unit="D")
    frame["price"] = frame["price"] * np.exp(0.03 * days / 365.25)
    frame["sold_on"] = sold.strftime("%Y-%m-%d")
    return frame


def dated_schema(frame: pd.DataFrame) -> Schema:
    return Schema.infer(
        frame,
        "price",
        ordinal={"condition": ("poor", "fair", "good", "excellent")},
        date_column="sold_on",
        name="dated-houses",
    ).with_date_features(frame)


# --- dates as features ------------------------------------------------------------------------------


def test_a_date_column_becomes_year_month_and_age_features_not_a_category() -> None:
    frame = dated_houses(300, seed=1)
    plain = Schema.infer(frame, "price", date_column="sold_on")
    assert "sold_on" in plain.categorical  # without parsing, a date would be one category per day
    schema = plain.with_date_features(frame)
    assert "sold_on" not in schema.features
    assert schema.date_features == ("sold_on:year", "sold_on:month", "sold_on:age_days")
    assert set(schema.date_features) <= set(schema.numeric)
    latest = max(frame["sold_on"])
    assert schema.date_reference == latest
    assert schema.input_columns[-1] == "sold_on"
    enriched = add_date_features(frame, schema)
    when = pd.to_datetime(frame["sold_on"])
    assert enriched["sold_on:year"].tolist() == when.dt.year.astype(float).tolist()
    assert enriched["sold_on:month"].tolist() == when.dt.month.astype(float).tolist()
    assert enriched["sold_on:age_days"].tolist() == (pd.Timestamp(latest) - when).dt.days.astype(float).tolist()
    assert enriched["sold_on:age_days"].min() == 0.0
    tree = FeatureEncoder(schema).fit(frame).tree_frame(frame)
    for j, name in enumerate(schema.features):
        if name in schema.date_features:
            assert tree[f"f{j}"].dtype == np.float64  # numbers, not a categorical


def test_prediction_measures_age_from_the_training_reference_kept_in_the_artefact() -> None:
    frame = dated_houses(400, seed=2)
    schema = dated_schema(frame)
    model = fit_valuation(frame, "price", schema, settings=dataclasses.replace(FAST_VALUATION, interval_bins=1))
    restored = pickle.loads(pickle.dumps(model))  # noqa: S301 - our own bytes
    assert restored.schema.date_reference == schema.date_reference
    later = frame.head(5).assign(sold_on="2021-06-30")
    ages = add_date_features(later, restored.schema)["sold_on:age_days"]
    expected = (pd.Timestamp(schema.date_reference) - pd.Timestamp("2021-06-30")).days
    assert ages.tolist() == [float(expected)] * 5  # negative: after the reference, not re-based on these rows
    pred = restored.predict(later)
    assert np.array_equal(pred.estimate, model.predict(later).estimate)
    # the same rows dated later are valued higher (prices rise over time in this data)
    earlier = later.assign(sold_on="2015-03-01")
    assert float(np.median(model.predict(later).estimate / model.predict(earlier).estimate)) > 1.02
    with pytest.raises(DateColumnError, match="lacks the date column 'sold_on'"):
        model.predict(later.drop(columns=["sold_on"]))


def test_a_missing_or_non_date_column_is_an_error_naming_it() -> None:
    frame = dated_houses(50, seed=3)
    with pytest.raises(DateColumnError, match=r"'sold_onn' is not a column \(did you mean 'sold_on'\?\)") as missing:
        parse_dates(frame, "sold_onn")
    assert missing.value.code == "ANA-007"
    with pytest.raises(DateColumnError, match="'district' holds 50 value.s. that are not ISO dates.*'"):
        parse_dates(frame, "district")
    with pytest.raises(DateColumnError, match="'rooms' holds numbers"):
        parse_dates(frame, "rooms")
    holes = frame.assign(sold_on=frame["sold_on"].where(frame.index % 10 != 0, None))
    with pytest.raises(DateColumnError, match="5 row.s. without a date"):
        Schema.infer(holes, "price", date_column="sold_on").with_date_features(holes)
    slashed = frame.assign(sold_on=pd.to_datetime(frame["sold_on"]).dt.strftime("%d/%m/%Y"))
    with pytest.raises(DateColumnError, match="not ISO dates"):
        parse_dates(slashed, "sold_on")


# --- out-of-time evaluation -------------------------------------------------------------------------


@pytest.mark.parametrize("folds", [1, 3])
def test_out_of_time_folds_test_only_rows_dated_after_every_training_row(folds: int) -> None:
    rng = np.random.default_rng(4)
    when = rng.integers(0, 60, 1000).astype(float)  # 60 months, many rows share a month
    splits = out_of_time_splits(when, folds=folds)
    assert len(splits) == folds
    tested = np.concatenate([test for _, test in splits])
    assert len(np.unique(tested)) == len(tested)
    assert 0.15 <= len(tested) / len(when) <= 0.25
    assert when[tested].min() > np.quantile(when, 0.7)
    for train, test in splits:
        assert when[train].max() < when[test].min()  # every test row after every training row
        assert len(train) == int(np.sum(when < when[test].min()))  # and every earlier row trains
    with pytest.raises(DateColumnError, match="same date"):
        out_of_time_splits(np.full(100, 2010.0))


def test_valuation_evaluation_out_of_time_and_its_card() -> None:
    frame = dated_houses(500, seed=5)
    schema = dated_schema(frame)
    when = time_values(frame, schema)
    assert when is not None
    splits = out_of_time_splits(when, folds=2)
    fast = dataclasses.replace(FAST_VALUATION, approaches=("hedonic_regression",))
    cv = cross_validate_valuation(frame, "price", schema, settings=fast, splits=splits)
    tested = cv.fold >= 0
    assert when[tested].min() > when[~tested].max()
    model = fit_valuation(frame, "price", schema, settings=fast)
    facts = evaluation_facts(frame, schema, splits, out_of_time=True)
    card = render_model_card(valuation_card(model, cv, data={"rows": 500, "name": "dated"}, evaluation=facts))
    first_test = frame["sold_on"].iloc[splits[0][1]].min()
    assert "## Held-out metrics (out of time)" in card
    assert "- scheme: out of time: each test slice is predicted by a model trained only on rows dated before it" in card
    assert f"- training period: {frame['sold_on'].min()} to " in card
    assert f"- test period: {first_test} to {frame['sold_on'].max()}" in card
    for third in ("lowest", "middle", "highest"):
        assert f"| coverage_{third}_price_third |" in card
    assert "| coverage by third of the estimate | lowest: " in card


def test_calibration_set_is_the_most_recent_period() -> None:
    frame = dated_houses(600, seed=6)
    schema = dated_schema(frame)
    model = fit_valuation(frame, "price", schema, settings=dataclasses.replace(FAST_VALUATION, folds=4))
    oot = model.oof_metrics["out_of_time"]
    when = time_values(frame, schema)
    assert when is not None
    assert oot["calibration_to"] == when.max()
    assert oot["calibration_from"] > np.quantile(when, 0.6)
    # every row from the start of the calibration period on, and nothing earlier
    assert oot["calibration_rows"] == int(np.sum(when >= oot["calibration_from"]))
    assert model.last_time == when.max()


def test_risk_evaluation_out_of_time() -> None:
    loans = make_loans(1500, seed=7)
    loans["issued"] = (
        pd.Timestamp("2016-01-01") + pd.to_timedelta(np.random.default_rng(7).integers(0, 730, 1500), unit="D")
    ).strftime("%Y-%m-%d")
    schema = dataclasses.replace(LOAN_SCHEMA, date_column="issued").with_date_features(loans)
    when = time_values(loans, schema)
    assert when is not None
    splits = out_of_time_splits(when, folds=2)
    cv = cross_validate_default_model(loans, "status", schema, settings=FAST_RISK, splits=splits)
    for _, test in splits:
        assert cv.fold[test].min() >= 0
    assert when[cv.fold >= 0].min() > when[cv.fold < 0].max()
    assert cv.metrics["auc"] > 0.6
    model = fit_default_model(loans, "status", schema, settings=FAST_RISK)
    assert "issued:age_days" in model.schema.features
    card = render_model_card(
        risk_card(model, cv, data={}, evaluation=evaluation_facts(loans, schema, splits, out_of_time=True))
    )
    assert "## Held-out metrics (out of time)" in card
    assert "Calibration is measured on loans dated after the training period (out of time)" in card


# --- coverage per price third --------------------------------------------------------------------


def test_coverage_by_third_ranks_by_actual_or_by_another_value() -> None:
    actual = np.arange(1.0, 10.0)
    low, high = actual - 0.5, actual + 0.5
    low[:2] = actual[:2] + 0.1  # two misses among the three cheapest
    by_actual = coverage_by_third(actual, low, high)
    assert by_actual == {"lowest": pytest.approx(1 / 3), "middle": 1.0, "highest": 1.0}
    by_other = coverage_by_third(actual, low, high, by=-actual)  # reversed ranking: misses now in the top third
    assert by_other["highest"] == pytest.approx(1 / 3)


def lumpy_dear_assets(n: int, seed: int) -> pd.DataFrame:
    """Assets whose dearer two thirds sell either at the asking price or, half the time, at a 20-60 % discount.

    Log price is linear in one size feature. The cheapest third has plain 8 % noise; the dearer thirds'
    errors are lumpy and skewed (tight around 0, or far below), which a residual-size model scales but
    cannot reshape: one pair of quantiles for every score is then set by the dear assets' shape, and
    the cheap third, whose normalised errors are spread differently, falls short of 80 %.
    """
    rng = np.random.default_rng(seed)
    size = rng.uniform(0.0, 3.0, n)
    noise = rng.normal(0.0, 0.08, n)
    dear = size >= 1.0
    noise[dear] = rng.normal(0.0, 0.03, int(dear.sum()))
    discounted = dear & (rng.random(n) < 0.5)
    noise[discounted] -= rng.uniform(0.2, 0.6, int(discounted.sum()))
    return pd.DataFrame({"size": size, "colour": rng.choice(["a", "b"], n), "price": np.exp(10.0 + size + noise)})


def test_plain_split_conformal_undercovers_the_cheap_third_and_mondrian_bins_fix_it() -> None:
    train, test = lumpy_dear_assets(3000, seed=8), lumpy_dear_assets(6000, seed=9)
    schema = Schema(target="price", numeric=("size",), categorical=("colour",), name="lumpy")
    base = ValuationSettings(folds=5, budget_s=0, approaches=("hedonic_regression",), seed=1)
    y = test["price"].to_numpy()
    plain = fit_valuation(train, "price", schema, settings=dataclasses.replace(base, interval_bins=1)).predict(test)
    mondrian = fit_valuation(train, "price", schema, settings=dataclasses.replace(base, interval_bins=3)).predict(test)
    assert np.array_equal(plain.estimate, mondrian.estimate)  # only the interval differs
    pooled = fit_valuation(train, "price", schema, settings=base).predict(test, conditional=False)
    assert np.allclose(pooled.high, plain.high)  # a Mondrian model's pooled quantiles are plain split conformal
    # the plain method can fail: one pair of quantiles leaves the cheap third well short of 80 %
    plain_thirds = coverage_by_third(y, plain.low, plain.high, by=plain.estimate)
    assert plain_thirds["lowest"] < 0.77
    assert coverage_by_third(y, plain.low, plain.high)["lowest"] < 0.77  # by actual price as well
    # one pair per third of the estimate: each third of the estimate within 3 points of 80 %
    thirds = coverage_by_third(y, mondrian.low, mondrian.high, by=mondrian.estimate)
    for name, value in thirds.items():
        assert abs(value - 0.8) <= 0.03, (name, value, thirds)
    # and the cheapest third by actual price too (the bins are set on the estimate, so this is not guaranteed)
    assert abs(coverage_by_third(y, mondrian.low, mondrian.high)["lowest"] - 0.8) <= 0.03


def test_artefacts_pickled_before_bins_and_parsed_dates_still_load_and_predict() -> None:
    frame = make_houses(300, seed=10)
    model = fit_valuation(frame, "price", HOUSE_SCHEMA, settings=FAST_VALUATION)
    state = dict(model.__dict__)
    for name in ("bin_edges", "bin_quantiles", "future_bin_quantiles"):
        del state[name]  # what an artefact written before Mondrian bins holds
    schema_state = dict(model.schema.__dict__)
    del schema_state["date_reference"]
    old_schema = object.__new__(Schema)
    object.__setattr__(old_schema, "__dict__", schema_state)
    state["schema"] = old_schema
    old = pickle.loads(pickle.dumps(state))  # noqa: S301 - our own bytes
    restored = type(model).__new__(type(model))
    restored.__setstate__(old)
    assert restored.schema.date_reference is None
    pred, pooled = restored.predict(frame.head(50)), model.predict(frame.head(50), conditional=False)
    assert np.array_equal(pred.estimate, pooled.estimate)
    assert np.allclose(pred.low, pooled.low)  # one pair of quantiles for every estimate, as then
    assert np.allclose(pred.high, pooled.high)
