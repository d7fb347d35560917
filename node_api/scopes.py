"""The scopes an API key can hold (``*`` grants all of them).

A module of constants only, so the CLI can list them in ``--help`` without importing the gateway."""

from __future__ import annotations

__all__ = ["SCOPES"]

SCOPES = (
    "members:read",
    "operations:read",
    "tokens:read",
    "tokens:write",
    "tokens:mint",
    "events:read",
    "webhooks:write",
    "evidence:read",
    "evidence:write",
    "oracles:read",
    "oracles:write",
    "analytics:read",
    "cases:read",
    "cases:write",
    "cases:contacts",
    "metrics:read",
    "compliance:read",
    "auctions:read",
    "auctions:write",
    "fractions:read",
    "fractions:write",
    "disputes:read",
    "disputes:write",
    "audit:read",
)
