"""Restructuring offers: monotone in the default probability, affordable, deterministic, exact in fen."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from analytics import (
    LitigationEstimate,
    LoanPosition,
    RestructuringOffer,
    RestructuringSettings,
    SchemaError,
    evaluate_plan,
    offer_batch,
    offer_restructuring,
)
from analytics.restructuring import LOAN_COLUMNS, canonical_json

SETTINGS = RestructuringSettings()


def make_loans(n: int, seed: int) -> pd.DataFrame:
    """A varied book: log-normal principals, 60 % secured (0.3-2x principal), capacities from tight to ample."""
    rng = np.random.default_rng(seed)
    principal = np.round(rng.lognormal(np.log(30_000_000), 1.0, n)).astype(np.int64)
    rate = rng.integers(300, 2_400, n)
    months = rng.integers(1, 36, n)
    overdue = (principal * rate / 10_000 * months / 12).astype(np.int64)
    penalties = (overdue * rng.uniform(0, 0.5, n)).astype(np.int64)
    secured = rng.random(n) < 0.6
    collateral = np.where(secured, (principal * rng.uniform(0.3, 2.0, n)).astype(np.int64), 0)
    capacity = np.maximum(1, (principal * rng.uniform(0.005, 0.12, n)).astype(np.int64))
    return pd.DataFrame(
        {
            "loan_id": [f"L{seed}-{i:05d}" for i in range(n)],
            "principal": principal,
            "overdue_interest": overdue,
            "penalties": penalties,
            "annual_rate_bps": rate,
            "months_overdue": months,
            "collateral_value": collateral,
            "monthly_capacity": capacity,
            "default_probability": rng.beta(1.5, 3.0, n),
        }
    )


def position(row: pd.Series) -> LoanPosition:
    return LoanPosition(loan_id=str(row["loan_id"]), **{c: int(row[c]) for c in LOAN_COLUMNS})


def loan(**overrides: int | str) -> LoanPosition:
    base: dict[str, int | str] = {
        "loan_id": "L1",
        "principal": 50_000_000,
        "overdue_interest": 3_000_000,
        "penalties": 1_000_000,
        "annual_rate_bps": 600,
        "months_overdue": 8,
        "collateral_value": 40_000_000,
        "monthly_capacity": 10_000_000,
    }
    return LoanPosition(**(base | overrides))  # type: ignore[arg-type]


# shapes of loan: partly secured, amply secured, unsecured, small unsecured (litigation worth 0)
LOANS = [
    loan(),
    loan(loan_id="ample", collateral_value=200_000_000),
    loan(loan_id="unsecured", collateral_value=0),
    loan(loan_id="small", principal=2_000_000, overdue_interest=100_000, penalties=0, collateral_value=0),
]
PD_GRID = [0.0, 0.001, 0.01, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.97, 0.99, 0.999, 0.99999, 1.0]


def reference_expected_recovery(position: LoanPosition, pd_12m: float, n: int, rho: int, kappa: int) -> float:
    """The module docstring's formula, written out again in plain Python, month by month."""
    s = SETTINGS
    arrears = position.overdue_interest + position.penalties
    relief = round(arrears * rho / 10_000)  # Python's round is half to even, like the module's rule
    haircut = round(position.principal * kappa / 10_000)
    total = position.claim - relief - haircut
    payments = [total // n] * (n - 1) + [total - (n - 1) * (total // n)]
    h0 = 1 - (1 - pd_12m) ** (1 / 12)
    a = s.affordability_share_bps / 10_000
    burden = payments[-1] / position.monthly_capacity
    h = min(1.0, h0 * (1 + s.affordability_stress_bps / 10_000 * max(0.0, burden - a) / (1 - a)))

    def disc(t: int) -> float:
        return float((1 + s.discount_rate_bps / 10_000) ** (-t / 12))

    def litigation(claim: float) -> float:
        secured = min(position.collateral_value * s.auction_recovery_bps / 10_000, claim)
        gross = (1 - s.auction_failure_bps / 10_000) * secured + s.unsecured_recovery_bps / 10_000 * (claim - secured)
        cost = s.litigation_cost_fixed + s.litigation_cost_bps / 10_000 * claim
        return max(0.0, disc(s.months_to_judgment + s.enforcement_months) * gross - cost)

    value, balance = 0.0, float(total)
    for t, pay in enumerate(payments, start=1):
        value += (1 - h) ** (t - 1) * h * disc(t) * litigation(balance)
        value += (1 - h) ** t * pay * disc(t)
        balance -= pay
    return float(value)


# --- the formula -----------------------------------------------------------------------------------


@pytest.mark.parametrize("position", LOANS, ids=lambda p: p.loan_id)
def test_expected_recovery_matches_the_documented_formula(position):
    checked = 0
    for pd_12m in (0.02, 0.3, 0.9):
        for n, rho, kappa in SETTINGS.shapes():
            try:
                plan = evaluate_plan(
                    position,
                    default_probability=pd_12m,
                    instalment_count=n,
                    relief_bps=rho,
                    haircut_bps=kappa,
                )
            except SchemaError:
                continue  # unaffordable shape
            expected = reference_expected_recovery(position, pd_12m, n, rho, kappa)
            assert abs(plan.expected_recovery - expected) <= 1, (n, rho, kappa, plan.expected_recovery, expected)
            assert abs(plan.expected_recovery - plan.payment_leg - plan.default_leg) <= 1
            checked += 1
    assert checked >= 12


def test_litigation_estimate_of_the_documented_example():
    estimate = offer_restructuring(LOANS[0], default_probability=0.2).litigation
    # A = 40,000,000 * 0.7; secured = A; unsecured = 54,000,000 - A; gross = 0.9 * A + 0.05 * unsecured
    assert (estimate.auction_proceeds, estimate.secured_part, estimate.unsecured_part) == (
        28_000_000,
        28_000_000,
        26_000_000,
    )
    assert estimate.expected_gross == 26_500_000
    assert estimate.costs == 500_000 + 1_620_000
    assert estimate.expected_recovery == round(1.08**-2 * 26_500_000 - 2_120_000)
    unsecured = offer_restructuring(LOANS[3], default_probability=0.2).litigation
    assert unsecured.auction_proceeds == 0
    assert unsecured.expected_recovery == 0  # the suit costs more than it brings: never below zero


# --- monotone in the default probability -----------------------------------------------------------


@pytest.mark.parametrize("position", LOANS, ids=lambda p: p.loan_id)
def test_expected_recovery_is_non_increasing_in_pd_for_every_plan_shape(position):
    shapes = 0
    for n, rho, kappa in SETTINGS.shapes():
        values = []
        for pd_12m in PD_GRID:
            try:
                plan = evaluate_plan(
                    position, default_probability=pd_12m, instalment_count=n, relief_bps=rho, haircut_bps=kappa
                )
            except SchemaError:
                break
            values.append((plan.expected_recovery, plan.probability_of_completion_ppm))
        if not values:
            continue
        shapes += 1
        recoveries = [v[0] for v in values]
        assert recoveries == sorted(recoveries, reverse=True), (n, rho, kappa, recoveries)
        assert recoveries[0] > recoveries[-1]  # the grid spans PD 0 to 1: the recovery really moves
        completion = [v[1] for v in values]
        assert completion == sorted(completion, reverse=True)
    assert shapes >= 12


def test_batch_recovery_is_non_increasing_in_pd():
    book = make_loans(60, seed=11)
    frames = []
    for pd_12m in PD_GRID:
        frames.append(book.assign(default_probability=pd_12m))
    offers = offer_batch(pd.concat(frames, ignore_index=True))
    per_loan: dict[str, list[int]] = {}
    per_plan: dict[tuple[str, int, int, int], list[tuple[float, int]]] = {}
    for offer in offers:
        best = offer.plans[0].expected_recovery if offer.plans else offer.litigation.expected_recovery
        per_loan.setdefault(offer.loan.loan_id, []).append(best)
        for plan in offer.plans:
            shape = (offer.loan.loan_id, plan.instalment_count, plan.relief_bps, plan.haircut_bps)
            per_plan.setdefault(shape, []).append((offer.default_probability, plan.expected_recovery))
    assert len(per_loan) == 60
    for loan_id, values in per_loan.items():
        assert values == sorted(values, reverse=True), (loan_id, values)
    for shape, points in per_plan.items():
        values = [v for _, v in sorted(points)]
        assert values == sorted(values, reverse=True), (shape, points)
    assert sum(len(o.plans) for o in offers) > 100


@st.composite
def worlds(draw: st.DrawFn) -> tuple[RestructuringSettings, LoanPosition, int, int, int]:
    """Any settings the guard accepts, any loan, one plan shape."""
    try:
        world = RestructuringSettings(
            discount_rate_bps=draw(st.integers(0, 3_000)),
            months_to_judgment=draw(st.integers(0, 24)),
            enforcement_months=draw(st.integers(0, 24)),
            litigation_cost_fixed=draw(st.integers(0, 2_000_000)),
            litigation_cost_bps=draw(st.integers(0, 1_000)),
            auction_recovery_bps=draw(st.integers(0, 10_000)),
            auction_failure_bps=draw(st.integers(0, 5_000)),
            unsecured_recovery_bps=draw(st.integers(0, 5_000)),
            instalment_counts=(draw(st.integers(1, 60)),),
            affordability_share_bps=draw(st.integers(0, 10_000)),
            affordability_stress_bps=draw(st.integers(0, 50_000)),
            min_instalment=100,
        )
    except SchemaError:
        assume(False)
        raise
    principal = draw(st.integers(100_000, 10**10))
    position = LoanPosition(
        loan_id="h",
        principal=principal,
        overdue_interest=draw(st.integers(0, principal)),
        penalties=draw(st.integers(0, principal // 2)),
        annual_rate_bps=500,
        months_overdue=3,
        collateral_value=draw(st.integers(0, 3 * principal)),
        monthly_capacity=draw(st.integers(1, 2 * principal)),
    )
    n = world.instalment_counts[0]
    return world, position, n, draw(st.sampled_from([0, 5_000, 10_000])), draw(st.sampled_from([0, 1_000, 5_000]))


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.filter_too_much])
@given(world=worlds())
def test_expected_recovery_is_non_increasing_in_pd_under_any_accepted_settings(world):
    custom, position, n, rho, kappa = world
    values = []
    for pd_12m in (0.0, 0.01, 0.1, 0.3, 0.6, 0.9, 0.99, 0.9999, 1.0):
        try:
            plan = evaluate_plan(
                position,
                default_probability=pd_12m,
                instalment_count=n,
                relief_bps=rho,
                haircut_bps=kappa,
                settings=custom,
            )
        except SchemaError:
            assume(False)
        values.append(plan.expected_recovery)
    assert values == sorted(values, reverse=True), (custom, position, rho, kappa, values)


def test_settings_that_would_break_monotonicity_are_refused():
    with pytest.raises(SchemaError, match="monotonicity guard"):
        RestructuringSettings(auction_failure_bps=0, months_to_judgment=1, enforcement_months=1, litigation_cost_bps=0)


# --- affordability ---------------------------------------------------------------------------------


def test_no_proposed_instalment_exceeds_the_stated_capacity():
    book = make_loans(3_000, seed=5)
    offers = offer_batch(book)
    proposed = 0
    for offer in offers:
        capacity = offer.loan.monthly_capacity
        for plan in offer.plans:
            amounts = [amount for amount, _ in plan.schedule(dt.date(2027, 1, 15))]
            assert max(amounts) <= capacity, (offer.loan.loan_id, plan)
            assert plan.monthly_payment <= capacity
            assert plan.monthly_payment >= SETTINGS.min_instalment
            proposed += 1
    assert proposed > 3_000
    # capacities really bind: some loans could not afford every shape, some could afford none
    assert any(0 < o.affordable < o.candidates for o in offers)
    assert any(o.affordable == 0 and o.recommendation == "litigate" for o in offers)


def test_an_unaffordable_shape_is_refused_by_evaluate_plan():
    with pytest.raises(SchemaError, match="monthly_capacity"):
        evaluate_plan(loan(monthly_capacity=1_000_000), default_probability=0.1, instalment_count=6)


def test_proposed_plans_beat_litigation_and_are_ranked():
    for offer in offer_batch(make_loans(500, seed=3)):
        assert len(offer.plans) <= SETTINGS.max_plans
        values = [p.expected_recovery for p in offer.plans]
        assert values == sorted(values, reverse=True)
        assert [p.rank for p in offer.plans] == list(range(1, len(values) + 1))
        assert all(v > offer.litigation.expected_recovery for v in values)
        shapes = {(p.instalment_count, p.interest_relief, p.principal_haircut) for p in offer.plans}
        assert len(shapes) == len(offer.plans)  # no plan proposed twice under another relief share
        assert offer.recommendation == ("restructure" if offer.plans else "litigate")


def test_nothing_overdue_proposes_each_amount_once():
    offer = offer_restructuring(
        loan(overdue_interest=0, penalties=0, collateral_value=0, monthly_capacity=50_000_000),
        default_probability=0.05,
    )
    assert len(offer.plans) == 3
    assert all(p.relief_bps == 0 and p.interest_relief == 0 for p in offer.plans)


# --- determinism -----------------------------------------------------------------------------------


def _fingerprint(offers: list[RestructuringOffer]) -> dict[str, tuple[str, tuple[tuple[int, int, str], ...]]]:
    return {
        o.loan.loan_id: (o.recommendation, tuple((p.instalment_count, p.total, p.digest()) for p in o.plans))
        for o in offers
    }


def test_ranking_and_digests_are_stable_for_a_fixed_seed_and_any_row_order():
    book = make_loans(400, seed=23)
    first = offer_batch(book)
    again = offer_batch(make_loans(400, seed=23))
    shuffled = offer_batch(book.sample(frac=1.0, random_state=99))
    assert first == again
    assert _fingerprint(first) == _fingerprint(again) == _fingerprint(shuffled)
    assert [o.loan.loan_id for o in shuffled] != [o.loan.loan_id for o in first]  # the shuffle moved rows
    assert sum(len(o.plans) for o in first) > 300


def test_batch_and_single_loan_paths_agree_exactly():
    book = make_loans(250, seed=31)
    batch = offer_batch(book)
    for (_, row), from_batch in zip(book.iterrows(), batch, strict=True):
        single = offer_restructuring(position(row), default_probability=float(row["default_probability"]))
        assert single == from_batch
        assert [p.digest() for p in single.plans] == [p.digest() for p in from_batch.plans]
        for plan in single.plans:
            alone = evaluate_plan(
                single.loan,
                default_probability=single.default_probability,
                instalment_count=plan.instalment_count,
                relief_bps=plan.relief_bps,
                haircut_bps=plan.haircut_bps,
            )
            assert dataclasses.replace(alone, rank=plan.rank) == plan


class FakeDefaultModel:
    """Implements what the restructuring code uses of ``DefaultModel``: ``version`` and ``predict_proba``."""

    version = "pd-fake-0001"

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(np.clip(frame["score"].to_numpy(dtype=float), 0.0, 1.0))


def test_a_model_scores_the_probability_and_is_named_on_the_card():
    model = FakeDefaultModel()
    scored = offer_restructuring(LOANS[0], model=model, features=pd.DataFrame({"score": [0.2]}))
    direct = offer_restructuring(LOANS[0], default_probability=0.2)
    assert scored.model_version == "pd-fake-0001"
    assert [p.expected_recovery for p in scored.plans] == [p.expected_recovery for p in direct.plans]
    assert scored.plans[0].card()["risk"]["model_version"] == "pd-fake-0001"
    assert scored.plans[0].digest() != direct.plans[0].digest()  # the model is part of the explanation
    book = make_loans(50, seed=2)
    by_model = offer_batch(
        book.assign(score=book["default_probability"]).drop(columns="default_probability"), model=model
    )
    assert [o.plans for o in by_model] != []
    assert [[p.expected_recovery for p in o.plans] for o in by_model] == [
        [p.expected_recovery for p in o.plans] for o in offer_batch(book)
    ]
    with pytest.raises(SchemaError, match="exactly one row"):
        offer_restructuring(LOANS[0], model=model, features=pd.DataFrame({"score": [0.2, 0.3]}))


# --- litigation wins -------------------------------------------------------------------------------


@pytest.mark.parametrize("pd_12m", [0.999, 0.9999, 1.0])
def test_litigation_beats_every_plan_when_default_is_all_but_certain_and_collateral_ample(pd_12m):
    ample = loan(loan_id="ample", collateral_value=200_000_000, monthly_capacity=3_000_000)
    offer = offer_restructuring(ample, default_probability=pd_12m)
    assert offer.recommendation == "litigate"
    assert offer.plans == ()
    assert offer.litigation.secured_part == offer.litigation.claim  # the auction covers the whole claim
    assert "litigation" in offer.reason
    for n, rho, kappa in SETTINGS.shapes():
        try:
            plan = evaluate_plan(
                ample, default_probability=pd_12m, instalment_count=n, relief_bps=rho, haircut_bps=kappa
            )
        except SchemaError:
            continue
        assert plan.expected_recovery <= offer.litigation.expected_recovery
        assert plan.card()["comparison"]["beats_litigation"] is False


def test_at_pd_one_even_an_ample_capacity_cannot_beat_litigation():
    rich = loan(collateral_value=200_000_000, monthly_capacity=60_000_000)
    assert offer_restructuring(rich, default_probability=0.9).recommendation == "restructure"
    assert offer_restructuring(rich, default_probability=1.0).recommendation == "litigate"


# --- schedule --------------------------------------------------------------------------------------


def test_schedule_sums_to_total_and_falls_due_monthly():
    offers = offer_batch(make_loans(200, seed=17))
    plans = [p for o in offers for p in o.plans]
    assert any(p.last_payment != p.monthly_payment for p in plans)  # some plans carry a remainder
    for plan in plans:
        for start in (dt.date(2027, 1, 31), dt.date(2028, 2, 29), dt.date(2027, 6, 15)):
            schedule = plan.schedule(start)
            assert len(schedule) == plan.instalment_count
            assert sum(a for a, _ in schedule) == plan.total
            assert all(isinstance(a, int) and a > 0 for a, _ in schedule)
            dues = [d for _, d in schedule]
            assert all(b > a for a, b in zip([start, *dues], dues, strict=False))
            months = [(d.year - start.year) * 12 + d.month - start.month for d in dues]
            assert months == list(range(1, plan.instalment_count + 1))
            assert all(d.day == min(start.day, _month_end(d)) for d in dues)
        epoch = plan.schedule(1_800_000_000)
        assert sum(a for a, _ in epoch) == plan.total
        stamps = [s for _, s in epoch]
        assert all(b > a for a, b in zip([1_800_000_000, *stamps], stamps, strict=False))
        assert all(isinstance(s, int) for s in stamps)


def _month_end(day: dt.date) -> int:
    nxt = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return (nxt - dt.timedelta(days=1)).day


def test_schedule_clamps_to_month_end_and_keeps_time_of_day():
    plan = offer_restructuring(LOANS[0], default_probability=0.1).plans[0]
    dues = [d for _, d in plan.schedule(dt.date(2027, 1, 31))][:3]
    assert dues == [dt.date(2027, 2, 28), dt.date(2027, 3, 31), dt.date(2027, 4, 30)]
    start = dt.datetime(2027, 1, 31, 9, 30, tzinfo=dt.UTC)
    first = plan.schedule(int(start.timestamp()))[0][1]
    assert first == int(dt.datetime(2027, 2, 28, 9, 30, tzinfo=dt.UTC).timestamp())
    with pytest.raises(SchemaError, match="start"):
        plan.schedule("2027-01-31")  # type: ignore[call-overload]


# --- card and digest -------------------------------------------------------------------------------


def test_card_is_canonical_json_and_its_digest_is_reproducible():
    plan = offer_restructuring(LOANS[0], default_probability=0.2).plans[0]
    card = plan.card()
    text = canonical_json(card)
    assert json.loads(text) == card
    assert '", "' not in text  # no separator whitespace
    assert '": ' not in text
    assert not [v for v in _leaves(card) if isinstance(v, float)]  # ints only
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert len(card["expected_recovery"]["terms"]) == plan.instalment_count
    assert plan.digest() == offer_restructuring(LOANS[0], default_probability=0.2).plans[0].digest()
    assert len(bytes.fromhex(plan.digest())) == 32  # a bytes32 planDigest
    terms = card["expected_recovery"]["terms"]
    assert abs(sum(t["pv_payment"] for t in terms) - plan.payment_leg) <= plan.instalment_count
    assert abs(sum(t["pv_default"] for t in terms) - plan.default_leg) <= plan.instalment_count
    assert sum(t["payment"] for t in terms) == plan.total


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


PLAN_FIGURES = [
    "instalment_count",
    "relief_bps",
    "haircut_bps",
    "interest_relief",
    "principal_haircut",
    "total",
    "monthly_payment",
    "last_payment",
    "expected_recovery",
    "payment_leg",
    "default_leg",
    "expected_recovery_vs_litigation_bps",
    "probability_of_completion_ppm",
]


def test_digest_changes_when_any_figure_changes():
    plan = offer_restructuring(LOANS[0], default_probability=0.2).plans[0]
    digest = plan.digest()
    seen = {digest}
    for name in PLAN_FIGURES:
        changed = dataclasses.replace(plan, **{name: getattr(plan, name) + 1})
        seen.add(changed.digest())
    for name in LOAN_COLUMNS:
        seen.add(
            dataclasses.replace(
                plan, loan=dataclasses.replace(plan.loan, **{name: getattr(plan.loan, name) + 1})
            ).digest()
        )
    seen.add(dataclasses.replace(plan, loan=dataclasses.replace(plan.loan, loan_id="L2")).digest())
    for name in [f.name for f in dataclasses.fields(LitigationEstimate)]:
        seen.add(
            dataclasses.replace(
                plan, litigation=dataclasses.replace(plan.litigation, **{name: getattr(plan.litigation, name) + 1})
            ).digest()
        )
    seen.add(dataclasses.replace(plan, default_probability=0.2001).digest())
    seen.add(dataclasses.replace(plan, settings=RestructuringSettings(discount_rate_bps=801)).digest())
    seen.add(dataclasses.replace(plan, model_version="pd-x").digest())
    expected = 1 + len(PLAN_FIGURES) + len(LOAN_COLUMNS) + 1 + len(dataclasses.fields(LitigationEstimate)) + 3
    assert len(seen) == expected
    assert plan.digest() == digest


def test_card_explains_every_figure_in_words():
    plan = evaluate_plan(LOANS[0], default_probability=0.2, instalment_count=24, relief_bps=5_000, haircut_bps=1_000)
    card = plan.card()
    words = " ".join(card["explanation"] + card["litigation"]["explanation"])
    for figure in (
        plan.total,
        plan.monthly_payment,
        plan.last_payment,
        plan.interest_relief,
        plan.principal_haircut,
        plan.expected_recovery,
        plan.payment_leg,
        plan.default_leg,
        plan.litigation.expected_recovery,
        plan.litigation.costs,
        plan.probability_of_completion_ppm,
        plan.expected_recovery_vs_litigation_bps,
    ):
        assert str(figure) in words, figure
    assert "ER = " in card["expected_recovery"]["formula"]
    assert card["plan"]["total"] == plan.total == plan.loan.claim - plan.interest_relief - plan.principal_haircut
    assert (plan.interest_relief, plan.principal_haircut) == (2_000_000, 5_000_000)


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"monthly_capacity": 0}, "monthly_capacity"),
        ({"monthly_capacity": -5}, "monthly_capacity"),
        ({"principal": 0, "overdue_interest": 0, "penalties": 0}, "claim"),
        ({"principal": -1}, "principal"),
        ({"penalties": 1.5}, "penalties"),
        ({"collateral_value": -1}, "collateral_value"),
        ({"annual_rate_bps": -1}, "annual_rate_bps"),
    ],
)
def test_bad_loans_raise_naming_the_field(overrides, field):
    with pytest.raises(SchemaError, match=field):
        loan(**overrides)


