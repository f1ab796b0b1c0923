"""Import speed as a user meets it: `careloop import FILE` run as a process, against PostgreSQL's COPY.

    .venv/bin/python bench/import.py [--sizes 100000,1000000] [--rounds 3] [--sqlite-size 100000]
                                     [--checkout [LABEL=]DIR ...] [--server postgres://user@host:5432]
                                     [--feed FILE]

One JSON line on stdout, progress on stderr. The feed is a laboratory's FHIR NDJSON export (labfeed.py:
20 LOINC codes, a lab's spread of values, some alternative units) for 100 k patients registered with their
MRN. Each checkout (default: this one; give `--checkout` once per checkout, e.g. before=DIR now=DIR) gets a
throw-away PostgreSQL database, migrated and seeded by its own code. Then, for each size, `--rounds` times
into an emptied observation table, for each checkout in turn (the order alternating by round):
  (a) the first import: the checkout's `manage.py import FILE --organization CODE --source-system S
      --no-progress` in a fresh process (caches cold), timed by the wall clock from process start to exit;
  (b) the re-import of the same file (0 rows written), the same way;
  (c) psycopg's `copy.write_row` of the rows (a) stored into a table of the same shape and indexes: the
      limit, measured in the same round, because a shared machine's speed drifts within minutes.
Each ratio to COPY is taken within its round; the medians and ranges over the rounds are reported, and
linearity (the rate at the largest size over the rate at the smallest). Then the first import on SQLite
in a fresh database. The rows stored are counted: an import that stores fewer than the feed's lines, or a
re-import that writes any, stops the benchmark. `--feed FILE` measures a given NDJSON file of
Observations of Patient/p<N> instead of the lab feed (one size: its lines; no SQLite run).
"""

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any

import psycopg
from labfeed import CRITICAL_LIMITS, PANELS, SOURCE, write
from scratch import ROOT, configure, environment, postgres_database

if TYPE_CHECKING:
    from careloop.accounts.models import Organization

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


def seed_child() -> None:
    """Migrate and seed the database of the environment with the checkout's own code (a child process:
    Django is set up once per process), and say where the import writes."""
    from django.db import connection

    from careloop.observations.models import ImportBatch, Observation, ObservationVersion

    organization = make_population(PATIENTS)
    columns = [f.column for f in Observation._meta.concrete_fields if f.column and not f.primary_key]
    names = {
        "organization_id": organization.pk,
        "observations": Observation._meta.db_table,
        "versions": ObservationVersion._meta.db_table,
        "batches": ImportBatch._meta.db_table,
        "columns": [connection.ops.quote_name(column) for column in columns],
    }
    print(json.dumps(names))


@dataclass
class Target:
    """A checkout under test, its database (seeded by its own code) and where its import writes."""

    label: str
    checkout: Path
    env: dict[str, str]
    names: dict[str, Any]
    connection: psycopg.Connection[Any]

    def sql(self, query: str, *params: Any) -> list[Any]:
        with self.connection.cursor() as cursor:
            cursor.execute(query, params)  # the table names are the models' own
            return cursor.fetchall() if cursor.description else []

    def run_import(self, feed: Path) -> float:
        return run_timed(self.checkout, self.env, import_command(self.checkout, feed))


def run_timed(checkout: Path, env: dict[str, str], command: list[str]) -> float:
    """Seconds from starting `command` as a fresh process of `checkout` to its exit."""
    env = {**os.environ, **env, "PYTHONPATH": str(checkout)}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{checkout}: {' '.join(command[1:3])} failed:\n{done.stderr[-3000:]}")
    return seconds


def import_command(checkout: Path, feed: Path) -> list[str]:
    return [
        sys.executable, str(checkout / "manage.py"), "import", str(feed), "--organization", ORGANIZATION,
        "--source-system", SOURCE, "--no-progress",
    ]  # fmt: skip


def startup_seconds(target: Target) -> float:
    """What every run pays before reading a line: the interpreter, Django and the command's modules
    (`import --help` loads them all), the median of three."""
    command = [sys.executable, str(target.checkout / "manage.py"), "import", "--help"]
    return round(median(run_timed(target.checkout, target.env, command) for _ in range(3)), 2)


