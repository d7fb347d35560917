"""The console's case board (collectors and banks): open cases ranked for the collector with their matching
scores and a claim button, the institution's own cases, and a case's file after claiming (the debtor's
contact data, read through the PII vault and logged) with its contact log.

Reads go through ``node_api.services.cases``, ``case_matching`` and ``casework.contacts`` (as ``GET /cases…``,
``/casework/cases/matches``, ``/casework/cases/{id}/debtor`` and ``/contacts``); a claim is an operation
through the one write path (as ``POST /cases/{id}/claim``), the first valid claim winning on chain.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import TYPE_CHECKING, Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from chain.contracts.consortium import Role
from node_api.console._auctions import operation_outcome
from node_api.problems import CoreError, NotFoundError
from node_api.schemas.casework import Channel
from node_api.services import cases as svc
from node_api.services.case_matching import matches_for_collector
from node_api.services.casework.conduct import Breach, ContactRefusedError
from node_api.services.casework.contacts import list_contacts, log_contact, read_debtor

if TYPE_CHECKING:
    from node_api.console.router import Console, Viewer

__all__ = ["add_case_routes"]

_CASE_ID = re.compile(r"^0x[0-9a-fA-F]{64}$")
MATCHES_SHOWN = 50
#: the contact channels the casework API takes (``schemas.casework.Channel``)
CHANNELS = tuple(get_args(Channel))
MAX_NOTE = 20_000


def _has(viewer: Viewer, scope: str) -> bool:
    return scope in viewer.scopes or "*" in viewer.scopes


def _may_claim(viewer: Viewer) -> bool:
    return _has(viewer, "cases:write") and Role.COLLECTOR.value in viewer.roles


def add_case_routes(console: Console, router: APIRouter) -> None:  # noqa: C901 - the board's handlers together
    @router.get("/cases")
    async def board(request: Request, op: str = "") -> Response:
        viewer, denied = await console.page_viewer(request, "cases")
        if denied is not None:
            return denied
        state = console.state(request)
        outcome = await operation_outcome(state, viewer.institution.name, op)
        me = viewer.institution.address
        collector = Role.COLLECTOR.value in viewer.roles
        market = state.services.case_market
        matches: list[Any] = []
        match_note = ""
        if collector and market is not None:
            try:
                result = await run_in_threadpool(
                    lambda: matches_for_collector(market=market, address=me, now=int(time.time()), limit=MATCHES_SHOWN)
                )
                matches = list(result.matches)
            except NotFoundError as exc:
                match_note = exc.detail

        def mine() -> list[dict[str, Any]]:
            with Session(state.engine) as s:
                filters = svc.CaseFilter(collector=me if collector else None, limit=200)
                rows, _ = svc.list_cases(session=s, viewer=viewer.institution, filters=filters)
                return rows

        own = await run_in_threadpool(mine)
        return console.render(
            request,
            "cases.html",
            viewer=viewer,
            matches=matches,
            match_note=match_note,
            own=own,
            collector=collector,
            may_claim=_may_claim(viewer),
            form_key=uuid.uuid4().hex,
            outcome=outcome,
        )

    @router.post("/cases/{case_id}/claim")
    async def claim(request: Request, case_id: str) -> Response:
        viewer, denied = await console.page_viewer(request, "cases")
        if denied is not None:
            return denied
        fields = await console.form(request, viewer.session.id)
        if not _CASE_ID.match(case_id):
            return console.render(request, "error.html", status=404, viewer=viewer, message="not_found")
        if not _may_claim(viewer):
            return console.render(
                request, "error.html", status=403, viewer=viewer, message="case_claim_denied", code="AUTH-003"
            )
        return await console.submit_form(
            request,
            viewer,
            fields,
            svc.submit_claim,
            back="/console/cases",
            key_suffix=f":{case_id}",
            case_id=case_id.lower(),
        )

    async def render_case(
        request: Request, viewer: Viewer, case_id: str, *, status: int = 200, **extra: Any
    ) -> Response:
        if not _CASE_ID.match(case_id):
            return console.render(request, "error.html", status=404, viewer=viewer, message="not_found")
        state = console.state(request)
        casework = state.services.casework
        case_id = case_id.lower()

        def read() -> tuple[dict[str, Any], Any, list[Any], str]:
            with Session(state.engine) as s:
                case = svc.get_case(session=s, recourse=state.recourse, viewer=viewer.institution, case_id=case_id)
            mine = (case.get("collector") or "").lower() == viewer.institution.address.lower()
            debtor: Any = None
            contacts: list[Any] = []
            note = ""
            if casework is not None and _has(viewer, "cases:contacts"):
                raw = bytes.fromhex(case_id[2:])
                with Session(state.engine) as s:
                    if mine and Role.COLLECTOR.value in viewer.roles:
                        debtor = read_debtor(
                            session=s,
                            vault=casework.vault,
                            access=casework.access,
                            case_id=raw,
                            institution=viewer.institution,
                        )
                    if mine or Role.BANK.value in viewer.roles:
                        try:
                            contacts, _ = list_contacts(
                                session=s,
                                vault=casework.vault,
                                access=casework.access,
                                case_id=raw,
                                institution=viewer.institution,
                                regulator=False,
                            )
                        except CoreError as exc:  # not this bank's case: no log, say why
                            note = exc.detail
            return case, debtor, contacts, note

        try:
            case, debtor, contacts, note = await run_in_threadpool(read)
        except CoreError as exc:
            return console.render(
                request, "error.html", status=exc.http_status, viewer=viewer, message=exc.detail, code=exc.code
            )
        return console.render(
            request,
            "case_file.html",
            status=status,
            viewer=viewer,
            case=case,
            debtor=debtor,
            contacts=contacts,
            note=note,
            holder=debtor is not None,
            channels=CHANNELS,
            form_key=uuid.uuid4().hex,
            **extra,
        )

    @router.get("/cases/{case_id}")
    async def case_file(request: Request, case_id: str) -> Response:
        viewer, denied = await console.page_viewer(request, "cases")
        if denied is not None:
            return denied
        return await render_case(request, viewer, case_id)

    @router.post("/cases/{case_id}/contacts")
    async def contact(request: Request, case_id: str) -> Response:
        """``action=check``: the conduct rules' answer for this note now, nothing recorded; ``action=send``: log
        the contact (a refusal is recorded with every broken rule and shown)."""
        viewer, denied = await console.page_viewer(request, "cases")
        if denied is not None:
            return denied
        fields = await console.form(request, viewer.session.id)
        state = console.state(request)
        casework = state.services.casework
        if not _CASE_ID.match(case_id) or casework is None:
            return console.render(request, "error.html", status=404, viewer=viewer, message="not_found")
        if not (_has(viewer, "cases:contacts") and Role.COLLECTOR.value in viewer.roles):
            return console.render(
                request, "error.html", status=403, viewer=viewer, message="contact_denied", code="AUTH-002"
            )
        channel = fields.get("channel", "")
        note = fields.get("note", "")[:MAX_NOTE]
        draft = {"channel": channel, "note": note}
        if channel not in CHANNELS:
            return await render_case(request, viewer, case_id, status=422, draft=draft, contact_error="bad_channel")
        raw = bytes.fromhex(case_id[2:])
        if fields.get("action") == "check":

            def check() -> list[Breach]:
                with Session(state.engine) as s:
                    debtor = read_debtor(
                        session=s,
                        vault=casework.vault,
                        access=casework.access,
                        case_id=raw,
                        institution=viewer.institution,
                    )
                now = casework.clock.now()
                found = [b for b in [casework.rules.check_time(now, debtor.timezone)] if b is not None]
                return found + casework.rules.check_text(note)

            try:
                preview = await run_in_threadpool(check)
            except CoreError as exc:
                return await render_case(request, viewer, case_id, status=exc.http_status, draft=draft, problem=exc)
            return await render_case(request, viewer, case_id, draft=draft, preview=preview, checked=True)
        key = f"console:{viewer.institution.name}:{fields.get('form_key', '')[:64] or uuid.uuid4().hex}:contact"

        def send() -> Any:
            with Session(state.engine) as s:
                return log_contact(
                    session=s,
                    vault=casework.vault,
                    rules=casework.rules,
                    access=casework.access,
                    case_id=raw,
                    institution=viewer.institution,
                    channel=channel,
                    attempted_at=None,
                    note=note,
                    now=casework.clock.now(),
                    idempotency_key=key,
                )

        try:
            result = await run_in_threadpool(send)
        except ContactRefusedError as exc:
            return await render_case(request, viewer, case_id, status=422, draft=draft, refused=exc.breaches)
        except CoreError as exc:
            return await render_case(request, viewer, case_id, status=exc.http_status, draft=draft, problem=exc)
        return await render_case(request, viewer, case_id, logged=result.flags, sent=True)
