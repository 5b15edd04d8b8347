"""The local SQLite store of imported lists.

Location: ``--db`` option > ``$UNSPIN_FINGERPRINTS_DB`` > ``platformdirs.user_data_dir("unspin")/fingerprints.sqlite``.
Each import replaces the list of the same name in one transaction. Automaton keys (normalised phrase +
inflected variants) are computed at import and stored, so loading needs no morphology.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from .parse import Entry, ParseResult, Term

SCHEMA_VERSION = 1  # bump when the tables change
KEYS_VERSION = 2  # bump when entry_keys() changes meaning: stored keys are made again when a database is opened
# (2: a plural expected phrase is no longer made plural again for a plural variant, "networks" → "networkses")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lists (
    name TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    entries INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    skipped_by_reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    list TEXT NOT NULL REFERENCES lists(name) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    tortured TEXT NOT NULL,
    expected TEXT NOT NULL,
    num_papers INTEGER,
    uncertain INTEGER NOT NULL,
    proximity INTEGER,
    require TEXT NOT NULL,
    exclude TEXT NOT NULL,
    keys TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_list ON entries(list);
"""


class StoreError(Exception):
    pass


class UnknownListError(StoreError):
    """List names the database does not hold: a usage error (CLI exit 2, HTTP 422), not a broken database."""

    def __init__(self, path, missing: list[str], known: list[str]):
        self.missing, self.known = list(missing), sorted(known)
        super().__init__(f"{path}: {self.brief()}")

    def brief(self) -> str:
        """The message without the database path (what a server tells its clients)."""
        return f"no list named {', '.join(self.missing)} (known: {', '.join(self.known) or 'none'})"


def default_db_path() -> Path:
    env = os.environ.get("UNSPIN_FINGERPRINTS_DB")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("unspin")) / "fingerprints.sqlite"


def resolve_db(db_path: str | os.PathLike | None) -> Path:
    return Path(db_path) if db_path else default_db_path()


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise StoreError(f"invalid list name {name!r}: use letters, digits, '_', '-', '.' (max 64), no ':'")
    return name


def name_from_path(path: str | os.PathLike) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.\-]+", "-", Path(path).stem).strip("-.") or "list"
    return stem[:64]


@dataclass(frozen=True, slots=True)
class ListInfo:
    name: str
    source: str
    format: str
    imported_at: str
    entries: int
    skipped: int
    skipped_by_reason: dict

    def to_dict(self) -> dict:
        return {"name": self.name, "source": self.source, "format": self.format, "imported_at": self.imported_at,
                "entries": self.entries, "skipped": self.skipped, "skipped_by_reason": self.skipped_by_reason}


class Store:
    def __init__(self, db_path: str | os.PathLike | None = None, create: bool = True):
        self.path = resolve_db(db_path)
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a directory; name the database file in it (e.g. "
                             f"{self.path / 'fingerprints.sqlite'})")
        if not create and not self.path.exists():
            raise StoreError(f"{self.path}: no fingerprint database (import a list first)")
        if create and db_path and not self.path.parent.is_dir():
            # a database the user named goes where they said: a missing folder is a typo more often than a wish
            # (the default database's folder is made)
            raise StoreError(f"{self.path}: no such directory {self.path.parent} (create it first, or check the "
                             "path)")
        if create:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"{self.path}: cannot create directory: {e.strerror or e}") from None
        try:
            self.conn = sqlite3.connect(str(self.path))
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.executescript(_SCHEMA)
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self.conn.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                self.conn.commit()
            elif int(row[0]) != SCHEMA_VERSION:
                raise StoreError(f"{self.path}: database schema {row[0]}, this unspin needs {SCHEMA_VERSION}")
            self._refresh_keys()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: not a usable fingerprint database: {e}") from None

    def _refresh_keys(self) -> None:
        """Make the stored automaton keys again when they were made by an older entry_keys (KEYS_VERSION), so an
        imported list never needs importing again after an upgrade (a few seconds for a whole PPS list, once)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='keys'").fetchone()
        if row is not None and int(row[0]) == KEYS_VERSION:
            return
        from .match import entry_keys

        with self.conn:
            ids = [r[0] for r in self.conn.execute("SELECT id FROM entries ORDER BY id")]
            updates = [(json.dumps(entry_keys(e), ensure_ascii=False), i)
                       for i, (_, e, _) in zip(ids, self.entries())]
            self.conn.executemany("UPDATE entries SET keys=? WHERE id=?", updates)
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('keys', ?)", (str(KEYS_VERSION),))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def save(self, name: str, result: ParseResult, source: str | None = None) -> ListInfo:
        """Store `result` as list `name`, replacing a list of that name."""
        from .match import entry_keys

        check_name(name)
        rows = []
        for e in result.entries:
            keys = entry_keys(e)
            rows.append((name, e.line, e.tortured, e.expected, e.num_papers, int(e.uncertain), e.proximity,
                         json.dumps([[t.to_json() for t in c] for c in e.require]),
                         json.dumps([t.to_json() for t in e.exclude]), json.dumps(keys, ensure_ascii=False)))
        info = ListInfo(name, source or result.path, result.format, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        len(result.entries), len(result.skipped), result.skipped_by_reason())
        with self.conn:
            self.conn.execute("DELETE FROM lists WHERE name=?", (name,))
            self.conn.execute("INSERT INTO lists VALUES (?,?,?,?,?,?,?)",
                              (info.name, info.source, info.format, info.imported_at, info.entries, info.skipped,
                               json.dumps(info.skipped_by_reason)))
            self.conn.executemany(
                "INSERT INTO entries (list, line, tortured, expected, num_papers, uncertain, proximity, require,"
                " exclude, keys) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        return info

    def lists(self) -> list[ListInfo]:
        out = []
        for r in self.conn.execute("SELECT name, source, format, imported_at, entries, skipped, skipped_by_reason"
                                   " FROM lists ORDER BY name"):
            out.append(ListInfo(*r[:6], json.loads(r[6])))
        return out

    def remove(self, name: str) -> bool:
        with self.conn:
            cur = self.conn.execute("DELETE FROM lists WHERE name=?", (name,))
        return cur.rowcount > 0

    def entries(self, names: list[str] | None = None):
        """[(list name, Entry, keys)] for `names` (all lists when None). Unknown names raise StoreError."""
        if names is not None:
            known = {i.name for i in self.lists()}
            missing = [n for n in names if n not in known]
            if missing:
                raise UnknownListError(self.path, missing, list(known))
            q = "SELECT * FROM entries WHERE list IN (%s) ORDER BY id" % ",".join("?" * len(names))
            cur = self.conn.execute(q, names)
        else:
            cur = self.conn.execute("SELECT * FROM entries ORDER BY id")
        out = []
        for (_id, lst, line, tortured, expected, papers, uncertain, prox, require, exclude, keys) in cur:
            e = Entry(tortured, expected, papers, bool(uncertain), prox,
                      tuple(tuple(Term.from_json(t) for t in c) for c in json.loads(require)),
                      tuple(Term.from_json(t) for t in json.loads(exclude)), line)
            out.append((lst, e, tuple(tuple(k) for k in json.loads(keys))))
        return out
