"""The gateway's OpenAPI document, kept true to what the API answers, and its docs pages served offline.

:func:`install_openapi` (called by ``create_app`` once every router is included) does three things:

* **Error responses, derived per operation** from what the operation depends on, never written by hand:
  every refusal is an RFC 9457 ``application/problem+json`` body (:class:`Problem`, see
  ``node_api.problems``), documented for the statuses the operation can really produce:

  ====  ==========================================================================================
  400   a keyed operation (two different API keys, ``AUTH-004``); a write (``OPS-400``, no
        ``Idempotency-Key``)
  401   a keyed operation (``AUTH-001``, with ``WWW-Authenticate``)
  403   a keyed operation (``AUTH-002`` scope, ``AUTH-003`` on-chain role)
  404   a path naming a resource (``GEN-404`` and the domain's own codes)
  409   a write (``OPS-409``, same key with another body)
  413   a request body (``GEN-413`` over the body limit)
  422   any parameter or body (``GEN-422`` with an ``errors`` list naming each field)
  503   a keyed operation (``CHN-503``: the on-chain role check cannot reach the chain)
  ====  ==========================================================================================

  A route adds the statuses of its own domain with ``responses={409: problem("CAS-409 …")}``.
  FastAPI's default ``422`` (``HTTPValidationError``, a JSON ``detail`` list the API never sends) is
  thereby never generated.
* **The document itself**: the ``Problem`` schema in the components; ``Idempotency-Key`` marked
  required (the header is read by a dependency that answers ``400 OPS-400`` itself when it is absent,
  so FastAPI's own validation, which would answer 422, never sees it required); an example on every
  request body and response (the model's own ``examples`` first, else one built from the schema); and
  integer bounds printed as integers. FastAPI's document model holds ``minimum``/``maximum`` as floats
  (``2**256`` would print as ``1.157920892373162e+77``); bounds are converted back to integers, which is
  exact because every bound above 2**53 in the API is written as an exclusive power of two
  (``lt=2**256``, not ``le=2**256 - 1``).
* **Swagger UI at /docs and ReDoc at /redoc without the internet**: their assets come from the pinned
  ``fastapi-offline`` wheel (a Python dependency, so the gateway carries them wherever it is installed)
  and are served under ``/docs/assets``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from node_api.security import API_KEY_HEADER, BEARER

__all__ = [
    "DOCS_ASSETS",
    "IDEMPOTENCY_HEADER",
    "PROBLEM_MEDIA_TYPE",
    "FieldError",
    "Problem",
    "example_of",
    "install_openapi",
    "problem",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: where the Swagger UI / ReDoc assets are served
DOCS_ASSETS = "/docs/assets"
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_PROBLEM_TYPE = "https://recourse.example/problems/"


class FieldError(BaseModel):
    """One refused field: where (``body.amount_fen``, ``query.limit``, ``header.Idempotency-Key``) and why."""

    model_config = ConfigDict(extra="allow")

    field: str = Field(description="location and name, dotted: body.amount_fen, query.limit, …")
    message: str
    type: str | None = Field(default=None, description="the validator's error type, e.g. int_type, extra_forbidden")
    line: int | None = Field(default=None, description="line of an uploaded file (case imports)")


class Problem(BaseModel):
    """An RFC 9457 problem: every refusal and error of the API (media type ``application/problem+json``).

    Extension members carry what the client can act on (``required_scope``, ``max_body_bytes``,
    ``violations``, ``checks``, …); ``errors`` lists every refused field of a validation error."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": _PROBLEM_TYPE + "GEN-422",
                    "title": "Invalid request",
                    "status": 422,
                    "detail": "body.amount_fen: Input should be a valid integer",
                    "instance": "/tokens/transfers",
                    "code": "GEN-422",
                    "errors": [
                        {"field": "body.amount_fen", "message": "Input should be a valid integer", "type": "int_type"}
                    ],
                }
            ]
        },
    )

    type: str = Field(description="URI naming the problem type (ends with the code)")
    title: str = Field(description="short summary of the problem type")
    status: int = Field(ge=100, le=599, description="the HTTP status code")
    detail: str = Field(description="what went wrong with this request")
    instance: str = Field(description="the request path")
    code: str = Field(description="stable code to branch on: AUTH-001, OPS-409, GEN-422, CAS-409, …")
    errors: list[FieldError] | None = Field(default=None, description="every refused field (422 only)")


