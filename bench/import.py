"""Import speed as a user meets it: `careloop import FILE` run as a process, against PostgreSQL's COPY.

    .venv/bin/python bench/import.py [--sizes 100000,1000000] [--rounds 3] [--sqlite-size 100000]
                                     [--checkout DIR] [--server postgres://user@host:5432]

One JSON line on stdout, progress on stderr. The feed is a laboratory's FHIR NDJSON export (labfeed.py:
20 LOINC codes, a lab's spread of values, some alternative units) for 100 k patients registered with their
MRN. On a throw-away PostgreSQL database (migrated by the checkout under test), for each size, `--rounds`
times into an emptied observation table:
  (a) the first import: the checkout's `manage.py import FILE --organization CODE --source-system S
      --no-progress` in a fresh process (caches cold), timed by the wall clock from process start to exit;
  (b) the re-import of the same file (0 rows written), the same way;
  (c) psycopg's `copy.write_row` of the rows (a) stored into a table of the same shape and indexes: the
      limit, measured in the same round, because a shared machine's speed drifts within minutes.
Each ratio to COPY is taken within its round; the medians and ranges over the rounds are reported, and
linearity (the rate at the largest size over the rate at the smallest). Then the first import on SQLite
in a fresh database. `--checkout` measures another checkout of the repository (its own `careloop`
package, migrations and command) with this one's feed and method: run it for "before" and "now" in one
sitting and compare the ratios.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any

from labfeed import CRITICAL_LIMITS, PANELS, SOURCE, write
from scratch import ROOT, configure, postgres_database

if TYPE_CHECKING:
    from careloop.accounts.models import Organization
    from careloop.observations.models import ImportBatch

PATIENTS = 100_000
ORGANIZATION = "bench-import"


def say(message: str) -> None:
    print(
        f"[import bench {time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", file=sys.stderr, flush=True
    )


def make_population(patients: int) -> "Organization":
    """The organization, its critical limits, and `patients` patients known by their MRN (p<N>) in the
    feed's source system; sex and age vary, since the flag of a value depends on both."""
    import datetime

    from django.db import connection

    from careloop.accounts.models import Organization
    from careloop.bulkinsert import RowInserter
    from careloop.observations.models import CriticalLimit, PatientIdentifier
    from careloop.patients.models import Patient

    organization = Organization.objects.create(name="Bench", code=ORGANIZATION)
    CriticalLimit.objects.bulk_create(
        CriticalLimit(organization=organization, code=code, low=low, high=high)
        for code, (low, high) in CRITICAL_LIMITS.items()
    )
    columns = ["organization_id", "name", "name_initials", "name_pinyin", "sex", "birth_date", "updated_at"]
    inserter = RowInserter(Patient, columns)
    now = datetime.datetime.now(datetime.UTC)
    for index in range(patients):
        birth = datetime.date(1936 + index % 60, 1 + index % 12, 1 + index % 28)
        inserter.add((organization.pk, f"P{index}", "p", "p", "female" if index % 2 else "male", birth, now))
    inserter.flush()
    ids = Patient.objects.filter(organization=organization).order_by("id").values_list("id", flat=True)
    identifiers = RowInserter(PatientIdentifier, ["organization_id", "patient_id", "system", "value"])
    for index, patient_id in enumerate(ids):
        identifiers.add((organization.pk, patient_id, SOURCE, f"p{index}"))
    identifiers.flush()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # a database in use has its statistics; a fresh load has none
            cursor.execute("ANALYZE")
    return organization


def import_command(checkout: Path, feed: Path, *extra: str) -> list[str]:
    return [
        sys.executable, str(checkout / "manage.py"), "import", str(feed), "--organization", ORGANIZATION,
        "--source-system", SOURCE, "--no-progress", *extra,
    ]  # fmt: skip


