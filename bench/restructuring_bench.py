"""Restructuring offers for a 10,000-loan book: ``offer_batch`` vs a naive per-loan Python loop.

Ours: :func:`analytics.offer_batch` — numpy across loans × the 36 candidate shapes (4 instalment counts
× 3 relief shares × 3 haircuts), month by month, then ranking, de-duplication and the offer objects.
Baseline, in the same run on the same synthetic book (fixed seed): the same formula written as a plain
per-loan, per-shape, per-month Python loop, building the same top-3 ranking; it runs on the first
``--subset`` loans and its time is scaled to the whole book. The baseline's choices are checked against
ours (same shapes, recoveries within 1 fen), so the two compute the same thing.

Run from the project root::

    .venv/bin/python -m bench.restructuring_bench [--loans 10000] [--subset 1000] [--rounds 3]

Ratio = ``baseline / ours`` (a speed-up: above 1.0 means ours is faster). Goal: 10,000 loans in < 10 s
on 2 cores (aim < 2 s).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from analytics import RestructuringOffer, RestructuringSettings, offer_batch
from bench._common import Row, median, print_header, print_table

MODULE = "bench.restructuring_bench"
GOAL_S = 10.0
AIM_S = 2.0


def synthetic_book(n: int, seed: int) -> pd.DataFrame:
    """Log-normal principals (median ¥300,000), 60 % secured at 0.3-2x principal, capacity 0.5-12 % of it."""
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
            "loan_id": [f"B{i:06d}" for i in range(n)],
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


def _half_even(amount: int, bps: int) -> int:
    q, r = divmod(amount * bps, 10_000)
    return q + (1 if 2 * r > 10_000 or (2 * r == 10_000 and q % 2 == 1) else 0)


def naive_offers(book: pd.DataFrame, s: RestructuringSettings) -> list[list[tuple[int, int, int, int]]]:
    """Per loan: the proposed ``(n, relief_bps, haircut_bps, expected_recovery)``, best first (plain Python)."""
    r = s.discount_rate_bps / 10_000
    t_lit = s.months_to_judgment + s.enforcement_months
    d_lit = (1 + r) ** (-t_lit / 12)
    keep, uns = 1 - s.auction_failure_bps / 10_000, s.unsecured_recovery_bps / 10_000
    share, stress = s.affordability_share_bps / 10_000, s.affordability_stress_bps / 10_000
    out = []
    for row in book.itertuples(index=False):
        principal, arrears = int(row.principal), int(row.overdue_interest) + int(row.penalties)
        claim, capacity, pd_12m = principal + arrears, int(row.monthly_capacity), float(row.default_probability)
        auction = row.collateral_value * s.auction_recovery_bps / 10_000

        def litigation(amount: float, auction: float = auction) -> float:
            secured = min(auction, amount)
            gross = keep * secured + uns * (amount - secured)
            return float(max(0.0, d_lit * gross - (s.litigation_cost_fixed + s.litigation_cost_bps / 10_000 * amount)))

        baseline = round(litigation(float(claim)))
        h0 = 1 - (1 - pd_12m) ** (1 / 12)
        candidates: list[tuple[int, int, int, int, int]] = []
        seen: set[tuple[int, int, int]] = set()
        for order, (n, rho, kappa) in enumerate(s.shapes()):
            relief, haircut = _half_even(arrears, rho), _half_even(principal, kappa)
            total = claim - relief - haircut
            payment = total // n
            last = total - (n - 1) * payment
            if last > capacity or payment < s.min_instalment or (n, relief, haircut) in seen:
                continue
            seen.add((n, relief, haircut))
            burden = last / capacity
            h = min(1.0, h0 * (1 + stress * max(0.0, burden - share) / (1 - share))) if share < 1 else min(1.0, h0)
            value, survival, balance = 0.0, 1.0, float(total)
            for t in range(1, n + 1):
                disc = (1 + r) ** (-t / 12)
                value += survival * h * disc * litigation(balance)
                survival *= 1 - h
                amount = last if t == n else payment
                value += survival * amount * disc
                balance -= amount
            er = round(value)
            if er > baseline:
                candidates.append((-er, order, n, rho, kappa))
        candidates.sort()
        out.append([(n, rho, kappa, -neg) for neg, _, n, rho, kappa in candidates[: s.max_plans]])
    return out


def _ours(offers: list[RestructuringOffer]) -> list[list[tuple[int, int, int, int]]]:
    return [[(p.instalment_count, p.relief_bps, p.haircut_bps, p.expected_recovery) for p in o.plans] for o in offers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--loans", type=int, default=10_000)
    parser.add_argument("--subset", type=int, default=1_000, help="loans the naive baseline runs on (scaled)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()
    print_header("Restructuring offers: offer_batch vs a per-loan Python loop", MODULE)
    settings = RestructuringSettings()
    book = synthetic_book(args.loans, args.seed)
    subset = book.iloc[: args.subset]
    print(
        f"\n-- {len(book):,} loans (seed {args.seed}), {len(settings.shapes())} candidate shapes each; "
        f"baseline on the first {len(subset):,} loans, scaled x{len(book) / len(subset):g}"
    )
    ours_s, base_s = [], []
    offers: list[RestructuringOffer] = []
    naive: list[list[tuple[int, int, int, int]]] = []
    for _ in range(args.rounds):  # interleaved rounds, medians reported
        started = time.perf_counter()
        offers = offer_batch(book, settings)
        ours_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        naive = naive_offers(subset, settings)
        base_s.append((time.perf_counter() - started) * len(book) / len(subset))
    ours_subset = _ours(offers[: len(subset)])
    same_shapes = sum(
        [(n, r, k) for n, r, k, _ in a] == [(n, r, k) for n, r, k, _ in b]
        for a, b in zip(ours_subset, naive, strict=True)
    )
    worst = max(
        (abs(x[3] - y[3]) for a, b in zip(ours_subset, naive, strict=True) for x, y in zip(a, b, strict=False)),
        default=0,
    )
    plans = sum(len(o.plans) for o in offers)
    restructure = sum(o.recommendation == "restructure" for o in offers)
    print(
        f"ours: {restructure:,} loans restructure, {len(offers) - restructure:,} litigate, {plans:,} plans proposed; "
        f"baseline agrees on {same_shapes:,}/{len(subset):,} loans' ranked shapes, largest recovery gap {worst} fen"
    )
    ours_m, base_m = median(ours_s), median(base_s)
    print()
    print_table(
        [
            Row(
                f"offers for {len(book):,} loans (s)",
                f"{base_m:.2f}",
                f"{ours_m:.2f}",
                base_m / ours_m,
                f"baseline {len(subset):,} loans scaled; rounds {args.rounds}",
            ),
            Row(
                "per loan (ms)",
                f"{1000 * base_m / len(book):.3f}",
                f"{1000 * ours_m / len(book):.3f}",
                base_m / ours_m,
            ),
        ],
        baseline_label="naive loop",
        ours_label="offer_batch",
        ratio_label="speed-up",
    )
    print("\n-- Goals")
    met = ours_m < GOAL_S
    print(
        f"10,000-loan offers  goal < {GOAL_S:g} s (aim < {AIM_S:g} s)  ours {ours_m:.2f} s  "
        f"{'met' if met else 'NOT MET'}{' (aim met)' if ours_m < AIM_S else ''}"
    )
    print(
        f"baseline agreement  goal {len(subset):,}/{len(subset):,}  ours {same_shapes:,}  "
        f"{'met' if same_shapes == len(subset) else 'NOT MET'}"
    )


if __name__ == "__main__":
    main()
