"""unspin serve: HTTP API, LanguageTool-compatible /v2 endpoint and web page.

Kept import-light (the `unspin` CLI imports `unspin.serve.cli` on every run); `create_app` and `Settings`
load FastAPI only when first used:

    from unspin.serve import create_app, Settings
    app = create_app(settings=Settings(max_body=500_000))
"""
from __future__ import annotations

__all__ = ["create_app", "Settings"]


def __getattr__(name):
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(name)