def run_timed(checkout: Path, command: list[str]) -> float:
    """Seconds from starting `command` as a fresh process of `checkout` to its exit. The environment is the
    one `configure` set: the same database, keys and settings as this process."""
    from django.db import connections

    connections.close_all()  # the child must not wait on a transaction or a lock of ours
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:3])} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds


def stored_rows(organization: "Organization") -> int:
    from careloop.observations.models import Observation

    return Observation.objects.filter(organization=organization).count()


def last_batch(organization: "Organization") -> "ImportBatch":
    from careloop.observations.models import ImportBatch

    batch = ImportBatch.objects.filter(organization=organization).order_by("-id").first()
    assert batch is not None, "the import command made no import batch"
    return batch


def checkpoint() -> None:
    """Dirty pages of the step before written out now, so that no step pays for the one before."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")


def empty_observations() -> None:
    """Every observation gone, as from a fresh table: a DELETE would leave the next round dead rows."""
    from django.db import connection

    from careloop.observations.models import Observation, ObservationVersion

    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (ObservationVersion, Observation))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables}")


def copy_rate(organization: "Organization") -> float:
    """Rows/s of PostgreSQL's COPY (psycopg `copy.write_row`, text format) of the rows the import stored,
    every column but the key, into a table made LIKE the observation table INCLUDING ALL (its indexes,
    unique key, defaults and checks)."""
    from django.db import connection

    from careloop.observations.models import Observation

    table = connection.ops.quote_name(Observation._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(field.column)
        for field in Observation._meta.concrete_fields
        if field.column and not field.primary_key
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE organization_id = %s", [organization.pk])
        rows = cursor.fetchall()
        cursor.execute(
            f"DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE {table} INCLUDING ALL)"
        )
    checkpoint()
    raw = connection.connection
    started = time.perf_counter()
    with raw.cursor() as cursor, cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    raw.commit()
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy")
    return len(rows) / seconds


def one_round(checkout: Path, organization: "Organization", feed: Path, size: int) -> dict[str, float]:
    """Import into an empty table, import again, then COPY the same rows: one set of figures."""
    empty_observations()
    checkpoint()
    first = run_timed(checkout, import_command(checkout, feed))
    stored, batch = stored_rows(organization), last_batch(organization)
    assert stored == size == batch.created, f"{stored} rows stored, {batch.created} new, of {size}"
    checkpoint()
    again = run_timed(checkout, import_command(checkout, feed))
    batch = last_batch(organization)
    written = batch.created + batch.updated
    assert stored_rows(organization) == size and written == 0, f"re-import wrote {written} rows"
    copy = copy_rate(organization)
    say(f"{size} rows: import {first:.1f} s, re-import {again:.1f} s, COPY {size / copy:.1f} s")
    return {"seconds": first, "reimport_seconds": again, "copy_rows_per_s": copy}


def summary(rounds: list[dict[str, float]], size: int) -> dict[str, Any]:
    """Medians over the rounds; each ratio is taken within its round, with its lowest and highest."""
    rates = [size / r["seconds"] for r in rounds]
    reimport_rates = [size / r["reimport_seconds"] for r in rounds]
    ratios = [rate / r["copy_rows_per_s"] for rate, r in zip(rates, rounds, strict=True)]
    reimport_ratios = [rate / r["copy_rows_per_s"] for rate, r in zip(reimport_rates, rounds, strict=True)]

    def spread(values: list[float], digits: int) -> list[float]:
        return [round(min(values), digits), round(max(values), digits)]

    return {
        "rows": size,
        "rounds": len(rounds),
        "seconds": round(median(r["seconds"] for r in rounds), 2),
        "rows_per_s": round(median(rates)),
        "rows_per_s_range": spread(rates, 0),
        "reimport_seconds": round(median(r["reimport_seconds"] for r in rounds), 2),
        "reimport_rows_per_s": round(median(reimport_rates)),
        "copy_rows_per_s": round(median(r["copy_rows_per_s"] for r in rounds)),
        "ratio_to_copy": round(median(ratios), 3),
        "ratio_to_copy_range": spread(ratios, 3),
        "reimport_ratio_to_copy": round(median(reimport_ratios), 3),
        "reimport_ratio_to_copy_range": spread(reimport_ratios, 3),
    }


def startup_seconds(checkout: Path) -> float:
    """What every run pays before reading a line: the interpreter, Django and the command's modules
    (`import --help` loads them all), the median of three."""
    command = [sys.executable, str(checkout / "manage.py"), "import", "--help"]
    return round(median(run_timed(checkout, command) for _ in range(3)), 2)


def sqlite_child(checkout: Path, feed: Path, size: int) -> None:
    """The first import on a fresh SQLite database (this is a child process: Django is set up once)."""
    with tempfile.TemporaryDirectory() as folder:
        configure(f"sqlite:///{folder}/bench.sqlite3", tree=checkout)
        organization = make_population(PATIENTS)
        seconds = run_timed(checkout, import_command(checkout, feed))
        stored = stored_rows(organization)
        assert stored == size, f"{stored} rows stored of {size}"
        print(json.dumps({"rows": size, "seconds": round(seconds, 2), "rows_per_s": round(size / seconds)}))


def sqlite_rate(checkout: Path, feed: Path, size: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--checkout", str(checkout), "--sqlite-child", str(feed), str(size)]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise RuntimeError(f"SQLite run failed:\n{child.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return figures


def revision(checkout: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True).stdout

    return git("rev-parse", "--short", "HEAD").strip() + ("+changes" if git("status", "--porcelain") else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size; figures are medians")
    parser.add_argument("--sqlite-size", type=int, default=100_000, help="0 skips SQLite")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout whose import is measured")
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--sqlite-child", nargs=2, metavar=("FEED", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    if args.sqlite_child:
        sqlite_child(checkout, Path(args.sqlite_child[0]), int(args.sqlite_child[1]))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="careloop-feed-") as folder:
        feeds = {}
        for size in sorted({*sizes, args.sqlite_size} - {0}):
            say(f"writing a feed of {size} lines")
            feeds[size] = write(Path(folder) / f"lab-{size}.ndjson", size, PATIENTS)
        per_size = {}
        with postgres_database(args.server, "careloop_bench") as database_url:
            say(f"migrating and registering {PATIENTS} patients with {checkout}")
            configure(database_url, tree=checkout)
            organization = make_population(PATIENTS)
            startup = startup_seconds(checkout)
            for size in sizes:
                rounds = [one_round(checkout, organization, feeds[size], size) for _ in range(args.rounds)]
                per_size[str(size)] = summary(rounds, size)
        sqlite = None
        if args.sqlite_size:
            say(f"SQLite, {args.sqlite_size} rows")
            sqlite = sqlite_rate(checkout, feeds[args.sqlite_size], args.sqlite_size)
        feed_bytes = {str(size): path.stat().st_size for size, path in feeds.items()}
    largest, smallest = per_size[str(sizes[-1])], per_size[str(sizes[0])]
    result = {
        "benchmark": "import_fhir_ndjson_cli",
        "unit": "rows/s",
        "checkout": str(checkout),
        "revision": revision(checkout),
        "command": "python manage.py import FILE --organization CODE --source-system S --no-progress",
        "feed": {
            "generator": "bench/labfeed.py",
            "codes": sum(len(panel) for panel in PANELS),
            "patients": PATIENTS,
            "bytes": feed_bytes,
        },
        "process_start_seconds": startup,
        "postgres": per_size,
        "linearity_rate_ratio_largest_to_smallest": round(largest["rows_per_s"] / smallest["rows_per_s"], 3),
        "reimport_linearity": round(largest["reimport_rows_per_s"] / smallest["reimport_rows_per_s"], 3),
        "sqlite_first_import": sqlite,
        "copy": "psycopg copy.write_row (text) into CREATE TABLE ... (LIKE observation INCLUDING ALL)",
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
