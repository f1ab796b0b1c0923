"""Yearly health-check results for synthetic patients, for the demo (pure: no Django import).

The levels below are demo values chosen to look plausible (people with hypertension have higher blood
pressure, diabetics higher glucose, and both drift a little each year); they are not clinical figures
and no flag or threshold is taken from them — the catalogue flags the values as it would real ones.
"""

import datetime
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from careloop.observations.importing.parsed import PatientRef, ReportRecord, ResultRecord

SOURCE_SYSTEM = "demo-health-checks"
TZ = datetime.timezone(datetime.timedelta(hours=8))


@dataclass(frozen=True)
class Person:
    key: int
    id_number: str
    sex: str
    conditions: frozenset[str]  # ICD-10 codes


# code, unit, base (male, female), spread, per condition: (ICD-10 prefix, shift, drift per year)
Level = tuple[str, str, tuple[float, float], float, list[tuple[str, float, float]], int]
LEVELS: list[Level] = [
    ("8480-6", "mmHg", (124, 118), 8, [("I10", 18, 1.6)], 0),
    ("8462-4", "mmHg", (78, 74), 5, [("I10", 9, 0.8)], 0),
    ("1558-6", "mmol/L", (5.2, 5.1), 0.35, [("E11", 2.3, 0.15)], 2),
    ("4548-4", "%", (5.5, 5.4), 0.25, [("E11", 1.5, 0.08)], 1),
    ("2093-3", "mmol/L", (4.8, 4.9), 0.45, [("E78", 0.9, 0.05)], 2),
    ("18262-6", "mmol/L", (2.8, 2.7), 0.35, [("E78", 0.8, 0.05)], 2),
    ("2085-9", "mmol/L", (1.2, 1.4), 0.15, [], 2),
    ("2571-8", "mmol/L", (1.4, 1.2), 0.35, [("E78", 0.8, 0.03)], 2),
    ("29463-7", "kg", (70, 60), 8, [], 1),
    ("3084-1", "umol/L", (380, 300), 45, [("M10", 110, 3)], 0),
    ("2160-0", "umol/L", (80, 62), 10, [("N18", 45, 6)], 0),
    ("1742-6", "U/L", (24, 18), 7, [("K76", 18, 0.5)], 0),
]


def yearly_checks(
    people: Iterable[Person], years: int, today: datetime.date, seed: int, share: float = 0.6
) -> Iterator[tuple[list[ReportRecord], list[ResultRecord]]]:
    """Per person with checks: their reports and results, oldest year first."""
    rng = random.Random(seed)  # noqa: S311 -- demo data, not secrets
    for person in people:
        if rng.random() >= share:
            continue
        ref = PatientRef(id_number=person.id_number)
        own = {code: rng.gauss(0, 1) for code, *_ in LEVELS}  # a person's own level, stable over the years
        reports, results = [], []
        for offset in range(years, 0, -1):
            year = today.year - offset + 1
            day = datetime.date(year, rng.randint(3, 10), rng.randint(1, 28))
            if day >= today:
                continue
            at = datetime.datetime(
                year, day.month, day.day, rng.randint(7, 9), rng.choice((0, 15, 30, 45)), tzinfo=TZ
            )
            report_id = f"{person.key}-{year}"
            reports.append(
                ReportRecord(
                    ref,
                    SOURCE_SYSTEM,
                    report_id,
                    at,
                    institution="示范社区卫生服务中心",
                    package="年度健康体检",
                )
            )
            elapsed = years - offset
            for code, unit, base, spread, shifts, decimals in LEVELS:
                value = base[0 if person.sex == "male" else 1] + own[code] * spread + rng.gauss(0, spread / 3)
                for prefix, shift, drift in shifts:
                    if any(c.startswith(prefix) for c in person.conditions):
                        value += shift + drift * elapsed
                value = max(value, spread / 2)
                text = f"{value:.{decimals}f}"
                results.append(
                    ResultRecord(
                        ref,
                        code,
                        text,
                        unit,
                        at,
                        SOURCE_SYSTEM,
                        f"{report_id}/{code}",
                        source_kind="exam_report",
                        report_source_id=report_id,
                    )
                )
        yield reports, results