def counts(target: Target) -> tuple[int, int, int]:
    """(rows stored, new and corrected in the last import)."""
    names = target.names
    query = f"SELECT count(*) FROM {names['observations']} WHERE organization_id = %s"
    (stored,) = target.sql(query, names["organization_id"])[0]
    query = f"SELECT created, updated FROM {names['batches']} WHERE organization_id = %s ORDER BY id DESC"
    created, updated = target.sql(query, names["organization_id"])[0]
    return stored, created, updated


def copy_rate(target: Target) -> float:
    """Rows/s of COPY (psycopg `copy.write_row`, text format) of the rows the import stored, every column
    but the key, into a table made LIKE the observation table INCLUDING ALL (indexes, unique key,
    defaults)."""
    table, columns = target.names["observations"], ", ".join(target.names["columns"])
    rows = target.sql(
        f"SELECT {columns} FROM {table} WHERE organization_id = %s", target.names["organization_id"]
    )
    target.sql(f"CREATE TABLE bench_copy (LIKE {table} INCLUDING ALL)")
    target.sql("CHECKPOINT")
    started = time.perf_counter()
    statement = f"COPY bench_copy ({columns}) FROM STDIN"
    with target.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    seconds = time.perf_counter() - started  # autocommit: the COPY is committed when it ends
    target.sql("DROP TABLE bench_copy")
    return len(rows) / seconds


def one_round(target: Target, feed: Path, size: int) -> dict[str, float]:
    """Import into an empty table, import again, then COPY the same rows: one set of figures."""
    # TRUNCATE, not DELETE: a DELETE would leave the next round dead rows. CHECKPOINT before each timed
    # step: no step pays for writing out the pages of the one before.
    target.sql(f"TRUNCATE {target.names['versions']}, {target.names['observations']}")
    target.sql("CHECKPOINT")
    first = target.run_import(feed)
    stored, created, _ = counts(target)
    assert stored == size == created, f"{target.label}: {stored} rows stored, {created} new, of {size}"
    target.sql("CHECKPOINT")
    again = target.run_import(feed)
    stored, created, updated = counts(target)
    assert stored == size and created + updated == 0, f"{target.label}: re-import wrote {created + updated}"
    copy = copy_rate(target)
    say(
        f"{target.label} {size} rows: import {first:.1f} s, re-import {again:.1f} s, COPY {size / copy:.1f} s"
    )
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


def sqlite_child(checkout: Path, feed: Path, size: int) -> None:
    """The first import on a fresh SQLite database (a child process: Django is set up once per process)."""
    with tempfile.TemporaryDirectory() as folder:
        configure(f"sqlite:///{folder}/bench.sqlite3", var_dir=Path(folder), tree=checkout)
        from django.db import connections

        from careloop.observations.models import Observation

        make_population(PATIENTS)
        connections.close_all()  # the import must not wait on our transaction
        seconds = run_timed(checkout, {}, import_command(checkout, feed))
        stored = Observation.objects.count()
        assert stored == size, f"{stored} rows stored of {size}"
        print(json.dumps({"rows": size, "seconds": round(seconds, 2), "rows_per_s": round(size / seconds)}))


