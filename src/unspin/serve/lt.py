"""LanguageTool `/v2` compatibility: request parsing, annotated markup, UTF-16 offsets, response shape.

Pure functions (no web framework here) so they are unit-testable on their own. Offsets inside unspin are
Unicode code points; LanguageTool clients (Java, JavaScript, language_tool_python) count UTF-16 code units,
so every offset and length that leaves this module is converted with `utf16_offsets`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ..edits import replacement
from ..text import lone_surrogate
from ..types import LEVEL_FINDING, LEVEL_SUSPECT, SOURCE_LIST, SOURCE_MODEL, SOURCE_TRACE, Finding, Report

# The languages unspin checks. LanguageTool's /v2/languages lists {name, code, longCode}; clients such as
# language_tool_python match the requested tag against `code` and `longCode`.
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("English", "en"),
    ("English (US)", "en-US"),
    ("English (GB)", "en-GB"),
    ("English (Australian)", "en-AU"),
    ("English (Canadian)", "en-CA"),
    ("English (New Zealand)", "en-NZ"),
    ("English (South African)", "en-ZA"),
)
_BY_TAG = {code.lower(): (name, code) for name, code in LANGUAGES}

# One category per finding source, and one for borderline suspects (sent only with level=picky), so that
# LanguageTool's disabledCategories / disabledRules switch them as its users expect.
CATEGORIES = {
    SOURCE_MODEL: {"id": "UNSPIN_MODEL", "name": "Possibly spun text"},
    SOURCE_LIST: {"id": "UNSPIN_LIST", "name": "Known tortured phrases (imported lists)"},
    SOURCE_TRACE: {"id": "UNSPIN_TRACE", "name": "Spun from a traced source"},
}
SUSPECT_CATEGORY = {"id": "UNSPIN_SUSPECT", "name": "Possibly spun text (borderline, for review)"}
CONTEXT_CHARS = 40  # characters of context on each side, like LanguageTool
# the engine's notes for a text it finds no English prose (document.not_prose: "text does not look like English
# prose …", "text looks like program code, not English prose …"); it gives them from 40 words on
NOT_ENGLISH_NOTE = re.compile(r"\bnot (?:look like )?English prose\b")


class LTError(ValueError):
    """A bad /v2 request; LanguageTool answers these as plain text with status 400."""


def languages_response() -> list[dict]:
    return [{"name": name, "code": code.split("-")[0], "longCode": code} for name, code in LANGUAGES]


def resolve_language(tag: str | None) -> tuple[str, str]:
    """(name, code) for a requested language tag; 'auto' means English (US). Raises LTError otherwise."""
    if tag is None or not tag.strip():
        raise LTError("Missing 'language' parameter, e.g. language=en-US (or language=auto)")
    t = tag.strip().replace("_", "-")
    if t.lower() == "auto":
        return "English (US)", "en-US"
    hit = _BY_TAG.get(t.lower())
    if hit is None and "-" in t:
        base = _BY_TAG.get(t.split("-")[0].lower())
        if base is not None:  # e.g. en-IE: English, variant unknown to us but checked the same way
            hit = (f"English ({t})", t)
    if hit is None:
        raise LTError(f"'{tag}' is not a language code known to unspin; unspin checks English only (en, en-US, …)")
    return hit


def parse_params(body: bytes, content_type: str | None, query: list[tuple[str, str]]) -> dict[str, str]:
    """Merge query parameters and the request body into one dict (body wins).

    The body is read as form data whatever the Content-Type says (LTeX sends form data labelled
    application/json); a body that is a JSON object is accepted too.
    """
    params: dict[str, str] = {k: v for k, v in query}
    if not body:
        return params
    try:
        raw = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LTError(f"request body is not UTF-8 (byte {e.start}): send form data or JSON in UTF-8") from e
    stripped = raw.lstrip()
    obj = _NOT_JSON
    if stripped.startswith(("{", "[")):
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError as e:
            # form data never starts with "{" or "[": read as form fields it would only lose the client's mistake
            # behind a "Missing 'language' parameter"
            raise LTError(f"the request body is not valid JSON: {e.msg} at character {e.pos}") from None
        except RecursionError:
            raise LTError("the request body is not valid JSON: nested too deeply") from None
    elif _is_json_type(content_type):
        # a JSON label is no proof (LTeX labels form data so): only a body that parses as JSON is read as JSON
        try:
            obj = json.loads(stripped)
        except (json.JSONDecodeError, RecursionError):
            pass
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                params[k] = json.dumps(v)  # e.g. "data" given as an object instead of a string
            elif v is not None:
                params[k] = str(v).lower() if isinstance(v, bool) else str(v)
        return params
    if obj is not _NOT_JSON:
        # (an array or a bare value has no field names: "Missing 'language' parameter" would blame the wrong thing)
        raise LTError(f"the request body must be form fields (language=en-US&text=…) or a JSON object, "
                      f"not a JSON {_json_kind(obj)}")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=False, max_num_fields=1000)
    except ValueError as e:
        raise LTError(f"could not read the request body as form data: {e}") from e
    for k, v in pairs:
        params[k] = v
    return params


_NOT_JSON = object()  # parse_params: the body was not read as JSON


def _is_json_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _json_kind(v) -> str:
    if isinstance(v, list):
        return "array"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool) or v is None:
        return json.dumps(v)  # true, false, null
    return "number"


@dataclass(frozen=True, slots=True)
class Document:
    """What gets checked (`plain`) and how its positions map back to the client's document (`original`)."""

    original: str  # the document the client's offsets refer to (markup included)
    plain: str  # the text unspin checks (markup skipped, interpretAs substituted)
    to_original: tuple[int, ...]  # code-point position in plain -> position in original (len(plain)+1 items)
    # where the original stretch of each plain character ends: one past it for text, the end of the whole markup
    # for a character of its interpretAs (a flagged word that a markup stands for covers all of the markup)
    original_end: tuple[int, ...] | None = None

    def map_span(self, start: int, end: int) -> tuple[int, int]:
        a = self.to_original[start]
        if end <= start:
            return a, a
        b = self.original_end[end - 1] if self.original_end is not None else self.to_original[end - 1] + 1
        return a, b


