"""Synthetic data sets for the analytics tests: two differently shaped valuation sets and a loan book.

Every generator is seeded, small, and has a known structure, so tests can assert what a model must
recover without depending on a real data set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics import (
    DefaultModel,
    RiskSettings,
    Schema,
    ValuationModel,
    ValuationSettings,
    fit_default_model,
    fit_valuation,
)

CONDITIONS = ("poor", "fair", "good", "excellent")
GRADES = ("A", "B", "C", "D", "E")


def make_houses(n: int, seed: int) -> pd.DataFrame:
    """Houses: log price is additive in log area, condition, district and age, with 8 % noise."""
    rng = np.random.default_rng(seed)
    area = rng.lognormal(np.log(120), 0.35, n)
    rooms = np.clip(np.round(area / 30 + rng.normal(0, 0.7, n)), 1, 9).astype(int)
    age = rng.integers(0, 80, n).astype(float)
    district = rng.choice(["north", "south", "east", "west", "centre"], n, p=[0.25, 0.25, 0.2, 0.2, 0.1])
    condition = rng.choice(CONDITIONS, n, p=[0.1, 0.3, 0.4, 0.2])
    garage = rng.random(n) < 0.4
    year = rng.integers(2015, 2021, n)
    effect = {"north": 0.1, "south": -0.1, "east": 0.0, "west": 0.05, "centre": 0.35}
    log_price = (
        11.0
        + 0.9 * np.log(area)
        + np.array([effect[d] for d in district])
        + 0.08 * np.array([CONDITIONS.index(c) for c in condition])
        - 0.004 * age
        + 0.05 * garage
        + 0.03 * (year - 2015)
        + rng.normal(0, 0.08, n)
    )
    price = np.exp(log_price)
    age[rng.random(n) < 0.05] = np.nan  # some missing values, after the price was set
    return pd.DataFrame(
        {
            "floor_area": area,
            "rooms": rooms,
            "age": age,
            "district": district,
            "condition": condition,
            "has_garage": garage,
            "sale_year": year,
            "listing_price": price * rng.normal(1.0, 0.02, n),
            "price": price,
        }
    )


HOUSE_SCHEMA = Schema(
    target="price",
    numeric=("floor_area", "rooms", "age", "has_garage", "sale_year"),
    ordinal={"condition": CONDITIONS},
    categorical=("district",),
    unavailable=("listing_price",),
    date_column="sale_year",
    name="synthetic-houses",
)


def make_machines(n: int, seed: int) -> pd.DataFrame:
    """Machines: a differently shaped set with a rent column and two cost columns (income/cost approaches)."""
    rng = np.random.default_rng(seed)
    cost = rng.lognormal(np.log(50_000), 0.5, n)
    land = rng.lognormal(np.log(20_000), 0.4, n)
    hours = rng.integers(0, 40_000, n).astype(float)
    maker = rng.choice([f"m{i}" for i in range(12)], n)
    grade = rng.choice(GRADES, n)
    depreciation = np.exp(-hours / 60_000 - 0.05 * np.array([GRADES.index(g) for g in grade]))
    value = (land + cost * depreciation) * rng.lognormal(0, 0.06, n)
    rent = value * rng.lognormal(np.log(0.1), 0.05, n)
    rent[rng.random(n) < 0.1] = np.nan  # some machines are not let out
    return pd.DataFrame(
        {
            "annual_rent": rent,
            "replacement_cost": cost,
            "land_value": land,
            "hours_used": hours,
            "maker": maker,
            "grade": grade,
            "appraised_value": value,
        }
    )


MACHINE_SCHEMA = Schema(
    target="appraised_value",
    numeric=("annual_rent", "replacement_cost", "land_value", "hours_used"),
    ordinal={"grade": GRADES},
    categorical=("maker",),
    rent_feature="annual_rent",
    cost_features=("replacement_cost", "land_value"),
    name="synthetic-machines",
)


def make_loans(n: int, seed: int) -> pd.DataFrame:
    """Loans: default log-odds linear in debt ratio, grade and region, plus a threshold effect on income."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(np.log(60_000), 0.5, n)
    debt_ratio = rng.uniform(0, 0.6, n)
    grade = rng.choice(GRADES, n)
    region = rng.choice(["r1", "r2", "r3", "r4"], n)
    term = rng.choice(["36m", "60m"], n)
    eta = (
        -3.2
        + 4.0 * debt_ratio
        + 0.45 * np.array([GRADES.index(g) for g in grade])
        + 0.4 * (region == "r4")
        + 0.3 * (term == "60m")
        - 0.6 * (income > 80_000)
    )
    bad = rng.random(n) < 1 / (1 + np.exp(-eta))
    return pd.DataFrame(
        {
            "income": income,
            "debt_ratio": debt_ratio,
            "grade": grade,
            "region": region,
            "term": term,
            "status": np.where(bad, "default", "ok"),
        }
    )


LOAN_SCHEMA = Schema(
    target="status",
    numeric=("income", "debt_ratio"),
    ordinal={"grade": GRADES},
    categorical=("region", "term"),
    positive_label="default",
    name="synthetic-loans",
)

FAST_VALUATION = ValuationSettings(folds=3, budget_s=0, seed=7, neighbour_candidates=(5, 10))
FAST_RISK = RiskSettings(folds=3, budget_s=0, seed=7, logistic_cs=(0.1, 1.0))


@pytest.fixture(scope="session")
def houses() -> pd.DataFrame:
    return make_houses(600, seed=1)


@pytest.fixture(scope="session")
def house_model(houses: pd.DataFrame) -> ValuationModel:
    return fit_valuation(houses.iloc[:400], "price", HOUSE_SCHEMA, settings=FAST_VALUATION)


@pytest.fixture(scope="session")
def loans() -> pd.DataFrame:
    return make_loans(3000, seed=2)


@pytest.fixture(scope="session")
def loan_model(loans: pd.DataFrame) -> DefaultModel:
    return fit_default_model(loans.iloc[:2000], "status", LOAN_SCHEMA, settings=FAST_RISK)