def child(checkout: Path, mode: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The last line of a child run of this script, as JSON."""
    command = [sys.executable, __file__, "--checkout", str(checkout), mode, *args]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}
    )
    if done.returncode != 0:
        raise RuntimeError(f"{mode} {checkout} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def revision(checkout: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True).stdout

    return git("rev-parse", "--short", "HEAD").strip() + ("+changes" if git("status", "--porcelain") else "")


def checkouts(given: list[str]) -> dict[str, Path]:
    """LABEL=DIR or DIR (labelled by its folder's name) -> label: the checkout's root."""
    found = {}
    for text in given or [str(ROOT)]:
        label, _, folder = text.rpartition("=")
        path = Path(folder).resolve()
        found[label or path.name] = path
    return found


def measure(args: argparse.Namespace, feeds: dict[int, Path], stack: ExitStack) -> dict[str, Any]:
    sizes = sorted(feeds) if args.feed else [int(s) for s in args.sizes.split(",")]
    targets = []
    for number, (label, checkout) in enumerate(checkouts(args.checkout).items()):
        database_url = stack.enter_context(postgres_database(args.server, f"careloop_bench{number}"))
        env = environment(database_url, Path(stack.enter_context(tempfile.TemporaryDirectory())))
        say(f"{label}: migrating and registering {PATIENTS} patients with {checkout}")
        names = child(checkout, "--seed", env=env)
        connection = stack.enter_context(psycopg.connect(database_url, autocommit=True))
        targets.append(Target(label, checkout, env, names, connection))
    rounds: dict[tuple[str, int], list[dict[str, float]]] = {}
    for size in sizes:
        for number in range(args.rounds):
            for target in targets if number % 2 == 0 else targets[::-1]:  # neither always first
                rounds.setdefault((target.label, size), []).append(one_round(target, feeds[size], size))
    results = {}
    for target in targets:
        per_size = {str(size): summary(rounds[target.label, size], size) for size in sizes}
        largest, smallest = per_size[str(sizes[-1])], per_size[str(sizes[0])]
        results[target.label] = {
            "checkout": str(target.checkout),
            "revision": revision(target.checkout),
            "process_start_seconds": startup_seconds(target),
            "postgres": per_size,
            "linearity": round(largest["rows_per_s"] / smallest["rows_per_s"], 3),
            "reimport_linearity": round(largest["reimport_rows_per_s"] / smallest["reimport_rows_per_s"], 3),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument(
        "--feed",
        type=Path,
        help="an NDJSON file of Observations of Patient/p<N> to measure instead (one size)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size; figures are medians")
    parser.add_argument("--sqlite-size", type=int, default=100_000, help="0 skips SQLite")
    parser.add_argument("--checkout", action="append", default=[], help="[LABEL=]DIR, once per checkout")
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sqlite-child", nargs=2, metavar=("FEED", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    # One secret key for every process of a run (Django refuses to start without one).
    os.environ.setdefault("CARELOOP_SECRET_KEY", base64.urlsafe_b64encode(os.urandom(40)).decode())
    if args.seed or args.sqlite_child:
        (checkout,) = checkouts(args.checkout).values()
        if args.seed:
            configure(os.environ["DATABASE_URL"], var_dir=Path(os.environ["CARELOOP_VAR_DIR"]), tree=checkout)
            seed_child()
        else:
            sqlite_child(checkout, Path(args.sqlite_child[0]), int(args.sqlite_child[1]))
        return
    with tempfile.TemporaryDirectory(prefix="careloop-feed-") as folder, ExitStack() as stack:
        feeds = {}
        for size in sorted({*map(int, args.sizes.split(",")), args.sqlite_size} - {0}):
            if args.feed:
                break
            say(f"writing a feed of {size} lines")
            feeds[size] = write(Path(folder) / f"lab-{size}.ndjson", size, PATIENTS)
        if args.feed:
            with args.feed.open("rb") as lines:
                feeds = {sum(1 for _ in lines): args.feed.resolve()}
            args.sqlite_size = 0
        results = measure(args, feeds, stack)
        stack.close()  # the PostgreSQL databases dropped before SQLite runs
        for label, figures in results.items():
            if args.sqlite_size:
                say(f"{label}: SQLite, {args.sqlite_size} rows")
                feed = str(feeds[args.sqlite_size])
                figures["sqlite_first_import"] = child(
                    Path(figures["checkout"]), "--sqlite-child", feed, str(args.sqlite_size)
                )
        feed_bytes = {str(size): path.stat().st_size for size, path in feeds.items()}
    result = {
        "benchmark": "import_fhir_ndjson_cli",
        "unit": "rows/s",
        "command": "python manage.py import FILE --organization CODE --source-system S --no-progress",
        "feed": str(args.feed)
        if args.feed
        else {"generator": "bench/labfeed.py", "codes": sum(map(len, PANELS)), "patients": PATIENTS},
        "feed_bytes": feed_bytes,
        "copy": "psycopg copy.write_row (text) into CREATE TABLE ... (LIKE observation INCLUDING ALL)",
        "checkouts": results,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
