"""The native JSON API: POST /api/v1/check, /api/v1/restore (the CLI's JSON) and /api/v1/extract (file upload)."""
from __future__ import annotations

from typing import Literal
from email.message import Message

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..edits import replacement
from ..text import lone_surrogate
from ..types import Report, Restored
from .common import Engine, Settings, engine_of, json_error, run_limited, settings_of
from .extract import extract
from .security import require_api_key

UPLOAD_PATH = "/api/v1/extract"


class Utf8JsonRoute(APIRoute):
    """A route whose JSON body must be UTF-8 (RFC 8259): other bytes get a 400 that says so, instead of
    FastAPI's "There was an error parsing the body"."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def utf8_checked(request: Request):
            ctype = request.headers.get("content-type")
            if request.url.path != UPLOAD_PATH and not _is_json(ctype):
                # (`curl -d '{...}'` labels JSON as form data; FastAPI would answer with a puzzling 422)
                return json_error(415, f"the request body must be JSON sent with 'Content-Type: application/json' "
                                       f"(got {ctype or 'no Content-Type'})")
            if _is_json(ctype):
                body = await request.body()  # cached on the request: the handler reads the same bytes
                try:
                    body.decode("utf-8")
                except UnicodeDecodeError as e:
                    return json_error(400, f"the request body is not valid UTF-8 (byte {e.start}, 0x{body[e.start]:02x})"
                                           ": send JSON encoded as UTF-8")
            return await handler(request)

        return utf8_checked


def _is_json(content_type: str | None) -> bool:
    """Whether FastAPI parses this body as JSON: a JSON media type (the FastAPI we install no longer reads a
    body without a Content-Type as JSON)."""
    if not content_type:
        return False
    msg = Message()
    msg["content-type"] = content_type
    subtype = msg.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


router = APIRouter(prefix="/api/v1", tags=["native"], route_class=Utf8JsonRoute,
                   dependencies=[Depends(require_api_key)])

# a finite probability given as a JSON number: 2, NaN, inf, "0.5" and true are refused (422), not coerced
_THRESHOLD = dict(ge=0.0, le=1.0, allow_inf_nan=False, strict=True)


class CheckRequest(BaseModel):
    """Body of POST /api/v1/check."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., description="The text to check (plain text, UTF-8 JSON string).")
    path: str | None = Field(None, description="A label echoed as `path` in the report (never opened).")
    threshold: float | None = Field(None, description="Model probability (0-1) for a `finding`; default: the "
                                    "model's own (≤ 1 false finding per 1,000 words of clean prose).", **_THRESHOLD)
    fingerprints: Literal[False] | list[str] | None = Field(
        None, description="Known-spinner fingerprint lists: null = auto, false = none, or list names."
    )
    allow: list[str] = Field(
        default_factory=list, max_length=10_000,
        description="Words and phrases never to report (a field's jargon; a single word covers its inflections). "
        "The spin score still weighs every word; a note says how many findings were not shown.")
    include_text: bool = Field(False, strict=True, description="Echo the checked text as `text` in the report.")
    include_replacements: bool = Field(
        False, strict=True, description="Give each finding `replacements`: its suggestions as `unspin restore` "
        "writes them in its place (cased like the flagged text, its line breaks kept), in the suggestions' order.")

    @field_validator("fingerprints")
    @classmethod
    def _list_names_encodable(cls, v):
        if isinstance(v, list):
            for name in v:
                if (at := lone_surrogate(name)) is not None:
                    raise ValueError(f"a list name contains an unpaired UTF-16 surrogate at character {at}")
        return v

    @field_validator("allow")
    @classmethod
    def _allow_entries(cls, v: list[str]) -> list[str]:
        for i, entry in enumerate(v):
            if len(entry) > 200:
                raise ValueError(f"allow[{i}] is longer than 200 characters: one word or phrase per entry")
            if (at := lone_surrogate(entry)) is not None:
                raise ValueError(f"allow[{i}] contains an unpaired UTF-16 surrogate at character {at}")
        return v

    @field_validator("text", "path")
    @classmethod
    def _no_lone_surrogates(cls, v: str | None) -> str | None:
        # JSON may escape half of a UTF-16 pair ("\ud83d"); such a string is no Unicode text, and no answer
        # that quotes it could be encoded
        if v is not None and (at := lone_surrogate(v)) is not None:
            raise ValueError(f"contains an unpaired UTF-16 surrogate (U+{ord(v[at]):04X}) at character {at}")
        return v


class RestoreRequest(CheckRequest):
    """Body of POST /api/v1/restore."""

    min_confidence: float = Field(0.0, description="Only restore findings at least this sure (0-1).", **_THRESHOLD)


def _engine_options(req: CheckRequest, extra: dict | None) -> dict:
    opts = dict(extra or {})
    if req.path is not None:
        opts["path"] = req.path
    if req.threshold is not None:
        opts["threshold"] = req.threshold
    if req.fingerprints is not None:
        opts["fingerprints"] = req.fingerprints
    if req.allow:
        opts["allow"] = tuple(req.allow)
    return opts


@router.post("/check")
async def api_check(req: CheckRequest, request: Request, settings: Settings = Depends(settings_of),
                    engine: Engine = Depends(engine_of)):
    """Check text; the answer is the CLI's JSON report (schema 2: words, spin_score, verdict, findings)."""
    result = await run_limited(request, engine.check, req.text, **_engine_options(req, settings.engine_options))
    if not isinstance(result, Report):
        return result
    out = result.to_dict(include_text=req.include_text)
    if req.include_replacements:
        # the page applies these as they are: its restored text is restore's, by one rule (edits.replacement)
        for d, f in zip(out["findings"], result.findings):
            d["replacements"] = [replacement(req.text[f.start : f.end], s) for s in f.suggestions]
    return out


@router.post("/restore")
async def api_restore(req: RestoreRequest, request: Request, settings: Settings = Depends(settings_of),
                      engine: Engine = Depends(engine_of)):
    """Restore text; the answer is the CLI's JSON (schema 2: text and replayable edits)."""
    opts = _engine_options(req, settings.engine_options)
    result = await run_limited(request, engine.restore, req.text, min_confidence=req.min_confidence, **opts)
    if not isinstance(result, Restored):
        return result
    return result.to_dict()


@router.post("/extract")
async def api_extract(
    request: Request,
    file: UploadFile = File(..., description=".txt, .md, .html, .pdf or .docx"),  # noqa: B008 (FastAPI idiom)
):
    """Text of an uploaded file (bytes only; the server never opens a path). Text files in other encodings
    than UTF-8 are decoded (`encoding` says which)."""
    data = await file.read()
    result = await run_limited(request, extract, file.filename or "upload", data)
    if isinstance(result, (JSONResponse, PlainTextResponse)):
        return result
    return result.to_dict()
