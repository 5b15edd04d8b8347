"""Parsers for tortured-phrase lists: a JSON list, the raw PPS CSV export (with its query syntax) and a plain
``tortured<TAB>expected`` TSV/CSV.

Every parser returns a `ParseResult`: the usable `Entry` rows plus a `Skipped` record (line, reason, raw text)
for each row that was malformed, uncertain ("(?)" in the expected phrase) or not a fingerprint at all. A file
that cannot be read at all raises `FingerprintFormatError` naming the file and the problem.

PPS query syntax (the ``tortured_phrase`` column of the PPS export), e.g.::

    "surface region" AND "surface area"      fingerprint + context condition (B must also occur)
    "magnetic cell separation" NOT "with MACS"  fingerprint unless the exclusion occurs in the document
    "gatherings clustering"~10               all words within a sloppy window of 10 positions
    "corridor impact" AND ("magnetic" OR "voltage")   a context clause with alternatives
    "enhancement calculation" AND optimiz*   bare words; a trailing * is a prefix wildcard
    "fit record" OR "fit file"               one fingerprint per alternative

The first positive term of each OR-alternative is the fingerprint; further AND terms are context clauses
(conjunctive normal form: each clause is a tuple of alternatives), NOT terms are exclusions.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("json", "pps-csv", "tsv")


class FingerprintFormatError(ValueError):
    """A list file that cannot be parsed at all (unreadable, not JSON, no usable columns...)."""


@dataclass(frozen=True, slots=True)
class Term:
    """One search term of a PPS query: a phrase (lower-case, single spaces), maybe sloppy or a prefix."""

    phrase: str
    proximity: int | None = None  # "a b"~N
    prefix: bool = False  # optimiz*

    def to_json(self) -> dict:
        d: dict = {"p": self.phrase}
        if self.proximity is not None:
            d["n"] = self.proximity
        if self.prefix:
            d["x"] = True
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Term":
        return cls(str(d["p"]), d.get("n"), bool(d.get("x", False)))

    def __str__(self) -> str:
        s = f'"{self.phrase}"' if not self.prefix else self.phrase + "*"
        return s + (f"~{self.proximity}" if self.proximity is not None else "")


@dataclass(frozen=True, slots=True)
class Entry:
    """One fingerprint: the tortured phrase, what it should have been, and when it counts."""

    tortured: str  # as listed (display form); matching is case-insensitive
    expected: str  # as listed (may hold "(?)", acronyms in parentheses...)
    num_papers: int | None = None  # PPS prior: papers retrieved with this fingerprint
    uncertain: bool = False  # the expected phrase is marked as a guess ("(?)")
    proximity: int | None = None  # the tortured words may be up to N positions apart
    require: tuple[tuple[Term, ...], ...] = ()  # AND clauses (each: any of its terms)
    exclude: tuple[Term, ...] = ()  # NOT terms
    line: int = 0  # line (CSV/TSV) or item number (JSON) in the source file

    @property
    def suggestion(self) -> str:
        return clean_expected(self.expected)

    def query(self) -> str:
        """The entry as a PPS-like query string (for export and messages)."""
        q = f'"{self.tortured}"' + (f"~{self.proximity}" if self.proximity is not None else "")
        for clause in self.require:
            q += " AND " + (str(clause[0]) if len(clause) == 1 else "(" + " OR ".join(map(str, clause)) + ")")
        for t in self.exclude:
            q += f" NOT {t}"
        return q


@dataclass(frozen=True, slots=True)
class Skipped:
    line: int  # the row's line (CSV, TSV) or, for JSON lists, the item's number in the list (ParseResult.unit)
    reason: str
    raw: str


@dataclass(slots=True)
class ParseResult:
    path: str
    format: str
    entries: list[Entry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def unit(self) -> str:
        """What a Skipped row's number counts: "item" of a JSON list (its line is not known), else "line"."""
        return "item" if self.format == "json" else "line"

    def where(self, s: Skipped, path=None) -> str:
        """`FILE:LINE` for a line, `FILE: item N` for an item of a JSON list (FILE: `path` as the user wrote it,
        else the parsed path)."""
        path = self.path if path is None else path
        return f"{path}:{s.line}" if self.unit == "line" else f"{path}: item {s.line}"

    def skipped_by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.skipped:
            key = s.reason.split(":")[0]
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))


