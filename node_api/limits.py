"""Request-body limit: a JSON or CSV body over its limit gets ``413 GEN-413`` before it is read into memory.

Pure ASGI middleware. JSON (``application/json``, ``application/*+json``) and CSV (``text/csv``) bodies
are parsed in memory, so each path has a byte limit: ``api.max_body_bytes`` by default, more where a
route takes a large document (a guarantee edge list). A declared ``Content-Length`` over the limit is
refused at once, without reading the body; a chunked body is counted as it arrives and refused at the
first byte over the limit. Other bodies (documents streamed to the content store, multipart uploads)
are left to their routes, which stream them and enforce their own limits (``EVD-413``, ``CIM-413``).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node_api.problems import problem_response

__all__ = ["BodyLimitMiddleware", "parsed_in_memory"]

_PARSED = ("application/json", "text/csv", "application/csv")


def parsed_in_memory(content_type: str) -> bool:
    """Whether a body of this media type is parsed in memory (and so limited by this middleware)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind in _PARSED or (kind.startswith("application/") and kind.endswith("+json"))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, default: int, per_path: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.per_path = dict(per_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not parsed_in_memory(_header(scope, b"content-type") or ""):
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.per_path.get(path.rstrip("/") or "/", self.default)
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            response = problem_response(
                status=413,
                code="GEN-413",
                title="Request body too large",
                detail=f"a request body of {int(length):,} bytes is larger than the {limit:,}-byte limit of {path}",
                instance=path,
                extra={"max_body_bytes": limit},
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(
                        413, f"the request body passed the {limit:,}-byte limit of {path} (chunked, not read further)"
                    )
            return message

        await self.app(scope, limited, send)
