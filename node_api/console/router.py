"""The console's pages: sign-in, home, evidence check (with its certificate), operations, audit.

Every page answers through the gateway's own rules: the session's API key is re-checked on each request
(``node_api.services.apikeys``), its scopes and the institution's on-chain roles (``node_api.deps.holds_role``)
decide which pages exist for it (see :data:`PAGES`), and the data comes from the same services the HTTP API
calls. A page the key may not see answers 403 with no data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from qrcode.exceptions import DataOverflowError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from chain import ChainError
from chain.config import PROJECT_ROOT
from chain.contracts.consortium import Role
from node_api.console._i18n import LANGS, Lang, negotiate, translator
from node_api.console._sessions import ConsoleSession, SessionStore, csrf_token, csrf_valid
from node_api.deps import Caller, holds_role
from node_api.institutions import Institution
from node_api.problems import (
    AuditNotFoundError,
    AuditReplayRunningError,
    ChainUnavailableError,
    ConsoleFormTokenError,
    CoreError,
    NotAuthenticatedError,
    NotReadyError,
)
from node_api.routes._writes import WriteRequest
from node_api.routes.audit import audit_runner
from node_api.services.apikeys import KnownKey, verify_api_key
from node_api.services.audit import AuditRunner
from node_api.services.confirm import to_public
from node_api.services.evidence.schemas import DIGEST_PATTERN, Verification
from node_api.services.evidence.service import MAX_DIGESTS_PER_CALL, verify_digests
from node_api.services.operations import list_operations
from node_api.settings import GatewaySettings
from node_api.state import GatewayState

__all__ = ["PAGES", "Console", "Page", "SignInRequired"]

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "rc_session"
BROWSER_COOKIE = "rc_csrf"
LANG_COOKIE = "rc_lang"
PREFIX = "/console"
#: the npm packages the pages load, served from ``node_modules`` as installed by ``npm ci`` (no build step)
VENDOR = {
    "htmx.min.js": PROJECT_ROOT / "node_modules" / "htmx.org" / "dist" / "htmx.min.js",
    "sse.min.js": PROJECT_ROOT / "node_modules" / "htmx-ext-sse" / "dist" / "sse.min.js",
}
_DIGEST = re.compile(DIGEST_PATTERN)
_EVIDENCE_ID = re.compile(r"^ev_[0-9a-f]{32}$")
_LOCAL_PATH = re.compile(r"^/console(/[A-Za-z0-9_./-]*)?(\?[A-Za-z0-9_=&%.:-]*)?$")
OPS_PAGE = 50
OP_STATUSES = ("pending", "sent", "succeeded", "failed")


@dataclass(frozen=True)
class Page:
    """A page of the console and who may see it: the key's ``scope`` (``None``: any key) and one of ``roles`` on
    chain (empty: any active member)."""

    name: str
    title: str
    scope: str | None
    roles: tuple[Role, ...] = ()


PAGES = (
    Page("evidence", "page_evidence", None),
    Page("operations", "page_operations", "operations:read"),
    Page("audit", "page_audit", "audit:read", (Role.AUDITOR, Role.REGULATOR)),
    Page("auctions", "page_auctions", "auctions:read"),
    Page("portfolio", "page_portfolio", "fractions:read", (Role.INVESTOR,)),
    Page("cases", "page_cases", "cases:read", (Role.COLLECTOR, Role.BANK)),
)
_BY_NAME = {p.name: p for p in PAGES}


class SignInRequired(Exception):  # noqa: N818 - a control-flow signal, answered with a redirect
    def __init__(self, reason: str = "expired") -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Viewer:
    """The signed-in institution as the chain and its key see it now."""

    session: ConsoleSession
    institution: Institution
    scopes: frozenset[str]
    roles: tuple[str, ...]
    pages: tuple[Page, ...]

    def may(self, page: Page) -> bool:
        return page in self.pages


def _allowed(page: Page, scopes: frozenset[str], roles: tuple[str, ...]) -> bool:
    if page.scope is not None and page.scope not in scopes and "*" not in scopes:
        return False
    return not page.roles or any(r.value in roles for r in page.roles)


def _qr_svg(text: str) -> Markup:
    """An SVG QR code of ``text`` (made here: no script, no external service)."""
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = img.to_string(encoding="unicode")
    # a drawing without width/height in mm scales with the page; it is labelled by the figure around it
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg class="qr" aria-hidden="true"', svg)
    return Markup(svg)  # noqa: S704 - generated by qrcode from our own receipt text, escaped by its XML writer


class Console:
    """The console of one gateway app: templates, sessions, and the pages' handlers."""

    def __init__(self, settings: GatewaySettings) -> None:
        c = settings.console
        self.store = SessionStore(
            idle_seconds=c.idle_minutes * 60, max_seconds=c.max_minutes * 60, capacity=c.max_sessions
        )
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["yuan"] = _yuan
        self.env.filters["utc"] = _utc
        self.router = self._routes()

    # --- plumbing ---

    @staticmethod
    def state(request: Request) -> GatewayState:
        state: GatewayState = request.app.state.gateway
        return state

    @staticmethod
    def lang(request: Request) -> Lang:
        return negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))

    @staticmethod
    def browser(request: Request) -> str:
        """This browser's random ``rc_csrf`` value (a new one is set by :meth:`render` when missing)."""
        value = request.cookies.get(BROWSER_COOKIE)
        if not value or len(value) > 100:
            value = getattr(request.state, "console_browser", None) or secrets.token_urlsafe(24)
            request.state.console_browser = value
        return value

    @staticmethod
    def secure(request: Request) -> bool:
        return request.url.scheme == "https"

    def _cookie(self, response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=self.secure(request),
        )

    def render(
        self, request: Request, template: str, *, status: int = 200, viewer: Viewer | None = None, **ctx: Any
    ) -> HTMLResponse:
        lang = self.lang(request)
        browser = self.browser(request)
        session_id = viewer.session.id if viewer is not None else None
        html = self.env.get_template(template).render(
            t=translator(lang),
            lang=lang,
            other_lang="zh" if lang == "en" else "en",
            csrf=csrf_token(self.store.secret, browser, session_id),
            viewer=viewer,
            pages=viewer.pages if viewer is not None else (),
            here=request.url.path,
            here_full=_local(str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")),
            **ctx,
        )
        response = HTMLResponse(html, status_code=status)
        if request.cookies.get(BROWSER_COOKIE) != browser:
            self._cookie(response, request, BROWSER_COOKIE, browser, None)
        return response

    async def submit_form(
        self,
        request: Request,
        viewer: Viewer,
        fields: Mapping[str, str],
        fn: Callable[..., Any],
        *,
        back: str,
        key_suffix: str = "",
        **kwargs: Any,
    ) -> Response:
        """A form's write through the gateway's one write path, keyed by the form's own key (a form sent twice
        is one operation): back to ``back`` with the operation's id, or the refusal's page saying why."""
        key = f"console:{viewer.institution.name}:{fields.get('form_key', '')[:64] or uuid.uuid4().hex}{key_suffix}"
        caller = Caller(institution=viewer.institution, key_id=viewer.session.key_id, scopes=viewer.scopes)
        try:
            answer = await WriteRequest(self.state(request), caller, key, True).submit(fn, **kwargs)
        except CoreError as exc:  # refused before any operation (the chain or the rules say no): say why
            return self.render(
                request,
                "error.html",
                status=exc.http_status,
                viewer=viewer,
                heading="refused",
                message=exc.detail,
                code=exc.code,
                back=back,
            )
        op = json.loads(bytes(answer.body))
        return RedirectResponse(f"{back}?op={op['id']}", status_code=303)

    def fragment(self, request: Request, template: str, **ctx: Any) -> str:
        """A piece of a page (no layout) in the viewer's language, e.g. for a live update."""
        return self.env.get_template(template).render(t=translator(self.lang(request)), **ctx)

    async def form(self, request: Request, session_id: str | None) -> dict[str, str]:
        """The POSTed form, after its CSRF token (bound to ``session_id``) is checked (``ConsoleFormTokenError``
        otherwise)."""
        async with request.form(max_files=0, max_fields=50) as data:
            fields = {k: v for k, v in data.items() if isinstance(v, str)}
        if not csrf_valid(self.store.secret, request.cookies.get(BROWSER_COOKIE), session_id, fields.get("csrf")):
            raise ConsoleFormTokenError("the form's token is missing or wrong: reload the page and send it again")
        return fields

    async def _key(self, state: GatewayState, token: str) -> KnownKey:
        if state.keys is not None:
            known = state.keys.verify(token)
            return known if known is not None else await run_in_threadpool(state.keys.load, token)

        def load() -> KnownKey:
            with Session(state.engine) as s:
                return KnownKey.of(
                    verify_api_key(session=s, token=token, pepper=state.settings.api_key_pepper.get_secret_value())
                )

        return await run_in_threadpool(load)

    async def viewer(self, request: Request) -> Viewer:
        """The signed-in viewer, re-checked now; ``SignInRequired`` when there is none or it lost its rights."""
        session = self.store.get(request.cookies.get(SESSION_COOKIE))
        if session is None:
            raise SignInRequired("expired" if request.cookies.get(SESSION_COOKIE) else "")
        state = self.state(request)
        try:
            key = await self._key(state, session.token)
        except NotAuthenticatedError as exc:
            self.store.close(session.id)
            raise SignInRequired("bad_key") from exc
        institution = state.institutions.get(key.institution)
        if institution is None:
            self.store.close(session.id)
            raise SignInRequired("not_hosted")
        if not await holds_role(state, institution, None):
            self.store.close(session.id)
            raise SignInRequired("not_member")
        roles = tuple([r.value for r in Role if await holds_role(state, institution, r)])
        pages = tuple(p for p in PAGES if _allowed(p, key.scopes, roles))
        return Viewer(session=session, institution=institution, scopes=key.scopes, roles=roles, pages=pages)

    async def page_viewer(self, request: Request, name: str) -> tuple[Viewer, HTMLResponse | None]:
        """The viewer, and the 403 page to answer instead when it may not see page ``name``."""
        viewer = await self.viewer(request)
        page = _BY_NAME[name]
        if viewer.may(page):
            return viewer, None
        denied = self.render(request, "denied.html", status=403, viewer=viewer, page=page)
        return viewer, denied

    # --- routes ---

    def _routes(self) -> APIRouter:  # noqa: C901 - one closure per page keeps the handlers beside their console
        router = APIRouter(prefix=PREFIX, include_in_schema=False)

        @router.get("")
        async def home(request: Request) -> Response:
            viewer = await self.viewer(request)
            return self.render(request, "home.html", viewer=viewer)

        @router.get("/vendor/{name}")
        async def vendor(name: str) -> Response:
            path = VENDOR.get(name)
            if path is None or not path.is_file():
                return Response(
                    f"/* {name} is not installed: run `npm ci` (make setup) */",
                    status_code=404,
                    media_type="text/javascript",
                )
            return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})

        @router.get("/login")
        async def login_page(request: Request, reason: str = "") -> Response:
            if self.store.get(request.cookies.get(SESSION_COOKIE)) is not None:
                return RedirectResponse(PREFIX, status_code=303)
            notice = reason if reason in ("expired", "signed_out", "bad_key", "not_hosted", "not_member") else ""
            return self.render(request, "login.html", notice=notice)

        @router.post("/login")
        async def login(request: Request) -> Response:
            fields = await self.form(request, None)
            token = fields.get("api_key", "").strip()
            state = self.state(request)
            error = ""
            try:
                key = await self._key(state, token) if token else None
                if key is None:
                    error = "bad_key"
                else:
                    institution = state.institutions.get(key.institution)
                    if institution is None:
                        error = "not_hosted"
                    elif not await holds_role(state, institution, None):
                        error = "not_member"
            except NotAuthenticatedError:
                error = "bad_key"
            except (ChainUnavailableError, ChainError):
                error = "chain_down"
            if error or key is None:
                return self.render(request, "login.html", status=401, error=error or "bad_key")
            self.store.close(request.cookies.get(SESSION_COOKIE))  # a new id at every sign-in
            session = self.store.open(token=token, institution=key.institution, key_id=key.id)
            logger.info("console.signed_in institution=%s key_id=%s", key.institution, key.id)
            response = RedirectResponse(PREFIX, status_code=303)
            self._cookie(response, request, SESSION_COOKIE, session.id, None)
            return response

        @router.post("/logout")
        async def logout(request: Request) -> Response:
            session = self.store.get(request.cookies.get(SESSION_COOKIE))
            await self.form(request, session.id if session is not None else None)
            self.store.close(request.cookies.get(SESSION_COOKIE))
            response = RedirectResponse(f"{PREFIX}/login?reason=signed_out", status_code=303)
            response.delete_cookie(SESSION_COOKIE, path=PREFIX, httponly=True, samesite="strict")
            return response

        @router.post("/lang")
        async def switch_lang(request: Request) -> Response:
            session = self.store.get(request.cookies.get(SESSION_COOKIE))
            fields = await self.form(request, session.id if session is not None else None)
            lang = fields.get("lang", "en")
            response = RedirectResponse(_local(fields.get("next")) or PREFIX, status_code=303)
            if lang in LANGS:
                self._cookie(response, request, LANG_COOKIE, lang, 365 * 24 * 3600)
            return response

        # --- evidence check ---

        @router.get("/evidence")
        async def evidence_page(request: Request) -> Response:
            viewer, denied = await self.page_viewer(request, "evidence")
            return denied or self.render(request, "evidence.html", viewer=viewer, form={})

        @router.post("/evidence")
        async def evidence_check(request: Request) -> Response:
            viewer, denied = await self.page_viewer(request, "evidence")
            if denied is not None:
                return denied
            fields = await self.form(request, viewer.session.id)
            names = [n.strip() for n in fields.get("names", "").split("\n")]
            digests = [d.strip().lower() for d in fields.get("digests", "").split() if d.strip()]
            evidence_id = fields.get("evidence_id", "").strip()[:40] or None
            case_ref = fields.get("case_ref", "").strip()[:200] or None
            form = {"digests": fields.get("digests", ""), "evidence_id": evidence_id or "", "case_ref": case_ref or ""}
            error = ""
            bad = [d for d in digests if not _DIGEST.match(d)]
            if not digests:
                error = "no_digests"
            elif bad:
                error = "bad_digests"
            elif len(digests) > MAX_DIGESTS_PER_CALL:
                error = "too_many"
            elif evidence_id is not None and not _EVIDENCE_ID.match(evidence_id):
                error = "bad_evidence_id"
            if error:
                return self.render(
                    request, "evidence.html", status=422, viewer=viewer, form=form, error=error, bad=bad[:3]
                )
            try:
                results = await self._verify(request, digests, evidence_id, case_ref)
            except CoreError as exc:
                return self.render(
                    request, "evidence.html", status=exc.http_status, viewer=viewer, form=form, problem=exc
                )
            rows = [
                (names[i] if i < len(names) else "", r, _cert_link(r, evidence_id, case_ref))
                for i, r in enumerate(results)
            ]
            return self.render(request, "evidence.html", viewer=viewer, form=form, rows=rows)

        @router.get("/evidence/certificate")
        async def certificate(
            request: Request, digest: str = "", evidence_id: str = "", case_ref: str = ""
        ) -> Response:
            viewer, denied = await self.page_viewer(request, "evidence")
            if denied is not None:
                return denied
            digest = digest.strip().lower()
            if not _DIGEST.match(digest) or (evidence_id and not _EVIDENCE_ID.match(evidence_id)):
                return self.render(request, "certificate.html", status=422, viewer=viewer, result=None)
            try:
                (result,) = await self._verify(request, [digest], evidence_id or None, case_ref[:200] or None)
            except CoreError as exc:
                return self.render(
                    request, "certificate.html", status=exc.http_status, viewer=viewer, result=None, problem=exc
                )
            if result.result != "verified":
                return self.render(request, "certificate.html", status=404, viewer=viewer, result=result)
            receipt = _receipt(result)
            text = json.dumps(receipt, separators=(",", ":"), sort_keys=True)
            try:
                qr = _qr_svg(text)
            except DataOverflowError:  # a very deep proof: the QR carries what identifies the anchor
                qr = _qr_svg(json.dumps({k: receipt[k] for k in _QR_CORE if k in receipt}, separators=(",", ":")))
            pretty = json.dumps(receipt, indent=2, sort_keys=True)
            return self.render(request, "certificate.html", viewer=viewer, result=result, receipt=pretty, qr=qr)

        # --- operations ---

        @router.get("/operations")
        async def operations_page(request: Request, status: str = "", page: int = 0) -> Response:
            viewer, denied = await self.page_viewer(request, "operations")
            if denied is not None:
                return denied
            status = status if status in OP_STATUSES else ""
            page = max(0, min(page, 100_000))
            state = self.state(request)

            def read() -> tuple[list[Any], int]:
                with Session(state.engine) as s:
                    rows, total = list_operations(
                        session=s,
                        institution=viewer.institution.name,
                        status=status or None,
                        limit=OPS_PAGE,
                        offset=page * OPS_PAGE,
                    )
                    return [to_public(r) for r in rows], total

            ops, total = await run_in_threadpool(read)
            return self.render(
                request,
                "operations.html",
                viewer=viewer,
                ops=ops,
                total=total,
                op_status=status,
                statuses=OP_STATUSES,
                page=page,
                more=(page + 1) * OPS_PAGE < total,
                query=lambda **kw: urlencode({k: v for k, v in kw.items() if v not in ("", None)}),
            )

        # --- audit ---

        @router.get("/audit")
        async def audit_page(request: Request, notice: str = "") -> Response:
            viewer, denied = await self.page_viewer(request, "audit")
            if denied is not None:
                return denied
            runner = audit_runner(self.state(request))
            running = not runner.wait(0)
            report: dict[str, Any] | None = None
            charts = Markup("")
            try:
                path = await run_in_threadpool(runner.latest_report, "json")
                report = json.loads(await run_in_threadpool(path.read_text, "utf-8"))
                charts = _charts(report)
            except AuditNotFoundError:
                report = None
            last = await run_in_threadpool(_last_replay, runner)
            return self.render(
                request,
                "audit.html",
                viewer=viewer,
                report=report,
                charts=charts,
                running=running,
                last=last,
                notice=notice if notice in ("replay_started", "replay_busy") else "",
            )

        @router.post("/audit/replays")
        async def audit_start(request: Request) -> Response:
            viewer, denied = await self.page_viewer(request, "audit")
            if denied is not None:
                return denied
            await self.form(request, viewer.session.id)
            runner = audit_runner(self.state(request))
            try:
                await run_in_threadpool(runner.start, requested_by=viewer.institution.name)
                notice = "replay_started"
            except AuditReplayRunningError:
                notice = "replay_busy"
            return RedirectResponse(f"{PREFIX}/audit?notice={notice}", status_code=303)

        from node_api.console._auctions import add_auction_routes
        from node_api.console._cases import add_case_routes
        from node_api.console._portfolio import add_portfolio_routes

        add_auction_routes(self, router)
        add_portfolio_routes(self, router)
        add_case_routes(self, router)
        return router

    async def _verify(
        self, request: Request, digests: list[str], evidence_id: str | None, case_ref: str | None
    ) -> list[Verification]:
        state = self.state(request)
        runtime = state.services.evidence
        if runtime is None:
            raise NotReadyError("evidence checks are not running on this gateway")

        def work() -> list[Verification]:
            with Session(state.engine) as session:
                return verify_digests(
                    session=session,
                    recourse=state.recourse,
                    cache=runtime.cache,
                    institutions=state.institutions,
                    digests=digests,
                    evidence_id=evidence_id,
                    case_ref=case_ref,
                )

        try:
            return await run_in_threadpool(work)
        except ChainError as exc:
            raise ChainUnavailableError(f"cannot read the evidence registry: {exc}") from exc


