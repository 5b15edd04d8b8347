"""The `unspin serve` web application: native JSON API, LanguageTool-compatible /v2, and the web page.

`create_app` builds a FastAPI app around a check function (default `unspin.check`) so tests can inject a
fake engine. The app never logs submitted text: its access log records method, path (without the query
string, which may carry text), status, size and time only.
"""
from __future__ import annotations

import hmac
import logging
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..types import Report, Restored
from . import lt
from .extract import ExtractError, extract
from .limits import BodyLimitMiddleware, CheckRunner, Saturated, TimedOut, is_lt_path

log = logging.getLogger("unspin.serve")
STATIC_DIR = Path(__file__).parent / "static"
UPLOAD_PATH = "/api/v1/extract"

# The page's Content-Security-Policy: only our own scripts and styles, no inline code, no plugins, no framing.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@dataclass
class Settings:
    """Server limits and options (the `unspin serve` flags)."""

    api_key: str | None = None  # required on /api/v1/* and /v2/check when set
    max_body: int = 1_000_000  # bytes per request body (413 above)
    max_upload: int = 10_000_000  # bytes per uploaded file on /api/v1/extract
    timeout: float = 30.0  # seconds a request may wait for its check
    concurrency: int = 2  # checks running at once
    queue: int = 64  # requests waiting for a slot beyond which 503 is answered
    cors_origins: tuple[str, ...] = ("*",)
    engine_options: dict | None = None  # server-side options for every check (e.g. index=)


