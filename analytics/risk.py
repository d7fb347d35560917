"""Credit risk: explained early-warning rules on loan monitoring data, and a calibrated default probability.

**Early-warning rules** (:class:`EarlyWarningRules`) read a :class:`LoanObservation` (money in integer
minor units) and fire with an explanation. Each is configurable and can be switched off with ``None``:

* ``overdue_days`` (default 30): fires when ``days_overdue > overdue_days`` — 31 fires, 30 does not.
* ``overdue_share_bp`` (default 500 = 5 %): fires when ``overdue_amount / loan_amount`` is strictly
  above the threshold, compared exactly in integers (``overdue_amount * 10_000 > loan_amount * bp``):
  5 % of the loan does not fire, one minor unit more does.
* ``downgrade_notches`` (default 1): fires when the rating moved at least that many notches down the
  ``rating_scale`` (best first; default ``AAA … D``, so ``A -> B`` is a 3-notch downgrade and fires).

**Default probability** (:func:`fit_default_model`): a regularised logistic regression (C chosen by
inner CV AUC) and LightGBM (Optuna within ``settings.budget_s``) are fitted per fold; their
out-of-fold log-odds are stacked with non-negative weights by a Platt (logistic) fit, optionally
followed by isotonic regression. Both calibrators are fitted on out-of-fold scores only, so the
probabilities are calibrated on data the base models never saw. ``cross_validate_default_model``
reports held-out ROC AUC, Brier score, expected calibration error and the reliability curve.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.parallel import Parallel, delayed

from analytics._exceptions import NotFittedError, RuleInputError, SchemaError
from analytics._tuning import DEFAULT_BUDGET_S, TuningResult, train_booster, tune_lightgbm
from analytics.features import FeatureEncoder, Schema, frame_digest, stable_digest
from analytics.metrics import ReliabilityCurve, brier_score, expected_calibration_error, reliability_curve

__all__ = [
    "DEFAULT_RATING_SCALE",
    "DefaultModel",
    "EarlyWarning",
    "EarlyWarningRules",
    "LoanObservation",
    "RiskAssessment",
    "RiskCV",
    "RiskSettings",
    "assess_loan",
    "cross_validate_default_model",
    "fit_default_model",
]

logger = logging.getLogger(__name__)

DEFAULT_RATING_SCALE = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D")
_CODE_VERSION = "risk/1"


# --- early-warning rules ---------------------------------------------------------------------------


def _require_int(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleInputError(f"{name} must be an integer (money in minor units), got {value!r}")
    if value < minimum:
        raise RuleInputError(f"{name} must be >= {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class LoanObservation:
    """One loan as monitored: amounts in integer minor units (fen), ratings on the rules' scale."""

    loan_id: str
    loan_amount: int
    days_overdue: int = 0
    overdue_amount: int = 0
    rating: str | None = None
    previous_rating: str | None = None

    def __post_init__(self) -> None:
        _require_int("loan_amount", self.loan_amount, minimum=1)
        _require_int("days_overdue", self.days_overdue, minimum=0)
        _require_int("overdue_amount", self.overdue_amount, minimum=0)


@dataclass(frozen=True)
class EarlyWarning:
    """A fired rule: which, on what loan, the observed value, the threshold and a sentence saying why."""

    rule: Literal["overdue_days", "overdue_share", "rating_downgrade"]
    code: str
    loan_id: str
    observed: str
    threshold: str
    message: str


def _percent(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.2f}%"


