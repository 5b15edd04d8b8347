"""What every router of `unspin serve` shares: the settings and engine on `app.state` (as dependencies),
error responses in the caller's dialect (JSON for the native API, plain text for LanguageTool's /v2), and
running a blocking engine call under the server's limits."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse

from ..fingerprints.store import UnknownListError
from .extract import ExtractError
from .limits import CheckRunner, ClientGone, Saturated, TimedOut, is_lt_path

log = logging.getLogger("unspin.serve")


@dataclass
class Settings:
    """Server limits and options (the `unspin serve` flags)."""

    api_key: str | None = None  # required on /api/v1/* and /v2/check when set
    max_body: int = 1_000_000  # bytes per request body (413 above)
    max_upload: int = 10_000_000  # bytes per uploaded file on /api/v1/extract
    timeout: float = 60.0  # seconds a request may wait for its check
    concurrency: int = 2  # checks running at once
    queue: int = 64  # requests waiting for a slot beyond which 503 is answered
    cors_origins: tuple[str, ...] = ("*",)
    engine_options: dict | None = None  # server-side options for every check (e.g. index=)


@dataclass(frozen=True)
class Engine:
    """The functions the routes call: `check(text, **options) -> Report`, `restore(text, min_confidence=,
    **options) -> Restored` (tests inject fakes through `create_app`)."""

    check: Callable[..., Any]
    restore: Callable[..., Any]


def settings_of(request: Request) -> Settings:
    """Dependency: the server's settings."""
    return request.app.state.settings


def engine_of(request: Request) -> Engine:
    """Dependency: the check/restore functions."""
    return request.app.state.engine


def encodable(message: str) -> str:
    """`message` with any unpaired surrogate written as an escape: an error may quote what the client sent (a
    language tag, a list name), and an answer that cannot be encoded as UTF-8 would become a 500 instead."""
    return message.encode("utf-8", "backslashreplace").decode("utf-8")


def json_error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": encodable(message)}}, status_code=status,
                        headers=headers)


def error_response(request: Request, status: int, message: str, headers: dict | None = None):
    """An error as the client expects it: plain text on LanguageTool's /v2 paths, else the native JSON shape."""
    message = encodable(message)
    if is_lt_path(request.url.path):
        return PlainTextResponse(message + "\n", status_code=status, headers=headers)
    return json_error(status, message, headers)


async def run_limited(request: Request, fn, *args, **kwargs) -> Any:
    """`fn(*args, **kwargs)` in the bounded pool; the limiter's and the engine's failures become responses
    (503 busy, 504 too slow, 400 bad input, 500 with the exception type logged but never its message, which
    could quote the submitted text). Callers check whether they got a result or a response."""
    runner: CheckRunner = request.app.state.runner
    try:
        return await runner.run(fn, *args, gone=request.is_disconnected, **kwargs)
    except ClientGone:  # nobody reads this answer; the status (nginx's "client closed request") is for the log
        return error_response(request, 499, "the client closed the request before its check started")
    except Saturated:
        return error_response(request, 503, "server busy: too many requests in progress; retry shortly",
                              {"Retry-After": "1"})
    except TimedOut:
        return error_response(request, 504,
                              f"the check took longer than the server's limit of {runner.timeout:g} s")
    except ExtractError as e:
        return json_error(e.status, str(e))
    except UnknownListError as e:  # the request named fingerprint lists the server does not hold: its mistake
        return error_response(request, 422, f"fingerprints: {e.brief()}")
    except ValueError as e:  # the engine's own "bad input" errors (they describe the input, not quote it)
        return error_response(request, 400, f"cannot check this text: {e}")
    except Exception as e:  # noqa: BLE001 - log the type only: a message or traceback could quote the text
        log.error("engine error on %s: %s", request.url.path, type(e).__name__)
        return error_response(request, 500, "internal error while checking; see the server log")
