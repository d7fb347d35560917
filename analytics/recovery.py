"""Recovery on non-performing loans, per loan and for a package: what a buyer can expect to collect.

**Per loan** a :class:`RecoveryModel` (fit with :func:`fit_recovery`) has three parts, each learned on
loans whose outcome is known (``recovered_fen`` collected out of ``balance_fen``, ``months_to_recovery``):

* ``P(any recovery)``: L2 logistic regression on the standardised design of :class:`FeatureEncoder`;
* the recovered share of the balance *given* a recovery: logit-normal, ``logit(share) = mu(x) + s Z``
  (ridge regression on the logit of the observed shares, ``s`` the residual standard deviation);
* the time to recovery given a recovery: log-normal, ``log(months) = nu(x) + t W`` (ridge, ``t`` likewise).

**Secured loans** (``secured`` true): the collateral's value comes from the valuation model (its
estimate and 80 % interval, see :func:`collateral_from_valuation`) or from ``collateral_value_fen``.
The rule, applied in every simulation, is the usual secured-LGD split: the collateral is sold by
enforcement after ``enforcement_months`` for a log-normal draw around its value (log-sd from the
valuation interval), net of the forced-sale discount and the disposal costs
(``net = value * (1 - forced_sale_discount - disposal_cost_share)``); it repays ``min(balance, net)``;
what is left of the balance is an unsecured claim recovered like an unsecured loan. A secured loan's
recovery is therefore never more than its balance, and its secured part never more than the net
collateral value.

**Loans are not independent.** Recoveries move together with the economy and the servicer, so every
simulation draws one systematic shift ``d ~ N(0, sd_sys^2)`` added to the logits of both ``P(any)``
and the share. ``sd_sys`` is measured, not assumed: the training period is cut into slices by date;
each later slice is predicted by the parts fitted on the rows before it, and the shift that makes the
predicted total equal the slice's actual total is that slice's period error; ``sd_sys`` is their root
mean square (at least ``systematic_floor``). Without a date column it is the floor.

**Package pricing** (:func:`price_package`) is a Monte-Carlo simulation, vectorised in numpy in
chunks of about 65,000 loan-draws (cache-sized): per simulation and loan a recovery or none, a share, a time,
the collateral, and the present value at the annual ``discount_rate`` (``(1 + r) ** (-months / 12)``),
floored to integer minor units per loan. Every money figure in the result is an integer number of
minor units: the expected recovery (undiscounted), the expected present value and the P10/P50/P90 of
the present value (actual simulated totals: ``inverted_cdf`` quantiles), overall and per segment.
Segment expectations are apportioned (largest remainder) so they add up to the total exactly;
quantiles of a sum are not sums of quantiles and are reported per segment as simulated.

**Determinism**: rows are put in canonical order (by ``loan_id`` when the file has one), the random
stream is numpy's PCG64 seeded with ``seed`` and consumed in a fixed order and chunk size, so the same
package, model artefact, seed, rate and number of simulations give the same result bit for bit on the
same library versions (the model version covers them). The oracle operators rely on this to co-sign.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression, Ridge

from analytics._exceptions import NotFittedError, SchemaError
from analytics.features import FeatureEncoder, Schema, frame_digest, stable_digest

if TYPE_CHECKING:
    from analytics.valuation import ValuationModel

__all__ = [
    "BALANCE",
    "COLLATERAL_PREFIX",
    "COLLATERAL_VALUE",
    "LOAN_ID",
    "MONTHS",
    "RECOVERED",
    "SECURED",
    "Collateral",
    "PackagePrice",
    "RecoveryEvaluation",
    "RecoveryModel",
    "RecoveryPrediction",
    "RecoverySettings",
    "SegmentPrice",
    "collateral_from_valuation",
    "evaluate_out_of_time",
    "fit_recovery",
    "package_digest",
    "price_package",
    "recovery_schema",
    "render_recovery_card",
    "segment_mean_baseline",
]

logger = logging.getLogger(__name__)

#: outstanding balance of a loan, integer minor units (fen)
BALANCE = "balance_fen"
#: what was collected on it, integer minor units (training data only)
RECOVERED = "recovered_fen"
#: months from the start of collection to the recovery (training data only)
MONTHS = "months_to_recovery"
LOAN_ID = "loan_id"
SECURED = "secured"
#: an appraised collateral value in minor units (used when no valuation model is given)
COLLATERAL_VALUE = "collateral_value_fen"
#: collateral features for the valuation model are the package's columns ``collateral.<feature>``
COLLATERAL_PREFIX = "collateral."

_CODE_VERSION = "recovery/1"
_EPS = 1e-4
#: loan-draws per simulation chunk: part of the algorithm (it fixes the order of the random stream)
_CHUNK_DRAWS = 1 << 16
_Z80 = 1.2815515655446004
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(40)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


@dataclass(frozen=True)
class RecoverySettings:
    """How to fit, and the secured-recovery rule's constants (documented in the module docstring)."""

    seed: int = 0
    #: inverse L2 strength of the P(any recovery) logistic regression
    logistic_c: float = 0.5
    #: L2 strength of the share and time ridge regressions
    ridge_alpha: float = 10.0
    min_category_count: int = 5
    #: date slices for the systematic (period) error
    slices: int = 4
    systematic_floor: float = 0.05
    forced_sale_discount: float = 0.25
    disposal_cost_share: float = 0.05
    enforcement_months: float = 18.0
    #: log-sd of a collateral value given as a number (no valuation interval)
    collateral_log_sd: float = 0.2

    def __post_init__(self) -> None:
        if self.logistic_c <= 0 or self.ridge_alpha < 0:
            raise SchemaError("logistic_c must be > 0 and ridge_alpha >= 0")
        if self.slices < 2:
            raise SchemaError(f"slices must be at least 2, got {self.slices}")
        if not 0 <= self.forced_sale_discount + self.disposal_cost_share < 1:
            raise SchemaError("forced_sale_discount + disposal_cost_share must be in [0, 1)")
        if self.enforcement_months < 0 or self.collateral_log_sd < 0 or self.systematic_floor < 0:
            raise SchemaError("enforcement_months, collateral_log_sd and systematic_floor must be >= 0")

    @property
    def haircut(self) -> float:
        return self.forced_sale_discount + self.disposal_cost_share

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "logistic_c": self.logistic_c,
            "ridge_alpha": self.ridge_alpha,
            "min_category_count": self.min_category_count,
            "slices": self.slices,
            "systematic_floor": self.systematic_floor,
            "forced_sale_discount": self.forced_sale_discount,
            "disposal_cost_share": self.disposal_cost_share,
            "enforcement_months": self.enforcement_months,
            "collateral_log_sd": self.collateral_log_sd,
        }


