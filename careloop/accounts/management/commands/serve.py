"""`careloop serve`: the production web server. Collects static files, then becomes gunicorn."""

import os
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def default_workers(cores: int | None) -> int:
    """gunicorn's rule of thumb, 2 x cores + 1, capped at 8: more workers mostly wait on the database."""
    return min(2 * (cores or 1) + 1, 8)


def gunicorn_argv(bind: str, workers: int) -> list[str]:
    return [
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
        # Workers start after the fork from a clean interpreter; a slow request is cut at 60 s.
        "--timeout",
        "60",
    ]


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

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError(f"--workers must be at least 1 (got {options['workers']}).")
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        argv = gunicorn_argv(options["bind"], options["workers"])
        self.stdout.write(f"Serving on http://{options['bind']}/ with {options['workers']} workers.")
        self.stdout.flush()
        # gunicorn takes over this process, so a service manager's SIGTERM reaches its master directly.
        os.execv(sys.executable, argv)  # noqa: S606 -- fixed program, arguments from our own options