def plain_document(text: str) -> Document:
    return Document(text, text, tuple(range(len(text) + 1)))


def annotated_document(data: str) -> Document:
    """Build a Document from LanguageTool's `data` parameter:
    {"annotation": [{"text": "A "}, {"markup": "<b>", "interpretAs": ""}, {"text": "word"}, …]}.
    Markup is skipped (its `interpretAs`, if any, is checked in its place); offsets point into the full
    original document, i.e. all text and markup strings concatenated."""
    try:
        obj = json.loads(data)
    except json.JSONDecodeError as e:
        raise LTError(f"parameter 'data' is not valid JSON: {e.msg} at character {e.pos}") from e
    if not isinstance(obj, dict) or not isinstance(obj.get("annotation"), list):
        raise LTError("parameter 'data' must be a JSON object with an 'annotation' list")
    original: list[str] = []
    plain: list[str] = []
    mapping: list[int] = []
    ends: list[int] = []
    pos = 0
    for i, item in enumerate(obj["annotation"]):
        if not isinstance(item, dict):
            raise LTError(f"'data' annotation item {i} is not an object")
        has_text, has_markup = "text" in item, "markup" in item
        if has_text == has_markup:
            raise LTError(f"'data' annotation item {i} needs exactly one of 'text' or 'markup'")
        if has_text:
            t = item["text"]
            if not isinstance(t, str):
                raise LTError(f"'data' annotation item {i}: 'text' must be a string")
            _refuse_lone_surrogate(t, i, "text")
            plain.append(t)
            mapping.extend(range(pos, pos + len(t)))
            ends.extend(range(pos + 1, pos + len(t) + 1))
            original.append(t)
            pos += len(t)
        else:
            m = item["markup"]
            interp = item.get("interpretAs", "")
            if not isinstance(m, str) or not isinstance(interp, str):
                raise LTError(f"'data' annotation item {i}: 'markup' and 'interpretAs' must be strings")
            _refuse_lone_surrogate(m, i, "markup")
            _refuse_lone_surrogate(interp, i, "interpretAs")
            plain.append(interp)
            mapping.extend([pos] * len(interp))
            ends.extend([pos + len(m)] * len(interp))
            original.append(m)
            pos += len(m)
    mapping.append(pos)
    return Document("".join(original), "".join(plain), tuple(mapping), tuple(ends))


def _refuse_lone_surrogate(s: str, i: int, field: str) -> None:
    """A JSON string may escape half of a UTF-16 pair; such text is no Unicode and no answer quoting it could be
    encoded, so it is refused where it enters (as in plain `text`)."""
    if (at := lone_surrogate(s)) is not None:
        raise LTError(f"'data' annotation item {i}: '{field}' contains an unpaired UTF-16 surrogate at character {at}")


def utf16_offsets(text: str) -> list[int]:
    """UTF-16 code-unit offset of every code-point position 0..len(text) of `text`."""
    out = [0] * (len(text) + 1)
    u = 0
    for i, ch in enumerate(text):
        out[i] = u
        u += 2 if ord(ch) > 0xFFFF else 1
    out[len(text)] = u
    return out


def _u16len(s: str) -> int:
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


