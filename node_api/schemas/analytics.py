"""Request and response models of the analytics endpoints (valuations, risk assessments, guarantees)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from node_api.schemas import RequestModel

__all__ = [
    "ContributionPublic",
    "EarlyWarningPublic",
    "GuaranteeAnalysisPublic",
    "PlanPublic",
    "RestructuringOfferCreate",
    "RestructuringOfferPublic",
    "RiskAssessmentCreate",
    "RiskAssessmentPublic",
    "RuleConfig",
    "ValuationCreate",
    "ValuationPublic",
]

#: money in integer minor units below 2**63 (an exclusive power of two: exact in the OpenAPI document)
_MONEY_LIMIT = 2**63


class ValuationCreate(RequestModel):
    """An asset's features (the model's schema columns); absent features are treated as missing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "asset_ref": "lot-2026-0042",
                    "features": {"Gr Liv Area": 1710, "Overall Qual": 7, "Year Built": 2003, "Neighborhood": "CollgCr"},
                    "top": 5,
                }
            ]
        }
    )

    asset_ref: str = Field(default="", max_length=200, description="your reference for the asset (not stored)")
    features: dict[str, Any] = Field(min_length=1)
    top: int = Field(
        default=5, ge=0, le=50, description="largest feature contributions to report; 0 reports none (faster)"
    )


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


class RuleConfig(RequestModel):
    """Early-warning thresholds; ``null`` switches a rule off."""

    overdue_days: int | None = Field(default=30, ge=0, le=36_500)
    overdue_share_bp: int | None = Field(default=500, ge=0, le=10_000)
    downgrade_notches: int | None = Field(default=1, ge=1, le=100)
    rating_scale: list[StrictStr] | None = Field(default=None, max_length=100)


class RiskAssessmentCreate(RequestModel):
    """A loan as monitored (money in integer minor units) and, optionally, its features for the PD model.

    The overdue amount is part of the loan: larger than ``loan_amount`` is refused (422 on ``overdue_amount``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "loan_id": "LN-2026-000381",
                    "loan_amount": 50_000_000,
                    "days_overdue": 45,
                    "overdue_amount": 3_200_000,
                    "rating": "BB",
                    "previous_rating": "BBB",
                    "rules": {"overdue_days": 30, "overdue_share_bp": 500, "downgrade_notches": 1},
                }
            ]
        }
    )

    loan_id: str = Field(min_length=1, max_length=200)
    loan_amount: int = Field(ge=1, lt=_MONEY_LIMIT, description="integer minor units (fen)")
    days_overdue: int = Field(default=0, ge=0, le=36_500)
    overdue_amount: int = Field(
        default=0, ge=0, lt=_MONEY_LIMIT, description="integer minor units (fen), at most loan_amount"
    )
    rating: str | None = Field(default=None, max_length=16)
    previous_rating: str | None = Field(default=None, max_length=16)
    rules: RuleConfig = Field(default_factory=RuleConfig)
    features: dict[str, Any] | None = None

    @field_validator("overdue_amount")
    @classmethod
    def _overdue_within_loan(cls, overdue: int, info: ValidationInfo) -> int:
        loan = info.data.get("loan_amount")  # absent when loan_amount itself was refused
        if loan is not None and overdue > loan:
            raise ValueError(f"overdue_amount ({overdue:,}) is larger than loan_amount ({loan:,})")
        return overdue


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


class RestructuringOfferCreate(RequestModel):
    """A non-performing loan (money in integer fen), the debtor's stated monthly capacity and its 12-month default
    probability: ``default_probability``, or ``features`` the installed default model scores (exactly one of the
    two; a field is left out rather than sent as ``null``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": ["default_probability"]}, {"required": ["features"]}],
            "examples": [
                {
                    "loan_id": "LN-2026-000381",
                    "principal_fen": 8_000_000,
                    "overdue_interest_fen": 1_200_000,
                    "penalties_fen": 300_000,
                    "annual_rate_bps": 600,
                    "months_overdue": 7,
                    "collateral_value_fen": 0,
                    "monthly_capacity_fen": 450_000,
                    "default_probability": 0.35,
                }
            ],
        }
    )

    loan_id: str = Field(min_length=1, max_length=200)
    principal_fen: int = Field(ge=0, lt=_MONEY_LIMIT, description="the part of the claim that is principal")
    overdue_interest_fen: int = Field(default=0, ge=0, lt=_MONEY_LIMIT)
    penalties_fen: int = Field(default=0, ge=0, lt=_MONEY_LIMIT)
    annual_rate_bps: int = Field(default=0, ge=0, le=1_000_000, description="the contractual rate (shown on the card)")
    months_overdue: int = Field(default=0, ge=0, le=1_200)
    collateral_value_fen: int = Field(default=0, ge=0, lt=_MONEY_LIMIT, description="appraisal of the collateral")
    monthly_capacity_fen: int = Field(ge=1, lt=_MONEY_LIMIT, description="what the debtor says it can pay a month")
    default_probability: float | SkipJsonSchema[None] = Field(default=None, ge=0.0, le=1.0, description="12-month PD")
    features: dict[str, Any] | SkipJsonSchema[None] = Field(
        default=None, description="the default model's features, for its PD"
    )
    start: Annotated[AwareDatetime, Field(strict=False)] | None = Field(
        default=None, description="the schedule's start (ISO 8601 with an offset); instalment t is due t months later"
    )

    @field_validator("default_probability", "features", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("leave the field out instead of sending null")
        return value

    @field_validator("start", mode="before")
    @classmethod
    def _iso(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError("a start time is an ISO 8601 string with a UTC offset, e.g. 2027-01-01T00:00:00+08:00")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> RestructuringOfferCreate:
        """Exactly one source of the default probability."""
        if (self.default_probability is None) == (self.features is None):
            raise ValueError("give either default_probability or features (for the default model), not both")
        return self


class PlanPublic(BaseModel):
    """One proposed plan: its figures, its dated schedule and the card that explains every figure (the
    ``digest``, SHA-256 of the card's canonical JSON, is what a mediation agreement anchors as its plan)."""

    rank: int
    digest: str
    instalment_count: int
    monthly_payment_fen: int
    last_payment_fen: int
    interest_relief_fen: int
    principal_haircut_fen: int
    relief_fen: int = Field(description="interest relief + principal haircut: the agreement's relief")
    total_fen: int
    expected_recovery_fen: int
    expected_recovery_vs_litigation_bps: int | None
    probability_of_completion_ppm: int
    schedule: list[list[int]] = Field(description="[amount_fen, due_at (Unix seconds)] per instalment")
    card: dict[str, Any]


class RestructuringOfferPublic(BaseModel):
    loan_id: str
    claim_fen: int
    default_probability: float
    model_version: str | None
    recommendation: str = Field(description="restructure | litigate")
    reason: str
    candidates: int
    affordable: int
    litigation: dict[str, Any] = Field(description="the litigation-plus-auction baseline, explained")
    start: int = Field(description="the schedules' start, Unix seconds")
    plans: list[PlanPublic]
