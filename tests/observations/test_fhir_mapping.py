"""Each FHIR resource mapped to the neutral records, one table per resource."""

import copy
import datetime

import pytest

from careloop.observations.importing.parsed import ParseResult, PatientRef, ResultRecord
from careloop.observations.sources.fhir.keys import keyed_id
from careloop.observations.sources.fhir.mapper import ResourceMapper

PLUS8 = datetime.timezone(datetime.timedelta(hours=8))
RESIDENT_ID = "110105198003070020"  # valid GB 11643 check character
LOINC = "http://loinc.org"


def observation(**changes):
    resource = {
        "resourceType": "Observation",
        "id": "obs-1",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "1558-6"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2025-03-05T08:30:00+08:00",
        "valueQuantity": {
            "value": 5.6,
            "unit": "mmol/L",
            "system": "http://unitsofmeasure.org",
            "code": "mmol/L",
        },
    }
    for key, value in changes.items():
        if value is None:
            resource.pop(key, None)
        else:
            resource[key] = value
    return resource


def mapped(resource, source_system="HIS-A") -> ParseResult:
    out = ParseResult()
    ResourceMapper(source_system).add(copy.deepcopy(resource), "line 1", out)
    return out


def only_result(resource) -> ResultRecord:
    out = mapped(resource)
    assert out.problems == []
    [result] = out.results
    # The fast path and the general path must agree on every resource they both read.
    general = ResourceMapper("HIS-A").observations.general_rows(copy.deepcopy(resource), "line 1")
    assert [ResultRecord(*row) for row in general] == [result]
    return result


# -- Observation -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({}, "value", "5.6"),
        ({}, "unit", "mmol/L"),
        (
            {"valueQuantity": {"value": 101, "unit": "mg/dL"}},
            "unit",
            "mg/dL",
        ),  # no UCUM code: the display unit
        (
            {"valueQuantity": {"value": 101, "unit": "毫克/分升", "code": "mg/dL"}},
            "unit",
            "mg/dL",
        ),  # UCUM wins
        (
            {"valueQuantity": {"value": 101, "unit": "mg/dL", "code": "mg/dL"}},
            "value",
            "101",
        ),  # kept as reported
        ({"valueQuantity": {"value": 0.5, "comparator": "<", "code": "mg/L"}}, "value", "<0.5"),
        ({"valueQuantity": None, "valueString": "阴性"}, "value", "阴性"),
        ({"valueQuantity": None, "valueString": "阴性"}, "unit", ""),
        ({"valueQuantity": None, "valueCodeableConcept": {"text": "弱阳性"}}, "value", "弱阳性"),
        (
            {
                "valueQuantity": None,
                "valueCodeableConcept": {"coding": [{"code": "260385009", "display": "Negative"}]},
            },
            "value",
            "Negative",
        ),
        ({}, "code", "1558-6"),
        (
            {
                "code": {
                    "coding": [
                        {"system": "urn:lis:local", "code": "GLU"},
                        {"system": LOINC, "code": "1558-6"},
                    ]
                }
            },
            "code",
            "1558-6",
        ),
        ({}, "effective_at", datetime.datetime(2025, 3, 5, 8, 30, tzinfo=PLUS8)),
        (
            {"effectiveDateTime": None, "effectivePeriod": {"start": "2025-03-05T07:00:00+08:00"}},
            "effective_at",
            datetime.datetime(2025, 3, 5, 7, 0, tzinfo=PLUS8),
        ),
        (
            {"effectiveDateTime": None, "issued": "2025-03-05T10:00:00+08:00"},
            "effective_at",
            datetime.datetime(2025, 3, 5, 10, 0, tzinfo=PLUS8),
        ),
        ({"effectiveDateTime": "2025-03-05"}, "effective_at", datetime.datetime(2025, 3, 5, tzinfo=PLUS8)),
        ({}, "status", "final"),
        ({"status": "preliminary"}, "status", "preliminary"),
        ({}, "source_system", "HIS-A"),
        (
            {"meta": {"source": "http://lis.example.cn/fhir#request-778"}},
            "source_system",
            "http://lis.example.cn/fhir",
        ),
        ({}, "source_id", "obs-1"),
        (
            {"id": None, "identifier": [{"system": "urn:lis", "value": "LIS-9"}]},
            "source_id",
            keyed_id(b"", "LIS-9"),
        ),
        ({"interpretation": [{"coding": [{"code": "H"}]}]}, "abnormal_flag", "H"),
        ({"interpretation": [{"text": "偏高"}]}, "abnormal_flag", "偏高"),
        ({"referenceRange": [{"low": {"value": 3.9}, "high": {"value": 6.1}}]}, "reference_range", "3.9-6.1"),
        ({"referenceRange": [{"high": {"value": 6.1}}]}, "reference_range", "<=6.1"),
        ({"referenceRange": [{"low": {"value": 4}}]}, "reference_range", ">=4"),
        ({"referenceRange": [{"text": "3.9-6.1 mmol/L"}]}, "reference_range", "3.9-6.1 mmol/L"),
        ({}, "source_kind", "hospital_system"),
        ({"category": [{"coding": [{"code": "laboratory"}]}]}, "source_kind", "hospital_system"),
        ({"category": [{"coding": [{"code": "exam"}]}]}, "source_kind", "exam_report"),
        ({}, "location", "line 1"),
    ],
)
def test_observation_field_is_read_from_fhir(changes, field, expected):
    assert getattr(only_result(observation(**changes)), field) == expected


