import datetime
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from careloop.observations.sources.fhir import parse_bundle
from careloop.observations.sources.fhir.keys import keyed_id

SAMPLES = Path(__file__).parent / "samples"
RESIDENT_ID = "110105198003070020"
# The sample's DiagnosticReport has no id, only the identifier "RPT-2025-0001": its key is a keyed hash.
REPORT_ID = keyed_id(b"", "RPT-2025-0001")
PLUS8 = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def transaction() -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads((SAMPLES / "fhir_transaction_bundle.json").read_text("utf-8"))
    return bundle


def test_transaction_bundle_gives_patient_report_and_five_results_linked_by_urn_uuid():
    out = parse_bundle((SAMPLES / "fhir_transaction_bundle.json").read_bytes(), "HIS-A")
    assert out.problems == []
    [person] = out.people
    patient = person.patient
    assert (patient.id_number, patient.mrn, patient.mrn_system) == (
        RESIDENT_ID,
        "MRN-000123",
        "http://his.example.cn/mrn",
    )
    assert (patient.name, patient.sex, patient.birth_date) == ("张三", "male", datetime.date(1980, 3, 7))
    [report] = out.reports
    assert (report.source_id, report.institution, report.package) == (
        REPORT_ID,
        "示例医院体检中心",
        "入职体检套餐",
    )
    assert report.issued_at == datetime.datetime(2025, 3, 5, 15, 0, tzinfo=PLUS8)
    assert [r.code for r in out.results] == ["8480-6", "8462-4", "1558-6", "2093-3", "4548-4"]
    assert {r.patient for r in out.results} == {patient}
    assert {r.report_source_id for r in out.results} == {REPORT_ID}
    assert [r.source_id for r in out.results] == [keyed_id(b"", f"LIS-2025-0001-{n}") for n in range(1, 6)]
    glucose = out.results[2]
    assert (glucose.value, glucose.unit, glucose.abnormal_flag, glucose.reference_range) == (
        "6.4",
        "mmol/L",
        "H",
        "3.9-6.1",
    )
    assert glucose.location == "entry 5"


def test_entries_resolve_whatever_their_order(transaction):
    transaction["entry"].reverse()
    out = parse_bundle(transaction, "HIS-A")
    assert out.problems == []
    assert {r.patient.id_number for r in out.results} == {RESIDENT_ID}
    assert {r.report_source_id for r in out.results} == {REPORT_ID}


def test_relative_references_resolve_against_server_full_urls():
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {
                "fullUrl": "http://his.example.cn/fhir/Patient/p9",
                "resource": {"resourceType": "Patient", "id": "p9", "identifier": [{"value": RESIDENT_ID}]},
            },
            {
                "fullUrl": "http://his.example.cn/fhir/Observation/o1",
                "resource": {
                    "resourceType": "Observation",
                    "id": "o1",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                    "subject": {"reference": "Patient/p9"},
                    "effectiveDateTime": "2025-03-05T08:30:00+08:00",
                    "valueQuantity": {"value": 132, "code": "mm[Hg]"},
                },
            },
        ],
    }
    out = parse_bundle(bundle, "HIS-A")
    assert out.problems == []
    assert out.results[0].patient.id_number == RESIDENT_ID


def test_delete_entries_are_reported_unsupported_and_the_rest_imported(transaction):
    transaction["entry"].append({"request": {"method": "DELETE", "url": "Observation/old-1"}})
    out = parse_bundle(transaction, "HIS-A")
    assert len(out.results) == 5
    [problem] = out.problems
    assert (problem.location, problem.field, problem.value, problem.code) == (
        "entry 8", "request.method", "DELETE Observation/old-1", "unsupported"
    )  # fmt: skip


def test_unsupported_resources_are_counted_once_per_type(transaction):
    for number in range(3):
        transaction["entry"].append({"resource": {"resourceType": "Medication", "id": f"m{number}"}})
    out = parse_bundle(transaction, "HIS-A")
    [problem] = out.problems
    assert (problem.code, problem.value, problem.location) == ("unsupported", "Medication", "entry 8")
    assert problem.reason.startswith("3 Medication")


def test_observation_pointing_outside_the_bundle_is_a_problem(transaction):
    transaction["entry"] = [e for e in transaction["entry"] if e["resource"]["resourceType"] != "Patient"]
    out = parse_bundle(transaction, "HIS-A")
    assert out.results == [] and out.reports == []
    assert {(p.field, p.code) for p in out.problems} == {("subject.reference", "missing")}
    assert len(out.problems) == 6


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        (b"{not json", "", "malformed"),
        (orjson.dumps({"resourceType": "Observation", "id": "o1"}), "resourceType", "invalid"),
        (b"[1, 2]", "resourceType", "invalid"),
        (orjson.dumps({"resourceType": "Bundle", "type": "document", "entry": []}), "type", "unsupported"),
        (orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": {}}), "entry", "malformed"),
    ],
)
def test_a_document_that_is_not_an_importable_bundle_is_one_clear_problem(data, field, code):
    out = parse_bundle(data, "HIS-A")
    [problem] = out.problems
    assert (problem.location, problem.field, problem.code) == ("document", field, code)
    assert out.results == [] and out.people == []


def test_non_bundle_problem_says_what_it_got():
    [problem] = parse_bundle(orjson.dumps({"resourceType": "Observation"}), "HIS-A").problems
    assert problem.reason == "expected a FHIR Bundle, got Observation"


def test_a_report_known_only_by_its_identifier_is_stored_under_a_hash_keyed_with_the_index_key():
    data = (SAMPLES / "fhir_transaction_bundle.json").read_bytes()
    keyed = parse_bundle(data, "HIS-A", hash_key=b"org-index-key")
    [report] = keyed.reports
    assert report.source_id == keyed_id(b"org-index-key", "RPT-2025-0001") != REPORT_ID
    assert {r.report_source_id for r in keyed.results} == {report.source_id}
    assert "RPT-2025-0001" not in report.source_id
