"""The gateway's valuation service with a model trained on a parsed date column: the date is an input."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from analytics import Schema, fit_valuation
from node_api.problems import AnalyticsRefusedError, InvalidInputError
from node_api.schemas.analytics import ValuationCreate
from node_api.services.analytics import ModelRegistry, value_asset
from tests.analytics.conftest import FAST_VALUATION
from tests.analytics.test_time_and_coverage import dated_houses


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    frame = dated_houses(300, seed=12)
    schema = Schema.infer(
        frame, "price", ordinal={"condition": ("poor", "fair", "good", "excellent")}, date_column="sold_on"
    ).with_date_features(frame)
    model = fit_valuation(frame, "price", schema, settings=FAST_VALUATION)
    model_dir = tmp_path_factory.mktemp("models")
    (model_dir / f"valuation-{model.version}").mkdir()
    with Path(model_dir / f"valuation-{model.version}" / "model.pkl").open("wb") as fh:
        pickle.dump({"kind": "valuation", "version": model.version, "model": model}, fh)
    return ModelRegistry(model_dir)


FEATURES = {"floor_area": 120.0, "rooms": 4, "age": 20.0, "district": "north", "condition": "good", "has_garage": True}


def test_the_date_column_is_given_as_an_iso_date_not_as_its_parts(registry: ModelRegistry) -> None:
    valued = value_asset(registry=registry, body=ValuationCreate(features={**FEATURES, "sold_on": "2020-03-01"}))
    assert valued.low <= valued.estimate <= valued.high
    assert valued.missing_features == []
    later = value_asset(registry=registry, body=ValuationCreate(features={**FEATURES, "sold_on": "2021-03-01"}))
    assert later.estimate != valued.estimate  # the date moves the value (prices rise in this data)
    with pytest.raises(InvalidInputError, match="sold_on:age_days"):
        value_asset(registry=registry, body=ValuationCreate(features={**FEATURES, "sold_on:age_days": 10.0}))


def test_a_date_that_is_not_an_iso_date_is_a_problem_with_the_date_code(registry: ModelRegistry) -> None:
    with pytest.raises(AnalyticsRefusedError) as refused:
        value_asset(registry=registry, body=ValuationCreate(features={**FEATURES, "sold_on": "03/01/2020"}))
    assert (refused.value.code, refused.value.http_status) == ("ANA-007", 422)
    assert "date column 'sold_on'" in refused.value.detail
