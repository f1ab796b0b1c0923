import datetime
import statistics

from careloop.observations.importing.normalize import normalize_result
from careloop.observations.importing.parsed import Problem
from careloop.observations.synthetic_results import Person, yearly_checks

TODAY = datetime.date(2026, 11, 24)
PEOPLE = [
    Person(i, f"id{i}", "male" if i % 2 else "female", frozenset({"E11.9", "I10"} if i % 3 == 0 else set()))
    for i in range(600)
]


def results(seed: int = 1):
    return [r for _reports, rs in yearly_checks(PEOPLE, 5, TODAY, seed) for r in rs]


def test_same_seed_same_results():
    assert [(r.source_id, r.value) for r in results()] == [(r.source_id, r.value) for r in results()]


def test_every_generated_result_passes_the_import_checks():
    for record in results()[:3000]:
        assert not isinstance(normalize_result(record, "male", datetime.date(1960, 1, 1)), Problem), record


def test_diabetics_have_higher_glucose_and_each_check_has_its_report():
    glucose: dict[bool, list[float]] = {True: [], False: []}
    conditions = {p.key: p.conditions for p in PEOPLE}
    for reports, rs in yearly_checks(PEOPLE, 5, TODAY, 1):
        assert {r.report_source_id for r in rs} == {r.source_id for r in reports}
        for r in rs:
            if r.code == "1558-6":
                glucose["E11.9" in conditions[int(r.source_id.split("-")[0])]].append(float(r.value))
    assert statistics.mean(glucose[True]) > statistics.mean(glucose[False]) + 1.5
    assert all(r.effective_at.date() < TODAY for r in results())
