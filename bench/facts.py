"""Patient facts on PostgreSQL: the refresh and a population rule, at two sizes.

    .venv/bin/python bench/facts.py [--sizes 10000,100000]

One JSON line. In a throw-away database on the local server (or BENCH_POSTGRES), each size is an
organization of N patients seeded in SQL: 4 indicators x 3 results each (SBP, DBP, fasting glucose, weight)
plus a height, and an I10 diagnosis for a third of them. Figures per size:
- refresh: `refresh_facts` over the organization (results read, trends detected, LatestIndicator and
  DerivedMeasure upserted), seconds and patients/s; the anchor is reading the same results alone (the floor
  of any refresh that detects trends in Python); a second refresh (nothing changed) too;
- matching: `matching(rule).count()` for a typical rule and for the 8 default tags, best of 3, in ms.
The ratio of the per-patient rates between sizes shows the growth (1.0 = linear).
"""

import argparse
import json
import os
import time
from typing import Any

from scratch import configure, postgres_database

RULE = 'age >= 65 and has_condition("I10") and latest("8480-6") >= 140'
CODES = {"8480-6": (100, 80), "8462-4": (60, 50), "1558-6": (4.0, 7.0), "29463-7": (45, 60)}


def seed(organization_id: int, size: int) -> None:
    """Patients, results and diagnoses with INSERT ... SELECT generate_series: set-up, not measured."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO patients_patient
                 (organization_id, name, name_initials, name_pinyin, sex, birth_date, id_type, id_number,
                 id_number_index, mobile, mobile_index, mobile_last4, address, ethnicity, occupation,
                 insurance_type, created_at, updated_at, hand_edited)
               SELECT %s, 'p' || n, 'P', 'p', CASE WHEN n %% 2 = 0 THEN 'male' ELSE 'female' END,
                 DATE '1930-01-01' + (n * 7919 %% 30000), 'resident', '', '', '', '', '', '', '', '', '',
                 now(), now(), '{}'::jsonb
               FROM generate_series(1, %s) n""",
            [organization_id, size],
        )
        values = " UNION ALL ".join(
            f"SELECT '{code}', {low}, {spread}" for code, (low, spread) in CODES.items()
        )
        cursor.execute(
            f"""INSERT INTO observations_observation
                 (organization_id, patient_id, code, value, unit, comparator, value_reported,
                 unit_reported, flag, effective_at, status, source_kind, source_system,
                 source_id, reference_range_reported, version, updated_at)
               SELECT p.organization_id, p.id, c.code, round((c.low + random() * c.spread)::numeric, 1),
                 '', '', '', '', '', now() - (k * 90 + p.id %% 60) * interval '1 day', 'final',
                 'hospital_system',
                 'bench', p.id || '-' || c.code || '-' || k, '', 1, now()
               FROM patients_patient p CROSS JOIN ({values}) c(code, low, spread)
                 CROSS JOIN generate_series(0, 2) k
               WHERE p.organization_id = %s
               UNION ALL
               SELECT p.organization_id, p.id, '8302-2', 150 + p.id %% 35, '', '', '', '', '',
                 now() - interval '400 days', 'final', 'hospital_system', 'bench', p.id || '-h', '', 1, now()
               FROM patients_patient p WHERE p.organization_id = %s""",
            [organization_id, organization_id],
        )
        cursor.execute(
            """INSERT INTO patients_condition
                 (patient_id, icd10_code, name, clinical_status, note, recorded_at)
               SELECT id, 'I10', '高血压', 'active', '', now() FROM patients_patient
               WHERE organization_id = %s AND id %% 3 = 0""",
            [organization_id],
        )
        cursor.execute("ANALYZE")


def best_ms(run: Any, times: int = 3) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def measure(size: int) -> dict[str, Any]:
    from careloop.accounts.models import Organization
    from careloop.facts.compile import matching
    from careloop.facts.refresh import refresh_facts
    from careloop.observations.models import Observation
    from careloop.rules import parse
    from careloop.rules.default_tags import DEFAULT_TAGS

    organization = Organization.objects.create(name=f"bench {size}", code=f"bench-{size}")
    seed(organization.pk, size)
    results = Observation.objects.filter(organization=organization)
    started = time.perf_counter()
    read = sum(
        1 for _ in results.values_list("patient_id", "code", "effective_at", "value", "flag").iterator()
    )
    anchor = time.perf_counter() - started
    started = time.perf_counter()
    done = refresh_facts(organization.pk)
    first = time.perf_counter() - started
    started = time.perf_counter()
    refresh_facts(organization.pk)
    second = time.perf_counter() - started
    rule, tags = parse(RULE), [parse(text) for text in DEFAULT_TAGS.values()]
    matched = matching(rule, organization.pk).count()
    return {
        "patients": size,
        "results": read,
        "latest_rows": done.indicators,
        "refresh_s": round(first, 2),
        "refresh_patients_per_s": round(size / first),
        "second_refresh_s": round(second, 2),
        "read_results_s_anchor": round(anchor, 2),
        "refresh_x_read": round(first / anchor, 1),
        "rule": RULE,
        "rule_matched": matched,
        "rule_ms": best_ms(lambda: matching(rule, organization.pk).count()),
        "default_tags_ms": best_ms(lambda: [matching(tag, organization.pk).count() for tag in tags]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with postgres_database(args.server, "careloop_bench_facts") as database_url:
        configure(database_url)
        runs = [measure(size) for size in sizes]
    line: dict[str, Any] = {"bench": "facts", "database": "postgresql", "runs": runs}
    if len(runs) == 2:
        line["refresh_rate_ratio"] = round(
            runs[1]["refresh_patients_per_s"] / runs[0]["refresh_patients_per_s"], 2
        )
    print(json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
