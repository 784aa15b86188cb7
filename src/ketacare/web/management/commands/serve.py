"""`ketacare serve`: the app under gunicorn (a production WSGI server), static files by
WhiteNoise from the same process. No runserver, no separate web server needed."""

from __future__ import annotations

import gc
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandParser
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from ketacare.cli.command import Command as KetaCareCommand
from ketacare.cli.command import usage
from ketacare.web.log_redaction import RedactLinks, redact


class RedactingLogger(Logger):
    """gunicorn's access log with every text field redacted: the path, the request line
    and headers such as Referer can all hold a /r/<token> link. Its error log ("Error
    handling request /r/...") gets the same filter."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        self.error_log.addFilter(RedactLinks())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any],
              request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}


def freeze_loaded_objects(worker: Any) -> None:
    """gunicorn's post_worker_init: what the worker has loaded (Django, the apps, the URL
    configuration: ~85,000 objects) lives as long as it does, so it is moved out of the
    cycle collector's reach (`gc.freeze`). A full collection then scans only what requests
    made since: 1-2 ms instead of 50-90 ms during which every thread of the worker stood
    still (docs/performance.md)."""
    gc.freeze()
    worker.log.info("Worker %s: %d objects loaded at start-up frozen", worker.pid,
                    gc.get_freeze_count())


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from ketacare.config.wsgi import application

        return application


class Command(KetaCareCommand):
    help = "Serve KetaCare with gunicorn on HOST:PORT (default 127.0.0.1:8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=2,
                            help="requests a worker runs at once (default 2)")

    def handle(self, *args: Any, host: str, port: int, workers: int, threads: int,
               **options: Any) -> None:
        if not 0 < port < 65536:
            raise usage(f"--port must be 1-65535, got {port}")
        if workers < 1:
            raise usage(f"--workers must be at least 1, got {workers}")
        if threads < 1:
            raise usage(f"--threads must be at least 1, got {threads}")
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"KetaCare on http://{host}:{port}/  (Ctrl-C stops it)")
        _Gunicorn(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                # A worker takes no more connections than it has threads; the others wait
                # in the listening socket's queue for whichever worker frees a thread first.
                # With gunicorn's default (1,000) a busy worker went on accepting and queued
                # requests behind its own while the other worker had a thread free. Two
                # threads rather than four: the threads of a worker share one core (the
                # GIL). At 8 clients on 100k patients this cut the chart's p95 from 125-137
                # to 92-97 ms and the trivial page's from 79-82 to 56-63 ms
                # (docs/performance.md, session 18).
                "worker_class": "gthread",  # also with --threads 1 (gunicorn would pick "sync")
                "threads": threads,
                "worker_connections": threads,
                # Every response closes its connection. A kept-alive connection stays with
                # the worker that accepted it, and a worker runs on one core (the GIL): 8
                # browser or proxy connections split 8/0 to 4/4 at random between two
                # workers, and the trivial page measured 75 to 167 requests a second by
                # the split alone. Closed, each request goes to whichever worker accepts
                # it first (docs/performance.md). nginx's default proxying opens a
                # connection per request anyway.
                "keepalive": 0,
                "accesslog": "-",
                "logger_class": RedactingLogger,
                "post_worker_init": freeze_loaded_objects,
                # Paths only (query strings could carry identifiers), /r/ links redacted.
                "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
            }
        ).run()
