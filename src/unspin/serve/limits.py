"""Request limits: body size cap (ASGI middleware), bounded concurrency and a per-request time limit."""
from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial


class Saturated(Exception):
    """All check slots and the waiting queue are taken."""


class TimedOut(Exception):
    """A check ran past the per-request time limit."""


class ClientGone(Exception):
    """The client went away while its check was still waiting for a slot (the check was never started)."""


GONE_POLL_S = 0.25  # how often a waiting request looks whether its client is still there


class CheckRunner:
    """Runs blocking engine calls in a bounded thread pool.

    At most `concurrency` calls run at once and at most `queue` more wait for a slot; a request beyond that
    is refused at once (Saturated -> HTTP 503). A caller waits at most `timeout` seconds (TimedOut -> 504).
    A call that times out cannot be interrupted (the engine is plain Python), so it keeps its slot until it
    finishes: the bound on running work holds even under timeouts; a call still waiting is cancelled. So is a
    waiting call whose client has gone (`gone()` says so): an editor plug-in abandons its request at every
    keystroke and sends a new one, and checks nobody will read must not queue up ahead of the one that matters."""

    def __init__(self, concurrency: int, queue: int, timeout: float):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self.capacity = concurrency + max(0, queue)
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="unspin-check")
        self._lock = threading.Lock()
        self._admitted = 0

    @property
    def in_flight(self) -> int:
        return self._admitted

    def _release(self, _fut) -> None:
        with self._lock:
            self._admitted -= 1

    async def run(self, fn, *args, gone=None, **kwargs):
        with self._lock:
            if self._admitted >= self.capacity:
                raise Saturated()
            self._admitted += 1
        try:
            cf = self._executor.submit(partial(fn, *args, **kwargs))
        except BaseException:
            self._release(None)
            raise
        cf.add_done_callback(self._release)
        afut = asyncio.wrap_future(cf)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:
            left = deadline - loop.time()
            done, _ = await asyncio.wait({afut}, timeout=max(0.0, min(left, GONE_POLL_S) if gone else left))
            if done:
                return afut.result()
            if loop.time() >= deadline:
                self._abandon(cf, afut)
                raise TimedOut()
            if gone is not None and not cf.running() and await gone():
                if self._abandon(cf, afut):
                    raise ClientGone()

    @staticmethod
    def _abandon(cf, afut) -> bool:
        """Cancel a call nobody waits for; True if it had not started (a running call finishes in the background)."""
        cancelled = cf.cancel()
        afut.add_done_callback(lambda f: f.cancelled() or f.exception())  # silence "never retrieved"
        return cancelled

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def is_lt_path(path: str) -> bool:
    return path.startswith("/v2/")


async def send_error(send, status: int, message: str, plain: bool, headers: list | None = None) -> None:
    """Send a complete error response from ASGI middleware: plain text for /v2 (like LanguageTool), else JSON."""
    if plain:
        body = (message + "\n").encode()
        ctype = b"text/plain; charset=utf-8"
    else:
        body = json.dumps({"error": {"status": status, "message": message}}).encode()
        ctype = b"application/json"
    hdrs = [(b"content-type", ctype), (b"content-length", str(len(body)).encode())] + (headers or [])
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuse request bodies larger than the cap with 413 before the app sees them.

    A declared Content-Length over the cap is refused without reading; a chunked body is read up to the cap
    and refused as soon as it passes it. The body read here is replayed to the app."""

    def __init__(self, app, max_body: int, max_upload: int, upload_paths: tuple[str, ...] = ()):
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.upload_paths = upload_paths

    async def __call__(self, scope, receive, send):
        # every method: LanguageTool's GET /v2/check reads form data from a body too, so a GET is capped like a POST
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        limit = self.max_upload if path in self.upload_paths else self.max_body
        plain = is_lt_path(path)
        what = "upload" if path in self.upload_paths else "request body"
        msg = (
            f"{what} too large: the limit is {limit:,} bytes; send less text per request"
            if not path.startswith("/api/v1/extract")
            else f"{what} too large: the limit is {limit:,} bytes for uploaded files"
        )
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    declared = int(v)
                except ValueError:
                    return await send_error(send, 400, "invalid Content-Length header", plain)
                if declared > limit:
                    return await send_error(send, 413, msg, plain, [(b"connection", b"close")])
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                # Read (and drop) the rest of a moderately oversized body before answering: closing a socket
                # with unread data makes the kernel send a reset, and the client then sees a connection error
                # instead of this 413. At most another `limit` bytes are drained; beyond that we close anyway.
                drained = 0
                while message.get("more_body", False) and drained <= limit:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    drained += len(message.get("body", b""))
                return await send_error(send, 413, msg, plain, [(b"connection", b"close")])
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)
