"""Exceptions of the oracle operators.

Hierarchy::

    OracleError            root: an oracle node cannot do its job
    ├── GatewayError       the operator's (or a peer's) gateway refused a request or cannot be reached
    └── FeedError          a feed cannot compute a value (no model, no features for a subject)
"""

from __future__ import annotations

__all__ = ["FeedError", "GatewayError", "OracleError"]


class OracleError(Exception):
    """Root of every error an oracle node raises."""


class GatewayError(OracleError):
    """A gateway answered with a problem, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class FeedError(OracleError):
    """A feed cannot compute a value."""