@dataclass(frozen=True)
class EarlyWarningRules:
    """Configurable early-warning thresholds (``None`` switches a rule off)."""

    overdue_days: int | None = 30
    overdue_share_bp: int | None = 500
    downgrade_notches: int | None = 1
    rating_scale: tuple[str, ...] = DEFAULT_RATING_SCALE

    def __post_init__(self) -> None:
        if self.overdue_days is not None:
            _require_int("overdue_days", self.overdue_days, minimum=0)
        if self.overdue_share_bp is not None:
            _require_int("overdue_share_bp", self.overdue_share_bp, minimum=0)
            if self.overdue_share_bp > 10_000:
                raise RuleInputError(f"overdue_share_bp is in basis points (<= 10000), got {self.overdue_share_bp}")
        if self.downgrade_notches is not None:
            _require_int("downgrade_notches", self.downgrade_notches, minimum=1)
        if len(set(self.rating_scale)) != len(self.rating_scale) or not self.rating_scale:
            raise RuleInputError(f"rating_scale must list distinct ratings, best first: {self.rating_scale}")

    def _notch(self, rating: str) -> int:
        try:
            return self.rating_scale.index(rating)
        except ValueError:
            raise RuleInputError(f"rating {rating!r} is not on the scale {list(self.rating_scale)}") from None

    def evaluate(self, obs: LoanObservation) -> list[EarlyWarning]:
        """Every rule that fires for ``obs``, in the order overdue days, overdue share, downgrade."""
        fired: list[EarlyWarning] = []
        if self.overdue_days is not None and obs.days_overdue > self.overdue_days:
            fired.append(
                EarlyWarning(
                    rule="overdue_days",
                    code="EW-001",
                    loan_id=obs.loan_id,
                    observed=str(obs.days_overdue),
                    threshold=f"> {self.overdue_days}",
                    message=f"overdue {obs.days_overdue} days, more than the {self.overdue_days}-day threshold",
                )
            )
        bp = self.overdue_share_bp
        if bp is not None and obs.overdue_amount * 10_000 > obs.loan_amount * bp:
            fired.append(
                EarlyWarning(
                    rule="overdue_share",
                    code="EW-002",
                    loan_id=obs.loan_id,
                    observed=_percent(obs.overdue_amount, obs.loan_amount),
                    threshold=f"> {bp / 100:.2f}%",
                    message=(
                        f"overdue amount {obs.overdue_amount:,} is {_percent(obs.overdue_amount, obs.loan_amount)} "
                        f"of the loan amount {obs.loan_amount:,} (minor units), above the {bp / 100:.2f}% threshold"
                    ),
                )
            )
        if self.downgrade_notches is not None and obs.rating is not None and obs.previous_rating is not None:
            moved = self._notch(obs.rating) - self._notch(obs.previous_rating)
            if moved >= self.downgrade_notches:
                fired.append(
                    EarlyWarning(
                        rule="rating_downgrade",
                        code="EW-003",
                        loan_id=obs.loan_id,
                        observed=f"{obs.previous_rating} -> {obs.rating}",
                        threshold=f">= {self.downgrade_notches} notch(es)",
                        message=(
                            f"internal rating downgraded {obs.previous_rating} -> {obs.rating} "
                            f"({moved} notch(es), threshold {self.downgrade_notches})"
                        ),
                    )
                )
        return fired

    def evaluate_all(self, observations: Iterable[LoanObservation]) -> dict[str, list[EarlyWarning]]:
        """Warnings per loan id (loans with none map to an empty list)."""
        return {obs.loan_id: self.evaluate(obs) for obs in observations}


# --- default probability -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskSettings:
    """How to fit the default model."""

    folds: int = 5
    budget_s: float = DEFAULT_BUDGET_S
    max_trials: int | None = None
    seed: int = 0
    tuning_folds: int = 3
    calibration: Literal["platt", "isotonic"] = "platt"
    logistic_cs: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
    min_category_count: int = 20
    approaches: tuple[str, ...] = ("logistic", "gradient_boosting")

    def __post_init__(self) -> None:
        if self.folds < 2:
            raise SchemaError(f"folds must be at least 2, got {self.folds}")
        if self.calibration not in ("platt", "isotonic"):
            raise SchemaError(f"calibration must be 'platt' or 'isotonic', got {self.calibration!r}")
        unknown = [a for a in self.approaches if a not in ("logistic", "gradient_boosting")]
        if unknown or not self.approaches:
            raise SchemaError(f"approaches must be a non-empty subset of ('logistic', 'gradient_boosting'): {unknown}")
        if self.budget_s < 0:
            raise SchemaError(f"budget_s must be >= 0, got {self.budget_s}")
        if self.max_trials is not None and self.max_trials < 0:
            raise SchemaError(f"max_trials must be >= 0 (0: no tuning) or None, got {self.max_trials}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "folds": self.folds,
            "budget_s": self.budget_s,
            "max_trials": self.max_trials,
            "seed": self.seed,
            "tuning_folds": self.tuning_folds,
            "calibration": self.calibration,
            "logistic_cs": list(self.logistic_cs),
            "min_category_count": self.min_category_count,
            "approaches": list(self.approaches),
        }