# ---- cleaning ------------------------------------------------------------------------------------------

_URL_RE = re.compile(r",?\s*(?:see\s+)?https?://\S+", re.I)
_GROUP_RE = re.compile(r"\s*(\([^()]*\)|\[[^\[\]]*\])")
_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def normalise(s: str) -> str:
    """Lower-case, hyphens and dashes as spaces, straight apostrophes, single spaces (the matching form)."""
    s = s.lower().replace("’", "'").replace("\u00a0", " ")
    s = re.sub(r"[\-\u2010\u2011]", " ", s)
    return _SPACE_RE.sub(" ", s).strip()


def clean_expected(expected: str) -> str:
    """The expected phrase as a suggestion: without "(?)", acronyms "(BP)", notes "[...]" and URLs."""
    s = expected.replace("\u00a0", " ").replace('\\"', '"').strip().strip('"').strip()
    s = _URL_RE.sub("", s)
    prev = None
    while prev != s:  # nested groups
        prev = s
        s = _GROUP_RE.sub("", s)
    s = s.replace("?", " ")
    s = _SPACE_RE.sub(" ", s).strip(" ,;:.")
    return s


def is_uncertain(expected: str) -> bool:
    return "?" in expected


def _words(s: str) -> list[str]:
    return _WORD_RE.findall(normalise(s))


