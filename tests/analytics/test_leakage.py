"""The column checks that run before training: near-target leaks, typos, ids, protected-looking names."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from analytics import (
    ModelCard,
    Schema,
    data_facts,
    drop_features,
    id_columns,
    near_target_columns,
    protected_columns,
    render_model_card,
    sensitive_group_metrics,
    target_labels,
    unknown_columns,
)
from tests.analytics.conftest import HOUSE_SCHEMA, LOAN_SCHEMA, make_houses, make_loans


def test_a_planted_near_copy_of_the_target_is_flagged() -> None:
    houses = make_houses(300, seed=3)  # listing_price = price x N(1, 0.02)
    schema = Schema.infer(houses, "price", name="houses")
    findings = near_target_columns(houses, schema)
    assert [f.column for f in findings] == ["listing_price"]
    assert findings[0].statistic == "r2"
    assert findings[0].value > 0.99
    assert "listing_price" in findings[0].describe()
    assert "R²" in findings[0].describe()


def test_a_column_in_constant_ratio_to_the_target_is_flagged() -> None:
    rng = np.random.default_rng(4)
    n = 400
    frame = pd.DataFrame({"area": rng.uniform(50, 200, n), "rooms": rng.integers(1, 6, n)})
    frame["price"] = frame["area"] * 2000 * rng.lognormal(0.0, 0.25, n)
    frame["tax"] = frame["price"] * 0.012 * rng.normal(1.0, 0.01, n)
    findings = near_target_columns(frame, Schema.infer(frame, "price", name="ratio"))
    assert [f.column for f in findings] == ["tax"]  # area explains the price well, but not almost perfectly
    # when prices hardly vary, R² says little; the constant ratio still gives the copy away
    flat = pd.DataFrame({"price": np.exp(rng.normal(12, 0.01, n))})
    flat["assessed"] = flat["price"] / 1.25 * rng.normal(1.0, 0.01, n)
    flat["noise"] = rng.normal(size=n)
    found = near_target_columns(flat, Schema.infer(flat, "price", name="flat"))
    assert [(f.column, f.statistic) for f in found] == [("assessed", "ratio cv")]
    assert found[0].value < 0.05
    assert "coefficient of variation" in found[0].describe()


def test_honest_features_pass() -> None:
    houses = make_houses(300, seed=5)
    assert near_target_columns(houses, HOUSE_SCHEMA) == []
    loans = make_loans(1000, seed=6)
    assert near_target_columns(loans, LOAN_SCHEMA, target_labels(loans, LOAN_SCHEMA)) == []


def test_a_0_1_target_leak_is_flagged_by_auc_numeric_missing_and_categorical() -> None:
    loans = make_loans(1000, seed=7)
    bad = loans["status"] == "default"
    loans["recoveries"] = np.where(bad, np.random.default_rng(8).uniform(100, 900, len(loans)), np.nan)
    loans["loan_status"] = np.where(bad, "Charged Off", "Fully Paid")
    schema = Schema.infer(loans, "status", positive_label="default", name="loans")
    findings = {f.column: f for f in near_target_columns(loans, schema, target_labels(loans, schema))}
    assert set(findings) == {"recoveries", "loan_status"}
    assert findings["recoveries"].statistic == "auc"
    assert findings["loan_status"].value > 0.98
    assert "'Charged Off'" in findings["loan_status"].describe()


def test_unknown_names_get_close_matches() -> None:
    columns = ["rownames", "sub_grade", "int_rate", "annual_inc", "Class"]
    assert unknown_columns(["int_rate"], columns) == {}
    missing = unknown_columns(["sub_grad", "Int_Rate", "zzz"], columns)
    assert missing["sub_grad"][0] == "sub_grade"
    assert missing["Int_Rate"][0] == "int_rate"
    assert missing["zzz"] == []


def test_id_columns_are_distinct_integers_or_strings_not_floats() -> None:
    n = 50
    rng = np.random.default_rng(9)
    frame = pd.DataFrame(
        {
            "loan_id": np.arange(1000, 1000 + n),
            "ref": [f"L{i:05d}" for i in range(n)],
            "income": rng.lognormal(10, 1, n),  # all distinct, but a measurement
            "grade": rng.choice(["A", "B"], n),
            "count": rng.integers(0, 5, n),
        }
    )
    assert id_columns(frame) == ["loan_id", "ref"]
    assert id_columns(frame.head(5)) == []  # too few rows to tell


def test_protected_names_match_whole_words_only() -> None:
    columns = [
        "Age",
        "applicant_age",
        "Garage.Area",
        "mortgage",
        "average_balance",
        "personal_status_and_sex",
        "Gender",
        "MaritalStatus",
        "foreign_worker",
        "Nationality",
        "race",
        "trace_id",
        "Religion",
        "usage",
    ]
    assert protected_columns(columns) == {
        "Age": "age",
        "applicant_age": "age",
        "personal_status_and_sex": "sex",
        "Gender": "sex",
        "MaritalStatus": "marital status",
        "foreign_worker": "nationality",
        "Nationality": "nationality",
        "race": "race",
        "Religion": "religion",
    }


def test_sensitive_group_metrics_and_drop_features() -> None:
    rng = np.random.default_rng(10)
    n = 400
    frame = pd.DataFrame({"sex": rng.choice(["f", "m"], n), "age": rng.integers(18, 80, n)})
    p = rng.uniform(0, 0.5, n)
    y = (rng.random(n) < p).astype(np.int64)
    groups = sensitive_group_metrics(frame, ["sex", "age"], y, p)
    assert set(groups["sex"]) == {"f", "m"}
    assert len(groups["age"]) == 4  # quartiles
    f = groups["sex"]["f"]
    assert set(f) == {"rows", "default_rate", "auc", "approval_rate", "calibration_gap"}
    assert 0.5 < f["auc"] <= 1
    assert 0 < f["approval_rate"] < 1
    assert abs(f["calibration_gap"]) < 0.1
    reduced = drop_features(LOAN_SCHEMA, ["region"])
    assert "region" not in reduced.features
    assert "region" not in reduced.unavailable


def test_data_facts_are_computed_from_the_data() -> None:
    loans = make_loans(200, seed=11)
    loans["issued"] = pd.date_range("2016-01-01", periods=200, freq="D").strftime("%Y-%m-%d")
    facts = data_facts(loans, LOAN_SCHEMA, labels=target_labels(loans, LOAN_SCHEMA))
    assert facts["rows"] == 200
    assert facts["period"].startswith("2016-01-01 to 2016-07-18")
    assert facts["base rate"] == round(float((loans["status"] == "default").mean()), 4)
    assert facts["features used"] == len(LOAN_SCHEMA.features)


def test_card_limitations_come_from_this_data_not_another_data_set() -> None:
    def card(kind: Literal["valuation", "risk"], **data: object) -> str:
        facts = {"name": "book", "rows": 120, **data}
        return render_model_card(
            ModelCard(title="t", kind=kind, version="v", data=facts, features=[], excluded=[], metrics={}, training={})
        )

    plain = card("risk", **{"protected-looking columns": "none", "allowed despite the near-target check": "none"})
    assert "Trained on 120 rows of book (no date column" in plain
    assert "protected attributes were found" not in plain
    assert "allowed as features" not in plain
    assert "lender's own grade" not in plain
    flagged = card(
        "valuation",
        period="2006 to 2010 (column Yr.Sold)",
        **{"protected-looking columns": ["age (age)"], "allowed despite the near-target check": ["x: ..."]},
    )
    assert "Trained on 120 rows of book, 2006 to 2010 (column Yr.Sold)." in flagged
    assert "protected attributes were found" in flagged
    assert "allowed as features by the user" in flagged
    assert "Sale-condition" not in flagged
