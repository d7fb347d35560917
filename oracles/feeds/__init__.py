"""Feeds: each turns a subject's features into a value with an analytics model (``fetch → score``)."""

from oracles.feeds.valuation import Observation, ValuationFeed, model_version_bytes

__all__ = ["Observation", "ValuationFeed", "model_version_bytes"]
