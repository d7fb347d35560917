"""The console's portfolio (investors): the asset fractions the institution holds or subscribed, their NAV per
share, the recoveries it may claim (with a claim button), and the open offers on each asset.

Reads come from the gateway's index through ``node_api.services.fractions`` (as ``GET /fractions/assets…``);
a claim is an operation through the one write path (``routes._writes.WriteRequest``, as
``POST /fractions/assets/{asset}/recovery-claims``) with the form's own idempotency key.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from node_api.console._auctions import chain_time, operation_outcome
from node_api.schemas.fractions import AccountPublic, AssetPublic, OfferPublic
from node_api.services import fractions as svc

if TYPE_CHECKING:
    from node_api.console.router import Console, Viewer

__all__ = ["Holding", "add_portfolio_routes"]

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
#: a valuation older than this is shown as stale (the API's default ``max_age``)
VALUATION_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class Holding:
    asset: AssetPublic
    account: AccountPublic
    offers: list[OfferPublic]

    @property
    def value_fen(self) -> int | None:
        """The holding at NAV (shares × NAV per share), when the asset has a NAV."""
        nav = self.asset.nav_per_share_fen
        return None if nav is None else nav * self.account.balance


def _may_claim(viewer: Viewer) -> bool:
    return "fractions:write" in viewer.scopes or "*" in viewer.scopes


def add_portfolio_routes(console: Console, router: APIRouter) -> None:
    @router.get("/portfolio")
    async def portfolio(request: Request, op: str = "") -> Response:
        viewer, denied = await console.page_viewer(request, "portfolio")
        if denied is not None:
            return denied
        state = console.state(request)
        outcome = await operation_outcome(state, viewer.institution.name, op)
        now = await chain_time(state)
        me = viewer.institution.address

        def read() -> list[Holding]:
            out: list[Holding] = []
            with Session(state.engine) as s:
                assets = svc.list_assets(
                    session=s, recourse=state.recourse, issuer=None, issued_in=None, limit=200, cursor=None
                ).data
                for summary in assets:
                    account = svc.get_account(session=s, address=summary.address, account=me)
                    if not (account.balance or account.subscription or account.claimable_fen or account.claimed_fen):
                        continue
                    asset = svc.get_asset(
                        session=s,
                        recourse=state.recourse,
                        address=summary.address,
                        chain_time=now,
                        max_age=VALUATION_MAX_AGE,
                    )
                    offers = svc.list_offers(session=s, address=summary.address, open_only=True).data
                    out.append(Holding(asset=asset, account=account, offers=offers))
            return out

        holdings = await run_in_threadpool(read)
        return console.render(
            request,
            "portfolio.html",
            viewer=viewer,
            holdings=holdings,
            may_claim=_may_claim(viewer),
            form_key=uuid.uuid4().hex,
            outcome=outcome,
        )

    @router.post("/portfolio/{asset}/claim")
    async def claim(request: Request, asset: str) -> Response:
        viewer, denied = await console.page_viewer(request, "portfolio")
        if denied is not None:
            return denied
        fields = await console.form(request, viewer.session.id)
        if not _ADDRESS.match(asset):
            return console.render(request, "error.html", status=404, viewer=viewer, message="not_found")
        if not _may_claim(viewer):
            return console.render(
                request, "error.html", status=403, viewer=viewer, message="claim_denied", code="AUTH-002"
            )
        return await console.submit_form(
            request, viewer, fields, svc.submit_claim, back="/console/portfolio", key_suffix=f":{asset}", asset=asset
        )
