"""How a caller presents an API key: ``Authorization: Bearer rk_…`` or ``X-API-Key: rk_…``.

Both headers are read through FastAPI's security classes so that the OpenAPI document declares them as
security schemes (HTTP bearer and an API-key header, either one suffices) on every operation that needs
a key, and Swagger UI offers its Authorize button. Neither scheme refuses a request by itself
(``auto_error=False``): ``node_api.deps.authorize`` decides, and answers with a problem+json 401.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

__all__ = ["API_KEY_HEADER", "BEARER", "api_key_header", "authorization_header"]

BEARER = HTTPBearer(
    scheme_name="bearerAuth",
    bearerFormat="rk_<id>.<secret>",
    description="an API key as `Authorization: Bearer rk_<id>.<secret>` (`recourse apikeys create`)",
    auto_error=False,
)
API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key",
    scheme_name="apiKeyHeader",
    description="the same API key as `X-API-Key: rk_<id>.<secret>`",
    auto_error=False,
)


async def authorization_header(
    request: Request, _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
) -> str | None:
    """The raw ``Authorization`` header (declared in the document by the bearer scheme)."""
    return request.headers.get("authorization")


async def api_key_header(key: Annotated[str | None, Depends(API_KEY_HEADER)]) -> str | None:
    """The ``X-API-Key`` header (declared in the document by the API-key scheme)."""
    return key
