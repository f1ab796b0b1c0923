"""Import speed of FHIR NDJSON Observations: the CareLoop pipeline against the plain alternatives.

    .venv/bin/python bench/import.py [--sizes 100000,1000000] [--rounds 3] [--orm-sample 10000]
                                     [--sqlite-size 100000]

One JSON line. On PostgreSQL (a throw-away database on DATABASE_URL's server, default the local one), for
each size: the end-to-end import (parse, match, normalize, flag, merge) in rows/s; a re-import of the same
file (0 rows written); and PostgreSQL's own COPY of the same rows into a table of the same shape and
indexes (the limit). Each size runs `--rounds` times into an emptied table; the figures are medians, each
ratio taken within its round, with its range (a shared machine's speed drifts by a third within minutes).
Once: Django ORM save() per row on a sample, and parsing alone with fhir.resources
(pydantic) on a sample. Then the end-to-end rate on SQLite in a fresh process. Ratios are within one run.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from careloop.accounts.models import Organization
    from careloop.observations.models import ImportBatch

from scratch import configure, postgres_database

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "http://his.example.cn/fhir"
PATIENTS = 100_000


def make_population(patients: int) -> "Organization":
    """An organization and `patients` patients known by their MRN in the source (Patient/p<N>)."""
    from careloop.accounts.models import Organization
    from careloop.bulkinsert import RowInserter
    from careloop.observations.models import PatientIdentifier
    from careloop.patients.models import Patient

    organization = Organization.objects.create(name="Bench", code=f"bench-{os.getpid()}")
    columns = ["organization_id", "name", "name_initials", "name_pinyin", "sex", "birth_date", "updated_at"]
    inserter = RowInserter(Patient, columns)
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    for index in range(patients):
        sex = "female" if index % 2 else "male"
        # Ages spread as in a clinic's population: a flag is worked out once per value, sex and age.
        birth = datetime.date(1936 + index % 60, 1 + index % 12, 1 + index % 28)
        inserter.add((organization.pk, f"P{index}", "p", "p", sex, birth, now))
    inserter.flush()
    ids = list(Patient.objects.filter(organization=organization).order_by("id").values_list("id", flat=True))
    identifiers = RowInserter(PatientIdentifier, ["organization_id", "patient_id", "system", "value"])
    for index, patient_id in enumerate(ids):
        identifiers.add((organization.pk, patient_id, SOURCE, f"p{index}"))
    identifiers.flush()
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # a database in use has its statistics; a fresh load has none yet
            cursor.execute("ANALYZE")
    return organization


def run_import(organization: "Organization", data: bytes) -> "tuple[float, ImportBatch]":
    from careloop.observations.importing.pipeline import run_import as pipeline
    from careloop.observations.models import ImportBatch
    from careloop.observations.sources.formats import read_chunks

    batch = ImportBatch.objects.create(organization=organization, kind="fhir", filename="bench.ndjson")
    started = time.perf_counter()
    batch, _ = pipeline(batch, read_chunks(data, "bench.ndjson", SOURCE, {}, organization_id=organization.pk))
    return time.perf_counter() - started, batch


# The observation columns the COPY comparison writes (all but the id, the batch and the report).
COPIED = (
    "organization_id", "patient_id", "code", "value", "unit", "comparator", "value_reported", "unit_reported",
    "flag", "effective_at", "status", "source_kind", "source_system", "source_id", "reference_range_reported",
    "version", "updated_at",
)  # fmt: skip


def copy_rate(organization: "Organization", size: int, binary: bool = False) -> float:
    """PostgreSQL COPY of `size` rows into a table shaped and indexed like the observation table.

    Text COPY with `write_row` is the limit PERFORMANCE.md names; binary COPY (what the pipeline's own
    loads use) is reported beside it.
    """
    from django.db import connection

    from careloop.bulkinsert import binary_copy_types, concrete_field
    from careloop.observations.models import Observation

    rows = list(Observation.objects.filter(organization=organization).values_list(*COPIED)[:size])
    table = Observation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE {table} INCLUDING ALL)"
        )
    columns = ", ".join(COPIED)
    raw = connection.connection
    started = time.perf_counter()
    types = binary_copy_types([concrete_field(Observation, name) for name in COPIED], connection)
    form = " (FORMAT BINARY)" if binary else ""
    with raw.cursor() as cursor, cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN{form}") as copy:
        if binary and types:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)
    raw.commit()
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy")
    return len(rows) / seconds


def empty_observations() -> None:
    """Every observation gone, as from a fresh table: a DELETE would leave the next round dead rows."""
    from django.db import connection

    from careloop.observations.models import Observation, ObservationVersion

    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (ObservationVersion, Observation))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables}")


def one_round(organization: "Organization", data: bytes, size: int) -> dict[str, float]:
    """Import into an empty table, import again, then COPY the same rows: one set of figures."""
    empty_observations()
    seconds, batch = run_import(organization, data)
    again, second = run_import(organization, data)
    assert batch.created == size, f"{batch.created} of {size} rows imported"
    return {
        "rows_per_s": size / seconds,
        "seconds": seconds,
        "reimport_rows_written": second.created + second.updated,
        "reimport_rows_per_s": size / again,
        "copy_rows_per_s": copy_rate(organization, size),
        "binary_copy_rows_per_s": copy_rate(organization, size, binary=True),
    }


def summary(rounds: list[dict[str, float]], size: int) -> dict[str, Any]:
    """Medians over the rounds; each ratio is taken within its round (the machine's speed drifts), and its
    lowest and highest are given beside the median."""
    from statistics import median

    def middle(name: str) -> float:
        return median(r[name] for r in rounds)

    ratios = [r["rows_per_s"] / r["copy_rows_per_s"] for r in rounds]
    reimport_ratios = [r["reimport_rows_per_s"] / r["copy_rows_per_s"] for r in rounds]
    return {
        "rows": size,
        "rounds": len(rounds),
        "seconds": round(middle("seconds"), 2),
        "rows_per_s": round(middle("rows_per_s")),
        "reimport_rows_written": max(r["reimport_rows_written"] for r in rounds),
        "reimport_rows_per_s": round(middle("reimport_rows_per_s")),
        "copy_rows_per_s": round(middle("copy_rows_per_s")),
        "binary_copy_rows_per_s": round(middle("binary_copy_rows_per_s")),
        "ratio_to_copy": round(median(ratios), 3),
        "ratio_to_copy_range": [round(min(ratios), 3), round(max(ratios), 3)],
        "reimport_ratio_to_copy": round(median(reimport_ratios), 3),
        "reimport_ratio_to_copy_range": [round(min(reimport_ratios), 3), round(max(reimport_ratios), 3)],
    }


def orm_rate(organization: "Organization", sample: int) -> float:
    import datetime

    from django.db import transaction

    from careloop.observations.models import Observation
    from careloop.patients.models import Patient

    patient_id = Patient.objects.filter(organization=organization).values_list("id", flat=True).first()
    assert patient_id is not None, "make_population made the patients"
    at = datetime.datetime(2025, 3, 1, 8, 30, tzinfo=datetime.UTC)
    started = time.perf_counter()
    with transaction.atomic():
        for index in range(sample):
            Observation(
                organization=organization, patient_id=patient_id, code="1558-6", value=5.6, unit="mmol/L",
                value_reported="5.6", unit_reported="mmol/L", flag="normal", effective_at=at, status="final",
                source_kind="hospital_system", source_system="orm-bench", source_id=f"orm-{index}",
            ).save()  # fmt: skip
    return sample / (time.perf_counter() - started)


def fhir_resources_rate(data: bytes, sample: int) -> float | None:
    try:
        from fhir.resources.R4B.observation import Observation
    except ImportError:
        return None
    lines = data.splitlines()[:sample]
    started = time.perf_counter()
    for line in lines:
        Observation.model_validate_json(line)
    return len(lines) / (time.perf_counter() - started)


def sqlite_child(size: int) -> None:
    from careloop.observations.sources.fhir.ndjson import synthetic_observations

    with tempfile.TemporaryDirectory() as folder:
        configure(f"sqlite:///{folder}/bench.sqlite3")
        organization = make_population(min(PATIENTS, size))
        seconds, batch = run_import(organization, synthetic_observations(size, min(PATIENTS, size)))
        print(json.dumps({"rows": batch.created, "rows_per_s": round(batch.created / seconds)}))


def sqlite_rate(size: int) -> dict[str, Any]:
    """The end-to-end rate on SQLite, in a fresh process so that no PostgreSQL setting leaks in."""
    child = subprocess.run(
        [sys.executable, __file__, "--sqlite-child", str(size)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--orm-sample", type=int, default=10_000)
    parser.add_argument("--parse-sample", type=int, default=5_000)
    parser.add_argument("--sqlite-size", type=int, default=100_000, help="0 skips SQLite")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size; figures are medians")
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--sqlite-child", type=int)
    args = parser.parse_args()
    if args.sqlite_child is not None:
        sqlite_child(args.sqlite_child)
        return
    with postgres_database(args.server, "careloop_bench") as database_url:
        configure(database_url)
        from careloop.observations.sources.fhir.ndjson import synthetic_observations

        organization = make_population(PATIENTS)
        sizes = [int(s) for s in args.sizes.split(",")]
        per_size = {}
        data = b""
        for size in sizes:
            data = synthetic_observations(size, PATIENTS)
            rounds = [one_round(organization, data, size) for _ in range(args.rounds)]
            per_size[size] = summary(rounds, size)
        orm = orm_rate(organization, args.orm_sample)
        parse_only = fhir_resources_rate(data, args.parse_sample)
    sqlite = sqlite_rate(args.sqlite_size) if args.sqlite_size else None
    largest, smallest = per_size[sizes[-1]], per_size[sizes[0]]
    print(
        json.dumps(
            {
                "benchmark": "import_fhir_ndjson_observations",
                "unit": "rows/s",
                "postgres": per_size,
                "linearity_rate_ratio_largest_to_smallest": round(
                    largest["rows_per_s"] / smallest["rows_per_s"], 3
                ),
                "orm_save_per_row_rows_per_s": round(orm),
                "speedup_vs_orm_save": round(largest["rows_per_s"] / orm, 1),
                "fhir_resources_parse_only_lines_per_s": round(parse_only) if parse_only else None,
                "sqlite": {str(args.sqlite_size): sqlite} if sqlite else None,
                "schema": (
                    "observation: unique (organization, source_system, source_id), "
                    "index (patient, code, effective_at), index (batch), index (report) where set, "
                    "no FK constraints; the COPY table has the same indexes"
                ),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
