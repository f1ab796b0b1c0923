"""A sweep killed half-way (SIGKILL) and started again ends in the state one clean run leaves: each batch
commits whole, and the natural key makes the rerun skip what the killed run committed."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CARELOOP = [sys.executable, "-c", "import sys; from careloop.cli import main; sys.exit(main())"]
TODAY = "2026-12-07"
POPULATE = (
    "import sys, datetime; sys.path.insert(0, 'bench'); import django; django.setup(); import sweep; "
    "sweep.populate(3000, datetime.date(2026, 12, 7))"
)
SNAPSHOT = (
    "import django, json; django.setup(); from careloop.followup.models import Task; "
    "print(json.dumps(sorted(Task.objects.values_list('enrolment_id', 'step', 'number', 'due', 'opens', "
    "'closes', 'channel', 'content_kind', 'content_ref', 'assignee_role', 'assignee_user_id', 'status')), "
    "default=str))"
)
CLEAR = (  # tasks and how far the sweep got: the next run is a first run again
    "import django; django.setup(); from careloop.followup.models import SweepState, Task; "
    "Task.objects.all().delete(); SweepState.objects.all().delete()"
)


def _environment(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARELOOP_", "DJANGO_"))}
    env.update(
        CARELOOP_DEBUG="true",
        CARELOOP_VAR_DIR=str(tmp_path),
        DATABASE_URL=database_url,
        CARELOOP_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="careloop.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


def _python(env: dict[str, str], code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _sweep(env: dict[str, str], *more: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CARELOOP, "sweep", "--today", TODAY, *more],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _killed_and_restarted_equals_one_clean_run(env: dict[str, str]) -> None:
    subprocess.run([*CARELOOP, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    _python(env, POPULATE)
    killed = _sweep(env, "--batch", "20", "-v", "2")
    assert killed.stdout is not None
    line = killed.stdout.readline()  # the first batch has committed
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert "batch 1" in line and killed.returncode == -signal.SIGKILL
    partial = len(json.loads(_python(env, SNAPSHOT)))
    restarted = _sweep(env)
    assert restarted.wait() == 0, restarted.stderr.read() if restarted.stderr else ""
    after_restart = _python(env, SNAPSHOT)
    _python(env, CLEAR)
    clean = _sweep(env)
    assert clean.wait() == 0
    after_clean = _python(env, SNAPSHOT)
    total = len(json.loads(after_clean))
    assert 0 < partial < total, "the kill came after the last batch: no half-way state was tested"
    assert after_restart == after_clean
    again = _sweep(env)
    assert again.wait() == 0 and again.stdout is not None
    assert "tasks made: 0, missed: 0, enrolments ended: 0" in again.stdout.read()


def test_a_sweep_killed_half_way_on_sqlite_ends_as_one_clean_run(tmp_path):
    env = _environment(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    _killed_and_restarted_equals_one_clean_run(env)


def test_a_sweep_killed_half_way_on_postgresql_ends_as_one_clean_run(tmp_path):
    psycopg = pytest.importorskip("psycopg")
    server = os.environ.get("CARELOOP_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    name = f"careloop_sweep_restart_{os.getpid()}"
    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL at {server}: {error}")
    try:
        _killed_and_restarted_equals_one_clean_run(_environment(tmp_path, f"{server}/{name}"))
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
