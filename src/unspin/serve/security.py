"""The API key as a FastAPI security dependency (shown in the OpenAPI docs).

When `Settings.api_key` is set, /api/v1/* and /v2/check need it as `Authorization: Bearer KEY`, `X-API-Key: KEY`,
or (LanguageTool clients) the `apiKey` parameter. The comparison is constant-time (`hmac.compare_digest`)
whatever the length of what was sent. /health, /v2/languages and the page stay public.
"""
from __future__ import annotations

import hmac

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .common import settings_of
from .limits import is_lt_path

header_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="the server's API key")
bearer_key = HTTPBearer(auto_error=False, description="the server's API key as a bearer token")


def key_matches(given: str | None, key: str) -> bool:
    """Constant-time comparison of what the client sent with the server's key."""
    return bool(given) and hmac.compare_digest(given.encode(), key.encode())


def denied(request: Request) -> HTTPException:
    return HTTPException(
        401,
        "missing or wrong API key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
        + (" (or the apiKey parameter)" if is_lt_path(request.url.path) else ""),
        headers={"WWW-Authenticate": "Bearer"},
    )


def _sent_key(header: str | None, bearer: HTTPAuthorizationCredentials | None) -> str | None:
    return header or (bearer.credentials.strip() if bearer else None)


def require_api_key(
    request: Request,
    header: str | None = Security(header_key),
    bearer: HTTPAuthorizationCredentials | None = Security(bearer_key),
) -> None:
    """Dependency of the native API: 401 unless the key (when the server has one) was sent."""
    key = settings_of(request).api_key
    if key and not key_matches(_sent_key(header, bearer), key):
        raise denied(request)


def lt_key_checker(params_dependency):
    """Dependency factory for LanguageTool routes, whose clients may send the key as the `apiKey` parameter
    (query, form or JSON body): parses the parameters with `params_dependency`, checks the key, returns them."""

    def require_lt_key(
        request: Request,
        params: dict = Depends(params_dependency),
        header: str | None = Security(header_key),
        bearer: HTTPAuthorizationCredentials | None = Security(bearer_key),
    ) -> dict:
        key = settings_of(request).api_key
        if key and not key_matches(_sent_key(header, bearer) or params.get("apiKey"), key):
            raise denied(request)
        return params

    return require_lt_key
