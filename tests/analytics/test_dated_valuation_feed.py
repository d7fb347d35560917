"""The oracle feed values an asset with a model trained on dated sales: the subject gives the date, and the
feed passes it to the model in place of the year, month and age the model derives from it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from analytics import fit_valuation
from oracles.feeds.valuation import ValuationFeed
from tests.analytics.conftest import FAST_VALUATION
from tests.analytics.test_time_and_coverage import dated_houses, dated_schema


def test_a_dated_model_values_a_subject_with_its_date(tmp_path: Path) -> None:
    frame = dated_houses(300, seed=5)
    model = fit_valuation(
        frame, "price", dated_schema(frame), settings=dataclasses.replace(FAST_VALUATION, interval_bins=1)
    )
    row = frame.iloc[0].drop(labels=["price"]).to_dict()
    subjects = tmp_path / "subjects.json"
    subjects.write_text(json.dumps({"subjects": {"asset:dated": row}}, default=str), encoding="utf-8")
    feed = ValuationFeed(model, subjects)
    early = feed.observe("asset:dated", {**row, "sold_on": "2015-02-01"})
    late = feed.observe("asset:dated", {**row, "sold_on": "2019-11-01"})
    assert 0 < early.low <= early.value <= early.high
    assert late.value > early.value  # prices rise over time in this data: the date reached the model
    assert late.feature_digest != early.feature_digest
