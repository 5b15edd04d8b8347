"""Orchestration of a screening run: enumerate documents, skip those already stored, feed an engine, commit
results in batches, and write the outputs (results.parquet, findings.parquet, summary.html, reports/)."""
from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..readers import ROW_FORMATS, count_documents, iter_documents
from .store import Store
from .work import error_row


@dataclass
class ScreenOutcome:
    out_dir: Path
    total_documents: int  # documents in the store after the run
    screened: int  # documents screened by this run
    skipped: int  # already done by an earlier run
    duplicates: int  # same id seen twice in the inputs (kept once)
    errors: int  # error rows in the store
    with_findings: int
    seconds: float
    words: int = 0  # words screened by this run
    peak_rss_kb: list[int] = field(default_factory=list)  # per worker process
    cpu_seconds: list[float] = field(default_factory=list)  # per worker process
    restarts: int = 0
    retried: int = 0  # error rows of earlier runs screened again (retry_errors)
    screen_seconds: float = 0.0  # of `seconds`, the screening itself (not consolidating or learning spinners)
    renderer: str = ""  # which renderer wrote the per-document reports ("" if none were rewritten)
    replaced_errors: int = 0  # error rows of earlier runs dropped: their file, read again, now reads differently
    rekeyed: int = 0  # results of row files screened with another --id-field before, given this run's ids
    id_field_changes: list[str] = field(default_factory=list)  # "file: before -> now" for those files
    replaced_rows: int = 0  # results of rows whose text is another now (the row edited, another --text-field):
    # the row was screened again and its new result took the old one's place
    settings_changed: list[str] = field(default_factory=list)  # "what: before -> now" against the journal's runs

    @property
    def exit_code(self) -> int:
        from ..types import ExitCode

        code = ExitCode.OK  # flags: some documents with findings and some unreadable = 1 | 4 = 5
        if self.errors:
            code |= ExitCode.INPUT
        if self.with_findings:
            code |= ExitCode.FINDINGS
        return int(code)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1


