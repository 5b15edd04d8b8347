"""The trace index: one SQLite file (WAL mode) holding documents, paragraph texts and MinHash signatures,
plus datasketch MinHashLSH tables — in memory (rebuilt from the stored signatures when a process first
queries) or in Redis (``lsh_storage="redis://host:port/db"``, shared by every process and machine).

SQLite is the source of truth. Adds and removes are transactions; WAL lets `trace` read a consistent
snapshot while `index add` writes. Every change bumps a generation counter so that a long-lived reader
(`check --index`, the server) notices and refreshes its in-memory LSH. With Redis, the tables are checked
against SQLite when opened and repaired if an earlier add/remove was interrupted between the two stores.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .features import Featurizer, Sig, blob_to_sig, segment, sig_to_blob, text_hash

DB_NAME = "trace.sqlite"
FORMAT_VERSION = 1
KINDS = ("skeleton", "restored")
DEFAULTS = {"num_perm": 64, "k": 3, "lsh_threshold": 0.3, "features": ["skeleton"], "thesaurus": ["moby"]}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source TEXT,
    text TEXT NOT NULL,
    sha1 TEXT NOT NULL,
    words INTEGER NOT NULL,
    added REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS paragraphs (
    para_key INTEGER PRIMARY KEY,
    doc_key INTEGER NOT NULL REFERENCES documents(doc_key) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS paragraphs_doc ON paragraphs(doc_key);
CREATE INDEX IF NOT EXISTS documents_sha1 ON documents(sha1);
CREATE TABLE IF NOT EXISTS signatures (
    para_key INTEGER NOT NULL REFERENCES paragraphs(para_key) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    sig BLOB NOT NULL,
    PRIMARY KEY (para_key, kind)
) WITHOUT ROWID;
"""


class IndexError_(ValueError):
    """A trace index that cannot be opened or used (message names the directory and the problem)."""


@dataclass(slots=True)
class Paragraph:
    para_key: int
    doc_id: str
    source: str | None
    ordinal: int  # 1-based paragraph number within its document
    start: int
    end: int
    text: str  # the paragraph text (document text[start:end])


@dataclass(slots=True)
class AddStats:
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    paragraphs: int = 0
    errors: list | None = None
    seconds: float = 0.0
    # (new id, id already indexed) of texts the index holds word for word under another id ("src/a.txt" added
    # again as "./src/a.txt"): not added twice, or every trace would list the same source twice
    same_text: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"added": self.added, "replaced": self.replaced, "unchanged": self.unchanged,
                "paragraphs": self.paragraphs, "errors": list(self.errors or []),
                "same_text": [list(p) for p in self.same_text], "seconds": round(self.seconds, 3)}


def parse_redis_url(url: str) -> dict:
    from urllib.parse import urlparse

    u = urlparse(url)
    if u.scheme != "redis" or not u.hostname:
        raise IndexError_(f"--lsh-storage {url!r}: expected redis://host:port[/db]")
    db = int(u.path.strip("/") or 0) if u.path.strip("/").isdigit() or not u.path.strip("/") else None
    if db is None:
        raise IndexError_(f"--lsh-storage {url!r}: the database must be a number (redis://host:port/0)")
    cfg = {"host": u.hostname, "port": u.port or 6379, "db": db}
    if u.password:
        cfg["password"] = u.password
    return cfg


def _check_new_settings(directory: Path, lsh_storage, features) -> list[str]:
    """The feature kinds of a new index, after checking them and the LSH storage URL (IndexError_ if wrong)."""
    feats = list(features) if features else list(DEFAULTS["features"])
    bad = [f for f in feats if f not in KINDS]
    if bad or not feats:
        raise IndexError_(f"{directory}: unknown feature kind(s) {bad} (choose from {', '.join(KINDS)})")
    if lsh_storage:
        parse_redis_url(lsh_storage)
    return feats


_TABLES = frozenset({"meta", "documents", "paragraphs", "signatures"})


