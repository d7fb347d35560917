"""Request-body guard: size limits for bodies parsed in memory, and the shape of JSON bodies.

A JSON or CSV body over its limit gets ``413 GEN-413`` before it is read into memory.

Pure ASGI middleware. JSON (``application/json``, ``application/*+json``) and CSV (``text/csv``) bodies
are parsed in memory, so each path has a byte limit: ``api.max_body_bytes`` by default, more where a
route takes a large document (a guarantee edge list). A declared ``Content-Length`` over the limit is
refused at once, without reading the body; a chunked body is counted as it arrives and refused at the
first byte over the limit. Other bodies (documents streamed to the content store, multipart uploads)
are left to their routes, which stream them and enforce their own limits (``EVD-413``, ``CIM-413``).

A JSON body (within its limit) is read here in full and checked before any route or parser sees it:
nested deeper than ``node_api.jsonbody.MAX_DEPTH`` or repeating a key in one object, it gets
``422 GEN-422`` naming where (``errors[].field``); otherwise it is handed on unchanged. Malformed JSON
is left to the route's own parser, which reports the position.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node_api.jsonbody import JsonShapeError, loads_strict
from node_api.problems import problem_response

__all__ = ["BodyLimitMiddleware", "is_json", "parsed_in_memory"]

_PARSED = ("application/json", "text/csv", "application/csv")


def _kind(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_json(content_type: str) -> bool:
    """Whether FastAPI (and our routes) parse a body of this media type as JSON."""
    kind = _kind(content_type)
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def parsed_in_memory(content_type: str) -> bool:
    """Whether a body of this media type is parsed in memory (and so limited by this middleware)."""
    return _kind(content_type) in _PARSED or is_json(content_type)


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
        content_type = (_header(scope, b"content-type") or "") if scope["type"] == "http" else ""
        if not parsed_in_memory(content_type):  # not HTTP, or a body its route streams itself
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.per_path.get(path.rstrip("/") or "/", self.default)
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            declared = f"a request body of {int(length):,} bytes is larger than the {limit:,}-byte limit of {path}"
            await _too_large(path, limit, declared)(scope, receive, send)
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

        if not is_json(content_type):
            await self.app(scope, limited, send)
            return
        chunks: list[bytes] = []
        while True:
            try:
                message = await limited()
            except HTTPException as exc:  # raised here, outside the app's handlers: answer it here
                await _too_large(path, limit, str(exc.detail))(scope, receive, send)
                return
            if message["type"] != "http.request":  # the client went away: let the app see it
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        # a large body (an edge list) is checked off the event loop, a small one (every write) on it
        if len(body) > 256 * 1024:
            refusal = await run_in_threadpool(_shape_refusal, body, path)
        else:
            refusal = _shape_refusal(body, path)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], then=receive), send)


def _too_large(path: str, limit: int, detail: str) -> Response:
    return problem_response(
        status=413,
        code="GEN-413",
        title="Request body too large",
        detail=detail,
        instance=path,
        extra={"max_body_bytes": limit},
    )


def _shape_refusal(body: bytes, path: str) -> Response | None:
    try:
        loads_strict(body)
    except JsonShapeError as exc:
        return problem_response(
            status=422,
            code="GEN-422",
            title="Invalid request",
            detail=f"{exc.field}: {exc}",
            instance=path,
            extra={"errors": [{"field": exc.field, "message": str(exc), "type": "json_shape"}]},
        )
    except (ValueError, RecursionError):  # malformed JSON, not UTF-8: the route's parser says where
        return None
    return None


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """A ``receive`` that returns ``messages`` first, then defers to ``then`` (a disconnect, later)."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is None:
            return {"type": "http.disconnect"}
        return await then()

    return receive