def test_a_corrected_observation_keeps_its_source_key():
    first = only_result(observation())
    corrected = only_result(observation(status="corrected", valueQuantity={"value": 5.9, "code": "mmol/L"}))
    assert (corrected.source_system, corrected.source_id) == (first.source_system, first.source_id)
    assert (corrected.status, corrected.value) == ("corrected", "5.9")


def test_a_blood_pressure_panel_gives_one_result_per_component():
    panel = observation(
        code={"coding": [{"system": LOINC, "code": "85354-9"}]},
        valueQuantity=None,
        component=[
            {
                "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                "valueQuantity": {"value": 150, "code": "mm[Hg]"},
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                "valueQuantity": {"value": 95, "code": "mm[Hg]"},
            },
        ],
    )
    out = mapped(panel)
    assert [(r.code, r.value, r.unit, r.source_id) for r in out.results] == [
        ("8480-6", "150", "mm[Hg]", "obs-1#8480-6"),
        ("8462-4", "95", "mm[Hg]", "obs-1#8462-4"),
    ]


@pytest.mark.parametrize(
    ("subject", "contained", "expected"),
    [
        ({"reference": "Patient/p1"}, None, PatientRef(mrn="p1", mrn_system="HIS-A")),
        (
            {"reference": "http://his.example.cn/fhir/Patient/p1/_history/3"},
            None,
            PatientRef(mrn="p1", mrn_system="HIS-A"),
        ),
        (
            {"identifier": {"system": "urn:oid:2.16.156.10011.1.3", "value": RESIDENT_ID}},
            None,
            PatientRef(id_number=RESIDENT_ID),
        ),
        (
            {"identifier": {"system": "urn:his:mrn", "value": "M-7"}},
            None,
            PatientRef(mrn="M-7", mrn_system="urn:his:mrn"),
        ),
        (
            {"reference": "#pat"},
            [{"resourceType": "Patient", "id": "pat", "identifier": [{"value": RESIDENT_ID}]}],
            PatientRef(id_number=RESIDENT_ID),
        ),
    ],
)
def test_observation_subject_becomes_a_patient_ref(subject, contained, expected):
    resource = observation(subject=subject, contained=contained)
    assert only_result(resource).patient == expected


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"subject": None}, "subject", "missing"),
        ({"subject": {"display": "张三"}}, "subject", "missing"),
        ({"subject": {"reference": "Group/g1"}}, "subject.reference", "invalid"),
        ({"subject": {"reference": "#nobody"}}, "subject.reference", "missing"),
        ({"code": {"coding": [{"system": "urn:lis:local", "code": "GLU"}]}}, "code.coding", "unknown_code"),
        ({"code": None}, "code", "missing"),
        ({"valueQuantity": {"unit": "mmol/L"}}, "valueQuantity.value", "missing"),
        ({"valueQuantity": {"value": "5.6", "unit": "mmol/L"}}, "valueQuantity.value", "invalid"),
        ({"valueQuantity": {"value": True}}, "valueQuantity.value", "invalid"),
        ({"valueQuantity": None}, "value[x]", "missing"),
        ({"valueQuantity": None, "dataAbsentReason": {"text": "标本溶血"}}, "value[x]", "missing"),
        ({"effectiveDateTime": None}, "effectiveDateTime", "missing"),
        ({"effectiveDateTime": "2025-02-30T08:00:00+08:00"}, "effectiveDateTime", "invalid"),
        (
            {"effectiveDateTime": None, "effectivePeriod": {"start": "soon"}},
            "effectivePeriod.start",
            "invalid",
        ),
        ({"id": None}, "id", "missing"),
        ({"code": ["not", "an", "object"]}, "Observation", "malformed"),
    ],
)
def test_observation_that_cannot_be_imported_is_one_problem_naming_the_field(changes, field, code):
    out = mapped(observation(**changes))
    assert out.results == []
    [problem] = out.problems
    assert (problem.location, problem.field, problem.code) == ("line 1", field, code)
    assert problem.reason


