"""Probable-duplicate detection over a registry on PostgreSQL: `patients.duplicates.probable_pairs`.

    .venv/bin/python bench/duplicates.py [--sizes 100000,1000000] [--server postgres://user@host:5432]

For each size, in a fresh process and a throw-away database: one organization's patients, written with
COPY, named as a Chinese registry names people (weighted surnames, given names of their era) and born over
70 years, some sharing a family's mobile; of them, one in 200 registered twice (half as the same, half
with a homophone typed: 王晓明 as 王小明). Only the detection is timed, after VACUUM ANALYZE. One JSON
line: per size the seconds, the pairs found, how many of the planted twins were found, and the linearity
(patients per second at the largest size over the smallest; 1.0 is linear). Mobile numbers are stored
as their index only (the detection reads nothing else of them).
"""

import argparse
import base64
import datetime
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from scratch import configure, postgres_database

ORGANIZATION = "bench-duplicates"
TWINS_EVERY = 200
FAMILY_SHARE = 0.1  # registered with the mobile of the person before (a relative's)
# Homophones a clerk types for one another (the same pinyin, another character).
HOMOPHONES = {"晓": "小", "明": "铭", "伟": "玮", "丽": "莉", "静": "婧", "军": "君", "英": "瑛", "红": "虹",
              "华": "桦", "建": "健", "国": "果", "强": "蔷", "芳": "方", "玲": "凌", "杰": "洁"}  # fmt: skip
FIRST_BIRTH = datetime.date(1936, 1, 1)
BIRTH_DAYS = 70 * 365


def say(message: str) -> None:
    print(
        f"[duplicates bench {time.strftime('%H:%M:%S', time.gmtime())}Z] {message}",
        file=sys.stderr,
        flush=True,
    )


def person(rng: random.Random, surnames: list[str], weights: list[float]) -> tuple[str, str, datetime.date]:
    from careloop.patients.synthetic_tables import GIVEN_CHARS

    sex = rng.choice(("male", "female"))
    birth = FIRST_BIRTH + datetime.timedelta(days=rng.randrange(BIRTH_DAYS))
    era = "old" if birth.year < 1960 else "middle" if birth.year < 1985 else "young"
    chars = GIVEN_CHARS[(sex, era)]
    given = "".join(rng.choice(chars) for _ in range(rng.choice((1, 2, 2))))
    return rng.choices(surnames, weights)[0] + given, sex, birth


def twin(rng: random.Random, name: str) -> str:
    """The name as typed at a second registration: the same, or with a homophone for one character."""
    if rng.random() < 0.5:
        return name
    swappable = [i for i, char in enumerate(name) if char in HOMOPHONES]
    if not swappable:
        return name
    i = rng.choice(swappable)
    return name[:i] + HOMOPHONES[name[i]] + name[i + 1 :]


def seed(size: int) -> tuple[int, int]:
    """The organization and `size` patients; returns its id and the number of twins planted."""
    from django.db import connection

    from careloop.accounts.models import Organization
    from careloop.bulkinsert import RowInserter
    from careloop.patients.identity import mobile_index
    from careloop.patients.models import Patient
    from careloop.patients.pinyin import full_pinyin, initials
    from careloop.patients.synthetic_tables import SURNAMES

    rng = random.Random(23)
    surnames, weights = [s for s, _ in SURNAMES], [w for _, w in SURNAMES]
    organization = Organization.objects.create(name="Bench", code=ORGANIZATION)
    columns = [
        "organization_id", "name", "name_initials", "name_pinyin", "sex", "birth_date", "mobile_index",
        "updated_at",
    ]  # fmt: skip
    now = datetime.datetime.now(datetime.UTC)
    inserter = RowInserter(Patient, columns)
    spelt: dict[str, tuple[str, str]] = {}
    family_index = ""
    twins = 0
    written = 0
    while written < size:
        name, sex, birth = person(rng, surnames, weights)
        if rng.random() >= FAMILY_SHARE or not family_index:
            family_index = mobile_index(f"13{rng.randrange(10**9):09d}")
        names = [name]
        if written % TWINS_EVERY == 0 and written + 1 < size:
            names.append(twin(rng, name))
            twins += 1
        for typed in names:
            if typed not in spelt:
                spelt[typed] = (initials(typed)[:30], full_pinyin(typed)[:200])
            inserter.add((organization.pk, typed, *spelt[typed], sex, birth, family_index, now))
            written += 1
    inserter.flush()
    with connection.cursor() as cursor:  # as autovacuum leaves a registry in use: statistics, visibility map
        cursor.execute("VACUUM ANALYZE")
    return organization.pk, twins


def child(size: int) -> None:
    from careloop.patients.duplicates import probable_pairs
    from careloop.patients.models import Patient

    organization_id, twins = seed(size)
    started = time.perf_counter()
    pairs = probable_pairs(organization_id)
    seconds = time.perf_counter() - started
    # A planted twin is the next patient registered after the first: consecutive ids, same birth date.
    births = dict(Patient.objects.filter(organization_id=organization_id).values_list("id", "birth_date"))
    found_twins = sum(
        1
        for pair in pairs
        if pair.second_id == pair.first_id + 1 and births[pair.first_id] == births[pair.second_id]
    )
    figures = {"patients": size, "seconds": round(seconds, 2), "pairs": len(pairs), "twins": twins}
    print(json.dumps({**figures, "twins_found": found_twins}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("CARELOOP_SECRET_KEY", base64.urlsafe_b64encode(os.urandom(40)).decode())
    if args.child:
        with postgres_database(args.server, "careloop_dupbench") as url:
            configure(url)
            child(args.child)
        return
    results: dict[str, Any] = {}
    for size in sorted(int(s) for s in args.sizes.split(",")):
        say(f"{size} patients: seeding, then finding the probable duplicates")
        command = [sys.executable, str(Path(__file__)), "--child", str(size), "--server", args.server]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        results[str(size)] = json.loads(done.stdout.strip().splitlines()[-1])
        say(f"{size} patients: {results[str(size)]}")
    rates = [r["patients"] / max(r["seconds"], 1e-9) for r in results.values()]
    print(json.dumps({"benchmark": "duplicate_detection_postgres", "sizes": results,
                      "linearity": round(rates[-1] / rates[0], 3)}, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
