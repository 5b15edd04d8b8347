"""The crash-safe result store of a screening run: one SQLite database, `DIR/state.sqlite`.

Each batch of results is one transaction (WAL journal, synchronous=FULL), so a run killed at any moment —
even with SIGKILL — leaves every committed document exactly once and nothing half-written; documents of an
uncommitted batch are simply screened again on the next run. The table's primary key is the document id,
which makes "exactly once" a database invariant rather than a hope. `export_parquet` turns the store into
results.parquet / findings.parquet atomically (temporary file + rename).
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from pathlib import Path

from ..knowledge.paths import process_alive
from ..readers import SCREEN_MARKER, safe_str

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    id TEXT PRIMARY KEY, seq INTEGER, source TEXT, words INTEGER, spin_score REAL, verdict TEXT,
    n_findings INTEGER, n_suspects INTEGER, listed_hits INTEGER, top_phrases TEXT, error TEXT, notes TEXT,
    stage TEXT, encoding TEXT, committed REAL
);
CREATE TABLE IF NOT EXISTS findings (
    doc_id TEXT, idx INTEGER, start INTEGER, "end" INTEGER, text TEXT, phrase TEXT, suggestions TEXT,
    confidence REAL, evidence TEXT, source TEXT, rule_id TEXT, detail TEXT, level TEXT, PRIMARY KEY (doc_id, idx)
);
CREATE INDEX IF NOT EXISTS findings_phrase ON findings (phrase);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS row_files (source TEXT PRIMARY KEY, id_field TEXT);
"""


STORE_VERSION = 2  # 2: findings carry source, rule_id, detail, level (wire schema 2); results n_suspects,
# stage, encoding


MARKER_TEXT = ("This directory is the output of `unspin screen`; unspin's folder walks do not enter it, so its "
               "results, reports and summary are never screened as documents.\n")


_ARTICLE = re.compile(r"(?i)an? ")


def _without_article(text: str) -> str:
    return text[_ARTICLE.match(text).end():] if _ARTICLE.match(text) else text


def phrase_key(text: str, suggestions) -> str:
    """What the summary's phrase table groups a finding under: its text in lower case, without the article a
    finding takes in when the suggestion needs the other one ("an irregular woodland" → "a random forest" is the
    phrase "irregular woodland", as where the article already fitted)."""
    key = text.lower()
    if suggestions and _ARTICLE.match(key) and _ARTICLE.match(suggestions[0]):
        return _without_article(key)
    return key


class StoreVersionError(RuntimeError):
    pass


class StoreBusyError(RuntimeError):
    """Another run holds the output directory's lock."""


_HELD: set[int] = set()  # lock file descriptors this process holds


def _close_held_in_child() -> None:
    """In a forked child (a worker process): close the inherited lock descriptors. The lock belongs to the run's
    process; a worker outliving a killed parent by a moment must not keep the next run out."""
    for fd in _HELD:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_in_child)


def _lock(marker: Path) -> int | None:
    """Open the marker file (writing it if new) and take an exclusive, non-blocking flock on it; returns the
    descriptor. Raises StoreBusyError naming the directory (and the holder's process id) when another run holds
    it. Where flock is unavailable (not POSIX, a file system without locks) the run goes on unlocked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        if not marker.exists():
            marker.write_text(MARKER_TEXT)
        return None
    fd = os.open(marker, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        os.close(fd)
        m = re.search(r"process (\d+)", holder)
        who = f"another unspin screen run (process {m.group(1)})" if m else "another unspin screen run"
        raise StoreBusyError(f"{marker.parent}: in use by {who}; nothing was done - wait for that run to end, or "
                             "screen into another --out") from None
    except OSError:  # e.g. ENOLCK on a network file system: go on without the lock
        pass
    text = (MARKER_TEXT + f"Last run: process {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}; a run "
            "holds a lock on this file while it runs.\n").encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, text, 0)
    _HELD.add(fd)
    return fd


def _unlock(fd: int | None) -> None:
    if fd is None:
        return
    _HELD.discard(fd)
    try:
        os.close(fd)  # closing the last descriptor of the open file releases the flock
    except OSError:
        pass


def _safe(value):
    """`value` with surrogates in its strings (also inside lists) escaped (readers.safe_str): SQLite cannot
    encode them, and in JSON columns json.loads would bring them back for the Parquet export to choke on. A
    non-UTF-8 file name, a binary CSV's header in an error message or a lone "\\ud800" from JSON carry them."""
    if isinstance(value, str):
        return safe_str(value)
    if isinstance(value, (list, tuple)):
        return [_safe(v) for v in value]
    return value


