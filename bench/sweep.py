"""The daily follow-up sweep (careloop/followup/sweep.py): first run, second run, rows written.

    .venv/bin/python bench/sweep.py [--postgres 100000,1000000] [--sqlite 100000]
                                    [--server postgres://postgres@127.0.0.1:5432]

Each size runs in a fresh process on a throw-away database (PostgreSQL) or SQLite file: one organization,
as many patients as active enrolments, half in post-discharge (discharged in the last 45 days), half in
hypertension management (enrolled in the last year), written by INSERT … SELECT, then VACUUM ANALYZE on
PostgreSQL. Only the sweeps are timed. One JSON line: per database and size the seconds of the first and
second run, the rows each wrote, and the task table's indexes and constraints, as the target is stated
for a schema (PERFORMANCE.md §2).
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scratch import ROOT, configure, environment, postgres_database

if TYPE_CHECKING:
    from careloop.accounts.models import Organization

TODAY = datetime.date(2026, 12, 7)
ORGANIZATION = "bench-sweep"


def populate(enrolments: int, today: datetime.date = TODAY) -> "Organization":
    """An organization with `enrolments` patients, each in one active enrolment (Django set up)."""
    from django.db import connection
    from django.utils import timezone

    from careloop.accounts.models import Organization, User
    from careloop.followup.actions import do_install_shipped
    from careloop.followup.models import Enrolment, Protocol
    from careloop.patients.models import Patient

    organization = Organization.objects.create(name="随访基准", code=ORGANIZATION)
    doctor = User(username="bench-doctor", organization=organization, role="doctor")
    doctor.set_unusable_password()
    doctor.save()
    do_install_shipped(organization)
    Protocol.objects.filter(organization=organization, key="post-discharge").update(status="active")
    protocol = dict(Protocol.objects.filter(organization=organization).values_list("key", "pk"))
    postgres = connection.vendor == "postgresql"
    back = "date(%s, '-' || n.back || ' days')"
    if postgres:
        back = "CAST(%s AS date) - CAST(n.back AS integer)"
    now = timezone.now()
    with connection.cursor() as cursor:
        # Half the patients have a responsible doctor: half the doctors' tasks are a person's.
        cursor.execute(
            f"""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s)
            INSERT INTO {Patient._meta.db_table} (organization_id, name, name_initials, name_pinyin, sex,
                birth_date, id_type, id_number, id_number_index, mobile, mobile_index, mobile_last4, address,
                ethnicity, occupation, insurance_type, responsible_doctor_id, department_id, created_at,
                updated_at, hand_edited, merged_into_id)
            SELECT %s, 'P' || i, 'p', 'p', CASE WHEN i %% 2 = 0 THEN 'male' ELSE 'female' END, %s, 'resident',
                '', '', '', '', '', '', '', '', '',
                CASE WHEN i %% 4 < 2 THEN %s END, NULL, %s, %s, '{{}}', NULL
            FROM n""",
            [enrolments, organization.pk, datetime.date(1960, 5, 17), doctor.pk, now, now],
        )
        cursor.execute(
            f"""INSERT INTO {Enrolment._meta.db_table} (organization_id, patient_id, protocol_id, anchor,
                status, ended_reason, started_at, started_on, ended_at, enrolled_by_id, trigger)
            SELECT n.organization_id, n.id, n.protocol_id, {back}, 'active', '', %s, {back}, NULL, NULL,
                '{{"kind": "bench"}}'
            FROM (SELECT organization_id, id,
                    CASE WHEN id %% 2 = 0 THEN %s ELSE %s END AS protocol_id,
                    CASE WHEN id %% 2 = 0 THEN id %% 365 ELSE id %% 45 END AS back
                  FROM {Patient._meta.db_table} WHERE organization_id = %s) n""",
            [today, now, today, protocol["hypertension"], protocol["post-discharge"], organization.pk],
        )
        cursor.execute("VACUUM ANALYZE" if postgres else "ANALYZE")
    return organization


def schema() -> dict[str, list[str]]:
    """The task table's indexes and constraints as the database reports them."""
    from django.db import connection

    from careloop.followup.models import Task

    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Task._meta.db_table)
    described: dict[str, list[str]] = {"primary_key": [], "unique": [], "indexes": [], "foreign_keys": []}
    for name, about in sorted(found.items()):
        columns = ",".join(about["columns"] or [])
        if about["primary_key"]:
            described["primary_key"].append(columns)
        elif about["foreign_key"]:
            described["foreign_keys"].append(f"{columns}->{about['foreign_key'][0]}")
        elif about["unique"]:
            described["unique"].append(f"{name}({columns})")
        elif about["index"]:
            described["indexes"].append(f"{name}({columns})")
    return described


def child(size: int) -> dict[str, Any]:
    configure(os.environ["DATABASE_URL"], var_dir=Path(os.environ["CARELOOP_VAR_DIR"]))
    from careloop.followup.models import Task
    from careloop.followup.sweep import run_sweep

    organization = populate(size)
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        result = run_sweep(TODAY, organization.pk)
        runs.append({"seconds": round(time.perf_counter() - started, 3), "rows": result.written})
    anchor = copy_seconds()
    return {
        "enrolments": size,
        "tasks": Task.objects.filter(organization=organization).count(),
        "first_run": runs[0],
        "second_run": runs[1],
        "anchor_plain_copy": {
            "seconds": round(anchor, 3),
            "what": "INSERT … SELECT of the same rows, no index",
        },
        "first_run_over_anchor": round(runs[0]["seconds"] / anchor, 1),
        "task_table": schema(),
    }


def copy_seconds() -> float:
    """The same task rows copied into a table without key, index or check, measured in the same run: the
    machine's own pace at writing them, against which the sweep's first run reads (the machine is shared)."""
    from django.db import connection, transaction

    from careloop.followup.models import Task

    table = Task._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_anchor AS SELECT * FROM {table} WHERE 1 = 0")
        started = time.perf_counter()
        with transaction.atomic():
            cursor.execute(f"INSERT INTO bench_anchor SELECT * FROM {table}")
        return time.perf_counter() - started


def run(database_url: str, size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="careloop-bench-") as var_dir:
        env = {**os.environ, **environment(database_url, Path(var_dir))}
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(size)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-3000:])
        figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--postgres", default="100000,1000000", help="Sizes on PostgreSQL ('' to skip).")
    parser.add_argument("--sqlite", default="100000", help="Sizes on SQLite ('' to skip).")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    line: dict[str, Any] = {"benchmark": "followup_sweep", "unit": "s", "today": TODAY.isoformat()}
    for size in [int(s) for s in args.sqlite.split(",") if s]:
        with tempfile.TemporaryDirectory(prefix="careloop-sweep-") as folder:
            line[f"sqlite_{size}"] = run(f"sqlite:///{folder}/sweep.sqlite3", size)
    for size in [int(s) for s in args.postgres.split(",") if s]:
        with postgres_database(args.server, "careloop_bench_sweep") as url:
            line[f"postgresql_{size}"] = run(url, size)
    sizes = [key for key in line if key.startswith("postgresql_")]
    if len(sizes) >= 2:
        small, large = line[sizes[0]], line[sizes[-1]]
        # Seconds per enrolment at the largest size over the smallest: 1.0 is linear growth.
        line["growth_first_run"] = round(
            (large["first_run"]["seconds"] / large["enrolments"])
            / (small["first_run"]["seconds"] / small["enrolments"]),
            2,
        )
    print(json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
