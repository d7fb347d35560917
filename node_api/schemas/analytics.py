"""Request and response models of the analytics endpoints (valuations, risk assessments, guarantees)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "ContributionPublic",
    "EarlyWarningPublic",
    "GuaranteeAnalysisPublic",
    "RiskAssessmentCreate",
    "RiskAssessmentPublic",
    "RuleConfig",
    "ValuationCreate",
    "ValuationPublic",
]

_MONEY = 2**63 - 1


class ValuationCreate(BaseModel):
    """An asset's features (the model's schema columns); absent features are treated as missing."""

    asset_ref: str = Field(default="", max_length=200, description="your reference for the asset (not stored)")
    features: dict[str, Any] = Field(min_length=1)
    top: int = Field(default=5, ge=1, le=50)


class ContributionPublic(BaseModel):
    feature: str
    log_effect: float
    percent: float


class ValuationPublic(BaseModel):
    asset_ref: str
    estimate: float
    low: float
    high: float
    estimate_minor: int = Field(description="estimate in integer minor units (fen/cents)")
    low_minor: int
    high_minor: int
    coverage: float
    model_version: str
    feature_digest: str
    missing_features: list[str]
    contributions: list[ContributionPublic]
    approaches: dict[str, float]


class RuleConfig(BaseModel):
    overdue_days: int | None = Field(default=30, ge=0)
    overdue_share_bp: int | None = Field(default=500, ge=0, le=10_000)
    downgrade_notches: int | None = Field(default=1, ge=1)
    rating_scale: list[str] | None = None


class RiskAssessmentCreate(BaseModel):
    """A loan as monitored (money in integer minor units) and, optionally, its features for the PD model."""

    loan_id: str = Field(min_length=1, max_length=200)
    loan_amount: int = Field(ge=1, le=_MONEY)
    days_overdue: int = Field(default=0, ge=0)
    overdue_amount: int = Field(default=0, ge=0, le=_MONEY)
    rating: str | None = Field(default=None, max_length=16)
    previous_rating: str | None = Field(default=None, max_length=16)
    rules: RuleConfig = Field(default_factory=RuleConfig)
    features: dict[str, Any] | None = None


class EarlyWarningPublic(BaseModel):
    rule: str
    code: str
    observed: str
    threshold: str
    message: str


class RiskAssessmentPublic(BaseModel):
    loan_id: str
    flagged: bool
    warnings: list[EarlyWarningPublic]
    probability: float | None
    model_version: str | None
    top_factors: list[ContributionPublic]


class GuaranteeAnalysisPublic(BaseModel):
    id: str
    created_at: dt.datetime
    summary: dict[str, Any]
    circles: list[dict[str, Any]]
    riskiest_firms: list[dict[str, Any]]
    chains: dict[str, list[list[str]]]
    drawing: str
