"""Metric definitions on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics import (
    AnalyticsError,
    brier_score,
    expected_calibration_error,
    interval_coverage,
    mape,
    median_ape,
    reliability_curve,
)


def test_percentage_errors() -> None:
    assert mape([100, 200], [110, 180]) == pytest.approx(0.1)
    assert median_ape([100, 200, 400], [100, 220, 200]) == pytest.approx(0.1)
    with pytest.raises(AnalyticsError):
        mape([0, 1], [1, 1])


def test_interval_coverage_bounds_are_inclusive() -> None:
    assert interval_coverage([1, 2, 3, 4], [1, 0, 4, 0], [1, 1, 5, 4]) == 0.5


def test_brier_and_calibration_on_known_values() -> None:
    y = [0, 0, 1, 1]
    p = [0.1, 0.1, 0.9, 0.5]
    assert brier_score(y, p) == pytest.approx((0.01 + 0.01 + 0.01 + 0.25) / 4)
    curve = reliability_curve(y, p, n_bins=2)
    assert curve.count.tolist() == [2, 2]
    assert curve.mean_predicted.tolist() == pytest.approx([0.1, 0.7])
    assert curve.observed_rate.tolist() == pytest.approx([0.0, 1.0])
    assert expected_calibration_error(y, p, n_bins=2) == pytest.approx(0.5 * 0.1 + 0.5 * 0.3)
    with pytest.raises(AnalyticsError):
        brier_score([0, 2], [0.5, 0.5])


@given(st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=1, max_size=200), st.integers(1, 20))
def test_reliability_bins_partition_the_rows(rows: list[tuple[bool, float]], n_bins: int) -> None:
    y = np.array([int(a) for a, _ in rows])
    p = np.array([b for _, b in rows])
    for strategy in ("uniform", "quantile"):
        curve = reliability_curve(y, p, n_bins=n_bins, strategy=strategy)
        assert curve.n == len(rows)
        assert ((curve.observed_rate >= 0) & (curve.observed_rate <= 1)).all()
        assert 0 <= expected_calibration_error(y, p, n_bins=n_bins, strategy=strategy) <= 1