def _labels(frame: pd.DataFrame, target: str, schema: Schema) -> np.ndarray:
    if target != schema.target:
        raise SchemaError(f"target {target!r} differs from the schema's target {schema.target!r}")
    schema.check_frame(frame, need_target=True)
    values = frame[target]
    if values.isna().any():
        raise SchemaError(f"target {target!r} has {int(values.isna().sum())} missing values")
    positive = schema.positive_label
    if positive is None:
        uniq = set(values.unique().tolist())
        if not uniq <= {0, 1}:
            raise SchemaError(
                f"schema.positive_label must name the default class of {target!r} (values {sorted(map(str, uniq))[:5]})"
            )
        positive = 1
    y = (values == positive).to_numpy(dtype=np.int64)
    if y.sum() == 0 or y.sum() == len(y):
        raise SchemaError(
            f"target {target!r} needs both classes; positive label {positive!r} gives {int(y.sum())} of {len(y)}"
        )
    return np.asarray(y)


def _choose_c(x: np.ndarray, y: np.ndarray, cs: Sequence[float], folds: int, seed: int) -> float:
    if len(cs) == 1:
        return float(cs[0])
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y))
    best_c, best_auc = float(cs[0]), -math.inf
    for c in cs:
        score = np.zeros(len(y))
        for tr, te in splits:
            score[te] = LogisticRegression(C=c, max_iter=5000).fit(x[tr], y[tr]).decision_function(x[te])
        auc = float(roc_auc_score(y, score))
        if auc > best_auc:
            best_c, best_auc = float(c), auc
    return best_c


class _Logistic:
    name = "logistic"

    def __init__(self, c: float, owner: np.ndarray, n_features: int) -> None:
        self.c, self.owner, self.n_features = c, owner, n_features
        self.coef = np.zeros(len(owner))
        self.intercept = 0.0
        self.mean = np.zeros(len(owner))

    def fit(self, x: np.ndarray, y: np.ndarray) -> None:
        model = LogisticRegression(C=self.c, max_iter=5000).fit(x, y)
        self.coef = np.asarray(model.coef_[0], dtype=np.float64)
        self.intercept = float(model.intercept_[0])
        self.mean = x.mean(axis=0)

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x @ self.coef + self.intercept)

    def explain(self, x: np.ndarray) -> tuple[np.ndarray, float]:
        out = np.zeros((x.shape[0], self.n_features))
        terms = (x - self.mean) * self.coef
        for col in range(terms.shape[1]):
            out[:, self.owner[col]] += terms[:, col]
        return out, float(self.intercept + self.mean @ self.coef)


class _BoostedClassifier:
    name = "gradient_boosting"

    def __init__(self, tuning: TuningResult, seed: int, n_features: int) -> None:
        self.tuning, self.seed, self.n_features = tuning, seed, n_features
        self.booster: lgb.Booster | None = None

    def fit(self, x: pd.DataFrame, y: np.ndarray) -> None:
        self.booster = train_booster(x, y.astype(np.float64), task="binary", tuning=self.tuning, seed=self.seed)

    def _model(self) -> lgb.Booster:
        if self.booster is None:
            raise NotFittedError("gradient boosting classifier is not fitted")
        return self.booster

    def log_odds(self, x: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._model().predict(x, raw_score=True), dtype=np.float64)

    def explain(self, x: pd.DataFrame) -> tuple[np.ndarray, float]:
        contrib = np.asarray(self._model().predict(x, pred_contrib=True), dtype=np.float64)
        return contrib[:, : self.n_features], float(contrib[0, -1]) if len(x) else 0.0