class CheckRequest(BaseModel):
    """Body of POST /api/v1/check."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., description="The text to check (plain text, UTF-8 JSON string).")
    path: str | None = Field(None, description="A label echoed as `path` in the report (never opened).")
    threshold: float | None = Field(None, description="Decision threshold; default: the engine's own.")
    fingerprints: Literal[False] | list[str] | None = Field(
        None, description="Known-spinner fingerprint lists: null = auto, false = none, or list names."
    )
    include_text: bool = Field(False, description="Echo the checked text as `text` in the report.")


class RestoreRequest(CheckRequest):
    """Body of POST /api/v1/restore."""

    min_confidence: float = Field(0.0, ge=0.0, le=1.0, description="Only restore findings at least this sure.")


def _engine_options(req: CheckRequest, extra: dict | None) -> dict:
    opts = dict(extra or {})
    if req.path is not None:
        opts["path"] = req.path
    if req.threshold is not None:
        opts["threshold"] = req.threshold
    if req.fingerprints is not None:
        opts["fingerprints"] = req.fingerprints
    return opts


def _json_error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status, headers=headers)


def _error(request: Request, status: int, message: str, headers: dict | None = None):
    if is_lt_path(request.url.path):
        return PlainTextResponse(message + "\n", status_code=status, headers=headers)
    return _json_error(status, message, headers)


def _log_path(request: Request) -> str:
    return request.url.path  # never the query string: LanguageTool clients may put text there


def create_app(
    check_fn: Callable[..., Report] | None = None,
    restore_fn: Callable[..., Restored] | None = None,
    settings: Settings | None = None,
) -> FastAPI:
    """Build the app. `check_fn(text, **options) -> Report` defaults to `unspin.check`; `restore_fn`
    defaults to restoring from `check_fn`'s report (or `unspin.restore` when both are defaults)."""
    settings = settings or Settings()
    if check_fn is None:
        import unspin

        check_fn = unspin.check
        if restore_fn is None:
            from ..api import restore as restore_fn
    if restore_fn is None:
        from ..edits import restore_report

        _check = check_fn

        def restore_fn(text: str, min_confidence: float = 0.0, **options) -> Restored:
            return restore_report(_check(text, **options), min_confidence)

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
        lifespan=lifespan,
    )
    app.state.settings = settings
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
    app.add_middleware(
        BodyLimitMiddleware, max_body=settings.max_body, max_upload=settings.max_upload, upload_paths=(UPLOAD_PATH,)
    )

    @app.middleware("http")
    async def access_log(request: Request, call_next):
        t0 = time.perf_counter()
        response = await call_next(request)
        app.state.requests += 1
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s %s %d %.1fms",
                request.method,
                _log_path(request),
                response.status_code,
                (time.perf_counter() - t0) * 1000,
            )
        return response

    # --- errors ---------------------------------------------------------------------------------------
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return _error(request, exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        parts = []
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            return _error(request, 400, "the request body is not valid JSON")
        for err in exc.errors():
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
            parts.append(f"{loc}: {err.get('msg', 'invalid')}")
        return _error(request, 422, "invalid request: " + "; ".join(parts))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        # type and place only: the exception message could quote submitted text
        log.error("internal error on %s: %s", request.url.path, type(exc).__name__)
        return _error(request, 500, "internal error while checking; see the server log")

    # --- helpers --------------------------------------------------------------------------------------
    def authorised(request: Request, params: dict | None = None) -> bool:
        key = settings.api_key
        if not key:
            return True
        given = request.headers.get("x-api-key")
        auth = request.headers.get("authorization", "")
        if not given and auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if not given and params:
            given = params.get("apiKey")
        return bool(given) and hmac.compare_digest(given.encode(), key.encode())

    def denied(request: Request):
        return _error(
            request,
            401,
            "missing or wrong API key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
            + (" (or the apiKey parameter)" if is_lt_path(request.url.path) else ""),
            {"WWW-Authenticate": "Bearer"},
        )

    async def run_limited(request: Request, fn, *args, **kwargs) -> Any:
        try:
            return await runner.run(fn, *args, **kwargs)
        except Saturated:
            return _error(
                request, 503, "server busy: too many requests in progress; retry shortly", {"Retry-After": "1"}
            )
        except TimedOut:
            return _error(request, 504, f"the check took longer than the server's limit of {settings.timeout:g} s")
        except ExtractError as e:
            return _json_error(e.status, str(e))
        except ValueError as e:  # the engine's own "bad input" errors (they describe the input, not quote it)
            return _error(request, 400, f"cannot check this text: {e}")
        except Exception as e:  # noqa: BLE001 - log the type only: a message or traceback could quote the text
            log.error("engine error on %s: %s", request.url.path, type(e).__name__)
            return _error(request, 500, "internal error while checking; see the server log")

    # --- native API -----------------------------------------------------------------------------------
    @app.get("/health", tags=["meta"])
    async def health() -> dict:
        """Liveness and limits; needs no key."""
        return {
            "status": "ok",
            "version": __version__,
            "auth_required": bool(settings.api_key),
            "uptime_s": round(time.time() - app.state.started, 1),
            "in_flight": runner.in_flight,
            "requests_served": app.state.requests,
            "limits": {
                "max_body": settings.max_body,
                "max_upload": settings.max_upload,
                "timeout_s": settings.timeout,
                "concurrency": settings.concurrency,
                "queue": settings.queue,
            },
        }

    @app.post("/api/v1/check", tags=["native"])
    async def api_check(req: CheckRequest, request: Request):
        """Check text; the answer is the CLI's JSON report (schema 1: words, spin_score, verdict, findings)."""
        if not authorised(request):
            return denied(request)
        result = await run_limited(request, check_fn, req.text, **_engine_options(req, settings.engine_options))
        if not isinstance(result, Report):
            return result
        return result.to_dict(include_text=req.include_text)

    @app.post("/api/v1/restore", tags=["native"])
    async def api_restore(req: RestoreRequest, request: Request):
        """Restore text; the answer is the CLI's JSON (schema 1: text and replayable edits)."""
        if not authorised(request):
            return denied(request)
        opts = _engine_options(req, settings.engine_options)
        result = await run_limited(request, restore_fn, req.text, min_confidence=req.min_confidence, **opts)
        if not isinstance(result, Restored):
            return result
        return result.to_dict()

    @app.post(UPLOAD_PATH, tags=["native"])
    async def api_extract(
        request: Request,
        file: UploadFile = File(..., description=".txt, .md, .html, .pdf or .docx"),  # noqa: B008 (FastAPI idiom)
    ):
        """Text of an uploaded file (bytes only; the server never opens a path)."""
        if not authorised(request):
            return denied(request)
        data = await file.read()
        result = await run_limited(request, extract, file.filename or "upload", data)
        if isinstance(result, (JSONResponse, PlainTextResponse)):
            return result
        return result.to_dict()

    # --- LanguageTool compatibility -------------------------------------------------------------------
    @app.get("/v2/languages", tags=["languagetool"])
    async def lt_languages():
        """The languages unspin checks, in LanguageTool's format."""
        return lt.languages_response()

    @app.get("/v2/check", tags=["languagetool"], operation_id="lt_check_get")
    @app.post("/v2/check", tags=["languagetool"], operation_id="lt_check_post")
    async def lt_check(request: Request):
        """LanguageTool-compatible check: form (or JSON) fields `language` and `text` or `data`."""
        ctype = request.headers.get("content-type", "")
        try:
            if ctype.lower().startswith("multipart/form-data"):
                form = await request.form()
                params = dict(request.query_params.multi_items())
                params.update({k: v for k, v in form.multi_items() if isinstance(v, str)})
            else:
                params = lt.parse_params(await request.body(), ctype, list(request.query_params.multi_items()))
        except lt.LTError as e:
            return PlainTextResponse(f"Error: {e}\n", status_code=400)
        if not authorised(request, params):
            return denied(request)
        try:
            language = lt.resolve_language(params.get("language"))
            if "data" in params and params["data"] != "":
                doc = lt.annotated_document(params["data"])
            elif "text" in params:
                doc = lt.plain_document(params["text"])
            else:
                raise lt.LTError("Missing 'text' or 'data' parameter")
        except lt.LTError as e:
            return PlainTextResponse(f"Error: {e}\n", status_code=400)
        result = await run_limited(request, check_fn, doc.plain, **dict(settings.engine_options or {}))
        if not isinstance(result, Report):
            return result
        return lt.build_response(doc, result, language, params, __version__)

    # --- web page -------------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC_DIR / "index.html", headers={"Content-Security-Policy": PAGE_CSP})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    return app
