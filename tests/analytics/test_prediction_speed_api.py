"""Valuations explain only when asked, and training with a seed and a trial cap is reproducible.

Speed itself is measured by ``bench/analytics_bench.py --only prediction``, not asserted here.
"""

from __future__ import annotations

import json
import re

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from analytics import (
    DEFAULT_BUDGET_S,
    RiskSettings,
    SchemaError,
    ValuationModel,
    ValuationSettings,
    cross_validate_valuation,
    fit_valuation,
    render_model_card,
    to_jsonable,
    valuation_card,
)
from analytics import valuation as valuation_module
from tests.analytics.conftest import HOUSE_SCHEMA, make_houses


def _refuse(*_args: object, **_kwargs: object) -> object:
    raise AssertionError("an explanation was computed without being asked for")


def test_predict_without_explain_computes_no_contributions(
    house_model: ValuationModel, houses: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_predict = lgb.Booster.predict

    def no_contrib(self: lgb.Booster, *args: object, **kwargs: object) -> object:
        assert not kwargs.get("pred_contrib"), "SHAP values were computed without being asked for"
        return real_predict(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lgb.Booster, "predict", no_contrib)
    for name in ("_Boosting", "_Hedonic", "_Comparables", "_Anchored"):
        cls = getattr(valuation_module, name)
        monkeypatch.setattr(cls, "explain", _refuse)
        monkeypatch.setattr(cls, "predict_explain", _refuse)
    rows = houses.iloc[400:460]
    pred = house_model.predict(rows)
    assert pred.contributions is None
    assert pred.base_value is None
    assert pred.explained == 0
    assert all(pred.valuation(i).contributions == () for i in range(len(pred)))
    assert all(v.contributions == () for v in house_model.value(rows, top=0))


def test_explain_k_gives_k_contributions_per_row_and_the_same_estimates(
    house_model: ValuationModel, houses: pd.DataFrame
) -> None:
    rows = houses.iloc[400:440]
    plain = house_model.predict(rows)
    explained = house_model.predict(rows, explain=4)
    assert np.array_equal(plain.estimate, explained.estimate)
    assert np.array_equal(plain.low, explained.low)
    assert np.array_equal(plain.high, explained.high)
    assert explained.explained == 4
    assert explained.contributions is not None
    assert explained.base_value is not None
    assert explained.contributions.shape == (len(rows), len(house_model.contribution_names))
    total = explained.base_value + explained.contributions.sum(axis=1)
    assert np.allclose(total, np.log(explained.estimate), rtol=0, atol=1e-9)
    for i in range(len(rows)):
        top = explained.valuation(i).contributions
        assert len(top) == 4
        effects = [abs(c.log_effect) for c in top]
        assert effects == sorted(effects, reverse=True)
    assert [len(v.contributions) for v in house_model.value(rows.iloc[:3], top=2)] == [2, 2, 2]
    every = house_model.value(rows.iloc[:1], top=None)[0]
    assert len(every.contributions) == len(house_model.contribution_names)
    with pytest.raises(SchemaError, match="explain"):
        house_model.predict(rows, explain=-1)


_VOLATILE = re.compile(r"^- (created|fit seconds):.*$|'?elapsed_s'?: [0-9.]+", re.MULTILINE)


def _card(model: ValuationModel, frame: pd.DataFrame, settings: ValuationSettings) -> tuple[str, str]:
    cv = cross_validate_valuation(frame, "price", HOUSE_SCHEMA, settings=settings, folds=3)
    card = valuation_card(model, cv, data={"rows": len(frame)}, created="now")
    facts = to_jsonable(model.describe())
    for volatile in ("fit_seconds",):
        facts.pop(volatile)
    facts["tuning"].pop("elapsed_s")
    return _VOLATILE.sub("", render_model_card(card)), json.dumps(facts, sort_keys=True)


def test_seed_and_max_trials_give_identical_cards_and_predictions() -> None:
    frame = make_houses(160, seed=31)
    settings = ValuationSettings(
        folds=3, budget_s=600, max_trials=3, seed=5, tuning_folds=2, neighbour_candidates=(5,), boosting_bags=2
    )
    a = fit_valuation(frame, "price", HOUSE_SCHEMA, settings=settings)
    b = fit_valuation(frame, "price", HOUSE_SCHEMA, settings=settings)
    assert a.version == b.version
    tuning = a.describe()["tuning"]
    assert tuning["trials"] == 3
    assert tuning["max_trials"] == 3
    assert tuning["budget_s"] == 600
    assert tuning["stopped_by"] == "trials"
    assert _card(a, frame, settings) == _card(b, frame, settings)
    rows = make_houses(50, seed=32)
    pa, pb = a.predict(rows, explain=3), b.predict(rows, explain=3)
    assert np.array_equal(pa.estimate, pb.estimate)
    assert np.array_equal(pa.low, pb.low)
    assert np.array_equal(pa.high, pb.high)
    assert pa.contributions is not None
    assert pb.contributions is not None
    assert np.array_equal(pa.contributions, pb.contributions)


def test_time_budget_is_an_upper_bound_and_the_card_says_which_limit_stopped() -> None:
    frame = make_houses(160, seed=33)
    settings = ValuationSettings(
        folds=3, budget_s=1e-9, max_trials=50, seed=5, tuning_folds=2, neighbour_candidates=(5,), boosting_bags=1
    )
    tuning = fit_valuation(frame, "price", HOUSE_SCHEMA, settings=settings).describe()["tuning"]
    assert tuning["stopped_by"] == "budget"
    assert tuning["trials"] < 50
    assert tuning["max_trials"] == 50


def test_one_default_budget_and_max_trials_checked() -> None:
    assert ValuationSettings().budget_s == RiskSettings().budget_s == DEFAULT_BUDGET_S
    with pytest.raises(SchemaError, match="max_trials"):
        ValuationSettings(max_trials=-1)
    with pytest.raises(SchemaError, match="max_trials"):
        RiskSettings(max_trials=-1)
