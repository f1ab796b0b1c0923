"""Re-import is decided by meaning: the same results, however spelt, encoded, ordered or formatted, leave
the stored rows as they are, their flags too, even after the organization's critical limits changed.

A result is judged when it arrives; a corrected value is judged again, by the limits of the day.
"""

import orjson
import pytest

from careloop.observations.actions import do_set_critical_limits
from careloop.observations.importing import pipeline
from careloop.observations.models import ImportBatch, Observation, ObservationVersion
from careloop.observations.sources import formats
from tests.factories import make_patient
from tests.observations.helpers import indicator

POTASSIUM = "2823-3"  # mmol/L: reference 3.5-5.3, and the catalogue has no critical limits for it
VALUES = {"k1": "7.0", "k2": "5.8", "k3": "2.5", "k4": "4.0"}
DAYS = {"k1": 1, "k2": 2, "k3": 3, "k4": 4}
# What a result means (rows.MEANING), compared with its flag and version
MEANING = ("patient_id", "code", "value", "unit", "comparator", "effective_at", "status")


def observation(key: str, value: str) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "id": key,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": POTASSIUM}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": f"2025-03-0{DAYS[key]}T08:30:00+08:00",
        "valueQuantity": {"value": float(value), "unit": "mmol/L", "code": "mmol/L"},
    }


def patient(id_number: str) -> dict[str, object]:
    identifier = [{"system": "urn:oid:2.16.156.10011.1.3", "value": id_number}]
    return {"resourceType": "Patient", "id": "p1", "identifier": identifier}


def ndjson(id_number: str, values: dict[str, str] = VALUES, order: list[str] | None = None) -> bytes:
    keys = order or list(values)
    lines = [orjson.dumps(patient(id_number))] + [orjson.dumps(observation(k, values[k])) for k in keys]
    return b"\n".join(lines)


def respelt(id_number: str) -> bytes:
    """One space after each separator, as another JSON writer spells it."""
    text = ndjson(id_number).decode()
    return text.replace('":', '": ').replace(',"', ', "').encode()


def keys_sorted(id_number: str) -> bytes:
    lines = [patient(id_number)] + [observation(k, v) for k, v in VALUES.items()]
    return b"\n".join(orjson.dumps(line, option=orjson.OPT_SORT_KEYS) for line in lines)


def escaped(id_number: str) -> bytes:
    """The same text with its letters written as JSON escapes, and CRLF line ends."""
    text = ndjson(id_number).decode().replace("mmol/L", "\\u006dmol/L").replace("final", "\\u0066inal")
    return text.replace("\n", "\r\n").encode()


def table(id_number: str, encoding: str, order: list[str] | None = None) -> bytes:
    rows = ["身份证号,检查项目,结果,单位,检查时间,结果编号"]
    rows += [
        f"{id_number},{POTASSIUM},{VALUES[k]},mmol/L,2025-03-0{DAYS[k]} 08:30,{k}"
        for k in order or list(VALUES)
    ]
    return ("\r\n".join(rows) + "\r\n").encode(encoding)


# (filename, what is sent again) for each way the same results come back
AGAIN = {
    "the same bytes": ("k.ndjson", lambda n: ndjson(n)),
    "respelt": ("k.ndjson", respelt),
    "keys sorted": ("k.ndjson", keys_sorted),
    "escaped, CRLF": ("k.ndjson", escaped),
    "reordered": ("k.ndjson", lambda n: ndjson(n, order=["k4", "k2", "k3", "k1"])),
    "csv, utf-8": ("k.csv", lambda n: table(n, "utf-8")),
    "csv, utf-8 with BOM, reordered": ("k.csv", lambda n: table(n, "utf-8-sig", ["k3", "k1", "k4", "k2"])),
    "csv, gbk": ("k.csv", lambda n: table(n, "gbk")),
}


def run(org, filename: str, data: bytes) -> ImportBatch:
    batch = ImportBatch.objects.create(organization=org, kind=formats.kind_for(filename), filename=filename)
    chunks = formats.read_chunks(data, filename, "LIS", {}, organization_id=org.pk)
    batch, problems = pipeline.run_import(batch, chunks)
    assert problems == []
    return batch


def stored(org) -> dict[str, tuple[object, ...]]:
    columns = ("source_id", *MEANING, "flag", "version")
    rows = Observation.objects.filter(organization=org).values_list(*columns)
    return {source_id: tuple(rest) for source_id, *rest in rows}


@pytest.mark.django_db
@pytest.mark.parametrize("again", list(AGAIN))
def test_the_same_results_sent_again_after_the_limits_changed_leave_the_stored_rows_alone(
    org, doctor, admin_user, again
):
    id_number = make_patient(doctor).id_number
    run(org, "k.ndjson", ndjson(id_number))
    before = stored(org)
    assert {key: row[-2] for key, row in before.items()} == {
        "k1": "high",
        "k2": "high",
        "k3": "low",
        "k4": "normal",
    }

    do_set_critical_limits(admin_user, org.pk, indicator(POTASSIUM), 2.8, 6.2)
    filename, data = AGAIN[again]
    batch = run(org, filename, data(id_number))

    assert (batch.created, batch.updated, batch.unchanged) == (0, 0, 4)
    assert stored(org) == before
    assert not ObservationVersion.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("filename", ["k.ndjson", "k.csv"])
def test_a_corrected_value_is_judged_again_by_the_limits_of_the_day(org, doctor, admin_user, filename):
    id_number = make_patient(doctor).id_number
    run(org, "k.ndjson", ndjson(id_number))
    do_set_critical_limits(admin_user, org.pk, indicator(POTASSIUM), 2.8, 6.2)
    corrected = {**VALUES, "k1": "7.1", "k3": "2.6"}
    if filename == "k.ndjson":
        data = ndjson(id_number, corrected)
    else:
        data = table(id_number, "utf-8").replace(b",7.0,", b",7.1,").replace(b",2.5,", b",2.6,")
    batch = run(org, filename, data)

    assert (batch.created, batch.updated, batch.unchanged) == (0, 2, 2)
    flags = {key: (row[MEANING.index("value")], row[-2], row[-1]) for key, row in stored(org).items()}
    assert flags == {
        "k1": (7.1, "critical_high", 2),
        "k2": (5.8, "high", 1),
        "k3": (2.6, "critical_low", 2),
        "k4": (4.0, "normal", 1),
    }
    assert sorted(ObservationVersion.objects.values_list("value", "flag")) == [(2.5, "low"), (7.0, "high")]
