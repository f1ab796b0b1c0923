"""The demo clinic: one login per role, its departments, and five years of yearly health checks for its
synthetic patients. The fixed password exists only here, for a demo database on the local machine.
"""

from collections.abc import Iterator

from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import Organization, User
from careloop.accounts.roles import Role
from careloop.observations.actions import do_import
from careloop.observations.importing.inputs import RecordsInput
from careloop.observations.importing.parsed import ParseResult
from careloop.observations.models import ImportBatch
from careloop.observations.synthetic_results import Person, yearly_checks
from careloop.patients.models import Condition, Patient
from careloop.patients.seeding import prepare_organization

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
