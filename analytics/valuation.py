"""Valuation of any asset described by tabular features: estimate, honest 80 % interval, explanation.

``fit_valuation(frame, target, schema)`` learns, in log space (values must be positive), from up to
five approaches, each a standard appraisal method:

* ``gradient_boosting`` — LightGBM on every feature, hyperparameters tuned by Optuna within
  ``settings.budget_s`` (see :mod:`analytics._tuning`); ``settings.boosting_bags`` boosters with
  different seeds (row and column subsampling) are averaged, which lowers the variance.
* ``hedonic_regression`` — ridge regression on the standardised design with spline terms (the hedonic
  pricing model), refitted once with Huber weights so distressed or mis-recorded sales pull it less.
* ``comparable_sales`` — the market approach: the ``k`` most similar sales (distance in the hedonic
  model's value units, ``k`` chosen by leave-one-out), each adjusted for its differences to the subject
  with the hedonic coefficients, i.e. ``h(x) + mean(y_j - h(x_j))`` over the comparables.
* ``income_approach`` — when the schema names a ``rent_feature``: ``log value = log rent + m(x)``, a
  learned (gross-rent) multiplier.
* ``cost_approach`` — when the schema names ``cost_features``: ``log value = log(sum of costs) + m(x)``.

Rows without a usable rent or cost fall back to the hedonic estimate inside that approach.
The approaches' out-of-fold predictions (``settings.folds``-fold CV) are combined by a non-negative
linear stack (cross-validated stacking). The prediction interval is cross-conformal (CV+ style, no
data held back): the finite-sample ``(1 - coverage) / 2`` and ``(1 + coverage) / 2`` quantiles of the
stack's out-of-fold log residuals, each divided by a cross-fitted LightGBM estimate of the residual
size, so the interval adapts to how hard each asset is. The quantiles are Mondrian (conditional on
the estimate): the out-of-fold estimates are cut into ``settings.interval_bins`` equal-count bins
(thirds by default) and each bin gets its own pair of quantiles, so cheap assets, whose errors are
often skewed (distressed sales), are covered as often as dear ones rather than only on average. The
lower quantile is capped at 0 and the upper floored at 0, so the interval always contains the
estimate. Coverage is marginal within each bin, not per asset; the benchmark measures it per price
third on held-out rows.

Valuations are usually asked for *after* the data was collected, and random folds cannot see a shift
in time. So when the schema names a ``date_column``, a second set of quantiles is calibrated out of
time on the most recent period: the training period is cut into ``settings.folds`` slices by date
quantiles, and the latest slice is predicted by the same approaches and stack fitted only on the
rows before it. Its scores (per bin) calibrate the interval of assets dated after the last training
date (or of rows without a date); rows inside the training period keep the random-fold interval.
Nothing of this changes the estimate.

Feature contributions are exact in log space: ``log(estimate) = base_value + sum(contributions)``,
from LightGBM's built-in SHAP values (``pred_contrib``), the linear terms of the ridge models, the
comparables' adjustment (reported as ``comparable_sales``) and the rent/cost anchors. They cost far
more than the estimate (tree SHAP on every bagged booster), so ``predict`` computes them only on
request: ``predict(frame, explain=k)`` with ``k > 0``; the estimate and interval never depend on it.

The model version is a SHA-256 over the schema, a digest of the training data, the settings, the
tuned hyperparameters, the stack weights, both pairs of interval quantiles, the last training date
and the library versions: the same
inputs always give the same version.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Protocol

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, RidgeCV
from sklearn.model_selection import KFold
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]  # scikit-learn's own dependency

from analytics._exceptions import NotFittedError, SchemaError
from analytics._tuning import DEFAULT_BUDGET_S, TuningResult, train_booster, tune_lightgbm
from analytics.features import FeatureEncoder, Schema, frame_digest, stable_digest, time_values
from analytics.metrics import coverage_by_third, interval_coverage, mape, median_ape

__all__ = [
    "APPROACHES",
    "Contribution",
    "Valuation",
    "ValuationCV",
    "ValuationModel",
    "ValuationPrediction",
    "ValuationSettings",
    "cross_validate_valuation",
    "fit_valuation",
    "to_minor_units",
]

logger = logging.getLogger(__name__)

APPROACHES = ("gradient_boosting", "hedonic_regression", "comparable_sales", "income_approach", "cost_approach")
COMPARABLES_TERM = "comparable_sales"
_CODE_VERSION = "valuation/3"
#: a Mondrian bin with fewer calibration scores than this uses the pooled quantiles
_MIN_BIN_SCORES = 20
_RIDGE_ALPHAS = np.logspace(-2, 4, 25)
_HUBER_C = 2.5
#: prediction runs single-threaded, like training (see :mod:`analytics._tuning`): on a busy machine
#: OpenMP's spin-waiting costs more than a second thread gains, most of all for a single row
_PREDICT_THREADS = 1
_threadpools: list[ThreadpoolController] = []


def _one_thread() -> Any:
    """A context in which OpenMP (scikit-learn's neighbour search) uses one thread."""
    if not _threadpools:
        _threadpools.append(ThreadpoolController())
    return _threadpools[0].limit(limits=1, user_api="openmp")


@dataclass(frozen=True)
class ValuationSettings:
    """How to fit: nominal interval coverage, stacking folds, tuning budget and seed.

    ``out_of_time``: when the schema has a date column, calibrate a second interval, for assets
    dated after the training period, on forward-chaining (out-of-time) residuals.
    ``boosting_bags``: LightGBM models (seeds ``seed``, ``seed + 1``...) averaged by the boosting approach.
    ``interval_bins``: equal-count bins of the estimate, each with its own conformal quantiles
    (Mondrian conformal; 1: one pair for every asset, plain split conformal).
    """

    coverage: float = 0.8
    folds: int = 5
    budget_s: float = DEFAULT_BUDGET_S
    max_trials: int | None = None
    seed: int = 0
    tuning_folds: int = 3
    neighbour_candidates: tuple[int, ...] = (5, 10, 20, 40)
    min_category_count: int = 5
    approaches: tuple[str, ...] = APPROACHES
    out_of_time: bool = True
    boosting_bags: int = 3
    interval_bins: int = 3

    def __post_init__(self) -> None:
        if not 0.0 < self.coverage < 1.0:
            raise SchemaError(f"coverage must be in (0, 1), got {self.coverage}")
        if self.folds < 2:
            raise SchemaError(f"folds must be at least 2, got {self.folds}")
        if self.budget_s < 0:
            raise SchemaError(f"budget_s must be >= 0, got {self.budget_s}")
        if self.max_trials is not None and self.max_trials < 0:
            raise SchemaError(f"max_trials must be >= 0 (0: no tuning) or None, got {self.max_trials}")
        unknown = [a for a in self.approaches if a not in APPROACHES]
        if unknown or not self.approaches:
            raise SchemaError(f"approaches must be a non-empty subset of {APPROACHES}, got {list(self.approaches)}")
        if self.interval_bins < 1:
            raise SchemaError(f"interval_bins must be at least 1, got {self.interval_bins}")
        if self.boosting_bags < 1:
            raise SchemaError(f"boosting_bags must be at least 1, got {self.boosting_bags}")
        if not self.neighbour_candidates or min(self.neighbour_candidates) < 1:
            raise SchemaError("neighbour_candidates must be positive integers")

    def to_dict(self) -> dict[str, Any]:
        return {
            "coverage": self.coverage,
            "folds": self.folds,
            "budget_s": self.budget_s,
            "max_trials": self.max_trials,
            "seed": self.seed,
            "tuning_folds": self.tuning_folds,
            "neighbour_candidates": list(self.neighbour_candidates),
            "min_category_count": self.min_category_count,
            "approaches": list(self.approaches),
            "out_of_time": self.out_of_time,
            "boosting_bags": self.boosting_bags,
        } | ({"interval_bins": self.interval_bins} if self.interval_bins != 1 else {})


# --- data held by every approach -----------------------------------------------------------------


@dataclass
class _Data:
    tree: pd.DataFrame
    lin: np.ndarray
    anchors: dict[str, np.ndarray]
    z: np.ndarray | None = None
    _matrices: dict[Any, np.ndarray] = field(default_factory=dict, repr=False)

    def target(self, idx: np.ndarray) -> np.ndarray:
        if self.z is None:
            raise NotFittedError("training rows need a target")
        return np.asarray(self.z[idx])

    def tree_matrix(self, booster: lgb.Booster) -> np.ndarray:
        """``tree`` as the float matrix LightGBM makes of it for ``booster``, converted once per booster family.

        The same conversion as LightGBM's own for a DataFrame (categoricals become their codes in the
        booster's category order, unseen values NaN), so predictions are identical; every booster
        trained on this encoder's frames shares the category lists, so bagged boosters and the
        residual-size model convert the frame once instead of once each.
        """
        cats: list[list[Any]] = booster.pandas_categorical or []
        key = tuple(tuple(c) for c in cats)
        matrix = self._matrices.get(key)
        if matrix is None:
            columns: list[np.ndarray] = []
            cat_iter = iter(cats)
            for name in self.tree.columns:
                col = self.tree[name]
                if isinstance(col.dtype, pd.CategoricalDtype):
                    categories = next(cat_iter)
                    if list(col.cat.categories) != list(categories):  # as LightGBM: recode only when they differ
                        col = col.cat.set_categories(categories)
                    codes = col.cat.codes.to_numpy(np.float64)
                    codes[codes < 0] = np.nan
                    columns.append(codes)
                else:
                    columns.append(col.to_numpy(np.float64, na_value=np.nan))
            matrix = np.column_stack(columns) if columns else np.zeros((len(self.tree), 0))
            self._matrices[key] = matrix
        return matrix


class _Approach(Protocol):
    name: str

    def fit(self, data: _Data, idx: np.ndarray) -> None: ...

    def predict(self, data: _Data, idx: np.ndarray) -> np.ndarray: ...

    def explain(self, data: _Data, idx: np.ndarray) -> tuple[np.ndarray, float]: ...

    def predict_explain(self, data: _Data, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]: ...


def _predict_explain(approach: _Approach, data: _Data, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``predict`` and ``explain`` of one approach (the estimate is ``predict``'s, to the last bit)."""
    out, base = approach.explain(data, idx)
    return approach.predict(data, idx), out, base


class _Boosting:
    name = "gradient_boosting"

    def __init__(self, tuning: TuningResult, seed: int, n_features: int, bags: int = 1) -> None:
        self.tuning, self.seed, self.n_features, self.bags = tuning, seed, n_features, bags
        self.boosters: list[lgb.Booster] = []

    def __setstate__(self, state: dict[str, Any]) -> None:
        # pickled before bagging: one booster
        if "booster" in state:
            booster = state.pop("booster")
            state.update(boosters=[] if booster is None else [booster], bags=1)
        self.__dict__.update(state)

    def _models(self) -> list[lgb.Booster]:
        if not self.boosters:
            raise NotFittedError("gradient boosting approach is not fitted")
        return self.boosters

    def fit(self, data: _Data, idx: np.ndarray) -> None:
        self.boosters = [
            train_booster(
                data.tree.iloc[idx],
                data.target(idx),
                task="regression",
                tuning=self.tuning,
                seed=self.seed + bag,
            )
            for bag in range(self.bags)
        ]

    def predict(self, data: _Data, idx: np.ndarray) -> np.ndarray:
        models = self._models()
        x = data.tree_matrix(models[0])[idx]
        return np.asarray(
            np.mean([np.asarray(b.predict(x, num_threads=_PREDICT_THREADS), dtype=np.float64) for b in models], axis=0)
        )

    def predict_explain(self, data: _Data, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        return _predict_explain(self, data, idx)

    def explain(self, data: _Data, idx: np.ndarray) -> tuple[np.ndarray, float]:
        models = self._models()
        x = data.tree_matrix(models[0])[idx]
        contrib = np.mean(
            [
                np.asarray(b.predict(x, pred_contrib=True, num_threads=_PREDICT_THREADS), dtype=np.float64)
                for b in models
            ],
            axis=0,
        )
        out = np.zeros((len(idx), self.n_features + 1))
        out[:, : self.n_features] = contrib[:, : self.n_features]
        base = float(contrib[0, -1]) if len(idx) else 0.0
        out[:, 0] += contrib[:, -1] - base  # the expected value is constant; keep exact additivity anyway
        return out, base


class _Linear:
    """Ridge on the design matrix, with per-feature linear contributions."""

    def __init__(self, owner: np.ndarray, n_features: int) -> None:
        self.owner, self.n_features = owner, n_features
        self.coef = np.zeros(len(owner))
        self.intercept = 0.0
        self.mean = np.zeros(len(owner))

    def fit_xy(self, x: np.ndarray, y: np.ndarray) -> None:
        model = RidgeCV(alphas=_RIDGE_ALPHAS).fit(x, y)
        # one Huber-style reweighting: rows far off the fit (e.g. distressed sales) pull it less
        r = y - model.predict(x)
        spread = 1.4826 * float(np.median(np.abs(r - np.median(r))))
        if spread > 0:
            weights = np.minimum(1.0, _HUBER_C * spread / np.maximum(np.abs(r), 1e-12))
            model = RidgeCV(alphas=_RIDGE_ALPHAS).fit(x, y, sample_weight=weights)
        self.coef = np.asarray(model.coef_, dtype=np.float64)
        self.intercept = float(model.intercept_)
        self.mean = x.mean(axis=0)

    def value(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x @ self.coef + self.intercept)

    def explain_x(self, x: np.ndarray) -> tuple[np.ndarray, float]:
        out = np.zeros((x.shape[0], self.n_features + 1))
        terms = (x - self.mean) * self.coef
        for col in range(terms.shape[1]):
            out[:, self.owner[col]] += terms[:, col]
        return out, float(self.intercept + self.mean @ self.coef)


class _Hedonic:
    name = "hedonic_regression"

    def __init__(self, owner: np.ndarray, n_features: int) -> None:
        self.linear = _Linear(owner, n_features)

    def fit(self, data: _Data, idx: np.ndarray) -> None:
        self.linear.fit_xy(data.lin[idx], data.target(idx))

    def predict(self, data: _Data, idx: np.ndarray) -> np.ndarray:
        return self.linear.value(data.lin[idx])

    def explain(self, data: _Data, idx: np.ndarray) -> tuple[np.ndarray, float]:
        return self.linear.explain_x(data.lin[idx])

    def predict_explain(self, data: _Data, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        return _predict_explain(self, data, idx)


class _Comparables:
    name = "comparable_sales"

    def __init__(self, owner: np.ndarray, n_features: int, candidates: Sequence[int]) -> None:
        self.hedonic = _Hedonic(owner, n_features)
        self.candidates = sorted(set(candidates))
        self.k = self.candidates[0]
        self.index: NearestNeighbors | None = None
        self.residuals = np.zeros(0)
        self.weights = np.zeros(0)

    def fit(self, data: _Data, idx: np.ndarray) -> None:
        self.hedonic.fit(data, idx)
        z = data.target(idx)
        self.residuals = z - self.hedonic.predict(data, idx)
        self.weights = np.abs(self.hedonic.linear.coef)
        space = data.lin[idx] * self.weights
        k_max = min(max(self.candidates), len(idx) - 1)
        self.index = NearestNeighbors(n_neighbors=max(1, k_max)).fit(space)
        # leave-one-out choice of k: ask for one more neighbour and drop the row itself
        _, nbrs = NearestNeighbors(n_neighbors=min(k_max + 1, len(idx))).fit(space).kneighbors(space)
        is_self = nbrs == np.arange(len(idx))[:, None]
        others = np.take_along_axis(nbrs, np.argsort(is_self, axis=1, kind="stable"), axis=1)[:, :k_max]
        fitted = z - self.residuals
        best, best_err = self.candidates[0], math.inf
        for k in (c for c in self.candidates if c <= k_max):
            pred = fitted + self.residuals[others[:, :k]].mean(axis=1)
            err = float(np.mean(np.abs(pred - z)))
            if err < best_err:
                best, best_err = k, err
        self.k = min(best, k_max) if k_max >= 1 else 1

    def _adjustment(self, data: _Data, idx: np.ndarray) -> np.ndarray:
        if self.index is None:
            raise NotFittedError("comparable-sales approach is not fitted")
        with _one_thread():
            _, nbrs = self.index.kneighbors(data.lin[idx] * self.weights, n_neighbors=self.k)
        return np.asarray(self.residuals[nbrs].mean(axis=1))

    def predict(self, data: _Data, idx: np.ndarray) -> np.ndarray:
        return np.asarray(self.hedonic.predict(data, idx) + self._adjustment(data, idx))

    def explain(self, data: _Data, idx: np.ndarray) -> tuple[np.ndarray, float]:
        out, base = self.hedonic.explain(data, idx)
        out[:, -1] += self._adjustment(data, idx)
        return out, base

    def predict_explain(self, data: _Data, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        adjustment = self._adjustment(data, idx)  # the neighbour search, once for both
        out, base = self.hedonic.explain(data, idx)
        out[:, -1] += adjustment
        return np.asarray(self.hedonic.predict(data, idx) + adjustment), out, base


class _Anchored:
    """Income or cost approach: ``log value = log anchor + multiplier(x)``; hedonic where no anchor."""

    def __init__(self, name: str, anchor_features: Sequence[int], owner: np.ndarray, n_features: int) -> None:
        self.name = name
        self.anchor_features = list(anchor_features)
        self.ratio = _Linear(owner, n_features)
        self.fallback = _Hedonic(owner, n_features)
        self.mean_anchor = 0.0
        self.enabled = False

    def fit(self, data: _Data, idx: np.ndarray) -> None:
        self.fallback.fit(data, idx)
        anchor = data.anchors[self.name][idx]
        valid = np.isfinite(anchor)
        self.enabled = int(valid.sum()) >= 20
        if self.enabled:
            rows = idx[valid]
            self.ratio.fit_xy(data.lin[rows], data.target(rows) - anchor[valid])
            self.mean_anchor = float(anchor[valid].mean())

    def predict(self, data: _Data, idx: np.ndarray) -> np.ndarray:
        out = self.fallback.predict(data, idx)
        if self.enabled:
            anchor = data.anchors[self.name][idx]
            valid = np.isfinite(anchor)
            out[valid] = anchor[valid] + self.ratio.value(data.lin[idx[valid]])
        return out

    def explain(self, data: _Data, idx: np.ndarray) -> tuple[np.ndarray, float]:
        out, fb_base = self.fallback.explain(data, idx)
        if not self.enabled:
            return out, fb_base
        anchor = data.anchors[self.name][idx]
        valid = np.isfinite(anchor)
        ratio_out, ratio_base = self.ratio.explain_x(data.lin[idx[valid]])
        base = ratio_base + self.mean_anchor
        share = 1.0 / len(self.anchor_features)
        for j in self.anchor_features:
            ratio_out[:, j] += share * (anchor[valid] - self.mean_anchor)
            out[~valid, j] += share * (fb_base - base)
        out[valid] = ratio_out
        return out, base

    def predict_explain(self, data: _Data, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        return _predict_explain(self, data, idx)


# --- results ---------------------------------------------------------------------------------------


def to_minor_units(value: float, *, minor_per_unit: int = 100, rounding: str = "nearest") -> int:
    """A value in currency units as an integer number of minor units (``floor``/``ceil``/``nearest``)."""
    scaled = value * minor_per_unit
    if not math.isfinite(scaled):
        raise SchemaError(f"value {value!r} cannot be expressed in minor units")
    if rounding == "floor":
        return math.floor(scaled)
    if rounding == "ceil":
        return math.ceil(scaled)
    return round(scaled)


@dataclass(frozen=True)
class Contribution:
    """One feature's effect on a valuation: additive in log space, ``percent`` = ``exp(log_effect) - 1``."""

    feature: str
    log_effect: float

    @property
    def percent(self) -> float:
        return math.expm1(self.log_effect) * 100.0


@dataclass(frozen=True)
class Valuation:
    """One asset's valuation: estimate inside ``[low, high]`` (nominal ``coverage``), with its reasons."""

    estimate: float
    low: float
    high: float
    coverage: float
    model_version: str
    base_value: float | None
    contributions: tuple[Contribution, ...]
    approaches: dict[str, float] = field(default_factory=dict)

    def minor_units(self, *, minor_per_unit: int = 100) -> tuple[int, int, int]:
        """``(estimate, low, high)`` as integers for the chain; the bounds round outwards."""
        return (
            to_minor_units(self.estimate, minor_per_unit=minor_per_unit),
            to_minor_units(self.low, minor_per_unit=minor_per_unit, rounding="floor"),
            to_minor_units(self.high, minor_per_unit=minor_per_unit, rounding="ceil"),
        )


@dataclass(frozen=True)
class ValuationPrediction:
    """Vectorised predictions for a frame; ``valuation(i)`` gives one row as a :class:`Valuation`.

    ``contributions`` (one column per ``contribution_names``) and ``base_value`` are ``None`` unless
    the prediction was asked to explain (``ValuationModel.predict(frame, explain=k)``); ``explained``
    is that ``k``, the number of contributions each :class:`Valuation` reports by default.
    """

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    contributions: np.ndarray | None
    contribution_names: tuple[str, ...]
    base_value: float | None
    approaches: dict[str, np.ndarray]
    coverage: float
    model_version: str
    explained: int = 0

    def __len__(self) -> int:
        return len(self.estimate)

    def valuation(self, i: int, *, top: int | None = None) -> Valuation:
        """Row ``i``, with its ``top`` largest contributions (default: ``explained``; none if not explained)."""
        chosen: np.ndarray = np.zeros(0, dtype=np.int64)
        row = np.zeros(0)
        if self.contributions is not None:
            row = self.contributions[i]
            order = np.argsort(-np.abs(row), kind="stable")
            chosen = order[: self.explained if top is None else top]
        return Valuation(
            estimate=float(self.estimate[i]),
            low=float(self.low[i]),
            high=float(self.high[i]),
            coverage=self.coverage,
            model_version=self.model_version,
            base_value=self.base_value,
            contributions=tuple(Contribution(self.contribution_names[j], float(row[j])) for j in chosen),
            approaches={k: float(v[i]) for k, v in self.approaches.items()},
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": self.estimate, "low": self.low, "high": self.high})


# --- the model ------------------------------------------------------------------------------------


class ValuationModel:
    """A fitted valuation model; build it with :func:`fit_valuation`."""

    def __init__(
        self,
        *,
        schema: Schema,
        settings: ValuationSettings,
        encoder: FeatureEncoder,
        approaches: list[_Approach],
        weights: dict[str, float],
        intercept: float,
        sigma: lgb.Booster,
        sigma_floor: float,
        quantiles: tuple[float, float],
        future_quantiles: tuple[float, float],
        last_time: float | None,
        tuning: TuningResult,
        oof_metrics: dict[str, Any],
        data_digest: str,
        n_rows: int,
        fit_seconds: float,
        bin_edges: np.ndarray | None = None,
        bin_quantiles: Sequence[tuple[float, float]] | None = None,
        future_bin_quantiles: Sequence[tuple[float, float]] | None = None,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.encoder = encoder
        self.approaches = approaches
        self.weights = weights
        self.intercept = intercept
        self._sigma = sigma
        self._sigma_floor = sigma_floor
        self.quantiles = quantiles
        self.future_quantiles = future_quantiles
        self.last_time = last_time
        self.tuning = tuning
        self.oof_metrics = oof_metrics
        self.data_digest = data_digest
        self.n_rows = n_rows
        self.fit_seconds = fit_seconds
        self.bin_edges = np.zeros(0) if bin_edges is None else np.asarray(bin_edges, dtype=np.float64)
        self.bin_quantiles = [tuple(q) for q in (bin_quantiles or [quantiles])]
        self.future_bin_quantiles = [tuple(q) for q in (future_bin_quantiles or [future_quantiles])]
        if len(self.bin_quantiles) != len(self.bin_edges) + 1 or len(self.future_bin_quantiles) != len(
            self.bin_quantiles
        ):
            raise SchemaError("interval bins and their quantiles do not match")
        self.version = "val-" + stable_digest(self.version_payload())[:16]

    def __setstate__(self, state: dict[str, Any]) -> None:
        # models pickled before out-of-time calibration existed: one interval for every row, as then;
        # before Mondrian bins: one pair of quantiles for every estimate, as then
        state.setdefault("future_quantiles", state["quantiles"])
        state.setdefault("last_time", None)
        state.setdefault("bin_edges", np.zeros(0))
        state.setdefault("bin_quantiles", [tuple(state["quantiles"])])
        state.setdefault("future_bin_quantiles", [tuple(state["future_quantiles"])])
        self.__dict__.update(state)

    def version_payload(self) -> dict[str, Any]:
        """Everything the version hash covers."""
        return {
            "code": _CODE_VERSION,
            "schema": self.schema.to_dict(),
            "settings": self.settings.to_dict(),
            "data": self.data_digest,
            "rows": self.n_rows,
            "tuning": {"params": self.tuning.params, "n_estimators": self.tuning.n_estimators},
            "weights": {k: round(v, 12) for k, v in sorted(self.weights.items())},
            "intercept": round(self.intercept, 12),
            "quantiles": [round(q, 12) for q in self.quantiles],
            "future_quantiles": [round(q, 12) for q in self.future_quantiles],
            "last_time": self.last_time,
            **self._bins_payload(),
            "libraries": {p: metadata.version(p) for p in ("lightgbm", "scikit-learn", "numpy", "pandas")},
        }

    def _bins_payload(self) -> dict[str, Any]:
        if len(self.bin_edges) == 0:
            return {}
        return {
            "bin_edges": [round(float(e), 12) for e in self.bin_edges],
            "bin_quantiles": [[round(q, 12) for q in pair] for pair in self.bin_quantiles],
            "future_bin_quantiles": [[round(q, 12) for q in pair] for pair in self.future_bin_quantiles],
        }

    @property
    def contribution_names(self) -> tuple[str, ...]:
        return (*self.schema.features, COMPARABLES_TERM)

    def _data(self, frame: pd.DataFrame) -> _Data:
        frame = frame.reset_index(drop=True)
        return _Data(
            tree=self.encoder.tree_frame(frame),
            lin=self.encoder.linear_matrix(frame),
            anchors=_anchors(frame, self.schema),
        )

    def _sigma_of(self, data: _Data) -> np.ndarray:
        x = data.tree_matrix(self._sigma)
        return np.maximum(
            np.asarray(self._sigma.predict(x, num_threads=_PREDICT_THREADS), dtype=np.float64), self._sigma_floor
        )

    def predict(
        self, frame: pd.DataFrame, *, explain: int = 0, out_of_time: bool | None = None, conditional: bool = True
    ) -> ValuationPrediction:
        """Estimate and interval for every row of ``frame`` (the target is not needed).

        ``explain=k`` (``k > 0``) also computes every feature's contribution (exact in log space) and
        makes each row's :class:`Valuation` report its ``k`` largest; with ``explain=0`` (the default)
        no contribution is computed, which is what makes batch prediction fast. The estimate and the
        interval are the same either way.

        Rows dated after the training period (or every row, when ``frame`` lacks the schema's date
        column) get the out-of-time interval; ``out_of_time`` forces one calibration for every row.
        ``conditional=False`` uses the pooled quantiles of every bin (plain split conformal, the same
        scores), for comparison; the estimate is the same.
        """
        if explain < 0:
            raise SchemaError(f"explain must be >= 0 contributions per row, got {explain}")
        data = self._data(frame)
        idx = np.arange(len(frame))
        log_est = np.full(len(idx), self.intercept)
        contrib = np.zeros((len(idx), len(self.contribution_names))) if explain else None
        base = self.intercept
        per_approach: dict[str, np.ndarray] = {}
        for approach in self.approaches:
            w = self.weights[approach.name]
            if contrib is None:
                pred = approach.predict(data, idx)
            else:
                pred, out, b = approach.predict_explain(data, idx)
                contrib += w * out
                base += w * b
            per_approach[approach.name] = np.exp(pred)
            log_est += w * pred
        sigma = self._sigma_of(data)
        per_bin, future_per_bin = self.bin_quantiles, self.future_bin_quantiles
        if not conditional:
            per_bin, future_per_bin = [self.quantiles], [self.future_quantiles]
        bins = _bin_of(log_est, self.bin_edges) if conditional else np.zeros(len(idx), dtype=np.int64)
        q = np.asarray(per_bin, dtype=np.float64)[bins]
        later = self._after_training(frame) if out_of_time is None else np.full(len(idx), out_of_time)
        q[later] = np.asarray(future_per_bin, dtype=np.float64)[bins[later]]
        q_lo, q_hi = q[:, 0], q[:, 1]
        return ValuationPrediction(
            estimate=np.exp(log_est),
            low=np.exp(log_est + q_lo * sigma),
            high=np.exp(log_est + q_hi * sigma),
            contributions=contrib,
            contribution_names=self.contribution_names,
            base_value=None if contrib is None else base,
            approaches=per_approach,
            coverage=self.settings.coverage,
            model_version=self.version,
            explained=min(explain, len(self.contribution_names)),
        )

    def _after_training(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows dated after the training period (every row when the frame has no date to compare)."""
        if self.last_time is None:
            return np.zeros(len(frame), dtype=bool)
        when = _time_values(frame.reset_index(drop=True), self.schema)
        if when is None:
            return np.ones(len(frame), dtype=bool)
        return np.asarray(when > self.last_time)

    def value(self, frame: pd.DataFrame, *, top: int | None = 5) -> list[Valuation]:
        """One :class:`Valuation` per row, with the ``top`` largest contributions (``None``: all; 0: none)."""
        pred = self.predict(frame, explain=len(self.contribution_names) if top is None else top)
        return [pred.valuation(i) for i in range(len(pred))]

    def row_digests(self, frame: pd.DataFrame) -> list[str]:
        """SHA-256 of each row's feature values (the oracle's ``feature digest``)."""
        self.schema.check_frame(frame, need_target=False)
        cols = list(self.schema.input_columns)
        return [
            stable_digest(dict(zip(cols, [_jsonable(v) for v in row], strict=True)))
            for row in frame[cols].itertuples(index=False)
        ]

    def describe(self) -> dict[str, Any]:
        """Facts for a model card."""
        return {
            "version": self.version,
            "rows": self.n_rows,
            "weights": dict(self.weights),
            "intercept": self.intercept,
            "interval_quantiles": list(self.quantiles),
            "future_interval_quantiles": list(self.future_quantiles),
            "interval_bin_edges": [float(math.exp(e)) for e in self.bin_edges],
            "interval_bin_quantiles": [list(q) for q in self.bin_quantiles],
            "future_interval_bin_quantiles": [list(q) for q in self.future_bin_quantiles],
            "last_time": self.last_time,
            "date_reference": self.schema.date_reference,
            "tuning": self.tuning.to_dict() | {"elapsed_s": round(self.tuning.elapsed_s, 1)},
            "oof_metrics": self.oof_metrics,
            "fit_seconds": round(self.fit_seconds, 1),
        }


def _jsonable(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _anchors(frame: pd.DataFrame, schema: Schema) -> dict[str, np.ndarray]:
    """Log rent and log total cost per row, NaN where missing or not positive."""

    def log_positive(values: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.isfinite(values) & (values > 0), np.log(np.where(values > 0, values, 1.0)), np.nan)

    anchors: dict[str, np.ndarray] = {}
    if schema.rent_feature:
        anchors["income_approach"] = log_positive(
            pd.to_numeric(frame[schema.rent_feature], errors="coerce").to_numpy(np.float64)
        )
    if schema.cost_features:
        cost = np.zeros(len(frame))
        for col in schema.cost_features:
            cost = cost + pd.to_numeric(frame[col], errors="coerce").to_numpy(np.float64)
        anchors["cost_approach"] = log_positive(cost)
    return anchors


def _target(frame: pd.DataFrame, target: str, schema: Schema) -> np.ndarray:
    if target != schema.target:
        raise SchemaError(f"target {target!r} differs from the schema's target {schema.target!r}")
    schema.check_frame(frame, need_target=True)
    try:
        y = np.asarray(pd.to_numeric(frame[target], errors="raise"), dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise SchemaError(f"target {target!r} must be numeric: {exc}") from exc
    bad = int(np.sum(~np.isfinite(y) | (y <= 0)))
    if bad:
        raise SchemaError(f"target {target!r} has {bad} missing or non-positive values; valuations must be positive")
    return y


def _conformal_quantiles(scores: np.ndarray, coverage: float) -> tuple[float, float]:
    """Finite-sample conformal lower/upper quantiles of signed scores, widened to include 0."""
    s = np.sort(scores)
    n = len(s)
    alpha = (1.0 - coverage) / 2.0
    k_lo = math.floor((n + 1) * alpha)
    k_hi = math.ceil((n + 1) * (1.0 - alpha))
    q_lo = float(s[k_lo - 1]) if k_lo >= 1 else float(s[0])
    q_hi = float(s[k_hi - 1]) if k_hi <= n else float(s[-1])
    return min(q_lo, 0.0), max(q_hi, 0.0)


_SIGMA_PARAMS = {
    "objective": "regression",
    "learning_rate": 0.05,
    "num_leaves": 4,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.7,
    "lambda_l2": 10.0,
    "verbosity": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_col_wise": True,
    "max_bin": 63,
}


def _fit_sigma(tree: pd.DataFrame, abs_res: np.ndarray, seed: int) -> lgb.Booster:
    data = lgb.Dataset(tree, label=abs_res, params={"feature_pre_filter": False, "verbosity": -1, "max_bin": 63})
    return lgb.train({**_SIGMA_PARAMS, "seed": seed}, data, num_boost_round=150)


def _make_approaches(
    names: Iterable[str], schema: Schema, encoder: FeatureEncoder, settings: ValuationSettings, tuning: TuningResult
) -> list[_Approach]:
    n_features = len(schema.features)
    owner = encoder.linear_owner
    position = {f: j for j, f in enumerate(schema.features)}
    out: list[_Approach] = []
    for name in names:
        if name == "gradient_boosting":
            out.append(_Boosting(tuning, settings.seed, n_features, settings.boosting_bags))
        elif name == "hedonic_regression":
            out.append(_Hedonic(owner, n_features))
        elif name == "comparable_sales":
            out.append(_Comparables(owner, n_features, settings.neighbour_candidates))
        elif name == "income_approach" and schema.rent_feature:
            out.append(_Anchored(name, [position[schema.rent_feature]], owner, n_features))
        elif name == "cost_approach" and schema.cost_features:
            out.append(_Anchored(name, [position[c] for c in schema.cost_features], owner, n_features))
    return out


def _time_values(frame: pd.DataFrame, schema: Schema) -> np.ndarray | None:
    """The schema's date column as float (years for dates), or ``None`` without a usable date."""
    return time_values(frame, schema)


def _bin_edges(log_estimate: np.ndarray, bins: int) -> np.ndarray:
    """Inner edges of ``bins`` equal-count bins of the (log) estimate; empty for one bin."""
    if bins <= 1:
        return np.zeros(0)
    return np.unique(np.quantile(log_estimate, np.arange(1, bins) / bins))


def _bin_of(log_estimate: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.asarray(np.searchsorted(edges, log_estimate, side="right"), dtype=np.int64)


def _mondrian_quantiles(
    scores: np.ndarray, bins: np.ndarray, n_bins: int, coverage: float
) -> tuple[tuple[float, float], list[tuple[float, float]]]:
    """Pooled conformal quantiles and one pair per bin (the pooled pair where a bin has too few scores)."""
    pooled = _conformal_quantiles(scores, coverage)
    per_bin = [
        _conformal_quantiles(scores[bins == b], coverage) if int(np.sum(bins == b)) >= _MIN_BIN_SCORES else pooled
        for b in range(n_bins)
    ]
    return pooled, per_bin


def _forward_blocks(when: np.ndarray, n_blocks: int, min_rows: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Forward-chaining splits: each later slice of time is predicted from every row before it."""
    cuts = np.unique(np.quantile(when, np.arange(1, n_blocks) / n_blocks, method="lower"))
    cuts = cuts[cuts > when.min()]
    bounds = [*cuts.tolist(), math.inf]
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        train, val = np.flatnonzero(when < lo), np.flatnonzero((when >= lo) & (when < hi))
        if len(train) >= min_rows and len(val) >= min_rows // 4:
            out.append((train, val))
    return out


def _predict_split(
    names: Sequence[str],
    schema: Schema,
    encoder: FeatureEncoder,
    settings: ValuationSettings,
    tuning: TuningResult,
    data: _Data,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
) -> np.ndarray:
    """Every approach fitted on ``train_idx`` and predicting ``val_idx`` (one column per approach)."""
    out = np.zeros((len(val_idx), len(names)))
    for j, approach in enumerate(_make_approaches(names, schema, encoder, settings, tuning)):
        approach.fit(data, train_idx)
        out[:, j] = approach.predict(data, val_idx)
    return out


def _stack(pred: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, float]:
    """Non-negative linear stack of the approaches' predictions (equal weights if none is positive)."""
    stacker = LinearRegression(positive=True).fit(pred, z)
    coef = np.asarray(stacker.coef_, dtype=np.float64)
    if not np.any(coef > 0):
        return np.full(pred.shape[1], 1.0 / pred.shape[1]), 0.0
    return coef, float(stacker.intercept_)


def fit_valuation(
    frame: pd.DataFrame, target: str, schema: Schema, *, settings: ValuationSettings | None = None
) -> ValuationModel:
    """Fit the stacked valuation model on ``frame`` (``target`` must equal ``schema.target``)."""
    settings = settings or ValuationSettings()
    started = time.perf_counter()
    frame = frame.reset_index(drop=True)
    y = _target(frame, target, schema)
    n = len(frame)
    if n < 4 * settings.folds:
        raise SchemaError(f"need at least {4 * settings.folds} rows to fit with {settings.folds} folds, got {n}")
    encoder = FeatureEncoder(schema, min_category_count=settings.min_category_count).fit(frame)
    z = np.log(y)
    data = _Data(tree=encoder.tree_frame(frame), lin=encoder.linear_matrix(frame), anchors=_anchors(frame, schema), z=z)
    tuning = tune_lightgbm(
        data.tree,
        z,
        task="regression",
        budget_s=settings.budget_s,
        max_trials=settings.max_trials,
        seed=settings.seed,
        folds=settings.tuning_folds,
    )
    names = [a.name for a in _make_approaches(settings.approaches, schema, encoder, settings, tuning)]
    splits = list(KFold(settings.folds, shuffle=True, random_state=settings.seed).split(np.zeros(n)))
    oof = np.zeros((n, len(names)))
    for train_idx, val_idx in splits:
        oof[val_idx] = _predict_split(names, schema, encoder, settings, tuning, data, train_idx, val_idx)
    w, intercept = _stack(oof, z)
    weights = {name: float(wj) for name, wj in zip(names, w, strict=True)}
    stacked = intercept + oof @ w
    residual = z - stacked
    # cross-fitted residual-size model, then conformal quantiles of the normalised residuals
    floor = max(0.2 * float(np.median(np.abs(residual))), 1e-6)
    sigma_oof = np.zeros(n)
    for train_idx, val_idx in splits:
        booster = _fit_sigma(data.tree.iloc[train_idx], np.abs(residual[train_idx]), settings.seed)
        sigma_oof[val_idx] = np.maximum(np.asarray(booster.predict(data.tree.iloc[val_idx])), floor)
    edges = _bin_edges(stacked, settings.interval_bins)
    quantiles, bin_quantiles = _mondrian_quantiles(
        residual / sigma_oof, _bin_of(stacked, edges), len(edges) + 1, settings.coverage
    )
    # out-of-time calibration for assets dated after the training period, on the most recent period:
    # the latest slice of time predicted by the same stack fitted only on the rows before it
    when = _time_values(frame, schema) if settings.out_of_time else None
    blocks = [] if when is None else _forward_blocks(when, settings.folds, max(4 * settings.folds, n // 10))
    future_quantiles, future_bin_quantiles = quantiles, list(bin_quantiles)
    oot_metrics: dict[str, Any] = {}
    if blocks and when is not None:
        train_idx, val_idx = blocks[-1]
        pred = intercept + _predict_split(names, schema, encoder, settings, tuning, data, train_idx, val_idx) @ w
        future_quantiles, future_bin_quantiles = _mondrian_quantiles(
            (z[val_idx] - pred) / sigma_oof[val_idx], _bin_of(pred, edges), len(edges) + 1, settings.coverage
        )
        oot_metrics = {
            "calibration_rows": len(val_idx),
            "calibration_from": float(when[val_idx].min()),
            "calibration_to": float(when[val_idx].max()),
            "calibration_mape": mape(y[val_idx], np.exp(pred)),
            "quantiles": list(future_quantiles),
        }
    sigma = _fit_sigma(data.tree, np.abs(residual), settings.seed)
    final = [a for a in _make_approaches(names, schema, encoder, settings, tuning) if weights[a.name] > 0]
    all_idx = np.arange(n)
    for approach in final:
        approach.fit(data, all_idx)
    est = np.exp(stacked)
    oof_q = np.asarray(bin_quantiles)[_bin_of(stacked, edges)]
    oof_low, oof_high = np.exp(stacked + oof_q[:, 0] * sigma_oof), np.exp(stacked + oof_q[:, 1] * sigma_oof)
    oof_metrics: dict[str, Any] = {
        "stacked_mape": mape(y, est),
        "stacked_median_ape": median_ape(y, est),
        "approach_mape": {name: mape(y, np.exp(oof[:, j])) for j, name in enumerate(names)},
        "oof_interval_coverage": interval_coverage(y, oof_low, oof_high),
        "oof_coverage_by_price_third": coverage_by_third(y, oof_low, oof_high),
        "out_of_time": oot_metrics,
    }
    model = ValuationModel(
        schema=schema,
        settings=settings,
        encoder=encoder,
        approaches=final,
        weights={k: v for k, v in weights.items() if v > 0},
        intercept=intercept,
        sigma=sigma,
        sigma_floor=floor,
        quantiles=quantiles,
        future_quantiles=future_quantiles,
        last_time=None if when is None else float(when.max()),
        tuning=tuning,
        oof_metrics=oof_metrics,
        data_digest=frame_digest(frame, [*schema.input_columns, schema.target]),
        bin_edges=edges,
        bin_quantiles=bin_quantiles,
        future_bin_quantiles=future_bin_quantiles,
        n_rows=n,
        fit_seconds=time.perf_counter() - started,
    )
    logger.info(
        "analytics.valuation.fitted version=%s rows=%d weights=%s oof_mape=%.4f seconds=%.1f",
        model.version,
        n,
        {k: round(v, 3) for k, v in model.weights.items()},
        oof_metrics["stacked_mape"],
        model.fit_seconds,
    )
    return model


# --- cross-validation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValuationCV:
    """Held-out predictions of a cross-validation (every row predicted by a model that never saw it)."""

    actual: np.ndarray
    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    fold: np.ndarray
    versions: tuple[str, ...]
    trials: tuple[int, ...]
    seconds: float

    @property
    def metrics(self) -> dict[str, float]:
        mask = self.fold >= 0
        a, e, lo, hi = self.actual[mask], self.estimate[mask], self.low[mask], self.high[mask]
        thirds = coverage_by_third(a, lo, hi)
        return {
            "mape": mape(a, e),
            "median_ape": median_ape(a, e),
            "coverage": interval_coverage(a, lo, hi),
            **{f"coverage_{name}_price_third": value for name, value in thirds.items()},
            "mean_relative_width": float(np.mean((hi - lo) / e)),
            "rows": float(mask.sum()),
        }

    def coverage_by_estimate_third(self) -> dict[str, float]:
        """Interval coverage in the lowest, middle and highest third of the held-out estimates."""
        mask = self.fold >= 0
        return coverage_by_third(self.actual[mask], self.low[mask], self.high[mask], by=self.estimate[mask])


def _fit_fold(
    frame: pd.DataFrame, target: str, schema: Schema, settings: ValuationSettings, train: np.ndarray, test: np.ndarray
) -> tuple[np.ndarray, ValuationPrediction, str, int]:
    model = fit_valuation(frame.iloc[train], target, schema, settings=settings)
    return test, model.predict(frame.iloc[test]), model.version, model.tuning.trials


def cross_validate_valuation(
    frame: pd.DataFrame,
    target: str,
    schema: Schema,
    *,
    settings: ValuationSettings | None = None,
    folds: int = 5,
    splits: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    n_jobs: int = 1,
) -> ValuationCV:
    """Refit on each training part and predict its held-out part (``splits`` overrides ``folds``)."""
    settings = settings or ValuationSettings()
    started = time.perf_counter()
    frame = frame.reset_index(drop=True)
    y = _target(frame, target, schema)
    if splits is None:
        splits = list(KFold(folds, shuffle=True, random_state=settings.seed + 1).split(np.zeros(len(frame))))
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_fold)(frame, target, schema, settings, np.asarray(tr), np.asarray(te)) for tr, te in splits
    )
    est, low, high = np.full(len(y), np.nan), np.full(len(y), np.nan), np.full(len(y), np.nan)
    fold = np.full(len(y), -1)
    versions: list[str] = []
    trials: list[int] = []
    for i, (test, pred, version, n_trials) in enumerate(results):
        est[test], low[test], high[test], fold[test] = pred.estimate, pred.low, pred.high, i
        versions.append(version)
        trials.append(n_trials)
    return ValuationCV(y, est, low, high, fold, tuple(versions), tuple(trials), time.perf_counter() - started)
