"""Objects for tests: organizations, staff of each role, patients with valid identifiers."""

import datetime
import itertools

import pytest

from careloop.accounts.models import Department, Organization, User
from careloop.patients.actions import do_register_patient
from careloop.patients.idcard import check_character
from careloop.patients.models import Patient

PASSWORD = "correct-horse-battery-9"
_counter = itertools.count(1)


def resident_id(birth: datetime.date, sequence: int = 123, area: str = "110101") -> str:
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def make_organization(name: str = "示范社区卫生服务中心") -> Organization:
    n = next(_counter)
    return Organization.objects.create(name=name, code=f"org-{n}")


def make_user(organization: Organization, role: str = "nurse", **extra) -> User:
    n = next(_counter)
    username = extra.pop("username", f"{role}{n}")
    return User.objects.create_user(
        username=username, password=PASSWORD, organization=organization, role=role, **extra
    )


def make_patient(user: User, name: str = "张三", **fields) -> Patient:
    birth = fields.pop("birth_date", datetime.date(1960, 5, 17))
    n = next(_counter)
    patient = Patient(
        name=name,
        sex=fields.pop("sex", "male"),
        birth_date=birth,
        id_type="resident",
        id_number=fields.pop("id_number", resident_id(birth, sequence=(n * 2 + 1) % 1000)),
        mobile=fields.pop("mobile", f"139{n:08d}"),
        **fields,
    )
    return do_register_patient(user, patient).patient


@pytest.fixture
def org(db):
    return make_organization()


@pytest.fixture
def other_org(db):
    return make_organization("另一家医院")


@pytest.fixture
def nurse(org):
    return make_user(org, "nurse", display_name="王护士")


@pytest.fixture
def doctor(org):
    return make_user(org, "doctor", display_name="李医生")


@pytest.fixture
def admin_user(org):
    return make_user(org, "admin", is_staff=True)


@pytest.fixture
def auditor(org):
    return make_user(org, "auditor", display_name="审计员")


@pytest.fixture
def receptionist(org):
    return make_user(org, "receptionist")


@pytest.fixture
def department(org):
    return Department.objects.create(organization=org, name="全科")


@pytest.fixture
def patient(doctor):
    return make_patient(doctor)


@pytest.fixture
def logged_in(client):
    def login_as(user: User):
        client.force_login(user)
        return client

    return login_as
