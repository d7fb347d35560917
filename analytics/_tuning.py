"""Bayesian optimisation (Optuna TPE) of LightGBM hyperparameters within a time budget.

The first trial is always the default parameter set, so a tiny budget never does worse than the
defaults on the inner cross-validation. Each trial runs ``lightgbm.cv`` with early stopping, which also
chooses the number of boosting rounds. Optuna stops starting trials once ``budget_s`` has passed (a
running trial finishes), or after ``max_trials``. With a fixed seed the result is reproducible whenever
``max_trials`` rather than the clock ends the search: give both a seed and ``max_trials`` and keep the
time budget as an upper bound only. :class:`TuningResult` records the trials done, both limits and
which one stopped the search (``trials`` or ``budget``), and the model card shows them; the chosen
parameters go into the model version. :data:`DEFAULT_BUDGET_S` is the one default time budget (the
valuation and risk settings and ``recourse models train --budget`` all use it).

LightGBM runs single-threaded (``num_threads=1``) with ``deterministic=True``: on data of this size one
thread is the fastest, and OpenMP spin-waiting makes several threads collapse on a busy machine.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import optuna
import pandas as pd

__all__ = ["DEFAULT_BUDGET_S", "TuningResult", "base_params", "train_booster", "tune_lightgbm"]

logger = logging.getLogger(__name__)

Task = Literal["regression", "binary"]

#: default Optuna time budget per model fit, in seconds (an upper bound; ``max_trials`` makes runs reproducible)
DEFAULT_BUDGET_S = 30.0

_DEFAULTS: dict[Task, dict[str, Any]] = {
    "regression": {
        "learning_rate": 0.03,
        "num_leaves": 15,
        "min_child_samples": 10,
        "colsample_bytree": 0.5,
        "subsample": 0.8,
        "reg_lambda": 1.0,
        "cat_smooth": 10.0,
    },
    "binary": {
        "learning_rate": 0.02,
        "num_leaves": 7,
        "min_child_samples": 50,
        "colsample_bytree": 0.5,
        "subsample": 0.8,
        "reg_lambda": 5.0,
        "cat_smooth": 30.0,
    },
}
_DEFAULT_ROUNDS: dict[Task, int] = {"regression": 1000, "binary": 400}
_MAX_ROUNDS = 4000


def base_params(task: Task, seed: int) -> dict[str, Any]:
    """Fixed LightGBM settings shared by every trial and every final model."""
    return {
        "objective": "regression" if task == "regression" else "binary",
        "verbosity": -1,
        "num_threads": 1,
        "deterministic": True,
        "force_col_wise": True,
        "seed": seed,
        "subsample_freq": 1,
        "max_bin": 127,
        "min_data_per_group": 50,
        "max_cat_to_onehot": 8,
    }


@dataclass(frozen=True)
class TuningResult:
    """Chosen hyperparameters, boosting rounds, how many trials ran, the limits and which one ended the search.

    ``stopped_by``: ``trials`` (``max_trials`` reached: reproducible with a fixed seed), ``budget`` (the
    time budget ran out first: the trial count depends on the machine) or ``disabled`` (no search).
    """

    params: dict[str, Any]
    n_estimators: int
    trials: int
    best_score: float | None
    elapsed_s: float
    stopped_by: Literal["disabled", "trials", "budget"]
    history: list[float] = field(default_factory=list)
    max_trials: int | None = None
    budget_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "n_estimators": self.n_estimators,
            "trials": self.trials,
            "max_trials": self.max_trials,
            "budget_s": self.budget_s,
            "best_score": self.best_score,
            "stopped_by": self.stopped_by,
        }


def _suggest(trial: optuna.Trial, task: Task) -> dict[str, Any]:
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.1, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 4, 64, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 3 if task == "regression" else 20, 120, log=True),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.2, 1.0),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 30.0, log=True),
        "cat_smooth": trial.suggest_float("cat_smooth", 1.0, 100.0, log=True),
    }


def _to_native(params: dict[str, Any]) -> dict[str, Any]:
    """LightGBM's native names for the sklearn-style names used above."""
    names = {
        "min_child_samples": "min_data_in_leaf",
        "colsample_bytree": "feature_fraction",
        "subsample": "bagging_fraction",
        "reg_lambda": "lambda_l2",
        "subsample_freq": "bagging_freq",
        "seed": "seed",
    }
    return {names.get(k, k): v for k, v in params.items()}