#: what each derived status means, with the code of its example
_DERIVED: dict[int, tuple[str, str, str]] = {
    400: ("Bad request", "OPS-400", "writes need an 'Idempotency-Key' header (build it from business data)"),
    401: ("Not authenticated", "AUTH-001", "send an API key as 'Authorization: Bearer rk_…' or 'X-API-Key: rk_…'"),
    403: ("API key scope does not allow this", "AUTH-002", "this API key lacks the scope 'tokens:write'"),
    404: ("Not found", "GEN-404", "no such resource (or it belongs to another institution)"),
    409: ("Idempotency key reused with a different request", "OPS-409", "Idempotency-Key reused with another body"),
    413: ("Request body too large", "GEN-413", "a request body of 5,000,000 bytes is over the 4,194,304-byte limit"),
    422: ("Invalid request", "GEN-422", "body.amount_fen: Input should be a valid integer"),
    503: ("Chain unavailable", "CHN-503", "cannot check on-chain roles: connection refused"),
}


def problem(status: int, code: str, title: str, description: str) -> dict[str, Any]:
    """An OpenAPI response object for a route's own problem+json refusal, with the Problem schema and an
    example: ``responses={409: problem(409, "CAS-409", "Case already claimed", "another collector was first")}``."""
    example = _problem_example(status, code, description, title=title)
    content = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF, "example": example}}
    return {"description": f"`{code}`: {description}", "content": content}


def _problem_example(status: int, code: str, detail: str, *, title: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": _PROBLEM_TYPE + code,
        "title": title or _DERIVED.get(status, ("Request refused", "", ""))[0],
        "status": status,
        "detail": detail,
        "instance": "/…",
        "code": code,
    }
    if status == 422 and code == "GEN-422":
        field, _, message = detail.partition(": ")
        body["errors"] = [{"field": field, "message": message, "type": "int_type"}]
    return body


# --- what an operation depends on ---


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _has_params(dependant: Dependant) -> bool:
    if dependant.path_params or dependant.query_params or dependant.header_params or dependant.cookie_params:
        return True
    return any(_has_params(sub) for sub in dependant.dependencies)


def _header_names(dependant: Dependant) -> Iterator[str]:
    for f in dependant.header_params:
        yield f.alias
    for sub in dependant.dependencies:
        yield from _header_names(sub)


def _derived_responses(route: Any) -> dict[int, dict[str, Any]]:
    calls = list(_calls(route.dependant))
    keyed = any(c is BEARER or c is API_KEY_HEADER for c in calls)
    write = any(name.lower() == IDEMPOTENCY_HEADER.lower() for name in _header_names(route.dependant))
    body = route.body_field is not None or "requestBody" in (route.openapi_extra or {})
    path = bool(route.dependant.path_params) or "{" in route.path_format
    out: dict[int, dict[str, Any]] = {}
    reasons_400 = []
    if write:
        reasons_400.append("`OPS-400`: the `Idempotency-Key` header is missing, blank or over 200 characters")
    if keyed:
        reasons_400.append("`AUTH-004`: `Authorization` and `X-API-Key` carry different API keys")
    if reasons_400:
        out[400] = _derived(400, "; ".join(reasons_400))
        if not write:
            out[400]["content"][PROBLEM_MEDIA_TYPE]["example"] = _problem_example(
                400, "AUTH-004", "the Authorization and X-API-Key headers carry different API keys"
            )
    if keyed:
        out[401] = _derived(401, "`AUTH-001`: no API key, or an unknown, revoked or malformed one")
        out[401]["headers"] = {
            "WWW-Authenticate": {"description": "the authentication scheme (ApiKey)", "schema": {"type": "string"}}
        }
        out[403] = _derived(
            403, "`AUTH-002`: the key's scopes do not allow this; `AUTH-003`: the institution lacks the on-chain role"
        )
    if path:
        out[404] = _derived(404, "`GEN-404` or the domain's own code: nothing with this id (or not the caller's)")
    if write:
        out[409] = _derived(409, "`OPS-409`: the `Idempotency-Key` was used before with another request")
    if body:
        out[413] = _derived(413, "`GEN-413`: the body is larger than the gateway's limit (refused unread)")
    if body or _has_params(route.dependant):
        out[422] = _derived(422, "`GEN-422`: a parameter or body field is invalid; `errors` names every one")
    if any(getattr(c, "__qualname__", "").startswith("authorize.") for c in calls):  # deps.authorize's check
        out[503] = _derived(503, "`CHN-503`: the chain node cannot be reached to check the on-chain role")
    return out


def _derived(status: int, description: str = "", *, code: str | None = None) -> dict[str, Any]:
    _, default_code, detail = _DERIVED[status]
    example = _problem_example(status, code or default_code, detail)
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF, "example": example}}}


def _document_errors(app: FastAPI) -> None:
    """Add the derived problem responses to every operation. FastAPI keeps, per router inclusion, an
    effective copy of each route (its ``responses`` merged with the router's): both are updated."""
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        responses = _with_problems(context, dict(context.responses))
        for target in {
            id(context.responses): context.responses,
            id(context.original_route.responses): context.original_route.responses,
        }.values():
            target.clear()
            target.update(responses)


