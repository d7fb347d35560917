"""Model cards: what a model was trained on, how well it does under cross-validation, and its limits.

Rendering is pure (it returns markdown text); writing the card, the artefact and the plots is the
caller's job (``scripts/models_cli.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from analytics.risk import DefaultModel, RiskCV
from analytics.valuation import ValuationCV, ValuationModel

__all__ = ["ModelCard", "render_model_card", "risk_card", "to_jsonable", "valuation_card"]

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
        "Trained on one market and period; values outside it (other cities, later years, unusual assets) "
        "are extrapolations and their intervals can be too narrow.",
        "Coverage of the interval is marginal (about 80% of assets on average), not for every single asset.",
        "Sale-condition effects (distressed or partial sales) are learned only as far as the data describes them.",
        "Features marked unavailable at valuation time are refused; anything else in the schema is trusted as given.",
    ],
    "risk": [
        "Trained on one lender's book and period; default rates shift with the economy, so recalibrate before use "
        "on another portfolio.",
        "Calibration is measured on held-out folds of the same data set, not on future loans.",
        "With the lender's own grade and interest rate among the features, the model partly re-learns the "
        "lender's pricing; the card reports metrics with and without them when available.",
    ],
}


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
    out += ["", "## Cross-validated metrics", ""]
    out += _table(card.metrics)
    for name, rows in card.extra_metrics.items():
        out += ["", f"### {name}", ""]
        out += _table(rows)
    out += ["", "## Training", ""]
    out += [f"- {k}: {_fmt(v)}" for k, v in card.training.items()]
    out += ["", "## Intended use", "", card.intended_use or _INTENDED[card.kind]]
    out += ["", "## Limitations", ""]
    out += [f"- {line}" for line in (card.limitations or _LIMITS[card.kind])]
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
) -> ModelCard:
    """A card for a valuation model and its cross-validation."""
    facts = model.describe()
    metrics = {**cv.metrics, "folds": len(cv.versions), "nominal_coverage": model.settings.coverage}
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
            "out-of-fold approach MAPE": {k: round(v, 4) for k, v in facts["oof_metrics"]["approach_mape"].items()},
            "fit seconds": facts["fit_seconds"],
        },
        plots=plots,
        extra_metrics=extra_metrics or {},
        created=created,
    )


def risk_card(
    model: DefaultModel,
    cv: RiskCV,
    *,
    data: Mapping[str, Any],
    plots: Sequence[tuple[str, str]] = (),
    extra_metrics: Mapping[str, Mapping[str, Any]] | None = None,
    created: str | None = None,
) -> ModelCard:
    """A card for a default-probability model and its cross-validation."""
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
