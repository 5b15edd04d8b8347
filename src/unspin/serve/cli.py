"""`unspin serve`: run the HTTP API, the LanguageTool-compatible endpoint and the web page (import-light)."""
from __future__ import annotations

import argparse
import os
import sys

from ..cli_args import positive_number, whole_number

_positive_int = whole_number(1)
_nonneg_int = whole_number(0)


def _port(s: str) -> int:
    v = _nonneg_int(s)
    if v > 65535:
        raise argparse.ArgumentTypeError(f"a TCP port is 0-65535, got {v}")
    return v


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "serve",
        help="run the HTTP API, a LanguageTool-compatible /v2/check and the web page",
        description=(
            "Serve unspin over HTTP: native JSON API (/api/v1/check, /api/v1/restore), LanguageTool-compatible "
            "API (/v2/check, /v2/languages) for editor plug-ins, and a web page at /. The engine is loaded once "
            "at start. Submitted text is never logged."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback only)")
    p.add_argument("--port", type=_port, default=8081, help="TCP port (default 8081, LanguageTool's usual port; "
                   "0: any free port, printed at start)")
    p.add_argument(
        "--api-key",
        default=None,
        help="require this key on /api/v1/* and /v2/check (Authorization: Bearer KEY, X-API-Key, or LanguageTool's "
        "apiKey parameter); default: env UNSPIN_API_KEY. Off a loopback address a key is generated if none is given",
    )
    p.add_argument(
        "--allow-no-key",
        action="store_true",
        help="serve a non-loopback address without an API key (not recommended)",
    )
    p.add_argument("--max-body", type=_positive_int, default=1_000_000, metavar="BYTES",
                   help="largest request body in bytes (default 1000000); larger requests get 413")
    p.add_argument("--max-upload", type=_positive_int, default=10_000_000, metavar="BYTES",
                   help="largest uploaded file for the page's file drop, in bytes (default 10000000)")
    p.add_argument("--timeout", type=positive_number, default=60.0, metavar="S",
                   help="seconds a request may take before 504 (default 60)")
    p.add_argument("--concurrency", type=_positive_int, default=2, metavar="N",
                   help="checks running at once (default 2)")
    p.add_argument("--queue", type=_nonneg_int, default=64, metavar="N",
                   help="requests that may wait for a free slot; beyond that 503 (default 64)")
    p.add_argument("--no-warmup", action="store_true", help="do not load the engine before listening")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                   help="server log level (default info); logs never contain submitted text")
    p.set_defaults(func=run)
    return p


def is_loopback(host: str) -> bool:
    import ipaddress

    h = host.strip("[]")
    if h.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False  # a host name: treat as public


def run(args) -> int:
    import logging
    import secrets
    import socket
    import time

    from ..types import ExitCode

    key = args.api_key or os.environ.get("UNSPIN_API_KEY") or None
    if not is_loopback(args.host):
        print(
            f"unspin serve: WARNING: listening on {args.host}, which other machines can reach. "
            "Anyone who can connect can use this server.",
            file=sys.stderr,
        )
        if not key and not args.allow_no_key:
            key = secrets.token_urlsafe(24)
            print(
                "unspin serve: no API key given, so one was generated for this run; clients must send it as "
                f"'Authorization: Bearer {key}' (or pass --api-key / UNSPIN_API_KEY, or --allow-no-key):",
                file=sys.stderr,
            )
            print(key, file=sys.stderr)
        elif not key:
            print("unspin serve: WARNING: --allow-no-key: no API key required", file=sys.stderr)

    # Fail early and clearly when the port is taken (uvicorn would only log and exit 1).
    family = socket.AF_INET6 if ":" in args.host.strip("[]") else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((args.host.strip("[]"), args.port))
            if args.port == 0:  # any free port: the one the system gave is the one to use and to print
                args.port = s.getsockname()[1]
    except OSError as e:
        print(f"unspin serve: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return int(ExitCode.USAGE)

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    import uvicorn

    import unspin

    from .app import Settings, create_app

    if not args.no_warmup:
        t0 = time.perf_counter()
        try:
            unspin.check("The quick brown fox jumps over the lazy dog near the river bank.")
        except Exception as e:  # noqa: BLE001
            print(f"unspin serve: the engine failed to load: {type(e).__name__}: {e}", file=sys.stderr)
            return int(ExitCode.INPUT)
        print(f"unspin serve: engine ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    settings = Settings(
        api_key=key,
        max_body=args.max_body,
        max_upload=args.max_upload,
        timeout=args.timeout,
        concurrency=args.concurrency,
        queue=args.queue,
    )
    app = create_app(settings=settings)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"unspin serve: http://{shown}:{args.port}/  (API docs at /docs; LanguageTool clients: "
          f"http://{shown}:{args.port})", file=sys.stderr)
    uvicorn.run(app, host=args.host.strip("[]"), port=args.port, access_log=False, log_level=args.log_level,
                server_header=False)
    return int(ExitCode.OK)