def _fit_platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Intercept and non-negative weights minimising log loss of ``sigmoid(a + scores @ w)``."""
    m = scores.shape[1]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = theta[0] + scores @ theta[1:]
        p = expit(eta)
        value = float(np.sum(np.logaddexp(0.0, eta) - y * eta))
        g = p - y
        return value, np.concatenate([[g.sum()], scores.T @ g])

    start = np.concatenate([[0.0], np.full(m, 1.0 / m)])
    bounds = [(None, None)] + [(0.0, None)] * m
    res = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return float(res.x[0]), np.asarray(res.x[1:], dtype=np.float64)


@dataclass(frozen=True)
class RiskAssessment:
    """A loan's fired rules and, when a model and features were given, its default probability."""

    loan_id: str
    warnings: tuple[EarlyWarning, ...]
    probability: float | None = None
    model_version: str | None = None
    top_factors: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    @property
    def flagged(self) -> bool:
        return bool(self.warnings)


class DefaultModel:
    """A fitted, calibrated probability-of-default model; build it with :func:`fit_default_model`."""

    def __init__(
        self,
        *,
        schema: Schema,
        settings: RiskSettings,
        encoder: FeatureEncoder,
        logistic: _Logistic | None,
        boosted: _BoostedClassifier | None,
        platt: tuple[float, np.ndarray],
        isotonic: IsotonicRegression | None,
        tuning: TuningResult,
        oof_metrics: dict[str, Any],
        data_digest: str,
        n_rows: int,
        base_rate: float,
        fit_seconds: float,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.encoder = encoder
        self._logistic = logistic
        self._boosted = boosted
        self.platt = platt
        self._isotonic = isotonic
        self.tuning = tuning
        self.oof_metrics = oof_metrics
        self.data_digest = data_digest
        self.n_rows = n_rows
        self.base_rate = base_rate
        self.fit_seconds = fit_seconds
        self.version = "pd-" + stable_digest(self.version_payload())[:16]

    @property
    def weights(self) -> dict[str, float]:
        names = [m.name for m in (self._logistic, self._boosted) if m is not None]
        return {n: float(w) for n, w in zip(names, self.platt[1], strict=True)}

    def version_payload(self) -> dict[str, Any]:
        return {
            "code": _CODE_VERSION,
            "schema": self.schema.to_dict(),
            "settings": self.settings.to_dict(),
            "data": self.data_digest,
            "rows": self.n_rows,
            "tuning": {"params": self.tuning.params, "n_estimators": self.tuning.n_estimators},
            "logistic_c": self._logistic.c if self._logistic else None,
            "platt": [round(self.platt[0], 12), [round(float(w), 12) for w in self.platt[1]]],
            "libraries": {p: metadata.version(p) for p in ("lightgbm", "scikit-learn", "numpy", "pandas")},
        }

    def _scores(self, frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
        frame = frame.reset_index(drop=True)
        tree = self.encoder.tree_frame(frame)
        lin = self.encoder.linear_matrix(frame)
        cols = []
        if self._logistic is not None:
            cols.append(self._logistic.log_odds(lin))
        if self._boosted is not None:
            cols.append(self._boosted.log_odds(tree))
        return np.column_stack(cols), tree, lin

    def _calibrate(self, eta: np.ndarray) -> np.ndarray:
        if self._isotonic is not None:
            return np.asarray(self._isotonic.predict(eta), dtype=np.float64)
        return np.asarray(expit(eta), dtype=np.float64)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the positive (default) class for every row, in [0, 1]."""
        scores, _, _ = self._scores(frame)
        a, w = self.platt
        return np.asarray(np.clip(self._calibrate(a + scores @ w), 0.0, 1.0))

    def explain(self, frame: pd.DataFrame) -> tuple[np.ndarray, float]:
        """Per-feature contributions to the stacked log-odds, and the base log-odds (additive)."""
        _, tree, lin = self._scores(frame)
        a, w = self.platt
        out = np.zeros((len(tree), len(self.schema.features)))
        base = a
        k = 0
        if self._logistic is not None:
            c, b = self._logistic.explain(lin)
            out += w[k] * c
            base += w[k] * b
            k += 1
        if self._boosted is not None:
            c, b = self._boosted.explain(tree)
            out += w[k] * c
            base += w[k] * b
        return out, float(base)

    def top_factors(self, frame: pd.DataFrame, *, top: int = 5) -> list[tuple[tuple[str, float], ...]]:
        contrib, _ = self.explain(frame)
        names = self.schema.features
        result = []
        for row in contrib:
            order = np.argsort(-np.abs(row), kind="stable")[:top]
            result.append(tuple((names[j], float(row[j])) for j in order))
        return result

    def describe(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "rows": self.n_rows,
            "base_rate": self.base_rate,
            "weights": self.weights,
            "logistic_c": self._logistic.c if self._logistic else None,
            "calibration": self.settings.calibration,
            "tuning": self.tuning.to_dict() | {"elapsed_s": round(self.tuning.elapsed_s, 1)},
            "oof_metrics": self.oof_metrics,
            "fit_seconds": round(self.fit_seconds, 1),
        }


def fit_default_model(
    frame: pd.DataFrame, target: str, schema: Schema, *, settings: RiskSettings | None = None
) -> DefaultModel:
    """Fit the stacked, calibrated default model; ``schema.positive_label`` marks the default class."""
    settings = settings or RiskSettings()
    started = time.perf_counter()
    frame = frame.reset_index(drop=True)
    y = _labels(frame, target, schema)
    if int(y.sum()) < settings.folds or int((1 - y).sum()) < settings.folds:
        raise SchemaError(f"each class needs at least {settings.folds} rows for {settings.folds}-fold stacking")
    encoder = FeatureEncoder(schema, min_category_count=settings.min_category_count, spline_knots=0).fit(frame)
    tree, lin = encoder.tree_frame(frame), encoder.linear_matrix(frame)
    n_features = len(schema.features)
    use_lr = "logistic" in settings.approaches
    use_gbm = "gradient_boosting" in settings.approaches
    c = _choose_c(lin, y, settings.logistic_cs, settings.tuning_folds, settings.seed) if use_lr else 1.0
    tuning = (
        tune_lightgbm(
            tree,
            y.astype(np.float64),
            task="binary",
            budget_s=settings.budget_s,
            max_trials=settings.max_trials,
            seed=settings.seed,
            folds=settings.tuning_folds,
        )
        if use_gbm
        else TuningResult({}, 0, 0, None, 0.0, "disabled")
    )

    def make() -> tuple[_Logistic | None, _BoostedClassifier | None]:
        return (
            _Logistic(c, encoder.linear_owner, n_features) if use_lr else None,
            _BoostedClassifier(tuning, settings.seed, n_features) if use_gbm else None,
        )

    splits = list(StratifiedKFold(settings.folds, shuffle=True, random_state=settings.seed).split(lin, y))
    oof = np.zeros((len(y), int(use_lr) + int(use_gbm)))
    for tr, te in splits:
        lr_model, gbm_model = make()
        k = 0
        if lr_model is not None:
            lr_model.fit(lin[tr], y[tr])
            oof[te, k] = lr_model.log_odds(lin[te])
            k += 1
        if gbm_model is not None:
            gbm_model.fit(tree.iloc[tr], y[tr])
            oof[te, k] = gbm_model.log_odds(tree.iloc[te])
    platt = _fit_platt(oof, y)
    eta = platt[0] + oof @ platt[1]
    isotonic = None
    if settings.calibration == "isotonic":
        isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(eta, y)
        p_oof = np.asarray(isotonic.predict(eta))
    else:
        p_oof = np.asarray(expit(eta))
    oof_metrics = {
        "auc": float(roc_auc_score(y, p_oof)),
        "brier": brier_score(y, p_oof),
        "ece": expected_calibration_error(y, p_oof),
        "approach_auc": {
            name: float(roc_auc_score(y, oof[:, j]))
            for j, name in enumerate(n for n, used in (("logistic", use_lr), ("gradient_boosting", use_gbm)) if used)
        },
    }
    lr_final, gbm_final = make()
    if lr_final is not None:
        lr_final.fit(lin, y)
    if gbm_final is not None:
        gbm_final.fit(tree, y)
    model = DefaultModel(
        schema=schema,
        settings=settings,
        encoder=encoder,
        logistic=lr_final,
        boosted=gbm_final,
        platt=platt,
        isotonic=isotonic,
        tuning=tuning,
        oof_metrics=oof_metrics,
        data_digest=frame_digest(frame, [*schema.input_columns, schema.target]),
        n_rows=len(y),
        base_rate=float(y.mean()),
        fit_seconds=time.perf_counter() - started,
    )
    logger.info(
        "analytics.risk.fitted version=%s rows=%d weights=%s oof_auc=%.4f seconds=%.1f",
        model.version,
        len(y),
        {k: round(v, 3) for k, v in model.weights.items()},
        oof_metrics["auc"],
        model.fit_seconds,
    )
    return model


def assess_loan(
    observation: LoanObservation,
    *,
    rules: EarlyWarningRules | None = None,
    model: DefaultModel | None = None,
    features: pd.DataFrame | None = None,
    top: int = 5,
) -> RiskAssessment:
    """Rules fired for a loan, plus its default probability when ``model`` and a one-row ``features`` are given."""
    rules = rules or EarlyWarningRules()
    warnings = tuple(rules.evaluate(observation))
    if model is None or features is None:
        return RiskAssessment(loan_id=observation.loan_id, warnings=warnings)
    if len(features) != 1:
        raise SchemaError(f"features for one loan must have exactly one row, got {len(features)}")
    return RiskAssessment(
        loan_id=observation.loan_id,
        warnings=warnings,
        probability=float(model.predict_proba(features)[0]),
        model_version=model.version,
        top_factors=model.top_factors(features, top=top)[0],
    )


# --- cross-validation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskCV:
    """Held-out default probabilities of a cross-validation (``fold`` -1: a row no split tested)."""

    y: np.ndarray
    probability: np.ndarray
    fold: np.ndarray
    versions: tuple[str, ...]
    seconds: float

    @property
    def held_out(self) -> np.ndarray:
        """Rows predicted by a model that never saw them (every row in k-fold, the later rows out of time)."""
        return np.asarray(self.fold >= 0)

    @property
    def metrics(self) -> dict[str, float]:
        y, p = self.y[self.held_out], self.probability[self.held_out]
        return {
            "auc": float(roc_auc_score(y, p)),
            "brier": brier_score(y, p),
            "ece": expected_calibration_error(y, p),
            "base_rate": float(y.mean()),
            "mean_probability": float(p.mean()),
            "rows": float(len(y)),
        }

    def reliability(
        self, *, n_bins: int = 10, strategy: Literal["uniform", "quantile"] = "quantile"
    ) -> ReliabilityCurve:
        held = self.held_out
        return reliability_curve(self.y[held], self.probability[held], n_bins=n_bins, strategy=strategy)


def _fit_risk_fold(
    frame: pd.DataFrame, target: str, schema: Schema, settings: RiskSettings, train: np.ndarray, test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, str]:
    model = fit_default_model(frame.iloc[train], target, schema, settings=settings)
    return test, model.predict_proba(frame.iloc[test]), model.version


def cross_validate_default_model(
    frame: pd.DataFrame,
    target: str,
    schema: Schema,
    *,
    settings: RiskSettings | None = None,
    folds: int = 5,
    splits: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    n_jobs: int = 1,
) -> RiskCV:
    """Stratified ``folds``-fold CV of :func:`fit_default_model` (``splits`` overrides ``folds``):
    every row scored by a model that never saw it."""
    settings = settings or RiskSettings()
    started = time.perf_counter()
    frame = frame.reset_index(drop=True)
    y = _labels(frame, target, schema)
    if splits is None:
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=settings.seed + 1).split(np.zeros(len(y)), y))
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_risk_fold)(frame, target, schema, settings, np.asarray(tr), np.asarray(te)) for tr, te in splits
    )
    p = np.full(len(y), np.nan)
    fold = np.full(len(y), -1)
    versions = []
    for i, (test, prob, version) in enumerate(results):
        p[test], fold[test] = prob, i
        versions.append(version)
    return RiskCV(y, p, fold, tuple(versions), time.perf_counter() - started)