def screen(
    inputs: list[str],
    out_dir: str | os.PathLike,
    *,
    engine: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    text_field: str = "text",
    id_field: str | None = None,
    include=None,
    exclude=None,
    timeout: float | None = 300.0,
    batch_size: int = 100,
    report_top: int = 50,
    check_fn: Callable | None = None,
    check_options: dict | None = None,
    progress: Callable[[int, int | None, int], None] | None = None,
    commit_interval: float = 5.0,
    dask_chunk: int | None = None,
    retry_errors: bool = False,
    encoding: str | None = None,
    learn_spinners: bool = False,
    spinner_min_docs: int = 5,
    full: bool = False,
    warn: Callable[[str], None] | None = None,
) -> ScreenOutcome:
    """Screen every document of `inputs` into `out_dir` (resumable). `progress(done, total, skipped)` is
    called after each document. `check_fn` defaults to unspin.check (resolved inside each worker).
    `retry_errors` screens again the documents that ended as error rows in earlier runs. `encoding` forces the
    encoding of text/HTML/CSV/JSONL inputs (default: detected per file; the results say which). Raises EngineError
    if the engine fails on a warm-up sentence (local engine) and ConnectionError if a Dask scheduler cannot
    be reached; committed results are kept in both cases. `learn_spinners` then groups the spun documents by
    the tool that made them and learns one dictionary per group (screen/spinners.py; summary.html lists them).
    `full` turns the first stage's cascade off (`--full`): every document gets the full check.
    The settings that change results (run_settings) are kept in the journal; a rerun with other settings goes
    on (documents already done keep their results) and calls `warn(message)` naming what differs (default:
    warnings.warn); `ScreenOutcome.settings_changed` lists the differences."""
    t0 = time.perf_counter()
    # as the command does: the corpus screen's first stage clears what it is sure of, unless `full`
    check_options = {"screen": not full, **(check_options or {})}
    out = Path(out_dir)
    _refuse_out_as_input(inputs, out, exclude)
    store = Store(out)
    try:
        retried = store.forget_errors() if retry_errors else 0
        done = store.done_ids()
        changed = _compare_settings(store, run_settings(check_fn, check_options, encoding, text_field), len(done),
                                    warn)
        store.set_meta("inputs", [str(i) for i in inputs])
        # a folder walk never enters the output directory (nor any other screen's): a rerun must not screen the
        # results, reports and summary of the run before
        read_kw = dict(text_field=text_field, id_field=id_field, include=include, exclude=exclude,
                       skip_dirs=[out])
        total = count_documents(inputs, **read_kw)
        read_kw["encoding"] = encoding
        state = {"skipped": 0, "dups": 0, "screened": 0, "words": 0}
        seen: set[str] = set()
        direct: list[tuple[int, dict, list]] = []  # documents that failed to read: no engine needed
        # error rows of earlier runs ({id: source}); one whose file this run reads again in full without meeting
        # that document again is stale (the file was created, fixed, replaced) and is dropped at the end
        earlier_errors = store.error_sources()
        met_errors: set[str] = set()  # of those ids, the ones this run's inputs still yield
        reread: set[str] = set()  # of their sources, the ones this run read
        walked: set[str] = set()  # directories this run listed (an earlier "cannot list directory" is stale)
        # the --id-field each row file's results were made with: a file screened with another one before has its
        # results renamed to this run's ids (the same rows, so not screened again) instead of being kept twice
        id_fields = store.row_file_id_fields()
        keyed: set[str] = set()  # row files whose ids this run has settled
        new_row_files: dict[str, str | None] = {}  # recorded with the next commit
        rekeyed = {"results": 0, "dropped": 0, "replaced": 0, "files": []}
        # a row is the document its key names (path#row, or its --id-field value): once its text is another (the
        # row edited, or read with another --text-field) it gets a new id and is screened again, and the result
        # made for its earlier text goes - each row once, with the result of its text now. {key: [(id, source)]}
        # of the earlier results of the row files this run reads; the ids this run meets under those keys
        row_results: dict[str, list[tuple[str, str]]] = {}
        row_met: set[str] = set()
        superseded: set[str] = set()

        def settle_ids(doc) -> None:
            keyed.add(doc.source)
            if "row" not in doc.meta:  # a file-level error (no rows, a missing field): nothing keyed by it
                return
            if doc.source not in id_fields:
                new_row_files[doc.source] = id_field
                return
            before = id_fields[doc.source]
            if before == id_field:
                return
            moves, drops, other_text = _id_changes(doc.source, before, id_field, text_field, encoding, done,
                                                   earlier_errors, store.result_ids_of(doc.source))
            store.rekey(moves, drops + other_text, doc.source, id_field)
            rekeyed["replaced"] += len(other_text)
            for i in other_text:
                done.discard(i)
            rekeyed["dropped"] += sum(1 for i in drops if i not in earlier_errors)  # results, not error rows
            for i in drops:
                done.discard(i)
                earlier_errors.pop(i, None)
            done.difference_update(old for old, _ in moves)
            done.update(new for _, new in moves)
            rekeyed["results"] += len(moves)
            rekeyed["files"].append(f"{doc.source}: {_id_field_name(before)} before, {_id_field_name(id_field)} now")

        def index_rows(source: str) -> None:  # after settle_ids: the results' ids are this run's
            for i in store.result_ids_of(source):
                if i not in earlier_errors:  # (error rows: the rule for error rows of files read again)
                    row_results.setdefault(i.rpartition("@")[0], []).append((i, source))

        def items():
            for seq, doc in enumerate(iter_documents(inputs, lazy=True, walked=walked, **read_kw)):
                if doc.source not in keyed and doc.meta.get("format") in ROW_FORMATS:
                    settle_ids(doc)
                    index_rows(doc.source)
                if "row" in doc.meta and row_results:
                    earlier = row_results.get(doc.id.rpartition("@")[0])
                    if earlier:
                        row_met.add(doc.id)
                        superseded.update(i for i, src in earlier if src == doc.source and i != doc.id)
                if earlier_errors:
                    if doc.id in earlier_errors:
                        met_errors.add(doc.id)
                    reread.add(doc.source)
                if doc.id in done:
                    state["skipped"] += 1
                    continue
                if doc.id in seen:
                    state["dups"] += 1
                    continue
                seen.add(doc.id)
                if doc.error:
                    direct.append((seq, error_row(doc, doc.error), []))
                    continue
                yield seq, doc
            state["read_all"] = True

        if engine == "local":
            from .local import LocalPool

            pool = LocalPool(jobs or default_jobs(), check_fn, check_options, timeout)
        elif engine == "dask":
            from .dask_engine import DaskPool

            pool = DaskPool(scheduler=scheduler, workers=workers or jobs or default_jobs(), check_fn=check_fn,
                            options=check_options, timeout=timeout, chunk=dask_chunk or max(1, min(16, batch_size)))
        else:
            raise ValueError(f"unknown engine {engine!r} (local or dask)")

        batch: list = []
        last_commit = time.monotonic()

        def flush():
            nonlocal batch, last_commit
            if new_row_files:  # before their results: a field recorded without results yet renames nothing
                store.record_row_files(new_row_files)
                new_row_files.clear()
            store.commit(batch)
            batch = []
            last_commit = time.monotonic()

        def take(result):
            batch.append(result)
            state["screened"] += 1
            state["words"] += result[1]["words"] or 0
            if progress:
                progress(state["screened"] + state["skipped"] + state["dups"], total, state["skipped"])
            if len(batch) >= batch_size or time.monotonic() - last_commit >= commit_interval:
                flush()

        new_results = False
        todo = items()
        first = next(todo, None)  # start workers (and load knowledge) only if there is work
        try:
            if first is not None:
                pool.start()
                def idle():  # no result for a while (a big document): commit what is held, as promised
                    while direct:
                        take(direct.pop(0))
                    if batch and time.monotonic() - last_commit >= commit_interval:
                        flush()

                for result in pool.run(itertools.chain([first], todo), idle=idle):
                    while direct:
                        take(direct.pop(0))
                    take(result)
            while direct:
                take(direct.pop(0))
        finally:
            new_results = bool(batch) or state["screened"] > 0 or bool(rekeyed["files"])
            flush()
            pool.close()
            if rekeyed["files"]:
                _warn_id_fields(rekeyed, store, warn)
        screen_seconds = time.perf_counter() - t0
        stale = [i for i, src in earlier_errors.items()
                 if i not in met_errors and (src in reread or src in walked) and src != "-"
                 ] if state.get("read_all") else []
        if stale:  # (stdin is a new document each time, never the same one read again)
            store.drop(stale)
            new_results = True
        # earlier results of rows read again with another text; not an id this run met (the same key twice in a file)
        replaced = sorted(superseded - row_met) if state.get("read_all") else []
        replaced_rows = len(replaced) + rekeyed["replaced"]
        if replaced:
            store.drop(replaced)
            new_results = True

        renderer = ""
        consolidated = store.get_meta("consolidated") == store.count() and all(
            (out / n).exists() for n in ("results.parquet", "findings.parquet", "summary.html"))
        if new_results or not consolidated:
            renderer = consolidate(store, out, inputs, read_kw, report_top)
            store.set_meta("consolidated", store.count())
        if learn_spinners and (new_results or store.get_meta("spinners_learned") != store.count()
                               or not (out / "spinners" / "clusters.json").exists()):
            from .spinners import learn_spinners as _learn_spinners
            from .summary import existing_report_links, write_summary

            _learn_spinners(store, out, inputs, read_kw, min_docs=spinner_min_docs)
            store.set_meta("spinners_learned", store.count())
            write_summary(store, out, top=report_top, reports=existing_report_links(store, out, report_top),
                          run_info={"inputs": [str(i) for i in inputs]})
        st = store.stats()
        return ScreenOutcome(out_dir=out, total_documents=st["documents"], screened=state["screened"],
                             skipped=state["skipped"], duplicates=state["dups"], errors=st["errors"],
                             with_findings=st["docs_with_findings"], seconds=time.perf_counter() - t0,
                             words=state["words"], peak_rss_kb=list(pool.peak_rss_kb),
                             cpu_seconds=list(pool.cpu_seconds),
                             restarts=getattr(pool, "restarts", 0), renderer=renderer,
                             retried=retried, screen_seconds=screen_seconds, replaced_errors=len(stale),
                             settings_changed=changed, rekeyed=rekeyed["results"],
                             id_field_changes=list(rekeyed["files"]), replaced_rows=replaced_rows)
    finally:
        store.close()