_SENT_END_RE = re.compile(r"[.!?…]+[\"'”’)\]]*\s+|\n\s*\n|\n")


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of `text` that contains text[start:end] (cut at . ! ? … and line breaks)."""
    s = 0
    for m in _SENT_END_RE.finditer(text, 0, start):
        s = m.end()
    m = _SENT_END_RE.search(text, end)
    e = m.start() + len(m.group().rstrip()) if m else len(text)
    return text[s:e].strip()


def context_around(text: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> dict:
    """LanguageTool's context: up to `chars` characters either side, '...' where cut, line breaks as spaces;
    offset and length in UTF-16 code units within the context text."""
    a = max(0, start - chars)
    b = min(len(text), end + chars)
    pre = ("..." if a > 0 else "") + text[a:start]
    mid = text[start:end]
    post = text[end:b] + ("..." if b < len(text) else "")
    clean = lambda s: re.sub(r"[\r\n\t]", " ", s)  # noqa: E731
    pre, mid, post = clean(pre), clean(mid), clean(post)
    return {"text": pre + mid + post, "offset": _u16len(pre), "length": _u16len(mid)}


def category_of(finding: Finding) -> dict:
    if finding.level == LEVEL_SUSPECT:
        return SUSPECT_CATEGORY
    return CATEGORIES.get(finding.source, CATEGORIES[SOURCE_MODEL])


def _message(f: Finding) -> str:
    if f.suggestions:
        alts = ", ".join(f"“{s}”" for s in f.suggestions[:3])
        msg = f"Possibly spun (synonym-swapped) text: “{f.text}” may stand for {alts}."
    else:
        msg = f"Possibly spun (synonym-swapped) text: “{f.text}”."
    msg += f" Confidence {f.confidence:.0%}."
    if f.evidence:
        msg += " Evidence: " + "; ".join(f.evidence[:3]) + "."
    return msg


def replacements(spun: str, suggestions: list[str]) -> list[dict]:
    """LanguageTool's replacement list: each suggestion as `restore` writes it, cased like the spun text and with
    its line breaks (clients insert a replacement exactly as sent: "Focal bank" must become "Central bank", and
    a phrase wrapped across lines must stay wrapped)."""
    out: list[str] = []
    for s in suggestions:
        v = replacement(spun, s)
        if v not in out:
            out.append(v)
    return [{"value": v} for v in out]


def _split_list(v: str | None) -> set[str]:
    return {x.strip() for x in (v or "").split(",") if x.strip()}


def build_response(
    doc: Document,
    report: Report,
    language: tuple[str, str],
    params: dict[str, str],
    version: str,
) -> dict:
    """The /v2/check JSON answer for `report` (which was made on doc.plain)."""
    disabled_rules = _split_list(params.get("disabledRules"))
    disabled_cats = _split_list(params.get("disabledCategories"))
    enabled_rules = _split_list(params.get("enabledRules"))
    enabled_only = params.get("enabledOnly", "false").lower() == "true"
    enabled_cats = _split_list(params.get("enabledCategories"))
    picky = params.get("level", "").strip().lower() == "picky"  # LanguageTool's own "more rules" switch
    u16 = utf16_offsets(doc.original)
    matches = []
    for f in sorted(report.findings, key=lambda f: (f.start, f.end)):
        if f.level != LEVEL_FINDING and not picky:
            continue
        rid = f.rule_id
        cat = category_of(f)
        if rid in disabled_rules or cat["id"] in disabled_cats:
            continue
        if enabled_only and rid not in enabled_rules and cat["id"] not in enabled_cats:
            continue
        if not (0 <= f.start < f.end <= len(doc.plain)):
            continue  # a finding outside the text cannot be placed; never send a wrong offset
        a, b = doc.map_span(f.start, f.end)
        ctx = context_around(doc.plain, f.start, f.end)
        matches.append(
            {
                "message": _message(f),
                "shortMessage": "Possibly spun text" if f.level == LEVEL_FINDING else "Possibly spun (review)",
                "replacements": replacements(doc.plain[f.start : f.end], f.suggestions),
                "offset": u16[a],
                "length": u16[b] - u16[a],
                "context": ctx,
                "sentence": sentence_around(doc.plain, f.start, f.end),
                "type": {"typeName": "Other"},
                "rule": {
                    "id": rid,
                    "description": "Synonym spinning: a word or phrase swapped for an unusual synonym",
                    "issueType": "style",
                    "category": dict(cat),
                    "confidence": round(float(f.confidence), 4),
                },
                "ignoreForIncompleteSentence": False,
                "contextForSureMatch": 0,
            }
        )
    name, code = language
    auto = params.get("language", "").strip().lower() == "auto"
    # LanguageTool reports a text whose language it cannot detect as its fallback (English) at confidence 0: a
    # text the engine finds no English prose is reported so, never as English at high confidence
    english = not any(NOT_ENGLISH_NOTE.search(n) for n in report.notes)
    confidence = (0.9 if auto else 1.0) if english else 0.0
    return {
        "software": {
            "name": "unspin",
            "version": version,
            "buildDate": None,
            "apiVersion": 1,
            "premium": False,
            "status": "",
        },
        "warnings": {"incompleteResults": False},
        "language": {
            "name": name,
            "code": code,
            "detectedLanguage": {
                "name": "English (US)" if auto else name,
                "code": "en-US" if auto else code,
                "confidence": confidence,
                "source": "unspin",
            },
        },
        "matches": matches,
    }
