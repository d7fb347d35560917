"""The recovery model and the NPL package price: determinism, integer money, segment sums, the secured
rule, bad input, and interval coverage on packages whose outcomes are drawn from the model's own law."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import SchemaError, ValuationModel
from analytics.recovery import (
    BALANCE,
    COLLATERAL_PREFIX,
    COLLATERAL_VALUE,
    LOAN_ID,
    MONTHS,
    RECOVERED,
    SECURED,
    RecoveryModel,
    RecoverySettings,
    collateral_from_valuation,
    evaluate_out_of_time,
    fit_recovery,
    package_digest,
    price_package,
    recovery_schema,
    render_recovery_card,
    segment_mean_baseline,
)
from tests.analytics.conftest import make_houses

GRADES = ("A", "B", "C", "D")
SCHEMA = recovery_schema(numeric=("rate", "months_on_book"), categorical=("grade", "purpose"), name="synthetic-npl")


def make_npls(n: int, seed: int) -> pd.DataFrame:
    """Distressed loans: worse grades and higher rates recover less and later; three issue months."""
    rng = np.random.default_rng(seed)
    grade = rng.choice(GRADES, n)
    g = np.array([GRADES.index(x) for x in grade], dtype=float)
    rate = rng.uniform(5, 25, n)
    on_book = rng.integers(1, 24, n).astype(float)
    month = rng.integers(1, 4, n)
    hit = rng.random(n) < 1 / (1 + np.exp(-(3.0 - 0.3 * g - 0.15 * rate)))
    share = 1 / (1 + np.exp(-(-2.0 - 0.3 * g + 0.12 * on_book + rng.normal(0, 0.5, n))))
    balance = rng.integers(1_000_00, 50_000_00, n)
    months = np.exp(np.log(6) + 0.2 * g + rng.normal(0, 0.3, n))
    return pd.DataFrame(
        {
            LOAN_ID: [f"L{i:05d}" for i in range(n)],
            "issue_date": [f"2024-{m:02d}-01" for m in month],
            "grade": grade,
            "purpose": rng.choice(["car", "card", "home"], n),
            "rate": rate,
            "months_on_book": on_book,
            BALANCE: balance,
            RECOVERED: np.where(hit, np.floor(share * balance), 0).astype(np.int64),
            MONTHS: np.where(hit, np.round(months, 2), 0.0),
        }
    )


@pytest.fixture(scope="module")
def npls() -> pd.DataFrame:
    return make_npls(900, seed=5)


@pytest.fixture(scope="module")
def model(npls: pd.DataFrame) -> RecoveryModel:
    return fit_recovery(npls, SCHEMA, date_column="issue_date")


@pytest.fixture
def package(npls: pd.DataFrame) -> pd.DataFrame:
    return npls.drop(columns=[RECOVERED, MONTHS]).head(300).reset_index(drop=True)


def test_the_same_inputs_and_seed_give_the_same_price_whatever_the_row_order(
    model: RecoveryModel, package: pd.DataFrame
) -> None:
    first = price_package(model, package, discount_rate=0.08, seed=3, simulations=500)
    again = price_package(model, package, discount_rate=0.08, seed=3, simulations=500)
    shuffled = price_package(
        model, package.sample(frac=1.0, random_state=1), discount_rate=0.08, seed=3, simulations=500
    )
    assert first.to_dict() == again.to_dict() == shuffled.to_dict()
    other = price_package(model, package, discount_rate=0.08, seed=4, simulations=500)
    assert other.total.p50_pv_fen != first.total.p50_pv_fen
    assert other.digest != first.digest
    assert package_digest(package, model, discount_rate=0.08, seed=3, simulations=500) == first.digest


def test_money_is_integer_quantiles_are_ordered_and_segments_add_up(
    model: RecoveryModel, package: pd.DataFrame
) -> None:
    price = price_package(model, package, discount_rate=0.1, seed=0, simulations=400, segment="grade")
    total = price.total
    for row in (total, *price.segments):
        money = [v for k, v in row.to_dict().items() if k.endswith("_fen")]
        assert all(type(v) is int for v in money)
        assert 0 <= row.p10_pv_fen <= row.p50_pv_fen <= row.p90_pv_fen <= row.balance_fen
        assert row.expected_pv_fen <= row.expected_recovery_fen <= row.balance_fen
    assert [s.segment for s in price.segments] == sorted(set(package["grade"]))
    assert sum(s.loans for s in price.segments) == total.loans == len(package)
    assert sum(s.balance_fen for s in price.segments) == total.balance_fen == int(package[BALANCE].sum())
    assert sum(s.expected_pv_fen for s in price.segments) == total.expected_pv_fen
    assert sum(s.expected_recovery_fen for s in price.segments) == total.expected_recovery_fen
    # the better grade recovers a larger share of its balance
    by = {s.segment: s.expected_recovery_fen / s.balance_fen for s in price.segments}
    assert by["A"] > by["D"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32 - 1),
    rate=st.floats(0.0, 1.0),
    rows=st.lists(st.integers(0, 299), min_size=1, max_size=40),
)
def test_any_package_seed_and_rate_give_ordered_integer_prices_within_the_balance(
    model: RecoveryModel, package: pd.DataFrame, seed: int, rate: float, rows: list[int]
) -> None:
    loans = package.iloc[sorted(set(rows))]
    price = price_package(model, loans, discount_rate=rate, seed=seed, simulations=50)
    for row in (price.total, *price.segments):
        assert 0 <= row.p10_pv_fen <= row.p50_pv_fen <= row.p90_pv_fen <= row.balance_fen
        assert 0 <= row.expected_pv_fen <= row.expected_recovery_fen <= row.balance_fen
    assert sum(s.expected_pv_fen for s in price.segments) == price.total.expected_pv_fen
    assert price_package(model, loans, discount_rate=rate, seed=seed, simulations=50) == price


def test_a_higher_discount_rate_lowers_the_present_value_but_not_the_recovery(
    model: RecoveryModel, package: pd.DataFrame
) -> None:
    low = price_package(model, package, discount_rate=0.0, seed=1, simulations=300)
    high = price_package(model, package, discount_rate=0.5, seed=1, simulations=300)
    assert low.total.expected_recovery_fen == high.total.expected_recovery_fen
    assert low.total.expected_pv_fen == low.total.expected_recovery_fen
    assert high.total.expected_pv_fen < low.total.expected_pv_fen


def test_package_intervals_cover_outcomes_drawn_from_the_models_own_law(
    model: RecoveryModel, package: pd.DataFrame
) -> None:
    """Outcomes simulated independently with the model's parameters (systematic shift included) fall
    inside P10-P90 about 80 % of the time; a wrong interval (no shift, wrong discounting) fails this."""
    rate = 0.08
    price = price_package(model, package, discount_rate=rate, seed=7, simulations=2000)
    x = model.encoder.linear_matrix(package)
    eta, mu, nu = model.parts.linear(x)
    balance = package[BALANCE].to_numpy(np.float64)
    rng = np.random.default_rng(12345)
    trials, inside = 400, 0
    for _ in range(trials):
        shift = rng.normal(0, model.systematic_sd)
        hit = rng.random(len(package)) < 1 / (1 + np.exp(-(eta + shift)))
        share = 1 / (1 + np.exp(-(mu + shift + model.parts.share_sd * rng.standard_normal(len(package)))))
        months = np.exp(nu + model.parts.time_sd * rng.standard_normal(len(package)))
        pv = np.floor(np.where(hit, share * balance * (1 + rate) ** (-months / 12), 0.0)).sum()
        inside += price.total.p10_pv_fen <= pv <= price.total.p90_pv_fen
    assert 0.74 <= inside / trials <= 0.86  # 80 % nominal; binomial sd 2 % over 400 trials


def test_a_secured_loan_recovers_its_balance_from_ample_collateral_after_enforcement() -> None:
    npls = make_npls(200, seed=9)
    settings = RecoverySettings(collateral_log_sd=0.0, enforcement_months=12.0)
    model = fit_recovery(npls, SCHEMA, settings=settings)
    loan = npls.drop(columns=[RECOVERED, MONTHS]).head(1).assign(**{SECURED: True, COLLATERAL_VALUE: 10**10})
    price = price_package(model, loan, discount_rate=0.1, seed=0, simulations=50, segment=SECURED)
    balance = int(loan[BALANCE].iloc[0])
    assert price.total.expected_recovery_fen == balance
    assert price.total.p10_pv_fen == price.total.p90_pv_fen == math.floor(balance / 1.1)
    assert [s.segment for s in price.segments] == ["secured"]
    # thin collateral: the secured part is at most the net collateral value, the rest is unsecured
    thin = loan.assign(**{COLLATERAL_VALUE: balance // 10})
    part = price_package(model, thin, discount_rate=0.0, seed=0, simulations=2000)
    unsecured = price_package(
        model, loan.drop(columns=[SECURED, COLLATERAL_VALUE]), discount_rate=0.0, simulations=2000
    )
    net = math.floor(balance // 10 * (1 - settings.haircut))
    assert part.total.p10_pv_fen >= net
    assert part.total.expected_recovery_fen <= net + unsecured.total.expected_recovery_fen


def test_collateral_is_valued_by_the_valuation_model(house_model: ValuationModel, model: RecoveryModel) -> None:
    houses = make_houses(4, seed=8)
    loans = make_npls(4, seed=3).drop(columns=[RECOVERED, MONTHS])
    loans[SECURED] = [True, True, False, True]
    for feature in house_model.schema.features:
        loans[f"{COLLATERAL_PREFIX}{feature}"] = houses[feature].to_numpy()
    collateral = collateral_from_valuation(house_model, loans)
    estimate = house_model.predict(houses.iloc[[0, 1, 3]].reset_index(drop=True)).estimate
    assert collateral.value_fen[2] == 0
    assert np.array_equal(collateral.value_fen[[0, 1, 3]], np.floor(estimate * 100))
    assert np.all(collateral.log_sd[[0, 1, 3]] > 0)
    price = price_package(model, loans, discount_rate=0.05, simulations=200, collateral=collateral, segment=SECURED)
    assert {s.segment for s in price.segments} == {"secured", "unsecured"}
    with pytest.raises(SchemaError, match="collateral's features"):
        collateral_from_valuation(house_model, loans.drop(columns=[f"{COLLATERAL_PREFIX}floor_area"]))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=[BALANCE]), "lack the column 'balance_fen'"),
        (lambda f: f.assign(**{BALANCE: 10.5}), "not a positive integer"),
        (lambda f: f.assign(**{BALANCE: -100}), "not a positive integer"),
        (lambda f: f.drop(columns=["rate"]), "lacks column"),
        (lambda f: f.assign(**{LOAN_ID: "same"}), "must be unique"),
        (lambda f: f.assign(**{SECURED: True}), "secured loans need a collateral value"),
        (lambda f: f.assign(**{SECURED: "maybe"}), "must be true/false"),
        (lambda f: f.head(0), "has no loans"),
    ],
)
def test_bad_packages_are_refused_with_a_reason(model: RecoveryModel, package: pd.DataFrame, change, message) -> None:
    with pytest.raises(SchemaError, match=message):
        price_package(model, change(package), discount_rate=0.08, simulations=10)


@pytest.mark.parametrize("rate", [-0.01, 1.5, math.nan, math.inf])
def test_a_discount_rate_out_of_range_is_refused(model: RecoveryModel, package: pd.DataFrame, rate: float) -> None:
    with pytest.raises(SchemaError, match="discount rate must be"):
        price_package(model, package, discount_rate=rate, simulations=10)


def test_simulations_and_segment_are_checked(model: RecoveryModel, package: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="simulations must be"):
        price_package(model, package, discount_rate=0.08, simulations=0)
    with pytest.raises(SchemaError, match="segment column 'region'"):
        price_package(model, package, discount_rate=0.08, simulations=10, segment="region")


def test_fitting_refuses_outcomes_that_cannot_be(npls: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="between 0 and balance_fen"):
        fit_recovery(npls.assign(**{RECOVERED: npls[BALANCE] + 1}), SCHEMA)
    with pytest.raises(SchemaError, match="at least 20 loans"):
        fit_recovery(npls.head(10), SCHEMA)
    with pytest.raises(SchemaError, match="positive number of months"):
        fit_recovery(npls.assign(**{MONTHS: 0.0}), SCHEMA)


def test_per_loan_predictions_and_the_out_of_time_evaluation(npls: pd.DataFrame, model: RecoveryModel) -> None:
    pred = model.predict(npls.head(50))
    assert pred.expected_fen.dtype == np.int64
    assert np.all((pred.p_any >= 0) & (pred.p_any <= 1))
    assert np.all(pred.expected_fen <= npls[BALANCE].head(50).to_numpy())
    assert model.version == fit_recovery(npls, SCHEMA, date_column="issue_date").version
    assert len(model.period_errors) >= 1
    ev = evaluate_out_of_time(
        npls,
        SCHEMA,
        date_column="issue_date",
        test_from="2024-03-01",
        segment="grade",
        packages=20,
        package_size=100,
        simulations=200,
    )
    train = npls[npls["issue_date"] < "2024-03-01"]
    test = npls[npls["issue_date"] >= "2024-03-01"].reset_index(drop=True)
    base = segment_mean_baseline(train, test, "grade")
    assert ev.mae_baseline_fen == pytest.approx(float(np.mean(np.abs(base - test[RECOVERED].to_numpy()))))
    assert ev.mae_ratio < 1.0  # the rate and months on book carry signal the grade mean cannot
    assert ev.test_rows == len(test)
    assert ev.below + ev.above + round(ev.coverage * ev.packages) == ev.packages
    card = render_recovery_card(model, data={"rows": len(npls)}, evaluation=ev, measures="synthetic recoveries")
    assert f"`{model.version}`" in card
    assert "synthetic recoveries" in card
    assert "| mae_ratio |" in card