def recovery_schema(
    *, numeric: Sequence[str] = (), categorical: Sequence[str] = (), name: str = "recoveries"
) -> Schema:
    """A schema for recovery data: the features, with the outcome columns refused as features."""
    return Schema(
        target=RECOVERED,
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        unavailable=(MONTHS, BALANCE),
        name=name,
    )


# --- input checks ---------------------------------------------------------------------------------


def _balances(frame: pd.DataFrame) -> np.ndarray:
    if BALANCE not in frame.columns:
        raise SchemaError(f"the loans lack the column {BALANCE!r} (outstanding balance in integer minor units)")
    values = pd.to_numeric(frame[BALANCE], errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(values) | (values <= 0) | (values != np.round(values))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise SchemaError(
            f"{int(bad.sum())} loan(s) have a {BALANCE} that is not a positive integer number of minor units "
            f"(first: row {row + 1}, {frame[BALANCE].iloc[row]!r})"
        )
    return np.asarray(values, dtype=np.float64)


def _outcomes(frame: pd.DataFrame, balance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    for col in (RECOVERED, MONTHS):
        if col not in frame.columns:
            raise SchemaError(f"training loans lack the outcome column {col!r}")
    recovered = pd.to_numeric(frame[RECOVERED], errors="coerce").to_numpy(np.float64)
    months = pd.to_numeric(frame[MONTHS], errors="coerce").to_numpy(np.float64)
    if not np.all(np.isfinite(recovered)) or np.any(recovered < 0) or np.any(recovered > balance):
        raise SchemaError(f"{RECOVERED} must be between 0 and {BALANCE} on every loan")
    hit = recovered > 0
    if not np.all(np.isfinite(months[hit])) or np.any(months[hit] <= 0):
        raise SchemaError(f"{MONTHS} must be a positive number of months on every loan with a recovery")
    return recovered, months


def _secured(frame: pd.DataFrame) -> np.ndarray:
    if SECURED not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    raw = frame[SECURED]
    text = raw.astype(str).str.strip().str.lower()
    truthy = text.isin(["1", "true", "yes", "y", "1.0"])
    falsy = text.isin(["0", "false", "no", "n", "0.0", "", "nan", "none"]) | raw.isna()
    if not bool((truthy | falsy).all()):
        bad = raw[~(truthy | falsy)].iloc[0]
        raise SchemaError(f"column {SECURED!r} must be true/false (or 1/0), got {bad!r}")
    return np.asarray(truthy.to_numpy(dtype=bool))


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """The package in canonical row order: by ``loan_id`` when present (which must be unique)."""
    frame = frame.reset_index(drop=True)
    if LOAN_ID not in frame.columns:
        return frame
    ids = frame[LOAN_ID].astype(str)
    dupes = ids[ids.duplicated()]
    if len(dupes):
        raise SchemaError(f"{LOAN_ID} must be unique in a package; {dupes.iloc[0]!r} appears more than once")
    order = np.argsort(ids.to_numpy(dtype=str), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


# --- the model --------------------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return np.asarray(np.log(p / (1.0 - p)))


def _mean_logit_normal(mu: np.ndarray, sd: float) -> np.ndarray:
    """``E[sigmoid(mu + sd Z)]`` by Gauss-Hermite quadrature (deterministic)."""
    return np.asarray(_sigmoid(mu[:, None] + sd * _GH_NODES[None, :]) @ _GH_WEIGHTS)


@dataclass
class _Parts:
    """The three fitted regressions (coefficients only: cheap to pickle and to apply)."""

    any_coef: np.ndarray
    any_intercept: float
    share_coef: np.ndarray
    share_intercept: float
    share_sd: float
    time_coef: np.ndarray
    time_intercept: float
    time_sd: float

    def linear(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Logit of P(any), mean logit of the share, mean log months."""
        return (
            np.asarray(x @ self.any_coef + self.any_intercept),
            np.asarray(x @ self.share_coef + self.share_intercept),
            np.asarray(x @ self.time_coef + self.time_intercept),
        )

    def expected_share(self, x: np.ndarray, shift: float = 0.0) -> np.ndarray:
        eta, mu, _ = self.linear(x)
        return np.asarray(_sigmoid(eta + shift) * _mean_logit_normal(mu + shift, self.share_sd))


def _fit_parts(
    x: np.ndarray, balance: np.ndarray, recovered: np.ndarray, months: np.ndarray, settings: RecoverySettings
) -> _Parts:
    hit = recovered > 0
    width = x.shape[1]
    if hit.all() or not hit.any():
        any_coef, any_intercept = np.zeros(width), float(_logit(np.array([hit.mean()]))[0])
    else:
        lr = LogisticRegression(C=settings.logistic_c, max_iter=2000).fit(x, hit)
        any_coef, any_intercept = np.asarray(lr.coef_[0], dtype=np.float64), float(lr.intercept_[0])
    if int(hit.sum()) >= 3:
        share_y = _logit(recovered[hit] / balance[hit])
        share = Ridge(alpha=settings.ridge_alpha).fit(x[hit], share_y)
        share_res = share_y - share.predict(x[hit])
        time_y = np.log(months[hit])
        tm = Ridge(alpha=settings.ridge_alpha).fit(x[hit], time_y)
        time_res = time_y - tm.predict(x[hit])
        share_coef, share_intercept = np.asarray(share.coef_, dtype=np.float64), float(share.intercept_)
        time_coef, time_intercept = np.asarray(tm.coef_, dtype=np.float64), float(tm.intercept_)
        share_sd, time_sd = float(np.std(share_res)), float(np.std(time_res))
    else:
        raise SchemaError(f"need at least 3 loans with a recovery to fit the share and time, got {int(hit.sum())}")
    return _Parts(any_coef, any_intercept, share_coef, share_intercept, share_sd, time_coef, time_intercept, time_sd)


def _solve_shift(parts: _Parts, x: np.ndarray, balance: np.ndarray, actual_total: float) -> float:
    """The common logit shift that makes the expected total recovery equal ``actual_total`` (bisection)."""
    lo, hi = -12.0, 12.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if float(parts.expected_share(x, mid) @ balance) < actual_total:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _time_values(frame: pd.DataFrame, column: str) -> np.ndarray:
    col = frame[column]
    if pd.api.types.is_numeric_dtype(col.dtype):
        values = col.to_numpy(np.float64)
    else:
        parsed = pd.to_datetime(col, format="ISO8601", errors="coerce")
        values = (parsed - pd.Timestamp("1970-01-01")).dt.days.to_numpy(np.float64)
    if not np.all(np.isfinite(values)):
        raise SchemaError(f"date column {column!r} has missing or unreadable dates (use ISO dates)")
    return np.asarray(values, dtype=np.float64)


def _period_errors(
    frame: pd.DataFrame,
    encoder: FeatureEncoder,
    balance: np.ndarray,
    recovered: np.ndarray,
    months: np.ndarray,
    when: np.ndarray,
    settings: RecoverySettings,
) -> list[float]:
    """Forward-chaining period errors: the logit shift each later date slice needed (see module doc)."""
    cuts = np.unique(np.quantile(when, np.arange(1, settings.slices) / settings.slices, method="lower"))
    cuts = cuts[cuts > when.min()]
    bounds = [*cuts.tolist(), math.inf]
    x = encoder.linear_matrix(frame)
    out: list[float] = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        train, val = np.flatnonzero(when < lo), np.flatnonzero((when >= lo) & (when < hi))
        if len(val) < 5 or int((recovered[train] > 0).sum()) < 3:
            continue
        parts = _fit_parts(x[train], balance[train], recovered[train], months[train], settings)
        out.append(_solve_shift(parts, x[val], balance[val], float(recovered[val].sum())))
    return out


@dataclass(frozen=True)
class RecoveryPrediction:
    """Per-loan expectations (no simulation): ``expected_fen`` = balance x P(any) x E[share | any]."""

    p_any: np.ndarray
    share_given_recovery: np.ndarray
    expected_share: np.ndarray
    median_months: np.ndarray
    expected_fen: np.ndarray
    model_version: str

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "p_any_recovery": self.p_any,
                "share_given_recovery": self.share_given_recovery,
                "expected_share": self.expected_share,
                "median_months": self.median_months,
                "expected_recovery_fen": self.expected_fen,
            }
        )


class RecoveryModel:
    """A fitted recovery model; build it with :func:`fit_recovery`."""

    def __init__(
        self,
        *,
        schema: Schema,
        settings: RecoverySettings,
        encoder: FeatureEncoder,
        parts: _Parts,
        systematic_sd: float,
        period_errors: list[float],
        data_digest: str,
        n_rows: int,
        recovery_rate: float,
        fit_seconds: float,
        date_column: str | None,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.encoder = encoder
        self.parts = parts
        self.systematic_sd = systematic_sd
        self.period_errors = period_errors
        self.data_digest = data_digest
        self.n_rows = n_rows
        self.recovery_rate = recovery_rate
        self.fit_seconds = fit_seconds
        self.date_column = date_column
        self.version = "rec-" + stable_digest(self.version_payload())[:16]

    def version_payload(self) -> dict[str, Any]:
        p = self.parts

        def r(a: np.ndarray | float) -> Any:
            return np.round(np.asarray(a, dtype=np.float64), 12).tolist()

        return {
            "code": _CODE_VERSION,
            "schema": self.schema.to_dict(),
            "settings": self.settings.to_dict(),
            "data": self.data_digest,
            "rows": self.n_rows,
            "parts": {
                "any": [r(p.any_coef), r(p.any_intercept)],
                "share": [r(p.share_coef), r(p.share_intercept), r(p.share_sd)],
                "time": [r(p.time_coef), r(p.time_intercept), r(p.time_sd)],
            },
            "systematic_sd": r(self.systematic_sd),
            "libraries": {lib: metadata.version(lib) for lib in ("scikit-learn", "numpy", "pandas")},
        }

    def _design(self, frame: pd.DataFrame) -> np.ndarray:
        if not self.encoder.fitted:
            raise NotFittedError("recovery model is not fitted")
        return self.encoder.linear_matrix(frame.reset_index(drop=True))

    def predict(self, frame: pd.DataFrame) -> RecoveryPrediction:
        """Per-loan P(any recovery), share given recovery, median months and expected recovery (minor units)."""
        balance = _balances(frame)
        x = self._design(frame)
        eta, mu, nu = self.parts.linear(x)
        p_any = _sigmoid(eta)
        share = _mean_logit_normal(mu, self.parts.share_sd)
        expected = p_any * share
        return RecoveryPrediction(
            p_any=p_any,
            share_given_recovery=share,
            expected_share=expected,
            median_months=np.exp(nu),
            expected_fen=np.floor(expected * balance).astype(np.int64),
            model_version=self.version,
        )

    def describe(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "rows": self.n_rows,
            "recovery_rate": round(self.recovery_rate, 4),
            "share_logit_sd": round(self.parts.share_sd, 4),
            "months_log_sd": round(self.parts.time_sd, 4),
            "systematic_sd": round(self.systematic_sd, 4),
            "period_errors": [round(e, 4) for e in self.period_errors],
            "date_column": self.date_column,
            "fit_seconds": round(self.fit_seconds, 2),
        }


def fit_recovery(
    frame: pd.DataFrame,
    schema: Schema,
    *,
    settings: RecoverySettings | None = None,
    date_column: str | None = None,
) -> RecoveryModel:
    """Fit the three parts on loans with known outcomes, and the systematic spread on date slices."""
    settings = settings or RecoverySettings()
    started = time.perf_counter()
    frame = frame.reset_index(drop=True)
    schema.check_frame(frame, need_target=True)
    if len(frame) < 20:
        raise SchemaError(f"need at least 20 loans with known outcomes to fit a recovery model, got {len(frame)}")
    balance = _balances(frame)
    recovered, months = _outcomes(frame, balance)
    encoder = FeatureEncoder(schema, min_category_count=settings.min_category_count, spline_knots=0).fit(frame)
    parts = _fit_parts(encoder.linear_matrix(frame), balance, recovered, months, settings)
    errors: list[float] = []
    if date_column is not None:
        if date_column not in frame.columns:
            raise SchemaError(f"date column {date_column!r} is not a column of the training loans")
        errors = _period_errors(frame, encoder, balance, recovered, months, _time_values(frame, date_column), settings)
    systematic = max(settings.systematic_floor, math.sqrt(float(np.mean(np.square(errors)))) if errors else 0.0)
    columns = [*schema.features, BALANCE, RECOVERED, MONTHS]
    model = RecoveryModel(
        schema=schema,
        settings=settings,
        encoder=encoder,
        parts=parts,
        systematic_sd=systematic,
        period_errors=errors,
        data_digest=frame_digest(frame, columns),
        n_rows=len(frame),
        recovery_rate=float(recovered.sum() / balance.sum()),
        fit_seconds=time.perf_counter() - started,
        date_column=date_column,
    )
    logger.info(
        "analytics.recovery.fitted version=%s rows=%d rate=%.4f systematic_sd=%.4f",
        model.version,
        len(frame),
        model.recovery_rate,
        systematic,
    )
    return model


# --- collateral -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Collateral:
    """Per-loan collateral value (minor units, 0 where unsecured) and the log-sd of its sale value."""

    value_fen: np.ndarray
    log_sd: np.ndarray
    source: str


def collateral_from_valuation(
    valuation: ValuationModel, frame: pd.DataFrame, *, minor_per_unit: int = 100
) -> Collateral:
    """Collateral of the secured loans valued by the valuation model from the ``collateral.<feature>`` columns.

    The log-sd of the sale value comes from the valuation's 80 % interval:
    ``(log high - log low) / (2 * 1.2816)``.
    """
    frame = frame.reset_index(drop=True)
    secured = _secured(frame)
    value, sd = np.zeros(len(frame)), np.zeros(len(frame))
    if secured.any():
        needed = [f for f in valuation.schema.features if f not in set(valuation.schema.date_features)]
        missing = [f"{COLLATERAL_PREFIX}{f}" for f in needed if f"{COLLATERAL_PREFIX}{f}" not in frame.columns]
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise SchemaError(f"secured loans need the collateral's features for the valuation model: {shown}")
        rows = frame.loc[secured, [f"{COLLATERAL_PREFIX}{f}" for f in needed]]
        rows.columns = needed
        pred = valuation.predict(rows.reset_index(drop=True))
        value[secured] = np.floor(pred.estimate * minor_per_unit)
        sd[secured] = (np.log(pred.high) - np.log(pred.low)) / (2.0 * _Z80)
    return Collateral(value_fen=value, log_sd=sd, source=f"valuation model {valuation.version}")


def _collateral_given(frame: pd.DataFrame, secured: np.ndarray, settings: RecoverySettings) -> Collateral:
    if not secured.any():
        return Collateral(np.zeros(len(frame)), np.zeros(len(frame)), "none")
    if COLLATERAL_VALUE not in frame.columns:
        raise SchemaError(
            f"secured loans need a collateral value: a {COLLATERAL_VALUE!r} column (minor units) "
            f"or a valuation model with the collateral's {COLLATERAL_PREFIX}<feature> columns"
        )
    values = pd.to_numeric(frame[COLLATERAL_VALUE], errors="coerce").to_numpy(np.float64)
    bad = secured & (~np.isfinite(values) | (values < 0))
    if bad.any():
        raise SchemaError(f"{int(bad.sum())} secured loan(s) have no valid {COLLATERAL_VALUE} (minor units >= 0)")
    return Collateral(
        np.where(secured, np.floor(np.nan_to_num(values)), 0.0),
        np.where(secured, settings.collateral_log_sd, 0.0),
        f"{COLLATERAL_VALUE} column",
    )


# --- package pricing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentPrice:
    """One segment of a package; money in integer minor units."""

    segment: str
    loans: int
    balance_fen: int
    expected_recovery_fen: int
    expected_pv_fen: int
    p10_pv_fen: int
    p50_pv_fen: int
    p90_pv_fen: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "loans": self.loans,
            "balance_fen": self.balance_fen,
            "expected_recovery_fen": self.expected_recovery_fen,
            "expected_pv_fen": self.expected_pv_fen,
            "p10_pv_fen": self.p10_pv_fen,
            "p50_pv_fen": self.p50_pv_fen,
            "p90_pv_fen": self.p90_pv_fen,
        }


@dataclass(frozen=True)
class PackagePrice:
    """A package's simulated price: ``total`` and one :class:`SegmentPrice` per value of ``segment_by``."""

    total: SegmentPrice
    segments: tuple[SegmentPrice, ...]
    segment_by: str
    discount_rate: str
    seed: int
    simulations: int
    model_version: str
    digest: str
    collateral: str
    seconds: float = field(default=0.0, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "package_digest": self.digest,
            "discount_rate": self.discount_rate,
            "seed": self.seed,
            "simulations": self.simulations,
            "segment_by": self.segment_by,
            "collateral": self.collateral,
            "total": self.total.to_dict(),
            "segments": [s.to_dict() for s in self.segments],
        }


def _rate_text(rate: float) -> str:
    if not isinstance(rate, int | float) or not math.isfinite(rate) or not 0.0 <= rate <= 1.0:
        raise SchemaError(f"discount rate must be an annual rate between 0 and 1 (0.08 = 8%), got {rate!r}")
    return f"{rate:.6f}"


def _money_columns(frame: pd.DataFrame) -> list[str]:
    extra = [c for c in (LOAN_ID, SECURED, COLLATERAL_VALUE) if c in frame.columns]
    return extra + sorted(str(c) for c in frame.columns if str(c).startswith(COLLATERAL_PREFIX))


def package_digest(
    frame: pd.DataFrame, model: RecoveryModel, *, discount_rate: float, seed: int, simulations: int
) -> str:
    """SHA-256 hex of the package's canonical content (the columns pricing reads) and the pricing inputs."""
    canonical = _canonical(frame)
    columns = [*model.schema.features, BALANCE, *_money_columns(canonical)]
    missing = [c for c in columns if c not in canonical.columns]
    if missing:
        raise SchemaError(f"the package lacks column(s) the model needs: {', '.join(map(repr, missing[:8]))}")
    return stable_digest(
        {
            "rows": frame_digest(canonical, columns),
            "columns": columns,
            "discount_rate": _rate_text(discount_rate),
            "seed": seed,
            "simulations": simulations,
            "model": model.version,
        }
    )


def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` that add up to ``total`` exactly (largest remainder)."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.sum() <= 0:
        out = np.zeros(len(weights), dtype=np.int64)
        if len(out):
            out[0] = total
        return out
    exact = weights / weights.sum() * total
    out = np.floor(exact).astype(np.int64)
    rest = total - int(out.sum())
    order = np.argsort(-(exact - out), kind="stable")
    out[order[:rest]] += 1
    return np.asarray(out, dtype=np.int64)


def price_package(
    model: RecoveryModel,
    frame: pd.DataFrame,
    *,
    discount_rate: float,
    seed: int = 0,
    simulations: int = 2000,
    segment: str | None = None,
    collateral: Collateral | None = None,
) -> PackagePrice:
    """Monte-Carlo price of a package of loans (see the module docstring); deterministic for a seed.

    ``collateral`` (from :func:`collateral_from_valuation`) values the secured loans; without it they
    need a ``collateral_value_fen`` column. It must be computed on the same ``frame``.
    """
    started = time.perf_counter()
    rate_text = _rate_text(discount_rate)
    if not 1 <= simulations <= 1_000_000:
        raise SchemaError(f"simulations must be between 1 and 1,000,000, got {simulations}")
    if len(frame) == 0:
        raise SchemaError("the package has no loans")
    segment = segment or (model.schema.categorical[0] if model.schema.categorical else SECURED)
    if segment not in frame.columns and segment != SECURED:
        raise SchemaError(f"segment column {segment!r} is not a column of the package")
    _balances(frame)
    digest = package_digest(frame, model, discount_rate=discount_rate, seed=seed, simulations=simulations)
    if collateral is not None:
        if len(collateral.value_fen) != len(frame):
            raise SchemaError("collateral values must be computed on the same package rows")
        order = _canonical(frame.assign(_row=np.arange(len(frame))))["_row"].to_numpy()
        collateral = Collateral(collateral.value_fen[order], collateral.log_sd[order], collateral.source)
    frame = _canonical(frame)
    balance = _balances(frame)
    secured = _secured(frame)
    if collateral is None:
        collateral = _collateral_given(frame, secured, model.settings)
    elif np.any(secured & (collateral.value_fen <= 0)):
        raise SchemaError("a secured loan has no collateral value from the valuation model")
    x = model._design(frame)
    eta, mu, nu = model.parts.linear(x)
    labels = (
        np.where(secured, "secured", "unsecured").astype(object)
        if segment == SECURED
        else frame[segment].astype(object).where(frame[segment].notna(), "<missing>").astype(str).to_numpy()
    )
    names, codes = np.unique(labels.astype(str), return_inverse=True)
    n, s_sd, t_sd, sys_sd = len(frame), model.parts.share_sd, model.parts.time_sd, model.systematic_sd
    settings = model.settings
    monthly = math.log1p(float(rate_text))
    net = np.floor(collateral.value_fen * (1.0 - settings.haircut))
    sec_idx = np.flatnonzero(secured)
    enforcement_df = math.exp(-monthly * settings.enforcement_months / 12.0)
    # exp(a + b) = exp(a) exp(b): per-loan and per-simulation factors, so a draw costs products, not exps
    any_odds, share_odds, median_months = np.exp(-eta), np.exp(-mu), np.exp(nu)
    sec_balance, sec_net, sec_sd = balance[sec_idx], net[sec_idx], collateral.log_sd[sec_idx]
    onehot = np.zeros((n, len(names)))
    onehot[np.arange(n), codes] = 1.0  # segment sums as a product: sums of integer-valued floats are exact
    rng = np.random.Generator(np.random.PCG64(seed))
    chunk = max(1, _CHUNK_DRAWS // n)
    pv_tot = np.zeros((simulations, len(names)), dtype=np.int64)
    cash_tot = np.zeros((simulations, len(names)), dtype=np.int64)
    for start in range(0, simulations, chunk):
        k = min(chunk, simulations - start)
        shift = np.exp(-sys_sd * rng.standard_normal(k))[:, None]
        u = rng.random((k, n))
        z = rng.standard_normal((k, n))
        w = rng.standard_normal((k, n))
        hit = u * (1.0 + any_odds * shift) < 1.0
        amount = balance / (1.0 + share_odds * shift * np.exp(-s_sd * z))
        discount = np.exp(-monthly / 12.0 * median_months * np.exp(t_sd * w))
        sec_cash = sec_pv = None
        if len(sec_idx):
            sale = np.floor(sec_net * np.exp(sec_sd * rng.standard_normal((k, len(sec_idx)))))
            repaid = np.minimum(sec_balance, sale)
            # the rest of the balance is an unsecured claim: the share applies to it alone
            amount[:, sec_idx] *= (sec_balance - repaid) / sec_balance
            sec_cash, sec_pv = repaid, np.floor(repaid * enforcement_df)
        amount *= hit
        cash = np.floor(amount)
        pv = np.floor(amount * discount)
        if sec_cash is not None and sec_pv is not None:
            cash[:, sec_idx] += sec_cash
            pv[:, sec_idx] += sec_pv
        pv_tot[start : start + k] = np.rint(pv @ onehot).astype(np.int64)
        cash_tot[start : start + k] = np.rint(cash @ onehot).astype(np.int64)

    def summary(label: str, rows: np.ndarray, pv: np.ndarray, exp_cash: int, exp_pv: int) -> SegmentPrice:
        q = np.quantile(pv, [0.1, 0.5, 0.9], method="inverted_cdf")
        return SegmentPrice(
            segment=label,
            loans=int(rows.sum()),
            balance_fen=int(balance[rows].sum()),
            expected_recovery_fen=exp_cash,
            expected_pv_fen=exp_pv,
            p10_pv_fen=int(q[0]),
            p50_pv_fen=int(q[1]),
            p90_pv_fen=int(q[2]),
        )

    total_pv, total_cash = pv_tot.sum(axis=1), cash_tot.sum(axis=1)
    exp_pv = (int(total_pv.sum()) * 2 + simulations) // (2 * simulations)
    exp_cash = (int(total_cash.sum()) * 2 + simulations) // (2 * simulations)
    seg_pv = _apportion(exp_pv, pv_tot.sum(axis=0).astype(np.float64))
    seg_cash = _apportion(exp_cash, cash_tot.sum(axis=0).astype(np.float64))
    segments = tuple(
        summary(str(name), codes == g, pv_tot[:, g], int(seg_cash[g]), int(seg_pv[g])) for g, name in enumerate(names)
    )
    total = summary("total", np.ones(n, dtype=bool), total_pv, exp_cash, exp_pv)
    return PackagePrice(
        total=total,
        segments=segments,
        segment_by=segment,
        discount_rate=rate_text,
        seed=seed,
        simulations=simulations,
        model_version=model.version,
        digest=digest,
        collateral=collateral.source,
        seconds=time.perf_counter() - started,
    )


# --- evaluation ---------------------------------------------------------------------------------------


def segment_mean_baseline(train: pd.DataFrame, test: pd.DataFrame, segment: str) -> np.ndarray:
    """The baseline: each test loan's expected recovery (minor units) at its segment's training recovery rate.

    The rate of a segment is its recovered total over its balance total (overall rate for unseen segments).
    """
    tb, tr = _balances(train), pd.to_numeric(train[RECOVERED]).to_numpy(np.float64)
    overall = float(tr.sum() / tb.sum())
    keys = train[segment].astype(str).to_numpy()
    rates = {k: float(tr[keys == k].sum() / tb[keys == k].sum()) for k in np.unique(keys)}
    test_keys = test[segment].astype(str).to_numpy()
    rate = np.array([rates.get(k, overall) for k in test_keys])
    return np.asarray(np.floor(rate * _balances(test)))


def _actual_pv(frame: pd.DataFrame, discount_rate: float) -> np.ndarray:
    recovered = pd.to_numeric(frame[RECOVERED]).to_numpy(np.float64)
    months = pd.to_numeric(frame[MONTHS]).fillna(0.0).to_numpy(np.float64)
    return np.asarray(np.floor(recovered * np.exp(-math.log1p(discount_rate) * months / 12.0)))


@dataclass(frozen=True)
class RecoveryEvaluation:
    """Out-of-time results: per-loan MAE against the segment-mean baseline, package interval coverage."""

    train_rows: int
    test_rows: int
    train_period: str
    test_period: str
    mae_model_fen: float
    mae_baseline_fen: float
    packages: int
    package_size: int
    with_replacement: bool
    coverage: float
    below: int
    above: int
    mean_actual_pv_fen: float
    mean_p50_pv_fen: float
    model_version: str
    segment: str

    @property
    def mae_ratio(self) -> float:
        return self.mae_model_fen / self.mae_baseline_fen if self.mae_baseline_fen else math.inf

    def to_dict(self) -> dict[str, Any]:
        return {
            "train_rows": self.train_rows,
            "test_rows": self.test_rows,
            "train_period": self.train_period,
            "test_period": self.test_period,
            "mae_model_fen": round(self.mae_model_fen, 1),
            "mae_baseline_fen": round(self.mae_baseline_fen, 1),
            "mae_ratio": round(self.mae_ratio, 4),
            "baseline": f"segment mean recovery rate by {self.segment}",
            "packages": self.packages,
            "package_size": self.package_size,
            "packages_drawn_with_replacement": self.with_replacement,
            "p10_p90_coverage": round(self.coverage, 4),
            "actual_below_p10": self.below,
            "actual_above_p90": self.above,
            "mean_actual_pv_fen": round(self.mean_actual_pv_fen),
            "mean_p50_pv_fen": round(self.mean_p50_pv_fen),
            "evaluated_model_version": self.model_version,
        }


def evaluate_out_of_time(
    frame: pd.DataFrame,
    schema: Schema,
    *,
    date_column: str,
    test_from: Any,
    settings: RecoverySettings | None = None,
    segment: str | None = None,
    discount_rate: float = 0.08,
    packages: int = 200,
    package_size: int = 500,
    simulations: int = 1000,
    seed: int = 0,
) -> RecoveryEvaluation:
    """Train on loans dated before ``test_from``, test on the rest: per-loan MAE and package coverage.

    Packages are ``package_size`` loans drawn at random from the test period (with replacement when it
    has fewer loans); a package is covered when its actual present value (recoveries discounted over
    their actual months) lies within the simulated P10-P90.
    """
    frame = frame.reset_index(drop=True)
    when = _time_values(frame, date_column)
    cut = _time_values(pd.DataFrame({date_column: [test_from]}), date_column)[0]
    train, test = frame[when < cut].reset_index(drop=True), frame[when >= cut].reset_index(drop=True)
    if len(train) < 20 or len(test) < 5:
        raise SchemaError(f"the time split leaves {len(train)} training and {len(test)} test loans: too few")
    segment = segment or (schema.categorical[0] if schema.categorical else None)
    if segment is None:
        raise SchemaError("evaluation needs a segment column for the segment-mean baseline")
    model = fit_recovery(train, schema, settings=settings, date_column=date_column)
    actual = pd.to_numeric(test[RECOVERED]).to_numpy(np.float64)
    mae_model = float(np.mean(np.abs(model.predict(test).expected_fen - actual)))
    mae_base = float(np.mean(np.abs(segment_mean_baseline(train, test, segment) - actual)))
    actual_pv = _actual_pv(test, discount_rate)
    rng = np.random.Generator(np.random.PCG64(seed))
    replace = len(test) < package_size
    covered = below = above = 0
    sum_actual = sum_p50 = 0.0
    for j in range(packages):
        pick = rng.choice(len(test), size=package_size, replace=replace)
        package = test.iloc[pick].drop(columns=[LOAN_ID], errors="ignore").reset_index(drop=True)
        price = price_package(model, package, discount_rate=discount_rate, seed=seed + j, simulations=simulations)
        value = float(actual_pv[pick].sum())
        below += value < price.total.p10_pv_fen
        above += value > price.total.p90_pv_fen
        covered += price.total.p10_pv_fen <= value <= price.total.p90_pv_fen
        sum_actual += value
        sum_p50 += price.total.p50_pv_fen

    def period(rows: pd.DataFrame) -> str:
        values = rows[date_column].astype(str)
        return f"{values.min()} to {values.max()}"

    return RecoveryEvaluation(
        train_rows=len(train),
        test_rows=len(test),
        train_period=period(train),
        test_period=period(test),
        mae_model_fen=mae_model,
        mae_baseline_fen=mae_base,
        packages=packages,
        package_size=package_size,
        with_replacement=replace,
        coverage=covered / packages,
        below=int(below),
        above=int(above),
        mean_actual_pv_fen=sum_actual / packages,
        mean_p50_pv_fen=sum_p50 / packages,
        model_version=model.version,
        segment=segment,
    )


# --- model card ---------------------------------------------------------------------------------------


def render_recovery_card(
    model: RecoveryModel,
    *,
    data: dict[str, Any],
    evaluation: RecoveryEvaluation | None,
    measures: str,
    created: str | None = None,
) -> str:
    """The recovery model's card as markdown: data (and what its target measures), metrics, rule, limits."""
    facts = model.describe()
    out = [f"# Recovery model {model.version} ({model.schema.name})", "", "- kind: `recovery`"]
    out += [f"- version: `{model.version}`"] + ([f"- created: {created}"] if created else [])
    out += ["", "## Data", ""] + [f"- {k}: {v}" for k, v in data.items()]
    out += ["", "## What the target measures", "", measures]
    out += ["", f"## Features ({len(model.schema.features)})", "", "| feature | type |", "|---|---|"]
    out += [f"| `{name}` | {kind} |" for name, kind in model.schema.feature_types.items()]
    out += ["", "## Out-of-time evaluation", ""]
    if evaluation is None:
        out.append("Not evaluated (no date column).")
    else:
        out += ["| metric | value |", "|---|---|"]
        out += [f"| {k} | {v} |" for k, v in evaluation.to_dict().items()]
        out += [
            "",
            "Goals: per-loan MAE below the segment-mean baseline (ratio < 1); P10-P90 of random packages "
            f"covering the actual present value 80 +/- 5 % of the time. Met: MAE "
            f"{'yes' if evaluation.mae_ratio < 1 else 'no'}, coverage "
            f"{'yes' if abs(evaluation.coverage - 0.8) <= 0.05 else 'no'}.",
        ]
    out += ["", "## Training", ""] + [f"- {k}: {v}" for k, v in facts.items()]
    s = model.settings
    out += [
        "",
        "## Secured loans",
        "",
        f"Collateral sold by enforcement after {s.enforcement_months:g} months for a log-normal draw around its "
        f"value, net of a {s.forced_sale_discount:.0%} forced-sale discount and {s.disposal_cost_share:.0%} "
        "disposal costs; it repays at most the balance; the rest of the balance is recovered like an unsecured "
        "loan. These constants are assumptions (no public data with secured recoveries was available), not "
        "learned.",
        "",
        "## Intended use",
        "",
        "Pricing support for a package of non-performing loans sold by a bank to an investor: the expected "
        "recovery and the P10/P50/P90 of its present value, pushed on chain by the oracles as a valuation of "
        "the package (auction starting prices, fraction valuations). Not a price for a single debtor.",
        "",
        "## Limitations",
        "",
        f"- Trained on {model.n_rows} loans; segments and periods unlike them are extrapolations.",
        "- Package intervals assume one common period shift per simulation; crises larger than those seen in "
        "the training period are not covered.",
        "- Identical prices across operators need the same artefact, package file, seed, rate and library versions.",
        "- Out-of-time test packages drawn from one short test period share one period outcome, so their P10-P90 "
        "coverage is close to all or nothing; it measures the period spread, not the loan-level spread.",
    ]
    return "\n".join(out) + "\n"