_TEMP_OF_PID = re.compile(r"\.tmp(\d+)$")


_TEMP_HOMES = ("reports", "spinners")  # output-only folders; at the top only the outputs' own temporaries
_TOP_TEMPS = ("results.parquet", "findings.parquet", "summary.html")


def sweep_stale_temps(out_dir: Path) -> int:
    """Remove the half-written files (`NAME.tmpPID`) of runs that were killed before they could rename or delete
    them (kill -9 during an export); a file of a process still running is left alone. Only the names a run
    writes: --out may hold other files. Returns how many."""
    n = 0
    paths = [p for name in _TOP_TEMPS for p in out_dir.glob(f"{name}.tmp*")]
    paths += [p for home in _TEMP_HOMES for p in (out_dir / home).glob("*.tmp*")]
    for path in paths:
        m = _TEMP_OF_PID.search(path.name)
        if m and int(m.group(1)) != os.getpid() and not process_alive(int(m.group(1))) and path.is_file():
            path.unlink(missing_ok=True)
            n += 1
    return n


class Store:
    def __init__(self, out_dir: str | os.PathLike):
        self.dir = Path(out_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        # the marker: folder walks never enter a directory holding it (readers.is_screen_output); and the lock,
        # taken before anything else is touched: one run at a time writes a directory
        self.marker = self.dir / SCREEN_MARKER
        self._lock_fd = _lock(self.marker)
        try:
            self.path = self.dir / "state.sqlite"
            self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
            self._check_version()
            sweep_stale_temps(self.dir)
        except BaseException:
            _unlock(self._lock_fd)
            raise

    def _check_version(self) -> None:
        """Refuse to resume a run written with another table layout (its rows could not be read back)."""
        have = self.get_meta("store_version")
        if have is None:
            cols = {r[1] for r in self.db.execute("PRAGMA table_info(findings)")}
            if "rule" in cols:
                have = 1
            else:
                self.set_meta("store_version", STORE_VERSION)
                return
        if have != STORE_VERSION:
            self.db.close()
            raise StoreVersionError(f"{self.path}: written by another version of unspin (result store "
                                    f"{have}, this one writes {STORE_VERSION}); screen into a new --out directory")

    def close(self) -> None:
        self.db.close()
        _unlock(self._lock_fd)
        self._lock_fd = None

    # -- meta
    def get_meta(self, key: str, default=None):
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    # -- results
    def done_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT id FROM results")}

    def forget_errors(self) -> int:
        """Drop the error rows so that their documents are screened again; returns how many."""
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        n = cur.execute("DELETE FROM results WHERE error IS NOT NULL").rowcount
        cur.execute("COMMIT")
        return n

    def error_sources(self) -> dict[str, str]:
        """{id: source} of the error rows."""
        return dict(self.db.execute("SELECT id, source FROM results WHERE error IS NOT NULL"))

    def result_ids_of(self, source: str) -> list[str]:
        """The ids of the results (not error rows) of the documents of `source`."""
        return [r[0] for r in self.db.execute("SELECT id FROM results WHERE source=? AND error IS NULL",
                                              (_safe(source),))]

    def drop(self, ids: list[str]) -> int:
        """Delete these documents (and their findings) in one transaction; returns how many were there."""
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            n = 0
            for i in ids:
                n += cur.execute("DELETE FROM results WHERE id=?", (i,)).rowcount
                cur.execute("DELETE FROM findings WHERE doc_id=?", (i,))
            cur.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                cur.execute("ROLLBACK")
            raise
        return n

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM results").fetchone()[0]

    # -- the --id-field each row file (JSONL, CSV, Parquet) was screened with; NULL: path#row ids
    def row_file_id_fields(self) -> dict[str, str | None]:
        return dict(self.db.execute("SELECT source, id_field FROM row_files"))

    def rekey(self, moves: list[tuple[str, str]], drops: list[str], source: str, id_field: str | None) -> None:
        """In one transaction: delete `drops`, give the results `moves` names (old id, new id) their new ids (with
        their findings) and record `source` as keyed by `id_field`. New ids must be free once `drops` and the
        moved ids are gone; two rows may swap ids."""
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for i in drops:
                cur.execute("DELETE FROM results WHERE id=?", (i,))
                cur.execute("DELETE FROM findings WHERE doc_id=?", (i,))
            # through temporary ids: a new id may be another row's old one
            for step in ((0, 1), (1, 2)):
                for old, new in moves:
                    names = (old, "\x00rekey\x00" + new, new)
                    a, b = names[step[0]], names[step[1]]
                    cur.execute("UPDATE results SET id=? WHERE id=?", (b, a))
                    cur.execute("UPDATE findings SET doc_id=? WHERE doc_id=?", (b, a))
            cur.execute("INSERT OR REPLACE INTO row_files VALUES (?, ?)", (source, id_field))
            cur.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                cur.execute("ROLLBACK")
            raise

    def record_row_files(self, row_files: dict[str, str | None]) -> None:
        """Record {source: id field} for row files seen for the first time, in one transaction."""
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            cur.executemany("INSERT OR REPLACE INTO row_files VALUES (?, ?)",
                            [(_safe(src), fld) for src, fld in row_files.items()])
            cur.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                cur.execute("ROLLBACK")
            raise

    def commit(self, items: list[tuple[int, dict, list[dict]]]) -> int:
        """Store a batch atomically; a document already stored is ignored (with its findings). Returns the
        number of new documents."""
        if not items:
            return 0
        now = time.time()
        new = 0
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for seq, r, frows in items:
                r = {k: _safe(v) for k, v in r.items()}
                frows = [{k: _safe(v) for k, v in f.items()} for f in frows]
                cur.execute(
                    "INSERT OR IGNORE INTO results VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (r["id"], seq, r["source"], r["words"], r["spin_score"], r["verdict"], r["n_findings"],
                     r["n_suspects"], r["listed_hits"], json.dumps(r["top_phrases"]), r["error"],
                     json.dumps(r["notes"]), r["stage"], r["encoding"], now),
                )
                if cur.rowcount != 1:
                    continue
                new += 1
                cur.executemany(
                    'INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
                    [(f["doc_id"], i, f["start"], f["end"], f["text"], phrase_key(f["text"], f["suggestions"]),
                      json.dumps(f["suggestions"]),
                      f["confidence"], json.dumps(f["evidence"]), f["source"], f["rule_id"], f["detail"], f["level"])
                     for i, f in enumerate(frows)],
                )
            cur.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:  # SQLite already rolled back a COMMIT that failed (e.g. disk full)
                cur.execute("ROLLBACK")
            raise
        return new

    # -- queries for the summary
    def stats(self) -> dict:
        q = self.db.execute
        total, errors, words, findings, listed = q(
            "SELECT count(*), sum(error IS NOT NULL), coalesce(sum(words),0), coalesce(sum(n_findings),0), "
            "coalesce(sum(listed_hits > 0),0) FROM results").fetchone()
        verdicts = dict(q("SELECT verdict, count(*) FROM results GROUP BY verdict").fetchall())
        with_findings = q("SELECT count(*) FROM results WHERE n_findings > 0").fetchone()[0]
        cleared = q("SELECT count(*) FROM results WHERE verdict = 'clean' AND stage = 'screen'").fetchone()[0]
        return {"documents": total, "errors": errors or 0, "words": words, "findings": findings,
                "docs_with_listed_hits": listed, "docs_with_findings": with_findings, "verdicts": verdicts,
                "cleared_by_first_stage": cleared}

    def scores(self) -> list[float]:
        return [r[0] for r in self.db.execute("SELECT spin_score FROM results WHERE spin_score IS NOT NULL")]

    # what top_documents orders by, in words (summary.html's caption says it)
    TOP_ORDER = ("verdict <code>spun</code> first; then documents with findings (listed hits included), even "
                 "those without a spin score (short texts); then by spin score, highest first (no score last); "
                 "then by listed hits and findings, most first")

    def top_documents(self, n: int) -> list[dict]:
        """The `n` most suspicious documents (TOP_ORDER): a spun short text with listed tortured phrases and no
        spin score ranks above a clean text that merely has a score."""
        rows = self.db.execute(
            "SELECT id, source, words, spin_score, verdict, n_findings, listed_hits, top_phrases FROM results "
            "WHERE error IS NULL AND (n_findings > 0 OR listed_hits > 0 OR spin_score > 0) "
            "ORDER BY verdict = 'spun' DESC, (n_findings > 0 OR listed_hits > 0) DESC, spin_score IS NULL, "
            "spin_score DESC, listed_hits DESC, n_findings DESC, seq, id LIMIT ?", (n,)).fetchall()
        keys = ("id", "source", "words", "spin_score", "verdict", "n_findings", "listed_hits", "top_phrases")
        out = []
        for r in rows:
            d = dict(zip(keys, r))
            d["top_phrases"] = json.loads(d["top_phrases"])
            out.append(d)
        return out

    def errors(self, n: int) -> list[tuple[str, str]]:
        return self.db.execute("SELECT id, error FROM results WHERE error IS NOT NULL ORDER BY seq, id LIMIT ?",
                               (n,)).fetchall()

    def top_phrases(self, n: int) -> list[dict]:
        """The `n` phrases flagged at `finding` level in the most documents (then the most often, then the
        surest), each with its commonest first suggestion. Borderline suspects are left out: the summary's
        counts are of findings, and a phrase seen once as a suspect is no pattern of the corpus."""
        rows = self.db.execute(
            "SELECT phrase, count(*), count(DISTINCT doc_id), avg(confidence), "
            "sum(source = 'list') FROM findings WHERE level = 'finding' GROUP BY phrase "
            "ORDER BY 3 DESC, 2 DESC, 4 DESC, phrase LIMIT ?",
            (n,)).fetchall()
        out = []
        for phrase, count, docs, conf, listed in rows:
            sugg: dict[str, int] = {}
            for (s,) in self.db.execute("SELECT suggestions FROM findings WHERE phrase=? AND level = 'finding' "
                                        "LIMIT 500", (phrase,)):
                lst = json.loads(s)
                if lst:
                    first = _without_article(lst[0]) if _without_article(phrase) == phrase else lst[0]
                    sugg[first] = sugg.get(first, 0) + 1
            best = min(sugg.items(), key=lambda kv: (-kv[1], kv[0]))[0] if sugg else ""  # ties: alphabetical
            out.append({"phrase": phrase, "count": count, "documents": docs, "confidence": conf or 0.0,
                        "listed": listed or 0, "suggestion": best})
        return out

    def findings_of(self, doc_id: str) -> list[dict]:
        rows = self.db.execute(
            'SELECT start, "end", text, suggestions, confidence, evidence, source, rule_id, detail, level '
            'FROM findings WHERE doc_id=? '
            "ORDER BY idx", (doc_id,)).fetchall()
        return [{"start": s, "end": e, "text": t, "suggestions": json.loads(sg), "confidence": c,
                 "evidence": json.loads(ev), "source": so, "rule_id": ri, "detail": de, "level": lv}
                for s, e, t, sg, c, ev, so, ri, de, lv in rows]

    def result_of(self, doc_id: str) -> dict | None:
        row = self.db.execute("SELECT id, source, words, spin_score, verdict, notes FROM results WHERE id=?",
                              (doc_id,)).fetchone()
        if not row:
            return None
        return dict(zip(("id", "source", "words", "spin_score", "verdict", "notes"), row[:5] + (json.loads(row[5]),)))

    # -- export
    def export_parquet(self, chunk: int = 50_000) -> tuple[Path, Path]:
        import pyarrow as pa

        lst = pa.list_(pa.string())
        rschema = pa.schema([("id", pa.string()), ("source", pa.string()), ("words", pa.int64()),
                             ("spin_score", pa.float64()), ("verdict", pa.string()), ("n_findings", pa.int64()),
                             ("n_suspects", pa.int64()), ("listed_hits", pa.int64()), ("top_phrases", lst),
                             ("error", pa.string()), ("notes", lst), ("stage", pa.string()),
                             ("encoding", pa.string())])
        fschema = pa.schema([("doc_id", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
                             ("text", pa.string()), ("suggestions", lst), ("confidence", pa.float64()),
                             ("evidence", lst), ("source", pa.string()),
                             ("rule_id", pa.string()), ("detail", pa.string()), ("level", pa.string())])
        results = self.dir / "results.parquet"
        findings = self.dir / "findings.parquet"
        self._export(results, rschema, chunk,
                     "SELECT id, source, words, spin_score, verdict, n_findings, n_suspects, listed_hits, top_phrases, "
                     "error, notes, stage, encoding FROM results ORDER BY seq, id", json_cols=(8, 10))
        self._export(findings, fschema, chunk,
                     'SELECT f.doc_id, f.start, f."end", f.text, f.suggestions, f.confidence, f.evidence, f.source, f.rule_id, '
                     'f.detail, f.level '
                     "FROM findings f JOIN results r ON r.id = f.doc_id ORDER BY r.seq, r.id, f.idx",
                     json_cols=(4, 6))
        return results, findings

    def _export(self, path: Path, schema, chunk: int, sql: str, json_cols: tuple[int, ...]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        cur = self.db.execute(sql)
        try:
            with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
                while True:
                    rows = cur.fetchmany(chunk)
                    if not rows:
                        break
                    cols = list(zip(*rows))
                    cols = [[json.loads(v) for v in c] if i in json_cols else list(c) for i, c in enumerate(cols)]
                    writer.write_table(pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(cols, schema)],
                                                            schema=schema))
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)  # e.g. disk full: leave no partial file behind
            raise
