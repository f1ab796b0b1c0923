"""The demo clinic: one login per role, its departments, five years of yearly health checks for its
synthetic patients, a laboratory's message about people not registered yet, and a person registered twice.
The fixed password exists only here, for a demo database on the local machine.
"""

import datetime
from collections.abc import Iterator

import orjson
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import Organization, User
from careloop.accounts.roles import Role
from careloop.observations.actions import do_import
from careloop.observations.importing.inputs import FileInput, RecordsInput
from careloop.observations.importing.parsed import ParseResult
from careloop.observations.models import ImportBatch
from careloop.observations.synthetic_results import Person, yearly_checks
from careloop.patients.actions import do_register_patient
from careloop.patients.models import Condition, Patient
from careloop.patients.seeding import prepare_organization
from careloop.patients.synthetic import resident_id

DEMO_CODE = "demo"
DEMO_NAME = "示范社区卫生服务中心"
DEMO_PASSWORD = "careloop-demo"  # noqa: S105 -- a demo database only; printed on every start
# username: (role, display name, department)
DEMO_STAFF = {
    "admin": (Role.ADMIN, "赵主任", "全科"),
    "doctor": (Role.DOCTOR, "王医生", "心内科"),
    "nurse": (Role.NURSE, "李护士", "慢病管理科"),
    "reception": (Role.RECEPTIONIST, "张前台", "全科"),
    "auditor": (Role.AUDITOR, "孙审计", "全科"),
}


def make_demo_organization() -> Organization:
    """The demo clinic, its departments and one login per role.

    The administrator manages staff, departments and tags in the product's own pages ("Organization" in the
    header); the Django admin is for an installation superuser (`careloop createsuperuser`), and none is made.
    """
    organization, _ = prepare_organization(DEMO_CODE, DEMO_NAME)
    departments = {d.name: d for d in organization.departments.all()}
    for username, (role, display_name, department) in DEMO_STAFF.items():
        User.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            organization=organization,
            department=departments[department],
            role=role,
            display_name=display_name,
        )
    audit.record(
        "demo.setup", organization_id=organization.pk, obj=organization, detail={"staff": list(DEMO_STAFF)}
    )
    return organization


def import_demo_results(organization: Organization) -> ImportBatch:
    """Five years of yearly health checks for the demo patients, through the real import pipeline."""
    conditions: dict[int, set[str]] = {}
    for patient_id, code in Condition.objects.filter(patient__organization=organization).values_list(
        "patient_id", "icd10_code"
    ):
        conditions.setdefault(patient_id, set()).add(code)
    people = [
        Person(p.pk, p.id_number, p.sex, frozenset(conditions.get(p.pk, ())))
        for p in Patient.objects.filter(organization=organization)
        .exclude(id_number="")
        .only("id", "id_number", "sex")
    ]

    def chunks() -> Iterator[ParseResult]:
        chunk = ParseResult()
        for reports, results in yearly_checks(people, 5, timezone.localdate(), seed=1):
            chunk.reports += reports
            chunk.results += results
            if len(chunk.results) >= 10_000:
                yield chunk
                chunk = ParseResult()
        yield chunk

    return do_import(None, organization, RecordsInput("csv", "demo", chunks)).batch


# The laboratory's system and the people of its message that the clinic has not registered: one it sends a
# Patient line for (registered by the import), one named by ID number alone and one by the lab's own MRN
# (their results wait; "register as a new patient" files them).
DEMO_LAB = "http://lis.demo-hospital.cn/fhir"
NEWCOMER_ID = resident_id("330106", datetime.date(1958, 4, 12), 988)
STRANGER_ID = resident_id("330105", datetime.date(1971, 8, 3), 457)


def import_demo_lab_message(organization: Organization) -> ImportBatch:
    """A laboratory's FHIR NDJSON file through the real import: a patient it registers (its Patient line),
    results that wait for a patient known to the laboratory only by its own number, and a blood pressure no
    person can have, refused with its reason."""
    day = timezone.localdate() - datetime.timedelta(days=1)
    newcomer = {
        "resourceType": "Patient",
        "id": "L-20417",
        "identifier": [{"system": "urn:oid:1.2.156.112606.1.2.1.1", "value": NEWCOMER_ID}],
        "name": [{"text": "林婉清"}],
        "gender": "female",
        "birthDate": "1958-04-12",
    }
    readings = [
        ("L-20417", "1558-6", 8.4, "mmol/L"),
        ("L-20417", "4548-4", 7.6, "%"),
        ("L-20417", "8480-6", 1200, "mm[Hg]"),  # a typing slip in the lab: refused as implausible
        ("H-7781", "2093-3", 6.3, "mmol/L"),
        ("H-7781", "18262-6", 4.2, "mmol/L"),
    ]
    lines = [newcomer] + [
        {
            "resourceType": "Observation",
            "id": f"R-{number}",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": f"Patient/{subject}"},
            "effectiveDateTime": f"{day.isoformat()}T08:{10 + number:02d}:00+08:00",
            "valueQuantity": {"value": value, "unit": unit, "code": unit},
        }
        for number, (subject, code, value, unit) in enumerate(readings)
    ]
    # A result for someone the laboratory names by ID number alone, whom nobody has registered yet.
    lines.append(
        {
            "resourceType": "Observation",
            "id": "R-90",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
            "subject": {"identifier": {"system": "urn:oid:1.2.156.112606.1.2.1.1", "value": STRANGER_ID}},
            "effectiveDateTime": f"{day.isoformat()}T09:00:00+08:00",
            "valueQuantity": {"value": 11.2, "unit": "mmol/L", "code": "mmol/L"},
        }
    )
    data = b"\n".join(orjson.dumps(line) for line in lines) + b"\n"
    return do_import(None, organization, FileInput(data, "lab-results.ndjson", "demo", DEMO_LAB)).batch


def register_demo_twice(organization: Organization) -> list[Patient]:
    """One man registered twice at the desk, the second time with a homophone typed (王晓明 / 王小明): a
    pair for the probable duplicates page."""
    reception = User.objects.get(organization=organization, username="reception")
    born = datetime.date(1956, 9, 21)
    return [
        do_register_patient(reception, Patient(name=name, sex="male", birth_date=born, mobile=mobile)).patient
        for name, mobile in (("王晓明", "13957100421"), ("王小明", "13857100977"))
    ]
