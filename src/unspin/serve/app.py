"""The `unspin serve` web application: native JSON API, LanguageTool-compatible /v2, and the web page.

`create_app` wires three routers (routes_native, routes_lt, routes_page) around an engine (default
`unspin.check` / `unspin.restore`; tests inject fakes), with the settings, engine and limiter on `app.state`
(read by the routes through dependencies, see common.py) and the API key as a security dependency
(security.py). The app never logs submitted text: its access log records method, path (without the query
string, which may carry text), status and time only.
"""
from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from typing import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..types import Report, Restored
from . import routes_lt, routes_native, routes_page
from .common import Engine, Settings, error_response, log
from .limits import BodyLimitMiddleware, CheckRunner

__all__ = ["create_app", "Settings"]


def _default_engine(check_fn: Callable[..., Report] | None, restore_fn: Callable[..., Restored] | None) -> Engine:
    """`unspin.check`/`unspin.restore` by default; a custom check without a restore restores from its reports."""
    if check_fn is None:
        import unspin

        from ..api import restore as default_restore

        return Engine(unspin.check, restore_fn or default_restore)
    if restore_fn is None:
        from ..edits import restore_report

        def restore_fn(text: str, min_confidence: float = 0.0, **options) -> Restored:
            return restore_report(check_fn(text, **options), min_confidence)

    return Engine(check_fn, restore_fn)


class AccessLogMiddleware:
    """Counts requests and logs method, path (never the query string: LanguageTool clients may put text there),
    status and time. Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware wraps
    `receive` in a task group, through which `request.is_disconnected()` never sees a client leave, and a waiting
    check must see that (limits.CheckRunner)."""

    def __init__(self, app, state):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        status = 0

        async def send_noting_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self.state.requests += 1
            if log.isEnabledFor(logging.INFO):
                log.info("%s %s %d %.1fms", scope.get("method", ""), scope.get("path", ""), status,
                         (time.perf_counter() - t0) * 1000)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = str(exc.detail)
        if detail == "There was an error parsing the body":  # FastAPI's words when json.loads itself fails
            detail = "the request body is not valid JSON (or is nested too deeply to read)"
        return error_response(request, exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            return error_response(request, 400, "the request body is not valid JSON")
        parts = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
            parts.append(f"{loc}: {err.get('msg', 'invalid')}")
        return error_response(request, 422, "invalid request: " + "; ".join(parts))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        # type and place only: the exception message could quote submitted text
        log.error("internal error on %s: %s", request.url.path, type(exc).__name__)
        return error_response(request, 500, "internal error while checking; see the server log")


def create_app(
    check_fn: Callable[..., Report] | None = None,
    restore_fn: Callable[..., Restored] | None = None,
    settings: Settings | None = None,
) -> FastAPI:
    """Build the app. `check_fn(text, **options) -> Report` defaults to `unspin.check`; `restore_fn`
    defaults to restoring from `check_fn`'s report (or `unspin.restore` when both are defaults)."""
    settings = settings or Settings()
    runner = CheckRunner(settings.concurrency, settings.queue, settings.timeout)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        runner.shutdown()

    from fastapi_offline import FastAPIOffline

    app: FastAPI = FastAPIOffline(
        title="unspin",
        version=__version__,
        description=(
            "Find and undo synonym spinning. Native API under /api/v1, LanguageTool-compatible API under /v2 "
            "(point LanguageTool clients at this server), web page at /."
        ),
        static_url="/static-docs",
        # no ReDoc page: Redoc fetches its own logo from a CDN, and the server promises pages that load nothing
        # from elsewhere; Swagger UI at /docs is served entirely from the package
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = _default_engine(check_fn, restore_fn)
    app.state.runner = runner
    app.state.started = time.time()
    app.state.requests = 0

    # --- middleware (outermost last): access log, body cap, CORS --------------------------------------
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        max_age=600,
    )
    app.add_middleware(BodyLimitMiddleware, max_body=settings.max_body, max_upload=settings.max_upload,
                       upload_paths=(routes_native.UPLOAD_PATH,))

    app.add_middleware(AccessLogMiddleware, state=app.state)

    _install_error_handlers(app)
    app.include_router(routes_page.router)
    app.include_router(routes_native.router)
    app.include_router(routes_lt.router)
    app.mount("/static", StaticFiles(directory=routes_page.STATIC_DIR), name="static")
    return app