@pytest.mark.parametrize("bad", [-0.01, 1.01, math.nan, math.inf, "0.2", True])
def test_bad_probabilities_raise_naming_the_field(bad):
    with pytest.raises(SchemaError, match="default_probability"):
        offer_restructuring(LOANS[0], default_probability=bad)


def test_a_probability_is_required():
    with pytest.raises(SchemaError, match="default_probability"):
        offer_restructuring(LOANS[0])


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        ("monthly_capacity", 0, "monthly_capacity"),
        ("monthly_capacity", -3, "monthly_capacity"),
        ("default_probability", 1.5, "default_probability"),
        ("default_probability", -0.5, "default_probability"),
        ("default_probability", math.nan, "default_probability"),
        ("principal", -1, "principal"),
    ],
)
def test_bad_rows_in_a_batch_raise_naming_the_field_and_the_loan(column, value, field):
    book = make_loans(20, seed=4)
    book.loc[7, column] = value
    with pytest.raises(SchemaError, match=field) as err:
        offer_batch(book)
    assert "L4-00007" in str(err.value)


def test_a_zero_claim_in_a_batch_is_named():
    book = make_loans(5, seed=4)
    book.loc[2, ["principal", "overdue_interest", "penalties"]] = 0
    with pytest.raises(SchemaError, match=r"claim \(principal"):
        offer_batch(book)


def test_batch_frames_must_have_integer_money_and_every_column():
    book = make_loans(5, seed=4)
    with pytest.raises(SchemaError, match="principal"):
        offer_batch(book.assign(principal=book["principal"].astype(float)))
    with pytest.raises(SchemaError, match="monthly_capacity"):
        offer_batch(book.drop(columns="monthly_capacity"))


def test_settings_are_validated_and_overridable():
    custom = RestructuringSettings(instalment_counts=(3, 9), haircut_grid_bps=(0,), max_plans=2)
    offer = offer_restructuring(loan(collateral_value=0), default_probability=0.1, settings=custom)
    assert {p.instalment_count for p in offer.plans} <= {3, 9}
    assert len(offer.plans) <= 2
    assert offer.plans[0].card()["settings"]["instalment_counts"] == [3, 9]
    with pytest.raises(SchemaError, match="relief_grid_bps"):
        RestructuringSettings(relief_grid_bps=(5_000, 0))
    with pytest.raises(SchemaError, match="auction_recovery_bps"):
        RestructuringSettings(auction_recovery_bps=12_000)
    with pytest.raises(SchemaError, match="min_instalment"):
        RestructuringSettings(min_instalment=10)
