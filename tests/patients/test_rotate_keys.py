"""`careloop rotate-keys`: move every encrypted value to the newest field key, keep search working."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from careloop.accounts.models import AuditEntry, User
from careloop.encryption import cipher
from careloop.fieldcrypto import FieldCipher
from careloop.patients.management.commands.rotate_keys import Command
from careloop.patients.models import FamilyLink, Patient
from tests.factories import make_patient

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
KEY_UNKNOWN = Fernet.generate_key().decode()
TOTP_SECRET = "JBSWY3DPEHPK3PXP"


@pytest.fixture
def field_keys(settings):
    """Switch the configured field keys; the cipher is cached, so the cache is cleared every time."""

    def use(*keys: str) -> None:
        settings.FIELD_KEYS = list(keys)
        cipher.cache_clear()

    use(KEY_A)
    yield use
    cipher.cache_clear()


def raw_values(model, column: str) -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {column} FROM {model._meta.db_table}")
        return dict(cursor.fetchall())


def rotate_keys(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_keys", "--no-progress", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def data_under_key_a(field_keys, org, doctor):
    patients = [make_patient(doctor, name=name) for name in ["张三", "李四", "王五", "赵六", "钱七"]]
    FamilyLink.objects.create(
        patient=patients[0], related_name="张大", related_mobile="13900001111", relationship="child"
    )
    doctor.totp_secret = TOTP_SECRET
    doctor.save(update_fields=["totp_secret"])
    make_patient(doctor, name="孙八", mobile="", id_number="")  # empty values stay empty
    return {p.pk: (p.id_number, p.mobile) for p in patients}


@pytest.mark.django_db
def test_after_rotation_the_old_key_can_be_dropped(field_keys, data_under_key_a, doctor, logged_in):
    field_keys(KEY_B, KEY_A)
    out, _err = rotate_keys("--batch-size", "2")  # several batches
    assert "patients_patient.id_number: 5 re-encrypted, 0 already current, 1 empty, 0 failed" in out
    assert "patients_patient.mobile: 5 re-encrypted" in out
    assert "patients_familylink.related_mobile: 1 re-encrypted" in out
    assert "accounts_user.totp_secret: 1 re-encrypted" in out

    field_keys(KEY_B)
    for pk, (id_number, mobile) in data_under_key_a.items():
        patient = Patient.objects.get(pk=pk)
        assert (patient.id_number, patient.mobile) == (id_number, mobile)
    assert FamilyLink.objects.get().related_mobile == "13900001111"
    assert User.objects.get(pk=doctor.pk).totp_secret == TOTP_SECRET

    only_b = FieldCipher([KEY_B], "unused-index-key-of-enough-length-0000")
    for column in ["id_number", "mobile"]:
        for value in raw_values(Patient, column).values():
            assert value == "" or only_b.decrypt(value)

    client = logged_in(doctor)
    some_pk, (id_number, mobile) = next(iter(data_under_key_a.items()))
    for query in [id_number, mobile]:
        found = client.post(reverse("patients:list"), {"q": query}, follow=True).context["page"]
        assert [p.pk for p in found] == [some_pk]


@pytest.mark.django_db
def test_rotation_keeps_blind_indexes_and_other_columns(field_keys, data_under_key_a):
    before = list(Patient.objects.order_by("pk").values_list("id_number_index", "mobile_index", "updated_at"))
    field_keys(KEY_B, KEY_A)
    rotate_keys()
    after = list(Patient.objects.order_by("pk").values_list("id_number_index", "mobile_index", "updated_at"))
    assert after == before


@pytest.mark.django_db
def test_second_run_changes_nothing(field_keys, data_under_key_a):
    field_keys(KEY_B, KEY_A)
    rotate_keys()
    stored = raw_values(Patient, "mobile")
    out, _err = rotate_keys()
    assert "patients_patient.mobile: 0 re-encrypted, 5 already current" in out
    assert raw_values(Patient, "mobile") == stored


@pytest.mark.django_db
def test_each_run_writes_one_audit_entry_with_counts_only(field_keys, data_under_key_a):
    field_keys(KEY_B, KEY_A)
    rotate_keys()
    entry = AuditEntry.objects.get(action="keys.rotate")
    assert entry.chain == 0 and entry.actor_label == "rotate-keys"
    assert entry.detail["columns"]["patients_patient.mobile"] == {"rotated": 5, "current": 0, "failed": 0}
    for id_number, mobile in data_under_key_a.values():
        assert id_number not in str(entry.detail) and mobile not in str(entry.detail)


@pytest.mark.django_db
def test_value_no_key_decrypts_is_reported_and_the_rest_still_rotates(field_keys, data_under_key_a):
    victim = min(data_under_key_a)
    foreign = FieldCipher([KEY_UNKNOWN], "x" * 40).encrypt("13800000000")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_patient SET mobile = %s WHERE id = %s", [foreign, victim])
    field_keys(KEY_B, KEY_A)
    with pytest.raises(CommandError, match=f"patients_patient.mobile row {victim}"):
        call_command("rotate_keys", "--no-progress", stdout=io.StringIO(), stderr=(err := io.StringIO()))
    assert (
        f"patients_patient.mobile row {victim}: no configured field key decrypts this value" in err.getvalue()
    )
    assert raw_values(Patient, "mobile")[victim] == foreign  # left as it was
    field_keys(KEY_B)
    others = Patient.objects.exclude(pk=victim).exclude(mobile_index="")
    assert sorted(p.mobile for p in others) == sorted(
        m for pk, (_i, m) in data_under_key_a.items() if pk != victim
    )
    assert AuditEntry.objects.get(action="keys.rotate").detail["failed_rows"] == [
        ["patients_patient.mobile", str(victim)]
    ]


@pytest.mark.django_db
def test_value_changed_by_the_application_meanwhile_is_not_overwritten(field_keys, data_under_key_a):
    """The UPDATE only replaces the ciphertext it read; simulate a save landing between read and write."""
    victim = min(data_under_key_a)
    field_keys(KEY_B, KEY_A)
    old = raw_values(Patient, "mobile")[victim]
    Patient.objects.filter(pk=victim).update(mobile="13711112222")  # saved by the app, under key B
    written = Command().write("patients_patient", "id", "mobile", [(victim, old, cipher().rotate(old))])
    assert written == 0
    assert Patient.objects.get(pk=victim).mobile == "13711112222"


def test_help_explains_the_rotation_procedure():
    text = Command().create_parser("careloop", "rotate-keys").format_help()
    assert "Put it FIRST in CARELOOP_FIELD_KEYS" in text
    assert "remove the old key" in text
    assert "CARELOOP_INDEX_KEY" in text
