"""The benchmark's feed is what it claims: a laboratory's spread of values over 20 catalogue indicators,
grouped by specimen, in the past, and every line of it imported by `careloop import`."""

import datetime
import re
from collections import Counter

import labfeed
import orjson
import pytest
from django.core.management import call_command
from django.db.models import F

from careloop.observations import catalogue
from careloop.observations.models import CriticalLimit, Observation, PatientIdentifier
from tests.factories import make_patient

LINES = [orjson.loads(line) for line in labfeed.feed(3000, patients=500).splitlines()]


def canonical(result):
    """The line's value in the indicator's canonical unit, and the indicator."""
    indicator = catalogue.by_code(result["code"]["coding"][0]["code"])
    assert indicator is not None
    quantity = result["valueQuantity"]
    conversion = indicator.conversions[quantity["code"]]  # a unit the catalogue converts, or its own
    return quantity["value"] * conversion.factor + conversion.offset, indicator


def test_the_same_arguments_give_the_same_bytes_and_a_shorter_feed_starts_a_longer_one():
    assert labfeed.feed(700, patients=50) == labfeed.feed(700, patients=50)
    assert labfeed.feed(1500, patients=50).startswith(labfeed.feed(700, patients=50))
    assert labfeed.feed(700, patients=50, seed=1) != labfeed.feed(700, patients=50)
    assert len(labfeed.feed(701, patients=50).splitlines()) == 701


def test_twenty_catalogue_indicators_with_plausible_values_in_their_own_or_an_alternative_unit():
    units: Counter[bool] = Counter()
    for result in LINES:
        value, indicator = canonical(result)
        assert indicator.plausible_min < value < indicator.plausible_max, result["id"]
        units[result["valueQuantity"]["code"] == indicator.unit] += 1
    assert len({result["code"]["coding"][0]["code"] for result in LINES}) == 20
    assert 0.02 < units[False] / len(LINES) < 0.1  # about one in twenty sent in another unit


def test_values_spread_as_a_laboratorys_with_the_analytes_decimals():
    outside, critical = 0, 0
    analytes = labfeed.analytes()
    for result in LINES:
        value, indicator = canonical(result)
        analyte = analytes[indicator.code]
        outside += not analyte.low <= value <= analyte.high
        low, high = labfeed.CRITICAL_LIMITS.get(indicator.code, (None, None))
        critical += (low is not None and value < low) or (high is not None and value > high)
    assert 0.12 < outside / len(LINES) < 0.3
    assert 0 < critical / len(LINES) < 0.02
    for text in labfeed.feed(300, patients=50).splitlines():
        result = orjson.loads(text)
        indicator = catalogue.by_code(result["code"]["coding"][0]["code"])
        assert indicator is not None
        if result["valueQuantity"]["code"] == indicator.unit:
            written = re.search(rb'"valueQuantity":\{"value":([0-9.]+)', text)
            assert written is not None
            assert len(written[1].partition(b".")[2]) == indicator.decimals


def test_each_specimen_is_one_patient_at_one_time_and_no_result_repeats_or_lies_in_the_future():
    specimens: dict[str, set[tuple[str, str]]] = {}
    seen = set()
    for result in LINES:
        patient, taken = result["subject"]["reference"], result["effectiveDateTime"]
        specimens.setdefault(result["specimen"]["reference"], set()).add((patient, taken))
        key = (patient, result["code"]["coding"][0]["code"], taken)
        assert key not in seen
        seen.add(key)
        assert datetime.datetime.fromisoformat(taken) < datetime.datetime.now(datetime.UTC)
    assert all(len(pairs) == 1 for pairs in specimens.values())
    assert len(LINES) / len(specimens) > 2  # panels, not single results


@pytest.mark.django_db
def test_the_import_command_stores_every_line_flagged_and_converted(org, doctor, tmp_path):
    for index in range(40):
        patient = make_patient(doctor, name=f"病人{index}")
        PatientIdentifier.objects.create(
            organization=org, patient=patient, system=labfeed.SOURCE, value=f"p{index}"
        )
    for code, (low, high) in labfeed.CRITICAL_LIMITS.items():
        CriticalLimit.objects.create(organization=org, code=code, low=low, high=high)
    path = labfeed.write(tmp_path / "lab.ndjson", 800, patients=40)
    call_command("import", str(path), organization=org.code, source_system=labfeed.SOURCE, no_progress=True)
    stored = Observation.objects.filter(organization=org)
    assert stored.count() == 800
    flags = Counter(stored.values_list("flag", flat=True))
    assert flags["high"] and flags["low"] and flags["critical_high"] + flags["critical_low"]
    assert stored.exclude(unit_reported=F("unit")).exists()  # sent in an alternative unit, converted