def tune_lightgbm(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    task: Task,
    budget_s: float,
    max_trials: int | None,
    seed: int,
    folds: int = 3,
) -> TuningResult:
    """Search LightGBM hyperparameters by inner ``folds``-fold CV (L1 loss for regression, AUC for binary)."""
    defaults = dict(_DEFAULTS[task])
    if budget_s <= 0 or max_trials == 0 or len(y) < 4 * folds:
        return TuningResult(
            defaults, _DEFAULT_ROUNDS[task], 0, None, 0.0, "disabled", max_trials=max_trials, budget_s=budget_s
        )
    fixed = base_params(task, seed)
    metric = "l1" if task == "regression" else "auc"
    started = time.perf_counter()
    rounds: dict[int, int] = {}

    def objective(trial: optuna.Trial) -> float:
        params = _suggest(trial, task)
        native = _to_native({**fixed, **params, "metric": metric})
        data = lgb.Dataset(
            x, label=y, params={"feature_pre_filter": False, "max_bin": fixed["max_bin"], "verbosity": -1}
        )
        result = lgb.cv(
            native,
            data,
            num_boost_round=_MAX_ROUNDS,
            nfold=folds,
            stratified=task == "binary",
            shuffle=True,
            seed=seed,
            callbacks=[lgb.early_stopping(100, verbose=False)],
        )
        curve = [float(v) for v in result[f"valid {metric}-mean"]]  # type: ignore[union-attr]
        rounds[trial.number] = len(curve)
        return float(curve[-1])

    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)
        study = optuna.create_study(direction="minimize" if task == "regression" else "maximize", sampler=sampler)
        study.enqueue_trial(defaults)
        study.optimize(objective, n_trials=max_trials, timeout=budget_s, gc_after_trial=False)
    finally:
        optuna.logging.set_verbosity(previous)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    elapsed = time.perf_counter() - started
    if not done:  # the budget ran out before the first trial: the defaults, with the default rounds
        logger.info("analytics.tuning.done task=%s trials=0 elapsed_s=%.1f stopped_by=budget", task, elapsed)
        return TuningResult(
            defaults, _DEFAULT_ROUNDS[task], 0, None, elapsed, "budget", max_trials=max_trials, budget_s=budget_s
        )
    best = study.best_trial
    stopped: Literal["trials", "budget"] = "trials" if max_trials is not None and len(done) >= max_trials else "budget"
    params = {k: best.params[k] for k in defaults}
    logger.info(
        "analytics.tuning.done task=%s trials=%d best=%.5f rounds=%d elapsed_s=%.1f stopped_by=%s",
        task,
        len(done),
        best.value,
        rounds[best.number],
        elapsed,
        stopped,
    )
    return TuningResult(
        params=params,
        n_estimators=rounds[best.number],
        trials=len(done),
        best_score=float(best.value) if best.value is not None else None,
        elapsed_s=elapsed,
        stopped_by=stopped,
        history=[float(t.value) for t in done if t.value is not None],
        max_trials=max_trials,
        budget_s=budget_s,
    )


def train_booster(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    task: Task,
    tuning: TuningResult,
    seed: int,
    overrides: dict[str, Any] | None = None,
    rounds: int | None = None,
) -> lgb.Booster:
    """Train one LightGBM booster with the tuned parameters (``overrides`` win)."""
    native = _to_native({**base_params(task, seed), **tuning.params, **(overrides or {})})
    data = lgb.Dataset(x, label=y, params={"feature_pre_filter": False, "max_bin": native["max_bin"], "verbosity": -1})
    return lgb.train(native, data, num_boost_round=rounds or tuning.n_estimators)
