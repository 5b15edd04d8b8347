"""The local engine: N worker processes, one document at a time each, with a hard per-document deadline.

Why not concurrent.futures / multiprocessing.Pool: a document that hangs (or crashes the interpreter) must
cost only itself. Here the parent tracks when each worker got its document; past the deadline it kills that
worker (SIGKILL), records a timeout error row and starts a fresh worker — the run goes on. A worker that dies
(segfault, OOM killer) likewise turns its document into an error row.

Workers are forked (on Linux) from a parent that has already loaded the knowledge, so they start instantly and
share its pages copy-on-write; where fork is unavailable they are spawned and load it themselves.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import wait

from ..readers import Document
from .work import WARMUP_TEXT, EngineError, error_row, resolve_check, screen_document, timeout_message


def _usage() -> tuple[int, float]:
    """(peak RSS in kB, CPU seconds) of this process."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return int(ru.ru_maxrss), float(ru.ru_utime + ru.ru_stime)


def _die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this worker when the parent dies (even by SIGKILL)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux: the ppid check in the loop below does it
        pass


def _worker_main(conn, check_fn, options, warm: bool, parent_pid: int, close_fds=()) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    _die_with_parent()
    for c in close_fds:  # our copy of the parent's end of the pipe: without this we never see EOF
        try:
            c.close()
        except OSError:
            pass
    if os.getppid() != parent_pid:
        return
    try:
        if warm:
            resolve_check(check_fn)(WARMUP_TEXT, **(options or {}))
    except Exception as e:  # reported per document by screen_document; keep serving
        conn.send(("warmup-error", f"{type(e).__name__}: {e}"))
    conn.send(("ready", os.getpid()))
    while True:
        try:
            while not conn.poll(1.0):
                if os.getppid() != parent_pid:  # orphaned: the parent was killed
                    return
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            conn.send(("bye", *_usage()))
            return
        seq, doc = msg
        row, frows = screen_document(doc, check_fn, options)
        conn.send(("done", seq, row, frows))


class _Worker:
    def __init__(self, ctx, check_fn, options, warm):
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        forked = ctx.get_start_method() == "fork"
        self.proc = ctx.Process(target=_worker_main,
                                args=(child, check_fn, options, warm, os.getpid(), (parent,) if forked else ()),
                                daemon=True, name="unspin-screen-worker")
        self.proc.start()
        child.close()
        self.ready = False
        self.job: tuple[int, Document, float] | None = None  # (seq, doc, sent at)

    def kill(self) -> None:
        try:
            self.proc.kill()
        except Exception:
            pass
        self.proc.join(5)
        self.conn.close()


class LocalPool:
    """Screen documents on `jobs` local processes. `run(items)` yields (seq, row, findings) as they finish."""

    def __init__(self, jobs: int, check_fn: Callable | None = None, options: dict | None = None,
                 timeout: float | None = None):
        self.jobs = max(1, int(jobs))
        self.check_fn = check_fn
        self.options = options or {}
        self.timeout = timeout or None
        methods = mp.get_all_start_methods()
        self.ctx = mp.get_context("fork" if "fork" in methods else "spawn")
        self.forked = self.ctx.get_start_method() == "fork"
        self.workers: list[_Worker] = []
        self.restarts = 0
        self.peak_rss_kb: list[int] = []
        self.cpu_seconds: list[float] = []  # per worker, filled on close
        self.warmup_error: str | None = None
        self.startup_failures = 0

    def start(self) -> None:
        if self.forked:
            # load the knowledge once, in the parent, so that forked workers inherit it
            try:
                resolve_check(self.check_fn)(WARMUP_TEXT, **self.options)
            except Exception as e:  # the engine is broken: every document would fail, so stop here
                raise EngineError(f"the check engine fails on a plain test sentence ({type(e).__name__}: {e}); "
                                  "nothing was screened") from e
        self.workers = [self._new() for _ in range(self.jobs)]

    def _new(self) -> _Worker:
        return _Worker(self.ctx, self.check_fn, self.options, warm=not self.forked)

    def _replace(self, w: _Worker) -> None:
        w.kill()
        self.restarts += 1
        self.workers[self.workers.index(w)] = self._new()

    def run(self, items: Iterable[tuple[int, Document]], idle: Callable[[], None] | None = None
            ) -> Iterator[tuple[int, dict, list[dict]]]:
        """(seq, row, findings) of each document as it finishes. `idle()` is called whenever half a second
        passes with no result (a big document can take minutes): the run commits what it holds meanwhile."""
        if not self.workers:
            self.start()
        it = iter(items)
        exhausted = False
        while True:
            for w in self.workers:
                if w.ready and w.job is None and not exhausted:
                    nxt = next(it, None)
                    if nxt is None:
                        exhausted = True
                        break
                    seq, doc = nxt
                    w.job = (seq, doc, time.monotonic())
                    w.conn.send((seq, doc))
            busy = [w for w in self.workers if w.job is not None or not w.ready]
            if exhausted and not any(w.job for w in self.workers):
                return
            wait_for = 0.5
            now = time.monotonic()
            if self.timeout:
                deadlines = [w.job[2] + self.timeout - now for w in busy if w.job]
                if deadlines:
                    wait_for = max(0.0, min(wait_for, min(deadlines)))
            ready = wait([w.conn for w in busy], timeout=wait_for) if busy else []
            if not ready and idle is not None:
                idle()
            for conn in ready:
                w = next(x for x in self.workers if x.conn is conn)
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    w.proc.join(2)
                    code = w.proc.exitcode
                    if not w.ready and not w.job:
                        self.startup_failures += 1
                        if self.startup_failures > 3 * self.jobs:
                            raise RuntimeError(f"screen worker processes keep dying at start-up (exit code {code})")
                    if w.job:
                        seq, doc, _ = w.job
                        how = f"signal {-code}" if isinstance(code, int) and code < 0 else f"exit code {code}"
                        yield seq, error_row(doc, f"{doc.source}: worker process died ({how}) while screening "
                                             f"document {doc.id}"), []
                    self._replace(w)
                    continue
                kind = msg[0]
                if kind == "ready":
                    w.ready = True
                elif kind == "warmup-error":
                    self.warmup_error = msg[1]
                elif kind == "done":
                    _, seq, row, frows = msg
                    w.job = None
                    yield seq, row, frows
            if self.timeout:
                now = time.monotonic()
                for w in list(self.workers):
                    if w.job and now - w.job[2] > self.timeout:
                        seq, doc, _ = w.job
                        yield seq, error_row(doc, timeout_message(doc, self.timeout)), []
                        self._replace(w)

    def close(self) -> None:
        for w in self.workers:
            if w.job is not None:  # interrupted mid-document (Ctrl-C, error): no point waiting
                w.kill()
                continue
            try:
                if w.job is None:
                    w.conn.send(None)
                    deadline = time.monotonic() + 5
                    while w.conn.poll(max(0.0, deadline - time.monotonic())):
                        msg = w.conn.recv()
                        if msg and msg[0] == "bye":
                            self.peak_rss_kb.append(int(msg[1]))
                            self.cpu_seconds.append(float(msg[2]))
                            break
                w.proc.join(5)
            except (OSError, EOFError):
                pass
            if w.proc.is_alive():
                w.kill()
            else:
                w.conn.close()
        self.workers = []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
