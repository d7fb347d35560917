"""The NPL package feed: a package of loans → the recovery model's Monte-Carlo price → a valuation report.

A package is a subject ``package:<id>``; the subjects file lists each with its loans file and the pricing
inputs every operator must share, re-read every round::

    {"subjects": {"package:bank-a-2026-12": {"file": "loans.csv", "discount_rate": 0.08,
                                             "seed": 7, "simulations": 2000}}}

(``file`` relative to the subjects file; CSV or Parquet with ``balance_fen`` and the model's features.)
The report is the package's present value at the discount rate in integer minor units: ``value`` the
P50, ``low``/``high`` the P10/P90; ``model_version`` the recovery model's version and ``feature_digest``
the SHA-256 of the package's canonical content, the seed, the rate, the number of simulations and the
model version (:func:`analytics.recovery.package_digest`). The price is deterministic for those inputs,
so every operator computes the same report and their signatures agree (k-of-n on ``OracleHub``).

To the node it is a feed like the asset valuation (:class:`~oracles.feeds.valuation.SubjectsFeed`:
``subjects``, ``subject_id``, ``observe``): a package price is a valuation report like any other on the hub.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from analytics import AnalyticsError, ValuationModel
from analytics.recovery import (
    COLLATERAL_PREFIX,
    PackagePrice,
    RecoveryModel,
    collateral_from_valuation,
    price_package,
)
from oracles._exceptions import FeedError
from oracles.feeds.valuation import Observation, SubjectsFeed, model_version_bytes

__all__ = ["PACKAGE_FEED", "PackageFeed", "PackageSpec"]

logger = logging.getLogger(__name__)

PACKAGE_FEED = "valuation:npl-package"
_PREFIX = "package:"
#: priced packages kept between rounds (a package is re-priced only when its file or inputs change)
_CACHE_SIZE = 64


class PackageSpec:
    """One package's pricing inputs, checked: the loans file, discount rate, seed and simulations."""

    def __init__(self, ref: str, spec: dict[str, Any], base: Path) -> None:
        if not ref.startswith(_PREFIX) or len(ref) == len(_PREFIX):
            raise FeedError(f"package subjects are named {_PREFIX}<id>, got {ref!r}")
        file = spec.get("file")
        if not isinstance(file, str) or not file:
            raise FeedError(f"{ref}: 'file' must name the package's loans file (CSV or Parquet)")
        self.path = Path(file) if Path(file).is_absolute() else base / file
        try:
            self.discount_rate = float(spec["discount_rate"])
            self.seed = int(spec.get("seed", 0))
            self.simulations = int(spec.get("simulations", 2000))
        except (KeyError, TypeError, ValueError) as exc:
            raise FeedError(
                f"{ref}: needs a numeric 'discount_rate' (and integer 'seed', 'simulations'): {exc}"
            ) from exc
        segment = spec.get("segment")
        self.segment = str(segment) if segment is not None else None

    def key(self, content: bytes) -> str:
        payload = [hashlib.sha256(content).hexdigest(), self.discount_rate, self.seed, self.simulations, self.segment]
        return json.dumps(payload)


def read_package(path: Path) -> pd.DataFrame:
    """The loans of a package file (CSV or Parquet)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path)
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    raise FeedError(f"package file {path.name} must be .csv or .parquet")


class PackageFeed(SubjectsFeed):
    """Prices the packages listed in ``subjects_file`` with the recovery ``model`` (collateral: ``valuation``)."""

    def __init__(
        self,
        model: RecoveryModel,
        subjects_file: Path,
        *,
        valuation: ValuationModel | None = None,
        name: str = PACKAGE_FEED,
    ) -> None:
        super().__init__(subjects_file, name=name)
        # the recovery model prices; the valuation model (if any) only values secured loans' collateral
        self.recovery = model
        self.valuation = valuation
        self._cache: dict[str, tuple[PackagePrice, Observation]] = {}

    def price(self, ref: str, spec: dict[str, Any]) -> PackagePrice:
        """The package's full price (every segment), as the report is computed from it."""
        return self._observe(ref, spec)[0]

    def observe(self, ref: str, features: dict[str, Any]) -> Observation:
        return self._observe(ref, features)[1]

    def _observe(self, ref: str, raw: dict[str, Any]) -> tuple[PackagePrice, Observation]:
        spec = PackageSpec(ref, raw, self.subjects_file.parent)
        try:
            content = spec.path.read_bytes()
        except OSError as exc:
            raise FeedError(f"cannot read the loans of {ref} from {spec.path}: {exc}") from exc
        key = f"{ref}:{spec.key(content)}"
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            frame = read_package(spec.path)
            collateral = None
            if self.valuation is not None and any(str(c).startswith(COLLATERAL_PREFIX) for c in frame.columns):
                collateral = collateral_from_valuation(self.valuation, frame)
            price = price_package(
                self.recovery,
                frame,
                discount_rate=spec.discount_rate,
                seed=spec.seed,
                simulations=spec.simulations,
                segment=spec.segment,
                collateral=collateral,
            )
        except (AnalyticsError, ValueError, OSError) as exc:
            raise FeedError(f"cannot price {ref}: {exc}") from exc
        total = price.total
        observation = Observation(
            subject=ref,
            value=total.p50_pv_fen,
            low=total.p10_pv_fen,
            high=total.p90_pv_fen,
            model_version=model_version_bytes(price.model_version),
            feature_digest=bytes.fromhex(price.digest),
            estimate=total.expected_pv_fen / 100.0,
        )
        logger.info(
            "oracle.package.priced subject=%s loans=%d p10=%d p50=%d p90=%d seconds=%.2f",
            ref,
            total.loans,
            total.p10_pv_fen,
            total.p50_pv_fen,
            total.p90_pv_fen,
            price.seconds,
        )
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = (price, observation)
        return price, observation
