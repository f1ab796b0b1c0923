"""`careloop serve`: the production web server. Collects static files, then becomes gunicorn."""

import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

# gunicorn's access line without the query string (%(U)s is the path alone; %(r)s and %(q)s carry it) and
# without the Referer (%(f)s, which is the previous page's whole URL): an identifier that ever reached a
# URL would otherwise be written to the log in clear.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'

# A unix socket's path must fit in sun_path (108 bytes on Linux, with its terminating NUL).
MAX_SOCKET_PATH = 107


def default_workers(cores: int | None) -> int:
    """gunicorn's rule of thumb, 2 x cores + 1, capped at 8: more workers mostly wait on the database."""
    return min(2 * (cores or 1) + 1, 8)


def control_socket_path(var_dir: Path) -> Path:
    """gunicorn's control socket, in a directory of this installation that only its owner may enter.

    gunicorn's default is one path per user account (`~/.gunicorn/gunicorn.ctl`): a second instance run by
    the same account would take over the first one's socket.
    """
    run_dir = var_dir / "run"
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    run_dir.chmod(0o700)  # mkdir's mode does not apply to a directory that was already there
    return run_dir / "gunicorn.ctl"


def gunicorn_argv(bind: str, workers: int, control_socket: Path | None) -> list[str]:
    """The gunicorn command line; without a control socket when `control_socket` is None."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "careloop.wsgi",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--access-logformat",
        ACCESS_LOG_FORMAT,
        # Workers start after the fork from a clean interpreter; a slow request is cut at 60 s.
        "--timeout",
        "60",
    ]
    if control_socket is None:
        return [*argv, "--no-control-socket"]
    return [*argv, "--control-socket", str(control_socket), "--control-socket-mode", "0o600"]


class Command(BaseCommand):
    help = (
        "Collect static files, then run the web server (gunicorn). Run the worker apart: `careloop worker`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="Address to listen on (127.0.0.1:8000).")
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(os.cpu_count()),
            help="Worker processes (2 x cores + 1, at most 8).",
        )
        parser.add_argument("--no-collectstatic", action="store_true", help="Skip collectstatic.")
        parser.add_argument(
            "--no-control-socket",
            action="store_true",
            help="Run without gunicorn's control socket (else <var dir>/run/gunicorn.ctl, mode 0600).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError(f"--workers must be at least 1 (got {options['workers']}).")
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        socket = None if options["no_control_socket"] else control_socket_path(Path(settings.VAR_DIR))
        if socket is not None and len(os.fsencode(socket)) > MAX_SOCKET_PATH:
            self.stderr.write(f"No control socket: its path would be too long for a unix socket ({socket}).")
            socket = None
        argv = gunicorn_argv(options["bind"], options["workers"], socket)
        self.stdout.write(f"Serving on http://{options['bind']}/ with {options['workers']} workers.")
        self.stdout.flush()
        # gunicorn takes over this process, so a service manager's SIGTERM reaches its master directly.
        os.execv(sys.executable, argv)  # noqa: S606 -- fixed program, arguments from our own options