_QR_CORE = ("digest", "root", "tx_hash", "block_number", "chain_id", "contract_address", "evidence_id")


def _receipt(v: Verification) -> dict[str, Any]:
    """The verification as a self-contained receipt (what ``recourse verify-receipt`` checks against the chain)."""
    out: dict[str, Any] = {
        "format": "recourse-evidence-receipt/1",
        "digest": v.digest,
        "digest_algorithm": "sha256",
        "root": v.root,
        "proof": v.proof or [],
        "chain_id": v.chain_id,
        "contract_address": v.contract_address,
        "tx_hash": v.tx_hash,
        "block_number": v.block_number,
        "block_time": v.block_time,
    }
    if v.evidence_id:
        out["evidence_id"] = v.evidence_id
    if v.institution is not None:
        out["institution"] = v.institution.address
    return out


def _cert_link(v: Verification, evidence_id: str | None, case_ref: str | None) -> str | None:
    if v.result != "verified":
        return None
    params = {"digest": v.digest, "evidence_id": evidence_id or "", "case_ref": case_ref or ""}
    return f"{PREFIX}/evidence/certificate?" + urlencode({k: x for k, x in params.items() if x})


def _yuan(fen: int | None) -> str:
    """Integer fen shown as yuan with two decimals (exact: no float)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def _utc(ts: int | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _local(path: str | None) -> str | None:
    """``path`` if it is a page of this console (a redirect never leaves it)."""
    if path and _LOCAL_PATH.match(path) and "//" not in path and ".." not in path:
        return path
    return None


def _last_replay(runner: AuditRunner) -> dict[str, Any] | None:
    folder = runner.directory / "replays"
    if not folder.is_dir():
        return None
    records = []
    for path in folder.glob("*.json"):
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            continue
    return max(records, key=lambda r: r.get("started_at", ""), default=None)


def _charts(report: dict[str, Any]) -> Markup:
    """The report's charts as inline SVG (the auditor's own renderer, which escapes every label)."""
    from chain.replay.model import Series
    from chain.replay.render import render_charts

    series = [Series(s["name"], s["unit"], tuple((int(a), int(b)) for a, b in s["points"])) for s in report["series"]]
    return Markup(render_charts(series))  # noqa: S704 - the replay renderer escapes every text it writes
