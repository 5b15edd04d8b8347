"""LanguageTool-compatible endpoints: GET /v2/languages and GET|POST /v2/check (the protocol itself is in lt.py)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from .. import __version__
from ..text import lone_surrogate
from ..types import Report
from . import lt
from .common import Engine, Settings, engine_of, run_limited, settings_of
from .security import lt_key_checker

router = APIRouter(prefix="/v2", tags=["languagetool"])


async def lt_params(request: Request) -> dict[str, str]:
    """The request's parameters, as LanguageTool reads them: query string merged with form data (multipart
    or urlencoded, whatever the Content-Type says) or a JSON object. 400 (plain text) when unreadable."""
    ctype = request.headers.get("content-type", "")
    try:
        if ctype.lower().startswith("multipart/form-data"):
            form = await request.form()
            params = dict(request.query_params.multi_items())
            params.update({k: v for k, v in form.multi_items() if isinstance(v, str)})
            return params
        return lt.parse_params(await request.body(), ctype, list(request.query_params.multi_items()))
    except lt.LTError as e:
        raise HTTPException(400, f"Error: {e}") from None


@router.get("/languages")
async def lt_languages():
    """The languages unspin checks, in LanguageTool's format."""
    return lt.languages_response()


@router.get("/check", operation_id="lt_check_get")
@router.post("/check", operation_id="lt_check_post")
async def lt_check(request: Request, params: dict = Depends(lt_key_checker(lt_params)),
                   settings: Settings = Depends(settings_of), engine: Engine = Depends(engine_of)):
    """LanguageTool-compatible check: form (or JSON) fields `language` and `text` or `data`."""
    try:
        language = lt.resolve_language(params.get("language"))
        for name in ("text", "data"):
            if (at := lone_surrogate(params.get(name) or "")) is not None:
                raise lt.LTError(f"'{name}' contains an unpaired UTF-16 surrogate at character {at}")
        if "data" in params and params["data"] != "":
            doc = lt.annotated_document(params["data"])
        elif "text" in params:
            doc = lt.plain_document(params["text"])
        else:
            raise lt.LTError("Missing 'text' or 'data' parameter")
    except lt.LTError as e:
        raise HTTPException(400, f"Error: {e}") from None
    result = await run_limited(request, engine.check, doc.plain, **dict(settings.engine_options or {}))
    if not isinstance(result, Report):
        return result
    return lt.build_response(doc, result, language, params, __version__)
