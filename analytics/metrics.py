"""Model quality measures: valuation errors, interval coverage, and calibration of probabilities.

Definitions used everywhere in Recourse (benchmarks, model cards, tests):

* ``mape`` = mean of ``|prediction - actual| / actual`` and ``median_ape`` its median, as fractions
  (0.075 is 7.5 %); actual values must be positive.
* ``interval_coverage`` = share of rows with ``low <= actual <= high`` (bounds inclusive).
* ``coverage_by_third`` = that share within the lowest, middle and highest third of the rows ranked by
  ``by`` (the actual value unless another ranking, e.g. the estimate, is given; ties by position).
* ``brier_score`` = mean of ``(p - y)^2``.
* ``reliability_curve`` bins predictions into ``n_bins`` equal-width bins on [0, 1] (the last bin
  includes 1.0; ``strategy="quantile"`` uses equal-count bins instead) and reports, per non-empty
  bin, the mean prediction, the observed event rate and the count.
* ``expected_calibration_error`` = sum over bins of ``count / n * |observed - mean predicted|``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from analytics._exceptions import AnalyticsError

__all__ = [
    "ReliabilityCurve",
    "absolute_percentage_errors",
    "brier_score",
    "coverage_by_third",
    "expected_calibration_error",
    "interval_coverage",
    "mape",
    "median_ape",
    "reliability_curve",
]


def _pair(actual: ArrayLike, predicted: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=np.float64).ravel()
    p = np.asarray(predicted, dtype=np.float64).ravel()
    if a.shape != p.shape or a.size == 0:
        raise AnalyticsError(f"need two non-empty arrays of the same length, got {a.size} and {p.size}")
    return a, p


def absolute_percentage_errors(actual: ArrayLike, predicted: ArrayLike) -> np.ndarray:
    a, p = _pair(actual, predicted)
    if np.any(a <= 0):
        raise AnalyticsError("percentage errors need positive actual values")
    return np.asarray(np.abs(p - a) / a)


def mape(actual: ArrayLike, predicted: ArrayLike) -> float:
    return float(np.mean(absolute_percentage_errors(actual, predicted)))


def median_ape(actual: ArrayLike, predicted: ArrayLike) -> float:
    return float(np.median(absolute_percentage_errors(actual, predicted)))


def interval_coverage(actual: ArrayLike, low: ArrayLike, high: ArrayLike) -> float:
    a, lo = _pair(actual, low)
    _, hi = _pair(actual, high)
    return float(np.mean((lo <= a) & (a <= hi)))


def coverage_by_third(
    actual: ArrayLike, low: ArrayLike, high: ArrayLike, *, by: ArrayLike | None = None
) -> dict[str, float]:
    """Interval coverage per third of the rows ranked by ``by`` (default: the actual value)."""
    a, lo = _pair(actual, low)
    _, hi = _pair(actual, high)
    rank_by = a if by is None else _pair(actual, by)[1]
    order = np.argsort(rank_by, kind="stable")
    hit = (lo <= a) & (a <= hi)
    parts = np.array_split(order, 3)
    return {
        name: float(np.mean(hit[part])) if len(part) else float("nan")
        for name, part in zip(("lowest", "middle", "highest"), parts, strict=True)
    }


def _probabilities(y_true: ArrayLike, p: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y, q = _pair(y_true, p)
    if not np.all(np.isin(y, (0.0, 1.0))):
        raise AnalyticsError("y_true must hold only 0 and 1")
    if np.any((q < 0) | (q > 1)) or not np.all(np.isfinite(q)):
        raise AnalyticsError("probabilities must lie in [0, 1]")
    return y, q


def brier_score(y_true: ArrayLike, p: ArrayLike) -> float:
    y, q = _probabilities(y_true, p)
    return float(np.mean((q - y) ** 2))


@dataclass(frozen=True)
class ReliabilityCurve:
    """Per non-empty bin: its bounds, mean predicted probability, observed event rate and row count."""

    bin_low: np.ndarray
    bin_high: np.ndarray
    mean_predicted: np.ndarray
    observed_rate: np.ndarray
    count: np.ndarray

    @property
    def n(self) -> int:
        return int(self.count.sum())

    def to_rows(self) -> list[dict[str, float]]:
        return [
            {
                "bin_low": float(a),
                "bin_high": float(b),
                "mean_predicted": float(m),
                "observed_rate": float(o),
                "count": int(c),
            }
            for a, b, m, o, c in zip(
                self.bin_low, self.bin_high, self.mean_predicted, self.observed_rate, self.count, strict=True
            )
        ]


def reliability_curve(
    y_true: ArrayLike, p: ArrayLike, *, n_bins: int = 10, strategy: Literal["uniform", "quantile"] = "uniform"
) -> ReliabilityCurve:
    """Calibration per bin; ``quantile`` bins hold equal numbers of rows (useful when defaults are rare)."""
    if n_bins < 1:
        raise AnalyticsError("n_bins must be at least 1")
    y, q = _probabilities(y_true, p)
    if strategy == "quantile":
        inner = np.quantile(q, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
        edges = np.unique(np.concatenate([[0.0], inner, [1.0]]))
    elif strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        raise AnalyticsError(f"strategy must be 'uniform' or 'quantile', got {strategy!r}")
    n_bins = len(edges) - 1
    idx = np.clip(np.searchsorted(edges, q, side="right") - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins)
    sum_p = np.bincount(idx, weights=q, minlength=n_bins)
    sum_y = np.bincount(idx, weights=y, minlength=n_bins)
    keep = count > 0
    return ReliabilityCurve(
        bin_low=edges[:-1][keep],
        bin_high=edges[1:][keep],
        mean_predicted=sum_p[keep] / count[keep],
        observed_rate=sum_y[keep] / count[keep],
        count=count[keep],
    )


def expected_calibration_error(
    y_true: ArrayLike, p: ArrayLike, *, n_bins: int = 10, strategy: Literal["uniform", "quantile"] = "uniform"
) -> float:
    curve = reliability_curve(y_true, p, n_bins=n_bins, strategy=strategy)
    return float(np.sum(curve.count / curve.n * np.abs(curve.observed_rate - curve.mean_predicted)))
