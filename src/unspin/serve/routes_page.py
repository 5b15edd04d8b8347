"""The web page, its icon and the health check (all public)."""
from __future__ import annotations

import time
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from .. import __version__
from .common import Settings, settings_of

STATIC_DIR = Path(__file__).parent / "static"

# The page's Content-Security-Policy: only our own scripts and styles, no inline code, no plugins, no framing.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

router = APIRouter()


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)  # HEAD: uptime checks and link probes
async def page():
    return FileResponse(STATIC_DIR / "index.html", headers={"Content-Security-Policy": PAGE_CSP})


@router.get("/favicon.ico", include_in_schema=False)
async def favicon():
    """Browsers ask for /favicon.ico whatever the page declares (it links /static/favicon.svg): answer with
    the icon instead of a 404 in the console."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "max-age=86400"})


@router.head("/health", include_in_schema=False)  # uptime monitors probe with HEAD
@router.get("/health", tags=["meta"])
async def health(request: Request, settings: Settings = Depends(settings_of)) -> dict:
    """Liveness and limits; needs no key."""
    state = request.app.state
    return {
        "status": "ok",
        "version": __version__,
        "auth_required": bool(settings.api_key),
        "uptime_s": round(time.time() - state.started, 1),
        "in_flight": state.runner.in_flight,
        "requests_served": state.requests,
        "limits": {
            "max_body": settings.max_body,
            "max_upload": settings.max_upload,
            "timeout_s": settings.timeout,
            "concurrency": settings.concurrency,
            "queue": settings.queue,
        },
    }