def run_settings(check_fn: Callable | None, check_options: dict, encoding: str | None, text_field: str = "text"
                 ) -> dict[str, str]:
    """What a run's results depend on besides the documents, each as a readable string: the first stage
    (--full), the engine options, --encoding, --text-field (which text a JSONL, CSV or Parquet row has) and, for
    the real engine, unspin's version, the thesauri, the model
    file (by content), the language model and the fingerprint database (path, size and modification time)."""
    opts = dict(check_options)
    out = {"--full": "off" if opts.pop("screen", True) else "on",
           "engine options": json.dumps(dict(sorted(opts.items())), default=str) if opts else "none",
           "--encoding": encoding or "detected per file", "--text-field": text_field}
    if check_fn is not None:  # a stand-in for unspin.check (tests): no knowledge of unspin's to name
        return out
    from .. import __version__

    out["unspin version"] = __version__
    try:
        from ..api import Options
        from ..knowledge.thesaurus import available_sources
        from ..model import MODEL_PATH

        o = Options(**opts)
    except Exception:  # options the engine refuses: the warm-up says so, not this
        return out
    out["thesauri"] = ", ".join(o.thesauri or available_sources())
    model = Path(o.model_path) if o.model_path else MODEL_PATH
    out["model"] = f"{model} ({_digest(model)})"
    out["language model"] = f"{o.lm_path} ({_stamp(Path(o.lm_path))})" if o.lm_path else "built-in (pocketsphinx)"
    if o.fingerprints is False:
        out["fingerprint lists"] = "none"
    else:
        from ..fingerprints.store import resolve_db

        db = resolve_db(o.fingerprints_db)
        which = "all lists" if o.fingerprints is None else "lists " + ", ".join(o.fingerprints)
        out["fingerprint lists"] = f"{which} of {db} ({_stamp(db)})"
    return out


