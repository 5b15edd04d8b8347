"""Run a command in a subprocess under resource limits and measure it (for the hardening tests).

`run_bounded(cmd, timeout=..., mem_mb=...)` runs `cmd` with RLIMIT_AS (address space) and RLIMIT_CPU set and
kills it at `timeout` wall-clock seconds. It returns a Result with returncode, stdout, stderr, wall seconds,
CPU seconds and peak RSS (MB) of that command alone.

Peak RSS is measured with os.wait4 by a small launcher process: a child forked straight from the (large)
pytest process would report pytest's own size as its peak (ru_maxrss counts the pages before exec), so the
launcher - a fresh, small interpreter - forks the command and reports its rusage."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNSPIN = os.path.join(ROOT, ".venv", "bin", "unspin")
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")

LAUNCHER = r"""
import json, os, resource, sys
report, mem, cpu, cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
pid = os.fork()
if pid == 0:
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    try:
        os.execv(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
with open(report, "w") as fh:
    json.dump({"code": os.waitstatus_to_exitcode(status), "cpu": ru.ru_utime + ru.ru_stime,
               "maxrss_kb": ru.ru_maxrss}, fh)
"""


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
    with tempfile.TemporaryDirectory() as d:
        report = os.path.join(d, "rusage.json")
        args = [sys.executable, "-S", "-c", LAUNCHER, report, str(mem_mb * 1024 * 1024), str(int(timeout) + 5), *cmd]
        with open(os.path.join(d, "out"), "w+b") as out, open(os.path.join(d, "err"), "w+b") as err, \
                open(os.path.join(d, "in"), "w+b") as inp:
            if stdin_bytes is not None:
                inp.write(stdin_bytes)
                inp.seek(0)
            t0 = time.monotonic()
            proc = subprocess.Popen(args, stdin=inp, stdout=out, stderr=err, env=env or dict(os.environ),
                                    cwd=cwd or ROOT, start_new_session=True)
            timed_out = False
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            wall = time.monotonic() - t0
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
        try:
            with open(report) as fh:
                ru = json.load(fh)
        except (OSError, ValueError):
            ru = {"code": None, "cpu": float("nan"), "maxrss_kb": float("nan")}
    return Result(None if timed_out else ru["code"], stdout, stderr, wall, ru["cpu"], ru["maxrss_kb"] / 1024,
                  timed_out)
