"""`careloop worker`: the task worker with the sealer beside it; one-off runs; a clean stop on SIGTERM."""

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks_db.models import DBTaskResult

from careloop.accounts import audit
from careloop.accounts.models import AuditSeal
from careloop.accounts.tasks import verify_audit_chain
from tests.factories import make_organization

CARELOOP = [sys.executable, "-c", "import sys; from careloop.cli import main; sys.exit(main())"]


@pytest.mark.django_db(transaction=True)
def test_a_batch_run_runs_the_queued_tasks_then_seals():
    org = make_organization()
    audit.record("patient.list", organization_id=org.pk)
    verify_audit_chain.enqueue(org.pk)
    out = io.StringIO()
    call_command("worker", "--batch", "--no-startup-delay", stdout=out)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert AuditSeal.objects.count() == 1
    assert "sealed 1 audit entries" in out.getvalue()


@pytest.mark.django_db
def test_a_worker_without_the_audit_keys_refuses_to_start_saying_what_to_set(settings):
    settings.AUDIT_KEYS = ""
    with pytest.raises(CommandError, match=r"CARELOOP_AUDIT_KEYS is not set.*--no-seal"):
        call_command("worker", "--batch")


def _environment(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARELOOP_", "DJANGO_"))}
    env.update(
        CARELOOP_DEBUG="true",
        CARELOOP_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CARELOOP_LOG_LEVEL="WARNING",
        CARELOOP_AUDIT_CHECKPOINT_SECONDS="1",
    )
    return env


def _seals(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM accounts_auditseal").fetchone()[0])


def test_the_worker_seals_as_entries_arrive_checkpoints_and_stops_cleanly_on_sigterm(tmp_path):
    env = _environment(tmp_path)
    record = "import django; django.setup(); from careloop.accounts import audit; " + "; ".join(
        ["audit.record('patient.list', organization_id=None)"] * 3
    )
    subprocess.run([*CARELOOP, "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [sys.executable, "-c", record], env={**env, "DJANGO_SETTINGS_MODULE": "careloop.settings"}, check=True
    )
    worker = subprocess.Popen(
        [*CARELOOP, "worker", "--seal-every", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while _seals(tmp_path) < 3 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
        assert _seals(tmp_path) == 3
        subprocess.run(
            [sys.executable, "-c", record],
            env={**env, "DJANGO_SETTINGS_MODULE": "careloop.settings"},
            check=True,
        )
        while _seals(tmp_path) < 6 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _seals(tmp_path) == 6
        worker.send_signal(signal.SIGTERM)
        _out, errors = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, errors
    assert "Traceback" not in errors
    checkpoints = [
        json.loads(line)
        for path in (tmp_path / "audit-checkpoints").glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert checkpoints[0]["chains"]["0"][0] == 3
    assert checkpoints[-1]["chains"]["0"][0] == 6
    verified = subprocess.run([*CARELOOP, "audit", "verify"], env=env, capture_output=True, text=True)
    assert verified.returncode == 0
    assert "chain 0 (installation): ok 6 entries" in verified.stdout