def _digest(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError as e:
        return f"unreadable: {e.strerror or e}"
    return "sha256 " + h.hexdigest()[:12]


def _stamp(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return "absent"
    return f"{st.st_size} bytes, modified {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(st.st_mtime))}" + (
        f".{st.st_mtime_ns % 1_000_000_000:09d}")


def _compare_settings(store: Store, now: dict[str, str], done: int, warn: Callable[[str], None] | None
                      ) -> list[str]:
    """Keep the settings of the journal's results; when this run's differ, warn (naming what differs) and
    return the differences. The run goes on: resuming with the same command must stay silent.
    --text-field is the exception: the rows whose text it changes are screened again and replace their results
    (screen), so the journal takes the new one (a resumed run is silent), and it is named only when the journal
    holds row files (in a corpus of text files it changes nothing)."""
    before = store.get_meta("settings")
    if before is None or not done:  # a new journal (or one from before settings were kept, or still empty)
        store.set_meta("settings", now)
        return []
    field_now = now.get("--text-field")
    field_before = before.get("--text-field", field_now)  # (a journal from before it was kept: as now)
    if field_now is not None and before.get("--text-field") != field_now:
        store.set_meta("settings", {**before, "--text-field": field_now})
    # (a setting recorded on one side only - a stand-in check function, an older journal - is not compared)
    diffs = [f"{k}: {before[k]} before, {v} now" for k, v in now.items()
             if k in before and before[k] != v and k != "--text-field"]
    notes = []
    if field_before != field_now and store.row_file_id_fields():
        diffs.append(f"--text-field: {field_before} before, {field_now} now")
        notes.append(f"Rows of JSONL, CSV and Parquet files whose text under --text-field {field_now} is another than "
                     "the text screened before are screened again, and each new result replaces the row's earlier "
                     "one (every row is kept once); rows whose text is the same keep their results and are not "
                     "screened again.")
    if not diffs:
        return []
    if len(diffs) > len(notes):
        notes.append(f"{'Otherwise the' if notes else 'The'} {done} documents already done there keep their earlier "
                     "results and are not screened again; only new documents get these settings. To screen "
                     "everything with them, use a new --out.")
    msg = f"{store.dir} holds results made with other settings - " + "; ".join(diffs) + ". " + " ".join(notes)
    if warn is None:
        import warnings

        warnings.warn(msg, UserWarning, stacklevel=3)
    else:
        warn(msg)
    return diffs


def _id_field_name(name: str | None) -> str:
    return f"--id-field {name}" if name else "no --id-field (path#row ids)"


def _id_changes(source: str, before: str | None, now: str | None, text_field: str, encoding: str | None,
                done: set[str], errors: dict[str, str], stored: list[str] = ()
                ) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """What becomes of a row file's results made under the id field `before` now that it is read under `now`:
    (old id, new id) renames and ids to drop. The file is read under both; a row's result made before is the
    same document as the row now (same text), so it takes the row's new id - unless that id holds a result
    already, or the row is an error under `now` (e.g. it lacks the new field): then it is dropped, and the
    row appears once. Error rows are left to the rule for error rows of files read again. The third list: of the
    file's results `stored` (ids), those made under `before` for a row whose text is another now (the row edited, or
    another --text-field): they go, and the row is screened under its new id."""
    kw = dict(text_field=text_field, encoding=encoding)
    now_rows = (d for d in iter_documents([source], id_field=now, **kw) if "row" in d.meta)
    cur = next(now_rows, None)
    moves: list[tuple[str, str]] = []
    drops: list[str] = []
    pairs: list[tuple[str, str, bool]] = []  # (old id, new id, the row is an error now)
    old_ids: dict[str, set[str]] = {}  # the rows' ids under `before`, by key
    for old in iter_documents([source], id_field=before, **kw):
        row = old.meta.get("row")
        if row is None:
            continue
        old_ids.setdefault(old.id.rpartition("@")[0], set()).add(old.id)
        while cur is not None and cur.meta["row"] < row:
            cur = next(now_rows, None)
        if cur is None:
            break
        if cur.meta["row"] == row and old.id != cur.id and old.id in done and old.id not in errors:
            pairs.append((old.id, cur.id, cur.error is not None))
    vacated = {old for old, _, _ in pairs}
    claimed: set[str] = set()
    for old, new, failed in pairs:
        if failed or new in claimed or (new in done and new not in vacated and new not in errors):
            drops.append(old)
            continue
        if new in errors:  # an error row (e.g. a timeout) gives way to the result of the same text
            drops.append(new)
        claimed.add(new)
        moves.append((old, new))
    other_text = [i for i in stored if i not in errors and i not in old_ids.get(i.rpartition("@")[0], {i})]
    return moves, drops, other_text


def _warn_id_fields(rekeyed: dict, store: Store, warn: Callable[[str], None] | None) -> None:
    from ..render import plural

    files = rekeyed["files"]
    shown = "; ".join(files[:5]) + (f"; and {len(files) - 5} more" if len(files) > 5 else "")
    msg = (f"{store.dir} holds rows screened with another --id-field - {shown}. Each row is kept once, under this "
           f"run's id: {plural(rekeyed['results'], 'result')} given the new id (the same text, not screened again)")
    if rekeyed["dropped"]:
        msg += (f"; {plural(rekeyed['dropped'], 'result')} dropped, the row being an error row now or sharing its "
                "new id with another row")
    msg += ". results.parquet and findings.parquet carry the new ids."
    if warn is None:
        import warnings

        warnings.warn(msg, UserWarning, stacklevel=3)
    else:
        warn(msg)


def _refuse_out_as_input(inputs: list[str], out: Path, exclude=None) -> None:
    """Refuse (OutIsInputError, before anything is written) an --out whose outputs would mix with documents:
    - an input directory itself: every output would sit among the documents;
    - a directory holding an input: the run's files land among the user's (overwriting any named alike), and the
      marker makes later walks of a folder above skip it whole, documents included;
    - a directory inside an input directory that already holds files of its own: the walk skips the output
      directory, so they would silently not be screened;
    - a directory that holds files named as the outputs but is no screen output: they would be overwritten.
    `--out` inside an input directory, new or empty, is fine: the walk skips it."""
    from ..readers import SCREEN_MARKER, SCREEN_OUTPUT_NAMES, is_screen_output, walk_enters

    exists = out.is_dir()
    real_out = os.path.realpath(out)
    for inp in inputs:
        if inp == "-":
            continue
        real = os.path.realpath(inp)
        if os.path.isdir(inp) and (real == real_out or (exists and os.path.samefile(inp, out))):  # bind mounts
            raise OutIsInputError(f"--out {out} is the input directory {inp} itself: its results, reports and "
                                  "summary would lie among the documents; write them elsewhere, e.g. to a "
                                  "subdirectory (folder walks skip the output directory)")
        if real != real_out and os.path.commonpath([real_out, real]) == real_out:
            hint = "--out " + os.path.join(str(out), "screen-out")
            real_hint = os.path.realpath(os.path.join(str(out), "screen-out"))
            if any(i != "-" and os.path.commonpath([real_hint, os.path.realpath(i)]) == real_hint for i in inputs):
                hint = "a new directory"
            raise OutIsInputError(
                f"--out {out} contains the input {inp}: the run would write its results, reports and journal among "
                f"your files (replacing any of the same names) and mark {out} as a screen's output, which folder "
                f"walks skip whole - {inp} too, when a folder above is screened later; write them to a directory "
                f"that holds no input, e.g. {hint}")
        if exists and os.path.isdir(inp) and not is_screen_output(out) and walk_enters(inp, out, exclude):
            own = sorted(e.name for e in os.scandir(out) if not e.name.startswith("."))
            if own:
                shown = ", ".join(own[:3]) + (f" and {len(own) - 3} more" if len(own) > 3 else "")
                raise OutIsInputError(
                    f"--out {out} is a folder of the input directory {inp} and already holds files ({shown}): "
                    "folder walks skip the output directory, so they would not be screened, and the run's files "
                    "would be written among them; name a new or empty directory")
    if exists and not is_screen_output(out):
        taken = sorted(n for n in SCREEN_OUTPUT_NAMES - {SCREEN_MARKER} if os.path.lexists(out / n))
        if taken:
            raise OutIsInputError(
                f"--out {out} already holds {', '.join(taken)} but is no unspin screen output (no {SCREEN_MARKER} "
                "there): the run would overwrite them; name a new or empty directory, or move them away")


class OutIsInputError(ValueError):
    """--out would mix the run's outputs with documents (see _refuse_out_as_input); the command exits with 2."""


def consolidate(store: Store, out: Path, inputs: list[str], read_kw: dict, report_top: int) -> str:
    """Write results.parquet, findings.parquet, reports/ for the top documents and summary.html."""
    from .summary import write_reports, write_summary

    store.export_parquet()
    top = [d["id"] for d in store.top_documents(report_top)] if report_top > 0 else []
    texts: dict[str, str | None] = {}
    if top:
        want = set(top)
        stdin_free = [i for i in inputs if i != "-"]  # stdin cannot be read twice
        for doc in iter_documents(stdin_free, lazy=True, **read_kw):
            if doc.id in want and doc.id not in texts:
                texts[doc.id] = doc.load().text
                if len(texts) == len(want):
                    break
    links, renderer = write_reports(store, out, texts, top)
    write_summary(store, out, top=report_top, reports=links, run_info={"inputs": [str(i) for i in inputs]})
    return renderer
