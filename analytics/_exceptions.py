"""Exceptions raised by the `analytics` package.

Each class carries a stable ``code`` and an ``http_status`` hint, so the gateway can map it to a
problem document without a lookup table of its own.

Hierarchy::

    AnalyticsError                 root: anything the analytics layer refuses or cannot do   ANA-000 422
    ├── SchemaError                the schema or the frame does not fit (missing/typed columns) ANA-001 422
    │   ├── LeakageError           a feature is marked unavailable at valuation time, or is the target ANA-002 422
    │   └── DateColumnError        a named date column is missing or does not hold dates       ANA-007 422
    ├── NotFittedError             a model was used before it was fitted                  ANA-003 409
    ├── RuleInputError             an early-warning observation is invalid (negative days, unknown rating) ANA-004 422
    ├── GuaranteeInputError        a guarantee edge is invalid (self-guarantee, non-integer amount) ANA-005 422
    └── CapacityExceededError      an exact computation would exceed its memory bound      ANA-006 413
"""

from __future__ import annotations

__all__ = [
    "AnalyticsError",
    "CapacityExceededError",
    "DateColumnError",
    "GuaranteeInputError",
    "LeakageError",
    "NotFittedError",
    "RuleInputError",
    "SchemaError",
]


class AnalyticsError(Exception):
    """Root of every error raised by the analytics layer."""

    code = "ANA-000"
    http_status = 422


class SchemaError(AnalyticsError):
    """The schema is inconsistent, or the frame lacks or mistypes a declared column."""

    code = "ANA-001"
    http_status = 422


class LeakageError(SchemaError):
    """A feature that is unavailable at valuation time (or the target itself) was offered as a feature."""

    code = "ANA-002"
    http_status = 422


class DateColumnError(SchemaError):
    """A column named as the date of each row is missing, or holds values that are not dates."""

    code = "ANA-007"
    http_status = 422


class NotFittedError(AnalyticsError):
    """A model was asked to predict before it was fitted."""

    code = "ANA-003"
    http_status = 409


class RuleInputError(AnalyticsError):
    """An early-warning rule was configured or fed with invalid values."""

    code = "ANA-004"
    http_status = 422


class GuaranteeInputError(AnalyticsError):
    """A guarantee edge is invalid: self-guarantee, non-integer or non-positive amount, missing firm."""

    code = "ANA-005"
    http_status = 422


class CapacityExceededError(AnalyticsError):
    """An exact computation would need more memory than its configured bound."""

    code = "ANA-006"
    http_status = 413