def _contains_seq(hay: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return n > 0 and any(hay[i : i + n] == needle for i in range(len(hay) - n + 1))


def _check_entry(tortured: str, expected: str) -> str | None:
    """Why a (tortured, expected) row is not a usable fingerprint, or None when it is."""
    if not tortured.strip():
        return "malformed: empty tortured phrase"
    if not _words(tortured):
        return "malformed: tortured phrase has no words"
    if not expected.strip():
        return "malformed: empty expected phrase"
    if not clean_expected(expected):
        if "?" in expected:
            return "uncertain: expected phrase unknown ('?')"
        return "malformed: expected phrase is empty once notes are removed"
    # Lists derived from PPS queries sometimes hold the context term itself ("neural network" ->
    # "[neural network] layer outputs"): flagging it would flag correct text.
    if _contains_seq(_words(expected.replace("[", " ").replace("]", " ")), _words(tortured)):
        return "not a fingerprint: the tortured phrase occurs in the expected phrase"
    return None


MAX_COUNT = 2**63 - 1  # SQLite INTEGER: a larger count cannot be stored
# Thousands separators (",", "_", spaces) only between groups of three digits, one kind per number: "42,682"
# and "1 204" are counts, "1,2" is not (it used to become 12). A whole float as exports write it ("3.0",
# pandas) is a count too; "1.000" is not taken (it may mean 1000).
_COUNT_RE = re.compile(r"(-?)(\d{1,3}(?:([,_ \u00a0\u202f])\d{3})(?:\3\d{3})*|\d+)(?:\.0{1,2})?")


def parse_count(s) -> int | None:
    """ "42,682" -> 42682, 3.0 -> 3; "" and None -> None; raises ValueError when not a count (a whole number
    from 0), naming the value."""
    if s is None:
        return None
    if isinstance(s, bool):  # JSON true/false: an int subclass, not a count
        raise ValueError(f"papers count {str(s).lower()} is not a number")
    if isinstance(s, float):
        if not s.is_integer():  # also nan, inf
            raise ValueError(f"papers count {s!r} is not a whole number")
        s = int(s)
    if isinstance(s, int):
        if s < 0:
            raise ValueError(f"papers count {s} is negative")
        if s > MAX_COUNT:
            raise ValueError("papers count is too large")
        return s
    if not isinstance(s, str):
        raise ValueError(f"papers count {str(s)[:40]} is not a number")
    t = s.strip()
    if not t:
        return None
    m = _COUNT_RE.fullmatch(t)
    if not m:
        if re.fullmatch(r"[-+]?[\d,_ .\u00a0\u202f]*\d[\d,_ .\u00a0\u202f]*", t):
            raise ValueError(f"papers count {t[:40]!r} is not a whole number (thousands may be separated only in "
                             "groups of three, as in \"42,682\")")
        raise ValueError(f"papers count {t[:40]!r} is not a number")
    digits = re.sub(r"\D", "", m.group(2))
    if len(digits.lstrip("0")) > 19:  # before int(): Python refuses to convert > 4300 digits
        raise ValueError("papers count is too large")
    return parse_count(-int(digits) if m.group(1) else int(digits))


# ---- PPS query syntax ----------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r'\s*(?:(?P<q>"[^"]*")(?:~(?P<n>\d+))?|(?P<lp>\()|(?P<rp>\))|(?P<w>[^\s()"]+))')
_OPS = {"AND", "OR", "NOT"}


class QueryError(ValueError):
    pass


def _lex(query: str) -> list[tuple[str, str, int | None]]:
    if query.count('"') % 2:
        raise QueryError("unbalanced double quote")
    toks: list[tuple[str, str, int | None]] = []
    pos = 0
    q = query.rstrip()
    while pos < len(q):
        m = _TOKEN_RE.match(q, pos)
        if not m or m.end() == pos:
            raise QueryError(f"cannot read query at {q[pos:pos + 20]!r}")
        pos = m.end()
        if m.group("q") is not None:
            toks.append(("phrase", m.group("q")[1:-1], int(m.group("n")) if m.group("n") else None))
        elif m.group("lp"):
            toks.append(("(", "(", None))
        elif m.group("rp"):
            toks.append((")", ")", None))
        else:
            w = m.group("w")
            toks.append(("op", w, None) if w in _OPS else ("word", w, None))
    return toks


class _QueryParser:
    """or := and (OR and)* ; and := unary ((AND [NOT] | NOT) unary)* ; unary := phrase | words | ( or )"""

    def __init__(self, toks):
        self.toks = toks
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def parse(self):
        node = self.parse_or()
        if self.peek() is not None:
            t = self.peek()
            if t[0] == "word":
                raise QueryError(f"unexpected word {t[1]!r} between terms (expected AND, OR or NOT)")
            if t[0] == "phrase":
                raise QueryError(f'missing operator before "{t[1]}"')
            raise QueryError(f"unexpected {t[1]!r}")
        return node

    def parse_or(self):
        nodes = [self.parse_and()]
        while (t := self.peek()) and t == ("op", "OR", None):
            self.take()
            nodes.append(self.parse_and())
        return nodes[0] if len(nodes) == 1 else ("or", nodes)

    def parse_and(self):
        items = [(False, self.parse_unary())]
        while (t := self.peek()) and t[0] == "op" and t[1] in ("AND", "NOT"):
            self.take()
            neg = t[1] == "NOT"
            if not neg and (n := self.peek()) and n == ("op", "NOT", None):
                self.take()
                neg = True
            items.append((neg, self.parse_unary()))
        return items[0][1] if len(items) == 1 else ("and", items)

    def parse_unary(self):
        t = self.take()
        if t is None:
            raise QueryError("query ends where a term was expected")
        kind, val, prox = t
        if kind == "phrase":
            if not val.strip():
                raise QueryError("empty quoted phrase")
            return ("term", Term(normalise(val), prox), val.strip())
        if kind == "word":
            words = [val]
            while (n := self.peek()) and n[0] == "word":
                words.append(self.take()[1])
            text = " ".join(words)
            if "~" in text:
                raise QueryError(f"fuzzy term {text!r} is not supported")
            prefix = text.endswith("*")
            return ("term", Term(normalise(text.rstrip("*")), None, prefix), text)
        if kind == "(":
            node = self.parse_or()
            if self.take() is None or self.toks[self.i - 1][0] != ")":
                raise QueryError("missing closing parenthesis")
            return node
        raise QueryError(f"unexpected {val!r}")


def _alternatives(node, what: str) -> list:
    """A term or a parenthesised OR of terms -> [term nodes]; anything deeper is too complex."""
    if node[0] == "term":
        return [node]
    if node[0] == "or" and all(n[0] == "term" for n in node[1]):
        return list(node[1])
    raise QueryError(f"{what} is too complex (nested AND inside OR)")


def parse_query(query: str) -> list[tuple[str, Term, tuple[tuple[Term, ...], ...], tuple[Term, ...]]]:
    """A PPS query -> [(display phrase, fingerprint term, require clauses, exclude terms)]."""
    toks = _lex(query)
    if not toks:
        raise QueryError("empty query")
    ast = _QueryParser(toks).parse()
    disjuncts = ast[1] if ast[0] == "or" else [ast]
    out = []
    for d in disjuncts:
        items = d[1] if d[0] == "and" else [(False, d)]
        pos = [n for neg, n in items if not neg]
        neg = [n for neg, n in items if neg]
        if not pos:
            raise QueryError("no positive term")
        heads = _alternatives(pos[0], "the fingerprint")
        require = tuple(tuple(n[1] for n in _alternatives(p, "a context condition")) for p in pos[1:])
        exclude = tuple(n[1] for x in neg for n in _alternatives(x, "a NOT condition"))
        for h in heads:
            term: Term = h[1]
            if term.prefix:
                raise QueryError(f"wildcard fingerprint {h[2]!r} is not supported")
            out.append((h[2], term, require, exclude))
    return out


# ---- file readers ----------------------------------------------------------------------------------------


def _read_text(path: Path, encoding: str | None = None) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise FingerprintFormatError(f"{path}: cannot read: {e.strerror or e}") from None
    if not data:
        return ""  # (said as "no usable row" by the caller)
    from ..decoding import DecodeError, decode_bytes

    try:  # UTF-8 with or without BOM, UTF-16/32, a legacy code page: as every other input is read
        return decode_bytes(data, str(path), encoding=encoding).text
    except DecodeError as e:
        raise FingerprintFormatError(str(e)) from None


def detect_format(path: Path, text: str) -> str:
    """json / pps-csv / tsv from the file name and its first line."""
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" or stripped.startswith(("{", "[")):
        return "json"
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    low = first.lower()
    if "tortured_phrase" in low or "fingerprint - tortured" in low or first.startswith('"""'):
        return "pps-csv"
    return "tsv"


ALTERNATIVE_DROPPED = "alternative dropped"  # one alternative of an OR row refused while the row's others were kept


def _dedupe(result: ParseResult) -> None:
    seen: dict[tuple, int] = {}
    keep = []
    for e in result.entries:
        key = (normalise(e.tortured), e.proximity, e.require, e.exclude)
        if key in seen:
            result.skipped.append(Skipped(e.line, f"duplicate: same fingerprint as {result.unit} {seen[key]}",
                                          e.tortured))
            continue
        seen[key] = e.line
        keep.append(e)
    result.entries = keep


def _add(result: ParseResult, line: int, raw: str, tortured: str, expected: str, papers, keep_uncertain: bool,
         **kw) -> None:
    why = _check_entry(tortured, expected)
    if why:
        result.skipped.append(Skipped(line, why, raw))
        return
    uncertain = is_uncertain(expected)
    if uncertain and not keep_uncertain:
        result.skipped.append(Skipped(line, "uncertain: expected phrase marked with '?'", raw))
        return
    result.entries.append(Entry(tortured.strip(), expected.strip(), papers, uncertain, line=line, **kw))


def parse_json(path: Path, text: str, keep_uncertain: bool = False) -> ParseResult:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise FingerprintFormatError(f"{path}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except RecursionError:  # "[[[[..." deeper than the decoder can go
        raise FingerprintFormatError(f"{path}: invalid JSON: nested too deeply (a list of phrases is an array of "
                                     "objects)") from None
    except ValueError as e:  # e.g. an integer of more than 4,300 digits
        raise FingerprintFormatError(f"{path}: invalid JSON: {e}") from None
    items = data.get("phrases") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise FingerprintFormatError(f"{path}: expected a list of phrases or an object with a \"phrases\" list")
    res = ParseResult(str(path), "json")
    for i, item in enumerate(items, 1):
        raw = json.dumps(item, ensure_ascii=False)[:200]
        if not isinstance(item, dict):
            res.skipped.append(Skipped(i, "malformed: item is not an object", raw))
            continue
        tortured = item.get("tortured", item.get("tortured_phrase"))
        expected = item.get("correct", item.get("expected", item.get("expected_phrase")))
        query = item.get("query")
        has_query = isinstance(query, str) and bool(query.strip())
        if not (isinstance(tortured, str) or has_query) or not isinstance(expected, str):
            res.skipped.append(Skipped(i, "malformed: needs string fields \"tortured\" (or \"query\") and "
                                          "\"correct\"", raw))
            continue
        try:
            papers = parse_count(item.get("num_papers", item.get("papers")))
        except ValueError as e:
            res.skipped.append(Skipped(i, f"malformed: {e}", raw))
            continue
        if has_query:  # our own export keeps PPS conditions here; it overrides "tortured"
            try:
                parsed = parse_query(query)
            except QueryError as e:
                res.skipped.append(Skipped(i, f"malformed query: {e}", raw))
                continue
            for display, term, require, exclude in parsed:
                _add(res, i, raw, display, expected, papers, keep_uncertain, proximity=term.proximity,
                     require=require, exclude=exclude)
            continue
        _add(res, i, raw, tortured, expected, papers, keep_uncertain)
    _dedupe(res)
    return res


def _csv_rows(text: str, delimiter: str):
    """(line, fields, None) per line, or (line, None, Skipped) for a line that cannot be read. Lists hold one row per
    line, so each line is read on its own: a stray '"' opening a field costs that line only (read as one CSV
    text, the field ran on through the following lines, swallowing every row up to the next quote)."""
    for n, line in enumerate(io.StringIO(text, newline=""), 1):
        line = line.rstrip("\r\n") + "\n"
        try:
            row = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error as e:  # e.g. a field over csv's size limit
            yield n, None, Skipped(n, f"malformed: cannot read the line: {e}", line.rstrip("\n")[:200])
            continue
        # a quoted field holds the line end only when its closing quote is missing
        if any("\n" in c for c in row):
            yield n, None, Skipped(n, "malformed: unbalanced double quote (a field opened with '\"' is not closed on "
                                   "its line)", line.rstrip("\n")[:200])
            continue
        yield n, row, None


def _header_map(row: list[str]) -> dict[str, int] | None:
    low = [c.strip().lower() for c in row]
    t = next((i for i, c in enumerate(low) if "tortured" in c or "fingerprint" in c or c == "phrase"), None)
    x = next((i for i, c in enumerate(low) if "expected" in c or "correct" in c), None)
    if t is None or x is None:
        return None
    p = next((i for i, c in enumerate(low) if "paper" in c or "retrieved" in c or c == "docs"), None)
    return {"t": t, "x": x, "p": p}


def parse_pps_csv(path: Path, text: str, keep_uncertain: bool = False) -> ParseResult:
    res = ParseResult(str(path), "pps-csv")
    cols = {"t": 0, "x": 1, "p": 2}
    for n, (line, row, bad) in enumerate(_csv_rows(text, ",")):
        if bad:
            res.skipped.append(bad)
            continue
        if not row or not any(c.strip() for c in row):
            continue
        if n == 0 and (h := _header_map(row)):
            cols = h
            continue
        raw = ",".join(row)[:200]
        if len(row) <= max(cols["t"], cols["x"]):
            res.skipped.append(Skipped(line, f"malformed: {len(row)} column(s), expected tortured,expected,papers",
                                       raw))
            continue
        query, expected = row[cols["t"]], row[cols["x"]]
        try:
            papers = parse_count(row[cols["p"]]) if cols["p"] is not None and cols["p"] < len(row) else None
        except ValueError as e:
            res.skipped.append(Skipped(line, f"malformed: {e}", raw))
            continue
        try:
            parsed = parse_query(query)
        except QueryError as e:
            res.skipped.append(Skipped(line, f"malformed query: {e}", raw))
            continue
        n_entries = len(res.entries)
        refused: list[tuple[str, Skipped]] = []
        for display, term, require, exclude in parsed:
            n_skipped = len(res.skipped)
            _add(res, line, raw, display, expected, papers, keep_uncertain, proximity=term.proximity,
                 require=require, exclude=exclude)
            refused += [(display, s) for s in res.skipped[n_skipped:]]
            del res.skipped[n_skipped:]
        if len(res.entries) > n_entries:  # the row was imported: name what was left out of it
            res.skipped += [Skipped(line, f"{ALTERNATIVE_DROPPED}: \"{display}\" of an OR query ({s.reason})", raw)
                            for display, s in refused]
        else:
            res.skipped += [s for _, s in refused[:1]]  # the row is skipped once, for its first reason
    _dedupe(res)
    return res


def parse_tsv(path: Path, text: str, keep_uncertain: bool = False) -> ParseResult:
    """`tortured<TAB>expected[<TAB>papers]` lines (or comma-separated); '#' comments; optional header."""
    res = ParseResult(str(path), "tsv")
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    delim = "\t" if "\t" in first else ","
    cols = {"t": 0, "x": 1, "p": 2}
    body = "\n".join("" if ln.lstrip().startswith("#") else ln for ln in lines)
    seen_row = False
    headed = False  # a header names the columns; without one a fourth column means the file is something else
    for line, row, bad in _csv_rows(body, delim):
        if bad:
            res.skipped.append(bad)
            continue
        if not row or not any(c.strip() for c in row):
            continue
        if not seen_row:
            seen_row = True
            if h := _header_map(row):
                cols, headed = h, True
                continue
        raw = (delim.join(row))[:200]
        if len(row) <= max(cols["t"], cols["x"]) or (not headed and len(row) > 3):
            sep = "TAB" if delim == "\t" else "comma"
            res.skipped.append(Skipped(line, f"malformed: {len(row)} column(s), expected tortured<{sep}>expected"
                                             f"[<{sep}>papers] (a header row names other columns)", raw))
            continue
        try:
            papers = parse_count(row[cols["p"]]) if cols["p"] is not None and cols["p"] < len(row) else None
        except ValueError as e:
            res.skipped.append(Skipped(line, f"malformed: {e}", raw))
            continue
        _add(res, line, raw, row[cols["t"]], row[cols["x"]], papers, keep_uncertain)
    _dedupe(res)
    return res


def parse_file(path: str | Path, fmt: str = "auto", keep_uncertain: bool = False,
               encoding: str | None = None) -> ParseResult:
    """Parse a list file in `fmt` (auto/json/pps-csv/tsv), read as every input is (UTF-8/UTF-16 or detected),
    or strictly in `encoding` when given."""
    path = Path(path)
    if path.is_dir():
        raise FingerprintFormatError(f"{path}: is a directory, expected a list file")
    text = _read_text(path, encoding)
    if not text.strip():
        raise FingerprintFormatError(f"{path}: file is empty")
    if fmt == "auto":
        fmt = detect_format(path, text)
    try:
        if fmt == "json":
            res = parse_json(path, text, keep_uncertain)
        elif fmt == "pps-csv":
            res = parse_pps_csv(path, text, keep_uncertain)
        elif fmt == "tsv":
            res = parse_tsv(path, text, keep_uncertain)
        else:
            raise FingerprintFormatError(f"{path}: unknown format {fmt!r} (use one of auto, {', '.join(FORMATS)})")
    except FingerprintFormatError as e:
        msg = str(e)
        raise FingerprintFormatError(msg if msg.startswith(str(path)) else f"{path}: {msg}") from None
    res.skipped.sort(key=lambda s: s.line)
    return res