def _connect_read_only(path: Path, probe: str = "SELECT count(*) FROM meta") -> sqlite3.Connection:
    """The index database opened for reading only. A WAL database needs its -shm file to be read; where that
    cannot be made (a read-only directory), `immutable` reads the file as it is (nobody can write it there)."""
    base = path.resolve().as_uri()
    for query in ("mode=ro", "immutable=1"):
        db = sqlite3.connect(f"{base}?{query}", uri=True, timeout=60, isolation_level=None, check_same_thread=False)
        try:
            db.execute(probe).fetchone()
            return db
        except sqlite3.OperationalError:
            db.close()
        except sqlite3.DatabaseError:
            db.close()
            raise
    raise sqlite3.DatabaseError("cannot be opened for reading")


class TraceIndex:
    """A trace index directory. `TraceIndex(dir, create=True)` makes one; otherwise it must exist."""

    def __init__(self, directory, create: bool = False, lsh_storage: str | None = None,
                 features: Iterable[str] | None = None, featurizer: Featurizer | None = None,
                 restore_fn=None):
        self.dir = Path(directory)
        self.db_path = self.dir / DB_NAME
        if self.dir.exists() and not self.dir.is_dir():
            raise IndexError_(f"{self.dir}: not a trace index: it is a file, and an index is a directory "
                              f"(`unspin index add FILES --index DIR` makes one; give another DIR)")
        if not self.db_path.exists():
            if not create:
                raise IndexError_(f"{self.dir}: not a trace index (no {DB_NAME}; create one with "
                                  f"`unspin index add FILES --index {self.dir}`)")
            _check_new_settings(self.dir, lsh_storage, features)  # before anything is made: a refused index
            try:  # leaves nothing behind
                self.dir.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise IndexError_(f"{self.dir}: cannot create the index directory ({e.strerror or e})") from None
        elif not self.db_path.is_file():
            raise IndexError_(f"{self.db_path}: not a trace index (not a regular file)")
        # an index on read-only media (a shared volume, a CD, a mount for readers only) is still searched: opened
        # read-only, without the WAL switch and schema script that need to write
        self.read_only = not create and not os.access(self.dir, os.W_OK)
        try:
            # only `index add` (create) makes tables: any other use finds unspin's index there or refuses the file
            # untouched (a reader that ran the schema script wrote unspin's tables into an empty or foreign file)
            self._check_is_index(create)
            if self.read_only:
                self.db = _connect_read_only(self.db_path)
            else:
                self.db = sqlite3.connect(self.db_path, timeout=60, isolation_level=None, check_same_thread=False)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA foreign_keys=ON")
                self.db.execute("PRAGMA synchronous=NORMAL")
                if create:
                    self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as e:
            raise IndexError_(f"{self.db_path}: not a usable SQLite database ({e})") from None
        self.meta = self._load_meta(lsh_storage, features, create)
        self.features = tuple(self.meta["features"])
        self._featurizer = featurizer
        self._restore_fn = restore_fn
        self._lsh: dict[str, object] | None = None
        self._lsh_generation = -1
        self.lock = threading.RLock()  # callers sharing one index across threads serialise on it

    def _check_is_index(self, create: bool) -> None:
        """Refuse (IndexError_ naming the file and the problem) a trace.sqlite that is not an unspin trace index:
        an empty file, a damaged one, another application's SQLite database, an index of another format. Only
        `create` (index add) accepts an empty file or an SQLite database without tables, to make the index in
        it. Nothing is written: the file is only read."""
        path = self.db_path
        if create and not path.exists():
            return  # a new index
        if path.stat().st_size == 0:
            if create:
                return
            raise IndexError_(f"{path}: not a trace index: the file is empty (0 bytes); `unspin index add FILES "
                              f"--index {self.dir}` builds an index in it")
        try:
            if os.access(self.dir, os.W_OK):
                # (a plain connection that only reads: a read-only one would leave WAL sidecar files behind)
                db = sqlite3.connect(path, timeout=60, isolation_level=None)
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            else:
                db = _connect_read_only(path, probe="SELECT count(*) FROM sqlite_master")
        except sqlite3.DatabaseError as e:
            raise IndexError_(f"{path}: not a usable SQLite database ({e})") from None
        try:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables and create:
                return
            missing = sorted(_TABLES - tables)
            if missing:
                if not tables:
                    what = "an SQLite database without tables"
                elif len(missing) == len(_TABLES):
                    names = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
                    what = f"an SQLite database of something else (tables {names})"
                else:
                    what = f"an incomplete index (table {', '.join(missing)} missing)"
                raise IndexError_(f"{path}: not an unspin trace index: {what}; give the directory of an index "
                                  "built by `unspin index add`")
            row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
            try:
                version = json.loads(row[0]) if row else None
            except (TypeError, ValueError):
                version = row[0]
            if version is None:
                if create and not db.execute("SELECT 1 FROM documents LIMIT 1").fetchone():
                    return  # (an `index add` that stopped before writing its settings: nothing in it yet)
                raise IndexError_(f"{path}: not a usable trace index: its settings (table meta) are missing; "
                                  "rebuild it with `unspin index add`")
            if version != FORMAT_VERSION:
                raise IndexError_(f"{path}: index format {version} is not supported (this unspin reads format "
                                  f"{FORMAT_VERSION}); rebuild it with `unspin index add` into a new directory")
        except sqlite3.DatabaseError as e:
            raise IndexError_(f"{path}: not a usable SQLite database ({e})") from None
        finally:
            db.close()

    # ---- configuration ------------------------------------------------------------------------------
    def _load_meta(self, lsh_storage, features, create: bool = True) -> dict:
        rows = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        if not rows and not create:  # (checked on open; another process may have emptied it since)
            raise IndexError_(f"{self.db_path}: not a usable trace index: its settings (table meta) are missing")
        if not rows:
            feats = _check_new_settings(self.dir, lsh_storage, features)
            meta = dict(DEFAULTS, features=feats, version=FORMAT_VERSION, uuid=uuid.uuid4().hex,
                        created=time.time(), generation=0, lsh_storage=lsh_storage)
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                for k, v in meta.items():
                    self.db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (k, json.dumps(v)))
            rows = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        meta = {k: json.loads(v) for k, v in rows.items()}
        if meta.get("version") != FORMAT_VERSION:
            raise IndexError_(f"{self.dir}: index format {meta.get('version')} is not supported "
                              f"(this unspin reads format {FORMAT_VERSION}); rebuild it")
        if features and list(features) != list(meta["features"]):
            raise IndexError_(f"{self.dir}: the index was built with features {meta['features']}; "
                              f"it cannot switch to {list(features)} (make a new index)")
        if lsh_storage:
            parse_redis_url(lsh_storage)
            meta["lsh_storage"] = lsh_storage  # this process uses it (e.g. a redis server that moved)
        return meta

    def _generation(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(json.loads(row[0])) if row else 0

    def _bump(self) -> None:
        self.db.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key='generation'")

    @property
    def featurizer(self) -> Featurizer:
        if self._featurizer is None:
            from ..knowledge import thesaurus

            th = thesaurus.load(tuple(self.meta["thesaurus"]), progress=False)
            self._featurizer = Featurizer(th, k=self.meta["k"], num_perm=self.meta["num_perm"])
        return self._featurizer

    def restore_text(self, text: str) -> str:
        if self._restore_fn is None:
            raise IndexError_(f"{self.dir}: this index shingles restored text (feature kind 'restored'); open it "
                              "with restore_fn=... (the CLI passes unspin.restore)")
        return self._restore_fn(text)

    def signatures_of(self, text: str) -> dict[str, np.ndarray]:
        """The MinHash signature of `text` for each feature kind of this index (kinds with no shingles are
        left out)."""
        f = self.featurizer
        out = {}
        for kind in self.features:
            src = self.restore_text(text) if kind == "restored" else text
            sig = f.signature(f.shingles(src, kind))
            if sig is not None:
                out[kind] = sig
        return out

    # ---- LSH tables -----------------------------------------------------------------------------------
    def _new_lsh(self, kind: str):
        from datasketch import MinHashLSH

        storage = None
        if self.meta.get("lsh_storage"):
            storage = {"type": "redis", "basename": f"unspin:{self.meta['uuid']}:{kind}".encode(),
                       "redis": parse_redis_url(self.meta["lsh_storage"])}
        try:
            return MinHashLSH(threshold=self.meta["lsh_threshold"], num_perm=self.meta["num_perm"],
                              storage_config=storage)
        except Exception as e:  # redis unreachable, bad config
            raise IndexError_(f"{self.dir}: cannot open LSH storage {self.meta.get('lsh_storage')}: {e}") from None

    def _ensure_lsh(self) -> dict:
        gen = self._generation()
        if self._lsh is not None and gen == self._lsh_generation:
            return self._lsh
        lsh = {kind: self._new_lsh(kind) for kind in self.features}
        redis = bool(self.meta.get("lsh_storage"))
        for kind, table in lsh.items():
            rows = self.db.execute("SELECT para_key, sig FROM signatures WHERE kind=?", (kind,))
            if redis:
                self._sync_redis(table, kind, rows)
            else:
                with table.insertion_session(buffer_size=100_000) as session:
                    for key, blob in rows:
                        session.insert(key, Sig(blob_to_sig(blob)), check_duplication=False)
        self._lsh, self._lsh_generation = lsh, gen
        return lsh

    def _sync_redis(self, table, kind: str, rows) -> None:
        """Make the Redis tables hold exactly the signatures in SQLite (repairs interrupted writes)."""
        import pickle

        try:
            n_redis = table.keys.size()
        except Exception as e:
            raise IndexError_(f"{self.dir}: cannot reach LSH storage {self.meta['lsh_storage']}: {e}") from None
        n_sql = self.db.execute("SELECT COUNT(*) FROM signatures WHERE kind=?", (kind,)).fetchone()[0]
        if n_redis == n_sql:
            return
        have = {pickle.loads(k) for k in table.keys.keys()}
        want = dict(rows.fetchall())
        for key in have - set(want):
            table.remove(key)
        with table.insertion_session() as session:
            for key in set(want) - have:
                session.insert(key, Sig(blob_to_sig(want[key])), check_duplication=False)

    def candidates(self, sigs: dict[str, np.ndarray]) -> set[int]:
        """Paragraph keys whose signatures collide with `sigs` in some LSH band."""
        lsh = self._ensure_lsh()
        out: set[int] = set()
        for kind, sig in sigs.items():
            if kind in lsh:
                out.update(lsh[kind].query(Sig(sig)))
        return out

    def estimated_jaccard(self, sigs: dict[str, np.ndarray], keys: Iterable[int]) -> dict[int, float]:
        """MinHash Jaccard estimate (best over feature kinds) between `sigs` and stored paragraphs."""
        keys = list(keys)
        out = {k: 0.0 for k in keys}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            q = ",".join("?" * len(chunk))
            for key, kind, blob in self.db.execute(
                    f"SELECT para_key, kind, sig FROM signatures WHERE para_key IN ({q})", chunk):
                if kind in sigs:
                    j = float(np.mean(blob_to_sig(blob) == sigs[kind]))
                    if j > out[key]:
                        out[key] = j
        return out

    # ---- writing -------------------------------------------------------------------------------------
    def add(self, documents: Iterable, batch: int = 200, on_error=None, progress=None) -> AddStats:
        """Add documents (objects with id, source, text, error). A document whose id is already indexed is
        replaced when its text changed and skipped when not. Documents with `error` set are reported through
        `on_error(doc)` and in the returned stats; they never stop the batch."""
        if self.read_only:
            raise IndexError_(f"{self.dir}: the index directory is not writable (searching it works; adding needs "
                              "write access)")
        t0 = time.time()
        stats = AddStats(errors=[])
        pending: list = []

        def flush():
            if pending:
                self._write(pending, stats)
                pending.clear()

        for doc in documents:
            if getattr(doc, "error", None) or doc.text is None:
                msg = doc.error or f"{doc.source}: no text"
                stats.errors.append({"id": doc.id, "source": doc.source, "error": msg})
                if on_error:
                    on_error(doc)
                continue
            pending.append((doc, self._prepare(doc)))
            if len(pending) >= batch:
                flush()
                if progress:
                    progress(stats)
        flush()
        stats.seconds = time.time() - t0
        return stats

    def _prepare(self, doc):
        """Paragraph split and signatures, computed outside the write transaction."""
        text = doc.text
        paras = []
        for seg in segment(text):
            paras.append((seg.start, seg.end, self.signatures_of(text[seg.start : seg.end])))
        return paras

    def _write(self, items, stats: AddStats) -> None:
        lsh_inserts: list[tuple[str, int, np.ndarray]] = []
        lsh_removes: list[tuple[str, int]] = []
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            gen_before = self._generation()
            for doc, paras in items:
                sha = text_hash(doc.text)
                row = db.execute("SELECT doc_key, sha1 FROM documents WHERE id=?", (doc.id,)).fetchone()
                if row and row[1] == sha:
                    stats.unchanged += 1
                    continue
                if row:
                    lsh_removes.extend(self._delete_doc(row[0]))
                    stats.replaced += 1
                else:
                    twin = db.execute("SELECT id FROM documents WHERE sha1=? LIMIT 1", (sha,)).fetchone()
                    if twin:
                        stats.same_text.append((doc.id, twin[0]))
                        continue
                    stats.added += 1
                words = sum(1 for _ in doc.text.split())
                cur = db.execute("INSERT INTO documents (id, source, text, sha1, words, added) VALUES (?,?,?,?,?,?)",
                                 (doc.id, doc.source, doc.text, sha, words, time.time()))
                doc_key = cur.lastrowid
                for n, (start, end, sigs) in enumerate(paras, 1):
                    pk = db.execute("INSERT INTO paragraphs (doc_key, ordinal, start, end) VALUES (?,?,?,?)",
                                    (doc_key, n, start, end)).lastrowid
                    for kind, sig in sigs.items():
                        db.execute("INSERT INTO signatures VALUES (?,?,?)", (pk, kind, sig_to_blob(sig)))
                        lsh_inserts.append((kind, pk, sig))
                    stats.paragraphs += 1
            self._bump()
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._apply_lsh(lsh_inserts, lsh_removes, gen_before)

    def _delete_doc(self, doc_key: int) -> list[tuple[str, int]]:
        removed = self.db.execute(
            "SELECT s.kind, s.para_key FROM signatures s JOIN paragraphs p USING (para_key) WHERE p.doc_key=?",
            (doc_key,)).fetchall()
        self.db.execute("DELETE FROM documents WHERE doc_key=?", (doc_key,))
        return [(k, pk) for k, pk in removed]

    def _apply_lsh(self, inserts, removes, gen_before: int) -> None:
        """Mirror a committed change into the LSH tables: Redis always; memory only if already loaded and
        current (if another process wrote in between, the next query rebuilds from SQLite instead)."""
        redis = bool(self.meta.get("lsh_storage"))
        if not redis and (self._lsh is None or self._lsh_generation != gen_before):
            self._lsh = None if not redis else self._lsh
            return
        try:
            lsh = self._lsh if self._lsh is not None else {k: self._new_lsh(k) for k in self.features}
            for kind, pk in removes:
                if pk in lsh[kind]:
                    lsh[kind].remove(pk)
            if inserts:
                by_kind: dict[str, list] = {}
                for kind, pk, sig in inserts:
                    by_kind.setdefault(kind, []).append((pk, sig))
                for kind, items in by_kind.items():
                    with lsh[kind].insertion_session() as session:
                        for pk, sig in items:
                            session.insert(pk, Sig(sig), check_duplication=False)
        except Exception as e:  # the redis client's own errors (redis.exceptions.*) derive from Exception only
            if not isinstance(e, (IndexError_, OSError)) and type(e).__module__.split(".")[0] != "redis":
                raise
            raise self._unreachable(e) from None
        if self._lsh is not None and self._lsh_generation == gen_before:
            self._lsh_generation = gen_before + 1

    def _unreachable(self, e: Exception) -> "IndexError_":
        # SQLite has committed the change: nothing is lost, and the next query re-syncs Redis from it (_sync_redis)
        return IndexError_(f"{self.dir}: the change is stored in the index, but its LSH storage "
                           f"{self.meta.get('lsh_storage')} cannot be reached ({e}); queries re-sync it once it can "
                           "be reached")

    def remove(self, doc_id: str) -> bool:
        """Remove a document by id; False when no such document is indexed."""
        if self.read_only:
            raise IndexError_(f"{self.dir}: the index directory is not writable (removing needs write access)")
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT doc_key FROM documents WHERE id=?", (doc_id,)).fetchone()
            if row is None:
                db.execute("ROLLBACK")
                return False
            gen_before = self._generation()
            removes = self._delete_doc(row[0])
            self._bump()
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._apply_lsh([], removes, gen_before)
        return True

    # ---- reading -------------------------------------------------------------------------------------
    def paragraphs(self, keys: Iterable[int]) -> dict[int, Paragraph]:
        keys = list(keys)
        out: dict[int, Paragraph] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            q = ",".join("?" * len(chunk))
            for pk, did, src, ordinal, start, end, text in self.db.execute(
                    f"SELECT p.para_key, d.id, d.source, p.ordinal, p.start, p.end, substr(d.text, p.start + 1, "
                    f"p.end - p.start) FROM paragraphs p JOIN documents d USING (doc_key) "
                    f"WHERE p.para_key IN ({q})", chunk):
                out[pk] = Paragraph(pk, did, src, ordinal, start, end, text)
        return out

    def paragraph_spans(self, doc_id: str) -> list[tuple[int, int]]:
        """(start, end) of each paragraph of a document, in order (index i = paragraph i + 1)."""
        return [(a, b) for a, b in self.db.execute(
            "SELECT p.start, p.end FROM paragraphs p JOIN documents d USING (doc_key) WHERE d.id=? "
            "ORDER BY p.ordinal", (doc_id,))]

    def document(self, doc_id: str) -> tuple[str, str | None, str] | None:
        row = self.db.execute("SELECT id, source, text FROM documents WHERE id=?", (doc_id,)).fetchone()
        return tuple(row) if row else None

    def document_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def ids(self) -> Iterator[str]:
        for (i,) in self.db.execute("SELECT id FROM documents ORDER BY doc_key"):
            yield i

    def info(self) -> dict:
        db = self.db
        n_docs, n_words = db.execute("SELECT COUNT(*), COALESCE(SUM(words), 0) FROM documents").fetchone()
        n_paras = db.execute("SELECT COUNT(*) FROM paragraphs").fetchone()[0]
        size = sum(p.stat().st_size for p in self.dir.iterdir() if p.name.startswith(DB_NAME))
        return {
            "index": str(self.dir),
            "format": self.meta["version"],
            "documents": n_docs,
            "paragraphs": n_paras,
            "words": n_words,
            "bytes": size,
            "features": list(self.features),
            "num_perm": self.meta["num_perm"],
            "shingle_k": self.meta["k"],
            "lsh_threshold": self.meta["lsh_threshold"],
            "lsh_storage": self.meta.get("lsh_storage") or "memory",
            "thesaurus": list(self.meta["thesaurus"]),
            "generation": self._generation(),
            "uuid": self.meta["uuid"],  # prefix of this index's Redis keys: unspin:<uuid>:<kind>_…
            "created": self.meta.get("created"),
        }

    def close(self) -> None:
        try:
            self.db.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
