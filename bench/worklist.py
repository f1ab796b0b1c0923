"""The follow-up worklist page (careloop/followup/worklist.py) with a million open tasks in the database.

    .venv/bin/python bench/worklist.py [--tasks 1000000] [--server postgres://postgres@127.0.0.1:5432]
                                       [--sqlite 0] [--requests 40]

One organization on a throw-away PostgreSQL database: 200 000 patients in hypertension management, five
open tasks each (due from 60 days ago to 300 days ahead: a backlog, today, and the year to come), shared by
500 nurses (nine in ten by name, the rest in the nurses' queue), and 500 open alerts. A nurse's worklist
is fetched `--requests` times through Django's test client (middleware, sessions, template included):
first page, second page and a filtered page. One JSON line: p50 and p95 in milliseconds, queries per page,
and how many tasks the nurse's list holds.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scratch import ROOT, configure, environment, postgres_database

NURSES = 500
TASKS_PER_ENROLMENT = 5


def populate(tasks: int) -> Any:
    """The organization, its nurses and open tasks (Django set up); returns the first nurse."""
    from django.db import connection
    from django.utils import timezone

    from careloop.accounts.models import Organization, User
    from careloop.alerts.models import Alert
    from careloop.followup.actions import do_install_shipped
    from careloop.followup.models import Enrolment, Protocol, Task
    from careloop.patients.models import Patient

    organization = Organization.objects.create(name="随访基准", code="bench-worklist")
    nurses = [User(username=f"nurse-{n}", organization=organization, role="nurse") for n in range(NURSES)]
    for nurse in nurses:
        nurse.set_unusable_password()
    User.objects.bulk_create(nurses)
    first_nurse = User.objects.filter(organization=organization).order_by("pk")[0]
    do_install_shipped(organization)
    protocol = Protocol.objects.get(organization=organization, key="hypertension")
    patients = tasks // TASKS_PER_ENROLMENT
    today = timezone.localdate()
    now = timezone.now()
    postgres = connection.vendor == "postgresql"

    def plus(days: str) -> str:
        """SQL for a date parameter plus `days` (an SQL integer expression)."""
        if postgres:
            return f"CAST(%s AS date) + CAST({days} AS integer)"
        return f"date(%s, ({days}) || ' days')"

    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s)
            INSERT INTO {Patient._meta.db_table} (organization_id, name, name_initials, name_pinyin, sex,
                birth_date, id_type, id_number, id_number_index, mobile, mobile_index, mobile_last4, address,
                ethnicity, occupation, insurance_type, responsible_doctor_id, department_id, created_at,
                updated_at, hand_edited, merged_into_id, deceased_on, moved_away_on)
            SELECT %s, 'P' || i, 'p', 'p', 'female', %s, 'resident', '', '', '', '', '', '', '', '', '',
                NULL, NULL, %s, %s, '{{}}', NULL, NULL, NULL
            FROM n""",
            [patients, organization.pk, datetime.date(1960, 5, 17), now, now],
        )
        cursor.execute(
            f"""INSERT INTO {Enrolment._meta.db_table} (organization_id, patient_id, protocol_id, anchor,
                status, ended_reason, started_at, started_on, ended_at, enrolled_by_id, trigger)
            SELECT organization_id, id, %s, %s, 'active', '', %s, %s, NULL, NULL, '{{"kind": "bench"}}'
            FROM {Patient._meta.db_table} WHERE organization_id = %s""",
            [protocol.pk, today, now, today, organization.pk],
        )
        due = plus("(e.id * 7 + s.k * 73) %% 360 - 60")
        last = TASKS_PER_ENROLMENT - 1
        cursor.execute(
            f"""WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM s WHERE k < {last})
            INSERT INTO {Task._meta.db_table} (organization_id, enrolment_id, step, number, due, opens,
                closes, channel, content_kind, content_ref, assignee_role, assignee_user_id, status, rung,
                done_at)
            SELECT e.organization_id, e.id, 'visit', s.k, {due}, {due}, {due}, 'phone', 'script', '', 'nurse',
                CASE WHEN (e.id + s.k) %% 10 = 0 THEN NULL ELSE %s + (e.id + s.k) / 10 %% {NURSES} END,
                'pending', 0, NULL
            FROM {Enrolment._meta.db_table} e CROSS JOIN s WHERE e.organization_id = %s""",
            [today, today, today, first_nurse.pk, organization.pk],
        )
        Alert.objects.bulk_create(
            Alert(
                organization=organization, patient_id=patient_id, kind="questionnaire", severity="high",
                title="bench", source_type="bench", source_id=str(patient_id), reason="bench",
            )
            for patient_id in Patient.objects.filter(organization=organization).values_list("pk", flat=True)[
                :: max(1, patients // 500)
            ]
        )  # fmt: skip
        cursor.execute("VACUUM ANALYZE" if postgres else "ANALYZE")
    return first_nurse


def child(tasks: int, requests: int) -> dict[str, Any]:
    configure(os.environ["DATABASE_URL"], var_dir=Path(os.environ["CARELOOP_VAR_DIR"]))
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from careloop.followup.models import Task
    from careloop.followup.worklist import Worklist

    nurse = populate(tasks)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(nurse)
    figures: dict[str, Any] = {
        "open_tasks": Task.objects.filter(status="pending").count(),
        "nurse_list": Worklist(nurse, timezone.localdate()).tasks().count(),
    }
    for name, url in (("first_page", "/followup/"), ("second_page", "/followup/?page=2"),
                      ("by_channel", "/followup/?channel=phone")):  # fmt: skip
        client.get(url)  # warm: sessions, templates, the planner's caches
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        if os.environ.get("BENCH_SHOW_QUERIES"):
            for query in queries.captured_queries:
                print(query["time"], query["sql"][:300], file=sys.stderr)
        times.sort()
        figures[name] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
            "queries": len(queries),
        }
    return figures


def run(database_url: str, tasks: int, requests: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="careloop-bench-") as var_dir:
        env = {**os.environ, **environment(database_url, Path(var_dir))}
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(tasks), "--requests", str(requests)],
            env=env, cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-3000:])
        figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000, help="Open tasks on PostgreSQL (0 to skip).")
    parser.add_argument("--sqlite", type=int, default=0, help="Open tasks on SQLite (0 to skip).")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.requests)))
        return
    line: dict[str, Any] = {"benchmark": "followup_worklist", "unit": "ms", "target_p95_ms": 50}
    if args.sqlite:
        with tempfile.TemporaryDirectory(prefix="careloop-worklist-") as folder:
            line[f"sqlite_{args.sqlite}"] = run(
                f"sqlite:///{folder}/worklist.sqlite3", args.sqlite, args.requests
            )
    if args.tasks:
        with postgres_database(args.server, "careloop_bench_worklist") as url:
            line[f"postgresql_{args.tasks}"] = run(url, args.tasks, args.requests)
    print(json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
