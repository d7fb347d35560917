"""Risk: early-warning rules at their exact thresholds, and a calibrated default probability."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from analytics import (
    DefaultModel,
    EarlyWarningRules,
    LoanObservation,
    RiskSettings,
    RuleInputError,
    SchemaError,
    assess_loan,
    cross_validate_default_model,
    expected_calibration_error,
    fit_default_model,
)
from tests.analytics.conftest import FAST_RISK, GRADES, LOAN_SCHEMA, make_loans

RULES = EarlyWarningRules()


def fired(obs: LoanObservation, rules: EarlyWarningRules = RULES) -> list[str]:
    return [w.rule for w in rules.evaluate(obs)]


# --- overdue days ------------------------------------------------------------------------------


def test_overdue_days_fires_at_31_not_30() -> None:
    assert fired(LoanObservation("L1", 1_000_000, days_overdue=30)) == []
    assert fired(LoanObservation("L1", 1_000_000, days_overdue=31)) == ["overdue_days"]
    warning = RULES.evaluate(LoanObservation("L1", 1_000_000, days_overdue=31))[0]
    assert warning.code == "EW-001"
    assert "31 days" in warning.message
    assert "30-day" in warning.message
    assert warning.loan_id == "L1"


@given(days=st.integers(0, 10_000), threshold=st.integers(0, 10_000))
def test_overdue_days_fires_iff_strictly_above(days: int, threshold: int) -> None:
    rules = EarlyWarningRules(overdue_days=threshold, overdue_share_bp=None, downgrade_notches=None)
    assert (fired(LoanObservation("L", 100, days_overdue=days), rules) == ["overdue_days"]) == (days > threshold)


# --- overdue share -------------------------------------------------------------------------------


def test_overdue_share_fires_one_fen_above_five_percent() -> None:
    assert fired(LoanObservation("L2", 1_000_000, overdue_amount=50_000)) == []
    assert fired(LoanObservation("L2", 1_000_000, overdue_amount=50_001)) == ["overdue_share"]
    assert fired(LoanObservation("L2", 1_000_001, overdue_amount=50_000)) == []
    message = RULES.evaluate(LoanObservation("L2", 1_000_000, overdue_amount=60_000))[0].message
    assert "6.00%" in message
    assert "5.00%" in message
    assert "overdue amount 60,000 " in message
    assert "loan amount 1,000,000 (minor units)" in message


@given(loan=st.integers(1, 10**15), overdue=st.integers(0, 10**15), bp=st.integers(0, 10_000))
def test_overdue_share_matches_exact_fraction(loan: int, overdue: int, bp: int) -> None:
    rules = EarlyWarningRules(overdue_days=None, overdue_share_bp=bp, downgrade_notches=None)
    expected = Fraction(overdue, loan) > Fraction(bp, 10_000)
    assert (fired(LoanObservation("L", loan, overdue_amount=overdue), rules) == ["overdue_share"]) == expected


# --- rating downgrade -----------------------------------------------------------------------------


def test_rating_downgrade_a_to_b_fires_and_upgrade_does_not() -> None:
    assert fired(LoanObservation("L3", 100, rating="B", previous_rating="A")) == ["rating_downgrade"]
    assert fired(LoanObservation("L3", 100, rating="A", previous_rating="B")) == []
    assert fired(LoanObservation("L3", 100, rating="A", previous_rating="A")) == []
    assert fired(LoanObservation("L3", 100, rating="B")) == []


def test_downgrade_threshold_in_notches_on_custom_scale() -> None:
    rules = EarlyWarningRules(downgrade_notches=2, rating_scale=("A", "B", "C", "D"))
    assert fired(LoanObservation("L", 100, rating="B", previous_rating="A"), rules) == []
    assert fired(LoanObservation("L", 100, rating="C", previous_rating="A"), rules) == ["rating_downgrade"]
    assert "A -> C" in rules.evaluate(LoanObservation("L", 100, rating="C", previous_rating="A"))[0].observed


def test_all_rules_fire_together_and_can_be_switched_off() -> None:
    obs = LoanObservation("L4", 1_000, days_overdue=90, overdue_amount=500, rating="CCC", previous_rating="BBB")
    assert fired(obs) == ["overdue_days", "overdue_share", "rating_downgrade"]
    quiet = EarlyWarningRules(overdue_days=None, overdue_share_bp=None, downgrade_notches=None)
    assert fired(obs, quiet) == []
    assert RULES.evaluate_all([obs, LoanObservation("L5", 10)]) == {"L4": RULES.evaluate(obs), "L5": []}


def test_invalid_observations_and_settings_are_refused() -> None:
    with pytest.raises(RuleInputError, match="days_overdue"):
        LoanObservation("L", 100, days_overdue=-1)
    with pytest.raises(RuleInputError, match="minor units"):
        LoanObservation("L", 100, overdue_amount=5.5)  # type: ignore[arg-type]
    with pytest.raises(RuleInputError, match="loan_amount"):
        LoanObservation("L", 0)
    with pytest.raises(RuleInputError, match="not on the scale"):
        RULES.evaluate(LoanObservation("L", 100, rating="Z", previous_rating="A"))
    with pytest.raises(RuleInputError, match="basis points"):
        EarlyWarningRules(overdue_share_bp=10_001)


# --- default probability ---------------------------------------------------------------------------

loan_rows = st.fixed_dictionaries(
    {
        "income": st.one_of(st.none(), st.floats(0, 1e9)),
        "debt_ratio": st.one_of(st.none(), st.floats(-5, 50)),
        "grade": st.one_of(st.none(), st.sampled_from(GRADES)),
        "region": st.one_of(st.none(), st.sampled_from(["r1", "r4", "elsewhere"])),
        "term": st.sampled_from(["36m", "60m", "120m"]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=loan_rows)
def test_probability_is_in_unit_interval(loan_model: DefaultModel, row: dict) -> None:
    p = loan_model.predict_proba(pd.DataFrame([row]))
    assert p.shape == (1,)
    assert 0.0 <= p[0] <= 1.0


def test_model_ranks_and_is_calibrated_on_held_out_loans(loan_model: DefaultModel, loans: pd.DataFrame) -> None:
    test = loans.iloc[2000:]
    y = (test["status"] == "default").to_numpy(int)
    p = loan_model.predict_proba(test)
    assert roc_auc_score(y, p) > 0.70
    assert abs(p.mean() - y.mean()) < 0.03
    assert expected_calibration_error(y, p) < 0.05
    assert set(loan_model.weights) == {"logistic", "gradient_boosting"}
    assert all(w >= 0 for w in loan_model.weights.values())


def test_explanations_add_up_to_log_odds(loan_model: DefaultModel, loans: pd.DataFrame) -> None:
    rows = loans.iloc[2000:2010]
    contrib, base = loan_model.explain(rows)
    p = loan_model.predict_proba(rows)
    assert np.allclose(1 / (1 + np.exp(-(base + contrib.sum(axis=1)))), p, atol=1e-9)


def test_assess_loan_combines_rules_and_probability(loan_model: DefaultModel, loans: pd.DataFrame) -> None:
    obs = LoanObservation("L9", 2_000_000, days_overdue=45)
    only_rules = assess_loan(obs)
    assert only_rules.flagged
    assert only_rules.probability is None
    full = assess_loan(obs, model=loan_model, features=loans.iloc[[2500]], top=2)
    assert [w.rule for w in full.warnings] == ["overdue_days"]
    assert full.probability is not None
    assert 0 <= full.probability <= 1
    assert full.model_version == loan_model.version
    assert full.model_version.startswith("pd-")
    assert len(full.top_factors) == 2
    with pytest.raises(SchemaError, match="exactly one row"):
        assess_loan(obs, model=loan_model, features=loans.iloc[:2])


def test_same_seed_same_probabilities_and_isotonic_option(loans: pd.DataFrame) -> None:
    small = loans.iloc[:1200]
    iso = RiskSettings(folds=3, budget_s=600, max_trials=2, tuning_folds=2, seed=5, calibration="isotonic")
    a = fit_default_model(small, "status", LOAN_SCHEMA, settings=iso)
    b = fit_default_model(small, "status", LOAN_SCHEMA, settings=iso)
    assert a.version == b.version
    assert np.array_equal(a.predict_proba(loans.iloc[2000:2100]), b.predict_proba(loans.iloc[2000:2100]))
    p = a.predict_proba(loans.iloc[2000:])
    assert ((p >= 0) & (p <= 1)).all()


def test_cross_validation_reports_metrics() -> None:
    frame = make_loans(900, seed=13)
    cv = cross_validate_default_model(frame, "status", LOAN_SCHEMA, settings=FAST_RISK, folds=3)
    m = cv.metrics
    assert 0.6 < m["auc"] <= 1.0
    assert 0 < m["brier"] < 0.25
    assert 0 <= m["ece"] < 0.1
    curve = cv.reliability(n_bins=5)
    assert curve.n == 900
    assert len(curve.count) <= 5


def test_labels_must_have_both_classes() -> None:
    frame = make_loans(100, seed=14).assign(status="ok")
    with pytest.raises(SchemaError, match="both classes"):
        fit_default_model(frame, "status", LOAN_SCHEMA, settings=FAST_RISK)
