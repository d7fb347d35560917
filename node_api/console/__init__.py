"""The web console each gateway serves at ``/console`` for the people behind its member institutions.

Server-rendered pages (Jinja2, autoescaped) with a small script of our own and htmx (+ its SSE extension)
served from the gateway's ``node_modules`` (npm, no build step): nothing is loaded from outside the gateway.
Sign-in exchanges an API key for a server-side session (``_sessions``); every page re-checks the key's scopes
and the institution's on-chain roles (``router.PAGES``). Every form carries a CSRF token, every response under
``/console`` a strict Content-Security-Policy (no inline script or style, no other origin).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node_api.console.router import HERE, PREFIX, Console, SignInRequired
from node_api.problems import ConsoleFormTokenError, problem_response
from node_api.settings import GatewaySettings

__all__ = ["CSP", "Console", "install_console"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class ConsoleHeaders:
    """Security headers on every response under ``/console`` (pages, redirects, errors, static files); pages
    are never cached (they show one institution's data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        static = path.startswith((PREFIX + "/static/", PREFIX + "/vendor/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in {k for k, _ in _HEADERS}]
                headers.extend(_HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_console(app: FastAPI, settings: GatewaySettings) -> Console | None:
    """Mount the console on ``app`` (unless ``console.enabled`` is false)."""
    if not settings.console.enabled:
        return None
    console = Console(settings)
    app.state.console = console
    app.mount(PREFIX + "/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.include_router(console.router)
    app.add_middleware(ConsoleHeaders)

    async def sign_in(_request: Request, exc: Exception) -> Response:
        reason = exc.reason if isinstance(exc, SignInRequired) else ""
        return RedirectResponse(PREFIX + "/login" + (f"?reason={reason}" if reason else ""), status_code=303)

    async def bad_form(request: Request, exc: Exception) -> Response:
        detail: Any = exc
        accept = request.headers.get("accept", "")
        if "json" in accept and "text/html" not in accept:  # a script, not a browser: RFC 9457 like the API
            return problem_response(
                status=detail.http_status,
                code=detail.code,
                title=detail.title,
                detail=detail.detail,
                instance=request.url.path,
            )
        return console.render(request, "error.html", status=403, message="csrf", code=detail.code)

    app.add_exception_handler(SignInRequired, sign_in)
    app.add_exception_handler(ConsoleFormTokenError, bad_form)
    return console
