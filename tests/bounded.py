"""Run a command in a subprocess under resource limits and measure it (for the hardening tests).

`run_bounded(cmd, timeout=..., mem_mb=...)` starts `cmd` with RLIMIT_AS (address space) and RLIMIT_CPU set,
waits with os.wait4 so the rusage is that one child's own, kills it at `timeout` wall-clock seconds, and
returns a Result with returncode, stdout, stderr, wall seconds, CPU seconds and peak RSS (MB)."""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNSPIN = os.path.join(ROOT, ".venv", "bin", "unspin")
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")


@dataclass
class Result:
    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float
    maxrss_mb: float
    timed_out: bool


def run_bounded(cmd: list[str], *, timeout: float = 60, mem_mb: int = 4096, stdin_bytes: bytes | None = None,
                env: dict | None = None, cwd: str | None = None) -> Result:
    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (mem_mb * 1024 * 1024, mem_mb * 1024 * 1024))
        cpu = int(timeout) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp:
        if stdin_bytes is not None:
            inp.write(stdin_bytes)
            inp.seek(0)
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=inp, stdout=out, stderr=err, preexec_fn=limits,
                                env=env or dict(os.environ), cwd=cwd or ROOT)
        timed_out = False
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > timeout:
                timed_out = True
                os.kill(proc.pid, signal.SIGKILL)
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Result(None if timed_out else proc.returncode, out.read().decode("utf-8", "replace"),
                      err.read().decode("utf-8", "replace"), wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024,
                      timed_out)
