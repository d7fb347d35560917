"""Settings of an oracle operator process (``recourse oracles run``): env ``RECOURSE_*``, nested with ``__``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from chain.config import ProcessSettings

__all__ = ["OracleNodeSettings", "OracleSettings"]


class OracleNodeSettings(BaseModel):
    """Rounds, push policy and scheduling (``RECOURSE_ORACLE__*``)."""

    feed: str = "valuation:residential"
    #: what the node reports: one asset's valuation (``valuation``) or an NPL package's price (``package``)
    feed_kind: Literal["valuation", "package"] = "valuation"
    #: feed name of the package prices
    package_feed: str = "valuation:npl-package"
    #: seconds per round; round r observes at r * period_s
    period_s: int = Field(default=60, ge=1)
    #: seconds between two scheduler ticks (each advances every open round one step)
    tick_s: float = Field(default=2.0, gt=0)
    #: the operator at distance d from the round's leader submits from round start + d * fallback_s
    fallback_s: int = Field(default=10, ge=0)
    #: push when the value moves by more than this many basis points ...
    deviation_bps: int = Field(default=50, ge=0)
    #: ... or when this many seconds passed since the value on chain
    heartbeat_s: int = Field(default=3600, ge=0)
    #: a run missed by more than this many seconds is skipped (coalesced runs are one run)
    misfire_grace_s: int = Field(default=30, ge=1)
    #: subjects and their features; empty means ``<data_dir>/oracles/subjects.json`` (``packages.json``
    #: for the package feed)
    subjects_file: Path | None = None
    #: trained models; empty means ``<data_dir>/models``
    model_dir: Path | None = None


class OracleSettings(ProcessSettings):
    oracle: OracleNodeSettings = Field(default_factory=OracleNodeSettings)

    @property
    def subjects_file(self) -> Path:
        default = "packages.json" if self.oracle.feed_kind == "package" else "subjects.json"
        return self.oracle.subjects_file or self.data_dir / "oracles" / default

    @property
    def model_dir(self) -> Path:
        return self.oracle.model_dir or self.data_dir / "models"
