"""The msgspec fast path for the common Observation shape against the general path, line by line.

Each case says whether the line should go fast; where it does, its row must be the general path's.
"""

import copy
from typing import Any

import orjson
import pytest

from careloop.observations.importing.parsed import PatientRef, ResultRecord
from careloop.observations.sources.fhir.fields import FieldProblem
from careloop.observations.sources.fhir.mapper import ResourceMapper
from careloop.observations.sources.fhir.references import References

LOINC = "http://loinc.org"


def observation(**changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": "obs-1",
        "meta": {"source": "http://his.example.cn/fhir#req-9"},
        "status": "final",
        "category": [{"coding": [{"code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": "1558-6"}], "text": "空腹血糖"},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2025-03-05T08:30:00+08:00",
        "valueQuantity": {
            "value": 5.6,
            "unit": "mmol/L",
            "system": "http://unitsofmeasure.org",
            "code": "mmol/L",
        },
        "referenceRange": [{"low": {"value": 3.9}, "high": {"value": 6.1}}],
    }
    for key, value in changes.items():
        if value is None:
            resource.pop(key, None)
        else:
            resource[key] = value
    return resource


def quantity(**changes: Any) -> dict[str, Any]:
    return {**observation()["valueQuantity"], **changes}


CASES = [
    ("the common shape", observation(), True),
    ("keys in another order", dict(reversed(list(observation().items()))), True),
    ("no meta", observation(meta=None), True),
    ("meta without source", observation(meta={"versionId": "2"}), True),
    (
        "fields the fast path does not read",
        observation(issued="2025-03-05T09:00:00+08:00", note=[{"text": "x"}]),
        True,
    ),
    ("an integer value", observation(valueQuantity=quantity(value=128)), True),
    ("a unit but no code", observation(valueQuantity={"value": 5.6, "unit": "mmol/L"}), True),
    ("no unit at all", observation(valueQuantity={"value": 5.6}), True),
    ("no status", observation(status=None), True),
    ("an exam category", observation(category=[{"coding": [{"code": "exam"}]}]), True),
    ("a range as text", observation(referenceRange=[{"text": "3.9-6.1 mmol/L"}]), True),
    ("a range with only a high bound", observation(referenceRange=[{"high": {"value": 6}}]), True),
    ("integer bounds", observation(referenceRange=[{"low": {"value": 4}, "high": {"value": 6}}]), True),
    ("an empty range", observation(referenceRange=[{}]), True),
    ("an interpretation code", observation(interpretation=[{"coding": [{"code": "H"}]}]), True),
    ("an interpretation text", observation(interpretation=[{"text": "偏高"}]), True),
    ("a subject with a display", observation(subject={"reference": "Patient/p1", "display": "张三"}), True),
    ("a Zulu time", observation(effectiveDateTime="2025-03-05T00:30:00Z"), True),
    # Not the common shape: the general path decides.
    ("a comparator", observation(valueQuantity=quantity(comparator="<")), False),
    ("a value as text", observation(valueQuantity=quantity(value="5.6")), False),
    ("a value that is true", observation(valueQuantity=quantity(value=True)), False),
    ("no value", observation(valueQuantity={"unit": "mmol/L"}), False),
    ("a local code", observation(code={"coding": [{"system": "urn:his", "code": "GLU"}]}), False),
    ("no coding", observation(code={"text": "血糖"}), False),
    ("an id that is a number", observation(id=7), False),
    ("no id", observation(id=None, identifier=[{"system": "urn:lis", "value": "r1"}]), False),
    (
        "a subject identifier",
        observation(subject={"reference": "Patient/p1", "identifier": {"value": "m9"}}),
        False,
    ),
    ("a contained subject", observation(subject={"reference": "#p"}), False),
    ("a subject elsewhere", observation(subject={"reference": "http://x/fhir/Patient/p1"}), False),
    ("a period", observation(effectiveDateTime=None, effectivePeriod={"start": "2025-03-05"}), False),
    ("a date without time", observation(effectiveDateTime="2025-03-05"), False),
    ("an impossible date", observation(effectiveDateTime="2025-02-30T08:30:00+08:00"), False),
    ("a bound as text", observation(referenceRange=[{"low": {"value": "3.9"}}]), False),
    ("a Patient", {"resourceType": "Patient", "id": "p1"}, False),
]


def general_rows(resource: dict[str, Any], references: References) -> list[ResultRecord] | None:
    mapper = ResourceMapper("HIS-A", references=references)
    try:
        return mapper.observations.general_rows(copy.deepcopy(resource), "line 1")
    except (FieldProblem, KeyError, AttributeError, TypeError):
        return None


@pytest.mark.parametrize(("resource", "fast"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_line_goes_fast_only_in_the_common_shape_and_then_as_the_general_path_reads_it(resource, fast):
    references = References()
    mapper = ResourceMapper("HIS-A", references=references)
    if type(resource.get("meta")) is dict:
        mapper.keys.system_of(
            resource
        )  # the general path names a meta.source's system once, then it is known
    row = mapper.observations.common_line(orjson.dumps(resource), "line 1")
    assert (row is not None) == fast
    if fast:
        assert [row] == general_rows(resource, references)
        # A Bundle's entry, already parsed, goes the same way.
        assert ResourceMapper("HIS-A", references=references).observations.common_row(
            copy.deepcopy(resource), "line 1"
        ) in (
            row,
            None,  # its meta.source not named yet
        )


def test_a_line_names_its_patient_as_the_general_path_would_after_a_patient_arrived():
    references = References()
    references.patients["Patient/p1"] = PatientRef(mrn="MRN-1", mrn_system="urn:his")
    mapper = ResourceMapper("HIS-A", references=references)
    assert mapper.observations.common_line(orjson.dumps(observation(meta=None)), "line 1") is None


def test_a_line_that_is_not_json_or_not_utf8_is_left_to_the_general_path():
    mapper = ResourceMapper("HIS-A")
    assert mapper.observations.common_line(b'{"resourceType":"Observation",', "line 1") is None
    assert mapper.observations.common_line(b'{"resourceType":"\xff"}', "line 1") is None


def test_results_of_an_import_with_reports_are_not_read_fast():
    references = References()
    references.report_of["Observation/obs-1"] = "r1"
    mapper = ResourceMapper("HIS-A", references=references)
    assert mapper.observations.common_line(orjson.dumps(observation(meta=None)), "line 1") is None
