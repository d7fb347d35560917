"""The gateway's projections: one module per contract, each keeping its ``chain.reducers`` state in SQL.

``default_projections()`` is the one place they are registered; the indexer applies them inside its
chunk transactions and rewinds them in its reorg repair (one checkpoint, one reorg path).
"""

from __future__ import annotations

from node_api.projections._base import Projection, RowProjection
from node_api.projections.asset_fractions import FractionsIssueProjection, FractionsProjection
from node_api.projections.case_delegation import CaseProjection
from node_api.projections.consortium import MemberProjection
from node_api.projections.dispute_desk import DisputeProjection
from node_api.projections.judicial_auction import AuctionProjection
from node_api.projections.settlement_token import BalanceProjection

__all__ = [
    "AuctionProjection",
    "BalanceProjection",
    "CaseProjection",
    "DisputeProjection",
    "FractionsIssueProjection",
    "FractionsProjection",
    "MemberProjection",
    "Projection",
    "RowProjection",
    "default_projections",
]


def default_projections() -> tuple[Projection, ...]:
    """Every projection of the gateway, in the order they are applied to a chunk."""
    return (
        BalanceProjection(),
        MemberProjection(),
        CaseProjection(),
        AuctionProjection(),
        DisputeProjection(),
        FractionsIssueProjection(),
        FractionsProjection(),
    )
