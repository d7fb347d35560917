"""Pure analytics models for Recourse: valuation, credit risk, guarantee networks, model cards.

No I/O, no chain, no web (import-linter keeps it that way): functions take data frames and return
numbers, dataclasses, markdown text or matplotlib figures; loading data and writing files belong to
``scripts`` (``recourse models train valuation|risk``).

* :mod:`analytics.features` — :class:`Schema` (target, numeric/ordinal/categorical features, the
  **leakage guard** for columns unavailable at valuation time, rent/cost anchors, date column) and the
  :class:`FeatureEncoder` shared by every model.
* :mod:`analytics.valuation` — :func:`fit_valuation`: gradient boosting (Optuna-tuned within a time
  budget), hedonic regression, comparable sales and income/cost approaches combined by
  cross-validated stacking; an 80 % conformal prediction interval that contains the estimate; exact
  per-feature contributions; a deterministic model version.
* :mod:`analytics.risk` — :class:`EarlyWarningRules` (overdue > 30 days, overdue > 5 % of the loan,
  rating downgrade; configurable, explained, strict thresholds) and :func:`fit_default_model`, a
  calibrated probability of default.
* :mod:`analytics.guarantees` — guarantee circles (SCCs and short cycles), chains, cascade exposure for
  every firm, with networkx; 100,000 firms in seconds.
* :mod:`analytics.metrics` — MAPE, interval coverage, Brier score, reliability curve, ECE.
* :mod:`analytics.model_card` / :mod:`analytics.plots` — model-card markdown and figures.

Errors derive from :class:`AnalyticsError` and carry a stable ``code`` and an ``http_status`` hint.
"""

from analytics._exceptions import (
    AnalyticsError,
    CapacityExceededError,
    DateColumnError,
    GuaranteeInputError,
    LeakageError,
    NotFittedError,
    RuleInputError,
    SchemaError,
)
from analytics._tuning import DEFAULT_BUDGET_S, TuningResult
from analytics.features import (
    FeatureEncoder,
    Schema,
    add_date_features,
    date_feature_names,
    frame_digest,
    out_of_time_splits,
    parse_dates,
    period_of,
    stable_digest,
    time_split,
    time_values,
)
from analytics.guarantees import (
    Cascade,
    Guarantee,
    GuaranteeCircle,
    GuaranteeNetwork,
    NetworkReport,
    analyse_network,
    cascade,
    chain_hops,
    contagion_exposure,
    find_circles,
    guarantee_chains,
)
from analytics.leakage import (
    LeakFinding,
    allowed_statistics,
    drop_features,
    id_columns,
    near_target_columns,
    protected_columns,
    sensitive_group_metrics,
    target_labels,
    unknown_columns,
)
from analytics.metrics import (
    ReliabilityCurve,
    absolute_percentage_errors,
    brier_score,
    coverage_by_third,
    expected_calibration_error,
    interval_coverage,
    mape,
    median_ape,
    reliability_curve,
)
from analytics.model_card import (
    ModelCard,
    data_facts,
    evaluation_facts,
    render_model_card,
    risk_card,
    to_jsonable,
    valuation_card,
)
from analytics.plots import interval_coverage_figure, predicted_vs_actual_figure, reliability_figure
from analytics.restructuring import (
    LitigationEstimate,
    LoanPosition,
    Plan,
    ProbabilityModel,
    RestructuringOffer,
    RestructuringSettings,
    evaluate_plan,
    offer_batch,
    offer_restructuring,
)
from analytics.risk import (
    DEFAULT_RATING_SCALE,
    DefaultModel,
    EarlyWarning,
    EarlyWarningRules,
    LoanObservation,
    RiskAssessment,
    RiskCV,
    RiskSettings,
    assess_loan,
    cross_validate_default_model,
    fit_default_model,
)
from analytics.valuation import (
    APPROACHES,
    Contribution,
    Valuation,
    ValuationCV,
    ValuationModel,
    ValuationPrediction,
    ValuationSettings,
    cross_validate_valuation,
    fit_valuation,
    to_minor_units,
)

__all__ = [
    "APPROACHES",
    "DEFAULT_RATING_SCALE",
    "DEFAULT_BUDGET_S",
    "AnalyticsError",
    "CapacityExceededError",
    "DateColumnError",
    "Cascade",
    "Contribution",
    "DefaultModel",
    "EarlyWarning",
    "EarlyWarningRules",
    "FeatureEncoder",
    "Guarantee",
    "GuaranteeCircle",
    "GuaranteeInputError",
    "GuaranteeNetwork",
    "LeakFinding",
    "LeakageError",
    "LitigationEstimate",
    "LoanObservation",
    "LoanPosition",
    "ModelCard",
    "NetworkReport",
    "NotFittedError",
    "Plan",
    "ProbabilityModel",
    "ReliabilityCurve",
    "RestructuringOffer",
    "RestructuringSettings",
    "RiskAssessment",
    "RiskCV",
    "RiskSettings",
    "RuleInputError",
    "Schema",
    "SchemaError",
    "TuningResult",
    "Valuation",
    "ValuationCV",
    "ValuationModel",
    "ValuationPrediction",
    "ValuationSettings",
    "absolute_percentage_errors",
    "analyse_network",
    "assess_loan",
    "add_date_features",
    "brier_score",
    "coverage_by_third",
    "date_feature_names",
    "cascade",
    "chain_hops",
    "contagion_exposure",
    "cross_validate_default_model",
    "cross_validate_valuation",
    "evaluate_plan",
    "evaluation_facts",
    "expected_calibration_error",
    "find_circles",
    "fit_default_model",
    "fit_valuation",
    "frame_digest",
    "guarantee_chains",
    "interval_coverage",
    "interval_coverage_figure",
    "mape",
    "median_ape",
    "offer_batch",
    "offer_restructuring",
    "predicted_vs_actual_figure",
    "reliability_curve",
    "reliability_figure",
    "render_model_card",
    "to_jsonable",
    "risk_card",
    "stable_digest",
    "out_of_time_splits",
    "parse_dates",
    "period_of",
    "time_split",
    "time_values",
    "to_minor_units",
    "allowed_statistics",
    "data_facts",
    "drop_features",
    "id_columns",
    "near_target_columns",
    "protected_columns",
    "sensitive_group_metrics",
    "target_labels",
    "unknown_columns",
    "valuation_card",
]