def test_data_absent_reason_is_quoted_in_the_problem():
    [problem] = mapped(observation(valueQuantity=None, dataAbsentReason={"text": "标本溶血"})).problems
    assert "标本溶血" in problem.reason


# -- Patient ---------------------------------------------------------------------------------------------
def patient(**changes):
    resource = {"resourceType": "Patient", "id": "p1"}
    resource.update(changes)
    return resource


@pytest.mark.parametrize(
    ("identifiers", "id_number", "mrn", "mrn_system"),
    [
        ([{"system": "urn:oid:2.16.156.10011.1.3", "value": RESIDENT_ID}], RESIDENT_ID, "p1", "HIS-A"),
        (
            [{"type": {"coding": [{"code": "NI"}]}, "system": "urn:x", "value": "X12345"}],
            "X12345",
            "p1",
            "HIS-A",
        ),
        ([{"type": {"coding": [{"code": "NNCHN"}]}, "value": "Y12345"}], "Y12345", "p1", "HIS-A"),
        ([{"system": "urn:somewhere", "value": RESIDENT_ID}], RESIDENT_ID, "p1", "HIS-A"),  # by its shape
        ([{"system": "urn:his:mrn", "value": "110105198003070021"}], "", "110105198003070021", "urn:his:mrn"),
        ([{"system": "urn:his:mrn", "value": "M-7"}], "", "M-7", "urn:his:mrn"),
        ([{"value": "M-7"}], "", "M-7", "HIS-A"),
        (
            [
                {"system": "urn:card", "value": "C-1"},
                {"type": {"coding": [{"code": "MR"}]}, "system": "urn:his:mrn", "value": "M-7"},
                {"system": "urn:oid:2.16.156.10011.1.3", "value": RESIDENT_ID},
            ],
            RESIDENT_ID,
            "M-7",
            "urn:his:mrn",
        ),
        ([], "", "p1", "HIS-A"),
    ],
)
def test_patient_identifiers_give_resident_id_and_mrn(identifiers, id_number, mrn, mrn_system):
    [person] = mapped(patient(identifier=identifiers)).people
    ref = person.patient
    assert (ref.id_number, ref.mrn, ref.mrn_system) == (id_number, mrn, mrn_system)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([{"text": "张三"}], "张三"),
        ([{"family": "欧阳", "given": ["娜娜"]}], "欧阳娜娜"),
        ([{"family": "Smith", "given": ["John", "Paul"]}], "John Paul Smith"),
        ([], ""),
    ],
)
def test_patient_name(names, expected):
    assert mapped(patient(name=names)).people[0].patient.name == expected


def test_patient_demographics():
    [person] = mapped(patient(gender="female", birthDate="1980-03-07")).people
    ref = person.patient
    assert (ref.sex, ref.birth_date) == ("female", datetime.date(1980, 3, 7))


@pytest.mark.parametrize(
    ("changes", "field"), [({"birthDate": "1980-02-30"}, "birthDate"), ({"gender": "F"}, "gender")]
)
def test_patient_with_a_bad_demographic_is_a_problem(changes, field):
    out = mapped(patient(**changes))
    assert [p.field for p in out.problems] == [field]


def test_patient_identifier_never_appears_in_a_problem():
    out = mapped(patient(identifier=[{"value": RESIDENT_ID}], birthDate="1980-02-30"))
    assert RESIDENT_ID not in repr(out.problems)


def test_observation_after_its_patient_carries_the_patients_identifiers():
    out = ParseResult()
    mapper = ResourceMapper("HIS-A")
    mapper.add(
        patient(identifier=[{"system": "urn:oid:2.16.156.10011.1.3", "value": RESIDENT_ID}]), "line 1", out
    )
    mapper.add(observation(), "line 2", out)
    assert out.results[0].patient.id_number == RESIDENT_ID


