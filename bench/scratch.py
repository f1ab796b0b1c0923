"""What the benchmarks set up alike: Django configured against a database of their own (debug settings,
keys made on the spot in a scratch folder), and a throw-away PostgreSQL database dropped afterwards."""

import base64
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def environment(database_url: str, var_dir: Path | None = None) -> dict[str, str]:
    """The settings a benchmark's Django reads from the environment, and the commands it starts with them:
    debug settings, keys made on the spot in `var_dir` (a new scratch folder if None)."""
    return {
        "DJANGO_SETTINGS_MODULE": "careloop.settings",
        "DATABASE_URL": database_url,
        "CARELOOP_DEBUG": "true",
        "CARELOOP_VAR_DIR": str(var_dir or tempfile.mkdtemp(prefix="careloop-bench-")),
        "CARELOOP_LOG_LEVEL": "WARNING",
    }


def configure(
    database_url: str, *, var_dir: Path | None = None, tree: Path = ROOT, migrate: bool = True
) -> None:
    """Set Django up for `database_url` with the `careloop` package of `tree` (another checkout, to measure
    it against this one); migrate the database unless told not to."""
    os.environ.update(environment(database_url, var_dir))
    os.environ.setdefault("CARELOOP_SECRET_KEY", base64.urlsafe_b64encode(os.urandom(40)).decode())
    sys.path.insert(0, str(tree))
    import django

    django.setup()
    import careloop

    # An installed careloop (the editable install of another checkout) must not stand in for `tree`'s.
    if Path(careloop.__file__).resolve().parent.parent != tree.resolve():
        raise RuntimeError(f"careloop was imported from {careloop.__file__}, not from {tree}")
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


@contextmanager
def postgres_database(server: str, prefix: str) -> Iterator[str]:
    """A new database on `server` for the duration (its URL), dropped afterwards whatever happens."""
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