def _with_problems(route: Any, responses: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    derived = _derived_responses(route)
    for status, response in derived.items():
        declared = responses.get(status) or responses.get(str(status))
        if declared is None:
            responses[status] = response
        else:  # the route named its domain codes: keep its words after the derived ones
            words = declared.get("description")
            description = f"{response['description']}; {words}" if words else response["description"]
            responses[status] = {**response, **declared, "description": description}
    for code, declared in list(responses.items()):  # every refusal is a problem+json with the Problem schema
        if int(code) >= 400:
            status = int(code)
            base = derived.get(status) or (_derived(status) if status in _DERIVED else {"content": {}})
            media = {
                **base["content"].get(PROBLEM_MEDIA_TYPE, {}),
                **(declared.get("content", {}).get(PROBLEM_MEDIA_TYPE) or {}),
            }
            media.setdefault("schema", _PROBLEM_REF)
            responses[code] = {**declared, "content": {PROBLEM_MEDIA_TYPE: media}}
    return responses


# --- examples ---

#: examples for the string patterns the API uses (a generated example must match its own schema)
_ADDRESS_EXAMPLE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
_HEX32_EXAMPLE = "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
_PATTERN_EXAMPLES = {
    r"^0x[0-9a-fA-F]{40}$": _ADDRESS_EXAMPLE,
    r"^0x[0-9a-fA-F]{64}$": _HEX32_EXAMPLE,
    r"^ev_[0-9a-f]{32}$": "ev_5d41402abc4b2a76b9719d911017c592",
    r"^[0-9a-f\-]{36}$": "3f2b8c1e-6d4a-4b7e-9a0c-2e5f7d9b1a34",
    r"^\d{12}/\d{6}/\d{6}$": "000000001234/000002/000001",
    r"^(pending|sent|succeeded|failed)$": "succeeded",
    r"^(0x[0-9a-fA-F]{64}|[A-Za-z0-9:._\-/]{1,200})$": "valuation:ames",
}
_FORMAT_EXAMPLES = {
    "date-time": "2026-12-07T09:30:00Z",
    "date": "2026-12-07",
    "uri": "https://collector.example/hooks/recourse",
    "binary": "<bytes>",
}


#: examples for strings by the name of the property holding them (ids, addresses and digests are named
#: alike across the API)
_NAMED_EXAMPLES: tuple[tuple[str, str], ...] = (
    (r"(^|_)(address|sender|collector|bank|signer|submitter|reader_address)$", _ADDRESS_EXAMPLE),
    (r"(hash|root|digest|commitment|case_id|feed_id|subject_id|model_version)$", _HEX32_EXAMPLE),
    (r"^(id|batch_id|operation_id|analysis_id)$", "3f2b8c1e-6d4a-4b7e-9a0c-2e5f7d9b1a34"),
    (r"^(institution|reader|name)$", "bank"),
    (r"^kind$", "token.transfer"),
    (r"^idempotency_key$", "transfer-invoice-2026-4711"),
)


def example_of(schema: Any, components: dict[str, Any], *, depth: int = 0, name: str = "") -> Any:
    """An example value for ``schema``: its own ``examples``/``example``, ``const``, ``enum`` or ``default``,
    else one built from its type and constraints (the shared patterns above for patterned strings)."""
    if not isinstance(schema, dict) or depth > 12:
        return None
    if "$ref" in schema:
        return example_of(components.get(schema["$ref"].rsplit("/", 1)[-1], {}), components, depth=depth + 1)
    for key in ("examples", "example"):
        if key in schema:
            value = schema[key]
            return copy.deepcopy(value[0] if key == "examples" and isinstance(value, list) and value else value)
    for key in ("const", "default"):
        if key in schema and schema[key] is not None:
            return copy.deepcopy(schema[key])
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [b for b in schema[key] if b.get("type") != "null"] or schema[key]
            return example_of(branches[0], components, depth=depth + 1, name=name)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for branch in schema["allOf"]:
            value = example_of(branch, components, depth=depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        out = {key: example_of(sub, components, depth=depth + 1, name=key) for key, sub in props.items()}
        if not props and isinstance(schema.get("additionalProperties"), dict):
            out = {"key": example_of(schema["additionalProperties"], components, depth=depth + 1)}
        return out
    if kind == "array":
        if "prefixItems" in schema:
            return [example_of(s, components, depth=depth + 1) for s in schema["prefixItems"]]
        item = example_of(schema.get("items", {}), components, depth=depth + 1, name=name.removesuffix("s"))
        return [item] * max(1, int(schema.get("minItems", 1)))
    if kind == "string":
        if schema.get("pattern") in _PATTERN_EXAMPLES:
            return _PATTERN_EXAMPLES[schema["pattern"]]
        if "pattern" not in schema and "format" not in schema:
            for rule, value in _NAMED_EXAMPLES:
                if re.search(rule, name) and len(value) <= schema.get("maxLength", len(value)):
                    return value
        if schema.get("format") in _FORMAT_EXAMPLES:
            return _FORMAT_EXAMPLES[schema["format"]]
        text = re.sub(r"[^a-z0-9]+", "-", str(schema.get("title", "text")).lower()).strip("-") or "text"
        return text.ljust(int(schema.get("minLength", 0)), "x")
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in schema else 0))
        high = schema.get("maximum", schema.get("exclusiveMaximum", low + 2) - 1)
        value = max(low, min(high, 1))
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    return None