# -- DiagnosticReport ------------------------------------------------------------------------------------
def test_diagnostic_report_fields_and_its_results_point_back_to_it():
    report = {
        "resourceType": "DiagnosticReport",
        "id": "r1",
        "status": "final",
        "code": {"text": "入职体检套餐"},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2025-03-05T08:00:00+08:00",
        "performer": [{"display": "示例医院体检中心"}],
        "conclusion": "未见明显异常",
        "result": [{"reference": "Observation/obs-1"}],
    }
    out = ParseResult()
    mapper = ResourceMapper("HIS-A")
    mapper.add(report, "line 1", out)
    mapper.add(observation(), "line 2", out)
    [record] = out.reports
    assert (record.source_id, record.institution, record.package, record.conclusion) == (
        "r1",
        "示例医院体检中心",
        "入职体检套餐",
        "未见明显异常",
    )
    assert record.issued_at == datetime.datetime(2025, 3, 5, 8, 0, tzinfo=PLUS8)
    assert out.results[0].report_source_id == "r1"


# -- Encounter -------------------------------------------------------------------------------------------
def encounter(**changes):
    resource = {
        "resourceType": "Encounter",
        "id": "enc-1",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": "Patient/p1"},
        "period": {"start": "2025-03-01T10:00:00+08:00", "end": "2025-03-08T09:00:00+08:00"},
        "serviceProvider": {"display": "示例医院"},
        "location": [{"location": {"display": "心内科病区"}}],
        "reasonCode": [{"text": "胸痛"}],
        "diagnosis": [{"condition": {"display": "急性心肌梗死"}}],
    }
    resource.update(changes)
    return resource


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({}, "encounter_class", "inpatient"),
        ({"class": {"code": "AMB"}}, "encounter_class", "outpatient"),
        ({"class": {"code": "EMER"}}, "encounter_class", "emergency"),
        ({"class": {"code": "HH"}}, "encounter_class", "home"),
        ({}, "event", "discharge"),
        ({"status": "in-progress"}, "event", "admit"),
        ({"status": "planned"}, "event", "update"),
        ({}, "admitted_at", datetime.datetime(2025, 3, 1, 10, tzinfo=PLUS8)),
        ({}, "discharged_at", datetime.datetime(2025, 3, 8, 9, tzinfo=PLUS8)),
        ({"period": {"start": "2025-03-01T10:00:00+08:00"}}, "discharged_at", None),
        ({}, "department", "心内科病区"),
        ({"location": []}, "department", "示例医院"),
        ({}, "diagnoses", "胸痛; 急性心肌梗死"),
        ({}, "source_id", "enc-1"),
    ],
)
def test_encounter_field_is_read_from_fhir(changes, field, expected):
    out = mapped(encounter(**changes))
    assert out.problems == []
    assert getattr(out.encounters[0], field) == expected


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"class": {"code": "VR"}}, "class.code", "unknown_code"),
        ({"status": "entered-in-error"}, "status", "unsupported"),
        ({"period": {"start": "yesterday"}}, "period.start", "invalid"),
        ({"subject": None}, "subject", "missing"),
    ],
)
def test_encounter_that_cannot_be_placed_is_a_problem(changes, field, code):
    out = mapped(encounter(**changes))
    assert out.encounters == []
    assert [(p.field, p.code) for p in out.problems] == [(field, code)]


def test_a_conditional_subject_reference_gives_the_identifier():
    resource = observation(
        subject={"reference": f"Patient?identifier=urn:oid:2.16.156.10011.1.3%7C{RESIDENT_ID}"}
    )
    assert only_result(resource).patient == PatientRef(id_number=RESIDENT_ID)


@pytest.mark.parametrize("kind", [["Observation"], None, 7])
def test_a_resource_type_that_is_not_a_name_is_unsupported_not_a_crash(kind):
    mapper = ResourceMapper("HIS-A")
    out = ParseResult()
    mapper.add({"resourceType": kind}, "line 1", out)
    assert [p.code for p in mapper.unsupported_problems()] == ["unsupported"]


@pytest.mark.parametrize("kind", ["Observation", "Encounter"])
def test_a_resource_known_only_by_an_identifier_never_stores_the_identifier(kind):
    """An identifier may be made of a resident ID number: the key derived from it is keyed, not clear."""
    resource = observation(id=None, identifier=[{"value": RESIDENT_ID}])
    if kind == "Encounter":
        resource = {"resourceType": "Encounter", "identifier": [{"value": RESIDENT_ID}], "status": "finished",
                    "class": {"code": "IMP"}, "subject": {"reference": "Patient/p1"}}  # fmt: skip
    out = ParseResult()
    ResourceMapper("HIS-A", hash_key=b"org-index-key").add(resource, "line 1", out)
    [record] = out.results or out.encounters
    assert record.source_id == keyed_id(b"org-index-key", RESIDENT_ID)
    assert RESIDENT_ID not in record.source_id
    assert record.source_id != keyed_id(b"", RESIDENT_ID)
