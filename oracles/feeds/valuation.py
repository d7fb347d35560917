"""The valuation feed: an asset's features → the stacked valuation model → value and 80 % interval.

Subjects and their features come from a JSON file (``{"subjects": {"asset:REF": {feature: value}}}``),
re-read every round, so a changed feature moves the value. Values are integer minor units (the
interval rounds outwards); the report carries the model version (its ASCII name, zero-padded to 32
bytes, readable on chain) and the SHA-256 digest of the features the model saw.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from eth_utils.crypto import keccak

from analytics import AnalyticsError, ValuationModel
from chain.eip712 import FeedId, SubjectId, feed_id, subject_id
from oracles._exceptions import FeedError

__all__ = ["Observation", "ValuationFeed", "model_version_bytes"]

logger = logging.getLogger(__name__)


def model_version_bytes(version: str) -> bytes:
    """A model version as ``bytes32``: its ASCII text zero-padded when it fits, else its keccak256."""
    raw = version.encode("ascii")
    return raw.ljust(32, b"\0") if len(raw) <= 32 else keccak(raw)


@dataclass(frozen=True)
class Observation:
    subject: str
    value: int
    low: int
    high: int
    model_version: bytes
    feature_digest: bytes
    estimate: float


class SubjectsFeed:
    """What every feed shares: its name and id, and the subjects file it re-reads every round
    (``{"subjects": {"<ref>": {...}}}``); a feed adds ``observe(ref, spec) -> Observation``."""

    def __init__(self, subjects_file: Path, *, name: str) -> None:
        self.subjects_file = subjects_file
        self.name = name
        self.feed_id: FeedId = feed_id(name)

    def subjects(self) -> dict[str, dict[str, Any]]:
        try:
            payload = json.loads(self.subjects_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FeedError(f"cannot read subjects from {self.subjects_file}: {exc}") from exc
        subjects = payload.get("subjects") if isinstance(payload, dict) else None
        if not isinstance(subjects, dict):
            raise FeedError(f'{self.subjects_file} must hold {{"subjects": {{"asset:REF": {{features}}}}}}')
        return {str(k): dict(v) for k, v in subjects.items()}

    @staticmethod
    def subject_id(ref: str) -> SubjectId:
        return subject_id(ref)


class ValuationFeed(SubjectsFeed):
    """Values the subjects listed in ``subjects_file`` with ``model``."""

    def __init__(self, model: ValuationModel, subjects_file: Path, *, name: str = "valuation:residential") -> None:
        super().__init__(subjects_file, name=name)
        self.model = model

    def observe(self, ref: str, features: dict[str, Any]) -> Observation:
        schema = self.model.schema
        row: dict[str, list[Any]] = {}
        # the model's inputs: its features, with a dated model's date column in place of the year, month and
        # age it derives from it
        for c in schema.input_columns:
            value = features.get(c)
            if c in schema.numeric:
                row[c] = [np.nan if value is None else float(value)]
            else:
                row[c] = [None if value is None else str(value)]
        frame = pd.DataFrame(row)
        try:
            valuation = self.model.value(frame, top=0)[0]  # a report carries no contributions: none computed
            digest = self.model.row_digests(frame)[0]
        except AnalyticsError as exc:
            raise FeedError(f"cannot value {ref}: {exc}") from exc
        value, low, high = valuation.minor_units()
        return Observation(
            subject=ref,
            value=value,
            low=low,
            high=high,
            model_version=model_version_bytes(valuation.model_version),
            feature_digest=bytes.fromhex(digest),
            estimate=valuation.estimate,
        )
