"""Feeds: each turns a subject's features into a value with an analytics model (``fetch → score``).

``valuation`` values one asset (the valuation model); ``package`` prices a package of NPLs (the recovery
model's Monte-Carlo price, :mod:`oracles.feeds.package`).
"""

from oracles.feeds.package import PACKAGE_FEED, PackageFeed, PackageSpec
from oracles.feeds.valuation import Observation, ValuationFeed, model_version_bytes

__all__ = ["PACKAGE_FEED", "Observation", "PackageFeed", "PackageSpec", "ValuationFeed", "model_version_bytes"]
