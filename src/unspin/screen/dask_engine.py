"""The Dask engine: documents go in chunks to `distributed` workers (an existing cluster via its scheduler
address, or a LocalCluster started here), at most a few chunks per worker thread in flight so memory stays
bounded for any corpus size. Whole-file documents travel as raw bytes and are extracted on the worker, so
workers need no shared file system. Each worker imports unspin and loads its knowledge once (from its own
UNSPIN_CACHE_DIR; build it there, or point UNSPIN_CACHE_DIR at shared storage).

Per-document timeouts use a helper thread (a Dask task runs in a worker thread, which cannot be killed): the
document becomes an error row on time and the run goes on, but the abandoned computation keeps that worker's
CPU busy until it returns.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from ..readers import Document
from .work import EngineError, error_row, screen_chunk, warm_up


def _usage() -> tuple[int, float]:
    """(peak RSS in kB, CPU seconds) of this process."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return int(ru.ru_maxrss), float(ru.ru_utime + ru.ru_stime)


class DaskPool:
    def __init__(self, scheduler: str | None = None, workers: int | None = None, check_fn: Callable | None = None,
                 options: dict | None = None, timeout: float | None = None, chunk: int = 8,
                 cluster_kwargs: dict | None = None):
        self.scheduler = scheduler
        self.n_workers = workers
        self.check_fn = check_fn
        self.options = options or {}
        self.timeout = timeout or None
        self.chunk = max(1, int(chunk))
        self.cluster_kwargs = cluster_kwargs or {}
        self.client = None
        self.cluster = None
        self.peak_rss_kb: list[int] = []
        self.cpu_seconds: list[float] = []

    def start(self) -> None:
        from distributed import Client, LocalCluster

        if self.scheduler:
            try:  # connect timeout: dask config distributed.comm.timeouts.connect (default 30 s)
                self.client = Client(self.scheduler)
            except (OSError, TimeoutError, ValueError) as e:
                raise ConnectionError(f"cannot connect to the Dask scheduler at {self.scheduler}: {e}") from None
        else:
            kw = dict(n_workers=self.n_workers or 1, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40)
            kw.update(self.cluster_kwargs)
            self.cluster = LocalCluster(**kw)
            self.client = Client(self.cluster)
        self.client.wait_for_workers(1, timeout=120)
        # probe the engine on one worker (this also loads its knowledge): a broken engine or a worker without
        # unspin stops the run here instead of turning every document into the same error row
        try:
            err = self.client.submit(warm_up, self.check_fn, self.options, pure=False).result()
        except Exception as e:
            err = f"{type(e).__name__}: {e}"
        if err:
            self.close()
            raise EngineError(f"the check engine fails on a Dask worker on a plain test sentence ({err}); "
                              "nothing was screened")

    def threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def run(self, items: Iterable[tuple[int, Document]], idle: Callable[[], None] | None = None
            ) -> Iterator[tuple[int, dict, list[dict]]]:
        """(seq, row, findings) of each document, a chunk at a time. `idle()` is called whenever a second passes
        with no chunk finished: the run commits what it holds meanwhile."""
        from distributed import as_completed
        from distributed import wait as wait_any

        if self.client is None:
            self.start()
        it = iter(items)
        pending: dict = {}  # future -> chunk
        ac = as_completed()

        def submit() -> bool:
            chunk = list(islice(it, self.chunk))
            if not chunk:
                return False
            fut = self.client.submit(screen_chunk, chunk, self.check_fn, self.options, self.timeout, pure=False)
            pending[fut] = chunk
            ac.add(fut)
            return True

        for _ in range(2 * self.threads() + 1):
            if not submit():
                break
        while pending:
            if idle is not None and not ac.has_ready():
                try:
                    wait_any(list(pending), timeout=1.0, return_when="FIRST_COMPLETED")
                except TimeoutError:  # (distributed raises the builtin one, asyncio's on older Pythons)
                    idle()
                    continue
                except Exception as e:
                    if "Timeout" not in type(e).__name__:
                        raise
                    idle()
                    continue
            fut = next(ac)
            chunk = pending.pop(fut)
            try:
                results = fut.result()
            except Exception as e:  # worker lost (KilledWorker), serialisation error, ...
                results = [(seq, error_row(doc, f"{doc.source}: dask task failed: {type(e).__name__}: {e}"), [])
                           for seq, doc in chunk]
            fut.release()
            yield from results
            submit()

    def close(self) -> None:
        if self.client is not None:
            try:
                usage = self.client.run(_usage)
                self.peak_rss_kb = [int(v[0]) for v in usage.values()]
                self.cpu_seconds = [float(v[1]) for v in usage.values()]
            except Exception:
                pass
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
