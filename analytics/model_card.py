"""Model cards: what a model was trained on, how well it does under cross-validation, and its limits.

Rendering is pure (it returns markdown text); writing the card, the artefact and the plots is the
caller's job (``scripts/models_cli.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from analytics.features import Schema, period_of
from analytics.risk import DefaultModel, RiskCV
from analytics.valuation import ValuationCV, ValuationModel

__all__ = [
    "ModelCard",
    "data_facts",
    "evaluation_facts",
    "render_model_card",
    "risk_card",
    "to_jsonable",
    "valuation_card",
]

Kind = Literal["valuation", "risk"]

_INTENDED = {
    "valuation": (
        "Appraisal support for collateral and tokenised assets: an estimate with an 80% prediction interval "
        "and the features that moved it, pushed on chain by oracles as a reference for auction starting "
        "prices (which must be at least 70% of the valuation) and fraction valuations. A human appraiser "
        "remains responsible for legally binding values."
    ),
    "risk": (
        "Early warning on loan portfolios: a calibrated probability that a loan turns bad, shown beside the "
        "rule-based warnings (overdue days, overdue share, rating downgrade) so that a case is reviewed "
        "earlier. Not a credit decision and not a price."
    ),
}
_LIMITS = {
    "valuation": [
        "Values outside the market and period of the training data (other places, later years, unusual assets) "
        "are extrapolations and their intervals can be too narrow.",
        "Coverage of the interval holds on average within each third of the estimate (Mondrian conformal), "
        "not for every single asset.",
        "Features marked unavailable at valuation time are refused; anything else in the schema is trusted as given.",
    ],
    "risk": [
        "Default rates shift with the economy and between lenders, so recalibrate before use on another "
        "portfolio or period.",
        "Calibration is measured on held-out folds of the same data set, not on future loans.",
    ],
}


#: generic limits that read differently when the metrics were measured out of time
_OUT_OF_TIME_LIMITS = {
    "Calibration is measured on held-out folds of the same data set, not on future loans.": (
        "Calibration is measured on loans dated after the training period (out of time), of the same data set; "
        "other lenders and later years can still differ."
    ),
}


def _limitations(kind: Kind, data: Mapping[str, Any], extra: Mapping[str, Any]) -> list[str]:
    """The generic limits of the kind, plus what this data set says about itself."""
    lines = []
    rows, name = data.get("rows"), data.get("name")
    if rows is not None and name is not None:
        period = f", {data['period']}" if data.get("period") else " (no date column, so no period from the data)"
        lines.append(f"Trained on {rows} rows of {name}{period}.")
    lines += _LIMITS[kind]
    if _listed(data, "allowed despite the near-target check"):
        lines.append(
            "Columns that alone explain the target were allowed as features by the user (see Data); "
            "they must be known when the model is used, or its metrics are overstated."
        )
    if _listed(data, "protected-looking columns") and not _listed(data, "sensitive"):
        lines.append(
            "Columns that look like protected attributes were found (see Data); no per-group metrics were asked for."
        )
    if extra:
        lines.append("Metrics of feature-set variants are reported beside the main ones: " + ", ".join(extra) + ".")
    return lines


def _listed(data: Mapping[str, Any], key: str) -> bool:
    """Whether ``data[key]`` names something (a non-empty list or mapping, not ``"none"``)."""
    value = data.get(key)
    return isinstance(value, list | tuple | Mapping) and len(value) > 0


def data_facts(
    frame: pd.DataFrame, schema: Schema, *, labels: np.ndarray | None = None, period_column: str | None = None
) -> dict[str, Any]:
    """What a card says about the data, computed from it: rows, period, target, base rate, features, withheld."""
    facts: dict[str, Any] = {"rows": len(frame), "target": schema.target}
    column = period_column or schema.date_column or _iso_date_column(frame)
    if column is not None and column in frame.columns:
        values = frame[column].dropna()
        if len(values):
            if not pd.api.types.is_numeric_dtype(values.dtype):
                values = pd.to_datetime(values, format="ISO8601", errors="coerce").dropna().dt.date
            if len(values):
                facts["period"] = f"{values.min()} to {values.max()} (column {column})"
    if labels is not None:
        facts["positive class"] = f"{schema.target} == {schema.positive_label!r}"
        facts["base rate"] = round(float(np.mean(labels)), 4)
    facts["features used"] = len(schema.features)
    facts["withheld (unavailable at valuation time)"] = list(schema.unavailable) or "none"
    return facts


def evaluation_facts(
    frame: pd.DataFrame, schema: Schema, splits: Sequence[tuple[np.ndarray, np.ndarray]], *, out_of_time: bool
) -> dict[str, Any]:
    """What a card says about how its metrics were measured: scheme, and the periods trained and tested on."""
    if not out_of_time:
        facts: dict[str, Any] = {
            "scheme": f"random {len(splits)}-fold cross-validation (rows of every period mixed in each fold)",
        }
        if schema.date_column is not None and schema.date_column in frame.columns:
            facts["period"] = period_of(frame, schema)
        facts["note"] = "not out of time: name a date column (--date-column) to test on later rows"
        return facts
    facts = {
        "scheme": "out of time: each test slice is predicted by a model trained only on rows dated before it",
        "date column": f"{schema.date_column} (year, month and age in days before {schema.date_reference})",
        "training period": period_of(frame, schema, splits[0][0]),
        "test period": period_of(frame, schema, np.concatenate([test for _, test in splits])),
    }
    for i, (train, test) in enumerate(splits, start=1):
        facts[f"slice {i}"] = (
            f"trained on {len(train)} rows ({period_of(frame, schema, train)}), "
            f"tested on {len(test)} rows ({period_of(frame, schema, test)})"
        )
    return facts


def _iso_date_column(frame: pd.DataFrame) -> str | None:
    """The first text column whose every value is an ISO date (``2016-03-01``), if any."""
    for col in frame.columns:
        series = frame[col].dropna()
        if len(series) == 0 or pd.api.types.is_numeric_dtype(series.dtype):
            continue
        head = series.astype(str).head(50)
        if not head.str.match(r"^\d{4}-\d{2}-\d{2}").all():
            continue
        if pd.to_datetime(series, format="ISO8601", errors="coerce").notna().all():
            return str(col)
    return None


@dataclass(frozen=True)
class ModelCard:
    """Everything a model card shows."""

    title: str
    kind: Kind
    version: str
    data: Mapping[str, Any]
    features: Sequence[tuple[str, str]]
    excluded: Sequence[str]
    metrics: Mapping[str, Any]
    training: Mapping[str, Any]
    intended_use: str = ""
    limitations: Sequence[str] = ()
    plots: Sequence[tuple[str, str]] = ()
    extra_metrics: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    created: str | None = None
    groups: Mapping[str, Mapping[str, Mapping[str, float]]] = field(default_factory=dict)
    evaluation: Mapping[str, Any] = field(default_factory=dict)


def _fmt(value: Any) -> str:
    """Numbers to 4 decimals (integers as integers), containers flattened to one readable line."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.4f}" if abs(value) >= 1e-3 else f"{value:.3g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def _table(rows: Mapping[str, Any]) -> list[str]:
    lines = ["| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in rows.items()]
    return lines


def render_model_card(card: ModelCard) -> str:
    """The card as markdown."""
    out = [f"# {card.title}", "", f"- kind: `{card.kind}`", f"- version: `{card.version}`"]
    if card.created:
        out.append(f"- created: {card.created}")
    out += ["", "## Data", ""]
    out += [f"- {k}: {_fmt(v)}" for k, v in card.data.items()]
    out += ["", f"## Features ({len(card.features)})", "", "| feature | type |", "|---|---|"]
    out += [f"| `{name}` | {kind} |" for name, kind in card.features]
    if card.excluded:
        out += ["", "Refused as unavailable at valuation/scoring time: " + ", ".join(f"`{c}`" for c in card.excluded)]
    if card.evaluation:
        out += ["", "## Evaluation", ""]
        out += [f"- {k}: {_fmt(v)}" for k, v in card.evaluation.items()]
    out_of_time = str(card.evaluation.get("scheme", "")).startswith("out of time")
    out += ["", "## Held-out metrics (out of time)" if out_of_time else "## Cross-validated metrics", ""]
    out += _table(card.metrics)
    for name, rows in card.extra_metrics.items():
        out += ["", f"### {name}", ""]
        out += _table(rows)
    for column, per in card.groups.items():
        out += ["", f"### By `{column}` (held out)", ""]
        names = list(next(iter(per.values()), {}))
        out += ["| group | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        out += [f"| {g} | " + " | ".join(_fmt(m[n]) for n in names) + " |" for g, m in per.items()]
    if card.groups:
        out += [
            "",
            "Approval: predicted default probability below the threshold that declines the base rate's share of "
            "all loans. Calibration gap: mean predicted probability minus observed default rate.",
        ]
    out += ["", "## Training", ""]
    out += [f"- {k}: {_fmt(v)}" for k, v in card.training.items()]
    out += ["", "## Intended use", "", card.intended_use or _INTENDED[card.kind]]
    out += ["", "## Limitations", ""]
    limits = card.limitations or _limitations(card.kind, card.data, card.extra_metrics)
    if out_of_time:
        limits = [_OUT_OF_TIME_LIMITS.get(line, line) for line in limits]
    out += [f"- {line}" for line in limits]
    if card.plots:
        out += ["", "## Plots", ""]
        out += [f"![{caption}]({path})" for caption, path in card.plots]
    return "\n".join(out) + "\n"


def valuation_card(
    model: ValuationModel,
    cv: ValuationCV,
    *,
    data: Mapping[str, Any],
    plots: Sequence[tuple[str, str]] = (),
    extra_metrics: Mapping[str, Mapping[str, Any]] | None = None,
    created: str | None = None,
    evaluation: Mapping[str, Any] | None = None,
) -> ModelCard:
    """A card for a valuation model and its held-out evaluation (``evaluation``: how it was split).

    Coverage is reported per third of the actual price (``coverage_lowest_price_third``...) and per
    third of the estimate.
    """
    facts = model.describe()
    metrics = {
        **cv.metrics,
        "coverage by third of the estimate": cv.coverage_by_estimate_third(),
        "folds": len(cv.versions),
        "nominal_coverage": model.settings.coverage,
    }
    return ModelCard(
        title=f"Valuation model {model.version} ({model.schema.name})",
        kind="valuation",
        version=model.version,
        data=dict(data),
        features=[(f, t) for f, t in model.schema.feature_types.items()],
        excluded=list(model.schema.unavailable),
        metrics=metrics,
        training={
            "stack weights": {k: round(v, 3) for k, v in facts["weights"].items()},
            "tuning": facts["tuning"],
            "interval quantiles (normalised residuals)": [round(q, 3) for q in facts["interval_quantiles"]],
            "interval bins (estimate edges)": [round(e) for e in facts["interval_bin_edges"]] or "one bin",
            "interval quantiles per bin": [[round(q, 3) for q in pair] for pair in facts["interval_bin_quantiles"]],
            "out-of-time calibration": _calibration(facts),
            "out-of-fold approach MAPE": {k: round(v, 4) for k, v in facts["oof_metrics"]["approach_mape"].items()},
            "fit seconds": facts["fit_seconds"],
        },
        plots=plots,
        extra_metrics=extra_metrics or {},
        created=created,
        evaluation=evaluation or {},
    )


def _calibration(facts: Mapping[str, Any]) -> str:
    oot = facts["oof_metrics"].get("out_of_time") or {}
    if not oot:
        return "none (no date column): every asset gets the random-fold interval"
    return (
        f"the latest {oot['calibration_rows']} training rows (most recent period) calibrate the interval "
        "of assets dated after the training period"
    )


def risk_card(
    model: DefaultModel,
    cv: RiskCV,
    *,
    data: Mapping[str, Any],
    plots: Sequence[tuple[str, str]] = (),
    extra_metrics: Mapping[str, Mapping[str, Any]] | None = None,
    created: str | None = None,
    groups: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None,
    evaluation: Mapping[str, Any] | None = None,
) -> ModelCard:
    """A card for a default-probability model and its cross-validation (``groups``: per sensitive group)."""
    facts = model.describe()
    return ModelCard(
        title=f"Default-probability model {model.version} ({model.schema.name})",
        kind="risk",
        version=model.version,
        data=dict(data),
        features=[(f, t) for f, t in model.schema.feature_types.items()],
        excluded=list(model.schema.unavailable),
        metrics={**cv.metrics, "folds": len(cv.versions)},
        training={
            "stack weights (log-odds)": {k: round(v, 3) for k, v in facts["weights"].items()},
            "logistic C": facts["logistic_c"],
            "calibration": facts["calibration"],
            "tuning": facts["tuning"],
            "fit seconds": facts["fit_seconds"],
        },
        plots=plots,
        extra_metrics=extra_metrics or {},
        created=created,
        groups=groups or {},
        evaluation=evaluation or {},
    )


def to_jsonable(value: Any) -> Any:
    """Dicts (keys as strings), lists and tuples with numpy scalars turned into plain Python values."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