def _add_examples(doc: dict[str, Any]) -> None:
    components = doc.get("components", {}).get("schemas", {})
    for operation in _operations(doc):
        media: list[dict[str, Any]] = list(operation.get("requestBody", {}).get("content", {}).values())
        for response in operation.get("responses", {}).values():
            media.extend(response.get("content", {}).values())
        for m in media:
            if "example" in m or "examples" in m:
                continue
            value = example_of(m.get("schema", {}), components)
            if value is not None:
                m["example"] = value
        for parameter in operation.get("parameters", []):
            if "example" not in parameter and "examples" not in parameter:
                value = example_of(parameter.get("schema", {}), components)
                if value is not None:
                    parameter["example"] = value


def _operations(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in doc.get("paths", {}).values():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
                yield operation


# --- integer bounds ---

_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _integer_bounds(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _BOUNDS and isinstance(value, float) and value.is_integer():
                node[key] = int(value)
            else:
                _integer_bounds(value)
    elif isinstance(node, list):
        for item in node:
            _integer_bounds(item)


def _inexact_bounds(app: FastAPI) -> list[str]:
    """Integer bounds the document would print wrongly: above 2**53 and not a power of two (FastAPI's
    document model passes bounds through floats, where ``2**63 - 1`` becomes ``2**63``)."""
    found: list[str] = []
    seen: set[type[BaseModel]] = set()

    def check(where: str, metadata: list[Any]) -> None:
        for constraint in metadata:
            for attr in ("gt", "ge", "lt", "le"):
                value = getattr(constraint, attr, None)
                if isinstance(value, int) and abs(value) > 2**53 and abs(value) & (abs(value) - 1):
                    found.append(f"{where}: {attr}={value} (write it as an exclusive power of two)")

    def model(cls: Any) -> None:
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls not in seen:
            seen.add(cls)
            for name, info in cls.model_fields.items():
                check(f"{cls.__name__}.{name}", info.metadata)
                annotation(info.annotation)

    def annotation(tp: Any) -> None:
        model(tp)
        for arg in get_args(tp):
            annotation(arg)

    def params(dependant: Dependant, label: str) -> None:
        for f in [*dependant.path_params, *dependant.query_params, *dependant.header_params, *dependant.body_params]:
            check(f"{label} {f.name}", f.field_info.metadata)
            annotation(f.field_info.annotation)
        for sub in dependant.dependencies:
            params(sub, label)

    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            params(context.dependant, context.path_format or "")
            annotation(context.response_model)
    return found


def _require_idempotency_key(doc: dict[str, Any]) -> None:
    """The header is required (its dependency answers 400 ``OPS-400`` without it) and, as a header, a string."""
    for operation in _operations(doc):
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "header" and parameter.get("name", "").lower() == IDEMPOTENCY_HEADER.lower():
                parameter["required"] = True
                schema = {k: v for k, v in parameter.get("schema", {}).items() if k != "anyOf"}
                parameter["schema"] = {**schema, "type": "string"}
                parameter["example"] = "transfer-invoice-2026-4711"


def _problem_components(doc: dict[str, Any]) -> None:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["Problem"] = problem_schema
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def build_document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app`` (its routes already carry their derived error responses)."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    _integer_bounds(doc)
    _problem_components(doc)
    _require_idempotency_key(doc)
    _add_examples(doc)
    return doc


# --- docs pages ---


def _mount_docs(app: FastAPI) -> None:
    assets = resources.files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            # validatorUrl: Swagger UI would otherwise fetch a badge from an online validator
            swagger_ui_parameters={"persistAuthorization": True, "validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )


def install_openapi(app: FastAPI) -> None:
    """Derive every operation's error responses, generate the document as described above (once, on first
    request), and serve /docs and /redoc from local assets. Call after every router is included; the app
    must be built with ``docs_url=None, redoc_url=None``."""
    inexact = _inexact_bounds(app)
    if inexact:
        raise ValueError("bounds the OpenAPI document cannot print exactly: " + "; ".join(inexact))
    _document_errors(app)
    _mount_docs(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    setattr(app, "openapi", openapi)  # noqa: B010 - FastAPI's documented way to customise the document
